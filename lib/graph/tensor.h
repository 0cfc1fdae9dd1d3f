/* SPDX-License-Identifier: MIT */
/* Float32 tensors: a logical PyTorch-order shape plus element strides, so one tensor type
 * describes both plain (NCDHW) and channels-last (NDHWC) storage. */
#ifndef PARN_TENSOR_H
#define PARN_TENSOR_H

#include "core/core.h"

#define PARN_MAX_DIMS 5

typedef struct parn_tensor {
    int ndim;                        /* 0 (scalar) .. PARN_MAX_DIMS */
    int64_t dims[PARN_MAX_DIMS];     /* logical sizes, PyTorch order: N, C, (D,) H, W */
    int64_t strides[PARN_MAX_DIMS];  /* in elements, per logical dimension */
    float *data;                     /* not owned unless the owner says so */
    uint64_t version;                /* bumped whenever the contents change outside a graph run
                                        (weights written), so cached copies can be refreshed */
} parn_tensor;

/* Number of elements. */
int64_t parn_tensor_numel(const parn_tensor *t);

/* Fills strides for plain row-major (PyTorch contiguous) storage. */
void parn_tensor_set_plain(parn_tensor *t);

/* Fills strides for channels-last storage of a 4-D or 5-D tensor (NHWC / NDHWC); plain otherwise. */
void parn_tensor_set_channels_last(parn_tensor *t);

/* True when strides are plain row-major. */
bool parn_tensor_is_plain(const parn_tensor *t);

/* True when both tensors have the same dims and the same strides. */
bool parn_tensor_same_layout(const parn_tensor *a, const parn_tensor *b);

/* True when the elements fill [data, data + numel) without gaps (any dimension order). */
bool parn_tensor_is_dense(const parn_tensor *t);

/* True when dims are equal. */
bool parn_tensor_same_dims(const parn_tensor *a, const parn_tensor *b);

/* Offset in elements of a logical multi-index (idx has ndim entries). */
static inline int64_t parn_tensor_offset(const parn_tensor *t, const int64_t *idx)
{
    int64_t off = 0;
    for (int i = 0; i < t->ndim; i++) off += idx[i] * t->strides[i];
    return off;
}

/* Copies src into dst element by element in logical order; dims must match, layouts may differ. */
void parn_tensor_copy(parn_tensor *dst, const parn_tensor *src);

/* Copies between a tensor and a plain row-major host array of numel floats. */
void parn_tensor_read_plain(const parn_tensor *t, float *dst);
void parn_tensor_write_plain(parn_tensor *t, const float *src);

/* Human-readable shape such as "[1, 3, 16, 112, 112]"; one of four rotating per-thread buffers,
 * so up to four may appear in one message. */
const char *parn_tensor_shape_str(const parn_tensor *t);

#endif
