/* SPDX-License-Identifier: MIT */
/* A small, fast, reproducible random generator (xoshiro128+ over 64-bit words). */
#include "core.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void parn__rng_seed(parn_rng *rng, uint64_t seed)
{
    rng->s[0] = splitmix64(&seed);
    rng->s[1] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t parn__rng_next(parn_rng *rng)
{
    uint64_t s0 = rng->s[0], s1 = rng->s[1], r = s0 + s1;
    s1 ^= s0;
    rng->s[0] = rotl(s0, 24) ^ s1 ^ (s1 << 16);
    rng->s[1] = rotl(s1, 37);
    return r;
}

float parn__rng_uniform(parn_rng *rng)
{
    return (float)(parn__rng_next(rng) >> 40) * (1.0f / 16777216.0f);
}

float parn__rng_normal(parn_rng *rng)
{
    float u1 = parn__rng_uniform(rng), u2 = parn__rng_uniform(rng);
    if (u1 < 1e-12f) u1 = 1e-12f;
    return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530718f * u2);
}

void parn__dropout_mask_chunk(uint64_t seed, int64_t k, int64_t total, float p, float *mask)
{
    parn_rng rng;
    parn__rng_seed(&rng, seed + (uint64_t)k);
    float scale = 1.0f / (1.0f - p);
    uint64_t drop_below = (uint64_t)ceil((double)p * 16777216.0);
    int64_t begin = k * PARN_DROPOUT_CHUNK;
    int64_t end = begin + PARN_DROPOUT_CHUNK < total ? begin + PARN_DROPOUT_CHUNK : total;
    for (int64_t i = begin; i < end; i += 2) {
        uint64_t r = parn__rng_next(&rng);
        mask[i] = (r >> 40) >= drop_below ? scale : 0.0f;
        if (i + 1 < end) mask[i + 1] = (r >> 16 & 0xffffff) >= drop_below ? scale : 0.0f;
    }
}
