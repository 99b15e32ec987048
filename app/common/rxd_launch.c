/* SPDX-License-Identifier: MIT */
/* The launchers' shared lifecycle (see rxd_launch.h). */
#include "rxd_launch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>

static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
	(void)sig;
	g_signals++;
}

int rxd_launch_split(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return i;
	return argc;
}

int rxd_launch_config(const char *flag, const char *value, rxd_launch_set_fn fn, void *arg, char *err, size_t errlen)
{
	const char *eq = value ? strchr(value, '=') : NULL;
	char name[64];

	if (!strcmp(flag, "config"))
		return rxd_conf_file_foreach(value, fn, arg, err, errlen);
	if (!eq || (size_t)(eq - value) >= sizeof name) {
		snprintf(err, errlen, "--set %s: expected name=value", value ? value : "");
		return -EINVAL;
	}
	memcpy(name, value, (size_t)(eq - value));
	name[eq - value] = 0;
	return fn(arg, name, eq + 1, err, errlen);
}

static bool is_bool_word(const char *v)
{
	static const char *const words[] = {"0", "1", "yes", "no", "true", "false", "on", "off"};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (!strcmp(v, words[i]))
			return true;
	return false;
}

int rxd_launch_options(const char *prog, int argc, char **argv, int eal_argc, rxd_launch_set_fn set,
		       bool (*is_flag)(const char *name), void *arg, void (*usage)(FILE *f))
{
	int rc;

	if (eal_argc >= argc)
		return -1;
	rc = rxd_launch_args(prog, argc - eal_argc - 1, argv + eal_argc + 1, set, is_flag, arg);
	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	return rc ? 2 : -1;
}

int rxd_launch_args(const char *prog, int argc, char **argv, rxd_launch_set_fn set, bool (*is_flag)(const char *name),
		    void *arg)
{
	char err[256];

	for (int i = 0; i < argc; i++) {
		char name[64];
		const char *a = argv[i], *value = NULL, *eq;
		int rc;

		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "%s: unexpected argument '%s' (options start with --)\n", prog, a);
			return -EINVAL;
		}
		a += 2;
		eq = strchr(a, '=');
		if (eq && (size_t)(eq - a) < sizeof name) {
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = 0;
			value = eq + 1;
		} else {
			snprintf(name, sizeof name, "%s", a);
		}
		if (!strcmp(name, "help"))
			return 1;
		if (!value && is_flag(name) && i + 1 < argc && is_bool_word(argv[i + 1])) {
			value = argv[++i]; /* "--flow 1" as well as "--flow" and "--flow=1" */
		} else if (!value && !is_flag(name)) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: --%s needs a value\n", prog, name);
				return -EINVAL;
			}
			value = argv[++i];
		}
		err[0] = 0;
		if (!strcmp(name, "config") || !strcmp(name, "set"))
			rc = rxd_launch_config(name, value, set, arg, err, sizeof err);
		else
			rc = set(arg, name, value, err, sizeof err);
		if (rc) {
			fprintf(stderr, "%s: %s\n", prog, err[0] ? err : "bad argument");
			return rc;
		}
	}
	return 0;
}

int rxd_launch_eal(const char *prog, int eal_argc, char **argv)
{
	char err[256];

	if (rxd_shell_precheck(eal_argc, argv, err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	if (rte_eal_init(eal_argc, argv) < 0) {
		fprintf(stderr, "%s: EAL initialisation failed: %s\n", prog, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

int rxd_launch_shell(const char *prog, const struct rxd_shell_opts *so, struct rxd_shell **s)
{
	char err[256];

	if (rxd_shell_create(so, s, err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", prog, err);
		rte_eal_cleanup();
		return -1;
	}
	return 0;
}

int rxd_launch_start(const char *prog, struct rxd_shell *s)
{
	int rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = rxd_shell_start(s);
	if (rc) {
		fprintf(stderr, "%s: cannot launch the workers: %s\n", prog, strerror(rc < 0 ? -rc : rc));
		rxd_launch_end(s);
		return -1;
	}
	return 0;
}

unsigned rxd_launch_signals(void)
{
	return (unsigned)g_signals;
}

void rxd_launch_sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

void rxd_launch_hold(struct rxd_shell *s, double secs)
{
	uint64_t until = rxd_shell_now(s) + (uint64_t)(secs * 1e9);
	unsigned sig0 = rxd_launch_signals();

	while (rxd_shell_now(s) < until && rxd_launch_signals() == sig0 && rxd_shell_links_up(s))
		rxd_launch_sleep_ms(20);
}

unsigned rxd_launch_stop(struct rxd_shell *s)
{
	unsigned left = rxd_shell_shutdown(s);

	rxd_shell_wait(s);
	return left;
}

void rxd_launch_end(struct rxd_shell *s)
{
	rxd_shell_destroy(s);
	rte_eal_cleanup();
}
