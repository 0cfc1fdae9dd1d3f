/* SPDX-License-Identifier: MIT */
/* SSIM against PyTorch fixtures and finite differences, plus properties and misuse. */
#include "common/optest.h"

#include "backend/backend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    int x = in[0], y = in[1];
    optest_route_channels_last(g, attrs, &x, &y);
    return parn_ssim(g, x, y, (int)optest_num(attrs, "window", 11),
                     (float)optest_num(attrs, "sigma", 1.5));
}

START_TEST(fixture_case)
{
    optest_run_case("loss_ssim", _i, build);
}
END_TEST

/* SSIM(x, x) = 1 with a zero gradient, on enough planes to run in parallel. */
START_TEST(identical_images_score_one)
{
    enum { N = 4, C = 3, H = 40, W = 33 };
    static float x[N * C * H * W];
    for (int i = 0; i < N * C * H * W; i++) x[i] = (float)((i * 7919) % 1000) / 1000.0f;
    parn_graph *g = parn_graph_create();
    int a = parn_graph_input(g, "a", 4, (int64_t[]){N, C, H, W});
    int b = parn_graph_input(g, "b", 4, (int64_t[]){N, C, H, W});
    parn_graph_set_requires_grad(g, a, true);
    parn_graph_bind(g, a, x);
    parn_graph_bind(g, b, x);
    int s = parn_ssim(g, a, b, 11, 1.5f);
    ck_assert_int_eq(parn_graph_backward(g, s, -1), PARN_OK);
    parn_graph_keep(g, s);
    ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_OK);
    float score, *grad = malloc(sizeof x);
    parn_graph_read(g, s, &score);
    parn_graph_read(g, parn_graph_grad(g, a), grad);
    ck_assert_float_eq_tol(score, 1.0f, 1e-6f);
    float worst = 0;
    for (int i = 0; i < N * C * H * W; i++) worst = fmaxf(worst, fabsf(grad[i]));
    ck_assert_float_le(worst, 1e-7f);
    free(grad);
    parn_graph_destroy(g);
}
END_TEST

static void expect_error(const int64_t *dx, const int64_t *dy, int window, float sigma,
                         parn_status st, const char *what)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", dx[0], dx + 1);
    int y = parn_graph_input(g, "y", dy[0], dy + 1);
    ck_assert_int_lt(parn_ssim(g, x, y, window, sigma), 0);
    ck_assert_int_eq(parn_graph_status(g), st);
    ck_assert_msg(strstr(parn_graph_error(g), what), "message '%s' lacks '%s'", parn_graph_error(g),
                  what);
    parn_graph_destroy(g);
}

START_TEST(bad_shapes_and_attributes_are_errors)
{
    const int64_t img[] = {4, 2, 3, 16, 16};
    expect_error(img, img, 10, 1.5f, PARN_E_INVALID_ARG, "ssim: window 10 must be odd");
    expect_error(img, img, 0, 1.5f, PARN_E_INVALID_ARG, "ssim: window 0");
    expect_error(img, img, -3, 1.5f, PARN_E_INVALID_ARG, "ssim: window -3");
    expect_error(img, img, 11, 0.0f, PARN_E_INVALID_ARG, "ssim: sigma");
    expect_error(img, img, 11, -1.0f, PARN_E_INVALID_ARG, "ssim: sigma");
    expect_error(img, img, 11, NAN, PARN_E_INVALID_ARG, "ssim: sigma");
    expect_error(img, img, 11, INFINITY, PARN_E_INVALID_ARG, "ssim: sigma");
    expect_error(img, img, 17, 1.5f, PARN_E_SHAPE, "smaller than the 17 x 17 window");
    expect_error((int64_t[]){4, 2, 3, 10, 16}, (int64_t[]){4, 2, 3, 10, 16}, 11, 1.5f, PARN_E_SHAPE,
                 "ssim: image [2, 3, 10, 16]");
    expect_error(img, (int64_t[]){4, 2, 3, 16, 15}, 11, 1.5f, PARN_E_SHAPE,
                 "ssim: y [2, 3, 16, 15] does not match x [2, 3, 16, 16]");
    expect_error((int64_t[]){3, 3, 16, 16}, (int64_t[]){3, 3, 16, 16}, 11, 1.5f, PARN_E_SHAPE,
                 "ssim: x must be N x C x H x W");

    parn_graph *g = parn_graph_create();
    int dy = parn_graph_input(g, "dy", 0, NULL);
    int x = parn_graph_input(g, "x", 4, img + 1);
    parn_attrs a = {.loss = {.window = 11, .sigma = 1.5f, .c1 = 1e-4f, .c2 = 9e-4f, .which = 2}};
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_SSIM_BWD, 3, (int[]){dy, x, x}, &a), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "ssim backward: which"));
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 4, img + 1);
    a = (parn_attrs){.loss = {.window = 11, .sigma = 1.5f, .c1 = 0.0f, .c2 = 9e-4f}};
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_SSIM, 2, (int[]){x, x}, &a), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "ssim: constants"));
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loss_ssim");
    suite_add_tcase(s, optest_tcase("loss_ssim", fixture_case));
    TCase *props = tcase_create("properties");
    tcase_add_test(props, identical_images_score_one);
    suite_add_tcase(s, props);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_shapes_and_attributes_are_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
