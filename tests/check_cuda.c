/* SPDX-License-Identifier: MIT */
/* The CUDA backend. Everywhere: asking for a GPU where there is none (no libparn-cuda.so, no
 * driver, no device, a device index too high) is a clean PARN_E_DEVICE with a message, device
 * counting never fails, and libparn keeps working on the CPU. With a GPU: every op family,
 * forward and backward, in the geometries that cuDNN needs help with (asymmetric padding,
 * output padding, padded average pooling), against the CPU backend; leaves uploaded and
 * written back; and the pipelines through the public API on both devices. Without a GPU the
 * program exits 77 (skipped) once the checks that need none have passed.
 * The op and network fixture suites run on a GPU with PARN_TEST_DEVICE=cuda:0 (tests/gpu/run.sh). */
#include "common/optest.h"

/* this suite compares the two backends, so it means the CPU when it says so */
#undef parn_backend_cpu

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARITY_TOL 1e-4

static int gpu_count(void)
{
    int n = -1;
    ck_assert_int_eq(parn_device_count("cuda", &n), PARN_OK);
    ck_assert_int_ge(n, 0);
    return n;
}

/* A session on device (NULL model), or the failure's status with its message in msg. */
static parn_status try_session(const char *device, parn_session_t **s, char *msg, size_t size)
{
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_DEVICE, device), PARN_OK);
    parn_options_set_int(o, PARN_OPT_THREADS, 2);
    *s = NULL;
    parn_status st = parn_session_create(NULL, o, s);
    snprintf(msg, size, "%s", st == PARN_OK ? "" : parn_last_error(NULL));
    parn_options_destroy(o);
    return st;
}

/* A tiny graph (y = relu(x) * 2) runs on the CPU. */
static void cpu_still_works(void)
{
    char msg[512];
    parn_session_t *s;
    ck_assert_msg(try_session("cpu", &s, msg, sizeof msg) == PARN_OK, "%s", msg);
    parn_session_destroy(s);
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 1, (int64_t[]){4});
    int y = parn_affine(g, parn_relu(g, x), 2.0f, 0.0f);
    float in[4] = {-1, 0, 1, 2}, out[4];
    parn_graph_bind(g, x, in);
    parn_graph_keep(g, y);
    ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_OK);
    ck_assert_int_eq(parn_graph_read(g, y, out), PARN_OK);
    ck_assert(out[0] == 0 && out[1] == 0 && out[2] == 2 && out[3] == 4);
    parn_graph_destroy(g);
}

/* ---- without a GPU --------------------------------------------------------------------------- */

/* First in the suite: a module that loaded stays loaded for the process, and then
 * PARN_CUDA_LIBRARY no longer matters. */
START_TEST(missing_module_is_a_clean_error)
{
    setenv("PARN_CUDA_LIBRARY", "/nonexistent/folder/libparn-cuda.so", 1);
    const parn_backend *be = NULL;
    int n = -1;
    ck_assert_int_eq(parn_device_count("cuda", &n), PARN_OK);
    if (parn__backend_cuda(&be) == PARN_OK) {
        /* loaded earlier in this process: nothing to prove here */
        unsetenv("PARN_CUDA_LIBRARY");
        return;
    }
    ck_assert_int_eq(n, 0);
    char msg[512];
    parn_session_t *s;
    ck_assert_int_eq(try_session("cuda:0", &s, msg, sizeof msg), PARN_E_DEVICE);
    ck_assert_ptr_null(s);
    ck_assert_msg(strncmp(msg, "cuda:0: libparn-cuda.so not found", 33) == 0, "message: %s", msg);
    ck_assert_msg(strstr(msg, "/nonexistent/folder"), "message: %s", msg);
    cpu_still_works();
    unsetenv("PARN_CUDA_LIBRARY");
}
END_TEST

START_TEST(device_count_never_fails)
{
    int n = -1;
    ck_assert_int_eq(parn_device_count("cpu", &n), PARN_OK);
    ck_assert_int_eq(n, 1);
    gpu_count();
    ck_assert_int_eq(parn_device_count("tpu", &n), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_device_count(NULL, &n), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_device_count("cuda", NULL), PARN_E_INVALID_ARG);
}
END_TEST

START_TEST(absent_device_is_a_clean_error)
{
    int count = gpu_count();
    char msg[512], name[32];
    parn_session_t *s;
    snprintf(name, sizeof name, "cuda:%d", count);
    ck_assert_int_eq(try_session(name, &s, msg, sizeof msg), PARN_E_DEVICE);
    ck_assert_ptr_null(s);
    ck_assert_msg(strncmp(msg, name, strlen(name)) == 0 && msg[strlen(name)] == ':', "message: %s", msg);
    if (count > 0) {
        char want[64];
        snprintf(want, sizeof want, "device %d of %d", count, count);
        ck_assert_msg(strstr(msg, want), "message: %s", msg);
    } else {
        ck_assert_msg(strstr(msg, "not found") || strstr(msg, "no CUDA driver") ||
                          strstr(msg, "no CUDA device") || strstr(msg, "cannot load") ||
                          strstr(msg, "driver fails"),
                      "message: %s", msg);
        cpu_still_works();
    }
}
END_TEST

START_TEST(malformed_device_names)
{
    const char *bad[] = {"gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "CUDA:0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char msg[512];
        parn_session_t *s;
        ck_assert_msg(try_session(bad[i], &s, msg, sizeof msg) == PARN_E_INVALID_ARG, "%s", bad[i]);
        ck_assert_ptr_nonnull(strstr(msg, bad[i]));
    }
}
END_TEST

/* PARN_OPT_PRECISION: a CPU session computes in fp32 only; unknown names and changes after
 * creation are refused. */
static parn_status precision_session(const char *device, const char *precision, parn_session_t **s,
                                     char *msg, size_t size)
{
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_DEVICE, device), PARN_OK);
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_PRECISION, precision), PARN_OK);
    parn_options_set_int(o, PARN_OPT_THREADS, 2);
    *s = NULL;
    parn_status st = parn_session_create(NULL, o, s);
    snprintf(msg, size, "%s", st == PARN_OK ? "" : parn_last_error(NULL));
    parn_options_destroy(o);
    return st;
}

START_TEST(precision_option)
{
    const char *name = NULL;
    parn_option_type type = 0;
    ck_assert_int_eq(parn_option_info(PARN_OPT_PRECISION, &name, &type, NULL, NULL), PARN_OK);
    ck_assert_str_eq(name, "precision");
    ck_assert_int_eq(type, PARN_OPT_TYPE_STRING);
    char msg[512];
    parn_session_t *s;
    ck_assert_msg(precision_session("cpu", "fp32", &s, msg, sizeof msg) == PARN_OK, "%s", msg);
    /* fixed at creation, like the device */
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_PRECISION, "fp32"), PARN_OK);
    ck_assert_int_eq(parn_session_configure(s, o), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(s), "precision"));
    parn_options_destroy(o);
    parn_session_destroy(s);
    const char *gpu_only[] = {"tf32", "fp16", "bf16"};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(precision_session("cpu", gpu_only[i], &s, msg, sizeof msg), PARN_E_UNSUPPORTED);
        ck_assert_ptr_null(s);
        ck_assert_msg(strstr(msg, "fp32 only"), "message: %s", msg);
    }
    const char *bad[] = {"fp64", "FP16", "", "half"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(precision_session("cpu", bad[i], &s, msg, sizeof msg), PARN_E_INVALID_ARG);
        ck_assert_msg(strstr(msg, "precision"), "message: %s", msg);
    }
    cpu_still_works();
}
END_TEST

/* ---- with a GPU: graphs on both backends ------------------------------------------------------- */

static const parn_backend *cuda_backend(void)
{
    const parn_backend *be = NULL;
    ck_assert_msg(parn__backend_cuda(&be) == PARN_OK, "%s", parn_last_error(NULL));
    return be;
}

static parn_backend_ctx *cuda_ctx(void)
{
    static parn_backend_ctx *ctx;
    if (!ctx)
        ck_assert_msg(cuda_backend()->ctx_create(0, 0, &ctx) == PARN_OK, "%s", parn_last_error(NULL));
    return ctx;
}

#define MAX_LEAVES 12

/* A graph whose leaves hold random values; the output y is kept, and with a gradient every
 * leaf that requires one is kept too (via L = sum(y * r) for a random r). */
typedef struct pcase {
    const char *name;
    parn_graph *g;
    int n;
    int leaf[MAX_LEAVES];
    float *data[MAX_LEAVES], *init[MAX_LEAVES];
    int64_t numel[MAX_LEAVES];
    int y;
    int kept[2 * MAX_LEAVES + 1];
    int n_kept;
} pcase;

static uint64_t rng_state = 88172645463325252ull;

static float uniform(float lo, float hi)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (float)((rng_state >> 11) * (1.0 / 9007199254740992.0));
}

static int leaf_in(pcase *c, bool param, int nd, const int64_t *dims, bool grad, float lo, float hi)
{
    ck_assert_int_lt(c->n, MAX_LEAVES);
    int id = param ? parn_graph_param(c->g, "p", nd, dims) : parn_graph_input(c->g, "x", nd, dims);
    ck_assert_int_ge(id, 0);
    parn_graph_set_requires_grad(c->g, id, grad);
    int64_t numel = 1;
    for (int i = 0; i < nd; i++) numel *= dims[i];
    float *d = malloc((size_t)numel * sizeof *d), *init = malloc((size_t)numel * sizeof *init);
    for (int64_t i = 0; i < numel; i++) d[i] = init[i] = uniform(lo, hi);
    c->leaf[c->n] = id;
    c->data[c->n] = d;
    c->init[c->n] = init;
    c->numel[c->n++] = numel;
    parn_graph_bind(c->g, id, d);
    return id;
}

static int in(pcase *c, int nd, const int64_t *dims)
{
    return leaf_in(c, false, nd, dims, true, -1.0f, 1.0f);
}

static pcase start(const char *name)
{
    return (pcase){.name = name, .g = parn_graph_create()};
}

/* Keeps y; with grad, appends L = sum(y * r) and keeps each leaf gradient. */
static void finish(pcase *c, int y, bool grad)
{
    ck_assert_msg(y >= 0, "%s: %s", c->name, parn_graph_error(c->g));
    c->y = y;
    c->kept[c->n_kept++] = y;
    parn_graph_keep(c->g, y);
    if (!grad) return;
    const parn_tensor *t = parn_graph_tensor(c->g, y);
    int n_leaves = c->n;
    int r = leaf_in(c, false, t->ndim, t->dims, false, -1.0f, 1.0f);
    int loss = parn_reduce(c->g, parn_mul(c->g, y, r), (1u << t->ndim) - 1, false, false);
    ck_assert_msg(parn_graph_backward(c->g, loss, -1) == PARN_OK, "%s: %s", c->name,
                  parn_last_error(NULL));
    for (int k = 0; k < n_leaves; k++) {
        int gr = parn_graph_grad(c->g, c->leaf[k]);
        if (gr < 0) continue;
        parn_graph_keep(c->g, gr);
        c->kept[c->n_kept++] = gr;
    }
}

/* Runs c on a backend from the initial leaf values (and the same dropout seed); returns every
 * kept node's values, then every leaf's values after the run (running statistics). */
static float **run_on(pcase *c, const parn_backend *be, parn_backend_ctx *ctx)
{
    for (int k = 0; k < c->n; k++) {
        memcpy(c->data[k], c->init[k], (size_t)c->numel[k] * sizeof(float));
        parn_graph_bind(c->g, c->leaf[k], c->data[k]);
    }
    parn__rng_seed(parn_graph_rng(c->g), 1234);
    ck_assert_msg(parn_graph_run(c->g, be, ctx) == PARN_OK, "%s on %s: %s", c->name, be->name,
                  parn_last_error(NULL));
    float **out = calloc((size_t)(c->n_kept + c->n), sizeof *out);
    for (int k = 0; k < c->n_kept; k++) {
        int64_t n = parn_tensor_numel(parn_graph_tensor(c->g, c->kept[k]));
        out[k] = malloc((size_t)n * sizeof(float));
        ck_assert_msg(parn_graph_read(c->g, c->kept[k], out[k]) == PARN_OK, "%s: %s", c->name,
                      parn_last_error(NULL));
    }
    for (int k = 0; k < c->n; k++) {
        out[c->n_kept + k] = malloc((size_t)c->numel[k] * sizeof(float));
        memcpy(out[c->n_kept + k], c->data[k], (size_t)c->numel[k] * sizeof(float));
    }
    return out;
}

/* The case on the CPU and on the GPU: every kept node and every leaf afterwards agree. */
static void check_parity(pcase *c)
{
    float **cpu = run_on(c, parn_backend_cpu(), optest_cpu());
    float **gpu = run_on(c, cuda_backend(), cuda_ctx());
    for (int k = 0; k < c->n_kept + c->n; k++) {
        int64_t n = k < c->n_kept ? parn_tensor_numel(parn_graph_tensor(c->g, c->kept[k]))
                                  : c->numel[k - c->n_kept];
        double err = optest_rel_error(gpu[k], cpu[k], n);
        ck_assert_msg(err < PARITY_TOL, "%s: %s %d differs between GPU and CPU: relative error %.3g",
                      c->name, k < c->n_kept ? "kept node" : "leaf", k < c->n_kept ? k : k - c->n_kept,
                      err);
        free(cpu[k]);
        free(gpu[k]);
    }
    free(cpu);
    free(gpu);
    /* a second run on the GPU reuses the plan, the algorithms and the cached parameters */
    ck_assert_int_eq(parn_graph_run(c->g, cuda_backend(), cuda_ctx()), PARN_OK);
    parn_graph_destroy(c->g);
    for (int k = 0; k < c->n; k++) {
        free(c->data[k]);
        free(c->init[k]);
    }
}

static parn_conv_attrs conv_attrs(int rank, int stride, int lo, int hi)
{
    parn_conv_attrs a = parn_conv_attrs_default(rank);
    for (int i = 0; i < rank; i++) {
        a.stride[i] = stride;
        a.pad_lo[i] = lo;
        a.pad_hi[i] = hi;
    }
    return a;
}

START_TEST(conv_parity)
{
    /* TF "SAME" with stride 2: padding only at the high end */
    pcase c = start("conv 2-D, asymmetric padding, bias");
    int x = in(&c, 4, (int64_t[]){2, 3, 9, 10});
    int w = in(&c, 4, (int64_t[]){4, 3, 3, 3}), b = in(&c, 1, (int64_t[]){4});
    parn_conv_attrs a = conv_attrs(2, 2, 0, 1);
    finish(&c, parn_conv(c.g, x, w, b, &a), true);
    check_parity(&c);

    c = start("conv 3-D, groups, dilation");
    x = in(&c, 5, (int64_t[]){2, 4, 5, 6, 7});
    w = in(&c, 5, (int64_t[]){6, 2, 3, 3, 3});
    a = conv_attrs(3, 1, 2, 2);
    a.groups = 2;
    for (int i = 0; i < 3; i++) a.dilation[i] = 2;
    finish(&c, parn_conv(c.g, x, w, -1, &a), true);
    check_parity(&c);

    c = start("deconv 2-D, stride 2, output padding, bias");
    x = in(&c, 4, (int64_t[]){2, 4, 5, 6});
    w = in(&c, 4, (int64_t[]){4, 3, 4, 4});
    b = in(&c, 1, (int64_t[]){3});
    a = conv_attrs(2, 2, 1, 1);
    a.out_pad[0] = a.out_pad[1] = 1;
    finish(&c, parn_deconv(c.g, x, w, b, &a), true);
    check_parity(&c);

    c = start("deconv 2-D, asymmetric padding, output padding past the padding");
    x = in(&c, 4, (int64_t[]){1, 2, 4, 5});
    w = in(&c, 4, (int64_t[]){2, 4, 3, 3});
    a = conv_attrs(2, 2, 2, 0);
    a.out_pad[1] = 1;
    finish(&c, parn_deconv(c.g, x, w, -1, &a), true);
    check_parity(&c);

    c = start("deconv 3-D, groups");
    x = in(&c, 5, (int64_t[]){1, 4, 3, 4, 4});
    w = in(&c, 5, (int64_t[]){4, 1, 2, 2, 2});
    a = conv_attrs(3, 2, 0, 0);
    a.groups = 2;
    finish(&c, parn_deconv(c.g, x, w, -1, &a), true);
    check_parity(&c);
}
END_TEST

static parn_pool_attrs pool_attrs(int rank, bool max, int k, int s, int lo, int hi, bool incl)
{
    parn_pool_attrs a = parn_pool_attrs_default(rank, max, k);
    for (int i = 0; i < rank; i++) {
        a.stride[i] = s;
        a.pad_lo[i] = lo;
        a.pad_hi[i] = hi;
    }
    a.count_include_pad = incl;
    return a;
}

START_TEST(pool_parity)
{
    struct {
        const char *name;
        bool max, incl;
        int k, s, lo, hi, rank;
    } cases[] = {
        {"max pool, TF SAME stride 1", true, false, 2, 1, 0, 1, 2},
        {"max pool 3-D, padding 1", true, false, 3, 2, 1, 1, 3},
        {"avg pool, padding not counted, asymmetric", false, false, 3, 2, 0, 1, 2},
        {"avg pool, padding counted, asymmetric", false, true, 3, 2, 1, 0, 2},
        {"avg pool 3-D, padding not counted", false, false, 3, 1, 1, 1, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pcase c = start(cases[i].name);
        int x = cases[i].rank == 2 ? in(&c, 4, (int64_t[]){2, 3, 9, 8})
                                   : in(&c, 5, (int64_t[]){2, 3, 5, 6, 7});
        parn_pool_attrs a = pool_attrs(cases[i].rank, cases[i].max, cases[i].k, cases[i].s,
                                       cases[i].lo, cases[i].hi, cases[i].incl);
        finish(&c, parn_pool(c.g, x, &a), true);
        check_parity(&c);
    }
    pcase c = start("global average pool 3-D");
    int x = in(&c, 5, (int64_t[]){2, 3, 4, 5, 6});
    finish(&c, parn_global_pool(c.g, x, false), true);
    check_parity(&c);
}
END_TEST

START_TEST(batch_norm_parity)
{
    const int64_t shapes[3][5] = {{4, 3, 5, 6}, {6, 5}, {2, 3, 4, 5, 6}};
    const int ranks[3] = {4, 2, 5};
    for (int training = 0; training < 2; training++)
        for (int k = 0; k < 3; k++) {
            pcase c = start(training ? "batch norm, training" : "batch norm, inference");
            int64_t ch = shapes[k][1];
            int x = in(&c, ranks[k], shapes[k]);
            int gamma = leaf_in(&c, true, 1, &ch, true, 0.5f, 1.5f);
            int beta = leaf_in(&c, true, 1, &ch, true, -0.5f, 0.5f);
            int mean = leaf_in(&c, false, 1, &ch, false, -0.2f, 0.2f);
            int var = leaf_in(&c, false, 1, &ch, false, 0.5f, 2.0f);
            parn_batch_norm_attrs a = {.eps = 1e-5f, .momentum = 0.1f, .training = training};
            int y = parn_batch_norm(c.g, x, gamma, beta, mean, var, &a);
            /* the statistics used are side outputs; leaves after the run hold the running ones */
            int stat = parn_side(c.g, y, 1);
            parn_graph_keep(c.g, stat);
            c.kept[c.n_kept++] = stat;
            finish(&c, y, true);
            check_parity(&c);
        }
}
END_TEST

START_TEST(dense_parity)
{
    pcase c = start("linear, softmax, cross-entropy");
    int x = in(&c, 2, (int64_t[]){5, 7});
    int w = in(&c, 2, (int64_t[]){4, 7}), b = in(&c, 1, (int64_t[]){4});
    int logits = parn_linear(c.g, x, w, b);
    int labels = leaf_in(&c, false, 1, (int64_t[]){5}, false, 0.0f, 0.0f);
    for (int i = 0; i < 5; i++) c.data[c.n - 1][i] = c.init[c.n - 1][i] = (float)(i % 4);
    int ce = parn_reshape(c.g, parn_cross_entropy(c.g, logits, labels, PARN_REDUCE_MEAN), 2,
                          (int64_t[]){1, 1});
    int sm = parn_softmax(c.g, logits, 1, false), lsm = parn_softmax(c.g, logits, 0, true);
    int y = parn_add(c.g, parn_add(c.g, sm, lsm), parn_expand(c.g, ce, 2, (int64_t[]){5, 4}));
    finish(&c, y, true);
    check_parity(&c);

    c = start("dropout in training");
    x = in(&c, 3, (int64_t[]){3, 40, 50});
    finish(&c, parn_dropout(c.g, x, 0.3f, true), true);
    check_parity(&c);

    c = start("activations");
    x = in(&c, 4, (int64_t[]){2, 3, 4, 5});
    int acts = parn_add(c.g, parn_relu(c.g, x), parn_leaky_relu(c.g, x, 0.2f));
    acts = parn_add(c.g, acts, parn_mul(c.g, parn_sigmoid(c.g, x), parn_tanh(c.g, x)));
    finish(&c, parn_add(c.g, acts, parn_clip(c.g, x, -0.5f, 0.6f)), true);
    check_parity(&c);
}
END_TEST

START_TEST(loss_parity)
{
    pcase c = start("BCE, L1, L2, cosine");
    int64_t dims[4] = {2, 3, 6, 5};
    int x = in(&c, 4, dims), t = leaf_in(&c, false, 4, dims, true, 0.0f, 1.0f);
    int sum = parn_add(c.g, parn_bce_logits(c.g, x, t, PARN_REDUCE_MEAN),
                       parn_l1_loss(c.g, x, t, PARN_REDUCE_SUM));
    sum = parn_add(c.g, sum, parn_l2_loss(c.g, x, t, PARN_REDUCE_MEAN));
    int a = in(&c, 2, (int64_t[]){4, 9}), bb = in(&c, 2, (int64_t[]){4, 9});
    int cos = parn_reduce(c.g, parn_cosine(c.g, a, bb, 1e-8f), 1, false, false);
    finish(&c, parn_add(c.g, sum, cos), true);
    check_parity(&c);

    c = start("SSIM");
    int64_t img[4] = {2, 3, 24, 20};
    x = leaf_in(&c, false, 4, img, true, 0.0f, 1.0f);
    int y = leaf_in(&c, false, 4, img, true, 0.0f, 1.0f);
    finish(&c, parn_ssim(c.g, x, y, 11, 1.5f), true);
    check_parity(&c);
}
END_TEST

START_TEST(shape_parity)
{
    pcase c = start("concat, slice, pad, reshape, permute, reduce, expand");
    int a = in(&c, 4, (int64_t[]){2, 3, 4, 5}), b = in(&c, 4, (int64_t[]){2, 2, 4, 5});
    int cat = parn_concat(c.g, 2, (int[]){a, b}, 1);
    int sl = parn_slice(c.g, cat, (int64_t[]){0, 1, 1, 0}, (int64_t[]){2, 3, 2, 5});
    int pd = parn_pad(c.g, sl, (int64_t[]){0, 0, 1, 2}, (int64_t[]){0, 1, 0, 1}, 0.5f);
    int rs = parn_reshape(c.g, pd, 3, (int64_t[]){2, 4, 24});
    int pm = parn_permute(c.g, rs, (int[]){2, 0, 1});
    int red = parn_reduce(c.g, pm, 1u << 1, true, true);
    finish(&c, parn_add(c.g, pm, parn_expand(c.g, red, 3, (int64_t[]){24, 2, 4})), true);
    check_parity(&c);

    for (int ac = 0; ac < 2; ac++) {
        c = start(ac ? "bilinear resize, align corners" : "bilinear resize");
        int x = in(&c, 4, (int64_t[]){2, 3, 7, 9});
        finish(&c, parn_resize_bilinear(c.g, x, 12, 5, ac), true);
        check_parity(&c);
    }
}
END_TEST

/* Parameters are uploaded again only when their pointer or version changes, and leaves that a
 * kernel writes (running statistics) come back to the host. */
START_TEST(leaves_follow_the_host)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 2, (int64_t[]){1, 3});
    int w = parn_graph_param(g, "w", 2, (int64_t[]){2, 3});
    int y = parn_linear(g, x, w, -1);
    float xd[3] = {1, 2, 3}, wd[6] = {1, 0, 0, 0, 1, 0}, out[2];
    parn_graph_bind(g, x, xd);
    parn_graph_bind(g, w, wd);
    parn_graph_keep(g, y);
    ck_assert_int_eq(parn_graph_run(g, cuda_backend(), cuda_ctx()), PARN_OK);
    ck_assert_int_eq(parn_graph_read(g, y, out), PARN_OK);
    ck_assert(out[0] == 1 && out[1] == 2);
    xd[0] = 5; /* inputs: every run */
    ck_assert_int_eq(parn_graph_run(g, cuda_backend(), cuda_ctx()), PARN_OK);
    ck_assert_int_eq(parn_graph_read(g, y, out), PARN_OK);
    ck_assert(out[0] == 5 && out[1] == 2);
    wd[1] = 1; /* parameters: cached until the version moves */
    ck_assert_int_eq(parn_graph_run(g, cuda_backend(), cuda_ctx()), PARN_OK);
    ck_assert_int_eq(parn_graph_read(g, y, out), PARN_OK);
    ck_assert(out[0] == 5);
    parn_graph_node(g, w)->out.version++;
    ck_assert_int_eq(parn_graph_run(g, cuda_backend(), cuda_ctx()), PARN_OK);
    ck_assert_int_eq(parn_graph_read(g, y, out), PARN_OK);
    ck_assert(out[0] == 7);
    ck_assert_ptr_eq(parn_graph_tensor(g, w)->data, wd); /* host memory again between runs */
    parn_graph_destroy(g);
}
END_TEST

/* ---- with a GPU: fp16 / bf16 convolutions and dense layers ------------------------------------- */

/* Tolerances of precision fp16 / bf16 against the CPU's fp32, as the error's largest magnitude
 * relative to the output's: inputs and weights round to 11 (fp16) or 8 (bf16) significant
 * bits, products accumulate in fp32, so one layer's relative error stays near 2^-11 * sqrt(K)
 * (resp. 2^-8 * sqrt(K)) for K terms per output, far under these. */
#define FP16_TOL 1e-2
#define BF16_TOL 4e-2

static const char *const half_names[] = {"fp16", "bf16"};

/* A context of precision fp16 (0) or bf16 (1), made once. */
static parn_backend_ctx *half_ctx(int which)
{
    static parn_backend_ctx *ctx[2];
    if (!ctx[which]) {
        ck_assert_msg(cuda_backend()->ctx_create(0, 0, &ctx[which]) == PARN_OK, "%s", parn_last_error(NULL));
        parn_precision p = which ? PARN_PRECISION_BF16 : PARN_PRECISION_FP16;
        ck_assert_msg(cuda_backend()->ctx_set_precision(ctx[which], p) == PARN_OK, "%s",
                      parn_last_error(NULL));
    }
    return ctx[which];
}

/* The case's output on the CPU (fp32) and in fp16 and bf16 on the GPU, twice (the second run
 * takes the cached half weights). */
static void check_half(pcase *c)
{
    float **cpu = run_on(c, parn_backend_cpu(), optest_cpu());
    int64_t n = parn_tensor_numel(parn_graph_tensor(c->g, c->y));
    for (int h = 0; h < 2; h++)
        for (int rerun = 0; rerun < 2; rerun++) {
            float **gpu = run_on(c, cuda_backend(), half_ctx(h));
            double err = optest_rel_error(gpu[0], cpu[0], n), tol = h ? BF16_TOL : FP16_TOL;
            ck_assert_msg(err < tol, "%s in %s (run %d): relative error %.3g against fp32", c->name,
                          half_names[h], rerun + 1, err);
            for (int k = 0; k < c->n_kept + c->n; k++) free(gpu[k]);
            free(gpu);
        }
    for (int k = 0; k < c->n_kept + c->n; k++) free(cpu[k]);
    free(cpu);
    parn_graph_destroy(c->g);
    for (int k = 0; k < c->n; k++) {
        free(c->data[k]);
        free(c->init[k]);
    }
}

static int param(pcase *c, int nd, const int64_t *dims)
{
    return leaf_in(c, true, nd, dims, false, -0.5f, 0.5f);
}

START_TEST(half_parity)
{
    /* channels-last half tensors (channels multiples of 8) */
    pcase c = start("conv 2-D, 16 -> 32 channels, bias");
    int x = leaf_in(&c, false, 4, (int64_t[]){2, 16, 9, 10}, false, -1.0f, 1.0f);
    int w = param(&c, 4, (int64_t[]){32, 16, 3, 3}), b = param(&c, 1, (int64_t[]){32});
    parn_conv_attrs a = conv_attrs(2, 1, 1, 1);
    finish(&c, parn_conv(c.g, x, w, b, &a), false);
    check_half(&c);

    c = start("conv 3-D, 8 -> 16 channels, asymmetric padding");
    x = leaf_in(&c, false, 5, (int64_t[]){2, 8, 4, 6, 7}, false, -1.0f, 1.0f);
    w = param(&c, 5, (int64_t[]){16, 8, 3, 3, 3});
    a = conv_attrs(3, 2, 0, 1);
    finish(&c, parn_conv(c.g, x, w, -1, &a), false);
    check_half(&c);

    /* NCHW half tensors: 3 input channels, groups */
    c = start("conv 3-D, 3 channels in (C3D's first layer)");
    x = leaf_in(&c, false, 5, (int64_t[]){1, 3, 4, 8, 8}, false, -1.0f, 1.0f);
    w = param(&c, 5, (int64_t[]){8, 3, 3, 3, 3});
    b = param(&c, 1, (int64_t[]){8});
    a = conv_attrs(3, 1, 1, 1);
    finish(&c, parn_conv(c.g, x, w, b, &a), false);
    check_half(&c);

    c = start("conv 2-D, groups");
    x = leaf_in(&c, false, 4, (int64_t[]){2, 4, 7, 7}, false, -1.0f, 1.0f);
    w = param(&c, 4, (int64_t[]){6, 2, 3, 3});
    a = conv_attrs(2, 1, 1, 1);
    a.groups = 2;
    finish(&c, parn_conv(c.g, x, w, -1, &a), false);
    check_half(&c);

    c = start("deconv 2-D, 16 -> 8 channels, stride 2, output padding, bias");
    x = leaf_in(&c, false, 4, (int64_t[]){2, 16, 5, 6}, false, -1.0f, 1.0f);
    w = param(&c, 4, (int64_t[]){16, 8, 4, 4});
    b = param(&c, 1, (int64_t[]){8});
    a = conv_attrs(2, 2, 1, 1);
    a.out_pad[0] = a.out_pad[1] = 1;
    finish(&c, parn_deconv(c.g, x, w, b, &a), false);
    check_half(&c);

    c = start("deconv 2-D, asymmetric padding (through X')");
    x = leaf_in(&c, false, 4, (int64_t[]){1, 2, 4, 5}, false, -1.0f, 1.0f);
    w = param(&c, 4, (int64_t[]){2, 4, 3, 3});
    a = conv_attrs(2, 2, 2, 0);
    a.out_pad[1] = 1;
    finish(&c, parn_deconv(c.g, x, w, -1, &a), false);
    check_half(&c);

    c = start("linear, bias");
    x = leaf_in(&c, false, 2, (int64_t[]){5, 40}, false, -1.0f, 1.0f);
    w = param(&c, 2, (int64_t[]){24, 40});
    b = param(&c, 1, (int64_t[]){24});
    finish(&c, parn_linear(c.g, x, w, b), false);
    check_half(&c);
}
END_TEST

/* The half weights follow the host's parameters: a new version or a new host array is
 * converted again (small integers: exact in fp16 and bf16). */
START_TEST(half_weights_follow_the_host)
{
    for (int h = 0; h < 2; h++) {
        parn_graph *g = parn_graph_create();
        int x = parn_graph_input(g, "x", 2, (int64_t[]){1, 3});
        int w = parn_graph_param(g, "w", 2, (int64_t[]){2, 3});
        int cw = parn_graph_param(g, "cw", 4, (int64_t[]){2, 1, 1, 1});
        int y = parn_linear(g, x, w, -1);
        parn_conv_attrs a = conv_attrs(2, 1, 0, 0);
        int z = parn_conv(g, parn_reshape(g, y, 4, (int64_t[]){1, 1, 1, 2}), cw, -1, &a);
        float xd[3] = {1, 2, 3}, wd[6] = {1, 0, 0, 0, 1, 0}, wd2[6] = {0, 0, 1, 1, 1, 0};
        float cwd[2] = {1, 2}, out[4];
        parn_graph_bind(g, x, xd);
        parn_graph_bind(g, w, wd);
        parn_graph_bind(g, cw, cwd);
        parn_graph_keep(g, z);
        parn_backend_ctx *ctx = half_ctx(h);
        ck_assert_int_eq(parn_graph_run(g, cuda_backend(), ctx), PARN_OK);
        ck_assert_int_eq(parn_graph_read(g, z, out), PARN_OK);
        ck_assert_msg(out[0] == 1 && out[1] == 2 && out[2] == 2 && out[3] == 4, "%s: %g %g %g %g",
                      half_names[h], out[0], out[1], out[2], out[3]);
        wd[1] = 1; /* unseen until the version moves */
        cwd[0] = 3;
        parn_graph_node(g, w)->out.version++;
        parn_graph_node(g, cw)->out.version++;
        ck_assert_int_eq(parn_graph_run(g, cuda_backend(), ctx), PARN_OK);
        ck_assert_int_eq(parn_graph_read(g, z, out), PARN_OK);
        ck_assert_msg(out[0] == 9 && out[1] == 6 && out[2] == 6 && out[3] == 4, "%s: %g %g %g %g",
                      half_names[h], out[0], out[1], out[2], out[3]);
        parn_graph_bind(g, w, wd2); /* another array: uploaded again, converted again */
        ck_assert_int_eq(parn_graph_run(g, cuda_backend(), ctx), PARN_OK);
        ck_assert_int_eq(parn_graph_read(g, z, out), PARN_OK);
        ck_assert_msg(out[0] == 9 && out[1] == 9 && out[2] == 6 && out[3] == 6, "%s: %g %g %g %g",
                      half_names[h], out[0], out[1], out[2], out[3]);
        parn_graph_destroy(g);
    }
}
END_TEST

/* ---- with a GPU: the pipelines through the public API ------------------------------------------- */

/* A session on device; anon_mode may be NULL. */
static parn_session_t *session_on(const parn_model_t *m, const char *device, const char *anon_mode)
{
    parn_options_t *o = NULL;
    parn_session_t *s = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_DEVICE, device);
    if (anon_mode) ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_ANON_MODE, anon_mode), PARN_OK);
    parn_options_set_int(o, PARN_OPT_THREADS, 4);
    ck_assert_msg(parn_session_create(m, o, &s) == PARN_OK, "%s: %s", device, parn_last_error(NULL));
    parn_options_destroy(o);
    return s;
}

static parn_frame_t *noise_frame(int w, int h, uint32_t seed)
{
    parn_frame_t *f = NULL;
    ck_assert_int_eq(parn_frame_alloc(PARN_PIX_RGB24, w, h, &f), PARN_OK);
    for (int y = 0; y < h; y++) {
        uint8_t *row = parn_frame_plane(f, 0) + (size_t)y * (size_t)parn_frame_stride(f, 0);
        for (int x = 0; x < 3 * w; x++) {
            seed = seed * 1664525u + 1013904223u;
            /* smooth gradients plus noise, so that networks see structure */
            row[x] = (uint8_t)((x / 3 + y + (int)(seed >> 28)) & 0xff);
        }
    }
    return f;
}

START_TEST(classify_on_both_devices)
{
    parn_options_t *o = NULL;
    parn_model_t *m = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_NETWORKS, "fem,c3d");
    parn_options_set_int(o, PARN_OPT_CLASSES, 10);
    ck_assert_msg(parn_model_create(o, &m) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    int len = parn_model_clip_length(m);
    parn_frame_t *frames[64];
    ck_assert_int_le(len, 64);
    for (int i = 0; i < len; i++) frames[i] = noise_frame(171, 128, (uint32_t)i);
    int cls[2][3];
    float prob[2][3];
    const char *devices[2] = {"cpu", "cuda:0"};
    for (int d = 0; d < 2; d++) {
        parn_session_t *s = session_on(m, devices[d], NULL);
        ck_assert_msg(parn_classify_clip(s, (const parn_frame_t *const *)frames, len, 3, cls[d],
                                         prob[d]) == PARN_OK,
                      "%s: %s", devices[d], parn_last_error(s));
        parn_session_destroy(s);
    }
    for (int k = 0; k < 3; k++) {
        ck_assert_msg(fabsf(prob[0][k] - prob[1][k]) <= 1e-4f * fmaxf(prob[0][k], 1e-3f) + 1e-6f,
                      "probability %d: cpu %g, gpu %g", k, prob[0][k], prob[1][k]);
        /* the same ranking unless two probabilities tie within the tolerance */
        if (k + 1 < 3 && prob[0][k] - prob[0][k + 1] > 1e-5f) ck_assert_int_eq(cls[0][k], cls[1][k]);
    }
    for (int i = 0; i < len; i++) parn_frame_free(&frames[i]);
    parn_model_destroy(m);
}
END_TEST

START_TEST(faces_on_both_devices)
{
    const char *face_model = parn_default_face_model();
    const char *dir = getenv("PARN_FACEAPI_DIR");
    char photo[1024];
    snprintf(photo, sizeof photo, "%s/demo/sample1.jpg", dir ? dir : "");
    parn_frame_t *f = NULL;
    if (!face_model || parn_image_load(photo, &f) != PARN_OK) {
        printf("faces_on_both_devices: skipped (no face model or no %s)\n", photo);
        return;
    }
    parn_model_t *m = NULL;
    ck_assert_int_eq(parn_model_load(face_model, &m), PARN_OK);
    float boxes[2][5 * 32];
    int n[2];
    const char *devices[2] = {"cpu", "cuda:0"};
    for (int d = 0; d < 2; d++) {
        parn_session_t *s = session_on(m, devices[d], NULL);
        ck_assert_msg(parn_faces_detect(s, f, boxes[d], 32, &n[d]) == PARN_OK, "%s: %s", devices[d],
                      parn_last_error(s));
        parn_session_destroy(s);
    }
    ck_assert_int_eq(n[0], n[1]);
    for (int i = 0; i < 5 * n[0]; i++)
        ck_assert_msg(fabsf(boxes[0][i] - boxes[1][i]) < 1e-2f, "box value %d: cpu %g, gpu %g", i,
                      boxes[0][i], boxes[1][i]);
    parn_frame_free(&f);
    parn_model_destroy(m);
}
END_TEST

START_TEST(gan_anonymization_on_both_devices)
{
    parn_options_t *o = NULL;
    parn_model_t *m = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_NETWORKS, "generator");
    ck_assert_msg(parn_model_create(o, &m) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    parn_frame_t *in = noise_frame(320, 240, 7), *out[2] = {NULL, NULL};
    const float box[4] = {100, 60, 90, 110};
    const char *devices[2] = {"cpu", "cuda:0"};
    for (int d = 0; d < 2; d++) {
        ck_assert_int_eq(parn_frame_alloc(PARN_PIX_RGB24, 320, 240, &out[d]), PARN_OK);
        parn_session_t *s = session_on(m, devices[d], "gan");
        ck_assert_msg(parn_anonymize_frame_boxes(s, in, out[d], box, 1, NULL, 0, NULL) == PARN_OK,
                      "%s: %s", devices[d], parn_last_error(s));
        parn_session_destroy(s);
    }
    int worst = 0;
    for (int y = 0; y < 240; y++)
        for (int x = 0; x < 3 * 320; x++) {
            int a = parn_frame_plane(out[0], 0)[(size_t)y * (size_t)parn_frame_stride(out[0], 0) + (size_t)x];
            int b = parn_frame_plane(out[1], 0)[(size_t)y * (size_t)parn_frame_stride(out[1], 0) + (size_t)x];
            if (abs(a - b) > worst) worst = abs(a - b);
        }
    /* bytes rounded from floats that agree to 1e-4 may still round apart by one */
    ck_assert_int_le(worst, 1);
    parn_frame_free(&in);
    parn_frame_free(&out[0]);
    parn_frame_free(&out[1]);
    parn_model_destroy(m);
}
END_TEST

/* A session on cuda:0 of the given precision. */
static parn_session_t *precision_on(const parn_model_t *m, const char *precision, const char *anon)
{
    parn_options_t *o = NULL;
    parn_session_t *s = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_DEVICE, "cuda:0");
    parn_options_set_string(o, PARN_OPT_PRECISION, precision);
    if (anon) parn_options_set_string(o, PARN_OPT_ANON_MODE, anon);
    ck_assert_msg(parn_session_create(m, o, &s) == PARN_OK, "%s: %s", precision, parn_last_error(NULL));
    parn_options_destroy(o);
    return s;
}

/* C3D's clip classification in fp16 and bf16 against fp32 on the CPU: the same top class
 * (unless fp32's first two tie within the tolerance) and probabilities within 2e-2 (fp16) or
 * 5e-2 (bf16) relative: eight convolutions and three dense layers of rounding, each near
 * 2^-11 (2^-8) relative. tf32 sessions classify too. */
START_TEST(classify_in_half)
{
    parn_options_t *o = NULL;
    parn_model_t *m = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_NETWORKS, "fem,c3d");
    parn_options_set_int(o, PARN_OPT_CLASSES, 10);
    ck_assert_msg(parn_model_create(o, &m) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    int len = parn_model_clip_length(m);
    parn_frame_t *frames[64];
    ck_assert_int_le(len, 64);
    for (int i = 0; i < len; i++) frames[i] = noise_frame(171, 128, (uint32_t)i);
    const char *precision[4] = {"fp32", "fp16", "bf16", "tf32"};
    const float tol[4] = {0, 2e-2f, 5e-2f, 2e-2f};
    int cls[4][3];
    float prob[4][3];
    for (int p = 0; p < 4; p++) {
        parn_session_t *s = p ? precision_on(m, precision[p], NULL) : session_on(m, "cpu", NULL);
        ck_assert_msg(parn_classify_clip(s, (const parn_frame_t *const *)frames, len, 3, cls[p],
                                         prob[p]) == PARN_OK,
                      "%s: %s", precision[p], parn_last_error(s));
        parn_session_destroy(s);
        if (!p) continue;
        for (int k = 0; k < 3; k++)
            ck_assert_msg(fabsf(prob[p][k] - prob[0][k]) <= tol[p] * prob[0][k] + 1e-6f,
                          "%s: probability %d: fp32 %g, %g", precision[p], k, prob[0][k], prob[p][k]);
        if (prob[0][0] - prob[0][1] > tol[p] * prob[0][0])
            ck_assert_msg(cls[p][0] == cls[0][0], "%s: top class %d, fp32 %d", precision[p],
                          cls[p][0], cls[0][0]);
    }
    for (int i = 0; i < len; i++) parn_frame_free(&frames[i]);
    parn_model_destroy(m);
}
END_TEST

/* The generator's patch in fp16 and bf16 against fp32 on the CPU: its bytes (tanh scaled to
 * [0, 255]) within 3 (fp16) or 12 (bf16) of fp32's, and within 0.5 (2) on average over the
 * face box. A session of half precision cannot train. */
START_TEST(gan_in_half)
{
    parn_options_t *o = NULL;
    parn_model_t *m = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_NETWORKS, "generator");
    ck_assert_msg(parn_model_create(o, &m) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    parn_frame_t *in = noise_frame(320, 240, 7), *out[3] = {NULL, NULL, NULL};
    const float box[4] = {100, 60, 90, 110};
    const char *precision[3] = {"fp32", "fp16", "bf16"};
    const int max_diff[3] = {0, 3, 12};
    const double mean_diff[3] = {0, 0.5, 2.0};
    for (int p = 0; p < 3; p++) {
        ck_assert_int_eq(parn_frame_alloc(PARN_PIX_RGB24, 320, 240, &out[p]), PARN_OK);
        parn_session_t *s = p ? precision_on(m, precision[p], "gan") : session_on(m, "cpu", "gan");
        ck_assert_msg(parn_anonymize_frame_boxes(s, in, out[p], box, 1, NULL, 0, NULL) == PARN_OK,
                      "%s: %s", precision[p], parn_last_error(s));
        if (p) {
            parn_trainer_t *t = NULL;
            ck_assert_int_eq(parn_trainer_create(s, "gan", NULL, NULL, &t), PARN_E_UNSUPPORTED);
            ck_assert_ptr_null(t);
            ck_assert_msg(strstr(parn_last_error(s), "inference"), "%s", parn_last_error(s));
        }
        parn_session_destroy(s);
        if (!p) continue;
        int worst = 0;
        double sum = 0;
        int64_t count = 0;
        for (int y = 60; y < 170; y++)
            for (int x = 3 * 100; x < 3 * 190; x++) {
                size_t i0 = (size_t)y * (size_t)parn_frame_stride(out[0], 0) + (size_t)x;
                size_t ip = (size_t)y * (size_t)parn_frame_stride(out[p], 0) + (size_t)x;
                int d = abs(parn_frame_plane(out[0], 0)[i0] - parn_frame_plane(out[p], 0)[ip]);
                worst = d > worst ? d : worst;
                sum += d;
                count++;
            }
        ck_assert_msg(worst <= max_diff[p] && sum / (double)count <= mean_diff[p],
                      "%s: bytes differ from fp32 by %d at most, %.3g on average", precision[p],
                      worst, sum / (double)count);
    }
    parn_frame_free(&in);
    for (int p = 0; p < 3; p++) parn_frame_free(&out[p]);
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    /* the checks without a GPU first: counting devices loads the module, which stays loaded */
    Suite *s = suite_create("cuda");
    TCase *tc = tcase_create("no_gpu_needed");
    tcase_add_test(tc, missing_module_is_a_clean_error);
    tcase_add_test(tc, device_count_never_fails);
    tcase_add_test(tc, absent_device_is_a_clean_error);
    tcase_add_test(tc, malformed_device_names);
    tcase_add_test(tc, precision_option);
    suite_add_tcase(s, tc);
    int failed = optest_main(s);
    int n = -1;
    if (failed || parn_device_count("cuda", &n) != PARN_OK || n == 0) {
        if (!failed) printf("no CUDA device: the GPU checks are skipped\n");
        return failed ? failed : 77;
    }
    s = suite_create("cuda-gpu");
    TCase *ops = tcase_create("gpu_parity");
    tcase_set_timeout(ops, 300);
    tcase_add_test(ops, conv_parity);
    tcase_add_test(ops, pool_parity);
    tcase_add_test(ops, batch_norm_parity);
    tcase_add_test(ops, dense_parity);
    tcase_add_test(ops, loss_parity);
    tcase_add_test(ops, shape_parity);
    tcase_add_test(ops, leaves_follow_the_host);
    tcase_add_test(ops, half_parity);
    tcase_add_test(ops, half_weights_follow_the_host);
    suite_add_tcase(s, ops);
    TCase *api = tcase_create("gpu_pipelines");
    tcase_set_timeout(api, 600);
    tcase_add_test(api, classify_on_both_devices);
    tcase_add_test(api, faces_on_both_devices);
    tcase_add_test(api, gan_anonymization_on_both_devices);
    tcase_add_test(api, classify_in_half);
    tcase_add_test(api, gan_in_half);
    suite_add_tcase(s, api);
    /* CUDA, initialised in this process by the count above, does not work in forked children */
    SRunner *r = srunner_create(s);
    srunner_set_fork_status(r, CK_NOFORK);
    srunner_run_all(r, CK_NORMAL);
    failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
