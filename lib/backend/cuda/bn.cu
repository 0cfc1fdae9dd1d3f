/* SPDX-License-Identifier: MIT */
/* The batch-norm pieces cuDNN lacks: the biased variance from cuDNN's saved inverse standard
 * deviation, and the backward pass of inference mode (statistics held constant, as oneDNN's
 * use_global_stats), which cuDNN's backward (batch statistics only) does not compute.
 * Tensors are plain N x C x inner; sums in double, one block per channel (deterministic). */
#include <cuda_runtime.h>
#include <stdint.h>

namespace {

constexpr int BLOCK = 256;

__global__ void var_from_invstd(int64_t c, float eps, const float *invstd, float *var)
{
    int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    if (i >= c) return;
    double s = invstd[i];
    var[i] = (float)(1.0 / (s * s) - (double)eps);
}

__device__ double block_sum(double v, double *shared)
{
    shared[threadIdx.x] = v;
    __syncthreads();
    for (int s = BLOCK / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
        __syncthreads();
    }
    double r = shared[0];
    __syncthreads();
    return r;
}

/* One block per channel: dgamma = sum(dy (x - mean)) invstd, dbeta = sum(dy). */
__global__ void eval_bwd_params(int64_t n, int64_t c, int64_t inner, float eps, const float *x,
                                const float *dy, const float *mean, const float *var,
                                float *dgamma, float *dbeta)
{
    __shared__ double shared[BLOCK];
    int64_t ch = blockIdx.x;
    double m = mean[ch], sg = 0, sb = 0;
    for (int64_t k = threadIdx.x; k < n * inner; k += BLOCK) {
        int64_t at = (k / inner * c + ch) * inner + k % inner;
        sg += (double)dy[at] * ((double)x[at] - m);
        sb += dy[at];
    }
    sg = block_sum(sg, shared);
    sb = block_sum(sb, shared);
    if (threadIdx.x == 0) {
        dgamma[ch] = (float)(sg / sqrt((double)var[ch] + (double)eps));
        dbeta[ch] = (float)sb;
    }
}

/* dx = dy gamma invstd. */
__global__ void eval_bwd_data(int64_t total, int64_t c, int64_t inner, float eps, const float *dy,
                              const float *gamma, const float *var, float *dx)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t ch = i / inner % c;
        dx[i] = (float)((double)dy[i] * (double)gamma[ch] / sqrt((double)var[ch] + (double)eps));
    }
}

} // namespace

extern "C" cudaError_t parn_cuda_bn_var_from_invstd(cudaStream_t stream, int64_t c, float eps,
                                                    const float *invstd, float *var)
{
    var_from_invstd<<<(unsigned)((c + BLOCK - 1) / BLOCK), BLOCK, 0, stream>>>(c, eps, invstd, var);
    return cudaGetLastError();
}

extern "C" cudaError_t parn_cuda_bn_eval_bwd(cudaStream_t stream, int64_t n, int64_t c,
                                             int64_t inner, float eps, const float *x,
                                             const float *dy, const float *gamma,
                                             const float *mean, const float *var, float *dx,
                                             float *dgamma, float *dbeta)
{
    if (c > 0x7fffffff) return cudaErrorInvalidValue;
    eval_bwd_params<<<(unsigned)c, BLOCK, 0, stream>>>(n, c, inner, eps, x, dy, mean, var, dgamma,
                                                        dbeta);
    int64_t total = n * c * inner, blocks = (total + BLOCK - 1) / BLOCK;
    if (blocks > 8192) blocks = 8192;
    if (blocks < 1) blocks = 1;
    eval_bwd_data<<<(unsigned)blocks, BLOCK, 0, stream>>>(total, c, inner, eps, dy, gamma, var, dx);
    return cudaGetLastError();
}
