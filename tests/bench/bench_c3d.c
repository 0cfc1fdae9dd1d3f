/* SPDX-License-Identifier: MIT */
/* C3D forward on the CPU backend (the paper's 5-conv variant, random weights), in ms/clip.
 * Usage: bench_c3d [--threads T] [--batch B] [--iters N] [--classes K] */
#include "backend/backend.h"

#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct params {
    float *data[32];
    int n;
} params;

static int param(parn_graph *g, params *p, int ndim, const int64_t *dims, float scale)
{
    int id = parn_graph_param(g, "p", ndim, dims);
    float *d = bench_random(bench_numel(ndim, dims), scale, 0.5f);
    parn_graph_bind(g, id, d);
    p->data[p->n++] = d;
    return id;
}

static int conv_relu(parn_graph *g, params *p, int x, int64_t ic, int64_t oc)
{
    parn_conv_attrs a = parn_conv_attrs_default(3);
    for (int i = 0; i < 3; i++) a.pad_lo[i] = a.pad_hi[i] = 1;
    int w = param(g, p, 5, (int64_t[]){oc, ic, 3, 3, 3}, 0.1f);
    int b = param(g, p, 1, (int64_t[]){oc}, 0.1f);
    return parn_relu(g, parn_conv(g, x, w, b, &a));
}

static int pool(parn_graph *g, int x, int kd)
{
    parn_pool_attrs a = parn_pool_attrs_default(3, true, 2);
    a.kernel[0] = a.stride[0] = kd;
    return parn_pool(g, x, &a);
}

static int fc(parn_graph *g, params *p, int x, int64_t in, int64_t out, int relu)
{
    int w = param(g, p, 2, (int64_t[]){out, in}, 0.02f);
    int b = param(g, p, 1, (int64_t[]){out}, 0.02f);
    int y = parn_linear(g, x, w, b);
    return relu ? parn_relu(g, y) : y;
}

int main(int argc, char **argv)
{
    int threads = 2, batch = 1, iters = 10, classes = 101;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--iters")) iters = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--classes")) classes = atoi(argv[i + 1]);
    }
    parn_graph *g = parn_graph_create();
    params p = {0};
    int64_t in_dims[] = {batch, 3, 16, 112, 112};
    int x = parn_graph_input(g, "clip", 5, in_dims);
    int64_t chans[] = {3, 64, 128, 256, 256, 256};
    int y = x;
    for (int l = 0; l < 5; l++) y = pool(g, conv_relu(g, &p, y, chans[l], chans[l + 1]), l == 0 ? 1 : 2);
    y = parn_reshape(g, y, 2, (int64_t[]){batch, 256 * 1 * 3 * 3});
    y = fc(g, &p, y, 2304, 2048, 1);
    y = fc(g, &p, y, 2048, 2048, 1);
    y = parn_softmax(g, fc(g, &p, y, 2048, classes, 0), 1, false);
    parn_graph_keep(g, y);
    float *clip = bench_random(bench_numel(5, in_dims), 1.0f, 0.0f);
    parn_graph_bind(g, x, clip);

    parn_backend_ctx *ctx;
    const parn_backend *be = parn_backend_cpu();
    if (parn_graph_status(g) != PARN_OK || be->ctx_create(0, threads, &ctx) != PARN_OK) {
        fprintf(stderr, "bench_c3d: %s\n", parn_graph_status(g) ? parn_graph_error(g) : parn_last_error(NULL));
        return 1;
    }
    /* two warm-up runs create and cache the primitives */
    double ms;
    if (!bench_median_ms(bench_run_graph, &(bench_graph_run){g, be, ctx}, 2, iters, &ms)) {
        fprintf(stderr, "bench_c3d: %s\n", parn_last_error(NULL));
        return 1;
    }
    printf("libparn C3D forward: batch %d, %d threads: %.1f ms/clip (median of %d)\n", batch,
           threads, ms / batch, iters);
    parn_graph_destroy(g);
    be->ctx_destroy(ctx);
    for (int i = 0; i < p.n; i++) free(p.data[i]);
    free(clip);
    return 0;
}
