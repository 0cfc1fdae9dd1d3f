/* SPDX-License-Identifier: MIT */
/* Batch normalisation against PyTorch fixtures and finite differences, the running-statistics
 * update of one training step, plus misuse. */
#include "common/optest.h"

#include "backend/backend.h"
#include "io/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { X, GAMMA, BETA, RUNNING_MEAN, RUNNING_VAR, N_INPUTS };
static const char *const input_names[N_INPUTS] = {"x", "gamma", "beta", "running_mean", "running_var"};

static parn_batch_norm_attrs attrs_of(const cJSON *attrs)
{
    return (parn_batch_norm_attrs){.eps = (float)optest_num(attrs, "eps", 1e-5),
                                   .momentum = (float)optest_num(attrs, "momentum", 0.1),
                                   .training = optest_num(attrs, "training", 0) != 0};
}

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    parn_batch_norm_attrs a = attrs_of(attrs);
    return parn_batch_norm(g, in[X], in[GAMMA], in[BETA], in[RUNNING_MEAN], in[RUNNING_VAR], &a);
}

START_TEST(fixture_case)
{
    optest_run_case("batch_norm", _i, build);
}
END_TEST

/* Compares a leaf's buffer with a float list attribute. */
static void expect_values(const float *got, const cJSON *attrs, const char *key, int64_t n)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(attrs, key);
    ck_assert_int_eq(cJSON_GetArraySize(want), n);
    float *ref = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) ref[i] = (float)cJSON_GetArrayItem(want, (int)i)->valuedouble;
    double err = optest_rel_error(got, ref, n);
    free(ref);
    ck_assert_msg(err < 1e-5, "%s differs from PyTorch after one step: relative error %.3g", key, err);
}

/* One run of a fixture case on fresh copies of its inputs; then the running buffers must hold
 * PyTorch's updated statistics (training), or be untouched (inference), and their versions
 * must say so. */
START_TEST(running_stats_after_one_step)
{
    char path[1024];
    const char *dir = getenv("PARN_FIXTURES");
    snprintf(path, sizeof path, "%s/batch_norm.safetensors", dir ? dir : "tests/reference/fixtures");
    parn_st_file *f = NULL;
    ck_assert_int_eq(parn_st_open(path, &f), PARN_OK);
    cJSON *cases = cJSON_Parse(parn_st_metadata(f, "cases"));
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cases, _i), "attrs");
    parn_graph *g = parn_graph_create();
    int in[N_INPUTS];
    float *data[N_INPUTS], *before[N_INPUTS];
    int64_t numel[N_INPUTS];
    for (int k = 0; k < N_INPUTS; k++) {
        char key[64];
        parn_tensor t;
        snprintf(key, sizeof key, "%d.in.%s", _i, input_names[k]);
        ck_assert_int_eq(parn_st_get(f, key, &t), PARN_OK);
        numel[k] = parn_tensor_numel(&t);
        data[k] = malloc((size_t)numel[k] * sizeof(float));
        before[k] = malloc((size_t)numel[k] * sizeof(float));
        memcpy(data[k], t.data, (size_t)numel[k] * sizeof(float));
        memcpy(before[k], t.data, (size_t)numel[k] * sizeof(float));
        in[k] = parn_graph_input(g, input_names[k], t.ndim, t.dims);
        ck_assert_int_eq(parn_graph_bind(g, in[k], data[k]), PARN_OK);
    }
    int y = build(g, in, attrs);
    ck_assert_int_ge(y, 0);
    ck_assert_int_eq(parn_graph_keep(g, y), PARN_OK);
    uint64_t v_mean = parn_graph_tensor(g, in[RUNNING_MEAN])->version;
    uint64_t v_var = parn_graph_tensor(g, in[RUNNING_VAR])->version;
    ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_OK);
    int64_t c = numel[RUNNING_MEAN];
    if (attrs_of(attrs).training) {
        expect_values(data[RUNNING_MEAN], attrs, "running_mean_after", c);
        expect_values(data[RUNNING_VAR], attrs, "running_var_after", c);
        ck_assert(parn_graph_tensor(g, in[RUNNING_MEAN])->version > v_mean);
        ck_assert(parn_graph_tensor(g, in[RUNNING_VAR])->version > v_var);
    } else {
        ck_assert_int_eq(memcmp(data[RUNNING_MEAN], before[RUNNING_MEAN], (size_t)c * sizeof(float)), 0);
        ck_assert_int_eq(memcmp(data[RUNNING_VAR], before[RUNNING_VAR], (size_t)c * sizeof(float)), 0);
        ck_assert(parn_graph_tensor(g, in[RUNNING_MEAN])->version == v_mean);
    }
    /* x, gamma and beta are never written */
    for (int k = X; k <= BETA; k++)
        ck_assert_int_eq(memcmp(data[k], before[k], (size_t)numel[k] * sizeof(float)), 0);
    parn_graph_destroy(g);
    for (int k = 0; k < N_INPUTS; k++) {
        free(data[k]);
        free(before[k]);
    }
    cJSON_Delete(cases);
    parn_st_close(f);
}
END_TEST

/* A graph with x of the given dims and per-channel vectors of c entries. */
static parn_graph *graph_with(int ndim, const int64_t *xdims, int64_t c, int *in)
{
    parn_graph *g = parn_graph_create();
    in[X] = parn_graph_input(g, "x", ndim, xdims);
    for (int k = GAMMA; k < N_INPUTS; k++) in[k] = parn_graph_input(g, input_names[k], 1, &c);
    return g;
}

/* batch_norm over the graph_with() nodes, with running_var replaceable. */
static int bn_of(parn_graph *g, const int *in, int running_var, const parn_batch_norm_attrs *a)
{
    return parn_batch_norm(g, in[X], in[GAMMA], in[BETA], in[RUNNING_MEAN], running_var, a);
}

static void expect_failure(int ndim, const int64_t *xdims, int64_t c,
                           const parn_batch_norm_attrs *a, parn_status st)
{
    int in[N_INPUTS];
    parn_graph *g = graph_with(ndim, xdims, c, in);
    ck_assert_int_lt(bn_of(g, in, in[RUNNING_VAR], a), 0);
    ck_assert_int_eq(parn_graph_status(g), st);
    ck_assert_msg(strstr(parn_graph_error(g), "batch_norm") != NULL, "message: %s", parn_graph_error(g));
    parn_graph_destroy(g);
}

START_TEST(bad_shapes_and_attributes_are_errors)
{
    const int64_t x4[] = {2, 3, 4, 4}, one_per_channel[] = {1, 3, 1, 1};
    parn_batch_norm_attrs train = {1e-5f, 0.1f, true}, eval = {1e-5f, 0.1f, false};
    expect_failure(4, x4, 4, &train, PARN_E_SHAPE);                 /* gamma of 4 for C = 3 */
    expect_failure(1, x4, 2, &eval, PARN_E_SHAPE);                  /* 1-D x */
    expect_failure(4, one_per_channel, 3, &train, PARN_E_SHAPE);    /* no batch statistics */
    parn_batch_norm_attrs bad = train;
    bad.eps = 0.0f;
    expect_failure(4, x4, 3, &bad, PARN_E_INVALID_ARG);
    bad = train;
    bad.momentum = 1.5f;
    expect_failure(4, x4, 3, &bad, PARN_E_INVALID_ARG);
    expect_failure(4, x4, 3, NULL, PARN_E_INVALID_ARG);

    /* inference with one value per channel is fine */
    int in[N_INPUTS];
    parn_graph *g = graph_with(4, one_per_channel, 3, in);
    ck_assert_int_ge(bn_of(g, in, in[RUNNING_VAR], &eval), 0);
    parn_graph_destroy(g);

    /* training updates the running statistics in place, so they must be leaves */
    g = graph_with(4, x4, 3, in);
    int computed = parn_affine(g, in[RUNNING_VAR], 1.0f, 0.0f);
    ck_assert_int_lt(bn_of(g, in, computed, &train), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "running_var"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    ck_assert_int_lt(parn_batch_norm(g, 0, 1, 2, 3, 4, &train), 0); /* no such nodes */
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);
    ck_assert_int_lt(parn_batch_norm(NULL, 0, 1, 2, 3, 4, &train), 0);

    /* a backward op whose src 3 is not a batch_norm node */
    g = graph_with(4, x4, 3, in);
    parn_attrs a = {.bn = train};
    int not_bn[] = {in[X], in[X], in[GAMMA], in[X]};
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_BATCH_NORM_BWD, 4, not_bn, &a), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "batch_norm backward"));
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("batch_norm");
    suite_add_tcase(s, optest_tcase("batch_norm", fixture_case));
    TCase *running = tcase_create("running_stats");
    int n = optest_case_count("batch_norm");
    tcase_add_loop_test(running, running_stats_after_one_step, 0, n > 0 ? n : 1);
    suite_add_tcase(s, running);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_shapes_and_attributes_are_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
