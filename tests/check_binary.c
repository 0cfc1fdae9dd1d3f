/* SPDX-License-Identifier: MIT */
/* Broadcasting add/sub/mul and affine against PyTorch fixtures and finite differences, plus
 * misuse. */
#include "common/optest.h"

#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    const char *kind = optest_str(attrs, "kind");
    if (strcmp(kind, "add") == 0) return parn_add(g, in[0], in[1]);
    if (strcmp(kind, "sub") == 0) return parn_sub(g, in[0], in[1]);
    if (strcmp(kind, "mul") == 0) return parn_mul(g, in[0], in[1]);
    if (strcmp(kind, "affine") == 0)
        return parn_affine(g, in[0], (float)optest_num(attrs, "alpha", 1),
                           (float)optest_num(attrs, "beta", 0));
    return -1;
}

START_TEST(fixture_case)
{
    optest_run_case("binary", _i, build);
}
END_TEST

/* A graph with two inputs of the given dims. */
static parn_graph *two_inputs(int na, const int64_t *a, int nb, const int64_t *b, int *ia, int *ib)
{
    parn_graph *g = parn_graph_create();
    *ia = parn_graph_input(g, "a", na, a);
    *ib = parn_graph_input(g, "b", nb, b);
    return g;
}

START_TEST(shapes_that_do_not_broadcast)
{
    int a, b;
    parn_graph *g = two_inputs(2, (int64_t[]){2, 3}, 2, (int64_t[]){2, 4}, &a, &b);
    ck_assert_int_lt(parn_add(g, a, b), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_str_eq(parn_graph_error(g), "add: shapes [2, 3] and [2, 4] do not broadcast");
    parn_graph_destroy(g);

    g = two_inputs(4, (int64_t[]){2, 3, 4, 5}, 3, (int64_t[]){2, 1, 1}, &a, &b);
    ck_assert_int_lt(parn_mul(g, a, b), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "mul"));
    parn_graph_destroy(g);
}
END_TEST

START_TEST(bad_kinds_and_nodes)
{
    int a, b;
    parn_graph *g = two_inputs(1, (int64_t[]){3}, 1, (int64_t[]){3}, &a, &b);
    parn_attrs bad = {.binary = {(parn_binary_kind)7}};
    ck_assert_int_lt(parn_graph_append(g, PARN_OP_BINARY, 2, (int[]){a, b}, &bad), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "binary"));
    parn_graph_destroy(g);

    g = two_inputs(1, (int64_t[]){3}, 1, (int64_t[]){3}, &a, &b);
    ck_assert_int_lt(parn_sub(g, a, 42), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_int_lt(parn_affine(g, a, 1.0f, 0.0f), 0); /* sticky */
    parn_graph_destroy(g);

    ck_assert_int_lt(parn_add(NULL, 0, 1), 0);
    ck_assert_int_lt(parn_affine(NULL, 0, 1.0f, 0.0f), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("binary");
    suite_add_tcase(s, optest_tcase("binary", fixture_case));
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, shapes_that_do_not_broadcast);
    tcase_add_test(misuse, bad_kinds_and_nodes);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
