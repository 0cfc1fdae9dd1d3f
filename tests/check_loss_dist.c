/* SPDX-License-Identifier: MIT */
/* L1 and squared-error losses against PyTorch fixtures and finite differences, plus misuse. */
#include "common/optest.h"

#include <string.h>

/* Inputs listed in attrs "cl" pass through an identity op, so they arrive channels-last. */
static void route_channels_last(parn_graph *g, const cJSON *attrs, int *x, int *t)
{
    int cl[2], n = optest_ints(attrs, "cl", cl, 2);
    for (int i = 0; i < n && i < 2; i++) {
        int *node = cl[i] == 0 ? x : t;
        *node = parn_affine(g, *node, 1.0f, 0.0f);
    }
}

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    int x = in[0], t = in[1];
    route_channels_last(g, attrs, &x, &t);
    parn_reduction r = strcmp(optest_str(attrs, "reduction"), "sum") == 0 ? PARN_REDUCE_SUM
                                                                          : PARN_REDUCE_MEAN;
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
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
