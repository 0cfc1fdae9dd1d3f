/* SPDX-License-Identifier: MIT */
/* Cross-entropy against PyTorch fixtures and finite differences, plus misuse and bad labels. */
#include "common/optest.h"

#include "backend/backend.h"

#include <math.h>
#include <string.h>

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    return parn_cross_entropy(g, in[0], in[1], optest_reduction(attrs));
}

START_TEST(fixture_case)
{
    optest_run_case("loss_ce", _i, build);
}
END_TEST

START_TEST(bad_shapes_are_errors)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 3, (int64_t[]){2, 3, 4});
    int l = parn_graph_input(g, "l", 1, (int64_t[]){2});
    optest_expect_failure(g, parn_cross_entropy(g, x, l, PARN_REDUCE_MEAN), PARN_E_SHAPE,
                          "cross_entropy");

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    l = parn_graph_input(g, "l", 1, (int64_t[]){3});
    optest_expect_failure(g, parn_cross_entropy(g, x, l, PARN_REDUCE_MEAN), PARN_E_SHAPE, "labels");

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    l = parn_graph_input(g, "l", 2, (int64_t[]){2, 1});
    optest_expect_failure(g, parn_cross_entropy(g, x, l, PARN_REDUCE_SUM), PARN_E_SHAPE,
                          "cross_entropy");

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    l = parn_graph_input(g, "l", 1, (int64_t[]){2});
    optest_expect_failure(g, parn_cross_entropy(g, x, l, (parn_reduction)7), PARN_E_INVALID_ARG,
                          "reduction");

    g = parn_graph_create();
    x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    optest_expect_failure(g, parn_cross_entropy(g, x, 9, PARN_REDUCE_SUM), PARN_E_INVALID_ARG,
                          "cross_entropy");
    ck_assert_int_lt(parn_cross_entropy(NULL, 0, 1, PARN_REDUCE_SUM), 0);
}
END_TEST

/* Runs the loss and its gradient on labels; returns the run's status. */
static parn_status run_with_labels(const float *labels, bool backward_only)
{
    float logits[6] = {0.1f, -0.2f, 0.3f, 1.0f, 0.5f, -1.0f}, lab[2] = {labels[0], labels[1]};
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", 2, (int64_t[]){2, 3});
    int l = parn_graph_input(g, "l", 1, (int64_t[]){2});
    parn_graph_set_requires_grad(g, x, true);
    parn_graph_bind(g, x, logits);
    parn_graph_bind(g, l, lab);
    int y = parn_cross_entropy(g, x, l, PARN_REDUCE_MEAN);
    ck_assert_int_eq(parn_graph_backward(g, y, -1), PARN_OK);
    parn_graph_keep(g, backward_only ? parn_graph_grad(g, x) : y);
    parn_status st = parn_graph_run(g, parn_backend_cpu(), optest_cpu());
    parn_graph_destroy(g);
    return st;
}

START_TEST(bad_labels_fail_at_run_time)
{
    const float bad[][2] = {{0.0f, 2.5f}, {-1.0f, 0.0f}, {1.0f, 3.0f}, {NAN, 1.0f}};
    const char *names[] = {"label 2.5", "label -1", "label 3", "label nan"};
    for (int i = 0; i < 4; i++)
        for (int bwd = 0; bwd < 2; bwd++) {
            ck_assert_int_eq(run_with_labels(bad[i], bwd), PARN_E_INVALID_ARG);
            const char *msg = parn_last_error(NULL);
            ck_assert_msg(strstr(msg, "cross_entropy") && strstr(msg, names[i]),
                          "message '%s' lacks '%s'", msg, names[i]);
        }
    ck_assert_int_eq(run_with_labels((float[]){2.0f, 0.0f}, false), PARN_OK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loss_ce");
    suite_add_tcase(s, optest_tcase("loss_ce", fixture_case));
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_shapes_are_errors);
    tcase_add_test(misuse, bad_labels_fail_at_run_time);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
