/* SPDX-License-Identifier: MIT */
/* Unit tests for engine configuration (lib/core/config.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rxd/core.h>

/*
 * The documented contract, written out independently of config.c's table:
 * field, default, range, every accepted name.
 */
struct expect {
	size_t off;
	uint32_t def, min, max;
	const char *names[4];
};

#define F(field) offsetof(struct rxd_config, field)
static const struct expect E[] = {
    {F(req_ack_delay_ms), 0, 0, 1000, {"req_ack_delay", "req_ack_delay_ms"}},
    {F(soft_ack_delay_ms), 1000, 1, 60000, {"soft_ack_delay", "soft_ack_delay_ms"}},
    {F(idle_ack_delay_ms), 500, 0, 60000, {"idle_ack_delay", "idle_ack_delay_ms"}},
    {F(resend_timeout_ms), 1000, 1, 60000, {"resend_timeout", "resend_timeout_ms"}},
    {F(max_call_lifetime_s), 0, 0, 2592000, {"max_call_lifetime", "max_call_lifetime_s"}},
    {F(dead_call_expiry_s), 60, 0, 3600, {"dead_call_expiry", "dead_call_expiry_s"}},
    {F(connection_expiry_s), 600, 1, 86400, {"connection_expiry", "connection_expiry_s"}},
    {F(client_conn_expiry_s), 120, 1, 86400, {"client_conn_expiry", "client_conn_expiry_s", "idle_conn_expiry"}},
    {F(transport_expiry_s), 60, 1, 86400, {"transport_expiry", "transport_expiry_s"}},
    {F(rx_window_size), 255, 1, 255, {"rx_window_size", "rxrpc_rx_window_size"}},
    {F(rx_mtu), 65160, 500, 65535, {"rx_mtu", "rxrpc_rx_mtu"}},
    {F(rx_jumbo_max), 46, 1, 46, {"rx_jumbo_max", "rxrpc_rx_jumbo_max"}},
    {F(tx_jumbo_max), 46, 1, 46, {"tx_jumbo_max"}},
    {F(tx_window_max), 128, 1, 255, {"tx_window_max"}},
    {F(if_mtu), 1500, 576, 65535, {"if_mtu"}},
    {F(expect_rx_timeout_ms), 20000, 1, 3600000, {"expect_rx_timeout", "expect_rx_timeout_ms"}},
    {F(idle_request_timeout_ms), 20000, 1, 3600000, {"idle_request_timeout", "idle_request_timeout_ms"}},
    {F(max_backlog), 32, 1, 65535, {"max_backlog"}},
    {F(max_calls), 65536, 1, 16777216, {"max_calls"}},
    {F(max_conns), 16384, 1, 4194304, {"max_conns"}},
    {F(max_peers), 4096, 1, 1048576, {"max_peers"}},
    {F(tx_queue_max), 512, 1, 65536, {"tx_queue_max"}},
    {F(bundle_conns), 4, 1, 256, {"bundle_conns"}},
    {F(pmtud), 1, 0, 1, {"pmtud"}},
    {F(pmtud_reprobe_s), 600, 0, 86400, {"pmtud_reprobe", "pmtud_reprobe_s"}},
};
#undef F
#define NE (sizeof(E) / sizeof(E[0]))

static uint32_t field(const struct rxd_config *c, size_t off)
{
	uint32_t v;
	memcpy(&v, (const char *)c + off, sizeof(v));
	return v;
}

static void set_field(struct rxd_config *c, size_t off, uint32_t v)
{
	memcpy((char *)c + off, &v, sizeof(v));
}

/* A value inside the range that differs from the default. */
static uint32_t other_value(const struct expect *e)
{
	return e->def > e->min ? e->def - 1 : e->def + 1;
}

Test(config, every_field_is_covered_by_this_test)
{
	cr_assert_eq(sizeof(struct rxd_config), NE * sizeof(uint32_t),
		     "struct rxd_config gained a field: add it to config.c, doc/config.md and this table");
}

Test(config, defaults_are_the_documented_values)
{
	struct rxd_config c;
	memset(&c, 0xa5, sizeof(c));
	rxd_config_default(&c);
	cr_assert_eq(c.req_ack_delay_ms, 0);
	cr_assert_eq(c.soft_ack_delay_ms, 1000);
	cr_assert_eq(c.idle_ack_delay_ms, 500);
	cr_assert_eq(c.resend_timeout_ms, 1000);
	cr_assert_eq(c.max_call_lifetime_s, 0);
	cr_assert_eq(c.dead_call_expiry_s, 60);
	cr_assert_eq(c.connection_expiry_s, 600);
	cr_assert_eq(c.client_conn_expiry_s, 120);
	cr_assert_eq(c.transport_expiry_s, 60);
	cr_assert_eq(c.rx_window_size, 255);
	cr_assert_eq(c.rx_mtu, 65160);
	cr_assert_eq(c.rx_jumbo_max, 46);
	cr_assert_eq(c.tx_jumbo_max, 46);
	cr_assert_eq(c.tx_window_max, 128);
	cr_assert_eq(c.if_mtu, 1500);
	cr_assert_eq(c.expect_rx_timeout_ms, 20000);
	cr_assert_eq(c.idle_request_timeout_ms, 20000);
	cr_assert_eq(c.max_backlog, 32);
	cr_assert_eq(c.max_calls, 65536);
	cr_assert_eq(c.max_conns, 16384);
	cr_assert_eq(c.max_peers, 4096);
	cr_assert_eq(c.tx_queue_max, 512);
	cr_assert_eq(c.bundle_conns, 4);
	for (size_t i = 0; i < NE; i++)
		cr_assert_eq(field(&c, E[i].off), E[i].def, "row %zu", i);
}

Test(config, defaults_validate)
{
	struct rxd_config c;
	char err[128] = "untouched";
	rxd_config_default(&c);
	cr_assert_eq(rxd_config_validate(&c, err, sizeof(err)), 0, "%s", err);
}

Test(config, every_parameter_is_settable_by_every_name)
{
	for (size_t i = 0; i < NE; i++) {
		for (unsigned n = 0; n < 4 && E[i].names[n]; n++) {
			struct rxd_config c, before;
			char err[128] = "";
			char val[16];
			rxd_config_default(&c);
			before = c;
			uint32_t v = other_value(&E[i]);
			snprintf(val, sizeof(val), "%u", v);
			int rc = rxd_config_set(&c, E[i].names[n], val, err, sizeof(err));
			cr_assert_eq(rc, 0, "%s=%s: rc %d (%s)", E[i].names[n], val, rc, err);
			cr_assert_eq(field(&c, E[i].off), v, "%s did not set its field", E[i].names[n]);
			set_field(&c, E[i].off, field(&before, E[i].off));
			cr_assert(memcmp(&c, &before, sizeof(c)) == 0, "%s changed another field", E[i].names[n]);
		}
	}
}

Test(config, name_equals_value_form_and_dashes)
{
	struct rxd_config c;
	char err[128] = "";
	rxd_config_default(&c);
	cr_assert_eq(rxd_config_set(&c, "rxrpc_rx_mtu=1444", NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.rx_mtu, 1444);
	cr_assert_eq(rxd_config_set(&c, "tx-window-max=64", NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.tx_window_max, 64);
	cr_assert_eq(rxd_config_set(&c, "rx_mtu", NULL, err, sizeof(err)), -EINVAL, "no '=' and no value");
	cr_assert_eq(rxd_config_set(&c, "rx_mtu=", NULL, err, sizeof(err)), -EINVAL, "empty value");
	cr_assert_eq(c.rx_mtu, 1444);
}

Test(config, every_range_limit_is_inclusive_and_enforced)
{
	for (size_t i = 0; i < NE; i++) {
		struct rxd_config c;
		char err[128], val[24];
		const char *name = E[i].names[0];
		rxd_config_default(&c);

		snprintf(val, sizeof(val), "%u", E[i].min);
		cr_assert_eq(rxd_config_set(&c, name, val, err, sizeof(err)), 0, "%s min %s", name, val);
		cr_assert_eq(field(&c, E[i].off), E[i].min);
		snprintf(val, sizeof(val), "%u", E[i].max);
		cr_assert_eq(rxd_config_set(&c, name, val, err, sizeof(err)), 0, "%s max %s", name, val);
		cr_assert_eq(field(&c, E[i].off), E[i].max);

		snprintf(val, sizeof(val), "%llu", (unsigned long long)E[i].max + 1);
		cr_assert_eq(rxd_config_set(&c, name, val, err, sizeof(err)), -ERANGE, "%s max+1", name);
		char want[128];
		snprintf(want, sizeof(want), "%s: %s out of range %u..%u", name, val, E[i].min, E[i].max);
		cr_assert_str_eq(err, want);
		cr_assert_eq(field(&c, E[i].off), E[i].max, "a rejected value must not be stored");
		if (E[i].min > 0) {
			snprintf(val, sizeof(val), "%u", E[i].min - 1);
			cr_assert_eq(rxd_config_set(&c, name, val, err, sizeof(err)), -ERANGE, "%s min-1", name);
			cr_assert_eq(field(&c, E[i].off), E[i].max);
		}
	}
}

Test(config, range_error_message_names_the_canonical_parameter)
{
	struct rxd_config c;
	char err[128] = "";
	rxd_config_default(&c);
	cr_assert_eq(rxd_config_set(&c, "rx_window_size", "300", err, sizeof(err)), -ERANGE);
	cr_assert_str_eq(err, "rx_window_size: 300 out of range 1..255");
	cr_assert_eq(rxd_config_set(&c, "rxrpc_rx_window_size", "0", err, sizeof(err)), -ERANGE);
	cr_assert_str_eq(err, "rx_window_size: 0 out of range 1..255");
	cr_assert_eq(rxd_config_set(&c, "rxrpc_rx_mtu=499", NULL, err, sizeof(err)), -ERANGE);
	cr_assert_str_eq(err, "rx_mtu: 499 out of range 500..65535");
	cr_assert_eq(c.rx_window_size, 255);
	cr_assert_eq(c.rx_mtu, 65160);
}

Test(config, malformed_numbers_are_rejected)
{
	static const struct {
		const char *v;
		int rc;
	} bad[] = {
	    {"", -EINVAL},
	    {"12x", -EINVAL},
	    {"x12", -EINVAL},
	    {"-1", -EINVAL},
	    {"+5", -EINVAL},
	    {" 5", -EINVAL},
	    {"5 ", -EINVAL},
	    {"0x10", -EINVAL},
	    {"1.5", -EINVAL},
	    {"1e3", -EINVAL},
	    {"4294967296", -ERANGE},
	    {"99999999999999999999999", -ERANGE},
	    {"18446744073709551617", -ERANGE},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rxd_config c;
		char err[128] = "";
		rxd_config_default(&c);
		int rc = rxd_config_set(&c, "max_calls", bad[i].v, err, sizeof(err));
		cr_assert_eq(rc, bad[i].rc, "'%s': rc %d", bad[i].v, rc);
		cr_assert_eq(c.max_calls, 65536, "'%s' changed the value", bad[i].v);
		cr_assert(strncmp(err, "max_calls: ", 11) == 0, "'%s': message '%s'", bad[i].v, err);
		cr_assert(strchr(err, '\n') == NULL);
		cr_assert(strstr(err, "1..16777216") != NULL, "'%s': message '%s' lacks the range", bad[i].v, err);
	}
	/* leading zeros are still decimal */
	struct rxd_config c;
	rxd_config_default(&c);
	cr_assert_eq(rxd_config_set(&c, "rx_jumbo_max", "007", NULL, 0), 0);
	cr_assert_eq(c.rx_jumbo_max, 7);
}

Test(config, unknown_and_partial_names_are_rejected)
{
	static const char *names[] = {"bogus", "rx_mt", "rx_mtux", "rxrpc_", "", "RX_MTU", "rx_mtu_ms", "mtu"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct rxd_config c, before;
		char err[128] = "";
		rxd_config_default(&c);
		before = c;
		cr_assert_eq(rxd_config_set(&c, names[i], "100", err, sizeof(err)), -EINVAL, "'%s'", names[i]);
		char want[128];
		snprintf(want, sizeof(want), "unknown parameter '%s'", names[i]);
		cr_assert_str_eq(err, want);
		cr_assert(memcmp(&c, &before, sizeof(c)) == 0);
	}
}

Test(config, error_buffer_may_be_small_or_absent)
{
	struct rxd_config c;
	char err[8];
	memset(err, 'z', sizeof(err));
	rxd_config_default(&c);
	cr_assert_eq(rxd_config_set(&c, "rx_window_size", "300", err, sizeof(err)), -ERANGE);
	cr_assert_str_eq(err, "rx_wind", "truncated and terminated");
	cr_assert_eq(rxd_config_set(&c, "rx_window_size", "300", NULL, 0), -ERANGE);
	c.tx_queue_max = 1;
	cr_assert_eq(rxd_config_validate(&c, NULL, 0), -EINVAL);
}

Test(config, validate_rejects_out_of_range_fields)
{
	for (size_t i = 0; i < NE; i++) {
		if (E[i].min == 0 && E[i].max == UINT32_MAX)
			continue;
		struct rxd_config c;
		char err[128] = "", want[128];
		rxd_config_default(&c);
		uint32_t v = E[i].max + 1;
		set_field(&c, E[i].off, v);
		cr_assert_eq(rxd_config_validate(&c, err, sizeof(err)), -EINVAL, "%s = %u", E[i].names[0], v);
		snprintf(want, sizeof(want), "%s: %u out of range %u..%u", E[i].names[0], v, E[i].min, E[i].max);
		cr_assert_str_eq(err, want);
	}
	struct rxd_config c;
	char err[128] = "";
	rxd_config_default(&c);
	c.rx_mtu = 100;
	cr_assert_eq(rxd_config_validate(&c, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "rx_mtu: 100 out of range 500..65535");
	rxd_config_default(&c);
	c.rx_window_size = 0;
	cr_assert_eq(rxd_config_validate(&c, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "rx_window_size: 0 out of range 1..255");
}

Test(config, validate_checks_tx_queue_holds_a_window)
{
	struct rxd_config c;
	char err[160] = "";
	rxd_config_default(&c);
	c.tx_window_max = 200;
	c.tx_queue_max = 199;
	cr_assert_eq(rxd_config_validate(&c, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "tx_queue_max (199) must be >= tx_window_max (200)") == err, "%s", err);
	c.tx_queue_max = 200;
	cr_assert_eq(rxd_config_validate(&c, err, sizeof(err)), 0, "equal is enough: %s", err);
}

Test(config, validate_checks_backlog_fits_the_call_pool)
{
	struct rxd_config c;
	char err[160] = "";
	rxd_config_default(&c);
	c.max_calls = 16;
	c.max_backlog = 17;
	cr_assert_eq(rxd_config_validate(&c, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "max_calls (16) must be >= max_backlog (17)") == err, "%s", err);
	c.max_backlog = 16;
	cr_assert_eq(rxd_config_validate(&c, err, sizeof(err)), 0, "%s", err);
}

Test(config, validate_checks_a_call_outlives_one_resend)
{
	struct rxd_config c;
	char err[160] = "";
	rxd_config_default(&c);
	c.expect_rx_timeout_ms = 999;
	cr_assert_eq(rxd_config_validate(&c, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "expect_rx_timeout (999) must be >= resend_timeout (1000)") == err, "%s", err);
	c.resend_timeout_ms = 999;
	cr_assert_eq(rxd_config_validate(&c, err, sizeof(err)), 0, "%s", err);
}

/* ------------------------------------------------------------------ describe */

struct lines {
	char text[64][400];
	unsigned n;
};

static void collect(void *arg, const char *text)
{
	struct lines *l = arg;
	cr_assert(l->n < 64);
	cr_assert(strlen(text) < sizeof(l->text[0]));
	strcpy(l->text[l->n++], text);
}

Test(config, describe_prints_every_parameter_once_with_its_value)
{
	static struct lines L;
	struct rxd_config c;
	rxd_config_default(&c);
	cr_assert_eq(rxd_config_set(&c, "rxrpc_rx_window_size", "77", NULL, 0), 0);
	L.n = 0;
	rxd_config_describe(&c, collect, &L);
	cr_assert_eq(L.n, NE);
	for (size_t i = 0; i < NE; i++) {
		char prefix[96];
		unsigned hits = 0;
		snprintf(prefix, sizeof(prefix), "%s = %u ", E[i].names[0], field(&c, E[i].off));
		for (unsigned k = 0; k < L.n; k++) {
			cr_assert(strchr(L.text[k], '\n') == NULL);
			if (strncmp(L.text[k], prefix, strlen(prefix)) == 0)
				hits++;
		}
		cr_assert_eq(hits, 1, "'%s' appears %u times", prefix, hits);
	}
	unsigned seen = 0;
	for (unsigned k = 0; k < L.n; k++)
		if (strstr(L.text[k], "seed rxrpc_rx_window_size") && strstr(L.text[k], "range 1..255"))
			seen++;
	cr_assert_eq(seen, 1, "the kernel's sysctl name and the range are shown");
}

Test(config, numbers_are_decimal_with_binary_suffixes)
{
	static const struct {
		const char *v;
		uint64_t max;
		int rc;
		uint64_t want;
	} cases[] = {
	    {"0", 10, 0, 0},
	    {"010", 100, 0, 10}, /* leading zeros are decimal, never octal */
	    {"0009", 100, 0, 9},
	    {"4k", UINT64_MAX, 0, 4096},
	    {"4K", UINT64_MAX, 0, 4096},
	    {"3m", UINT64_MAX, 0, 3ull << 20},
	    {"2G", UINT64_MAX, 0, 2ull << 30},
	    {"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
	    {"18446744073709551616", UINT64_MAX, -ERANGE, 0},
	    {"99999999999999999999x", UINT64_MAX, -EINVAL, 0}, /* junk wins over overflow */
	    {"17179869184g", UINT64_MAX, -ERANGE, 0},	       /* 2^34 GiB overflows */
	    {"11", 10, -ERANGE, 0},
	    {"1k", 1023, -ERANGE, 0},
	    {"", 10, -EINVAL, 0},
	    {"k", 10, -EINVAL, 0},
	    {"1kk", UINT64_MAX, -EINVAL, 0},
	    {"1t", UINT64_MAX, -EINVAL, 0},
	    {"0x10", UINT64_MAX, -EINVAL, 0},
	    {"-1", UINT64_MAX, -EINVAL, 0},
	    {"+1", UINT64_MAX, -EINVAL, 0},
	    {" 1", UINT64_MAX, -EINVAL, 0},
	    {"1 ", UINT64_MAX, -EINVAL, 0},
	    {"1.5k", UINT64_MAX, -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		int rc = rxd_parse_u64(cases[i].v, cases[i].max, &v);
		cr_assert_eq(rc, cases[i].rc, "'%s': rc %d", cases[i].v, rc);
		cr_assert_eq(v, rc ? 12345 : cases[i].want, "'%s': %llu", cases[i].v, (unsigned long long)v);
	}
	cr_assert_eq(rxd_parse_u64(NULL, 10, &(uint64_t){0}), -EINVAL);
}

Test(config, config_values_take_the_launchers_suffixes)
{
	struct rxd_config c;
	char err[128] = "";
	rxd_config_default(&c);
	cr_assert_eq(rxd_config_set(&c, "max_calls", "16k", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.max_calls, 16384);
	cr_assert_eq(rxd_config_set(&c, "max_calls", "017", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.max_calls, 17);
}
