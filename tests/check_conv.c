/* SPDX-License-Identifier: MIT */
/* Convolution against PyTorch fixtures and finite differences, computed weights, and misuse. */
#include "common/convlike.h"

#include "backend/backend.h"
#include "core/core.h"

#include <math.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    parn_conv_attrs a = convlike_attrs(attrs);
    bool bias = optest_num(attrs, "bias", 0) != 0;
    int y = parn_conv(g, in[0], in[1], bias ? in[2] : -1, &a);
    if (!optest_num(attrs, "chain", 0)) return y;
    /* the second conv of a chain: 3x3, padding 1, on a channels-last input */
    parn_conv_attrs a2 = parn_conv_attrs_default(a.rank);
    for (int i = 0; i < a.rank; i++) a2.pad_lo[i] = a2.pad_hi[i] = 1;
    return parn_conv(g, y, in[bias ? 3 : 2], -1, &a2);
}

START_TEST(fixture_case)
{
    optest_run_case("conv", _i, build);
}
END_TEST

/* Keeps node y, runs the graph and reads y. */
static void run_and_read(parn_graph *g, int y, float *out)
{
    ck_assert_int_eq(parn_graph_keep(g, y), PARN_OK);
    ck_assert_msg(parn_graph_run(g, parn_backend_cpu(), optest_cpu()) == PARN_OK, "%s",
                  parn_last_error(NULL));
    ck_assert_int_eq(parn_graph_read(g, y, out), PARN_OK);
}

/* Weights computed by the graph (channels-last, changing every run without a version bump)
 * must be reordered on every run, not cached like parameters. */
START_TEST(computed_weights_are_not_cached)
{
    enum { NX = 2 * 4 * 4, NW = 2 * 2 * 3 * 3, NY = 2 * 4 * 4 };
    float x[NX], w[NW], w2[NW], want[NY], got[NY];
    for (int i = 0; i < NX; i++) x[i] = (float)sin(i * 0.7);
    for (int i = 0; i < NW; i++) w[i] = (float)cos(i * 1.3);
    parn_conv_attrs a = parn_conv_attrs_default(2);
    a.pad_lo[0] = a.pad_lo[1] = a.pad_hi[0] = a.pad_hi[1] = 1;
    const int64_t xd[] = {1, 2, 4, 4}, wd[] = {2, 2, 3, 3};

    parn_graph *g = parn_graph_create();
    int gx = parn_graph_input(g, "x", 4, xd), gw = parn_graph_input(g, "w", 4, wd);
    int y = parn_conv(g, gx, parn_affine(g, gw, 2.0f, 0.0f), -1, &a);
    ck_assert_int_ge(y, 0);
    parn_graph_bind(g, gx, x);
    parn_graph_bind(g, gw, w);
    for (int round = 0; round < 2; round++) {
        /* the reference: the same conv on weights doubled by hand */
        for (int i = 0; i < NW; i++) w2[i] = 2.0f * w[i];
        parn_graph *ref = parn_graph_create();
        int rx = parn_graph_input(ref, "x", 4, xd), rw = parn_graph_input(ref, "w", 4, wd);
        int ry = parn_conv(ref, rx, rw, -1, &a);
        parn_graph_bind(ref, rx, x);
        parn_graph_bind(ref, rw, w2);
        run_and_read(ref, ry, want);
        parn_graph_destroy(ref);

        run_and_read(g, y, got);
        ck_assert_double_lt(optest_rel_error(got, want, NY), 1e-6);
        /* change w in place without rebinding: only the affine node sees it */
        for (int i = 0; i < NW; i++) w[i] = -w[i] + 0.25f;
    }
    parn_graph_destroy(g);
}
END_TEST

/* Data of the allocation test: x 2 x 3 x 5 x 5, w 4 x 3 x 3 x 3, b 4, dy 2 x 4 x 3 x 3. */
typedef struct alloc_data {
    float x[150], w[108], b[4], dy[72];
} alloc_data;

/* conv(x, w, b) and its backward pass on d, all outputs kept; *dw: the weight gradient. */
static parn_graph *conv_with_backward(alloc_data *d, int *dw)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 4, (int64_t[]){2, 3, 5, 5});
    int w = parn_graph_param(g, "w", 4, (int64_t[]){4, 3, 3, 3});
    int b = parn_graph_param(g, "b", 1, (int64_t[]){4});
    int dy = parn_graph_input(g, "dy", 4, (int64_t[]){2, 4, 3, 3});
    parn_graph_set_requires_grad(g, x, true);
    parn_conv_attrs a = parn_conv_attrs_default(2);
    int y = parn_conv(g, x, w, b, &a);
    ck_assert_int_eq(parn_graph_backward(g, y, dy), PARN_OK);
    *dw = parn_graph_grad(g, w);
    parn_graph_keep(g, y);
    parn_graph_keep(g, *dw);
    parn_graph_keep(g, parn_graph_grad(g, x));
    parn_graph_bind(g, x, d->x);
    parn_graph_bind(g, w, d->w);
    parn_graph_bind(g, b, d->b);
    parn_graph_bind(g, dy, d->dy);
    return g;
}

/* Each allocation of a first forward and backward run failing in turn gives PARN_E_NOMEM,
 * never a crash or a leak, and the same graph then runs correctly. */
START_TEST(allocation_failures_are_errors)
{
    alloc_data d;
    for (int i = 0; i < 150; i++) d.x[i] = (float)sin(i * 0.3);
    for (int i = 0; i < 108; i++) d.w[i] = (float)cos(i * 0.9);
    for (int i = 0; i < 72; i++) d.dy[i] = (float)sin(i * 1.7);
    for (int i = 0; i < 4; i++) d.b[i] = 0.5f;
    float want[108], got[108];
    int dw;
    parn_graph *g = conv_with_backward(&d, &dw);
    run_and_read(g, dw, want);
    parn_graph_destroy(g);
    parn_status st = PARN_E_NOMEM;
    for (long k = 0; st != PARN_OK; k++) {
        g = conv_with_backward(&d, &dw);
        parn__test_fail_alloc_after(k);
        st = parn_graph_run(g, parn_backend_cpu(), optest_cpu());
        parn__test_fail_alloc_after(-1);
        ck_assert_msg(k < 1000 && (st == PARN_OK || st == PARN_E_NOMEM),
                      "allocation %ld failing: status %d (%s)", k, st, parn_last_error(NULL));
        ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_OK);
        ck_assert_int_eq(parn_graph_read(g, dw, got), PARN_OK);
        ck_assert_double_lt(optest_rel_error(got, want, 108), 1e-6);
        parn_graph_destroy(g);
    }
}
END_TEST

/* parn_conv on leaves of these shapes must fail with want, its message containing needle. */
static void expect_error(const char *needle, convlike_shapes s, const parn_conv_attrs *a,
                         parn_status want)
{
    convlike_expect_error(parn_conv, needle, s, a, want);
}

static const parn_conv_attrs *attrs_with(parn_conv_attrs *a, int field, int value)
{
    *a = parn_conv_attrs_default(2);
    switch (field) {
    case 0: a->rank = value; break;
    case 1: a->stride[1] = value; break;
    case 2: a->dilation[0] = value; break;
    case 3: a->pad_hi[1] = value; break;
    case 4: a->groups = value; break;
    case 5: a->out_pad[0] = value; break;
    }
    return a;
}

START_TEST(bad_attributes_are_errors)
{
    convlike_shapes ok = {4, {1, 4, 5, 5}, 4, {2, 4, 3, 3}, 2};
    parn_conv_attrs a;
    expect_error("conv", ok, attrs_with(&a, 0, 1), PARN_E_INVALID_ARG);
    expect_error("conv", ok, attrs_with(&a, 0, 4), PARN_E_INVALID_ARG);
    expect_error("stride", ok, attrs_with(&a, 1, 0), PARN_E_INVALID_ARG);
    expect_error("dilation", ok, attrs_with(&a, 2, 0), PARN_E_INVALID_ARG);
    expect_error("padding", ok, attrs_with(&a, 3, -1), PARN_E_INVALID_ARG);
    expect_error("groups", ok, attrs_with(&a, 4, 0), PARN_E_INVALID_ARG);
    expect_error("out_pad", ok, attrs_with(&a, 5, 1), PARN_E_INVALID_ARG);
}
END_TEST

START_TEST(bad_shapes_are_errors)
{
    parn_conv_attrs a = parn_conv_attrs_default(2);
    /* x of rank 3 for a 2-D conv; weights of the wrong rank */
    expect_error("conv", (convlike_shapes){5, {1, 4, 3, 5, 5}, 4, {2, 4, 3, 3}},
                 &a, PARN_E_SHAPE);
    expect_error("conv", (convlike_shapes){4, {1, 4, 5, 5}, 3, {2, 4, 3}}, &a,
                 PARN_E_SHAPE);
    /* weights for 3 input channels on a 4-channel x */
    expect_error("conv", (convlike_shapes){4, {1, 4, 5, 5}, 4, {2, 3, 3, 3}},
                 &a, PARN_E_SHAPE);
    /* bias of the wrong length */
    expect_error("bias", (convlike_shapes){4, {1, 4, 5, 5}, 4, {2, 4, 3, 3}, 3},
                 &a, PARN_E_SHAPE);
    /* a 7x7 kernel on a 5x5 input without padding */
    expect_error("conv", (convlike_shapes){4, {1, 4, 5, 5}, 4, {2, 4, 7, 7}},
                 &a, PARN_E_SHAPE);
    /* dilation 3 makes a 3x3 kernel span 7 */
    a.dilation[0] = 3;
    expect_error("conv", (convlike_shapes){4, {1, 4, 5, 5}, 4, {2, 4, 3, 3}},
                 &a, PARN_E_SHAPE);
    /* 6 channels in 4 groups; 3 output channels in 2 groups */
    a = parn_conv_attrs_default(2);
    a.groups = 4;
    expect_error("groups", (convlike_shapes){4, {1, 6, 5, 5}, 4, {4, 1, 3, 3}},
                 &a, PARN_E_SHAPE);
    a.groups = 2;
    expect_error("groups", (convlike_shapes){4, {1, 4, 5, 5}, 4, {3, 2, 3, 3}},
                 &a, PARN_E_SHAPE);
}
END_TEST

START_TEST(bad_arguments_are_errors)
{
    parn_conv_attrs a = parn_conv_attrs_default(2);
    ck_assert_int_lt(parn_conv(NULL, 0, 1, -1, &a), 0);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "conv"));

    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 5, 5});
    int w = parn_graph_param(g, "w", 4, (int64_t[]){3, 2, 3, 3});
    ck_assert_int_lt(parn_conv(g, x, w, -1, NULL), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "conv"));
    ck_assert_int_lt(parn_conv(g, x, w, -1, &a), 0); /* sticky */
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 5, 5});
    w = parn_graph_param(g, "w", 4, (int64_t[]){3, 2, 3, 3});
    ck_assert_int_lt(parn_conv(g, x, w, -5, &a), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 5, 5});
    ck_assert_int_lt(parn_conv(g, x, 42, -1, &a), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "conv"));
    parn_graph_destroy(g);
}
END_TEST

/* Backward ops appended by hand validate their src_dims and has_bias against their inputs. */
START_TEST(bad_backward_nodes_are_errors)
{
    parn_graph *g = parn_graph_create();
    int dy = parn_graph_input(g, "dy", 4, (int64_t[]){1, 3, 5, 5});
    int w = parn_graph_param(g, "w", 4, (int64_t[]){3, 2, 3, 3});
    parn_attrs at = {.conv = parn_conv_attrs_default(2)};
    /* without padding, x = 1 x 2 x 5 x 5 gives a 3 x 3 output, not dy's 5 x 5 */
    memcpy(at.conv.src_dims, (int64_t[]){1, 2, 5, 5}, 4 * sizeof(int64_t));
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_CONV_BWD_DATA, 2, (int[]){dy, w}, &at), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "conv_bwd_data"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    dy = parn_graph_input(g, "dy", 4, (int64_t[]){1, 3, 5, 5});
    int x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 5, 5});
    at.conv.src_dims[0] = 0;
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_CONV_BWD_WEIGHTS, 2, (int[]){dy, x}, &at), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "conv_bwd_weights"));
    parn_graph_destroy(g);

    /* a bad rank is reported before src_dims are read */
    g = parn_graph_create();
    dy = parn_graph_input(g, "dy", 4, (int64_t[]){1, 3, 5, 5});
    w = parn_graph_param(g, "w", 4, (int64_t[]){3, 2, 3, 3});
    at.conv.rank = 9;
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_CONV_BWD_DATA, 2, (int[]){dy, w}, &at), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 5, 5});
    w = parn_graph_param(g, "w", 4, (int64_t[]){3, 2, 3, 3});
    at = (parn_attrs){.conv = parn_conv_attrs_default(2)};
    at.conv.has_bias = true;
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_CONV, 2, (int[]){x, w}, &at), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "has_bias"));
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conv");
    suite_add_tcase(s, optest_tcase("conv", fixture_case));
    TCase *layouts = tcase_create("layouts");
    tcase_add_test(layouts, computed_weights_are_not_cached);
    tcase_add_test(layouts, allocation_failures_are_errors);
    suite_add_tcase(s, layouts);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_attributes_are_errors);
    tcase_add_test(misuse, bad_shapes_are_errors);
    tcase_add_test(misuse, bad_arguments_are_errors);
    tcase_add_test(misuse, bad_backward_nodes_are_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
