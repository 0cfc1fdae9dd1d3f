/* SPDX-License-Identifier: MIT */
/* The feature enhancement module against its PyTorch reference (tests/reference/models/fem.py):
 * the recalibrated features, the L2 term, every parameter gradient and the feature gradient, on
 * 5-D and 4-D features with odd and even spatial kernels; configuration JSON; and misuse. */
#include "common/modeltest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "fem."

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
    parn_model_t *m = modeltest_load(cases[_i / 2].model);
    parn_st_file *io = modeltest_open_io(cases[_i / 2].model);
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, PREFIX, _i % 2 == 0);

    int features = modeltest_io_input(g, io, tag, "in.features");
    parn_graph_set_requires_grad(g, features, true);
    int l2 = -1, y = parn_fem_build(&net, &m->fem, features, &l2);
    ck_assert_msg(y >= 0 && l2 >= 0, "build: %s", parn_graph_error(g));
    ck_assert_int_eq(parn_graph_tensor(g, l2)->ndim, 0);
    parn_graph_keep(g, y);
    parn_graph_keep(g, l2);
    /* loss = sum(y * dy) + l2 * dl2 */
    int dot = modeltest_dot(g, y, modeltest_io_input(g, io, tag, "dy.y"));
    float dl2 = modeltest_io_tensor(io, tag, "dy.l2").data[0];
    int loss = parn_add(g, dot, parn_affine(g, l2, dl2, 0.0f));
    modeltest_backward(g, loss, -1);
    modeltest_run(g);

    modeltest_compare_io(g, y, io, tag, "out.y");
    modeltest_compare_io(g, l2, io, tag, "out.l2");
    modeltest_compare_io(g, parn_graph_grad(g, features), io, tag, "grad.features");
    int grads = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        char what[160];
        snprintf(what, sizeof what, "grad.%s", m->tensors[i].name + strlen(PREFIX));
        modeltest_compare_io(g, parn_graph_grad(g, net.node_of[i]), io, tag, what);
        grads++;
    }
    char grad_prefix[32];
    snprintf(grad_prefix, sizeof grad_prefix, "%s.grad.", tag);
    ck_assert_int_eq(grads + 1, modeltest_count_prefixed(io, grad_prefix)); /* + the features */

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
    parn_model_t *m = modeltest_create("fem", NULL);
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
    parn_model_t *m = modeltest_load("model_fem");
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
