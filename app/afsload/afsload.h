/* SPDX-License-Identifier: MIT */
/*
 * The AFS load generator's engine (rxd-afsload, doc/fileserver.md "Load
 * generator"): on one worker lcore it keeps `concurrency` RXAFS calls in
 * flight against a fileserver, phase after phase:
 *
 *   (VL GetEntryByNameU of the volume, when given by name)
 *   create  CreateFile of N files in the volume's root directory
 *   store   StoreData64 of each file, S bytes of its own pattern
 *   fetch   FetchData64 of each file (passes times), every byte checked
 *   status  FetchStatus of the files, round robin, for a duration or a count
 *   remove  RemoveFile of each file (unless kept)
 *
 * Requests are encoded and replies decoded with lib/afs's generated codecs
 * (rxd_RXAFS_*_enc_req / _dec_out).  Any failure (an abort, a network error,
 * a reply that does not decode, a wrong byte, a wrong length) is counted,
 * its first occurrence described, and ends the run after the calls in
 * flight: nothing is ignored.  The one retry is a cache manager's: a call
 * answered VBUSY is begun again after 20 ms (up to 200 times), counted.  The engine also answers the
 * fileserver's RXAFSCB calls (service 1 on the same port), as a cache
 * manager must: OpenAFS's fileserver identifies a new client with
 * TellMeAboutYourself/WhoAreYou and probes it before serving it.
 */
#ifndef RXD_AFSLOAD_H
#define RXD_AFSLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>

#include "afs_rpc.h"
#include "rxd_app.h"
#include "rxd_histo.h"

enum rxd_afsload_phase {
	RXD_AL_CREATE = 0,
	RXD_AL_STORE,
	RXD_AL_FETCH,
	RXD_AL_STATUS,
	RXD_AL_REMOVE,
	RXD_AL__PHASES,
};

/** The phase's name ("create", "store", "fetch", "status", "remove"). */
const char *rxd_afsload_phase_name(enum rxd_afsload_phase p);

struct rxd_afsload_params {
	struct rxd_addr server; /* the fileserver (UDP 7000) */
	struct rxd_AFSFid dir;	/* the directory the files live in (a volume root: vid.1.1) */
	bool lookup;		/* first ask the VL server vl for volume's RW id: dir becomes its root */
	struct rxd_addr vl;
	char volume[66];
	uint32_t files;	       /* N */
	uint64_t size;	       /* bytes per file */
	unsigned concurrency;  /* calls in flight */
	unsigned passes;       /* fetch passes over the files */
	uint64_t status_calls; /* status phase: this many calls, or ... */
	uint64_t status_ns;    /* ... for this long (status_calls == 0) */
	bool run[RXD_AL__PHASES];
	char prefix[64];     /* file names: PREFIX.<index> */
	uint32_t seed;	     /* pattern seed of the stored bytes */
	uint32_t check_seed; /* pattern the fetched bytes are checked against (= seed; a test hook) */
	struct rxd_afsUUID uuid;
	uint32_t my_ip; /* our IPv4 address (host order), for TellMeAboutYourself */
	/* Called on the lcore when a phase begins (end false) and when its last
	 * call completed (end true): the launcher samples the server's CPU time. */
	void (*mark)(void *arg, enum rxd_afsload_phase ph, bool end, uint64_t now);
	void *mark_arg;
};

struct rxd_afsload_phase_stats {
	uint64_t ok, errors;
	uint64_t bytes;		  /* file bytes moved by successful calls */
	uint64_t t_first, t_last; /* first begin, last completion */
	struct rxd_histo lat;
};

struct rxd_afsload_stats {
	struct rxd_afsload_phase_stats ph[RXD_AL__PHASES];
	uint64_t verify_errors; /* fetched bytes or lengths that differ from what was stored */
	uint64_t cm_calls;	/* RXAFSCB calls the fileserver made to us */
	uint64_t vbusy;		/* calls answered VBUSY and begun again */
	uint32_t volume;	/* the volume the files live in (looked up by name, or given) */
	char first_error[224];
};

struct rxd_afsload;

int rxd_afsload_create(const struct rxd_afsload_params *p, rxd_app_clock_fn clock, void *clock_arg,
		       struct rxd_afsload **out);
void rxd_afsload_destroy(struct rxd_afsload *g);
/** The RXAFSCB service (service 1) the engine answers; register it on the port the calls go out from. */
void rxd_afsload_cm_desc(struct rxd_afsload *g, struct rxd_service_desc *d);
/** Begin calls up to the concurrency limit, move to the next phase when one is over (from the poll hook). */
void rxd_afsload_poll(struct rxd_afsload *g, struct rxd_local *l, uint64_t now);
/** Stop beginning calls (drain). */
void rxd_afsload_stop(struct rxd_afsload *g);
/** Abort every call in flight (RX_USER_ABORT). */
void rxd_afsload_abort_all(struct rxd_afsload *g, uint64_t now);
/** True once every phase ran (or the run stopped) and nothing is in flight (any thread). */
bool rxd_afsload_done(const struct rxd_afsload *g);
/** Read after done. */
const struct rxd_afsload_stats *rxd_afsload_stats(const struct rxd_afsload *g);

#endif
