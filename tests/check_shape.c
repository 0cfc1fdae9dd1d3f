/* SPDX-License-Identifier: MIT */
/* Concat, slice, split, pad and reshape against PyTorch fixtures and finite differences, large
 * round trips through channels-last layouts, plus misuse. */
#include "common/optest.h"

#include "backend/backend.h"

#include <stdlib.h>
#include <string.h>

/* An int array attribute as int64 values; returns its length. */
static int int64s(const cJSON *attrs, const char *key, int64_t *out)
{
    int v[PARN_MAX_SRC];
    int n = optest_ints(attrs, key, v, PARN_MAX_SRC);
    for (int i = 0; i < n && i < PARN_MAX_SRC; i++) out[i] = v[i];
    return n;
}

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    const char *op = optest_str(attrs, "op");
    int64_t a[PARN_MAX_SRC], b[PARN_MAX_SRC];
    int axis = (int)optest_num(attrs, "axis", 0), xs[PARN_MAX_SRC];
    int n_in = (int)optest_num(attrs, "n", 1);
    for (int k = 0; k < n_in; k++)
        xs[k] = optest_num(attrs, "cl", 0) != 0 ? parn_affine(g, in[k], 1.0f, 0.0f) : in[k];
    if (strcmp(op, "concat") == 0) return parn_concat(g, n_in, xs, axis);
    if (strcmp(op, "slice") == 0) {
        int64s(attrs, "start", a);
        int64s(attrs, "sizes", b);
        return parn_slice(g, xs[0], a, b);
    }
    if (strcmp(op, "pad") == 0) {
        int64s(attrs, "lo", a);
        int64s(attrs, "hi", b);
        return parn_pad(g, xs[0], a, b, (float)optest_num(attrs, "value", 0));
    }
    if (strcmp(op, "reshape") == 0) return parn_reshape(g, xs[0], int64s(attrs, "dims", a), a);
    if (strcmp(op, "permute") == 0) {
        int perm[PARN_MAX_DIMS];
        optest_ints(attrs, "perm", perm, PARN_MAX_DIMS);
        return parn_permute(g, xs[0], perm);
    }
    if (strcmp(op, "split") == 0) {
        int n = int64s(attrs, "sizes", a), parts[PARN_MAX_SRC], reversed[PARN_MAX_SRC];
        if (parn_split(g, xs[0], axis, n, a, parts) != PARN_OK) return -1;
        for (int k = 0; k < n; k++) reversed[k] = parts[n - 1 - k];
        return parn_concat(g, n, reversed, axis);
    }
    return -1;
}

START_TEST(fixture_case)
{
    optest_run_case("shape", _i, build);
}
END_TEST

/* Runs g, reads node id (numel floats) and compares it with want exactly. */
static void expect_values(parn_graph *g, int id, const float *want, int64_t numel, const char *what)
{
    float *got = malloc((size_t)numel * sizeof(float));
    ck_assert_int_eq(parn_graph_read(g, id, got), PARN_OK);
    for (int64_t i = 0; i < numel; i++)
        ck_assert_msg(got[i] == want[i], "%s: element %lld is %g, expected %g", what, (long long)i,
                      got[i], want[i]);
    free(got);
}

/* Large tensors take the threaded, segmented paths; every round trip must give x back. */
START_TEST(large_round_trips)
{
    const int64_t dims[5] = {2, 16, 6, 30, 40}, numel = 2 * 16 * 6 * 30 * 40;
    float *x = malloc((size_t)numel * sizeof(float));
    for (int64_t i = 0; i < numel; i++) x[i] = (float)i;
    parn_graph *g = parn_graph_create();
    int in = parn_graph_input(g, "x", 5, dims);
    parn_graph_bind(g, in, x);
    int cl = parn_affine(g, in, 1.0f, 0.0f);
    int64_t lo[5] = {0, 3, 1, 0, 2}, hi[5] = {1, 0, 2, 5, 0};
    int padded = parn_pad(g, cl, lo, hi, -3.0f);
    int unpadded = parn_slice(g, padded, lo, dims);
    int parts[3];
    ck_assert_int_eq(parn_split(g, cl, 1, 3, (int64_t[]){5, 10, 1}, parts), PARN_OK);
    int joined = parn_concat(g, 3, parts, 1);
    int flat = parn_reshape(g, cl, 1, (int64_t[]){numel});
    int folded = parn_reshape(g, cl, 4, (int64_t[]){4, 8, 6, 1200});
    int unfolded = parn_reshape(g, folded, 5, dims);
    int outs[] = {unpadded, joined, flat, unfolded};
    for (int k = 0; k < 4; k++) parn_graph_keep(g, outs[k]);
    parn_graph_keep(g, padded);
    ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_OK);
    const char *names[] = {"slice of pad", "concat of split", "flat reshape", "reshape round trip"};
    for (int k = 0; k < 4; k++) expect_values(g, outs[k], x, numel, names[k]);
    /* x is non-negative, so the fill values are exactly the padding */
    int64_t pn = parn_tensor_numel(parn_graph_tensor(g, padded));
    float *p = malloc((size_t)pn * sizeof(float));
    parn_graph_read(g, padded, p);
    int64_t fills = 0;
    for (int64_t i = 0; i < pn; i++) fills += p[i] == -3.0f;
    ck_assert_int_eq(fills, pn - numel);
    free(p);
    parn_graph_destroy(g);
    free(x);
}
END_TEST

#define X4 4, (int64_t[]){2, 3, 4, 5}

START_TEST(bad_concat)
{
    int x;
    parn_graph *g = optest_one_input(X4, &x);
    int y = parn_graph_input(g, "y", 4, (int64_t[]){2, 3, 5, 5});
    optest_expect_failure(g, parn_concat(g, 2, (int[]){x, y}, 1), PARN_E_SHAPE,
                          "concat: input 1 [2, 3, 5, 5] does not match input 0 [2, 3, 4, 5] "
                          "off axis 1");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_concat(g, 2, (int[]){x, x}, 4), PARN_E_INVALID_ARG, "concat");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_concat(g, 2, (int[]){x, x}, -1), PARN_E_INVALID_ARG, "concat");
    g = optest_one_input(X4, &x);
    y = parn_graph_input(g, "y", 3, (int64_t[]){2, 3, 4});
    optest_expect_failure(g, parn_concat(g, 2, (int[]){x, y}, 0), PARN_E_SHAPE, "concat");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_concat(g, 0, (int[]){x}, 0), PARN_E_INVALID_ARG, "concat");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_concat(g, 2, NULL, 0), PARN_E_INVALID_ARG, "concat");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_concat(g, 17, (int[17]){0}, 0), PARN_E_INVALID_ARG, "concat");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_concat(g, 2, (int[]){x, 7}, 0), PARN_E_INVALID_ARG, "concat");
    ck_assert_int_lt(parn_concat(NULL, 1, (int[]){0}, 0), 0);
}
END_TEST

START_TEST(bad_slice_and_split)
{
    int x, parts[2];
    parn_graph *g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_slice(g, x, (int64_t[]){0, 0, 2, 0}, (int64_t[]){2, 3, 3, 5}),
                          PARN_E_SHAPE, "slice");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_slice(g, x, (int64_t[]){0, -1, 0, 0}, (int64_t[]){1, 1, 1, 1}),
                          PARN_E_SHAPE, "slice");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_slice(g, x, (int64_t[]){0, 0, 0, 0}, (int64_t[]){1, 0, 1, 1}),
                          PARN_E_SHAPE, "slice");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_slice(g, x, NULL, (int64_t[]){1, 1, 1, 1}), PARN_E_INVALID_ARG,
                          "slice");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_slice(g, 3, (int64_t[]){0}, (int64_t[]){1}), PARN_E_INVALID_ARG,
                          "slice");
    g = optest_one_input(X4, &x);
    ck_assert_int_eq(parn_split(g, x, 1, 2, (int64_t[]){1, 1}, parts), PARN_E_SHAPE);
    optest_expect_failure(g, -1, PARN_E_SHAPE, "split");
    g = optest_one_input(X4, &x);
    ck_assert_int_eq(parn_split(g, x, 1, 2, (int64_t[]){4, -1}, parts), PARN_E_SHAPE);
    optest_expect_failure(g, -1, PARN_E_SHAPE, "split");
    g = optest_one_input(X4, &x);
    ck_assert_int_eq(parn_split(g, x, 4, 2, (int64_t[]){1, 2}, parts), PARN_E_INVALID_ARG);
    optest_expect_failure(g, -1, PARN_E_INVALID_ARG, "split");
    g = optest_one_input(X4, &x);
    ck_assert_int_eq(parn_split(g, x, 1, 2, (int64_t[]){1, 2}, NULL), PARN_E_INVALID_ARG);
    optest_expect_failure(g, -1, PARN_E_INVALID_ARG, "split");
    g = optest_one_input(X4, &x);
    ck_assert_int_eq(parn_split(g, x, 1, 0, (int64_t[]){3}, parts), PARN_E_INVALID_ARG);
    optest_expect_failure(g, -1, PARN_E_INVALID_ARG, "split");
    ck_assert_int_eq(parn_split(NULL, 0, 0, 1, (int64_t[]){1}, parts), PARN_E_INVALID_ARG);
}
END_TEST

START_TEST(bad_pad_and_reshape)
{
    int x;
    parn_graph *g = optest_one_input(X4, &x);
    optest_expect_failure(g,
                          parn_pad(g, x, (int64_t[]){0, 0, -1, 0}, (int64_t[]){0, 0, 0, 0}, 0.0f),
                          PARN_E_INVALID_ARG, "pad");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_pad(g, x, (int64_t[]){0, 0, 0, 0}, NULL, 0.0f),
                          PARN_E_INVALID_ARG, "pad");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_reshape(g, x, 2, (int64_t[]){6, 21}), PARN_E_SHAPE, "reshape");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_reshape(g, x, 3, (int64_t[]){120, 0, 1}), PARN_E_SHAPE,
                          "reshape");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_reshape(g, x, 2, (int64_t[]){-1, -120}), PARN_E_SHAPE, "reshape");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_reshape(g, x, 6, (int64_t[]){1, 1, 2, 3, 4, 5}),
                          PARN_E_INVALID_ARG, "reshape");
    g = optest_one_input(X4, &x);
    optest_expect_failure(g, parn_reshape(g, x, 2, NULL), PARN_E_INVALID_ARG, "reshape");
    ck_assert_int_lt(parn_pad(NULL, 0, NULL, NULL, 0.0f), 0);
    ck_assert_int_lt(parn_reshape(NULL, 0, 0, NULL), 0);
}
END_TEST

START_TEST(bad_permute)
{
    const int repeated[] = {0, 1, 1, 3}, out_of_range[] = {0, 1, 2, 4}, negative[] = {-1, 0, 1, 2};
    const int *bad[] = {repeated, out_of_range, negative};
    for (int k = 0; k < 3; k++) {
        parn_graph *g = parn_graph_create();
        int x = parn_graph_input(g, "x", 4, (int64_t[]){2, 3, 4, 5});
        ck_assert_int_lt(parn_permute(g, x, bad[k]), 0);
        ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "permute"));
        parn_graph_destroy(g);
    }
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    ck_assert_int_lt(parn_permute(g, x, NULL), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shape");
    suite_add_tcase(s, optest_tcase("shape", fixture_case));
    TCase *large = tcase_create("large");
    tcase_add_test(large, large_round_trips);
    suite_add_tcase(s, large);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_concat);
    tcase_add_test(misuse, bad_slice_and_split);
    tcase_add_test(misuse, bad_pad_and_reshape);
    tcase_add_test(misuse, bad_permute);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
