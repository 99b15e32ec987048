/* SPDX-License-Identifier: MIT */
/* The fileserver's persistent UUID (app/fileserver/fsuuid.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsuuid.h"

static char dir[64], path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rxd_fs_uuid.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" RXD_FS_UUID_FILE, dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

TestSuite(fs_uuid, .init = setup, .fini = teardown);

Test(fs_uuid, made_at_the_first_start_and_the_same_after)
{
	struct rxd_afsUUID a, b, c;
	char line[64], text[40];
	FILE *f;

	cr_assert_eq(rxd_fs_uuid_load(dir, &a), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	rxd_fs_uuid_format(&a, text);
	cr_assert_eq(strlen(text), 36);
	cr_assert_str_eq(line, strcat(text, "\n"), "the file is the UUID's line");
	cr_assert_eq(a.time_hi_and_version >> 12, 4, "version 4 (random)");
	cr_assert_eq((uint8_t)a.clock_seq_hi_and_reserved >> 6, 2, "the RFC 4122 variant");
	cr_assert_eq(rxd_fs_uuid_load(dir, &b), 0);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "a restart reads the same UUID");
	unlink(path);
	cr_assert_eq(rxd_fs_uuid_load(dir, &c), 0);
	cr_assert_neq(memcmp(&a, &c, sizeof(a)), 0, "another partition, another UUID");
}

Test(fs_uuid, the_line_is_the_fields_in_text_order)
{
	struct rxd_afsUUID u;
	char text[40];

	write_file("01234567-89ab-4def-8123-456789ABCDEF\n");
	cr_assert_eq(rxd_fs_uuid_load(dir, &u), 0);
	cr_assert_eq(u.time_low, 0x01234567u);
	cr_assert_eq(u.time_mid, 0x89ab);
	cr_assert_eq(u.time_hi_and_version, 0x4def);
	cr_assert_eq((uint8_t)u.clock_seq_hi_and_reserved, 0x81);
	cr_assert_eq((uint8_t)u.clock_seq_low, 0x23);
	cr_assert_eq((uint8_t)u.node[0], 0x45);
	cr_assert_eq((uint8_t)u.node[5], 0xef);
	rxd_fs_uuid_format(&u, text);
	cr_assert_str_eq(text, "01234567-89ab-4def-8123-456789abcdef");
}

Test(fs_uuid, a_file_that_is_not_a_uuid_is_refused_not_replaced)
{
	struct rxd_afsUUID u;
	const char *bad[] = {"", "0123", "01234567-89ab-4def-8123-456789abcdeg\n",
			     "01234567x89ab-4def-8123-456789abcdef\n", "01234567-89ab-4def-8123-456789abcdef0\n"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(bad[i]);
		cr_assert_eq(rxd_fs_uuid_load(dir, &u), -EINVAL, "'%s'", bad[i]);
	}
}
