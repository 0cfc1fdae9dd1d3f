/* SPDX-License-Identifier: MIT */
/* The graph engine: sticky errors, leaves and binding, autodiff accumulation, the memory plan
 * (buffer reuse, channels-last layouts), misuse, and clean failure when allocations fail. */
#include "common/optest.h"

#include "backend/backend.h"
#include "graph/graph_impl.h"

#include <math.h>
#include <string.h>

static parn_status run(parn_graph *g)
{
    return parn_graph_run(g, parn_backend_cpu(), optest_cpu());
}

START_TEST(leaves_reject_bad_shapes)
{
    parn_graph *g = parn_graph_create();
    ck_assert_int_lt(parn_graph_input(g, "x", 6, (int64_t[]){1, 1, 1, 1, 1, 1}), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);

    g = parn_graph_create();
    ck_assert_int_lt(parn_graph_input(g, "x", 2, (int64_t[]){3, 0}), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "'x'"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    ck_assert_int_lt(parn_graph_param(g, "w", 1, (int64_t[]){-4}), 0);
    ck_assert_int_lt(parn_graph_input(g, "x", 2, NULL), 0);
    /* once failed, planning reports the first failure */
    ck_assert_int_eq(parn_graph_plan(g, parn_backend_cpu(), optest_cpu()), PARN_E_SHAPE);
    parn_graph_destroy(g);
    parn_graph_destroy(NULL);
}
END_TEST

START_TEST(binding_and_reading_misuse)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "frames", 2, (int64_t[]){2, 3});
    int a = parn_relu(g, x);
    int b = parn_affine(g, a, 2.0f, 1.0f);
    float buf[6];
    ck_assert_int_eq(run(g), PARN_E_STATE); /* nothing kept */
    parn_graph_keep(g, b);
    ck_assert_int_eq(run(g), PARN_E_STATE); /* input not bound */
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "'frames'"));
    ck_assert_int_eq(parn_graph_bind(g, a, buf), PARN_E_INVALID_ARG); /* not a leaf */
    ck_assert_int_eq(parn_graph_bind(g, x, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_graph_bind(g, 99, buf), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_graph_read(g, b, buf), PARN_E_STATE); /* not run yet */
    float in[6] = {-1, 2, -3, 4, -5, 6};
    ck_assert_int_eq(parn_graph_bind(g, x, in), PARN_OK);
    ck_assert_int_eq(run(g), PARN_OK);
    ck_assert_int_eq(parn_graph_read(g, b, buf), PARN_OK);
    const float expect[6] = {1, 5, 1, 9, 1, 13};
    for (int i = 0; i < 6; i++) ck_assert_float_eq(buf[i], expect[i]);
    ck_assert_int_eq(parn_graph_read(g, a, buf), PARN_E_STATE); /* not kept */
    ck_assert_int_eq(parn_graph_read(g, b, NULL), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);
}
END_TEST

/* y = sum-free scalar path: x used three times; dL/dx = 2x + 1 for L = x*x + x (seeded by ones). */
START_TEST(gradients_accumulate_over_uses)
{
    parn_graph *g = parn_graph_create();
    int64_t dims[] = {2, 3, 2, 2};
    int x = parn_graph_input(g, "x", 4, dims);
    parn_graph_set_requires_grad(g, x, true);
    int y = parn_add(g, parn_mul(g, x, x), x);
    int seed = parn_graph_input(g, "seed", 4, dims);
    ck_assert_int_eq(parn_graph_backward(g, y, seed), PARN_OK);
    int dx = parn_graph_grad(g, x);
    ck_assert_int_ge(dx, 0);
    float in[24], ones[24], got[24];
    for (int i = 0; i < 24; i++) {
        in[i] = (float)i * 0.25f - 3.0f;
        ones[i] = 1.0f;
    }
    parn_graph_bind(g, x, in);
    parn_graph_bind(g, seed, ones);
    ck_assert_int_eq(run(g), PARN_OK);
    ck_assert_int_eq(parn_graph_read(g, dx, got), PARN_OK);
    for (int i = 0; i < 24; i++) ck_assert_float_eq_tol(got[i], 2 * in[i] + 1, 1e-6);
    /* a second backward pass is refused */
    ck_assert_int_eq(parn_graph_backward(g, y, seed), PARN_E_STATE);
    parn_graph_destroy(g);
}
END_TEST

START_TEST(backward_misuse)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 2, (int64_t[]){2, 2});
    int y = parn_relu(g, x);
    ck_assert_int_eq(parn_graph_backward(g, y, -1), PARN_E_STATE); /* nothing requires grad */
    parn_graph_set_requires_grad(g, x, true);
    int y2 = parn_relu(g, x);
    ck_assert_int_eq(parn_graph_backward(g, y2, -1), PARN_E_SHAPE); /* not a scalar */
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_param(g, "w", 2, (int64_t[]){2, 2});
    y = parn_relu(g, x);
    int bad_seed = parn_graph_input(g, "s", 2, (int64_t[]){2, 3});
    ck_assert_int_eq(parn_graph_backward(g, 42, -1), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_graph_backward(g, y, bad_seed), PARN_E_SHAPE);
    ck_assert_int_eq(parn_graph_backward(NULL, 0, -1), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_graph_grad(g, 7), -1);
    parn_graph_destroy(g);
}
END_TEST

START_TEST(plan_reuses_buffers_and_lays_out_channels_last)
{
    if (!optest_on_cpu()) return; /* the CPU stores activations channels-last; the CUDA backend plain */
    parn_graph *g = parn_graph_create();
    int64_t dims[] = {1, 8, 4, 6, 5};
    int x = parn_graph_input(g, "x", 5, dims);
    int y = x;
    for (int i = 0; i < 12; i++) y = parn_affine(g, parn_relu(g, y), 1.0f, 0.5f);
    parn_graph_keep(g, y);
    float in[960], out[960];
    for (int i = 0; i < 960; i++) in[i] = (float)(i % 17) - 8.0f;
    parn_graph_bind(g, x, in);
    ck_assert_int_eq(run(g), PARN_OK);
    /* 24 op nodes in a chain need only two live buffers at a time (plus the kept output) */
    ck_assert_int_le(g->n_buffers, 3);
    const parn_tensor *t = parn_graph_tensor(g, y);
    ck_assert_int_eq(t->strides[1], 1); /* channels-last: C is innermost */
    ck_assert_int_eq(t->strides[4], 8);
    ck_assert_int_eq(parn_graph_read(g, y, out), PARN_OK);
    for (int i = 0; i < 960; i++) {
        float v = in[i];
        for (int k = 0; k < 12; k++) v = fmaxf(v, 0.0f) + 0.5f;
        ck_assert_float_eq(out[i], v);
    }
    parn_graph_destroy(g);
}
END_TEST

/* Builds and runs a small forward/backward graph; returns the run status. */
static parn_status build_and_run(void)
{
    parn_graph *g = parn_graph_create();
    if (!g) return PARN_E_NOMEM;
    int64_t dims[] = {2, 4, 3, 3};
    int x = parn_graph_param(g, "x", 4, dims);
    int s = parn_graph_input(g, "s", 4, dims);
    int y = parn_mul(g, parn_sigmoid(g, x), parn_relu(g, x));
    static float in[72], seed[72];
    for (int i = 0; i < 72; i++) in[i] = seed[i] = (float)i / 36.0f - 1.0f;
    parn_graph_bind(g, x, in);
    parn_graph_bind(g, s, seed);
    parn_status st = parn_graph_status(g);
    if (st == PARN_OK) st = parn_graph_backward(g, y, s);
    if (st == PARN_OK) st = run(g);
    parn_graph_destroy(g);
    return st;
}

START_TEST(allocation_failures_are_clean)
{
    optest_cpu();
    ck_assert_int_eq(build_and_run(), PARN_OK);
    int failures = 0;
    for (long n = 0; n < 400; n++) {
        parn__test_fail_alloc_after(n);
        parn_status st = build_and_run();
        parn__test_fail_alloc_after(-1);
        if (st == PARN_OK) break;
        ck_assert_msg(st == PARN_E_NOMEM, "allocation %ld: status %d (%s)", n, st, parn_last_error(NULL));
        failures++;
    }
    ck_assert_int_gt(failures, 5);
    ck_assert_int_eq(build_and_run(), PARN_OK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("engine");
    tcase_add_test(tc, leaves_reject_bad_shapes);
    tcase_add_test(tc, binding_and_reading_misuse);
    tcase_add_test(tc, gradients_accumulate_over_uses);
    tcase_add_test(tc, backward_misuse);
    tcase_add_test(tc, plan_reuses_buffers_and_lays_out_channels_last);
    tcase_add_test(tc, allocation_failures_are_clean);
    suite_add_tcase(s, tc);
    return optest_main(s);
}
