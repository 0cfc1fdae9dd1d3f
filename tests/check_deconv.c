/* SPDX-License-Identifier: MIT */
/* Transposed convolution against PyTorch fixtures and finite differences, plus misuse. */
#include "common/convlike.h"

#include "backend/backend.h"

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    parn_conv_attrs a = convlike_attrs(attrs);
    bool bias = optest_num(attrs, "bias", 0) != 0;
    int y = parn_deconv(g, in[0], in[1], bias ? in[2] : -1, &a);
    if (!optest_num(attrs, "chain", 0)) return y;
    /* the second deconv of a chain: kernel 2, stride 2, on a channels-last input */
    parn_conv_attrs a2 = parn_conv_attrs_default(a.rank);
    for (int i = 0; i < a.rank; i++) a2.stride[i] = 2;
    return parn_deconv(g, y, in[bias ? 3 : 2], -1, &a2);
}

START_TEST(fixture_case)
{
    optest_run_case("deconv", _i, build);
}
END_TEST

/* parn_deconv on leaves of these shapes must fail with want, its message containing needle. */
static void expect_error(const char *needle, convlike_shapes s, const parn_conv_attrs *a,
                         parn_status want)
{
    convlike_expect_error(parn_deconv, needle, s, a, want);
}

START_TEST(bad_attributes_are_errors)
{
    convlike_shapes ok = {4, {1, 4, 5, 5}, 4, {4, 2, 3, 3}, 2};
    parn_conv_attrs a = parn_conv_attrs_default(2);
    a.rank = 5;
    expect_error("deconv", ok, &a, PARN_E_INVALID_ARG);
    /* out_pad must be smaller than the stride or the dilation */
    a = parn_conv_attrs_default(2);
    a.stride[0] = 2;
    a.out_pad[0] = 2;
    expect_error("out_pad", ok, &a, PARN_E_INVALID_ARG);
    a.out_pad[0] = -1;
    expect_error("out_pad", ok, &a, PARN_E_INVALID_ARG);
    a = parn_conv_attrs_default(2);
    a.stride[1] = -2;
    expect_error("stride", ok, &a, PARN_E_INVALID_ARG);
    a = parn_conv_attrs_default(2);
    a.groups = -1;
    expect_error("groups", ok, &a, PARN_E_INVALID_ARG);
}
END_TEST

START_TEST(bad_shapes_are_errors)
{
    parn_conv_attrs a = parn_conv_attrs_default(2);
    /* transposed weights are IC x OC/groups x k: 3 rows for a 4-channel x */
    expect_error("deconv", (convlike_shapes){4, {1, 4, 5, 5}, 4, {3, 4, 3, 3}},
                 &a, PARN_E_SHAPE);
    /* the bias has one entry per output channel (w's dim 1 times groups = 4) */
    a.groups = 2;
    expect_error("bias", (convlike_shapes){4, {1, 4, 5, 5}, 4, {4, 2, 3, 3}, 2},
                 &a, PARN_E_SHAPE);
    /* 5 channels in 2 groups */
    expect_error("groups", (convlike_shapes){4, {1, 5, 5, 5}, 4, {5, 2, 3, 3}},
                 &a, PARN_E_SHAPE);
    /* a 1x1 input with a 1x1 kernel and padding 1 has no output */
    a = parn_conv_attrs_default(2);
    a.pad_lo[0] = a.pad_hi[0] = 1;
    expect_error("deconv", (convlike_shapes){4, {1, 4, 1, 1}, 4, {4, 2, 1, 1}},
                 &a, PARN_E_SHAPE);
    /* 3-D attributes on 2-D tensors */
    a = parn_conv_attrs_default(3);
    expect_error("deconv", (convlike_shapes){4, {1, 4, 5, 5}, 4, {4, 2, 3, 3}},
                 &a, PARN_E_SHAPE);
}
END_TEST

/* Output padding beyond the stride (allowed below the dilation) needs enough high padding for
 * oneDNN: an unsupported case must be a clear error at run time, not a crash. */
START_TEST(unsupported_out_pad_is_an_error)
{
    if (!optest_on_cpu()) return; /* oneDNN lacks it; the CUDA backend pads explicitly */
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 4, 4});
    int w = parn_graph_param(g, "w", 4, (int64_t[]){2, 2, 3, 3});
    parn_conv_attrs a = parn_conv_attrs_default(2);
    a.dilation[0] = a.dilation[1] = 2;
    a.out_pad[0] = 1;
    int y = parn_deconv(g, x, w, -1, &a);
    ck_assert_int_ge(y, 0);
    ck_assert_int_eq(parn_graph_tensor(g, y)->dims[2], 9); /* 3 + 4 + 1 + 1 */
    float xd[32] = {0}, wd[36] = {0};
    parn_graph_bind(g, x, xd);
    parn_graph_bind(g, w, wd);
    parn_graph_keep(g, y);
    ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "deconv"));
    parn_graph_destroy(g);
}
END_TEST

START_TEST(bad_arguments_are_errors)
{
    parn_conv_attrs a = parn_conv_attrs_default(2);
    ck_assert_int_lt(parn_deconv(NULL, 0, 1, -1, &a), 0);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "deconv"));
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 5, 5});
    int w = parn_graph_param(g, "w", 4, (int64_t[]){2, 3, 3, 3});
    ck_assert_int_lt(parn_deconv(g, x, w, -1, NULL), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "deconv"));
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deconv");
    suite_add_tcase(s, optest_tcase("deconv", fixture_case));
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_attributes_are_errors);
    tcase_add_test(misuse, bad_shapes_are_errors);
    tcase_add_test(misuse, unsupported_out_pad_is_an_error);
    tcase_add_test(misuse, bad_arguments_are_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
