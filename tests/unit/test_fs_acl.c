/* AFS ACLs (app/fileserver/acl.c) and the user table (users.c): the text
 * forms of OpenAFS's acl_Internalize / acl_Externalize, acl_CheckRights, the
 * stored record, and the --users file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "users.h"

static struct rxd_fs_users *users;
static char path[64];

static void load(const char *text, int want, const char *why_has)
{
	char err[256] = "";
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/rxd_fs_users.XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	cr_assert_eq(rxd_fs_users_load(path, &users, err, sizeof(err)), want, "%s", err);
	if (why_has)
		cr_assert(strstr(err, why_has), "'%s' lacks '%s'", err, why_has);
	unlink(path);
}

static void fini(void)
{
	rxd_fs_users_free(users);
	users = NULL;
}

TestSuite(fs_acl, .fini = fini);

Test(fs_acl, parse_sorts_each_part_by_id_and_format_names_them)
{
	struct rxd_fs_acl a;
	char buf[512];

	load("alice 1001\nbob 1002\nstaff -210\n", 0, NULL);
	cr_assert_eq(rxd_fs_acl_parse("3\n1\nbob\t9\nsystem:anyuser 1\nalice\t127\nstaff\t4\n", 100,
				      rxd_fs_users_name_to_id, users, &a),
		     0);
	cr_assert_eq(a.npos, 3);
	cr_assert_eq(a.e[0].id, -101);
	cr_assert_eq(a.e[1].id, 1001);
	cr_assert_eq(a.e[2].id, 1002);
	cr_assert_eq(a.e[3].id, -210);
	cr_assert_eq(rxd_fs_acl_format(&a, rxd_fs_users_id_to_name, users, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "3\n1\nsystem:anyuser\t1\nalice\t127\nbob\t9\nstaff\t4\n");
	cr_assert_eq(rxd_fs_acl_format(&a, rxd_fs_users_id_to_name, users, buf, 20), E2BIG);
	a.e[1].id = 4242; /* no name: written as the number, which parses back */
	cr_assert_eq(rxd_fs_acl_format(&a, rxd_fs_users_id_to_name, users, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, "\n4242\t127\n"));
	cr_assert_eq(rxd_fs_acl_parse(buf, strlen(buf), rxd_fs_users_name_to_id, users, &a), 0);
	cr_assert_eq(a.e[2].id, 4242);
}

Test(fs_acl, parse_refuses_what_acl_internalize_refuses)
{
	struct rxd_fs_acl a;
	char many[1024] = "20\n1\n";

	load("alice 1001\n", 0, NULL);
	static const char *const bad[] = {
	    "",
	    "1\n",
	    "1\n0\n",
	    "1\n0\nalice\n",
	    "1\n0\nnobody\t1\n",
	    "1\n0\nanonymous\t1\n", /* maps to the anonymous id */
	    "-1\n0\n",
	    "x\n0\n",
	    "1\n0\nalice\t1x\n",
	    "0\n1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(rxd_fs_acl_parse(bad[i], strlen(bad[i]) + 1, rxd_fs_users_name_to_id, users, &a), EINVAL,
			     "'%s'", bad[i]);
	for (int i = 0; i < 21; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%d\t1\n", 100 + i);
	cr_assert_eq(rxd_fs_acl_parse(many, strlen(many), rxd_fs_users_name_to_id, users, &a), EINVAL, "21 entries");
	cr_assert_eq(rxd_fs_acl_parse("0\n0\n", 4, rxd_fs_users_name_to_id, users, &a), 0, "empty is fine");
	cr_assert_eq(rxd_fs_acl_parse("1\n0\nalice\t1\n\0junk", 18, rxd_fs_users_name_to_id, users, &a), 0,
		     "the NUL ends it");
}

Test(fs_acl, the_last_entry_may_lack_its_newline)
{
	struct rxd_fs_acl a;

	/* as kafs's afs.acl xattr passes what `setfattr -v "$(printf ...)"` wrote */
	load("alice 1001\n", 0, NULL);
	cr_assert_eq(
	    rxd_fs_acl_parse("2\n0\nsystem:administrators 127\nalice 127", 39, rxd_fs_users_name_to_id, users, &a), 0);
	cr_assert_eq(a.npos, 2);
	cr_assert_eq(a.e[1].id, 1001);
	cr_assert_eq(a.e[1].rights, 127);
	cr_assert_eq(rxd_fs_acl_parse("2\n0\nalice 127", 13, rxd_fs_users_name_to_id, users, &a), EINVAL,
		     "a missing entry is still missing");
	cr_assert_eq(rxd_fs_acl_parse("1\n0\nalice 12x", 13, rxd_fs_users_name_to_id, users, &a), EINVAL);
}

Test(fs_acl, rights_are_positive_union_less_negative_union)
{
	struct rxd_fs_acl a = {.npos = 3, .nneg = 1};
	int32_t alice[] = {1001, -210, -101, -102}, anon[] = {-101};

	a.e[0] = (struct rxd_fs_ace){-210, 0x1f};
	a.e[1] = (struct rxd_fs_ace){-101, 0x09};
	a.e[2] = (struct rxd_fs_ace){1001, 0x40};
	a.e[3] = (struct rxd_fs_ace){1001, 0x04};
	cr_assert_eq(rxd_fs_acl_rights(&a, alice, 4), (0x1fu | 0x09 | 0x40) & ~0x04u);
	cr_assert_eq(rxd_fs_acl_rights(&a, anon, 1), 0x09);
	cr_assert_eq(rxd_fs_acl_rights(&a, anon, 0), 0);
}

Test(fs_acl, stored_record_round_trips_and_detects_damage)
{
	struct rxd_fs_acl a, b;
	uint8_t rec[RXD_FS_ACL_DISK];

	rxd_fs_acl_default(&a, 9);
	cr_assert_eq(a.npos, 2);
	rxd_fs_acl_encode(&a, rec);
	cr_assert_eq(rxd_fs_acl_decode(rec, &b), 0);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	rec[20] ^= 1;
	cr_assert_eq(rxd_fs_acl_decode(rec, &b), -EINVAL);
	memset(rec, 0, sizeof(rec));
	cr_assert_eq(rxd_fs_acl_decode(rec, &b), 1, "zeros: none stored");
	rxd_fs_acl_default(&a, 0);
	cr_assert_eq(a.npos, 1, "no anyuser entry for no rights");
}

Test(fs_acl, users_file_ids_groups_and_cps)
{
	int32_t id, cps[RXD_FS_CPS_MAX];
	char name[64];

	load("# comment\n\nadmin 1 system:administrators staff # trailing\nalice 1001 staff\nstaff -210\n", 0, NULL);
	cr_assert_eq(rxd_fs_users_name_to_id(users, "alice", &id), 0);
	cr_assert_eq(id, 1001);
	cr_assert_eq(rxd_fs_users_name_to_id(users, "system:authuser", &id), 0);
	cr_assert_eq(id, -102);
	cr_assert_eq(rxd_fs_users_name_to_id(users, "carol", &id), ENOENT);
	cr_assert_eq(rxd_fs_users_name_to_id(NULL, "system:administrators", &id), 0);
	cr_assert_eq(id, -204);
	cr_assert_eq(rxd_fs_users_id_to_name(users, -210, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "staff");
	cr_assert_eq(rxd_fs_users_id_to_name(users, 77, name, sizeof(name)), ENOENT);
	cr_assert_eq(rxd_fs_users_cps(users, 1, cps, RXD_FS_CPS_MAX), 5);
	cr_assert_eq(cps[0], 1);
	cr_assert_eq(cps[1], -204);
	cr_assert_eq(cps[2], -210);
	cr_assert_eq(cps[3], -101);
	cr_assert_eq(cps[4], -102);
	cr_assert_eq(rxd_fs_users_cps(users, 1, cps, 2), 2, "bounded by max");
}

Test(fs_acl, users_file_errors_name_the_line)
{
	load("alice 1001\nbob\n", -EINVAL, "line 2");
	load("alice 1001\nbob 1001\n", -EINVAL, "share id 1001");
	load("alice 1001 nogroup\n", -EINVAL, "nogroup is not a group");
	load("alice 1001 bob\nbob 1002\n", -EINVAL, "bob is not a group");
	load("alice 32766\n", -EINVAL, "line 1");
	load("alice 1\nalice 2\n", -EINVAL, "alice listed twice");
}

Test(fs_acl, principal_names_as_openafs_forms_them)
{
	char n[64];

	cr_assert_eq(rxd_fs_principal_name("alice", "", "EXAMPLE.ORG", "example.org", n, sizeof(n)), 0);
	cr_assert_str_eq(n, "alice");
	cr_assert_eq(rxd_fs_principal_name("alice", "admin", "", "example.org", n, sizeof(n)), 0);
	cr_assert_str_eq(n, "alice.admin");
	cr_assert_eq(rxd_fs_principal_name("alice", "", "OTHER.CELL", "example.org", n, sizeof(n)), 0);
	cr_assert_str_eq(n, "alice@other.cell");
	cr_assert_eq(rxd_fs_principal_name("alice", "", "OTHER.CELL", NULL, n, sizeof(n)), 0);
	cr_assert_str_eq(n, "alice@other.cell");
	cr_assert_eq(rxd_fs_principal_name("alice", "", "OTHER.CELL", NULL, n, 10), ENAMETOOLONG);
}
