/* SPDX-License-Identifier: MIT */
/* Pixel access of device frames shared by pixels.cu and blend.cu, after lib/pipeline/blend.c:
 * packed layouts, 4:2:0 chroma addressing, BT.601 limited-range conversions (CPU roundings). */
#ifndef PARN_KERNELS_FRAME_CUH
#define PARN_KERNELS_FRAME_CUH

#include "common.cuh"

namespace parnk {

/* Packed formats: bytes per pixel and where R, G, B sit (GRAY8: all three on its one byte). */
struct packed_layout {
    int bpp, r, g, b;
};

__host__ __device__ inline bool packed(int format, packed_layout *l)
{
    switch (format) {
    case PARN_K_PIX_RGB24: *l = {3, 0, 1, 2}; return true;
    case PARN_K_PIX_BGR24: *l = {3, 2, 1, 0}; return true;
    case PARN_K_PIX_RGBA: *l = {4, 0, 1, 2}; return true;
    case PARN_K_PIX_GRAY8: *l = {1, 0, 0, 0}; return true;
    default: return false;
    }
}

static inline bool frame_ok(const parn_kframe *f, int x, int y, int w, int h)
{
    return f && f->format >= PARN_K_PIX_RGB24 && f->format <= PARN_K_PIX_NV12 && w >= 0 &&
           h >= 0 && x >= 0 && y >= 0 && (int64_t)x + w <= f->width &&
           (int64_t)y + h <= f->height;
}

/* Strides (channel, row, column) of a c x h x w picture view: dims (c,) h, w after leading 1s
 * (c = 1 may be left out). False when the view is not that picture. */
static inline bool picture_strides(const parn_kview &v, int c, int h, int w, int64_t *st)
{
    if (!view_ok(v)) return false;
    int nd = v.ndim, first = 0;
    while (nd - first > 3 && v.dims[first] == 1) first++;
    if (nd - first == 3 && v.dims[first] == c && v.dims[first + 1] == h && v.dims[first + 2] == w) {
        st[0] = v.strides[first], st[1] = v.strides[first + 1], st[2] = v.strides[first + 2];
        return true;
    }
    while (nd - first > 2 && v.dims[first] == 1) first++;
    if (c == 1 && nd - first == 2 && v.dims[first] == h && v.dims[first + 1] == w) {
        st[0] = 0, st[1] = v.strides[first], st[2] = v.strides[first + 1];
        return true;
    }
    return false;
}

__device__ __forceinline__ uint8_t *luma_at(const parn_kframe &f, int x, int y)
{
    return f.planes[0] + (int64_t)y * f.strides[0] + x;
}

/* The chroma samples of block (cx, cy). */
__device__ __forceinline__ void chroma_at(const parn_kframe &f, int cx, int cy, uint8_t **u,
                                          uint8_t **v)
{
    uint8_t *p1 = f.planes[1] + (int64_t)cy * f.strides[1];
    if (f.format == PARN_K_PIX_NV12) {
        *u = p1 + 2 * (int64_t)cx, *v = *u + 1;
        return;
    }
    *u = p1 + cx;
    *v = f.planes[2] + (int64_t)cy * f.strides[2] + cx;
}

__device__ __forceinline__ float add_rn(float a, float b)
{
    return __fadd_rn(a, b);
}

__device__ __forceinline__ void yuv_to_rgb(float y, float u, float v, float *rgb)
{
    float c = mul_rn(1.164f, add_rn(y, -16.0f)), d = add_rn(u, -128.0f), e = add_rn(v, -128.0f);
    rgb[0] = add_rn(c, mul_rn(1.596f, e));
    rgb[1] = add_rn(add_rn(c, -mul_rn(0.392f, d)), -mul_rn(0.813f, e));
    rgb[2] = add_rn(c, mul_rn(2.017f, d));
}

__device__ __forceinline__ void rgb_to_yuv(const float *rgb, float *yuv)
{
    yuv[0] = add_rn(add_rn(add_rn(16.0f, mul_rn(0.257f, rgb[0])), mul_rn(0.504f, rgb[1])),
                    mul_rn(0.098f, rgb[2]));
    yuv[1] = add_rn(add_rn(add_rn(128.0f, -mul_rn(0.148f, rgb[0])), -mul_rn(0.291f, rgb[1])),
                    mul_rn(0.439f, rgb[2]));
    yuv[2] = add_rn(add_rn(add_rn(128.0f, mul_rn(0.439f, rgb[0])), -mul_rn(0.368f, rgb[1])),
                    -mul_rn(0.071f, rgb[2]));
}

__device__ __forceinline__ float luma(const float *rgb)
{
    return add_rn(add_rn(mul_rn(0.299f, rgb[0]), mul_rn(0.587f, rgb[1])), mul_rn(0.114f, rgb[2]));
}

} // namespace parnk

#endif
