/* SPDX-License-Identifier: MIT */
/* Dropout: keep rate and scaling, identity outside training, gradient = dy * mask, masks that
 * depend only on the graph's seed (not on layouts or thread counts), plus misuse. Random masks
 * have no PyTorch fixture. */
#include "common/optest.h"

#include "backend/backend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A dropout graph on one input; keeps y, the mask (when training) and, when dy is given, dx. */
typedef struct dropout_graph {
    parn_graph *g;
    int x, y, mask, dy, dx;
    int64_t numel;
} dropout_graph;

static dropout_graph build(int nd, const int64_t *dims, float p, bool training, bool channels_last,
                           float *x, float *dy)
{
    dropout_graph d = {.g = parn_graph_create(), .mask = -1, .dx = -1, .numel = 1};
    for (int i = 0; i < nd; i++) d.numel *= dims[i];
    d.x = parn_graph_input(d.g, "x", nd, dims);
    parn_graph_bind(d.g, d.x, x);
    parn_graph_set_requires_grad(d.g, d.x, dy != NULL);
    /* a non-leaf 4-D/5-D node is stored channels-last */
    int src = channels_last ? parn_affine(d.g, d.x, 1.0f, 0.0f) : d.x;
    d.y = parn_dropout(d.g, src, p, training);
    ck_assert_msg(d.y >= 0, "%s", parn_graph_error(d.g));
    parn_graph_keep(d.g, d.y);
    if (training) {
        d.mask = parn_side(d.g, d.y, 0);
        parn_graph_keep(d.g, d.mask);
    }
    if (dy) {
        d.dy = parn_graph_input(d.g, "dy", nd, dims);
        parn_graph_bind(d.g, d.dy, dy);
        ck_assert_int_eq(parn_graph_backward(d.g, d.y, d.dy), PARN_OK);
        d.dx = parn_graph_grad(d.g, d.x);
    }
    return d;
}

static float *read_node(const dropout_graph *d, int id)
{
    float *p = malloc((size_t)d->numel * sizeof(float));
    ck_assert_int_eq(parn_graph_read(d->g, id, p), PARN_OK);
    return p;
}

static void run(dropout_graph *d, parn_backend_ctx *ctx)
{
    parn_status st = parn_graph_run(d->g, parn_backend_cpu(), ctx);
    ck_assert_msg(st == PARN_OK, "run: %s", parn_last_error(NULL));
}

static float *random_floats(int64_t n, unsigned seed)
{
    float *p = malloc((size_t)n * sizeof(float));
    srand(seed);
    for (int64_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX + 0.5f; /* never 0 */
    return p;
}

START_TEST(keep_rate_and_scaling)
{
    const float ps[] = {0.1f, 0.3f, 0.5f, 0.9f};
    const int64_t dims[2] = {400, 500}, n = 400 * 500;
    float *x = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] = 1.0f;
    for (int k = 0; k < 4; k++) {
        float p = ps[k], scale = 1.0f / (1.0f - p);
        dropout_graph d = build(2, dims, p, true, false, x, NULL);
        run(&d, optest_cpu());
        float *y = read_node(&d, d.y);
        int64_t kept = 0;
        double sum = 0;
        for (int64_t i = 0; i < n; i++) {
            ck_assert_msg(y[i] == 0.0f || y[i] == scale, "p %g: y[%lld] = %g", p, (long long)i,
                          y[i]);
            kept += y[i] != 0.0f;
            sum += y[i];
        }
        double rate = (double)kept / (double)n, sigma = sqrt(p * (1.0 - p) / (double)n);
        ck_assert_msg(fabs(rate - (1.0 - p)) < 5 * sigma, "p %g: kept %.5f", p, rate);
        double mean = sum / (double)n;
        ck_assert_msg(fabs(mean - 1.0) < 5 * sigma * scale, "p %g: mean %.5f", p, mean);
        free(y);
        parn_graph_destroy(d.g);
    }
    free(x);
}
END_TEST

/* y = x * mask and dx = dy * mask, in plain 2-D and channels-last 5-D. */
START_TEST(output_and_gradient_use_the_mask)
{
    const int64_t dims[][5] = {{64, 300}, {2, 64, 3, 5, 7}};
    const int nds[] = {2, 5};
    for (int k = 0; k < 2; k++) {
        int64_t n = 1;
        for (int i = 0; i < nds[k]; i++) n *= dims[k][i];
        float *x = random_floats(n, 1), *dy = random_floats(n, 2);
        dropout_graph d = build(nds[k], dims[k], 0.4f, true, k == 1, x, dy);
        run(&d, optest_cpu());
        float *y = read_node(&d, d.y), *m = read_node(&d, d.mask), *dx = read_node(&d, d.dx);
        for (int64_t i = 0; i < n; i++) {
            ck_assert(m[i] == 0.0f || m[i] == 1.0f / 0.6f);
            ck_assert_msg(y[i] == x[i] * m[i], "case %d: y[%lld] = %g, x * mask = %g", k,
                          (long long)i, y[i], x[i] * m[i]);
            ck_assert_msg(dx[i] == dy[i] * m[i], "case %d: dx[%lld] = %g, dy * mask = %g", k,
                          (long long)i, dx[i], dy[i] * m[i]);
        }
        free(y);
        free(m);
        free(dx);
        free(x);
        free(dy);
        parn_graph_destroy(d.g);
    }
}
END_TEST

START_TEST(identity_when_not_training_or_p_zero)
{
    const int64_t dims[4] = {2, 3, 5, 7}, n = 2 * 3 * 5 * 7;
    float *x = random_floats(n, 3), *dy = random_floats(n, 4);
    for (int k = 0; k < 2; k++) {
        bool training = k == 1;
        dropout_graph d = build(4, dims, training ? 0.0f : 0.5f, training, true, x, dy);
        ck_assert_int_eq(parn_graph_node(d.g, d.y)->n_side, training ? 1 : 0);
        run(&d, optest_cpu());
        float *y = read_node(&d, d.y), *dx = read_node(&d, d.dx);
        ck_assert_int_eq(memcmp(y, x, (size_t)n * sizeof(float)), 0);
        ck_assert_int_eq(memcmp(dx, dy, (size_t)n * sizeof(float)), 0);
        free(y);
        free(dx);
        parn_graph_destroy(d.g);
    }
    free(x);
    free(dy);
}
END_TEST

/* The same graph seed gives the same masks whatever the layout or thread count; a new run or
 * another seed gives new ones. */
START_TEST(masks_follow_the_graph_seed)
{
    const int64_t dims[5] = {2, 8, 4, 30, 30}, n = 2 * 8 * 4 * 30 * 30;
    float *x = random_floats(n, 5);
    parn_backend_ctx *one_thread;
    ck_assert_int_eq(parn_backend_cpu()->ctx_create(0, 1, &one_thread), PARN_OK);
    dropout_graph a = build(5, dims, 0.5f, true, false, x, NULL);
    dropout_graph b = build(5, dims, 0.5f, true, true, x, NULL);
    dropout_graph c = build(5, dims, 0.5f, true, false, x, NULL);
    parn__rng_seed(parn_graph_rng(c.g), 12345);
    run(&a, optest_cpu());
    run(&b, one_thread);
    run(&c, optest_cpu());
    float *ya = read_node(&a, a.y), *yb = read_node(&b, b.y), *yc = read_node(&c, c.y);
    ck_assert_int_eq(memcmp(ya, yb, (size_t)n * sizeof(float)), 0);
    ck_assert_int_ne(memcmp(ya, yc, (size_t)n * sizeof(float)), 0);
    run(&a, optest_cpu());
    float *again = read_node(&a, a.y);
    ck_assert_int_ne(memcmp(ya, again, (size_t)n * sizeof(float)), 0);
    free(ya);
    free(yb);
    free(yc);
    free(again);
    parn_graph_destroy(a.g);
    parn_graph_destroy(b.g);
    parn_graph_destroy(c.g);
    parn_backend_cpu()->ctx_destroy(one_thread);
    free(x);
}
END_TEST

START_TEST(bad_probabilities)
{
    const float bad[] = {1.0f, -0.1f, 1.5f, NAN};
    for (int k = 0; k < 4; k++) {
        parn_graph *g = parn_graph_create();
        int x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
        ck_assert_int_lt(parn_dropout(g, x, bad[k], true), 0);
        ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "dropout"));
        parn_graph_destroy(g);
    }
    parn_graph *g = parn_graph_create();
    ck_assert_int_lt(parn_dropout(g, 4, 0.5f, true), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);
    ck_assert_int_lt(parn_dropout(NULL, 0, 0.5f, true), 0);

    /* outside training there is no mask to read */
    g = parn_graph_create();
    int x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    ck_assert_int_lt(parn_side(g, parn_dropout(g, x, 0.5f, false), 0), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dropout");
    TCase *behaviour = tcase_create("dropout");
    tcase_set_timeout(behaviour, 120);
    tcase_add_test(behaviour, keep_rate_and_scaling);
    tcase_add_test(behaviour, output_and_gradient_use_the_mask);
    tcase_add_test(behaviour, identity_when_not_training_or_p_zero);
    tcase_add_test(behaviour, masks_follow_the_graph_seed);
    suite_add_tcase(s, behaviour);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_probabilities);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
