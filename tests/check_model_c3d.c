/* SPDX-License-Identifier: MIT */
/* C3D against its PyTorch reference (tests/reference/models/c3d.py): logits and the gradient
 * of every parameter and of the clip, both variants, eval and train mode, with and without the
 * FEM; dropout statistics; configuration JSON; and misuse. */
#include "common/modeltest.h"

#include "backend/backend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- one network on a graph, with its loss and gradients ------------------------------- */

typedef struct c3d_run {
    parn_graph *g;
    parn_net c3d, fem;
    int clip, logits, l2;
} c3d_run;

/* The loss sum(logits * dy) (+ l2 * dl2 with the FEM) as one scalar node. */
static int loss_of(c3d_run *r, const parn_st_file *io, bool with_fem)
{
    int loss = modeltest_dot(r->g, r->logits, modeltest_io_input(r->g, io, NULL, "dy.logits"));
    if (!with_fem) return loss;
    return parn_add(r->g, loss, parn_mul(r->g, r->l2, modeltest_io_input(r->g, io, NULL, "dy.l2")));
}

/* Builds C3D (and the FEM where the model has one) on the fixture's clip, with the backward
 * pass of the fixture's loss. Train mode runs with dropout 0 (PyTorch's masks are random). */
static void build_run(c3d_run *r, parn_model_t *m, const parn_st_file *io, bool training)
{
    bool with_fem = m->has[PARN_NET_FEM];
    r->l2 = -1;
    r->g = parn_graph_create();
    r->c3d = parn_net_make(r->g, m, "c3d.", training);
    r->fem = parn_net_make(r->g, m, "fem.", training);
    parn_c3d_config c = m->c3d; /* shares the class names: never freed here */
    if (training) c.dropout = 0.0f;
    r->clip = modeltest_io_input(r->g, io, NULL, "in.clip");
    parn_graph_set_requires_grad(r->g, r->clip, true);
    r->logits = parn_c3d_build(&r->c3d, &c, r->clip, with_fem ? &r->fem : NULL, &m->fem,
                               with_fem ? &r->l2 : NULL);
    ck_assert_msg(r->logits >= 0, "build: %s", parn_graph_error(r->g));
    ck_assert_int_eq(with_fem, r->l2 >= 0);
    parn_graph_keep(r->g, r->logits);
    if (with_fem) parn_graph_keep(r->g, r->l2);
    modeltest_backward(r->g, loss_of(r, io, with_fem), -1);
}

static void release_run(c3d_run *r)
{
    parn_net_release(&r->c3d);
    parn_net_release(&r->fem);
    parn_graph_destroy(r->g);
}

/* node against the io tensor name; what says which fixture and mode. */
static void compare(const parn_graph *g, int node, const parn_st_file *io, const char *name,
                    const char *what)
{
    parn_tensor ref = modeltest_io_tensor(io, NULL, name);
    modeltest_expect_node(g, node, &ref, what, name);
}

/* Every trainable tensor's gradient; returns how many were compared. */
static int compare_parameter_grads(const c3d_run *r, const parn_model_t *m, const parn_st_file *io,
                                   const char *what)
{
    int compared = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const char *name = m->tensors[i].name;
        const parn_net *net = strncmp(name, "fem.", 4) == 0 ? &r->fem : &r->c3d;
        char key[200];
        snprintf(key, sizeof key, "grad.%s", name);
        ck_assert_msg(net->node_of && i < net->node_cap && net->node_of[i] >= 0,
                      "%s: %s has no node", what, name);
        compare(r->g, parn_graph_grad(r->g, net->node_of[i]), io, key, what);
        compared++;
    }
    return compared;
}

static int count_ops(parn_graph *g, parn_op_type op)
{
    int n = 0;
    for (int i = 0; i < parn_graph_size(g); i++) n += parn_graph_node(g, i)->op == op;
    return n;
}

static void check_against_pytorch(const char *stem, bool training)
{
    char what[64];
    snprintf(what, sizeof what, "%s (%s)", stem, training ? "train" : "eval");
    parn_model_t *m = modeltest_load(stem);
    parn_st_file *io = modeltest_open_io(stem);
    c3d_run r;
    build_run(&r, m, io, training);
    /* Dropout is appended in train mode only: eval has none to copy through. */
    ck_assert_int_eq(count_ops(r.g, PARN_OP_DROPOUT), training ? 2 : 0);
    modeltest_run(r.g);
    compare(r.g, r.logits, io, "out.logits", what);
    if (m->has[PARN_NET_FEM]) compare(r.g, r.l2, io, "out.l2", what);
    compare(r.g, parn_graph_grad(r.g, r.clip), io, "grad.clip", what);
    int compared = compare_parameter_grads(&r, m, io, what);
    ck_assert_int_eq(compared + 1, modeltest_count_prefixed(io, "grad.")); /* every fixture gradient was checked */
    release_run(&r);
    parn_st_close(io);
    parn_model_destroy(m);
}

/* Fixtures: the paper's variant, the original 8-conv C3D, and C3D with the FEM after block 2. */
static const char *const stems[] = {"model_c3d", "model_c3d8", "model_c3d_fem"};

START_TEST(matches_pytorch)
{
    check_against_pytorch(stems[_i / 2], _i % 2 == 1);
}
END_TEST

/* ---- dropout ------------------------------------------------------------------------------ */

/* Train mode with p = 0.5: each mask holds only 0 and 2, drops about half, changes between
 * runs, and the dropout output is its input times the mask. */
START_TEST(dropout_statistics)
{
    parn_model_t *m = modeltest_load("model_c3d");
    ck_assert_float_eq(m->c3d.dropout, 0.5f);
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, "c3d.", true);
    int64_t dims[] = {2, 3, m->c3d.frames, m->c3d.crop, m->c3d.crop};
    int clip = parn_graph_input(g, "clip", 5, dims);
    int y = parn_c3d_build(&net, &m->c3d, clip, NULL, NULL, NULL);
    ck_assert_msg(y >= 0, "%s", parn_graph_error(g));
    int drop[2], mask[2], n = 0;
    for (int i = 0; i < parn_graph_size(g) && n < 2; i++)
        if (parn_graph_node(g, i)->op == PARN_OP_DROPOUT) drop[n++] = i;
    ck_assert_int_eq(n, 2);
    for (int k = 0; k < 2; k++) {
        ck_assert_float_eq(parn_graph_node(g, drop[k])->attrs.dropout.p, 0.5f);
        mask[k] = parn_side(g, drop[k], 0);
        parn_graph_keep(g, mask[k]);
        parn_graph_keep(g, drop[k]);
        parn_graph_keep(g, parn_graph_node(g, drop[k])->src[0]);
    }
    parn_graph_keep(g, y);
    int64_t numel = 2 * 3 * dims[2] * dims[3] * dims[3];
    float *data = malloc((size_t)numel * sizeof(float));
    for (int64_t i = 0; i < numel; i++) data[i] = (float)sin((double)i * 0.37);
    parn_graph_bind(g, clip, data);
    int64_t width = 2 * m->c3d.fc, kept = 0, total = 0, changed = 0;
    float *x = malloc((size_t)width * sizeof(float)), *out = malloc((size_t)width * sizeof(float));
    float *mk = malloc((size_t)width * sizeof(float)), *prev = calloc((size_t)width, sizeof(float));
    for (int run = 0; run < 40; run++) {
        ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_OK);
        for (int k = 0; k < 2; k++) {
            ck_assert_int_eq(parn_graph_read(g, mask[k], mk), PARN_OK);
            ck_assert_int_eq(parn_graph_read(g, drop[k], out), PARN_OK);
            ck_assert_int_eq(parn_graph_read(g, parn_graph_node(g, drop[k])->src[0], x), PARN_OK);
            for (int64_t i = 0; i < width; i++) {
                ck_assert_msg(mk[i] == 0.0f || mk[i] == 2.0f, "mask value %g", mk[i]);
                ck_assert_float_eq(out[i], x[i] * mk[i]);
                kept += mk[i] != 0.0f;
                if (k == 0) changed += mk[i] != prev[i];
            }
            if (k == 0) memcpy(prev, mk, (size_t)width * sizeof(float));
            total += width;
        }
    }
    double rate = (double)kept / (double)total; /* 10240 draws: 3 sigma = 0.015 */
    ck_assert_msg(fabs(rate - 0.5) < 0.03, "kept %.3f of the activations, not 0.5", rate);
    ck_assert_msg(changed > 39 * width / 4, "masks barely change between runs (%lld)", (long long)changed);
    free(x), free(out), free(mk), free(prev), free(data);
    parn_net_release(&net);
    parn_graph_destroy(g);
    parn_model_destroy(m);
}
END_TEST

/* ---- configuration ------------------------------------------------------------------------ */

static void expect_same_config(const parn_c3d_config *a, const parn_c3d_config *b)
{
    ck_assert_int_eq(a->variant, b->variant);
    ck_assert_int_eq(a->classes, b->classes);
    ck_assert_int_eq(a->frames, b->frames);
    ck_assert_int_eq(a->crop, b->crop);
    ck_assert_int_eq(a->fc, b->fc);
    ck_assert_float_eq(a->dropout, b->dropout);
    ck_assert_int_eq(a->fem_after, b->fem_after);
    ck_assert_int_eq(a->base, b->base);
    ck_assert_ptr_nonnull(b->class_names);
    for (int i = 0; i < a->classes; i++) {
        char fallback[32];
        snprintf(fallback, sizeof fallback, "class_%d", i);
        ck_assert_str_eq(a->class_names ? a->class_names[i] : fallback, b->class_names[i]);
    }
}

static void round_trip(const parn_c3d_config *c)
{
    cJSON *j = parn_c3d_to_json(c);
    ck_assert_ptr_nonnull(j);
    ck_assert(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "class_names")));
    parn_c3d_config back;
    ck_assert_msg(parn_c3d_from_json(j, &back) == PARN_OK, "%s", parn_last_error(NULL));
    expect_same_config(c, &back);
    parn_c3d_config_free(&back);
    ck_assert_ptr_null(back.class_names);
    cJSON_Delete(j);
}

START_TEST(json_round_trip)
{
    parn_c3d_config d;
    parn_c3d_default(&d);
    ck_assert_int_eq(d.variant, 5);
    ck_assert_int_eq(d.classes, 101);
    ck_assert_int_eq(d.frames, 16);
    ck_assert_int_eq(d.crop, 112);
    ck_assert_int_eq(d.fc, 2048);
    ck_assert_float_eq(d.dropout, 0.5f);
    ck_assert_int_eq(d.fem_after, 1);
    ck_assert_int_eq(d.base, 64);
    round_trip(&d);

    /* Missing keys keep the defaults; names default to class_<i>. */
    cJSON *empty = cJSON_CreateObject();
    parn_c3d_config c;
    ck_assert_int_eq(parn_c3d_from_json(empty, &c), PARN_OK);
    expect_same_config(&d, &c);
    ck_assert_str_eq(c.class_names[100], "class_100");
    parn_c3d_config_free(&c);
    cJSON_Delete(empty);

    parn_model_t *m = modeltest_load("model_c3d8");
    ck_assert_int_eq(m->c3d.variant, 8);
    round_trip(&m->c3d);
    parn_model_destroy(m);
    m = modeltest_load("model_c3d");
    ck_assert_str_eq(m->c3d.class_names[3], "fall");
    round_trip(&m->c3d);
    parn_model_destroy(m);
}
END_TEST

/* Each bad configuration fails with PARN_E_INVALID_ARG and a message naming the field. */
/* "init": "kaiming" gives He-normal weights (std sqrt(2 / fan_in)) and zero biases, and is kept
 * in the model's config. */
START_TEST(kaiming_initialisation)
{
    parn_options_t *o = NULL;
    parn_model_t *m = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_NETWORKS, "c3d");
    parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, "{\"c3d\": {\"base\": 8, \"fc\": 64, \"init\": \"kaiming\"}}");
    ck_assert_msg(parn_model_create(o, &m) == PARN_OK, "%s", parn_last_error(NULL));
    ck_assert(m->c3d.kaiming);
    ck_assert_ptr_nonnull(strstr(parn_model_describe(m), "kaiming"));
    int w = parn_model_find(m, "c3d.conv2.weight"), b = parn_model_find(m, "c3d.conv2.bias");
    ck_assert_int_ge(w, 0);
    ck_assert_int_ge(b, 0);
    const parn_tensor *t = &m->tensors[w].t;
    int64_t n = parn_tensor_numel(t), fan_in = n / t->dims[0];
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; i++) sum += t->data[i], sq += (double)t->data[i] * t->data[i];
    double mean = sum / (double)n, sd = sqrt(sq / (double)n - mean * mean), want = sqrt(2.0 / (double)fan_in);
    ck_assert_msg(fabs(mean) < 0.1 * want && fabs(sd - want) < 0.05 * want, "mean %g sd %g, want sd %g", mean, sd, want);
    for (int64_t i = 0; i < parn_tensor_numel(&m->tensors[b].t); i++) ck_assert_float_eq(m->tensors[b].t.data[i], 0.0f);
    parn_model_destroy(m);
    parn_options_destroy(o);
}
END_TEST

START_TEST(bad_configs_are_rejected)
{
    static const struct {
        const char *json, *word;
    } bad[] = {
        {"{\"variant\": 6}", "variant"},
        {"{\"variant\": \"5\"}", "variant"},
        {"{\"classes\": 0}", "classes"},
        {"{\"classes\": 1025}", "classes"},
        {"{\"frames\": 16.5}", "frames"},
        {"{\"frames\": 8}", "too small"},
        {"{\"frames\": 15, \"crop\": 64}", "frames >= 16"},
        {"{\"crop\": 31}", "crop >= 32"},
        {"{\"variant\": 8, \"crop\": 15}", "crop >= 16"},
        {"{\"crop\": -112}", "crop"},
        {"{\"fc\": 0}", "fc"},
        {"{\"fc\": 1e12}", "fc"},
        {"{\"dropout\": 1}", "dropout"},
        {"{\"dropout\": -0.1}", "dropout"},
        {"{\"dropout\": true}", "dropout"},
        {"{\"fem_after\": 6}", "fem_after"},
        {"{\"fem_after\": -1}", "fem_after"},
        {"{\"base\": 0}", "base"},
        {"{\"init\": \"xavier\"}", "init"},
        {"{\"init\": 1}", "init"},
        {"{\"classes\": 2, \"class_names\": [\"a\"]}", "class_names"},
        {"{\"classes\": 2, \"class_names\": \"a,b\"}", "class_names"},
        {"{\"classes\": 2, \"class_names\": [\"a\", 3]}", "class_names"},
        {"{\"classes\": 2, \"class_names\": [\"a\", \"\"]}", "class_names"},
        {"{\"class_names\": [\"a\"]}", "class_names"}, /* 1 name, 101 classes */
        {"{\"fc_size\": 64}", "fc_size"},
        {"[16]", "object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *j = cJSON_Parse(bad[i].json);
        ck_assert_ptr_nonnull(j);
        parn_c3d_config c;
        ck_assert_msg(parn_c3d_from_json(j, &c) == PARN_E_INVALID_ARG, "%s accepted", bad[i].json);
        const char *msg = parn_last_error(NULL);
        ck_assert_msg(strstr(msg, bad[i].word), "%s: '%s' does not name %s", bad[i].json, msg, bad[i].word);
        ck_assert_ptr_null(c.class_names); /* nothing leaks from a failed parse */
        ck_assert_int_eq(c.classes, 101);
        cJSON_Delete(j);
    }
    parn_c3d_config c;
    ck_assert_int_eq(parn_c3d_from_json(NULL, &c), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_c3d_from_json(NULL, NULL), PARN_E_INVALID_ARG);
    ck_assert_ptr_null(parn_c3d_to_json(NULL));
    parn_c3d_config_free(NULL);
}
END_TEST

/* ---- the flatten size at the default clip, from fresh models ------------------------------ */

static void expect_dims(const parn_model_t *m, const char *name, int64_t d0, int64_t d1)
{
    int i = parn_model_find(m, name);
    ck_assert_msg(i >= 0, "no %s", name);
    ck_assert_int_eq(m->tensors[i].t.dims[0], d0);
    ck_assert_int_eq(m->tensors[i].t.dims[1], d1);
}

START_TEST(flatten_size_follows_the_clip)
{
    /* The paper's network at 16 x 112 x 112: 256 x 1 x 3 x 3 = 2304 into fc6. */
    parn_model_t *m = modeltest_create("c3d", "{\"c3d\": {}}");
    expect_dims(m, "c3d.fc6.weight", 2048, 2304);
    expect_dims(m, "c3d.conv5.weight", 256, 256);
    expect_dims(m, "c3d.fc8.weight", 101, 2048);
    parn_model_destroy(m);
    /* The original (narrowed 64x to stay light): 8 x 1 x 4 x 4 with pool5's padding. */
    m = modeltest_create("c3d", "{\"c3d\": {\"variant\": 8, \"base\": 1, \"fc\": 8}}");
    expect_dims(m, "c3d.fc6.weight", 8, 8 * 4 * 4);
    expect_dims(m, "c3d.conv5b.weight", 8, 8);
    parn_model_destroy(m);
    /* 40 frames x 71: 4 x 2 x 2 x 2. */
    m = modeltest_create("c3d", "{\"c3d\": {\"base\": 1, \"fc\": 8, \"frames\": 40, \"crop\": 71}}");
    expect_dims(m, "c3d.fc6.weight", 8, 4 * 2 * 2 * 2);
    parn_model_destroy(m);
}
END_TEST

/* ---- misuse of the builder ---------------------------------------------------------------- */

/* A graph with a clip input of the given dims and a net on m. */
static parn_graph *clip_graph(parn_model_t *m, parn_net *net, const int64_t *dims, int ndim, int *clip)
{
    parn_graph *g = parn_graph_create();
    *net = parn_net_make(g, m, "c3d.", false);
    *clip = parn_graph_input(g, "clip", ndim, dims);
    return g;
}

static void expect_build_failure(parn_model_t *m, const parn_c3d_config *c, const int64_t *dims,
                                 int ndim, parn_status st, const char *word)
{
    parn_net net;
    int clip, l2 = 7;
    parn_graph *g = clip_graph(m, &net, dims, ndim, &clip);
    int y = parn_c3d_build(&net, c, clip, NULL, NULL, &l2);
    ck_assert_int_eq(l2, -1);
    parn_net_release(&net);
    optest_expect_failure(g, y, st, word);
}

START_TEST(builder_misuse_is_an_error)
{
    parn_model_t *m = modeltest_load("model_c3d");
    const parn_c3d_config *c = &m->c3d;
    int64_t ok[] = {2, 3, 17, 33, 33};
    expect_build_failure(m, c, (int64_t[]){2, 3, 16, 33, 33}, 5, PARN_E_SHAPE, "c3d: clip");
    expect_build_failure(m, c, (int64_t[]){2, 1, 17, 33, 33}, 5, PARN_E_SHAPE, "c3d: clip");
    expect_build_failure(m, c, (int64_t[]){2, 3, 17, 33, 32}, 5, PARN_E_SHAPE, "c3d: clip");
    expect_build_failure(m, c, (int64_t[]){2, 3, 33, 33}, 4, PARN_E_SHAPE, "c3d: clip");
    expect_build_failure(m, NULL, ok, 5, PARN_E_INVALID_ARG, "c3d");

    parn_c3d_config bad = *c;
    bad.variant = 7;
    expect_build_failure(m, &bad, ok, 5, PARN_E_INVALID_ARG, "variant");
    bad = *c;
    bad.frames = 4;
    expect_build_failure(m, &bad, (int64_t[]){2, 3, 4, 33, 33}, 5, PARN_E_INVALID_ARG, "too small");
    /* Configurations the model's tensors do not fit. */
    bad = *c;
    bad.fc = 32;
    expect_build_failure(m, &bad, ok, 5, PARN_E_SHAPE, "c3d.fc6.weight");
    bad = *c;
    bad.variant = 8;
    expect_build_failure(m, &bad, ok, 5, PARN_E_NOT_FOUND, "c3d.conv1a.weight");
    bad = *c;
    bad.crop = 35; /* same pooled size, so the first mismatch is the clip */
    expect_build_failure(m, &bad, ok, 5, PARN_E_SHAPE, "c3d: clip");

    /* Not a node; a graph already failed. */
    parn_net net;
    int clip;
    parn_graph *g = clip_graph(m, &net, ok, 5, &clip);
    int y = parn_c3d_build(&net, c, 12345, NULL, NULL, NULL);
    parn_net_release(&net);
    optest_expect_failure(g, y, PARN_E_INVALID_ARG, "c3d: clip");
    g = clip_graph(m, &net, ok, 5, &clip);
    ck_assert_int_lt(parn_relu(g, 999), 0);
    ck_assert_int_lt(parn_c3d_build(&net, c, clip, NULL, NULL, NULL), 0);
    ck_assert_int_eq(parn_graph_size(g), 1); /* nothing appended after the failure */
    parn_net_release(&net);
    parn_graph_destroy(g);
    ck_assert_int_lt(parn_c3d_build(NULL, c, clip, NULL, NULL, NULL), 0);
    parn_model_destroy(m);
}
END_TEST

/* The FEM hook checks its channels, its config and its graph. */
START_TEST(fem_misuse_is_an_error)
{
    parn_model_t *m = modeltest_load("model_c3d_fem");
    int64_t dims[] = {1, 3, m->c3d.frames, m->c3d.crop, m->c3d.crop};
    parn_fem_config fc = m->fem;
    parn_c3d_config cc = m->c3d;
    const char *word[] = {"FEM has 8 channels but conv block 1", "FEM config", "another graph"};
    for (int k = 0; k < 3; k++) {
        parn_net net, fem;
        int clip;
        parn_graph *g = clip_graph(m, &net, dims, 5, &clip), *other = parn_graph_create();
        fem = parn_net_make(k == 2 ? other : g, m, "fem.", false);
        cc.fem_after = k == 0 ? 1 : 2;
        int y = parn_c3d_build(&net, &cc, clip, &fem, k == 1 ? NULL : &fc, NULL);
        parn_net_release(&net);
        parn_net_release(&fem);
        parn_graph_destroy(other);
        optest_expect_failure(g, y, PARN_E_INVALID_ARG, word[k]);
    }
    /* fem_after 0: the FEM is ignored and no l2 comes out. */
    parn_net net, fem;
    int clip, l2 = 7;
    parn_graph *g = clip_graph(m, &net, dims, 5, &clip);
    fem = parn_net_make(g, m, "fem.", false);
    cc.fem_after = 0;
    ck_assert_int_ge(parn_c3d_build(&net, &cc, clip, &fem, &fc, &l2), 0);
    ck_assert_int_eq(l2, -1);
    parn_net_release(&net);
    parn_net_release(&fem);
    parn_graph_destroy(g);
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model_c3d");
    TCase *fixtures = tcase_create("pytorch");
    tcase_set_timeout(fixtures, 300);
    tcase_add_loop_test(fixtures, matches_pytorch, 0, 2 * (int)(sizeof stems / sizeof *stems));
    tcase_add_test(fixtures, dropout_statistics);
    suite_add_tcase(s, fixtures);
    TCase *config = tcase_create("config");
    tcase_set_timeout(config, 120);
    tcase_add_test(config, json_round_trip);
    tcase_add_test(config, bad_configs_are_rejected);
    tcase_add_test(config, kaiming_initialisation);
    tcase_add_test(config, flatten_size_follows_the_clip);
    suite_add_tcase(s, config);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, builder_misuse_is_an_error);
    tcase_add_test(misuse, fem_misuse_is_an_error);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
