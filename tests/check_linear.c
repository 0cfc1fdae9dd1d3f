/* SPDX-License-Identifier: MIT */
/* Fully connected layers against PyTorch fixtures and finite differences, weight-cache
 * refreshing, plus misuse. */
#include "common/optest.h"

#include "backend/backend.h"

#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    return parn_linear(g, in[0], in[1], optest_num(attrs, "bias", 0) != 0 ? in[2] : -1);
}

START_TEST(fixture_case)
{
    optest_run_case("linear", _i, build);
}
END_TEST

static void run_and_expect(parn_graph *g, int y, float y0, float y1)
{
    float out[2];
    ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_OK);
    ck_assert_int_eq(parn_graph_read(g, y, out), PARN_OK);
    ck_assert_float_eq(out[0], y0);
    ck_assert_float_eq(out[1], y1);
}

/* y = x w^T for a 1 x 3 x and a 2 x 3 w (a size that oneDNN reorders); w is rebound to another
 * buffer, then rewritten in place and rebound, between runs. */
START_TEST(new_weights_are_used)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 2, (int64_t[]){1, 3});
    int w = parn_graph_param(g, "w", 2, (int64_t[]){2, 3});
    int y = parn_linear(g, x, w, -1);
    ck_assert_int_eq(parn_graph_keep(g, y), PARN_OK);
    float xv[3] = {1, 2, 3}, w1[6] = {1, 0, 0, 0, 1, 0}, w2[6] = {0, 0, 1, 1, 1, 1};
    parn_graph_bind(g, x, xv);
    parn_graph_bind(g, w, w1);
    run_and_expect(g, y, 1, 2);
    parn_graph_bind(g, w, w2);
    run_and_expect(g, y, 3, 6);
    w2[0] = 2; /* same buffer, new contents: rebinding bumps the version */
    parn_graph_bind(g, w, w2);
    run_and_expect(g, y, 5, 6);
    parn_graph_destroy(g);
}
END_TEST

/* Appends linear(x, w, b) with the given dims on a fresh graph; expects failure with st. */
static void expect_failure(int xn, const int64_t *xd, int wn, const int64_t *wd, int bn,
                           const int64_t *bd, parn_status st)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", xn, xd), w = parn_graph_param(g, "w", wn, wd);
    int b = bd ? parn_graph_param(g, "b", bn, bd) : -1;
    ck_assert_int_lt(parn_linear(g, x, w, b), 0);
    ck_assert_int_eq(parn_graph_status(g), st);
    ck_assert_msg(strstr(parn_graph_error(g), "linear") != NULL, "message: %s", parn_graph_error(g));
    parn_graph_destroy(g);
}

START_TEST(bad_shapes_are_errors)
{
    const int64_t x[] = {2, 3}, w[] = {4, 3}, w_bad[] = {4, 5}, b[] = {4}, b_bad[] = {3};
    const int64_t x4[] = {2, 3, 1, 1};
    expect_failure(2, x, 2, w_bad, 0, NULL, PARN_E_SHAPE);   /* IC mismatch */
    expect_failure(4, x4, 2, w, 0, NULL, PARN_E_SHAPE);      /* x not flattened */
    expect_failure(2, x, 1, b, 0, NULL, PARN_E_SHAPE);       /* 1-D weight */
    expect_failure(2, x, 2, w, 1, b_bad, PARN_E_SHAPE);      /* bias of the wrong size */
    expect_failure(2, x, 2, w, 2, w, PARN_E_SHAPE);          /* 2-D bias */
    (void)b;

    parn_graph *g = parn_graph_create();
    ck_assert_int_lt(parn_linear(g, 0, 1, -1), 0);           /* no such nodes */
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);
    ck_assert_int_lt(parn_linear(NULL, 0, 1, -1), 0);

    /* a backward op whose dy does not fit */
    g = parn_graph_create();
    int dy = parn_graph_input(g, "dy", 2, (int64_t[]){2, 5});
    int wn = parn_graph_param(g, "w", 2, w);
    parn_attrs a = {.linear = {.src_dims = {2, 3}}};
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_LINEAR_BWD_DATA, 2, (int[]){dy, wn}, &a), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "linear backward data"));
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linear");
    suite_add_tcase(s, optest_tcase("linear", fixture_case));
    TCase *cache = tcase_create("weights");
    tcase_add_test(cache, new_weights_are_used);
    suite_add_tcase(s, cache);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_shapes_are_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
