/* SPDX-License-Identifier: MIT */
/* Allocation wrappers with a failure-injection hook for tests. */
#include "core.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long allocs_left = -1;

void parn__test_fail_alloc_after(long n)
{
    atomic_store(&allocs_left, n);
}

static bool alloc_allowed(void)
{
    long left = atomic_load(&allocs_left);
    while (left >= 0) {
        if (left == 0) return false;
        if (atomic_compare_exchange_weak(&allocs_left, &left, left - 1)) return true;
    }
    return true;
}

void *parn__malloc(size_t size)
{
    return alloc_allowed() ? malloc(size ? size : 1) : NULL;
}

void *parn__calloc(size_t count, size_t size)
{
    return alloc_allowed() ? calloc(count ? count : 1, size ? size : 1) : NULL;
}

void *parn__realloc(void *ptr, size_t size)
{
    return alloc_allowed() ? realloc(ptr, size ? size : 1) : NULL;
}

void *parn__aligned_alloc(size_t size)
{
    void *p = NULL;
    if (!alloc_allowed()) return NULL;
    if (posix_memalign(&p, 64, size ? size : 64) != 0) return NULL;
    return p;
}

void parn__free(void *ptr)
{
    free(ptr);
}

char *parn__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = parn__malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
