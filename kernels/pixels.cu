/* SPDX-License-Identifier: MIT */
/* Pixel-format conversion of device frames: a rectangle of any format to float RGB (planar or
 * interleaved, scaled per channel), and float RGB back to RGB24 bytes. */
#include "frame.cuh"

using namespace parnk;

namespace {

struct to_rgb_args {
    parn_kframe f;
    int x, y, w, h;
    bool round_bytes;
    float *dst;
    int64_t ds[3]; /* channel, row, column strides of dst */
    float sub[3], mul[3];
};

__global__ void to_rgb_kernel(to_rgb_args a)
{
    int64_t n = (int64_t)a.w * a.h, step = (int64_t)blockDim.x * gridDim.x;
    packed_layout l;
    bool is_packed = packed(a.f.format, &l);
    for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < n; k += step) {
        int i = (int)(k % a.w), j = (int)(k / a.w), px = a.x + i, py = a.y + j;
        float rgb[3];
        if (is_packed) {
            const uint8_t *p = a.f.planes[0] + (int64_t)py * a.f.strides[0] + (int64_t)px * l.bpp;
            rgb[0] = p[l.r], rgb[1] = p[l.g], rgb[2] = p[l.b];
        } else {
            uint8_t *u, *v;
            chroma_at(a.f, px / 2, py / 2, &u, &v);
            yuv_to_rgb(*luma_at(a.f, px, py), *u, *v, rgb);
            if (a.round_bytes)
                for (int c = 0; c < 3; c++) rgb[c] = to_byte(rgb[c]);
        }
        float *o = a.dst + j * a.ds[1] + i * a.ds[2];
        for (int c = 0; c < 3; c++) o[c * a.ds[0]] = mul_rn(add_rn(rgb[c], -a.sub[c]), a.mul[c]);
    }
}

__global__ void to_rgb24_kernel(uint8_t *dst, int64_t dst_stride, int w, int h, const float *src,
                                int64_t s0, int64_t s1, int64_t s2, float scale)
{
    int64_t n = (int64_t)w * h, step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < n; k += step) {
        int64_t i = k % w, j = k / w;
        const float *s = src + j * s1 + i * s2;
        uint8_t *d = dst + j * dst_stride + 3 * i;
        for (int c = 0; c < 3; c++) d[c] = to_byte(mul_rn(s[c * s0], scale));
    }
}

} // namespace

cudaError_t parn_k_frame_to_rgb(cudaStream_t stream, const parn_kframe *frame, int x, int y, int w,
                                int h, bool round_bytes, float *dst, parn_kview dv,
                                const float sub[3], const float mul[3])
{
    to_rgb_args a;
    if (!frame_ok(frame, x, y, w, h) || !sub || !mul || !picture_strides(dv, 3, h, w, a.ds))
        return cudaErrorInvalidValue;
    if ((int64_t)w * h == 0) return cudaSuccess;
    a.f = *frame;
    a.x = x, a.y = y, a.w = w, a.h = h;
    a.round_bytes = round_bytes;
    a.dst = dst;
    for (int c = 0; c < 3; c++) a.sub[c] = sub[c], a.mul[c] = mul[c];
    PARNK_LAUNCH(grid_for((int64_t)w * h), BLOCK, stream, to_rgb_kernel)(a);
    return launched();
}

cudaError_t parn_k_rgb_to_rgb24(cudaStream_t stream, uint8_t *dst, int64_t dst_stride, int w,
                                int h, const float *src, parn_kview sv, float scale)
{
    int64_t st[3];
    if (w < 0 || h < 0 || dst_stride < 3 * (int64_t)w || !picture_strides(sv, 3, h, w, st))
        return cudaErrorInvalidValue;
    if ((int64_t)w * h == 0) return cudaSuccess;
    PARNK_LAUNCH(grid_for((int64_t)w * h), BLOCK, stream, to_rgb24_kernel)(
        dst, dst_stride, w, h, src, st[0], st[1], st[2], scale);
    return launched();
}
