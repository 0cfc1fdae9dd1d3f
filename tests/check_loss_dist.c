/* SPDX-License-Identifier: MIT */
/* L1 and squared-error losses against PyTorch fixtures and finite differences, plus misuse. */
#include "common/optest.h"

#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    int x = in[0], t = in[1];
    optest_route_channels_last(g, attrs, &x, &t);
    parn_reduction r = optest_reduction(attrs);
    return optest_num(attrs, "l1", 0) ? parn_l1_loss(g, x, t, r) : parn_l2_loss(g, x, t, r);
}

START_TEST(fixture_case)
{
    optest_run_case("loss_dist", _i, build);
}
END_TEST

START_TEST(bad_shapes_are_errors)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 3, 4});
    int t = parn_graph_input(g, "t", 4, (int64_t[]){1, 2, 4, 3});
    ck_assert_int_lt(parn_l1_loss(g, x, t, PARN_REDUCE_MEAN), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "l1_loss: target [1, 2, 4, 3] does not match x [1, 2, 3, 4]"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 1, (int64_t[]){5});
    t = parn_graph_input(g, "t", 2, (int64_t[]){1, 5});
    ck_assert_int_lt(parn_l2_loss(g, x, t, PARN_REDUCE_SUM), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "l2_loss"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 1, (int64_t[]){5});
    t = parn_graph_input(g, "t", 1, (int64_t[]){5});
    ck_assert_int_lt(parn_l2_loss(g, x, t, (parn_reduction)2), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "l2_loss: unknown reduction"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 1, (int64_t[]){5});
    ck_assert_int_lt(parn_l1_loss(g, x, 4, PARN_REDUCE_SUM), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);
}
END_TEST

START_TEST(bad_backward_attributes_are_errors)
{
    parn_graph *g = parn_graph_create();
    int dy = parn_graph_input(g, "dy", 0, NULL);
    int x = parn_graph_input(g, "x", 1, (int64_t[]){5});
    parn_attrs a = {.loss = {.reduction = PARN_REDUCE_MEAN, .l1 = true, .which = 2}};
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_DIST_LOSS_BWD, 3, (int[]){dy, x, x}, &a), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "l1_loss backward"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    dy = parn_graph_input(g, "dy", 1, (int64_t[]){5});
    x = parn_graph_input(g, "x", 1, (int64_t[]){5});
    a.loss.which = 0;
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_DIST_LOSS_BWD, 3, (int[]){dy, x, x}, &a), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "dy must be a scalar"));
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loss_dist");
    suite_add_tcase(s, optest_tcase("loss_dist", fixture_case));
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_shapes_are_errors);
    tcase_add_test(misuse, bad_backward_attributes_are_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
