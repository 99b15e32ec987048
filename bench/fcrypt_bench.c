/* SPDX-License-Identifier: MIT */
/*
 * rxd-fcrypt-bench: fcrypt MB/s on one core over 1416-byte buffers (177
 * blocks: about one full DATA packet body; a crypt packet of OpenAFS carries
 * the 8-byte level-2 header and 1400 bytes of data, 1408 in all).
 * Scenarios: PCBC one packet at a time (latency-bound), PCBC multi-buffer
 * (16 packets per batch, 4 interleaved lanes), ECB block by block and ECB
 * over a buffer; decrypt as well; and, when built against OpenAFS, its own
 * fc_cbc_encrypt / fc_ecb_encrypt in the same run, with the ratio of MB per
 * CPU-second (the machine may be shared: wall-clock MB/s is shown too).
 * Prints a table, then one JSON line per scenario.  Not a test: numbers on
 * a shared machine are noisy, compare within one run only.
 *
 *   rxd-fcrypt-bench [-d SECONDS] [-j]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "security/fcrypt.h"

#ifdef RXD_BENCH_OPENAFS
#include <stdint.h>
typedef int32_t fc_sched_t[16];
extern void rxkad_Init(void);
extern int fc_keysched(void *key, fc_sched_t schedule);
extern int32_t fc_ecb_encrypt(void *clear, void *cipher, const fc_sched_t schedule, int encrypt);
extern int32_t fc_cbc_encrypt(void *input, void *output, int32_t length, const fc_sched_t key, uint32_t *iv,
			      int encrypt);
#endif

#define PKT 1416u
#define BATCH 16u

static uint8_t bufs[BATCH][PKT];
static struct rxd_fcrypt_key key;
static const uint8_t key_bytes[8] = {0x13, 0x57, 0x9b, 0xdf, 0x02, 0x46, 0x8a, 0xce};
#ifdef RXD_BENCH_OPENAFS
static fc_sched_t afs_sched;
#endif

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Each scenario processes one batch of BATCH packets per call. */
static void pcbc1_enc(void)
{
	for (unsigned i = 0; i < BATCH; i++) {
		uint8_t iv[8];

		memcpy(iv, key_bytes, 8);
		rxd_fcrypt_pcbc_encrypt(&key, iv, bufs[i], bufs[i], PKT);
	}
}

static void pcbc1_dec(void)
{
	for (unsigned i = 0; i < BATCH; i++) {
		uint8_t iv[8];

		memcpy(iv, key_bytes, 8);
		rxd_fcrypt_pcbc_decrypt(&key, iv, bufs[i], bufs[i], PKT);
	}
}

static void pcbc_mb(bool dec)
{
	struct rxd_fcrypt_job jobs[BATCH];

	for (unsigned i = 0; i < BATCH; i++) {
		jobs[i] = (struct rxd_fcrypt_job){.key = &key, .in = bufs[i], .out = bufs[i], .len = PKT};
		memcpy(jobs[i].iv, key_bytes, 8);
	}
	if (dec)
		rxd_fcrypt_pcbc_decrypt_mb(jobs, BATCH);
	else
		rxd_fcrypt_pcbc_encrypt_mb(jobs, BATCH);
}

static void pcbc_mb_enc(void)
{
	pcbc_mb(false);
}

static void pcbc_mb_dec(void)
{
	pcbc_mb(true);
}

static void ecb_block(void)
{
	for (unsigned i = 0; i < BATCH; i++)
		for (unsigned b = 0; b < PKT; b += 8)
			rxd_fcrypt_ecb_encrypt(&key, bufs[i] + b, bufs[i] + b, 8);
}

static void ecb_buffer(void)
{
	for (unsigned i = 0; i < BATCH; i++)
		rxd_fcrypt_ecb_encrypt(&key, bufs[i], bufs[i], PKT);
}

#ifdef RXD_BENCH_OPENAFS
static void afs_pcbc(int enc)
{
	for (unsigned i = 0; i < BATCH; i++) {
		uint32_t iv[2];

		memcpy(iv, key_bytes, 8);
		fc_cbc_encrypt(bufs[i], bufs[i], PKT, afs_sched, iv, enc);
	}
}

static void afs_pcbc_enc(void)
{
	afs_pcbc(1);
}

static void afs_pcbc_dec(void)
{
	afs_pcbc(0);
}

static void afs_ecb(void)
{
	for (unsigned i = 0; i < BATCH; i++)
		for (unsigned b = 0; b < PKT; b += 8)
			fc_ecb_encrypt(bufs[i] + b, bufs[i] + b, afs_sched, 1);
}
#endif

struct scenario {
	const char *name;
	void (*fn)(void);
	const char *ref; /* OpenAFS scenario to compare with, or NULL */
	double mb_s, cpu;
};

static struct scenario sc[] = {
    {"pcbc_enc_1stream", pcbc1_enc, "openafs_pcbc_enc", 0, 0},
    {"pcbc_enc_multibuf", pcbc_mb_enc, "openafs_pcbc_enc", 0, 0},
    {"pcbc_dec_1stream", pcbc1_dec, "openafs_pcbc_dec", 0, 0},
    {"pcbc_dec_multibuf", pcbc_mb_dec, "openafs_pcbc_dec", 0, 0},
    {"ecb_block_by_block", ecb_block, "openafs_ecb", 0, 0},
    {"ecb_buffer", ecb_buffer, "openafs_ecb", 0, 0},
#ifdef RXD_BENCH_OPENAFS
    {"openafs_pcbc_enc", afs_pcbc_enc, NULL, 0, 0},
    {"openafs_pcbc_dec", afs_pcbc_dec, NULL, 0, 0},
    {"openafs_ecb", afs_ecb, NULL, 0, 0},
#endif
};
#define NSC (sizeof(sc) / sizeof(sc[0]))

static const struct scenario *find(const char *name)
{
	for (size_t i = 0; i < NSC; i++)
		if (name && !strcmp(sc[i].name, name))
			return &sc[i];
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = 1.0;
	bool json_only = false;
	int opt;

	while ((opt = getopt(argc, argv, "d:jh")) != -1) {
		if (opt == 'd')
			secs = atof(optarg);
		else if (opt == 'j')
			json_only = true;
		else {
			fprintf(stderr, "usage: rxd-fcrypt-bench [-d SECONDS] [-j]\n");
			return 2;
		}
	}
	rxd_fcrypt_setkey(&key, key_bytes);
#ifdef RXD_BENCH_OPENAFS
	rxkad_Init(); /* OpenAFS keeps per-thread cipher statistics */
	fc_keysched((void *)key_bytes, afs_sched);
#endif
	for (unsigned i = 0; i < BATCH; i++)
		for (unsigned b = 0; b < PKT; b++)
			bufs[i][b] = (uint8_t)(i + b * 7);

	for (size_t s = 0; s < NSC; s++) {
		uint64_t batches = 0;
		double t0, c0, t;

		sc[s].fn(); /* warm the tables */
		t0 = now_s();
		c0 = cpu_s();
		do {
			for (int k = 0; k < 64; k++)
				sc[s].fn();
			batches += 64;
			t = now_s() - t0;
		} while (t < secs);
		sc[s].cpu = (cpu_s() - c0) / t;
		sc[s].mb_s = (double)batches * BATCH * PKT / t / 1e6;
	}

	if (!json_only) {
		printf("rxd-fcrypt-bench: one core, %u-byte packets (about one DATA packet body), %u per batch\n", PKT,
		       BATCH);
		/* MB per CPU-second: what one core would do if the machine were not shared */
		printf("%-20s %10s %12s %16s %6s\n", "scenario", "MB/s", "MB/cpu-s", "ratio vs OpenAFS", "cpu");
		for (size_t s = 0; s < NSC; s++) {
			const struct scenario *r = find(sc[s].ref);
			char ratio[32] = "-";

			if (r)
				snprintf(ratio, sizeof(ratio), "%.2fx", (sc[s].mb_s / sc[s].cpu) / (r->mb_s / r->cpu));
			printf("%-20s %10.1f %12.1f %16s %6.2f\n", sc[s].name, sc[s].mb_s, sc[s].mb_s / sc[s].cpu,
			       ratio, sc[s].cpu);
		}
	}
	for (size_t s = 0; s < NSC; s++) {
		const struct scenario *r = find(sc[s].ref);
		char ratio[32] = "null";

		if (r)
			snprintf(ratio, sizeof(ratio), "%.3f", (sc[s].mb_s / sc[s].cpu) / (r->mb_s / r->cpu));
		/* the names of doc/results-json.md */
		printf("{\"impl\":\"%s\",\"scenario\":\"fcrypt_%s\",\"lcores\":1,\"sizes\":%u,\"concurrency\":%u,"
		       "\"security\":\"rxkad\",\"mb_per_s\":%.1f,\"mb_per_cpu_s\":%.1f,\"ratio_vs_openafs\":%s,"
		       "\"cpu\":%.2f}\n",
		       strncmp(sc[s].name, "openafs_", 8) ? "rxd" : "openafs", sc[s].name, PKT,
		       strstr(sc[s].name, "multibuf") ? BATCH : 1, sc[s].mb_s, sc[s].mb_s / sc[s].cpu, ratio,
		       sc[s].cpu);
	}
	return 0;
}
