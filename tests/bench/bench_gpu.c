/* SPDX-License-Identifier: MIT */
/* The GPU benchmarks of tests/gpu/run.sh, on any device: C3D forward at batch 1 and 32, the
 * generator forward at batch 32, one forward + backward of the generator and discriminator
 * losses (32 faces, as 8 clips of 4 crops), and anonymization frames per second on a video.
 * Each iteration ends when its result is on the host (a scalar read), so GPU times include the
 * whole queue. Network inputs are bound once as constant leaves, so on a GPU they stay on the
 * device between iterations, as in PyTorch's benchmark (tests/gpu/bench_torch.py), whose lines
 * carry the same labels: "libparn <label>: <ms> ms".
 * --precision fp16 / bf16 label C3D's rows as PyTorch's autocast rows of the same type, the
 * setting they compare with (PARN_CUDA_HALF_LAYOUT=nchw|nhwc, when set, joins the label:
 * "fp16 autocast, half nchw").
 * Usage: bench_gpu [--device cpu|cuda:N] [--iters N] [--threads T] [--video PATH]
 *                  [--precision fp32|tf32|fp16|bf16]
 *                  [--only c3d|generator|train|anonymize|versions] ("versions": only the line
 *                  naming the CUDA libraries loaded) */
#include "backend/backend.h"
#include "models/model.h"

#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DATA 16

typedef struct bench_env {
    const parn_backend *be;
    parn_backend_ctx *ctx;
    const char *device;
    const char *precision; /* PARN_OPT_PRECISION's names */
    int iters, threads;
} bench_env;

/* A graph whose leaves hold random data; scalar is the kept node whose read ends a run. */
typedef struct bench {
    parn_graph *g;
    parn_net nets[2];
    int n_nets;
    float *data[MAX_DATA];
    int n_data;
    int scalar;
} bench;

/* A constant leaf of random values in [lo, hi) (a parameter without gradient, so that a
 * device backend keeps it resident). */
static int constant(bench *b, int ndim, const int64_t *dims, float lo, float hi)
{
    int id = parn_graph_param(b->g, "data", ndim, dims);
    parn_graph_set_requires_grad(b->g, id, false);
    int64_t n = bench_numel(ndim, dims);
    float *d = bench_random(n, hi - lo, 0.0f);
    for (int64_t i = 0; d && i < n; i++) d[i] += lo;
    if (d) parn_graph_bind(b->g, id, d);
    if (b->n_data < MAX_DATA) b->data[b->n_data++] = d;
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

static void start(bench *b)
{
    memset(b, 0, sizeof *b);
    b->g = parn_graph_create();
    b->scalar = -1;
}

static parn_net *add_net(bench *b, parn_model_t *m, const char *prefix, bool training)
{
    parn_net *n = &b->nets[b->n_nets++];
    *n = parn_net_make(b->g, m, prefix, training);
    n->frozen = !training;
    return n;
}

static void finish(bench *b)
{
    for (int i = 0; i < b->n_nets; i++) parn_net_release(&b->nets[i]);
    parn_graph_destroy(b->g);
    for (int i = 0; i < b->n_data; i++) free(b->data[i]);
}

/* Keeps the sum of y's elements as the node whose read ends each run. */
static void end_with_sum(bench *b, int y)
{
    if (y < 0) return;
    int nd = parn_graph_tensor(b->g, y)->ndim;
    b->scalar = parn_reduce(b->g, y, (1u << nd) - 1, false, false);
    parn_graph_keep(b->g, b->scalar);
}

typedef struct run_arg {
    bench *b;
    const bench_env *env;
} run_arg;

static bool run_once(void *p)
{
    run_arg *r = p;
    float v;
    return parn_graph_run(r->b->g, r->env->be, r->env->ctx) == PARN_OK &&
           parn_graph_read(r->b->g, r->b->scalar, &v) == PARN_OK;
}

/* Prints "libparn <label>: <ms per item> ms", or why not. */
static void measure(bench *b, const bench_env *env, const char *label, int items)
{
    double ms;
    if (parn_graph_status(b->g) != PARN_OK || b->scalar < 0)
        printf("libparn %s: skipped (%s)\n", label, parn_graph_error(b->g));
    else if (bench_median_ms(run_once, &(run_arg){b, env}, 3, env->iters, &ms))
        printf("libparn %s: %.3f ms (median of %d, %s)\n", label, ms / items, env->iters, env->device);
    else
        printf("libparn %s: failed (%s)\n", label, parn_last_error(NULL));
    fflush(stdout);
}

static void c3d_forward(const bench_env *env, int batch)
{
    char label[128];
    const char *tf32 = getenv("PARN_CUDA_TF32"), *layout = getenv("PARN_CUDA_HALF_LAYOUT");
    bool gpu = strcmp(env->device, "cpu") != 0;
    bool tensor_cores = gpu && ((tf32 && strcmp(tf32, "1") == 0) || !strcmp(env->precision, "tf32"));
    bool half = !strcmp(env->precision, "fp16") || !strcmp(env->precision, "bf16");
    if (half)
        snprintf(label, sizeof label, "C3D forward, batch %d (%s autocast%s%s), per clip", batch,
                 env->precision, layout ? ", half " : "", layout ? layout : "");
    else
        snprintf(label, sizeof label, "C3D forward, batch %d (%s), per clip", batch,
                 tensor_cores ? "TF32" : "fp32");
    parn_model_t *m = create_model("c3d");
    if (!m) {
        printf("libparn %s: skipped (%s)\n", label, parn_last_error(NULL));
        return;
    }
    bench b;
    start(&b);
    parn_net *net = add_net(&b, m, "c3d.", false);
    const parn_c3d_config *c = &m->c3d;
    int clip = constant(&b, 5, (int64_t[]){batch, 3, c->frames, c->crop, c->crop}, 0.0f, 1.0f);
    end_with_sum(&b, parn_c3d_build(net, c, clip, NULL, &m->fem, NULL));
    measure(&b, env, label, batch);
    finish(&b);
    parn_model_destroy(m);
}

/* The generator's inputs for batch faces. */
static int generator_on(bench *b, parn_net *net, const parn_generator_config *c, int batch)
{
    int64_t img[] = {batch, c->channels, c->size, c->size}, mask[] = {batch, 1, c->size, c->size};
    int masked = constant(b, 4, img, 0.0f, 1.0f), msk = constant(b, 4, mask, 0.0f, 1.0f);
    int prev = c->temporal ? constant(b, 4, img, 0.0f, 1.0f) : -1;
    int noise = c->noise_dim ? constant(b, 2, (int64_t[]){batch, c->noise_dim}, -1.0f, 1.0f) : -1;
    return parn_generator_build(net, c, masked, msk, prev, noise);
}

static void generator_forward(const bench_env *env, int batch)
{
    char label[96];
    bool fp32 = !strcmp(env->precision, "fp32");
    snprintf(label, sizeof label, "generator forward, batch %d%s%s, per face", batch,
             fp32 ? "" : ", ", fp32 ? "" : env->precision);
    parn_model_t *m = create_model("generator");
    if (!m) {
        printf("libparn %s: skipped (%s)\n", label, parn_last_error(NULL));
        return;
    }
    bench b;
    start(&b);
    parn_net *net = add_net(&b, m, "generator.", false);
    end_with_sum(&b, generator_on(&b, net, &m->generator, batch));
    measure(&b, env, label, batch);
    finish(&b);
    parn_model_destroy(m);
}

/* One forward + backward of G and D (training mode) over faces crops: the discriminator sees
 * the generated and the real crops as clips of `frames`; the loss sums the adversarial terms
 * of both and an L1 term; every parameter gets its gradient. */
static void gan_step(const bench_env *env, int faces)
{
    char label[96];
    snprintf(label, sizeof label, "G+D forward + backward, %d faces", faces);
    parn_model_t *m = create_model("generator,discriminator");
    if (!m) {
        printf("libparn %s: skipped (%s)\n", label, parn_last_error(NULL));
        return;
    }
    bench b;
    start(&b);
    parn_graph *g = b.g;
    const parn_generator_config *gc = &m->generator;
    const parn_discriminator_config *dc = &m->discriminator;
    parn_net *gn = add_net(&b, m, "generator.", true), *dn = add_net(&b, m, "discriminator.", true);
    int64_t t = dc->frames, clips = faces / t, s = gc->size, ch = gc->channels;
    int fake = generator_on(&b, gn, gc, faces);
    int64_t clip_dims[] = {clips, ch, t, s, s};
    int fake_clip = parn_permute(g, parn_reshape(g, fake, 5, (int64_t[]){clips, t, ch, s, s}),
                                 (int[]){0, 2, 1, 3, 4});
    int real_clip = constant(&b, 5, clip_dims, 0.0f, 1.0f);
    int loss = -1;
    for (int k = 0; k < 2; k++) {
        int patch = -1, clip_logit = parn_discriminator_build(dn, dc, k ? real_clip : fake_clip, &patch);
        if (clip_logit < 0 || patch < 0) break;
        const parn_tensor *pt = parn_graph_tensor(g, patch), *ct = parn_graph_tensor(g, clip_logit);
        int pones = constant(&b, pt->ndim, pt->dims, 1.0f, 1.0f);
        int cones = constant(&b, ct->ndim, ct->dims, 1.0f, 1.0f);
        int term = parn_add(g, parn_bce_logits(g, patch, pones, PARN_REDUCE_MEAN),
                            parn_bce_logits(g, clip_logit, cones, PARN_REDUCE_MEAN));
        loss = loss < 0 ? term : parn_add(g, loss, term);
    }
    int real = constant(&b, 4, (int64_t[]){faces, ch, s, s}, 0.0f, 1.0f);
    loss = parn_add(g, loss, parn_l1_loss(g, fake, real, PARN_REDUCE_MEAN));
    if (parn_graph_backward(g, loss, -1) == PARN_OK) {
        for (int i = 0; i < parn_graph_size(g); i++) {
            const parn_node *n = parn_graph_node(g, i);
            if (n->op == PARN_OP_PARAM && n->requires_grad && parn_graph_grad(g, i) >= 0)
                parn_graph_keep(g, parn_graph_grad(g, i));
        }
        b.scalar = loss;
        parn_graph_keep(g, loss);
    }
    measure(&b, env, label, 1);
    finish(&b);
    parn_model_destroy(m);
}

/* Frames per second of parn_anonymize_frame (mode gan) on a video's first frames, looped. */
static void anonymize_fps(const bench_env *env, const char *video)
{
    const char *label = "anonymization (gan), per frame";
    parn_video_reader_t *r = NULL;
    enum { FRAMES = 30 };
    parn_frame_t *frames[FRAMES];
    int n = 0, w = 0, h = 0;
    if (!video || parn_video_open(video, &r) != PARN_OK) {
        printf("libparn %s: skipped (no video: %s)\n", label, video ? parn_last_error(NULL) : "--video");
        return;
    }
    parn_video_info(r, &w, &h, NULL, NULL, NULL, NULL);
    parn_frame_t *f;
    /* the reader's frame lasts until its next read: copies */
    while (n < FRAMES && parn_video_read(r, &f) == PARN_OK &&
           parn_frame_alloc(PARN_PIX_RGB24, w, h, &frames[n]) == PARN_OK) {
        for (int y = 0; y < h; y++)
            memcpy(parn_frame_plane(frames[n], 0) + (size_t)y * (size_t)parn_frame_stride(frames[n], 0),
                   parn_frame_plane(f, 0) + (size_t)y * (size_t)parn_frame_stride(f, 0), (size_t)w * 3);
        n++;
    }
    parn_video_close(r);
    parn_model_t *m = create_model("generator");
    parn_options_t *o = NULL;
    parn_session_t *s = NULL;
    parn_frame_t *out = NULL;
    parn_options_create(&o);
    parn_options_set_string(o, PARN_OPT_DEVICE, env->device);
    parn_options_set_int(o, PARN_OPT_THREADS, env->threads);
    parn_options_set_string(o, PARN_OPT_ANON_MODE, "gan");
    bool ok = n > 0 && m && parn_session_create(m, o, &s) == PARN_OK &&
              parn_frame_alloc(PARN_PIX_RGB24, w, h, &out) == PARN_OK;
    parn_options_destroy(o);
    int faces = 0, total = 3 + env->iters * 3;
    double t0 = 0;
    for (int i = 0; ok && i < total; i++) {
        if (i == 3) t0 = bench_now_ms(); /* three warm-up frames */
        int nf = 0;
        ok = parn_anonymize_frame(s, frames[i % n], out, NULL, 0, &nf) == PARN_OK;
        if (i >= 3) faces += nf;
    }
    if (ok) {
        double ms = (bench_now_ms() - t0) / (total - 3);
        printf("libparn %s: %.3f ms (%.1f fps, %dx%d, %.1f faces per frame, %s)\n", label, ms,
               1000.0 / ms, w, h, (double)faces / (total - 3), env->device);
    } else {
        printf("libparn %s: failed (%s)\n", label, s ? parn_last_error(s) : parn_last_error(NULL));
    }
    parn_frame_free(&out);
    parn_session_destroy(s);
    parn_model_destroy(m);
    for (int i = 0; i < n; i++) parn_frame_free(&frames[i]);
}

static bool open_device(bench_env *env)
{
    int index = 0;
    if (strcmp(env->device, "cpu") == 0) {
        env->be = parn_backend_cpu();
    } else if (strncmp(env->device, "cuda", 4) == 0) {
        if (env->device[4] == ':') index = atoi(env->device + 5);
        if (parn__backend_cuda(&env->be) != PARN_OK) return false;
    } else {
        parn__fail(PARN_E_INVALID_ARG, "device '%s' is not cpu or cuda:N", env->device);
        return false;
    }
    if (env->be->ctx_create(index, env->threads, &env->ctx) != PARN_OK) return false;
    static const char *const names[] = {"fp32", "tf32", "fp16", "bf16"};
    for (int p = 0; p < 4; p++)
        if (!strcmp(env->precision, names[p])) {
            if (env->be->ctx_set_precision)
                return env->be->ctx_set_precision(env->ctx, (parn_precision)p) == PARN_OK;
            if (p == 0) return true;
            parn__fail(PARN_E_UNSUPPORTED, "%s computes in fp32 only", env->device);
            return false;
        }
    parn__fail(PARN_E_INVALID_ARG, "precision '%s' is not fp32, tf32, fp16 or bf16", env->precision);
    return false;
}

int main(int argc, char **argv)
{
    bench_env env = {.device = "cpu", .precision = "fp32", .iters = 20, .threads = 16};
    const char *video = NULL, *only = "";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--device")) env.device = argv[i + 1];
        else if (!strcmp(argv[i], "--iters")) env.iters = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) env.threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--video")) video = argv[i + 1];
        else if (!strcmp(argv[i], "--only")) only = argv[i + 1];
        else if (!strcmp(argv[i], "--precision")) env.precision = argv[i + 1];
    }
    if (env.iters < 1 || env.threads < 1) {
        fprintf(stderr, "usage: bench_gpu [--device cpu|cuda:N] [--iters N] [--threads T] "
                        "[--video PATH] [--precision fp32|tf32|fp16|bf16] "
                        "[--only c3d|generator|train|anonymize]\n");
        return 2;
    }
    if (!open_device(&env)) {
        fprintf(stderr, "bench_gpu: %s: %s\n", env.device, parn_last_error(NULL));
        return 1;
    }
    if (strcmp(env.device, "cpu") != 0) printf("libparn devices: %s\n", parn__cuda_versions());
    fflush(stdout);
    if (!*only || !strcmp(only, "c3d")) {
        c3d_forward(&env, 1);
        c3d_forward(&env, 32);
    }
    if (!*only || !strcmp(only, "generator")) generator_forward(&env, 32);
    if (!*only || !strcmp(only, "train")) gan_step(&env, 32);
    if (!*only || !strcmp(only, "anonymize")) anonymize_fps(&env, video);
    env.be->ctx_destroy(env.ctx);
    return 0;
}
