/* SPDX-License-Identifier: MIT */
/* CUDA kernels for what cuDNN and cuBLAS lack, behind plain C launchers (includable from .c).
 *
 * Conventions (see kernels/README.md)
 * - Tensors are float32 device pointers with a parn_kview: a logical PyTorch-order shape (up to
 *   5 dims) and element strides, exactly parn_tensor's ndim/dims/strides. Any strides work
 *   (plain, channels-last, slices with gaps, stride 0 for broadcast reads); dense tensors in the
 *   same layout take a fast path. Outputs must not overlap inputs unless a launcher says so.
 * - Enum-valued arguments take the values of the graph's enums (parn_act_kind,
 *   parn_binary_kind, parn_reduction, parn_pixel_format); PARN_K_* below mirror them.
 * - Semantics equal the CPU kernels (lib/backend/cpu/<family>.c); results match them within
 *   1e-5 relative (sums in double, reduced in a fixed order: every launcher is deterministic).
 * - Every launcher only enqueues work on `stream`: it never synchronises, allocates or prints,
 *   and returns cudaGetLastError() after its launches (cudaSuccess when there is nothing to do,
 *   cudaErrorInvalidValue for arguments it cannot run: rank > 5, unknown kind, too little
 *   workspace). Scalar upstream gradients (`dy` of a loss) are read on the device.
 * - Launchers that need scratch take (workspace, workspace_bytes) of device memory; the matching
 *   parn_k_*_workspace() gives the bytes (0: none needed, and NULL may be passed). */
#ifndef PARN_KERNELS_H
#define PARN_KERNELS_H

#include <cuda_runtime_api.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PARN_K_MAX_DIMS 5

/* A tensor's logical shape and element strides (rank 0 = scalar, one element). */
typedef struct parn_kview {
    int ndim;
    int64_t dims[PARN_K_MAX_DIMS];
    int64_t strides[PARN_K_MAX_DIMS];
} parn_kview;

/* Values of parn_binary_kind, parn_act_kind, parn_reduction (lib/graph/ops.h). */
enum { PARN_K_ADD = 0, PARN_K_SUB = 1, PARN_K_MUL = 2 };
enum { PARN_K_RELU = 0, PARN_K_LEAKY_RELU = 1, PARN_K_SIGMOID = 2, PARN_K_TANH = 3, PARN_K_CLIP = 4 };
enum { PARN_K_MEAN = 0, PARN_K_SUM = 1 };

/* ---- elementwise.cu ------------------------------------------------------------------------ */

/* y = a (+ - *) b with numpy broadcasting: a and b are right-aligned to y's rank and their
 * size-1 dims broadcast. Serves PARN_OP_BINARY (and dropout's gradient dy * mask). */
cudaError_t parn_k_binary(cudaStream_t stream, int kind, float *y, parn_kview yv, const float *a,
                          parn_kview av, const float *b, parn_kview bv);

/* y = alpha * x + beta (x has y's dims, any strides). PARN_OP_AFFINE. */
cudaError_t parn_k_affine(cudaStream_t stream, float alpha, float beta, float *y, parn_kview yv,
                          const float *x, parn_kview xv);

/* y = act(x) for every parn_act_kind (relu, leaky relu with slope alpha, sigmoid, tanh, clip to
 * [alpha, beta]); x and y may be the same memory with the same view. PARN_OP_ACT. */
cudaError_t parn_k_act_fwd(cudaStream_t stream, int kind, float alpha, float beta, float *y,
                           parn_kview yv, const float *x, parn_kview xv);

/* dx from dy and the forward output y, as oneDNN's *_use_dst_for_bwd: relu/leaky: y > 0 ? dy :
 * alpha dy (relu: 0); sigmoid dy y (1 - y); tanh dy (1 - y^2); clip: alpha < y < beta ? dy : 0.
 * PARN_OP_ACT_BWD. */
cudaError_t parn_k_act_bwd(cudaStream_t stream, int kind, float alpha, float beta, float *dx,
                           parn_kview dxv, const float *dy, parn_kview dyv, const float *y,
                           parn_kview yv);

/* The scaled keep mask of PARN_OP_DROPOUT (side output 0), bit-identical to the CPU's for the
 * same seed (one parn__rng_next of the graph's generator): total elements in logical row-major
 * order into a plain mask, each 1 / (1 - p) or 0. */
cudaError_t parn_k_dropout_mask(cudaStream_t stream, uint64_t seed, float p, int64_t total,
                                float *mask);

/* y = x * mask (all of y's dims; mask from parn_k_dropout_mask or copied from the host). */
cudaError_t parn_k_dropout_apply(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                                 parn_kview xv, const float *mask, parn_kview mv);

/* ---- reduce.cu ----------------------------------------------------------------------------- */

/* Bytes of workspace parn_k_reduce needs for x reduced over the axes mask (bit i: dim i). */
size_t parn_k_reduce_workspace(unsigned axes, parn_kview xv);

/* y = sum (or mean) of x over the axes mask; y has x's rank with 1s when keepdim, else the kept
 * dims only. Sums in double, deterministic. PARN_OP_REDUCE. */
cudaError_t parn_k_reduce(cudaStream_t stream, unsigned axes, bool mean, bool keepdim, float *y,
                          parn_kview yv, const float *x, parn_kview xv, void *workspace,
                          size_t workspace_bytes);

/* Bytes of workspace parn_k_sum_to needs. */
size_t parn_k_sum_to_workspace(parn_kview yv, parn_kview xv);

/* y = x summed down to y's dims, the gradient of broadcasting (parn_sum_to: leading dims of x
 * beyond y's rank and dims where y has 1 are summed). */
cudaError_t parn_k_sum_to(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                          parn_kview xv, void *workspace, size_t workspace_bytes);

/* y = x broadcast to y's dims (same rank; x's size-1 dims repeat). PARN_OP_EXPAND. */
cudaError_t parn_k_expand(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                          parn_kview xv);

/* ---- shape.cu ------------------------------------------------------------------------------ */

/* y = x element by element over y's dims (x has them too; strides may differ, x's may be 0).
 * The building block of concat pieces, slices and permutes, and a layout change. */
cudaError_t parn_k_copy(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                        parn_kview xv);

/* y = value over y's dims. */
cudaError_t parn_k_fill(cudaStream_t stream, float *y, parn_kview yv, float value);

/* y = concat(xs[0..n-1]) along axis (each x has y's dims but along axis). PARN_OP_CONCAT. */
cudaError_t parn_k_concat(cudaStream_t stream, int axis, float *y, parn_kview yv, int n,
                          const float *const *xs, const parn_kview *xvs);

/* y = the box of x at start (ndim entries) with y's dims. PARN_OP_SLICE. */
cudaError_t parn_k_slice(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                         parn_kview xv, const int64_t *start);

/* y = x padded by lo before each dim (hi is implied by y's dims) with value. One pass: every
 * element of y is written once. PARN_OP_PAD. */
cudaError_t parn_k_pad(cudaStream_t stream, float *y, parn_kview yv, const float *x, parn_kview xv,
                       const int64_t *lo, float value);

/* y = x reshaped: element k of y in row-major order is element k of x in row-major order,
 * whatever the strides of either (no plain copy needed). PARN_OP_RESHAPE. */
cudaError_t parn_k_reshape(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                           parn_kview xv);

/* y = x.permute(perm): y dim i is x dim perm[i]. PARN_OP_PERMUTE. */
cudaError_t parn_k_permute(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                           parn_kview xv, const int *perm);

/* ---- convert.cu ---------------------------------------------------------------------------- */

/* Element types of reduced-precision buffers (16-bit words in device memory). */
enum { PARN_K_F16 = 1, PARN_K_BF16 = 2 };

/* y (16-bit elements of kind PARN_K_F16 / PARN_K_BF16, y's strides in elements) = x rounded to
 * nearest, ties to even (as __float2half_rn / __float2bfloat16_rn), over y's dims; x has them
 * too, any strides on both sides (e.g. plain fp32 into channels-last half). */
cudaError_t parn_k_to_half(cudaStream_t stream, int kind, void *y, parn_kview yv, const float *x,
                           parn_kview xv);

/* y = x (16-bit elements of kind) widened to fp32 (exact), any strides on both sides. */
cudaError_t parn_k_from_half(cudaStream_t stream, int kind, float *y, parn_kview yv,
                             const void *x, parn_kview xv);

/* ---- resize.cu ----------------------------------------------------------------------------- */

/* Bilinear resize of N x C x H x W x to y's H and W (PyTorch's upsample_bilinear2d, both
 * align_corners). PARN_OP_RESIZE. */
cudaError_t parn_k_resize_fwd(cudaStream_t stream, bool align_corners, float *y, parn_kview yv,
                              const float *x, parn_kview xv);

/* Its adjoint: dx (N x C x H x W) from dy (N x C x OH x OW). Gathers (no atomics), in the CPU's
 * summation order, so it is deterministic. PARN_OP_RESIZE_BWD. */
cudaError_t parn_k_resize_bwd(cudaStream_t stream, bool align_corners, float *dx, parn_kview dxv,
                              const float *dy, parn_kview dyv);

/* ---- losses.cu ----------------------------------------------------------------------------- */
/* Scalar losses write out[0] (device); reduction is PARN_K_MEAN or PARN_K_SUM. Their backward
 * launchers read the upstream gradient from dy[0] (device) and write the gradient of src
 * `which` (0: x / logits / a, 1: target / b) with the view of the output. */

/* Bytes of workspace a loss forward over `count` elements (rows for cross-entropy) needs. */
size_t parn_k_loss_workspace(int64_t count);

/* Cross-entropy of N x C logits against labels (N floats holding class indices). A label that
 * is not an integer in [0, C) sets *bad_label = 1 (when bad_label is not NULL; the caller
 * clears it and checks it once results leave the device) and makes the loss NaN.
 * PARN_OP_CROSS_ENTROPY. */
cudaError_t parn_k_cross_entropy_fwd(cudaStream_t stream, int reduction, float *out,
                                     const float *logits, parn_kview lv, const float *labels,
                                     parn_kview labv, int *bad_label, void *workspace,
                                     size_t workspace_bytes);

/* dlogits = dy * scale * (softmax(logits) - onehot(label)); bad labels as above (NaN rows).
 * PARN_OP_CROSS_ENTROPY_BWD. */
cudaError_t parn_k_cross_entropy_bwd(cudaStream_t stream, int reduction, float *dx,
                                     parn_kview dxv, const float *dy, const float *logits,
                                     parn_kview lv, const float *labels, parn_kview labv,
                                     int *bad_label);

/* Binary cross-entropy on logits x against target t (same dims). PARN_OP_BCE_LOGITS. */
cudaError_t parn_k_bce_logits_fwd(cudaStream_t stream, int reduction, float *out, const float *x,
                                  parn_kview xv, const float *t, parn_kview tv, void *workspace,
                                  size_t workspace_bytes);

/* which 0: dy scale (sigmoid(x) - t); 1: -dy scale x. PARN_OP_BCE_LOGITS_BWD. */
cudaError_t parn_k_bce_logits_bwd(cudaStream_t stream, int reduction, int which, float *d,
                                  parn_kview dv, const float *dy, const float *x, parn_kview xv,
                                  const float *t, parn_kview tv);

/* L1 (l1) or squared-error loss of x against t (same dims). PARN_OP_DIST_LOSS. */
cudaError_t parn_k_dist_loss_fwd(cudaStream_t stream, int reduction, bool l1, float *out,
                                 const float *x, parn_kview xv, const float *t, parn_kview tv,
                                 void *workspace, size_t workspace_bytes);

/* dy scale sign(x - t) (L1) or 2 (x - t) (L2); negated for which = 1. PARN_OP_DIST_LOSS_BWD. */
cudaError_t parn_k_dist_loss_bwd(cudaStream_t stream, int reduction, bool l1, int which, float *d,
                                 parn_kview dv, const float *dy, const float *x, parn_kview xv,
                                 const float *t, parn_kview tv);

/* y[i] = cosine similarity of rows i of a and b (N x D), norms clamped to eps as PyTorch 1.13.
 * PARN_OP_COSINE. */
cudaError_t parn_k_cosine_fwd(cudaStream_t stream, float eps, float *y, parn_kview yv,
                              const float *a, parn_kview av, const float *b, parn_kview bv);

/* Gradient of a (which 0) or b (1) from dy (N, device). PARN_OP_COSINE_BWD. */
cudaError_t parn_k_cosine_bwd(cudaStream_t stream, float eps, int which, float *d, parn_kview dv,
                              const float *dy, parn_kview dyv, const float *a, parn_kview av,
                              const float *b, parn_kview bv);

/* ---- ssim.cu ------------------------------------------------------------------------------- */

/* Bytes of workspace SSIM of N x C x H x W images with a window x window Gaussian needs
 * (forward and backward alike). */
size_t parn_k_ssim_workspace(parn_kview xv, int window);

/* out[0] = mean SSIM of x and y (lib/backend/cpu/loss_ssim.c: 'valid' separable Gaussian window
 * of odd size `window` and sigma, constants c1 and c2). PARN_OP_SSIM. */
cudaError_t parn_k_ssim_fwd(cudaStream_t stream, int window, float sigma, float c1, float c2,
                            float *out, const float *x, parn_kview xv, const float *y,
                            parn_kview yv, void *workspace, size_t workspace_bytes);

/* Gradient of mean SSIM times dy[0] with respect to x (which 0) or y (1). PARN_OP_SSIM_BWD. */
cudaError_t parn_k_ssim_bwd(cudaStream_t stream, int window, float sigma, float c1, float c2,
                            int which, float *d, parn_kview dv, const float *dy, const float *x,
                            parn_kview xv, const float *y, parn_kview yv, void *workspace,
                            size_t workspace_bytes);

/* ---- pixels.cu and blend.cu: frames in device memory ----------------------------------------- */

/* Values of parn_pixel_format (include/parn.h). */
enum {
    PARN_K_PIX_RGB24 = 1,
    PARN_K_PIX_BGR24 = 2,
    PARN_K_PIX_RGBA = 3,
    PARN_K_PIX_GRAY8 = 4,
    PARN_K_PIX_YUV420P = 5,
    PARN_K_PIX_NV12 = 6
};

/* A frame in device memory: format, size, and each plane's first byte and bytes per row
 * (YUV420P: Y, U, V; NV12: Y, interleaved UV; packed formats: plane 0 only). */
typedef struct parn_kframe {
    int format;
    int width, height;
    uint8_t *planes[3];
    int64_t strides[3];
} parn_kframe;

/* The w x h rectangle at (x, y) of the frame as float RGB in [0, 255], then
 * dst[c] = (value - sub[c]) * mul[c]; dst has dims 3 x h x w (or 1 x 3 x h x w) with any
 * strides (planar NCHW, or interleaved with strides {1, 3w, 3}). Packed formats read their bytes
 * (GRAY8 repeats luma); YUV takes its 2x2 block's chroma sample (nearest, not libswscale's
 * interpolation) with BT.601 limited-range coefficients as parn_patch_read (lib/pipeline/
 * blend.c), unclamped, or with round_bytes rounded and clamped to [0, 255] like an RGB24 frame.
 * Feeds network inputs (detector, clips) and the anonymizer's patch read. */
cudaError_t parn_k_frame_to_rgb(cudaStream_t stream, const parn_kframe *frame, int x, int y, int w,
                                int h, bool round_bytes, float *dst, parn_kview dv,
                                const float sub[3], const float mul[3]);

/* RGB24 bytes (w x h, row stride dst_stride) from float RGB src (3 x h x w or 1 x 3 x h x w,
 * any strides): byte = round(src * scale) clamped to [0, 255]. */
cudaError_t parn_k_rgb_to_rgb24(cudaStream_t stream, uint8_t *dst, int64_t dst_stride, int w,
                                int h, const float *src, parn_kview sv, float scale);

/* Blends a generated patch (RGB in [0, 255]; 3 x h x w or 1 x 3 x h x w, any strides) into the
 * w x h rectangle at (x, y) of the frame under alpha (h x w in [0, 1], any strides), exactly as
 * parn_patch_blend (lib/pipeline/blend.c): out = frame + alpha (patch - frame), rounded; alpha
 * <= 0 keeps the bytes; GRAY8 takes the patch's luma; YUV blends luma per pixel and each chroma
 * sample by its 2x2 block's mean alpha-weighted change. The rectangle must lie in the frame. */
cudaError_t parn_k_patch_blend(cudaStream_t stream, const parn_kframe *frame, int x, int y, int w,
                               int h, const float *patch, parn_kview pv, const float *alpha,
                               parn_kview av);

#ifdef __cplusplus
}
#endif

#endif
