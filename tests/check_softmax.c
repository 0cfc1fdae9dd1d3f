/* SPDX-License-Identifier: MIT */
/* Softmax and log-softmax against PyTorch fixtures and finite differences, plus misuse. */
#include "common/optest.h"

#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    return parn_softmax(g, in[0], (int)optest_num(attrs, "axis", 1), optest_num(attrs, "log", 0) != 0);
}

START_TEST(fixture_case)
{
    optest_run_case("softmax", _i, build);
}
END_TEST

/* Appends a softmax over x of the given dims on a fresh graph; expects failure with st. */
static void expect_failure(int ndim, const int64_t *dims, int axis, parn_status st)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", ndim, dims);
    ck_assert_int_lt(parn_softmax(g, x, axis, false), 0);
    ck_assert_int_eq(parn_graph_status(g), st);
    ck_assert_msg(strstr(parn_graph_error(g), "softmax") != NULL, "message: %s", parn_graph_error(g));
    parn_graph_destroy(g);
}

START_TEST(bad_axes_and_shapes_are_errors)
{
    const int64_t dims[] = {2, 3, 4, 5};
    expect_failure(4, dims, 4, PARN_E_INVALID_ARG);
    expect_failure(4, dims, -5, PARN_E_INVALID_ARG);
    expect_failure(0, dims, 0, PARN_E_SHAPE);

    parn_graph *g = parn_graph_create();
    ck_assert_int_lt(parn_softmax(g, 7, 0, true), 0); /* no such node */
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);
    ck_assert_int_lt(parn_softmax(NULL, 0, 0, false), 0);

    g = parn_graph_create();
    int x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    int y = parn_softmax(g, x, -1, false);
    ck_assert_int_ge(y, 0);
    ck_assert_int_eq(parn_graph_node(g, y)->attrs.softmax.axis, 1); /* normalised */
    int dy = parn_graph_input(g, "dy", 2, (int64_t[]){3, 2});
    parn_attrs a = parn_graph_node(g, y)->attrs;
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_SOFTMAX_BWD, 2, (int[]){dy, y}, &a), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "softmax backward"));
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("softmax");
    suite_add_tcase(s, optest_tcase("softmax", fixture_case));
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_axes_and_shapes_are_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
