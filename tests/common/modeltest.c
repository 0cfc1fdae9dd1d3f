/* SPDX-License-Identifier: MIT */
/* Helpers of the network suites (see modeltest.h). */
#include "modeltest.h"

#include "backend/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *modeltest_fixture(const char *stem, const char *suffix)
{
    static char paths[4][1024];
    static int next;
    char *p = paths[next++ % 4];
    const char *dir = getenv("PARN_FIXTURES");
    snprintf(p, sizeof paths[0], "%s/%s%s.safetensors", dir ? dir : "tests/reference/fixtures", stem,
             suffix);
    return p;
}

parn_model_t *modeltest_load(const char *stem)
{
    parn_model_t *m = NULL;
    parn_status st = parn_model_load(modeltest_fixture(stem, ""), &m);
    ck_assert_msg(st == PARN_OK, "load %s: %s", stem, parn_last_error(NULL));
    return m;
}

parn_st_file *modeltest_open_io(const char *stem)
{
    parn_st_file *f = NULL;
    parn_status st = parn_st_open(modeltest_fixture(stem, "_io"), &f);
    ck_assert_msg(st == PARN_OK, "%s_io: %s", stem, parn_last_error(NULL));
    return f;
}

parn_tensor modeltest_io_tensor(const parn_st_file *io, const char *tag, const char *what)
{
    char key[256];
    parn_tensor t;
    snprintf(key, sizeof key, "%s%s%s", tag ? tag : "", tag ? "." : "", what);
    ck_assert_msg(parn_st_get(io, key, &t) == PARN_OK, "io fixture has no '%s'", key);
    return t;
}

int modeltest_count_prefixed(const parn_st_file *io, const char *prefix)
{
    int n = 0;
    for (int i = 0; i < parn_st_count(io); i++) n += strncmp(parn_st_name(io, i), prefix, strlen(prefix)) == 0;
    return n;
}

parn_model_t *modeltest_create(const char *networks, const char *config)
{
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_NETWORKS, networks);
    if (config) parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, config);
    parn_model_t *m = NULL;
    parn_status st = parn_model_create(o, &m);
    parn_options_destroy(o);
    ck_assert_msg(st == PARN_OK, "create %s %s: %s", networks, config ? config : "",
                  parn_last_error(NULL));
    return m;
}

int modeltest_input(parn_graph *g, const char *name, const parn_tensor *t)
{
    int x = parn_graph_input(g, name, t->ndim, t->dims);
    parn_graph_bind(g, x, t->data);
    return x;
}

int modeltest_io_input(parn_graph *g, const parn_st_file *io, const char *tag, const char *what)
{
    parn_tensor t = modeltest_io_tensor(io, tag, what);
    return modeltest_input(g, what, &t);
}

int modeltest_dot(parn_graph *g, int a, int b)
{
    int nd = parn_graph_tensor(g, a)->ndim;
    return parn_reduce(g, parn_mul(g, a, b), (1u << nd) - 1, false, false);
}

void modeltest_backward(parn_graph *g, int loss, int seed)
{
    ck_assert_msg(parn_graph_backward(g, loss, seed) == PARN_OK, "backward: %s", parn_last_error(NULL));
}

void modeltest_run(parn_graph *g)
{
    ck_assert_msg(parn_graph_run(g, optest_backend(), optest_cpu()) == PARN_OK, "run: %s",
                  parn_last_error(NULL));
}

float *modeltest_read(const parn_graph *g, int node)
{
    int64_t n = parn_tensor_numel(parn_graph_tensor(g, node));
    float *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(parn_graph_read(g, node, buf), PARN_OK);
    return buf;
}

/* "ctx: what", or what alone without a context. */
static const char *label(char *buf, size_t size, const char *ctx, const char *what)
{
    snprintf(buf, size, "%s%s%s", ctx ? ctx : "", ctx ? ": " : "", what);
    return buf;
}

void modeltest_expect_close(const float *got, const parn_tensor *want, const char *ctx,
                            const char *what)
{
    char l[256];
    double err = optest_rel_error(got, want->data, parn_tensor_numel(want));
    ck_assert_msg(err < MODELTEST_REL_TOL, "%s differs from PyTorch: relative error %.3g",
                  label(l, sizeof l, ctx, what), err);
}

void modeltest_expect_tensor(const parn_tensor *got, const parn_tensor *want, const char *ctx,
                             const char *what)
{
    char l[256];
    ck_assert_msg(parn_tensor_same_dims(got, want), "%s is %s, PyTorch %s", label(l, sizeof l, ctx, what),
                  parn_tensor_shape_str(got), parn_tensor_shape_str(want));
    modeltest_expect_close(got->data, want, ctx, what);
}

void modeltest_expect_node(const parn_graph *g, int node, const parn_tensor *want, const char *ctx,
                           const char *what)
{
    char l[256];
    ck_assert_msg(node >= 0, "%s: no node", label(l, sizeof l, ctx, what));
    parn_tensor got = *parn_graph_tensor(g, node);
    got.data = modeltest_read(g, node);
    modeltest_expect_tensor(&got, want, ctx, what);
    free(got.data);
}

void modeltest_compare_io(const parn_graph *g, int node, const parn_st_file *io, const char *tag,
                          const char *what)
{
    parn_tensor want = modeltest_io_tensor(io, tag, what);
    modeltest_expect_node(g, node, &want, tag, what);
}
