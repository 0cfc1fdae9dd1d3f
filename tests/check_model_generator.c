/* SPDX-License-Identifier: MIT */
/* The MS-GAN generator against its PyTorch reference (tests/reference/models/generator.py):
 * outputs, every parameter and input gradient, running statistics, in train and eval mode;
 * rebuilding, shape misuse, and the configuration's JSON round trip and validation. */
#include "common/modeltest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "generator."
#define N_INPUTS 4

static const char *const input_names[N_INPUTS] = {"masked", "mask", "prev", "noise"};

typedef struct variant {
    const char *stem; /* fixtures/<stem>.safetensors and <stem>_io.safetensors */
    const char *tag;  /* "train" or "eval" in the io file */
    bool training;
} variant;

static const variant variants[] = {
    {"model_generator", "train", true},
    {"model_generator", "eval", false},
    {"model_generator_lite", "train", true},
    {"model_generator_lite", "eval", false},
};
#define N_VARIANTS (int)(sizeof variants / sizeof variants[0])

static parn_model_t *load_model(const char *stem)
{
    parn_model_t *m = modeltest_load(stem);
    ck_assert(m->has[PARN_NET_GENERATOR]);
    return m;
}

static bool io_get(const parn_st_file *io, const char *tag, const char *what, const char *name,
                   parn_tensor *t)
{
    char key[256];
    snprintf(key, sizeof key, "%s.%s%s%s", tag, what, name ? "." : "", name ? name : "");
    return parn_st_get(io, key, t) == PARN_OK;
}

/* The generator of m on a fresh graph, inputs taken from the io file under tag. */
typedef struct gen_graph {
    parn_graph *g;
    parn_net net;
    int in[N_INPUTS];
    int y;
} gen_graph;

static gen_graph build(parn_model_t *m, const parn_st_file *io, const char *tag, bool training)
{
    gen_graph r = {.g = parn_graph_create()};
    r.net = parn_net_make(r.g, m, PREFIX, training);
    for (int k = 0; k < N_INPUTS; k++) {
        parn_tensor t;
        r.in[k] = -1;
        if (!io_get(io, tag, "in", input_names[k], &t)) continue;
        r.in[k] = modeltest_input(r.g, input_names[k], &t);
        parn_graph_set_requires_grad(r.g, r.in[k], true);
    }
    r.y = parn_generator_build(&r.net, &m->generator, r.in[0], r.in[1], r.in[2], r.in[3]);
    ck_assert_msg(r.y >= 0, "build: %s", parn_graph_error(r.g));
    parn_graph_keep(r.g, r.y);
    return r;
}

static void release(gen_graph *r)
{
    parn_net_release(&r->net);
    parn_graph_destroy(r->g);
}

static bool is_running_stat(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcmp(dot, ".running_mean") == 0 || strcmp(dot, ".running_var") == 0);
}

/* Gradients of the inputs and of every trainable tensor of the generator. */
static void compare_gradients(gen_graph *r, parn_model_t *m, const parn_st_file *io, const char *tag)
{
    parn_tensor ref;
    for (int k = 0; k < N_INPUTS; k++) {
        if (r->in[k] < 0) continue;
        ck_assert(io_get(io, tag, "grad", input_names[k], &ref));
        modeltest_expect_node(r->g, parn_graph_grad(r->g, r->in[k]), &ref, NULL, input_names[k]);
    }
    int checked = 0, trainable = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const char *name = m->tensors[i].name;
        if (strncmp(name, PREFIX, strlen(PREFIX)) != 0) continue;
        ck_assert_msg(r->net.node_of[i] >= 0, "%s is not used by the network", name);
        if (is_running_stat(name)) continue;
        trainable++;
        const char *local = name + strlen(PREFIX);
        ck_assert_msg(io_get(io, tag, "grad", local, &ref), "no PyTorch gradient for %s", name);
        char what[160];
        snprintf(what, sizeof what, "grad of %s", name);
        modeltest_expect_node(r->g, parn_graph_grad(r->g, r->net.node_of[i]), &ref, NULL, what);
        checked++;
    }
    ck_assert_int_gt(checked, 0);
    ck_assert_int_eq(checked, trainable);
}

/* After a training step the model's running statistics moved as PyTorch's did. */
static void compare_running_stats(parn_model_t *m, const parn_st_file *io, const char *tag)
{
    int checked = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const char *name = m->tensors[i].name;
        if (!is_running_stat(name) || strncmp(name, PREFIX, strlen(PREFIX)) != 0) continue;
        parn_tensor ref;
        ck_assert_msg(io_get(io, tag, "running", name + strlen(PREFIX), &ref), "no %s", name);
        modeltest_expect_tensor(&m->tensors[i].t, &ref, NULL, name);
        checked++;
    }
    ck_assert_int_gt(checked, 0);
}

START_TEST(matches_pytorch)
{
    const variant *v = &variants[_i];
    parn_model_t *m = load_model(v->stem);
    parn_st_file *io = modeltest_open_io(v->stem);
    gen_graph r = build(m, io, v->tag, v->training);
    parn_tensor out, dy;
    ck_assert(io_get(io, v->tag, "out", NULL, &out) && io_get(io, v->tag, "dy", NULL, &dy));
    modeltest_backward(r.g, r.y, modeltest_input(r.g, "dy", &dy));
    modeltest_run(r.g);
    modeltest_expect_node(r.g, r.y, &out, NULL, "output");
    compare_gradients(&r, m, io, v->tag);
    if (v->training) compare_running_stats(m, io, v->tag);
    release(&r);
    parn_st_close(io);
    parn_model_destroy(m);
}
END_TEST

/* Two graphs from one model give the same bits; building twice on one net shares weights. */
START_TEST(rebuild_is_identical)
{
    parn_model_t *m = load_model("model_generator");
    parn_st_file *io = modeltest_open_io("model_generator");
    gen_graph a = build(m, io, "eval", false), b = build(m, io, "eval", false);
    modeltest_run(a.g);
    modeltest_run(b.g);
    float *ya = modeltest_read(a.g, a.y), *yb = modeltest_read(b.g, b.y);
    int64_t n = parn_tensor_numel(parn_graph_tensor(a.g, a.y));
    ck_assert_int_eq(memcmp(ya, yb, (size_t)n * sizeof *ya), 0);

    int nodes = parn_graph_size(a.g), params = 0;
    for (int i = 0; i < nodes; i++) params += parn_graph_node(a.g, i)->op == PARN_OP_PARAM;
    int y2 = parn_generator_build(&a.net, &m->generator, a.in[0], a.in[1], a.in[2], a.in[3]);
    ck_assert_msg(y2 >= 0, "%s", parn_graph_error(a.g));
    int params2 = 0;
    for (int i = 0; i < parn_graph_size(a.g); i++) params2 += parn_graph_node(a.g, i)->op == PARN_OP_PARAM;
    ck_assert_int_eq(params2, params);
    parn_graph_keep(a.g, y2);
    modeltest_run(a.g);
    float *y2d = modeltest_read(a.g, y2);
    ck_assert_int_eq(memcmp(ya, y2d, (size_t)n * sizeof *ya), 0);
    free(ya);
    free(yb);
    free(y2d);
    release(&a);
    release(&b);
    parn_st_close(io);
    parn_model_destroy(m);
}
END_TEST

static int input(parn_graph *g, const char *name, int64_t n, int64_t c, int64_t h, int64_t w)
{
    return parn_graph_input(g, name, 4, (int64_t[]){n, c, h, w});
}

/* A build that must fail with st and a message holding every needle. */
static void expect_failure(parn_graph *g, int y, parn_status st, const char *needle1, const char *needle2)
{
    ck_assert_int_lt(y, 0);
    ck_assert_int_eq(parn_graph_status(g), st);
    const char *msg = parn_graph_error(g);
    ck_assert_msg(strstr(msg, "generator") && strstr(msg, needle1) && (!needle2 || strstr(msg, needle2)),
                  "unexpected message: %s", msg);
}

/* The default configuration builds and runs at 128 x 128; wrong sizes are shape errors. */
START_TEST(default_config_and_bad_shapes)
{
    parn_model_t *m = modeltest_create("generator", NULL);
    const parn_generator_config *c = &m->generator;
    ck_assert_int_eq(c->size, 128);
    ck_assert_int_eq(c->noise_dim, 128);
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, PREFIX, false);
    int masked = input(g, "masked", 1, 3, 128, 128), mask = input(g, "mask", 1, 1, 128, 128);
    int prev = input(g, "prev", 1, 3, 128, 128);
    int noise = parn_graph_input(g, "noise", 2, (int64_t[]){1, 128});
    static float img[3 * 128 * 128], cond[128 * 128], z[128];
    for (int i = 0; i < 3 * 128 * 128; i++) img[i] = (float)(i % 97) / 97.0f;
    for (int i = 0; i < 128 * 128; i++) cond[i] = (i / 128 > 32 && i / 128 < 96) ? 1.0f : 0.0f;
    for (int i = 0; i < 128; i++) z[i] = sinf((float)i);
    parn_graph_bind(g, masked, img);
    parn_graph_bind(g, prev, img);
    parn_graph_bind(g, mask, cond);
    parn_graph_bind(g, noise, z);
    int y = parn_generator_build(&net, c, masked, mask, prev, noise);
    ck_assert_msg(y >= 0, "%s", parn_graph_error(g));
    parn_graph_keep(g, y);
    modeltest_run(g);
    const parn_tensor *t = parn_graph_tensor(g, y);
    ck_assert_int_eq(t->ndim, 4);
    ck_assert(t->dims[0] == 1 && t->dims[1] == 3 && t->dims[2] == 128 && t->dims[3] == 128);
    float *out = modeltest_read(g, y);
    for (int i = 0; i < 3 * 128 * 128; i++) ck_assert(out[i] > 0.0f && out[i] < 1.0f);
    free(out);

    /* A 100 x 100 crop for a 128 model. */
    int small = input(g, "small", 1, 3, 100, 100);
    expect_failure(g, parn_generator_build(&net, c, small, mask, prev, noise), PARN_E_SHAPE, "masked",
                   "[1, 3, 128, 128]");
    parn_net_release(&net);
    parn_graph_destroy(g);
    parn_model_destroy(m);
}
END_TEST

/* Each bad set of inputs on the small fixture model (size 32, temporal, noise 8). */
START_TEST(bad_inputs)
{
    parn_model_t *m = load_model("model_generator");
    const parn_generator_config *c = &m->generator;
    struct {
        int64_t masked[4], mask[4], prev[4];
        int64_t noise;
        bool no_prev;
        parn_status st;
        const char *needle;
    } cases[] = {
        {{2, 3, 32, 32}, {2, 3, 32, 32}, {2, 3, 32, 32}, 8, false, PARN_E_SHAPE, "mask is [2, 3, 32, 32]"},
        {{2, 3, 30, 30}, {2, 1, 32, 32}, {2, 3, 32, 32}, 8, false, PARN_E_SHAPE, "masked"},
        {{2, 1, 32, 32}, {2, 1, 32, 32}, {2, 3, 32, 32}, 8, false, PARN_E_SHAPE, "masked"},
        {{2, 3, 32, 32}, {1, 1, 32, 32}, {2, 3, 32, 32}, 8, false, PARN_E_SHAPE, "mask"},
        {{2, 3, 32, 32}, {2, 1, 32, 32}, {2, 3, 16, 16}, 8, false, PARN_E_SHAPE, "prev"},
        {{2, 3, 32, 32}, {2, 1, 32, 32}, {2, 3, 32, 32}, 7, false, PARN_E_SHAPE, "noise"},
        {{2, 3, 32, 32}, {2, 1, 32, 32}, {2, 3, 32, 32}, 8, true, PARN_E_INVALID_ARG, "prev"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parn_graph *g = parn_graph_create();
        parn_net net = parn_net_make(g, m, PREFIX, true);
        int masked = parn_graph_input(g, "masked", 4, cases[i].masked);
        int mask = parn_graph_input(g, "mask", 4, cases[i].mask);
        int prev = cases[i].no_prev ? -1 : parn_graph_input(g, "prev", 4, cases[i].prev);
        int noise = parn_graph_input(g, "noise", 2, (int64_t[]){2, cases[i].noise});
        expect_failure(g, parn_generator_build(&net, c, masked, mask, prev, noise), cases[i].st,
                       cases[i].needle, NULL);
        parn_net_release(&net);
        parn_graph_destroy(g);
    }
    /* Inputs the configuration does not take; a NULL configuration. */
    parn_model_t *lite = load_model("model_generator_lite");
    for (int k = 0; k < 3; k++) {
        parn_graph *g = parn_graph_create();
        parn_net net = parn_net_make(g, lite, PREFIX, false);
        int x = input(g, "masked", 1, 1, 16, 16), mask = input(g, "mask", 1, 1, 16, 16);
        int extra = k == 0 ? input(g, "prev", 1, 1, 16, 16) : parn_graph_input(g, "z", 2, (int64_t[]){1, 4});
        int y = k == 0   ? parn_generator_build(&net, &lite->generator, x, mask, extra, -1)
                : k == 1 ? parn_generator_build(&net, &lite->generator, x, mask, -1, extra)
                         : parn_generator_build(&net, NULL, x, mask, -1, -1);
        expect_failure(g, y, PARN_E_INVALID_ARG, k == 0 ? "prev" : k == 1 ? "noise" : "NULL", NULL);
        parn_net_release(&net);
        parn_graph_destroy(g);
    }
    parn_model_destroy(lite);
    parn_model_destroy(m);
}
END_TEST

static bool same_config(const parn_generator_config *a, const parn_generator_config *b)
{
    return a->size == b->size && a->channels == b->channels && a->base == b->base &&
           a->depth == b->depth && a->noise_dim == b->noise_dim &&
           a->fusion_channels == b->fusion_channels && a->gamma == b->gamma &&
           a->temporal == b->temporal && a->max_channels == b->max_channels;
}

static parn_status from_text(const char *text, parn_generator_config *c)
{
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "bad test JSON %s", text);
    parn_status st = parn_generator_from_json(j, c);
    cJSON_Delete(j);
    return st;
}

START_TEST(config_json)
{
    parn_generator_config def, c, back;
    parn_generator_default(&def);
    ck_assert_int_eq(from_text("{}", &c), PARN_OK);
    ck_assert(same_config(&c, &def));
    ck_assert_int_eq(from_text("{\"size\": 64, \"base\": 16, \"depth\": 3, \"noise_dim\": 0,"
                               " \"fusion_channels\": 32, \"gamma\": 0.25, \"temporal\": false,"
                               " \"max_channels\": 48, \"channels\": 1}", &c), PARN_OK);
    ck_assert_int_eq(c.size, 64);
    ck_assert(c.gamma == 0.25f && !c.temporal && c.max_channels == 48);
    const parn_generator_config *both[] = {&def, &c};
    for (int i = 0; i < 2; i++) {
        cJSON *j = parn_generator_to_json(both[i]);
        ck_assert_ptr_nonnull(j);
        ck_assert_int_eq(parn_generator_from_json(j, &back), PARN_OK);
        ck_assert(same_config(&back, both[i]));
        cJSON_Delete(j);
    }
    ck_assert_int_eq(from_text("{\"depth\": 2}", &c), PARN_OK); /* the others keep defaults */
    ck_assert(c.depth == 2 && c.size == 128 && c.base == 32 && c.temporal);

    struct {
        const char *json, *needle;
    } bad[] = {
        {"{\"size\": 0}", "size"},
        {"{\"size\": 100}", "size"},        /* not a multiple of 2^4 */
        {"{\"size\": \"128\"}", "size"},
        {"{\"size\": 127.5}", "size"},
        {"{\"channels\": 0}", "channels"},
        {"{\"channels\": 17}", "channels"},
        {"{\"base\": -1}", "base"},
        {"{\"base\": 512}", "base"},        /* above max_channels */
        {"{\"depth\": 0}", "depth"},
        {"{\"depth\": 8}", "size"},         /* 128 is not a multiple of 256 */
        {"{\"noise_dim\": -1}", "noise_dim"},
        {"{\"noise_dim\": 4096, \"size\": 1024, \"depth\": 1}", "noise_dim"},
        {"{\"fusion_channels\": 0}", "fusion_channels"},
        {"{\"max_channels\": 0}", "max_channels"},
        {"{\"gamma\": -1}", "gamma"},
        {"{\"gamma\": 1e9}", "gamma"},
        {"{\"gamma\": true}", "gamma"},
        {"{\"temporal\": 1}", "temporal"},
        {"{\"tempral\": true}", "tempral"},
        {"[1, 2]", "object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parn_generator_config keep = def;
        ck_assert_msg(from_text(bad[i].json, &keep) == PARN_E_INVALID_ARG, "%s accepted", bad[i].json);
        const char *msg = parn_last_error(NULL);
        ck_assert_msg(strstr(msg, "generator") && strstr(msg, bad[i].needle), "%s: message '%s'",
                      bad[i].json, msg);
        ck_assert(same_config(&keep, &def)); /* unchanged on failure */
    }
    ck_assert_ptr_null(parn_generator_to_json(NULL));
    ck_assert_int_eq(parn_generator_from_json(NULL, NULL), PARN_E_INVALID_ARG);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("model_generator");
    TCase *tc = tcase_create("model_generator");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, matches_pytorch, 0, N_VARIANTS);
    tcase_add_test(tc, rebuild_is_identical);
    tcase_add_test(tc, default_config_and_bad_shapes);
    tcase_add_test(tc, bad_inputs);
    tcase_add_test(tc, config_json);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return optest_main(suite());
}
