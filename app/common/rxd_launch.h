/* SPDX-License-Identifier: MIT */
/*
 * The lifecycle both launchers (app/rxd, app/rxperf) share: split the
 * command line at "--", --config/--set, EAL and shell start-up with one-line
 * errors prefixed by the program name, SIGINT/SIGTERM, drain and tear-down.
 * Uses the DPDK shell (built only where DPDK is).
 */
#ifndef RXD_LAUNCH_H
#define RXD_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <rxd/dpdk.h>

/** A setter for one "name=value" option, as rxd_conf_file_foreach() calls it. */
typedef int (*rxd_launch_set_fn)(void *arg, const char *name, const char *value, char *err, size_t errlen);

/** Index of the "--" that ends the EAL arguments, or argc when there is none. */
int rxd_launch_split(int argc, char **argv);
/**
 * "--config FILE" (every line through fn) or "--set name=value" (one call of
 * fn); flag is "config" or "set".  0 or a negative errno with a one-line err.
 */
int rxd_launch_config(const char *flag, const char *value, rxd_launch_set_fn fn, void *arg, char *err, size_t errlen);
/**
 * Parse the application's arguments (those after "--"): "--name value",
 * "--name=value", flags ("--flag", "--flag 1", "--flag=0" where is_flag(name)),
 * "--config FILE" and "--set name=value", each through set.  Returns 0, 1 for
 * "--help" (the caller prints its usage and exits 0), or a negative errno after
 * one "PROG: ..." line.
 */
int rxd_launch_args(const char *prog, int argc, char **argv, rxd_launch_set_fn set, bool (*is_flag)(const char *name),
		    void *arg);
/**
 * The launcher's first step: the arguments after "--" (argv[eal_argc]) through
 * rxd_launch_args.  Returns -1 when the program goes on, else its exit code:
 * 0 after printing usage for "--help", 2 after a bad option's line.
 */
int rxd_launch_options(const char *prog, int argc, char **argv, int eal_argc, rxd_launch_set_fn set,
		       bool (*is_flag)(const char *name), void *arg, void (*usage)(FILE *f));
/** Check and initialise the EAL; 0, or -1 after one "PROG: ..." line. */
int rxd_launch_eal(const char *prog, int eal_argc, char **argv);
/** Create the shell; 0, or -1 after one line (the EAL is cleaned up). */
int rxd_launch_shell(const char *prog, const struct rxd_shell_opts *so, struct rxd_shell **s);
/** Count SIGINT/SIGTERM from now on and start the workers; 0, or -1 after one line (all torn down). */
int rxd_launch_start(const char *prog, struct rxd_shell *s);
/** SIGINT/SIGTERM received so far. */
unsigned rxd_launch_signals(void);
void rxd_launch_sleep_ms(unsigned ms);
/**
 * After rxd_launch_stop(), keep the ports open while their links are up, at
 * most secs seconds or until a signal: DPDK 22.11's memif unmaps the shared
 * rings when the peer disconnects without waiting for a worker inside
 * rx_burst, so the side that finishes first closes only after the peer
 * stopped polling.
 */
void rxd_launch_hold(struct rxd_shell *s, double secs);
/** Drain (bounded by the shell's drain_ms), abort the rest and wait for the workers; calls aborted. */
unsigned rxd_launch_stop(struct rxd_shell *s);
/** Destroy the shell and clean up the EAL (also after a failed setup). */
void rxd_launch_end(struct rxd_shell *s);

#endif
