/* SPDX-License-Identifier: MIT */
/* Pooling against PyTorch fixtures and finite differences, plus misuse. */
#include "common/optest.h"

#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    bool max = optest_num(attrs, "max", 0) != 0;
    if (optest_num(attrs, "global", 0) != 0) return parn_global_pool(g, in[0], max);
    parn_pool_attrs a = parn_pool_attrs_default((int)optest_num(attrs, "rank", 2), max, 1);
    optest_ints(attrs, "kernel", a.kernel, 3);
    optest_ints(attrs, "stride", a.stride, 3);
    optest_ints(attrs, "pad_lo", a.pad_lo, 3);
    optest_ints(attrs, "pad_hi", a.pad_hi, 3);
    a.count_include_pad = optest_num(attrs, "count_include_pad", 1) != 0;
    return parn_pool(g, in[0], &a);
}

START_TEST(fixture_case)
{
    optest_run_case("pool", _i, build);
}
END_TEST

/* Appends a pool on a fresh graph with x of the given dims; expects failure with st. */
static void expect_failure(int ndim, const int64_t *dims, const parn_pool_attrs *a, parn_status st)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", ndim, dims);
    ck_assert_int_lt(parn_pool(g, x, a), 0);
    ck_assert_int_eq(parn_graph_status(g), st);
    ck_assert_msg(strstr(parn_graph_error(g), "pool") != NULL, "message: %s", parn_graph_error(g));
    parn_graph_destroy(g);
}

START_TEST(bad_shapes_and_attributes_are_errors)
{
    const int64_t x4[] = {1, 2, 6, 6}, x3[] = {1, 2, 6};
    parn_pool_attrs a = parn_pool_attrs_default(2, true, 2);
    expect_failure(3, x3, &a, PARN_E_SHAPE);                 /* rank mismatch */
    a = parn_pool_attrs_default(4, true, 2);
    expect_failure(4, x4, &a, PARN_E_INVALID_ARG);           /* rank 4 */
    a = parn_pool_attrs_default(2, true, 0);
    expect_failure(4, x4, &a, PARN_E_INVALID_ARG);           /* kernel 0 */
    a = parn_pool_attrs_default(2, false, 2);
    a.stride[1] = 0;
    expect_failure(4, x4, &a, PARN_E_INVALID_ARG);           /* stride 0 */
    a = parn_pool_attrs_default(2, false, 2);
    a.pad_hi[0] = 2;
    expect_failure(4, x4, &a, PARN_E_INVALID_ARG);           /* padding >= kernel */
    a = parn_pool_attrs_default(2, false, 2);
    a.pad_lo[1] = -1;
    expect_failure(4, x4, &a, PARN_E_INVALID_ARG);           /* negative padding */
    a = parn_pool_attrs_default(2, true, 7);
    expect_failure(4, x4, &a, PARN_E_SHAPE);                 /* kernel larger than x */
    expect_failure(4, x4, NULL, PARN_E_INVALID_ARG);         /* NULL attributes */

    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 3, x3);
    ck_assert_int_lt(parn_global_pool(g, x, true), 0);       /* global pool of a 3-D x */
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "global_pool"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    ck_assert_int_lt(parn_global_pool(g, 3, false), 0);      /* no such node */
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    a = parn_pool_attrs_default(2, true, 2);
    ck_assert_int_lt(parn_pool(g, 3, &a), 0);
    parn_graph_destroy(g);
    ck_assert_int_lt(parn_pool(NULL, 0, &a), 0);
    ck_assert_int_lt(parn_global_pool(NULL, 0, true), 0);
}
END_TEST

START_TEST(backward_needs_a_pool_node_and_matching_dy)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 4, 4});
    parn_pool_attrs a = parn_pool_attrs_default(2, true, 2);
    int y = parn_pool(g, x, &a);
    ck_assert_int_ge(y, 0);
    parn_attrs ba = {.pool = a};
    memcpy(ba.pool.src_dims, (int64_t[]){1, 2, 4, 4}, sizeof(int64_t[4]));
    /* dy of x's dims instead of y's */
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_POOL_BWD, 3, (int[]){x, x, y}, &ba), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "pool backward"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 4, 4});
    /* src 2 is not a pool node */
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_POOL_BWD, 3, (int[]){x, x, x}, &ba), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pool");
    suite_add_tcase(s, optest_tcase("pool", fixture_case));
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_shapes_and_attributes_are_errors);
    tcase_add_test(misuse, backward_needs_a_pool_node_and_matching_dy);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
