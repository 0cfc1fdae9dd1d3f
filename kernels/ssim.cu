/* SPDX-License-Identifier: MIT */
/* SSIM and its exact gradient as lib/backend/cpu/loss_ssim.c: five local statistics of each
 * N x C plane through a separable 'valid' Gaussian filter (horizontal pass into the workspace,
 * then the vertical pass fused with the per-pixel SSIM or its sensitivities), and for the
 * gradient the filter's adjoint (vertical, then horizontal fused with the combination). Filter
 * sums run in float in the CPU's order and roundings; per-pixel terms in double; the mean is a
 * deterministic two-pass sum.
 *
 * Workspace (each part 256-byte aligned): the window's taps (k floats), the horizontal pass
 * (planes x 5 x H x Wo floats; the backward pass reuses its first 3 maps for the vertical
 * adjoint), the sensitivity maps (planes x 3 x Ho x Wo floats), the partial sums (doubles). */
#include "common.cuh"

using namespace parnk;

namespace {

enum { MU_X, MU_Y, E_XX, E_YY, E_XY, N_STATS };
enum { D_MU, D_SQ, D_XY, N_MAPS };

/* The geometry of a run and where its buffers lie. */
struct geom {
    int64_t planes, c, h, w, ho, wo;
    int k;
    const float *x, *y;
    int64_t xs[4], ys[4];
    float *taps, *hor, *maps;
    double *partial;
};

size_t align256(size_t bytes)
{
    return (bytes + 255) & ~(size_t)255;
}

/* Byte offsets of the parts; returns the total. */
size_t layout(int64_t planes, int64_t h, int64_t w, int k, size_t *hor, size_t *maps,
              size_t *partial)
{
    int64_t ho = h - k + 1, wo = w - k + 1;
    *hor = align256((size_t)k * sizeof(float));
    *maps = *hor + align256((size_t)(planes * N_STATS * h * wo) * sizeof(float));
    *partial = *maps + align256((size_t)(planes * N_MAPS * ho * wo) * sizeof(float));
    return *partial + (size_t)MAX_PARTIALS * sizeof(double);
}

bool geom_of(int k, float sigma, float c1, float c2, const float *x, const parn_kview &xv,
             const float *y, const parn_kview &yv, void *ws, size_t ws_bytes, geom *g)
{
    if (xv.ndim != 4 || !view_ok(xv) || !same_dims(xv, yv) || k < 1 || k % 2 == 0 ||
        !(sigma > 0.0f) || !(c1 > 0.0f) || !(c2 > 0.0f) || xv.dims[2] < k || xv.dims[3] < k || !ws)
        return false;
    g->planes = xv.dims[0] * xv.dims[1];
    g->c = xv.dims[1];
    g->h = xv.dims[2];
    g->w = xv.dims[3];
    g->k = k;
    g->ho = g->h - k + 1;
    g->wo = g->w - k + 1;
    g->x = x;
    g->y = y;
    for (int i = 0; i < 4; i++) g->xs[i] = xv.strides[i], g->ys[i] = yv.strides[i];
    size_t hor, maps, partial;
    if (ws_bytes < layout(g->planes, g->h, g->w, k, &hor, &maps, &partial)) return false;
    char *base = (char *)ws;
    g->taps = (float *)base;
    g->hor = (float *)(base + hor);
    g->maps = (float *)(base + maps);
    g->partial = (double *)(void *)(base + partial);
    return true;
}

/* The normalised Gaussian window of pytorch-msssim / Wang et al., in double, as the CPU. */
__global__ void taps_kernel(int k, double sigma, float *taps)
{
    for (int i = threadIdx.x; i < k; i += blockDim.x) {
        double sum = 0, mine = 0;
        for (int j = 0; j < k; j++) {
            double d = j - k / 2, gj = exp(-d * d / (2 * sigma * sigma));
            sum += gj;
            if (j == i) mine = gj;
        }
        taps[i] = (float)(mine / sum);
    }
}

__device__ __forceinline__ const float *plane_of(const float *t, const int64_t *s, int64_t p,
                                                 int64_t c)
{
    return t + p / c * s[0] + p % c * s[1];
}

/* hor[plane][m][r][j] = sum_t g_t * f_m(x[r][j + t], y[r][j + t]). */
__global__ void horizontal_kernel(geom g)
{
    int64_t n = g.planes * g.h * g.wo, step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += step) {
        int64_t j = i % g.wo, r = i / g.wo % g.h, p = i / (g.wo * g.h);
        const float *xr = plane_of(g.x, g.xs, p, g.c) + r * g.xs[2] + j * g.xs[3];
        const float *yr = plane_of(g.y, g.ys, p, g.c) + r * g.ys[2] + j * g.ys[3];
        float mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
        for (int t = 0; t < g.k; t++) {
            float gt = g.taps[t], xv = xr[t * g.xs[3]], yv = yr[t * g.ys[3]];
            mx = mad_rn(mx, gt, xv);
            my = mad_rn(my, gt, yv);
            xx = mad_rn(xx, mul_rn(gt, xv), xv);
            yy = mad_rn(yy, mul_rn(gt, yv), yv);
            xy = mad_rn(xy, mul_rn(gt, xv), yv);
        }
        float *o = g.hor + (p * N_STATS * g.h + r) * g.wo + j;
        int64_t ms = g.h * g.wo;
        o[MU_X * ms] = mx, o[MU_Y * ms] = my, o[E_XX * ms] = xx, o[E_YY * ms] = yy, o[E_XY * ms] = xy;
    }
}

/* The five statistics of output pixel (i, j) of plane p: the vertical pass. */
__device__ void stats_at(const geom &g, int64_t p, int64_t i, int64_t j, double *s)
{
    int64_t ms = g.h * g.wo;
    const float *src = g.hor + (p * N_STATS * g.h + i) * g.wo + j;
    for (int m = 0; m < N_STATS; m++) {
        float o = 0;
        for (int t = 0; t < g.k; t++) o = mad_rn(o, g.taps[t], src[m * ms + t * g.wo]);
        s[m] = o;
    }
}

/* SSIM = (a1 a2) / (b1 b2). */
struct terms {
    double a1, a2, b1, b2;
};

__device__ terms terms_of(const double *s, double c1, double c2)
{
    double mx = s[MU_X], my = s[MU_Y];
    double vx = s[E_XX] - mx * mx, vy = s[E_YY] - my * my, cxy = s[E_XY] - mx * my;
    return {2 * mx * my + c1, 2 * cxy + c2, mx * mx + my * my + c1, vx + vy + c2};
}

__global__ void ssim_sum_kernel(geom g, double c1, double c2)
{
    int64_t n = g.planes * g.ho * g.wo, step = (int64_t)blockDim.x * gridDim.x;
    double sum = 0;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += step) {
        double s[N_STATS];
        stats_at(g, i / (g.ho * g.wo), i / g.wo % g.ho, i % g.wo, s);
        terms t = terms_of(s, c1, c2);
        sum += t.a1 * t.a2 / (t.b1 * t.b2);
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) g.partial[blockIdx.x] = sum;
}

/* maps[plane][D_*][i][j]: dL/d(statistic) of input `which`, scaled by dy[0] / count. */
__global__ void sensitivities_kernel(geom g, double c1, double c2, int which, const float *dy)
{
    int64_t n = g.planes * g.ho * g.wo, step = (int64_t)blockDim.x * gridDim.x;
    double gs = (double)dy[0] / (double)n;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += step) {
        int64_t p = i / (g.ho * g.wo), q = i % (g.ho * g.wo);
        double s[N_STATS];
        stats_at(g, p, q / g.wo, q % g.wo, s);
        terms t = terms_of(s, c1, c2);
        double m = s[which ? MU_Y : MU_X], o = s[which ? MU_X : MU_Y];
        double d = t.b1 * t.b2, v = t.a1 * t.a2 / d;
        float *out = g.maps + p * N_MAPS * g.ho * g.wo + q;
        int64_t ms = g.ho * g.wo;
        out[D_MU * ms] = (float)(gs * (2 * o * (t.a2 - t.a1) / d - 2 * m * v * (1 / t.b1 - 1 / t.b2)));
        out[D_SQ * ms] = (float)(gs * (-v / t.b2));
        out[D_XY * ms] = (float)(gs * (2 * t.a1 / d));
    }
}

/* The vertical pass's adjoint, into hor's first N_MAPS maps: for row r, the outputs i with
 * i <= r < i + k, in increasing i (the CPU's order). */
__global__ void adjoint_vertical_kernel(geom g)
{
    int64_t n = g.planes * g.h * g.wo, step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += step) {
        int64_t j = idx % g.wo, r = idx / g.wo % g.h, p = idx / (g.wo * g.h);
        int64_t first = r - g.k + 1 > 0 ? r - g.k + 1 : 0, last = r < g.ho - 1 ? r : g.ho - 1;
        const float *src = g.maps + p * N_MAPS * g.ho * g.wo + j;
        float *dst = g.hor + (p * N_STATS * g.h + r) * g.wo + j;
        for (int m = 0; m < N_MAPS; m++) {
            float acc = 0;
            for (int64_t i = first; i <= last; i++)
                acc = mad_rn(acc, g.taps[r - i], src[m * g.ho * g.wo + i * g.wo]);
            dst[m * g.h * g.wo] = acc;
        }
    }
}

/* The horizontal adjoint (column c gathers j = c - t in increasing t, the CPU's order),
 * combined: d = F'(D_MU) + 2 self F'(D_SQ) + other F'(D_XY). */
__global__ void gradient_kernel(geom g, int which, float *d, parn_kview dv)
{
    int64_t n = g.planes * g.h * g.w, step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; idx < n; idx += step) {
        int64_t c = idx % g.w, r = idx / g.w % g.h, p = idx / (g.w * g.h);
        const float *src = g.hor + (p * N_STATS * g.h + r) * g.wo;
        float f[N_MAPS];
        for (int m = 0; m < N_MAPS; m++) {
            float acc = 0;
            for (int t = 0; t < g.k; t++) {
                int64_t j = c - t;
                if (j >= 0 && j < g.wo) acc = mad_rn(acc, g.taps[t], src[m * g.h * g.wo + j]);
            }
            f[m] = acc;
        }
        float xv = plane_of(g.x, g.xs, p, g.c)[r * g.xs[2] + c * g.xs[3]];
        float yv = plane_of(g.y, g.ys, p, g.c)[r * g.ys[2] + c * g.ys[3]];
        float self = which ? yv : xv, other = which ? xv : yv;
        float v = __fadd_rn(__fadd_rn(f[D_MU], mul_rn(mul_rn(2.0f, self), f[D_SQ])),
                            mul_rn(other, f[D_XY]));
        d[p / g.c * dv.strides[0] + p % g.c * dv.strides[1] + r * dv.strides[2] +
          c * dv.strides[3]] = v;
    }
}

/* Taps, then the horizontal pass. */
void filter_inputs(cudaStream_t s, const geom &g, float sigma)
{
    PARNK_LAUNCH(1, 64, s, taps_kernel)(g.k, (double)sigma, g.taps);
    PARNK_LAUNCH(grid_for(g.planes * g.h * g.wo), BLOCK, s, horizontal_kernel)(g);
}

} // namespace

size_t parn_k_ssim_workspace(parn_kview xv, int window)
{
    if (xv.ndim != 4 || !view_ok(xv) || window < 1 || xv.dims[2] < window || xv.dims[3] < window)
        return 0;
    size_t hor, maps, partial;
    return layout(xv.dims[0] * xv.dims[1], xv.dims[2], xv.dims[3], window, &hor, &maps, &partial);
}

cudaError_t parn_k_ssim_fwd(cudaStream_t stream, int window, float sigma, float c1, float c2,
                            float *out, const float *x, parn_kview xv, const float *y,
                            parn_kview yv, void *workspace, size_t workspace_bytes)
{
    geom g;
    if (!geom_of(window, sigma, c1, c2, x, xv, y, yv, workspace, workspace_bytes, &g))
        return cudaErrorInvalidValue;
    int64_t count = g.planes * g.ho * g.wo, blocks = partials_for(count);
    if (count == 0) return cudaSuccess;
    filter_inputs(stream, g, sigma);
    PARNK_LAUNCH((unsigned)blocks, BLOCK, stream, ssim_sum_kernel)(g, (double)c1, (double)c2);
    PARNK_LAUNCH(1, BLOCK, stream, finish_kernel)(g.partial, blocks, (double)count, out);
    return launched();
}

cudaError_t parn_k_ssim_bwd(cudaStream_t stream, int window, float sigma, float c1, float c2,
                            int which, float *d, parn_kview dv, const float *dy, const float *x,
                            parn_kview xv, const float *y, parn_kview yv, void *workspace,
                            size_t workspace_bytes)
{
    geom g;
    if (!geom_of(window, sigma, c1, c2, x, xv, y, yv, workspace, workspace_bytes, &g) ||
        (which != 0 && which != 1) || !same_dims(dv, xv))
        return cudaErrorInvalidValue;
    if (g.planes == 0) return cudaSuccess;
    filter_inputs(stream, g, sigma);
    PARNK_LAUNCH(grid_for(g.planes * g.ho * g.wo), BLOCK, stream, sensitivities_kernel)(
        g, (double)c1, (double)c2, which, dy);
    PARNK_LAUNCH(grid_for(g.planes * g.h * g.wo), BLOCK, stream, adjoint_vertical_kernel)(g);
    PARNK_LAUNCH(grid_for(g.planes * g.h * g.w), BLOCK, stream, gradient_kernel)(g, which, d, dv);
    return launched();
}
