/* SPDX-License-Identifier: MIT */
/* The training losses (lib/train/losses.h) against PyTorch fixtures (value and gradients, plus
 * finite differences), the inputs that must receive no gradient, and misuse. */
#include "common/optest.h"

#include "backend/backend.h"
#include "train/losses.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void weights_of(const cJSON *attrs, float *w, int n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(attrs, "weights");
    for (int i = 0; i < n; i++) w[i] = (float)cJSON_GetArrayItem(arr, i)->valuedouble;
}

/* mean(h^2), the FEM's L2 term as lib/models/fem.c builds it */
static int fem_l2(parn_graph *g, int h)
{
    return parn_reduce(g, parn_mul(g, h, h), 0x3, true, false);
}

static int build(parn_graph *g, const int *in, const cJSON *attrs)
{
    const char *loss = optest_str(attrs, "loss");
    float margin = (float)optest_num(attrs, "margin", 0);
    if (strcmp(loss, "d_adversarial") == 0) return parn_loss_d_adversarial(g, in[0], in[1]);
    if (strcmp(loss, "g_adversarial") == 0) return parn_loss_g_adversarial(g, in[0]);
    if (strcmp(loss, "ssim_term") == 0) return parn_loss_ssim_term(g, in[0], in[1]);
    if (strcmp(loss, "identity") == 0) return parn_loss_identity(g, in[0], in[1], margin);
    if (strcmp(loss, "feature_matching") == 0) {
        int n = (int)optest_num(attrs, "n", 1), real[8], fake[8];
        for (int i = 0; i < n; i++) {
            real[i] = in[2 * i];
            fake[i] = in[2 * i + 1];
        }
        return parn_loss_feature_matching(g, n, real, fake);
    }
    if (strcmp(loss, "classifier") == 0)
        return parn_loss_classifier(g, in[0], in[1], fem_l2(g, in[2]),
                                    (float)optest_num(attrs, "l2_weight", 0));
    if (strcmp(loss, "weighted_sum") == 0) {
        float w[3];
        weights_of(attrs, w, 3);
        int terms[4] = {parn_reduce(g, in[0], 0x3, true, false), parn_reduce(g, in[1], 0x1, true, false),
                        -1, parn_reduce(g, in[2], 0x3, true, false)};
        return parn_loss_weighted_sum(g, 4, terms, (float[]){w[0], w[1], 7.0f, w[2]});
    }
    if (strcmp(loss, "g_total") == 0) {
        float w[3];
        weights_of(attrs, w, 3);
        int terms[3] = {parn_loss_g_adversarial(g, in[0]), parn_loss_identity(g, in[3], in[4], margin),
                        parn_loss_ssim_term(g, in[1], in[2])};
        return parn_loss_weighted_sum(g, 3, terms, w);
    }
    return parn_graph_fail(g, PARN_E_INVALID_ARG, "unknown loss '%s'", loss);
}

START_TEST(fixture_case)
{
    optest_run_case("train_losses", _i, build);
}
END_TEST

/* ---- what receives no gradient ------------------------------------------------------------ */

static int input(parn_graph *g, const char *name, int ndim, const int64_t *dims, float *data, bool grad)
{
    int x = parn_graph_input(g, name, ndim, dims);
    parn_graph_set_requires_grad(g, x, grad);
    parn_graph_bind(g, x, data);
    return x;
}

static void run(parn_graph *g, int loss)
{
    ck_assert_msg(loss >= 0, "%s", parn_graph_error(g));
    parn_graph_keep(g, loss);
    ck_assert_int_eq(parn_graph_backward(g, loss, -1), PARN_OK);
    ck_assert_msg(parn_graph_run(g, parn_backend_cpu(), optest_cpu()) == PARN_OK, "%s",
                  parn_last_error(NULL));
}

static float *filled(int n, float scale)
{
    float *p = malloc((size_t)n * sizeof(float));
    for (int i = 0; i < n; i++) p[i] = scale * (float)sin(0.7 * i + scale);
    return p;
}

START_TEST(identity_sends_no_gradient_to_e_x)
{
    float *ex = filled(4 * 128, 1.0f), *eg = filled(4 * 128, 0.5f);
    parn_graph *g = parn_graph_create();
    int64_t dims[2] = {4, 128};
    int e_x = input(g, "e_x", 2, dims, ex, true);
    int e_g = input(g, "e_g", 2, dims, eg, true);
    run(g, parn_loss_identity(g, e_x, e_g, -0.5f)); /* every row above the margin: a gradient flows */
    ck_assert_int_eq(parn_graph_grad(g, e_x), -1);
    ck_assert_int_ge(parn_graph_grad(g, e_g), 0);
    parn_graph_destroy(g);
    free(ex);
    free(eg);
}
END_TEST

/* Real features come from D's parameters: the loss must not train D through them. */
START_TEST(feature_matching_sends_no_gradient_to_real_features)
{
    float *w = filled(8, 1.0f), *xr = filled(2 * 8, 0.3f), *xf = filled(2 * 8, 0.6f);
    parn_graph *g = parn_graph_create();
    int param = parn_graph_param(g, "d.w", 2, (int64_t[]){8, 1});
    parn_graph_bind(g, param, w);
    int x_real = input(g, "x_real", 2, (int64_t[]){2, 8}, xr, false);
    int x_fake = input(g, "x_fake", 2, (int64_t[]){2, 8}, xf, true);
    int real[2] = {parn_mul(g, x_real, parn_reshape(g, param, 2, (int64_t[]){1, 8})), x_real};
    int fake[2] = {parn_mul(g, x_fake, parn_reshape(g, param, 2, (int64_t[]){1, 8})), x_fake};
    int loss = parn_loss_feature_matching(g, 2, real, fake);
    run(g, loss);
    ck_assert_int_ge(parn_graph_grad(g, x_fake), 0);
    /* the param's gradient comes from the fake path only: compare with that path alone */
    float dw[8], loss_v;
    parn_graph_read(g, parn_graph_grad(g, param), dw);
    parn_graph_read(g, loss, &loss_v);
    parn_graph_destroy(g);

    g = parn_graph_create();
    param = parn_graph_param(g, "d.w", 2, (int64_t[]){8, 1});
    parn_graph_bind(g, param, w);
    x_real = input(g, "x_real", 2, (int64_t[]){2, 8}, xr, false);
    x_fake = input(g, "x_fake", 2, (int64_t[]){2, 8}, xf, false);
    int wr = parn_reshape(g, param, 2, (int64_t[]){1, 8});
    int d0 = parn_l1_loss(g, parn_mul(g, x_fake, wr),
                          parn_loss_detach(g, parn_mul(g, x_real, wr)), PARN_REDUCE_MEAN);
    int d1 = parn_l1_loss(g, x_fake, x_real, PARN_REDUCE_MEAN);
    run(g, parn_affine(g, parn_add(g, d0, d1), 0.5f, 0.0f));
    float dw_ref[8];
    parn_graph_read(g, parn_graph_grad(g, param), dw_ref);
    for (int i = 0; i < 8; i++) ck_assert_float_eq_tol(dw[i], dw_ref[i], 1e-6f);
    ck_assert(loss_v > 0);
    parn_graph_destroy(g);
    free(w);
    free(xr);
    free(xf);
}
END_TEST

START_TEST(skipped_terms_receive_no_gradient)
{
    float *a = filled(6, 1.0f), *b = filled(6, 2.0f);
    parn_graph *g = parn_graph_create();
    int x = input(g, "a", 1, (int64_t[]){6}, a, true);
    int y = input(g, "b", 1, (int64_t[]){6}, b, true);
    int terms[3] = {parn_reduce(g, x, 0x1, true, false), parn_reduce(g, y, 0x1, true, false), -1};
    int s = parn_loss_weighted_sum(g, 3, terms, (float[]){3.0f, 0.0f, 1.0f});
    run(g, s);
    ck_assert_int_eq(parn_graph_grad(g, y), -1);
    float da[6], v;
    parn_graph_read(g, parn_graph_grad(g, x), da);
    parn_graph_read(g, s, &v);
    double mean = 0;
    for (int i = 0; i < 6; i++) mean += a[i] / 6.0;
    ck_assert_float_eq_tol(v, 3 * mean, 1e-5);
    for (int i = 0; i < 6; i++) ck_assert_float_eq_tol(da[i], 0.5f, 1e-6f);
    parn_graph_destroy(g);
    free(a);
    free(b);
}
END_TEST

/* Without the FEM term the classifier loss is the cross-entropy node itself. */
START_TEST(classifier_without_fem_term_is_cross_entropy)
{
    parn_graph *g = parn_graph_create();
    int logits = parn_graph_input(g, "logits", 2, (int64_t[]){3, 4});
    int labels = parn_graph_input(g, "labels", 1, (int64_t[]){3});
    int l = parn_loss_classifier(g, logits, labels, -1, 0.5f);
    ck_assert_int_ge(l, 0);
    ck_assert_int_eq(parn_graph_node(g, l)->op, PARN_OP_CROSS_ENTROPY);
    parn_graph_destroy(g);
}
END_TEST

/* ---- misuse ------------------------------------------------------------------------------- */

START_TEST(misuse_is_a_graph_error)
{
    parn_graph *g = parn_graph_create();
    int a = parn_graph_input(g, "a", 2, (int64_t[]){2, 128});
    optest_expect_failure(g, parn_loss_identity(g, a, a, 1.5f), PARN_E_INVALID_ARG, "margin");

    g = parn_graph_create();
    a = parn_graph_input(g, "a", 2, (int64_t[]){2, 128});
    int b = parn_graph_input(g, "b", 2, (int64_t[]){3, 128});
    optest_expect_failure(g, parn_loss_identity(g, a, b, 0.0f), PARN_E_SHAPE, "cosine");

    g = parn_graph_create();
    a = parn_graph_input(g, "a", 2, (int64_t[]){2, 128});
    optest_expect_failure(g, parn_loss_feature_matching(g, 0, &a, &a), PARN_E_INVALID_ARG, "feature matching");

    g = parn_graph_create();
    a = parn_graph_input(g, "a", 2, (int64_t[]){2, 3});
    optest_expect_failure(g, parn_loss_weighted_sum(g, 1, &a, (float[]){1.0f}), PARN_E_SHAPE, "not a scalar");

    g = parn_graph_create();
    a = parn_reduce(g, parn_graph_input(g, "a", 1, (int64_t[]){3}), 0x1, true, false);
    optest_expect_failure(g, parn_loss_weighted_sum(g, 2, (int[]){a, -1}, (float[]){0.0f, 1.0f}),
                          PARN_E_INVALID_ARG, "every term is skipped");

    g = parn_graph_create();
    a = parn_graph_input(g, "a", 4, (int64_t[]){1, 3, 8, 8});
    b = parn_graph_input(g, "b", 4, (int64_t[]){1, 3, 8, 9});
    optest_expect_failure(g, parn_loss_ssim_term(g, a, b), PARN_E_SHAPE, "ssim");

    /* a sticky failure makes every later loss a no-op returning -1 */
    g = parn_graph_create();
    ck_assert_int_lt(parn_graph_input(g, "bad", 1, (int64_t[]){0}), 0);
    ck_assert_int_lt(parn_loss_g_adversarial(g, 0), 0);
    ck_assert_int_lt(parn_loss_d_adversarial(g, 0, 0), 0);
    ck_assert_int_lt(parn_loss_classifier(g, 0, 0, -1, 0), 0);
    ck_assert_int_eq(parn_graph_status(g), PARN_E_SHAPE);
    parn_graph_destroy(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_losses");
    suite_add_tcase(s, optest_tcase("train_losses", fixture_case));
    TCase *tc = tcase_create("gradients");
    tcase_add_test(tc, identity_sends_no_gradient_to_e_x);
    tcase_add_test(tc, feature_matching_sends_no_gradient_to_real_features);
    tcase_add_test(tc, skipped_terms_receive_no_gradient);
    tcase_add_test(tc, classifier_without_fem_term_is_cross_entropy);
    tcase_add_test(tc, misuse_is_a_graph_error);
    suite_add_tcase(s, tc);
    return optest_main(s);
}
