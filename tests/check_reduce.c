/* SPDX-License-Identifier: MIT */
/* Reduce, expand and sum_to against PyTorch fixtures and finite differences, large reductions
 * over channels-last inputs against a direct computation, plus misuse. */
#include "common/optest.h"

#include "backend/backend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static unsigned axes_of(const cJSON *attrs)
{
    int axes[PARN_MAX_DIMS];
    int n = optest_ints(attrs, "axes", axes, PARN_MAX_DIMS);
    unsigned mask = 0;
    for (int i = 0; i < n && i < PARN_MAX_DIMS; i++) mask |= 1u << axes[i];
    return mask;
}

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    const char *op = optest_str(attrs, "op");
    int d[PARN_MAX_DIMS];
    int nd = optest_ints(attrs, "dims", d, PARN_MAX_DIMS);
    int64_t dims[PARN_MAX_DIMS];
    for (int i = 0; i < nd && i < PARN_MAX_DIMS; i++) dims[i] = d[i];
    if (strcmp(op, "reduce") == 0)
        return parn_reduce(g, in[0], axes_of(attrs), optest_num(attrs, "mean", 0) != 0,
                           optest_num(attrs, "keepdim", 0) != 0);
    if (strcmp(op, "expand") == 0) return parn_expand(g, in[0], nd, dims);
    if (strcmp(op, "sum_to") == 0) return parn_sum_to(g, in[0], nd, dims);
    return -1;
}

START_TEST(fixture_case)
{
    optest_run_case("reduce", _i, build);
}
END_TEST

/* Sum or mean of x (plain, dims) over axes, written in row-major order of the kept dims. */
static void direct_reduce(const float *x, const int64_t *dims, int nd, unsigned axes, bool mean,
                          double *out, int64_t n_out)
{
    int64_t numel = 1, idx[PARN_MAX_DIMS] = {0};
    for (int i = 0; i < nd; i++) numel *= dims[i];
    memset(out, 0, (size_t)n_out * sizeof(double));
    for (int64_t e = 0; e < numel; e++) {
        int64_t o = 0;
        for (int i = 0; i < nd; i++)
            if (!(axes & (1u << i))) o = o * dims[i] + idx[i];
        out[o] += x[e];
        for (int i = nd - 1; i >= 0 && ++idx[i] == dims[i]; i--) idx[i] = 0;
    }
    for (int64_t o = 0; o < n_out && mean; o++) out[o] /= (double)(numel / n_out);
}

START_TEST(large_reductions_in_both_layouts)
{
    const int64_t dims[5] = {2, 3, 8, 30, 40};
    const int64_t numel = 2 * 3 * 8 * 30 * 40;
    float *x = malloc((size_t)numel * sizeof(float));
    srand(7);
    for (int64_t i = 0; i < numel; i++) x[i] = (float)rand() / RAND_MAX - 0.5f;
    struct { unsigned axes; bool mean, keepdim, channels_last; } cases[] = {
        {1u << 0, false, true, true},                   /* 28800 outputs, element by element */
        {1u << 1, true, true, true},                    /* over channels, contiguous in NDHWC */
        {1u << 2, true, false, false},                  /* 7200 outputs, per-thread partials */
        {0x1du, false, false, true},                    /* per channel, like a bias gradient */
        {0x1fu, true, false, true},                     /* everything to a scalar */
        {(1u << 3) | (1u << 4), false, true, false},
    };
    parn_graph *g = parn_graph_create();
    int in = parn_graph_input(g, "x", 5, dims);
    ck_assert_int_eq(parn_graph_bind(g, in, x), PARN_OK);
    int cl = parn_affine(g, in, 1.0f, 0.0f); /* a non-leaf 5-D node is stored NDHWC */
    int n_cases = (int)(sizeof cases / sizeof cases[0]), ys[8];
    for (int k = 0; k < n_cases; k++) {
        ys[k] = parn_reduce(g, cases[k].channels_last ? cl : in, cases[k].axes, cases[k].mean,
                            cases[k].keepdim);
        ck_assert_int_ge(ys[k], 0);
        parn_graph_keep(g, ys[k]);
    }
    ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_OK);
    for (int k = 0; k < n_cases; k++) {
        int64_t n_out = parn_tensor_numel(parn_graph_tensor(g, ys[k]));
        float *got = malloc((size_t)n_out * sizeof(float));
        double *want = malloc((size_t)n_out * sizeof(double));
        ck_assert_int_eq(parn_graph_read(g, ys[k], got), PARN_OK);
        direct_reduce(x, dims, 5, cases[k].axes, cases[k].mean, want, n_out);
        for (int64_t o = 0; o < n_out; o++)
            ck_assert_msg(fabs(got[o] - want[o]) <= 1e-5 * (1 + fabs(want[o])),
                          "case %d: output %lld is %g, expected %g", k, (long long)o, got[o],
                          want[o]);
        free(got);
        free(want);
    }
    parn_graph_destroy(g);
    free(x);
}
END_TEST

START_TEST(bad_axes)
{
    int x;
    parn_graph *g = optest_one_input(4, (int64_t[]){2, 3, 4, 5}, &x);
    optest_expect_failure(g, parn_reduce(g, x, 0, false, false), PARN_E_INVALID_ARG, "reduce");
    g = optest_one_input(4, (int64_t[]){2, 3, 4, 5}, &x);
    optest_expect_failure(g, parn_reduce(g, x, 1u << 4, true, true), PARN_E_INVALID_ARG, "reduce");
    g = optest_one_input(4, (int64_t[]){2, 3, 4, 5}, &x);
    optest_expect_failure(g, parn_reduce(g, 9, 1, true, true), PARN_E_INVALID_ARG, "reduce");
    ck_assert_int_lt(parn_reduce(NULL, 0, 1, false, false), 0);
}
END_TEST

START_TEST(bad_expansions)
{
    int x;
    parn_graph *g = optest_one_input(2, (int64_t[]){3, 1}, &x);
    optest_expect_failure(g, parn_expand(g, x, 3, (int64_t[]){2, 3, 4}), PARN_E_SHAPE, "expand");
    g = optest_one_input(2, (int64_t[]){3, 1}, &x);
    optest_expect_failure(g, parn_expand(g, x, 2, (int64_t[]){4, 4}), PARN_E_SHAPE, "expand");
    g = optest_one_input(2, (int64_t[]){3, 1}, &x);
    optest_expect_failure(g, parn_expand(g, x, 2, (int64_t[]){3, 0}), PARN_E_SHAPE, "expand");
    g = optest_one_input(2, (int64_t[]){3, 1}, &x);
    optest_expect_failure(g, parn_expand(g, x, 2, NULL), PARN_E_INVALID_ARG, "expand");
    g = optest_one_input(2, (int64_t[]){3, 1}, &x);
    optest_expect_failure(g, parn_expand(g, x, 6, (int64_t[]){1, 1, 1, 1, 3, 1}),
                          PARN_E_INVALID_ARG, "expand");
    ck_assert_int_lt(parn_expand(NULL, 0, 1, (int64_t[]){1}), 0);
}
END_TEST

START_TEST(bad_sum_to)
{
    int x;
    parn_graph *g = optest_one_input(3, (int64_t[]){2, 3, 4}, &x);
    optest_expect_failure(g, parn_sum_to(g, x, 2, (int64_t[]){2, 4}), PARN_E_SHAPE, "sum_to");
    g = optest_one_input(2, (int64_t[]){3, 4}, &x);
    optest_expect_failure(g, parn_sum_to(g, x, 3, (int64_t[]){1, 3, 4}), PARN_E_SHAPE, "sum_to");
    g = optest_one_input(2, (int64_t[]){3, 4}, &x);
    optest_expect_failure(g, parn_sum_to(g, x, 2, NULL), PARN_E_INVALID_ARG, "sum_to");
    g = optest_one_input(2, (int64_t[]){3, 4}, &x);
    optest_expect_failure(g, parn_sum_to(g, 5, 1, (int64_t[]){4}), PARN_E_INVALID_ARG, "sum_to");
    /* matching dims return x itself */
    g = optest_one_input(2, (int64_t[]){3, 4}, &x);
    ck_assert_int_eq(parn_sum_to(g, x, 2, (int64_t[]){3, 4}), x);
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reduce");
    suite_add_tcase(s, optest_tcase("reduce", fixture_case));
    TCase *large = tcase_create("large");
    tcase_add_test(large, large_reductions_in_both_layouts);
    suite_add_tcase(s, large);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_axes);
    tcase_add_test(misuse, bad_expansions);
    tcase_add_test(misuse, bad_sum_to);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
