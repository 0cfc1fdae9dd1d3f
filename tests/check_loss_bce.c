/* SPDX-License-Identifier: MIT */
/* Binary cross-entropy on logits against PyTorch fixtures and finite differences, plus misuse. */
#include "common/optest.h"

#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    int x = in[0], t = in[1];
    optest_route_channels_last(g, attrs, &x, &t);
    parn_reduction r = optest_reduction(attrs);
    return parn_bce_logits(g, x, t, r);
}

START_TEST(fixture_case)
{
    optest_run_case("loss_bce", _i, build);
}
END_TEST

START_TEST(bad_shapes_are_errors)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    int t = parn_graph_input(g, "t", 2, (int64_t[]){3, 2});
    ck_assert_int_lt(parn_bce_logits(g, x, t, PARN_REDUCE_MEAN), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "bce_logits: target [3, 2] does not match x [2, 3]"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    t = parn_graph_input(g, "t", 2, (int64_t[]){2, 3});
    ck_assert_int_lt(parn_bce_logits(g, x, t, (parn_reduction)-1), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "bce_logits"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    ck_assert_int_lt(parn_bce_logits(g, x, -1, PARN_REDUCE_MEAN), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "bce_logits"));
    parn_graph_destroy(g);
}
END_TEST

/* Only inputs that need a gradient get a backward node. */
START_TEST(gradient_only_where_needed)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    int t = parn_graph_input(g, "t", 2, (int64_t[]){2, 3});
    parn_graph_set_requires_grad(g, x, true);
    int y = parn_bce_logits(g, x, t, PARN_REDUCE_MEAN);
    int before = parn_graph_size(g);
    ck_assert_int_eq(parn_graph_backward(g, y, -1), PARN_OK);
    ck_assert_int_ge(parn_graph_grad(g, x), 0);
    ck_assert_int_lt(parn_graph_grad(g, t), 0);
    ck_assert_int_eq(parn_graph_size(g), before + 2); /* the seed and one backward node */
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loss_bce");
    suite_add_tcase(s, optest_tcase("loss_bce", fixture_case));
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_shapes_are_errors);
    tcase_add_test(misuse, gradient_only_where_needed);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
