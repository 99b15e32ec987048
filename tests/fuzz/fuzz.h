/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets and their replay driver: an invariant that
 * fails crashes the process, so libFuzzer records the input and the replay
 * test fails.
 */
#ifndef RXD_TESTS_FUZZ_H
#define RXD_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FZ_CHECK(cond, ...)                                                                                            \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "%s:%d: invariant failed: ", __FILE__, __LINE__);                              \
			fprintf(stderr, __VA_ARGS__);                                                                  \
			fputc('\n', stderr);                                                                           \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

/* libFuzzer's entry point, defined by each target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
