/* SPDX-License-Identifier: MIT */
/* Forward time of the PARN networks at their default sizes on the CPU backend (fresh random
 * weights, eval mode), median per item: C3D alone (the baseline of the FEM's cost) and FEM + C3D
 * per 16 x 112 x 112 clip, the generator per 128 x 128 face (batch 1 and 8), the discriminator
 * per clip of 4 crops. One line per network, "libparn <label>: <ms> ms", paired with
 * networks_torch.py's "PyTorch <label>: <ms> ms" by run.sh.
 * Usage: bench_networks [--threads T] [--iters N] */
#include "backend/backend.h"
#include "models/model.h"

#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUTS 4

/* One benchmark: a graph whose inputs hold random data, run warm then timed. */
typedef struct bench {
    parn_graph *g;
    parn_net net, fem;
    float *data[MAX_INPUTS];
    int n_inputs;
} bench;

static int random_input(bench *b, const char *name, int ndim, const int64_t *dims)
{
    int id = parn_graph_input(b->g, name, ndim, dims);
    float *d = bench_random(bench_numel(ndim, dims), 1.0f, 0.0f);
    parn_graph_bind(b->g, id, d);
    b->data[b->n_inputs++] = d;
    return id;
}

static parn_model_t *create_model(const char *networks)
{
    parn_options_t *o = NULL;
    parn_model_t *m = NULL;
    if (parn_options_create(&o) != PARN_OK) return NULL;
    parn_options_set_string(o, PARN_OPT_NETWORKS, networks);
    parn_options_set_int(o, PARN_OPT_SEED, 1);
    if (parn_model_create(o, &m) != PARN_OK) m = NULL;
    parn_options_destroy(o);
    return m;
}

static void skipped(const char *label, const char *why)
{
    printf("libparn %s: skipped (%s)\n", label, why);
}

/* Inference nets on m: eval mode, weights without gradients; false (the benchmark skipped)
 * without a model. */
static bool start(bench *b, parn_model_t *m, const char *prefix, const char *label)
{
    if (!m) {
        skipped(label, parn_last_error(NULL));
        return false;
    }
    memset(b, 0, sizeof *b);
    b->g = parn_graph_create();
    b->net = parn_net_make(b->g, m, prefix, false);
    b->fem = parn_net_make(b->g, m, "fem.", false);
    b->net.frozen = b->fem.frozen = true;
    return true;
}

static void finish(bench *b)
{
    parn_net_release(&b->net);
    parn_net_release(&b->fem);
    parn_graph_destroy(b->g);
    for (int i = 0; i < b->n_inputs; i++) free(b->data[i]);
}

/* Runs b's graph (outputs kept by the caller); prints the median per item, or why not. */
static void measure(bench *b, const char *label, int items, int threads, int iters)
{
    parn_backend_ctx *ctx = NULL;
    const parn_backend *be = parn_backend_cpu();
    if (parn_graph_status(b->g) != PARN_OK) {
        skipped(label, parn_graph_error(b->g));
        return;
    }
    if (be->ctx_create(0, threads, &ctx) != PARN_OK) {
        skipped(label, parn_last_error(NULL));
        return;
    }
    /* two warm-up runs create and cache the primitives */
    double ms;
    if (bench_median_ms(bench_run_graph, &(bench_graph_run){b->g, be, ctx}, 2, iters, &ms))
        printf("libparn %s: %.2f ms (median of %d, %d threads)\n", label, ms / items, iters, threads);
    else
        printf("libparn %s: failed (%s)\n", label, parn_last_error(NULL));
    fflush(stdout);
    be->ctx_destroy(ctx);
}

/* C3D alone, or with the FEM after its first conv block (the defaults). */
static void bench_c3d(bool with_fem, int threads, int iters)
{
    const char *label = with_fem ? "FEM + C3D per clip (1 x 3 x 16 x 112 x 112)"
                                 : "C3D per clip (1 x 3 x 16 x 112 x 112)";
    parn_model_t *m = create_model(with_fem ? "fem,c3d" : "c3d");
    bench b;
    if (!start(&b, m, "c3d.", label)) return;
    const parn_c3d_config *c = &m->c3d;
    int clip = random_input(&b, "clip", 5, (int64_t[]){1, 3, c->frames, c->crop, c->crop});
    int y = parn_c3d_build(&b.net, c, clip, with_fem ? &b.fem : NULL, &m->fem, NULL);
    if (y >= 0) parn_graph_keep(b.g, y);
    measure(&b, label, 1, threads, iters);
    finish(&b);
    parn_model_destroy(m);
}

static void bench_generator(parn_model_t *m, int batch, int threads, int iters)
{
    char label[96];
    snprintf(label, sizeof label, "generator per 128x128 face (batch %d)", batch);
    bench b;
    if (!start(&b, m, "generator.", label)) return;
    const parn_generator_config *c = &m->generator;
    int64_t img[] = {batch, c->channels, c->size, c->size}, mask[] = {batch, 1, c->size, c->size};
    int masked = random_input(&b, "masked", 4, img), msk = random_input(&b, "mask", 4, mask);
    int prev = c->temporal ? random_input(&b, "prev", 4, img) : -1;
    int noise = c->noise_dim ? random_input(&b, "noise", 2, (int64_t[]){batch, c->noise_dim}) : -1;
    int y = parn_generator_build(&b.net, c, masked, msk, prev, noise);
    if (y >= 0) parn_graph_keep(b.g, y);
    measure(&b, label, batch, threads, iters);
    finish(&b);
}

static void bench_discriminator(int threads, int iters)
{
    const char *label = "discriminator per clip of 4 crops";
    parn_model_t *m = create_model("discriminator");
    bench b;
    if (!start(&b, m, "discriminator.", label)) return;
    const parn_discriminator_config *c = &m->discriminator;
    int crops = random_input(&b, "crops", 5, (int64_t[]){1, c->channels, c->frames, c->size, c->size});
    int patch = -1, y = parn_discriminator_build(&b.net, c, crops, &patch);
    if (y >= 0) parn_graph_keep(b.g, y);
    if (patch >= 0) parn_graph_keep(b.g, patch);
    measure(&b, label, 1, threads, iters);
    finish(&b);
    parn_model_destroy(m);
}

int main(int argc, char **argv)
{
    int threads = 2, iters = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--iters")) iters = atoi(argv[i + 1]);
    }
    if (threads < 1 || iters < 1) {
        fprintf(stderr, "usage: bench_networks [--threads T >= 1] [--iters N >= 1]\n");
        return 2;
    }
    bench_c3d(false, threads, iters);
    bench_c3d(true, threads, iters);
    parn_model_t *gen = create_model("generator");
    bench_generator(gen, 1, threads, iters);
    bench_generator(gen, 8, threads, iters);
    parn_model_destroy(gen);
    bench_discriminator(threads, iters);
    return 0;
}
