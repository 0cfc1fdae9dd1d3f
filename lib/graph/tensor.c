/* SPDX-License-Identifier: MIT */
/* Tensor layout helpers. */
#include "tensor.h"

#include <stdio.h>
#include <string.h>

int64_t parn_tensor_numel(const parn_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->dims[i];
    return n;
}

void parn_tensor_set_plain(parn_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        t->strides[i] = s;
        s *= t->dims[i];
    }
}

void parn_tensor_set_channels_last(parn_tensor *t)
{
    if (t->ndim < 4) {
        parn_tensor_set_plain(t);
        return;
    }
    int64_t s = 1;
    t->strides[1] = s;
    s *= t->dims[1];
    for (int i = t->ndim - 1; i >= 2; i--) {
        t->strides[i] = s;
        s *= t->dims[i];
    }
    t->strides[0] = s;
}

bool parn_tensor_same_dims(const parn_tensor *a, const parn_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

bool parn_tensor_same_layout(const parn_tensor *a, const parn_tensor *b)
{
    if (!parn_tensor_same_dims(a, b)) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] > 1 && a->strides[i] != b->strides[i]) return false;
    return true;
}

bool parn_tensor_is_plain(const parn_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->dims[i] > 1 && t->strides[i] != s) return false;
        s *= t->dims[i];
    }
    return true;
}

bool parn_tensor_is_dense(const parn_tensor *t)
{
    /* Dense when, sorted by stride, each stride equals the product of the smaller dims. */
    int order[PARN_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < t->ndim; i++)
        if (t->dims[i] > 1) order[n++] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && t->strides[order[j]] < t->strides[order[j - 1]]; j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    int64_t expect = 1;
    for (int i = 0; i < n; i++) {
        if (t->strides[order[i]] != expect) return false;
        expect *= t->dims[order[i]];
    }
    return true;
}

/* Walks every logical index of dims in row-major order, calling visit with the two offsets. */
static void copy_strided(const int64_t *dims, int ndim, float *dst, const int64_t *ds,
                         const float *src, const int64_t *ss)
{
    if (ndim == 0) {
        *dst = *src;
        return;
    }
    if (ndim == 1) {
        for (int64_t i = 0; i < dims[0]; i++) dst[i * ds[0]] = src[i * ss[0]];
        return;
    }
    for (int64_t i = 0; i < dims[0]; i++)
        copy_strided(dims + 1, ndim - 1, dst + i * ds[0], ds + 1, src + i * ss[0], ss + 1);
}

void parn_tensor_copy(parn_tensor *dst, const parn_tensor *src)
{
    if (parn_tensor_same_layout(dst, src) && parn_tensor_is_dense(src)) {
        memcpy(dst->data, src->data, (size_t)parn_tensor_numel(src) * sizeof(float));
        return;
    }
    copy_strided(src->dims, src->ndim, dst->data, dst->strides, src->data, src->strides);
}

void parn_tensor_read_plain(const parn_tensor *t, float *dst)
{
    parn_tensor plain = *t;
    parn_tensor_set_plain(&plain);
    plain.data = dst;
    parn_tensor_copy(&plain, t);
}

void parn_tensor_write_plain(parn_tensor *t, const float *src)
{
    parn_tensor plain = *t;
    parn_tensor_set_plain(&plain);
    plain.data = (float *)src;
    parn_tensor_copy(t, &plain);
    t->version++;
}

const char *parn_tensor_shape_str(const parn_tensor *t)
{
    /* a few rotating buffers, so that one message can show several shapes */
    static _Thread_local char bufs[4][96];
    static _Thread_local int next;
    char *buf = bufs[next++ % 4];
    const size_t size = sizeof bufs[0];
    int n = snprintf(buf, size, "[");
    for (int i = 0; i < t->ndim && n < (int)size; i++)
        n += snprintf(buf + n, size - (size_t)n, i ? ", %lld" : "%lld", (long long)t->dims[i]);
    if (n < (int)size) snprintf(buf + n, size - (size_t)n, "]");
    return buf;
}
