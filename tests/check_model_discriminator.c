/* SPDX-License-Identifier: MIT */
/* The STC discriminator against its PyTorch reference (tests/reference/models/discriminator.py):
 * outputs, every parameter gradient, the input gradient and the running statistics, in train
 * and eval mode; configuration JSON; and misuse. */
#include "common/modeltest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "discriminator."

/* Every trainable tensor of the net: its gradient; while training, every running statistic
 * (updated in place by the run). Returns the number of gradients compared. */
static int compare_tensors(parn_graph *g, const parn_net *net, const parn_st_file *io, const char *tag)
{
    const parn_model_t *m = net->model;
    size_t plen = strlen(PREFIX);
    int grads = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const char *name = m->tensors[i].name + plen, *leaf = strrchr(name, '.') + 1;
        char what[160];
        if (strncmp(m->tensors[i].name, PREFIX, plen) != 0 || i >= net->node_cap) continue;
        if (strncmp(leaf, "running_", 8) == 0) {
            if (!net->training) continue;
            snprintf(what, sizeof what, "running.%s", name);
            parn_tensor want = modeltest_io_tensor(io, tag, what);
            modeltest_expect_close(m->tensors[i].t.data, &want, tag, what);
            continue;
        }
        snprintf(what, sizeof what, "grad.%s", name);
        modeltest_compare_io(g, parn_graph_grad(g, net->node_of[i]), io, tag, what);
        grads++;
    }
    return grads;
}

/* _i = 0: train mode (batch statistics), 1: eval mode (running statistics). */
START_TEST(matches_pytorch)
{
    const char *tag = _i == 0 ? "train" : "eval";
    parn_model_t *m = modeltest_load("model_discriminator");
    parn_st_file *io = modeltest_open_io("model_discriminator");
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, PREFIX, _i == 0);

    int crops = modeltest_io_input(g, io, tag, "in.crops");
    parn_graph_set_requires_grad(g, crops, true);
    int patch = -1, logit = parn_discriminator_build(&net, &m->discriminator, crops, &patch);
    ck_assert_msg(logit >= 0 && patch >= 0, "build: %s", parn_graph_error(g));
    parn_graph_keep(g, patch);
    parn_graph_keep(g, logit);
    int loss = parn_add(g, modeltest_dot(g, patch, modeltest_io_input(g, io, tag, "dy.patch")),
                        modeltest_dot(g, logit, modeltest_io_input(g, io, tag, "dy.logit")));
    modeltest_backward(g, loss, -1);
    modeltest_run(g);

    modeltest_compare_io(g, patch, io, tag, "out.patch");
    modeltest_compare_io(g, logit, io, tag, "out.logit");
    modeltest_compare_io(g, parn_graph_grad(g, crops), io, tag, "grad.crops");
    char grad_prefix[32];
    snprintf(grad_prefix, sizeof grad_prefix, "%s.grad.", tag);
    int grads = compare_tensors(g, &net, io, tag);
    ck_assert_int_eq(grads + 1, modeltest_count_prefixed(io, grad_prefix)); /* + the crops */

    parn_net_release(&net);
    parn_graph_destroy(g);
    parn_st_close(io);
    parn_model_destroy(m);
}
END_TEST

/* Builds the discriminator of a fresh model made with config JSON on N x C x T x S x S crops
 * and checks the dims of both outputs; runs it forward when run is set. */
static void check_dims(const char *config, int64_t n, int64_t patch_side, bool run)
{
    parn_model_t *m = modeltest_create("discriminator", config);
    const parn_discriminator_config *c = &m->discriminator;
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, PREFIX, false);
    int64_t dims[] = {n, c->channels, c->frames, c->size, c->size};
    int x = parn_graph_input(g, "crops", 5, dims), patch = -1;
    int logit = parn_discriminator_build(&net, c, x, &patch);
    ck_assert_msg(logit >= 0, "%s", parn_graph_error(g));
    const parn_tensor *p = parn_graph_tensor(g, patch), *l = parn_graph_tensor(g, logit);
    ck_assert_int_eq(p->ndim, 4);
    ck_assert_int_eq(p->dims[0], n * c->frames);
    ck_assert_int_eq(p->dims[1], 1);
    ck_assert_int_eq(p->dims[2], patch_side);
    ck_assert_int_eq(p->dims[3], patch_side);
    ck_assert_int_eq(l->ndim, 2);
    ck_assert_int_eq(l->dims[0], n);
    ck_assert_int_eq(l->dims[1], 1);
    if (run) {
        int64_t numel = n * c->channels * c->frames * c->size * c->size;
        float *data = malloc((size_t)numel * sizeof *data), out[4];
        for (int64_t i = 0; i < numel; i++) data[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
        parn_graph_bind(g, x, data);
        parn_graph_keep(g, patch);
        parn_graph_keep(g, logit);
        modeltest_run(g);
        ck_assert_int_eq(parn_graph_read(g, logit, out), PARN_OK);
        free(data);
    }
    parn_net_release(&net);
    parn_graph_destroy(g);
    parn_model_destroy(m);
}

START_TEST(patch_map_follows_the_crop_size)
{
    check_dims("{}", 2, 30, false); /* the paper's 128 x 128 -> 30 x 30 */
    check_dims("{\"discriminator\": {\"size\": 32, \"base\": 4, \"temporal_base\": 4}}", 2, 6, true);
    /* P = floor(floor(S / 2) / 2) - 2: 50 -> 10; odd clip lengths, the smallest crop */
    check_dims("{\"discriminator\": {\"size\": 50, \"base\": 4, \"temporal_base\": 4, \"frames\": 3}}",
               1, 10, true);
    check_dims("{\"discriminator\": {\"size\": 12, \"base\": 2, \"temporal_base\": 2, \"frames\": 1,"
               " \"channels\": 1}}", 2, 1, true);
}
END_TEST

static void expect_json_error(const char *json, const char *word)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_ptr_nonnull(j);
    parn_discriminator_config c, before;
    parn_discriminator_default(&c);
    c.base = 5;
    before = c;
    ck_assert_msg(parn_discriminator_from_json(j, &c) == PARN_E_INVALID_ARG, "%s was accepted", json);
    ck_assert_msg(strstr(parn_last_error(NULL), word) != NULL, "%s: message '%s' does not name %s",
                  json, parn_last_error(NULL), word);
    ck_assert_int_eq(memcmp(&c, &before, sizeof c), 0); /* unchanged on failure */
    cJSON_Delete(j);
}

START_TEST(bad_configurations_are_rejected)
{
    expect_json_error("{\"base\": 0}", "base");
    expect_json_error("{\"size\": 8}", "size");
    expect_json_error("{\"size\": 1e12}", "size");
    expect_json_error("{\"frames\": 2.5}", "frames");
    expect_json_error("{\"frames\": -4}", "frames");
    expect_json_error("{\"channels\": \"3\"}", "channels");
    expect_json_error("{\"temporal_base\": true}", "temporal_base");
    expect_json_error("{\"temporal_base\": null}", "temporal_base");
    expect_json_error("{\"sise\": 128}", "sise");
    expect_json_error("[128]", "object");
    parn_discriminator_config c;
    ck_assert_int_eq(parn_discriminator_from_json(NULL, &c), PARN_E_INVALID_ARG);
    cJSON *empty = cJSON_CreateObject();
    ck_assert_int_eq(parn_discriminator_from_json(empty, NULL), PARN_E_INVALID_ARG);
    cJSON_Delete(empty);
    ck_assert_ptr_null(parn_discriminator_to_json(NULL));
}
END_TEST

START_TEST(json_round_trip)
{
    parn_discriminator_config a = {.size = 64, .channels = 1, .base = 16, .frames = 8,
                                   .temporal_base = 4},
                              b, d;
    cJSON *j = parn_discriminator_to_json(&a);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(parn_discriminator_from_json(j, &b), PARN_OK);
    ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
    cJSON_Delete(j);
    /* missing keys keep the defaults */
    j = cJSON_Parse("{\"frames\": 6}");
    ck_assert_int_eq(parn_discriminator_from_json(j, &b), PARN_OK);
    parn_discriminator_default(&d);
    d.frames = 6;
    ck_assert_int_eq(memcmp(&b, &d, sizeof b), 0);
    cJSON_Delete(j);
}
END_TEST

/* A graph on the fixture model's net with crops of the given dims; the build must fail. */
static void expect_build_failure(parn_model_t *m, const parn_discriminator_config *c, int nd,
                                 const int64_t *dims, parn_status st, const char *word)
{
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, PREFIX, true);
    int x = parn_graph_input(g, "crops", nd, dims), patch = 0;
    int y = parn_discriminator_build(&net, c, x, &patch);
    ck_assert_int_eq(patch, -1);
    parn_net_release(&net);
    optest_expect_failure(g, y, st, word);
}

START_TEST(bad_inputs_are_graph_errors)
{
    parn_model_t *m = modeltest_load("model_discriminator");
    const parn_discriminator_config *c = &m->discriminator; /* 3 x 4 x 32 x 32 */
    expect_build_failure(m, c, 5, (int64_t[]){2, 1, 4, 32, 32}, PARN_E_SHAPE, "discriminator");
    expect_build_failure(m, c, 5, (int64_t[]){2, 3, 5, 32, 32}, PARN_E_SHAPE, "discriminator");
    expect_build_failure(m, c, 5, (int64_t[]){2, 3, 4, 32, 31}, PARN_E_SHAPE, "discriminator");
    expect_build_failure(m, c, 4, (int64_t[]){2, 3, 32, 32}, PARN_E_SHAPE, "discriminator");
    parn_discriminator_config bad = *c;
    bad.base = 0;
    expect_build_failure(m, &bad, 5, (int64_t[]){2, 3, 4, 32, 32}, PARN_E_INVALID_ARG, "base");
    expect_build_failure(m, NULL, 5, (int64_t[]){2, 3, 4, 32, 32}, PARN_E_INVALID_ARG, "NULL");
    /* a configuration that does not fit the model's tensors */
    bad = *c;
    bad.base = 16;
    expect_build_failure(m, &bad, 5, (int64_t[]){2, 3, 4, 32, 32}, PARN_E_SHAPE, "patch.conv0");

    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, PREFIX, false);
    int patch = 0;
    int y = parn_discriminator_build(&net, c, 42, &patch); /* no such node */
    parn_net_release(&net);
    optest_expect_failure(g, y, PARN_E_INVALID_ARG, "discriminator");
    ck_assert_int_lt(parn_discriminator_build(NULL, c, 0, &patch), 0);
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model_discriminator");
    TCase *tc = tcase_create("pytorch");
    tcase_add_loop_test(tc, matches_pytorch, 0, 2);
    tcase_add_test(tc, patch_map_follows_the_crop_size);
    suite_add_tcase(s, tc);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, bad_configurations_are_rejected);
    tcase_add_test(misuse, json_round_trip);
    tcase_add_test(misuse, bad_inputs_are_graph_errors);
    suite_add_tcase(s, misuse);
    return optest_main(s);
}
