/* SPDX-License-Identifier: MIT */
/* Bilinear resize against PyTorch fixtures and finite differences, the adjoint identity on
 * large threaded sizes, plus misuse. */
#include "common/optest.h"

#include "backend/backend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    int x = optest_num(attrs, "cl", 0) != 0 ? parn_affine(g, in[0], 1.0f, 0.0f) : in[0];
    return parn_resize_bilinear(g, x, (int64_t)optest_num(attrs, "out_h", 0),
                                (int64_t)optest_num(attrs, "out_w", 0),
                                optest_num(attrs, "align_corners", 0) != 0);
}

START_TEST(fixture_case)
{
    optest_run_case("resize", _i, build);
}
END_TEST

static float *random_floats(int64_t n, unsigned seed)
{
    float *p = malloc((size_t)n * sizeof(float));
    srand(seed);
    for (int64_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
    return p;
}

static double dot(const float *a, const float *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* Runs resize and its backward on x; plain stores every output plain row-major instead of
 * channels-last (the kernels' other loop order). Returns y and dx; y then dx are read. */
static void resize_and_back(const int64_t *src, const int64_t *ydims, bool align, bool plain,
                            float *x, float *dy, float *y, float *dx)
{
    parn_graph *g = parn_graph_create();
    int in = parn_graph_input(g, "x", 4, src), seed = parn_graph_input(g, "dy", 4, ydims);
    parn_graph_set_requires_grad(g, in, true);
    parn_graph_bind(g, in, x);
    parn_graph_bind(g, seed, dy);
    int out = parn_resize_bilinear(g, in, ydims[2], ydims[3], align);
    parn_graph_keep(g, out);
    ck_assert_int_eq(parn_graph_backward(g, out, seed), PARN_OK);
    for (int i = 0; i < parn_graph_size(g) && plain; i++) parn_graph_node(g, i)->plain_out = true;
    ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_OK);
    ck_assert(parn_tensor_is_plain(parn_graph_tensor(g, out)) == plain);
    parn_graph_read(g, out, y);
    parn_graph_read(g, parn_graph_grad(g, in), dx);
    parn_graph_destroy(g);
}

/* <resize(x), dy> = <x, resize_bwd(dy)> for up and down sampling on threaded sizes, and both
 * storage orders give the same values. */
START_TEST(adjoint_on_large_sizes)
{
    const int64_t src[4] = {2, 8, 45, 61}, sizes[][2] = {{97, 50}, {20, 130}};
    int64_t nx = src[0] * src[1] * src[2] * src[3];
    float *x = random_floats(nx, 3), *dx[2];
    for (int k = 0; k < 2; k++)
        for (int align = 0; align < 2; align++) {
            int64_t ydims[4] = {src[0], src[1], sizes[k][0], sizes[k][1]};
            int64_t ny = ydims[0] * ydims[1] * ydims[2] * ydims[3];
            float *dy = random_floats(ny, 5 + k), *y[2];
            for (int plain = 0; plain < 2; plain++) {
                y[plain] = malloc((size_t)ny * sizeof(float));
                dx[plain] = malloc((size_t)nx * sizeof(float));
                resize_and_back(src, ydims, align, plain, x, dy, y[plain], dx[plain]);
            }
            double lhs = dot(y[0], dy, ny), rhs = dot(x, dx[0], nx);
            ck_assert_msg(fabs(lhs - rhs) <= 1e-5 * fabs(lhs) + 1e-3,
                          "size %d align %d: <Ax, dy> = %.9g but <x, A'dy> = %.9g", k, align, lhs,
                          rhs);
            ck_assert(optest_rel_error(y[1], y[0], ny) < 1e-6);
            ck_assert(optest_rel_error(dx[1], dx[0], nx) < 1e-6);
            for (int plain = 0; plain < 2; plain++) {
                free(y[plain]);
                free(dx[plain]);
            }
            free(dy);
        }
    free(x);
}
END_TEST

START_TEST(bad_resizes)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 3, (int64_t[]){2, 3, 4});
    optest_expect_failure(g, parn_resize_bilinear(g, x, 4, 4, false), PARN_E_SHAPE, "resize");
    g = parn_graph_create();
    x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 3, 4});
    optest_expect_failure(g, parn_resize_bilinear(g, x, 0, 4, true), PARN_E_INVALID_ARG, "resize");
    g = parn_graph_create();
    x = parn_graph_input(g, "x", 4, (int64_t[]){1, 2, 3, 4});
    optest_expect_failure(g, parn_resize_bilinear(g, x, 5, -2, false), PARN_E_INVALID_ARG,
                          "resize");
    g = parn_graph_create();
    optest_expect_failure(g, parn_resize_bilinear(g, 3, 5, 5, false), PARN_E_INVALID_ARG, "resize");
    ck_assert_int_lt(parn_resize_bilinear(NULL, 0, 2, 2, false), 0);

    /* the backward op checks dy against its attributes */
    g = parn_graph_create();
    int dy = parn_graph_input(g, "dy", 4, (int64_t[]){1, 2, 6, 6});
    parn_attrs a = {.resize = {.out_h = 6, .out_w = 5, .src_dims = {1, 2, 3, 3}}};
    optest_expect_failure(g, parn_graph_append(g, PARN_OP_RESIZE_BWD, 1, &dy, &a), PARN_E_SHAPE,
                          "resize backward");
    g = parn_graph_create();
    dy = parn_graph_input(g, "dy", 4, (int64_t[]){1, 2, 6, 6});
    a.resize.out_w = 6;
    a.resize.src_dims[3] = 0;
    optest_expect_failure(g, parn_graph_append(g, PARN_OP_RESIZE_BWD, 1, &dy, &a),
                          PARN_E_INVALID_ARG, "resize backward");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("resize");
    suite_add_tcase(s, optest_tcase("resize", fixture_case));
    TCase *large = tcase_create("large");
    tcase_add_test(large, adjoint_on_large_sizes);
    suite_add_tcase(s, large);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_resizes);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
