/* SPDX-License-Identifier: MIT */
/* Private core services: error recording, allocation, logging. Never installed. */
#ifndef PARN_CORE_H
#define PARN_CORE_H

#include "parn.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define PARN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PARN_PRINTF(a, b)
#endif

/* Records a formatted message for the calling thread and returns st, so that
 * `return parn__fail(PARN_E_SHAPE, "...")` both explains and propagates a failure. */
parn_status parn__fail(parn_status st, const char *fmt, ...) PARN_PRINTF(2, 3);

/* The calling thread's message (what parn_last_error(NULL) returns). */
const char *parn__thread_error(void);

#define PARN_RETURN_IF(cond, st, ...)                                                          \
    do {                                                                                       \
        if (cond) return parn__fail((st), __VA_ARGS__);                                        \
    } while (0)

#define PARN_TRY(expr)                                                                         \
    do {                                                                                       \
        parn_status parn_try_st_ = (expr);                                                     \
        if (parn_try_st_ != PARN_OK) return parn_try_st_;                                      \
    } while (0)

/* Allocation goes through these so that tests can make the n-th one fail. */
void *parn__malloc(size_t size);
void *parn__calloc(size_t count, size_t size);
void *parn__realloc(void *ptr, size_t size);
/* 64-byte aligned, for tensor data; free with parn__free. */
void *parn__aligned_alloc(size_t size);
void parn__free(void *ptr);
char *parn__strdup(const char *s);

/* Test hook: after n more successful allocations, every allocation fails; n < 0 disables. */
void parn__test_fail_alloc_after(long n);

void parn__log(parn_log_level level, const char *fmt, ...) PARN_PRINTF(2, 3);

/* Deterministic random numbers (xoshiro128+ seeded by splitmix64); one state per user. */
typedef struct parn_rng {
    uint64_t s[2];
} parn_rng;
void parn__rng_seed(parn_rng *rng, uint64_t seed);
uint64_t parn__rng_next(parn_rng *rng);
/* Uniform in [0, 1). */
float parn__rng_uniform(parn_rng *rng);
/* Standard normal (Box-Muller). */
float parn__rng_normal(parn_rng *rng);

/* Dropout's scaled keep mask, drawn in chunks of PARN_DROPOUT_CHUNK elements: chunk k of a
 * total-element mask comes from the stream seeded with seed + k, so masks depend neither on the
 * thread count nor on the backend. Each 64-bit draw gives two 24-bit uniforms (bits 40..63 and
 * 16..39; the low bits of xoshiro128+ are its weakest); an element is kept (1 / (1 - p)) when its
 * uniform u / 2^24 >= p, else 0. Writes mask[k * CHUNK .. min(total, (k + 1) * CHUNK)). */
#define PARN_DROPOUT_CHUNK 4096
void parn__dropout_mask_chunk(uint64_t seed, int64_t k, int64_t total, float p, float *mask);

#endif
