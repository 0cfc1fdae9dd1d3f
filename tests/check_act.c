/* SPDX-License-Identifier: MIT */
/* Activations against PyTorch fixtures and finite differences, plus misuse. */
#include "common/optest.h"

#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    const char *kind = optest_str(attrs, "kind");
    float alpha = (float)optest_num(attrs, "alpha", 0), beta = (float)optest_num(attrs, "beta", 0);
    if (strcmp(kind, "relu") == 0) return parn_relu(g, in[0]);
    if (strcmp(kind, "leaky_relu") == 0) return parn_leaky_relu(g, in[0], alpha);
    if (strcmp(kind, "sigmoid") == 0) return parn_sigmoid(g, in[0]);
    if (strcmp(kind, "tanh") == 0) return parn_tanh(g, in[0]);
    if (strcmp(kind, "clip") == 0) return parn_clip(g, in[0], alpha, beta);
    return -1;
}

START_TEST(fixture_case)
{
    optest_run_case("act", _i, build);
}
END_TEST

START_TEST(bad_attributes_are_errors)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    ck_assert_int_lt(parn_clip(g, x, 1.0f, 1.0f), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_graph_error(g), "clip"));
    /* the failure is sticky */
    ck_assert_int_lt(parn_relu(g, x), 0);
    parn_graph_destroy(g);

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    ck_assert_int_lt(parn_leaky_relu(g, x, -0.1f), 0);
    ck_assert_int_lt(parn_act(g, x, (parn_act_kind)99, 0, 0), 0);
    parn_graph_destroy(g);

    g = parn_graph_create();
    ck_assert_int_lt(parn_relu(g, 5), 0); /* no such node */
    ck_assert_int_eq(parn_graph_status(g), PARN_E_INVALID_ARG);
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("act");
    suite_add_tcase(s, optest_tcase("act", fixture_case));
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_attributes_are_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
