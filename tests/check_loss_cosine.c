/* SPDX-License-Identifier: MIT */
/* Per-row cosine similarity against PyTorch fixtures and finite differences, plus misuse. */
#include "common/optest.h"

#include <math.h>
#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    return parn_cosine(g, in[0], in[1], (float)optest_num(attrs, "eps", 1e-8));
}

START_TEST(fixture_case)
{
    optest_run_case("loss_cosine", _i, build);
}
END_TEST

static void expect_error(int64_t ra, int64_t ca, int ndim_b, const int64_t *db, float eps,
                         parn_status st, const char *what)
{
    parn_graph *g = parn_graph_create();
    int a = parn_graph_input(g, "a", 2, (int64_t[]){ra, ca});
    int b = parn_graph_input(g, "b", ndim_b, db);
    ck_assert_int_lt(parn_cosine(g, a, b, eps), 0);
    ck_assert_int_eq(parn_graph_status(g), st);
    ck_assert_msg(strstr(parn_graph_error(g), what), "message '%s' lacks '%s'", parn_graph_error(g),
                  what);
    parn_graph_destroy(g);
}

START_TEST(bad_shapes_and_eps_are_errors)
{
    expect_error(2, 3, 2, (int64_t[]){2, 4}, 1e-8f, PARN_E_SHAPE, "cosine: b [2, 4] does not match a [2, 3]");
    expect_error(2, 3, 1, (int64_t[]){2}, 1e-8f, PARN_E_SHAPE, "cosine");
    expect_error(2, 3, 2, (int64_t[]){2, 3}, 0.0f, PARN_E_INVALID_ARG, "cosine: eps");
    expect_error(2, 3, 2, (int64_t[]){2, 3}, -1.0f, PARN_E_INVALID_ARG, "cosine: eps");
    expect_error(2, 3, 2, (int64_t[]){2, 3}, NAN, PARN_E_INVALID_ARG, "cosine: eps");

    parn_graph *g = parn_graph_create();
    int a = parn_graph_input(g, "a", 3, (int64_t[]){2, 3, 4});
    ck_assert_int_lt(parn_cosine(g, a, a, 1e-8f), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "cosine: a must be N x D"));
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loss_cosine");
    suite_add_tcase(s, optest_tcase("loss_cosine", fixture_case));
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_shapes_and_eps_are_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
