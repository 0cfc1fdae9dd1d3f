/* SPDX-License-Identifier: MIT */
/* The feature enhancement module against its PyTorch reference (tests/reference/models/fem.py):
 * the recalibrated features, the L2 term, every parameter gradient and the feature gradient, on
 * 5-D and 4-D features with odd and even spatial kernels; configuration JSON; and misuse. */
#include "common/optest.h"

#include "backend/backend.h"
#include "io/safetensors.h"
#include "models/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "fem."
#define REL_TOL 1e-4

static const char *fixture_path(const char *name)
{
    static char path[1024];
    const char *dir = getenv("PARN_FIXTURES");
    snprintf(path, sizeof path, "%s/%s.safetensors", dir ? dir : "tests/reference/fixtures", name);
    return path;
}

static parn_model_t *load_model(const char *name)
{
    parn_model_t *m = NULL;
    ck_assert_msg(parn_model_load(fixture_path(name), &m) == PARN_OK, "%s", parn_last_error(NULL));
    return m;
}

static parn_tensor io_tensor(const parn_st_file *io, const char *tag, const char *what)
{
    char key[200];
    parn_tensor t;
    snprintf(key, sizeof key, "%s.%s", tag, what);
    ck_assert_msg(parn_st_get(io, key, &t) == PARN_OK, "fixture has no '%s'", key);
    return t;
}

static void compare_node(parn_graph *g, int node, const parn_st_file *io, const char *tag,
                         const char *what)
{
    parn_tensor want = io_tensor(io, tag, what);
    ck_assert_msg(node >= 0, "%s: no node for %s", tag, what);
    ck_assert_msg(parn_tensor_same_dims(parn_graph_tensor(g, node), &want), "%s: %s is %s", tag,
                  what, parn_tensor_shape_str(parn_graph_tensor(g, node)));
    int64_t n = parn_tensor_numel(&want);
    float *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
    ck_assert_int_eq(parn_graph_read(g, node, buf), PARN_OK);
    double err = optest_rel_error(buf, want.data, n);
    ck_assert_msg(err < REL_TOL, "%s: %s differs from PyTorch: relative error %.3g", tag, what, err);
    free(buf);
}

static int count_prefixed(const parn_st_file *io, const char *prefix)
{
    int n = 0;
    for (int i = 0; i < parn_st_count(io); i++) n += strncmp(parn_st_name(io, i), prefix, strlen(prefix)) == 0;
    return n;
}

/* The fixture cases: model file, case index in its io file. */
static const struct {
    const char *model;
    const char *tag;
} cases[] = {
    {"model_fem", "0"},    /* 2 x 16 x 4 x 8 x 8, kernel 7 */
    {"model_fem", "1"},    /* 2 x 16 x 9 x 7: a one-frame clip */
    {"model_fem_k4", "0"}, /* kernel 4: asymmetric 'same' padding */
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

/* _i: case * 2 + (0 training, 1 inference); the FEM computes the same in both. */
START_TEST(matches_pytorch)
{
    const char *tag = cases[_i / 2].tag;
    char io_name[64];
    snprintf(io_name, sizeof io_name, "%s_io", cases[_i / 2].model);
    parn_model_t *m = load_model(cases[_i / 2].model);
    parn_st_file *io = NULL;
    ck_assert_int_eq(parn_st_open(fixture_path(io_name), &io), PARN_OK);
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, PREFIX, _i % 2 == 0);

    parn_tensor x = io_tensor(io, tag, "in.features"), dy = io_tensor(io, tag, "dy.y");
    int features = parn_graph_input(g, "features", x.ndim, x.dims);
    parn_graph_bind(g, features, x.data);
    parn_graph_set_requires_grad(g, features, true);
    int l2 = -1, y = parn_fem_build(&net, &m->fem, features, &l2);
    ck_assert_msg(y >= 0 && l2 >= 0, "build: %s", parn_graph_error(g));
    ck_assert_int_eq(parn_graph_tensor(g, l2)->ndim, 0);
    parn_graph_keep(g, y);
    parn_graph_keep(g, l2);
    /* loss = sum(y * dy) + l2 * dl2 */
    int dy_node = parn_graph_input(g, "dy", dy.ndim, dy.dims);
    parn_graph_bind(g, dy_node, dy.data);
    int dot = parn_reduce(g, parn_mul(g, y, dy_node), (1u << dy.ndim) - 1, false, false);
    float dl2 = io_tensor(io, tag, "dy.l2").data[0];
    int loss = parn_add(g, dot, parn_affine(g, l2, dl2, 0.0f));
    ck_assert_msg(parn_graph_backward(g, loss, -1) == PARN_OK, "backward: %s", parn_last_error(NULL));
    ck_assert_msg(parn_graph_run(g, parn_backend_cpu(), optest_cpu()) == PARN_OK, "run: %s",
                  parn_last_error(NULL));

    compare_node(g, y, io, tag, "out.y");
    compare_node(g, l2, io, tag, "out.l2");
    compare_node(g, parn_graph_grad(g, features), io, tag, "grad.features");
    int grads = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        char what[160];
        snprintf(what, sizeof what, "grad.%s", m->tensors[i].name + strlen(PREFIX));
        compare_node(g, parn_graph_grad(g, net.node_of[i]), io, tag, what);
        grads++;
    }
    char grad_prefix[32];
    snprintf(grad_prefix, sizeof grad_prefix, "%s.grad.", tag);
    ck_assert_int_eq(grads + 1, count_prefixed(io, grad_prefix)); /* + the features */

    parn_net_release(&net);
    parn_graph_destroy(g);
    parn_st_close(io);
    parn_model_destroy(m);
}
END_TEST

/* The default FEM (C3D's 64 channels after pool1) on a fresh model: dims of the output and
 * the L2 term, with and without the L2 output, on 5-D and 4-D features. */
START_TEST(default_configuration_builds)
{
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_NETWORKS, "fem");
    parn_model_t *m = NULL;
    parn_status st = parn_model_create(o, &m);
    parn_options_destroy(o);
    ck_assert_msg(st == PARN_OK, "create: %s", parn_last_error(NULL));
    ck_assert_int_eq(m->fem.channels, 64);
    static const int64_t shapes[][5] = {{1, 64, 16, 56, 56}, {3, 64, 28, 28}};
    for (int k = 0; k < 2; k++) {
        int nd = k == 0 ? 5 : 4;
        parn_graph *g = parn_graph_create();
        parn_net net = parn_net_make(g, m, PREFIX, true);
        int x = parn_graph_input(g, "features", nd, shapes[k]), l2 = -1;
        int y = parn_fem_build(&net, &m->fem, x, k == 0 ? &l2 : NULL);
        ck_assert_msg(y >= 0, "%s", parn_graph_error(g));
        const parn_tensor *t = parn_graph_tensor(g, y);
        ck_assert_int_eq(t->ndim, nd);
        for (int i = 0; i < nd; i++) ck_assert_int_eq(t->dims[i], shapes[k][i]);
        if (k == 0) ck_assert_int_eq(parn_graph_tensor(g, l2)->ndim, 0);
        parn_net_release(&net);
        parn_graph_destroy(g);
    }
    parn_model_destroy(m);
}
END_TEST

static void expect_json_error(const char *json, const char *word)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_ptr_nonnull(j);
    parn_fem_config c, before;
    parn_fem_default(&c);
    c.privacy_hidden = 5;
    before = c;
    ck_assert_msg(parn_fem_from_json(j, &c) == PARN_E_INVALID_ARG, "%s was accepted", json);
    ck_assert_msg(strstr(parn_last_error(NULL), word) != NULL, "%s: message '%s' does not name %s",
                  json, parn_last_error(NULL), word);
    ck_assert_int_eq(memcmp(&c, &before, sizeof c), 0); /* unchanged on failure */
    cJSON_Delete(j);
}

START_TEST(bad_configurations_are_rejected)
{
    expect_json_error("{\"channels\": 0}", "channels");
    expect_json_error("{\"channels\": 16.5}", "channels");
    expect_json_error("{\"reduction\": -1}", "reduction");
    expect_json_error("{\"channels\": 8, \"reduction\": 16}", "reduction");
    expect_json_error("{\"privacy_hidden\": \"32\"}", "privacy_hidden");
    expect_json_error("{\"spatial_kernel\": 0}", "spatial_kernel");
    expect_json_error("{\"spatial_kernel\": 99}", "spatial_kernel");
    expect_json_error("{\"spatial_kernel\": [7]}", "spatial_kernel");
    expect_json_error("{\"kernel\": 7}", "kernel");
    expect_json_error("7", "object");
    parn_fem_config c;
    ck_assert_int_eq(parn_fem_from_json(NULL, &c), PARN_E_INVALID_ARG);
    cJSON *empty = cJSON_CreateObject();
    ck_assert_int_eq(parn_fem_from_json(empty, NULL), PARN_E_INVALID_ARG);
    cJSON_Delete(empty);
    ck_assert_ptr_null(parn_fem_to_json(NULL));
}
END_TEST

START_TEST(json_round_trip)
{
    parn_fem_config a = {.channels = 128, .reduction = 8, .privacy_hidden = 24, .spatial_kernel = 4},
                    b, d;
    cJSON *j = parn_fem_to_json(&a);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(parn_fem_from_json(j, &b), PARN_OK);
    ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"channels\": 32}"); /* missing keys keep the defaults */
    ck_assert_int_eq(parn_fem_from_json(j, &b), PARN_OK);
    parn_fem_default(&d);
    d.channels = 32;
    ck_assert_int_eq(memcmp(&b, &d, sizeof b), 0);
    cJSON_Delete(j);
}
END_TEST

static void expect_build_failure(parn_model_t *m, const parn_fem_config *c, int nd,
                                 const int64_t *dims, parn_status st, const char *word)
{
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, PREFIX, true);
    int x = parn_graph_input(g, "features", nd, dims), l2 = 0;
    int y = parn_fem_build(&net, c, x, &l2);
    ck_assert_int_eq(l2, -1);
    parn_net_release(&net);
    optest_expect_failure(g, y, st, word);
}

START_TEST(bad_inputs_are_graph_errors)
{
    parn_model_t *m = load_model("model_fem");
    const parn_fem_config *c = &m->fem; /* 16 channels */
    expect_build_failure(m, c, 5, (int64_t[]){2, 8, 4, 8, 8}, PARN_E_SHAPE, "fem");
    expect_build_failure(m, c, 3, (int64_t[]){2, 16, 8}, PARN_E_SHAPE, "fem");
    expect_build_failure(m, c, 2, (int64_t[]){2, 16}, PARN_E_SHAPE, "fem");
    parn_fem_config bad = *c;
    bad.reduction = 32;
    expect_build_failure(m, &bad, 5, (int64_t[]){2, 16, 4, 8, 8}, PARN_E_INVALID_ARG, "reduction");
    expect_build_failure(m, NULL, 5, (int64_t[]){2, 16, 4, 8, 8}, PARN_E_INVALID_ARG, "NULL");
    bad = *c;
    bad.spatial_kernel = 5; /* does not fit the model's 7^3 kernel */
    expect_build_failure(m, &bad, 5, (int64_t[]){2, 16, 4, 8, 8}, PARN_E_SHAPE, "spatial.conv");

    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, PREFIX, false);
    int l2 = 0, y = parn_fem_build(&net, c, 7, &l2); /* no such node */
    parn_net_release(&net);
    optest_expect_failure(g, y, PARN_E_INVALID_ARG, "fem");
    ck_assert_int_lt(parn_fem_build(NULL, c, 0, &l2), 0);
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model_fem");
    TCase *tc = tcase_create("pytorch");
    tcase_add_loop_test(tc, matches_pytorch, 0, 2 * N_CASES);
    tcase_add_test(tc, default_configuration_builds);
    suite_add_tcase(s, tc);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_configurations_are_rejected);
    tcase_add_test(misuse, json_round_trip);
    tcase_add_test(misuse, bad_inputs_are_graph_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
