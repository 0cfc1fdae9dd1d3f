/* SPDX-License-Identifier: MIT */
/* Alpha-blending of a generated patch into a device frame under a coverage map, exactly as
 * parn_patch_blend (lib/pipeline/blend.c), roundings included: packed formats per pixel, YUV
 * 4:2:0 per chroma block (one thread per 2x2 block owns its luma bytes and its chroma pair, so
 * no two threads write the same byte). */
#include "frame.cuh"

using namespace parnk;

namespace {

struct blend_args {
    parn_kframe f;
    int x, y, w, h;
    const float *patch, *alpha;
    int64_t ps[3], as[3]; /* (channel,) row, column strides */
};

__device__ __forceinline__ float alpha_at(const blend_args &a, int i, int j)
{
    return a.alpha[j * a.as[1] + i * a.as[2]];
}

__device__ __forceinline__ void patch_at(const blend_args &a, int i, int j, float *rgb)
{
    const float *s = a.patch + j * a.ps[1] + i * a.ps[2];
    for (int c = 0; c < 3; c++) rgb[c] = s[c * a.ps[0]];
}

/* frame + alpha (target - frame), rounded to a byte. */
__device__ __forceinline__ uint8_t mix(uint8_t frame, float alpha, float target)
{
    float f = frame;
    return to_byte(add_rn(f, mul_rn(alpha, add_rn(target, -f))));
}

__global__ void packed_kernel(blend_args a, packed_layout l)
{
    int64_t n = (int64_t)a.w * a.h, step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < n; k += step) {
        int i = (int)(k % a.w), j = (int)(k / a.w);
        float al = alpha_at(a, i, j), s[3];
        if (al <= 0.0f) continue;
        patch_at(a, i, j, s);
        uint8_t *p = a.f.planes[0] + (int64_t)(a.y + j) * a.f.strides[0] + (int64_t)(a.x + i) * l.bpp;
        if (l.bpp == 1) {
            p[0] = mix(p[0], al, luma(s));
            continue;
        }
        p[l.r] = mix(p[l.r], al, s[0]);
        p[l.g] = mix(p[l.g], al, s[1]);
        p[l.b] = mix(p[l.b], al, s[2]);
    }
}

/* Luma per pixel; the block's chroma moves by the mean, over its pixels in the frame, of alpha
 * times the change (pixels outside the rectangle count as 0). */
__global__ void yuv_kernel(blend_args a, int bx0, int by0, int bw, int bh)
{
    int64_t n = (int64_t)bw * bh, step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < n; k += step) {
        int bx = bx0 + (int)(k % bw), by = by0 + (int)(k / bw);
        uint8_t *u, *v;
        chroma_at(a.f, bx, by, &u, &v);
        float du = 0, dv = 0, uf = *u, vf = *v;
        int inside = 0;
        bool covered = false;
        for (int py = 2 * by; py < 2 * by + 2 && py < a.f.height; py++)
            for (int px = 2 * bx; px < 2 * bx + 2 && px < a.f.width; px++) {
                inside++;
                int i = px - a.x, j = py - a.y;
                if (i < 0 || j < 0 || i >= a.w || j >= a.h) continue;
                float al = alpha_at(a, i, j);
                if (al <= 0.0f) continue;
                float rgb[3], yuv[3];
                patch_at(a, i, j, rgb);
                rgb_to_yuv(rgb, yuv);
                uint8_t *l = luma_at(a.f, px, py);
                *l = mix(*l, al, yuv[0]);
                du = add_rn(du, mul_rn(al, add_rn(yuv[1], -uf)));
                dv = add_rn(dv, mul_rn(al, add_rn(yuv[2], -vf)));
                covered = true;
            }
        if (!covered) continue;
        *u = to_byte(add_rn(uf, __fdiv_rn(du, (float)inside)));
        *v = to_byte(add_rn(vf, __fdiv_rn(dv, (float)inside)));
    }
}

} // namespace

cudaError_t parn_k_patch_blend(cudaStream_t stream, const parn_kframe *frame, int x, int y, int w,
                               int h, const float *patch, parn_kview pv, const float *alpha,
                               parn_kview av)
{
    blend_args a;
    if (!frame_ok(frame, x, y, w, h) || !picture_strides(pv, 3, h, w, a.ps) ||
        !picture_strides(av, 1, h, w, a.as))
        return cudaErrorInvalidValue;
    if ((int64_t)w * h == 0) return cudaSuccess;
    a.f = *frame;
    a.x = x, a.y = y, a.w = w, a.h = h;
    a.patch = patch;
    a.alpha = alpha;
    packed_layout l;
    if (packed(frame->format, &l)) {
        PARNK_LAUNCH(grid_for((int64_t)w * h), BLOCK, stream, packed_kernel)(a, l);
        return launched();
    }
    int bx0 = x / 2, bx1 = (x + w - 1) / 2, by0 = y / 2, by1 = (y + h - 1) / 2;
    int bw = bx1 - bx0 + 1, bh = by1 - by0 + 1;
    PARNK_LAUNCH(grid_for((int64_t)bw * bh), BLOCK, stream, yuv_kernel)(a, bx0, by0, bw, bh);
    return launched();
}
