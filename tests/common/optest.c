/* SPDX-License-Identifier: MIT */
/* The op test harness (see optest.h). */
#include "optest.h"

/* the harness itself means the CPU backend when it names it */
#undef parn_backend_cpu

#include "backend/backend.h"
#include "io/safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REL_TOL 1e-4
#define FD_SAMPLES 16
#define FD_TOL 2e-2

static char fixture_path[1024];

static const char *path_of(const char *family)
{
    const char *dir = getenv("PARN_FIXTURES");
    snprintf(fixture_path, sizeof fixture_path, "%s/%s.safetensors", dir ? dir : "tests/reference/fixtures",
             family);
    return fixture_path;
}

static cJSON *cases_of(parn_st_file *f)
{
    const char *meta = parn_st_metadata(f, "cases");
    return meta ? cJSON_Parse(meta) : NULL;
}

int optest_case_count(const char *family)
{
    parn_st_file *f = NULL;
    if (parn_st_open(path_of(family), &f) != PARN_OK) return 0;
    cJSON *cases = cases_of(f);
    int n = cases ? cJSON_GetArraySize(cases) : 0;
    cJSON_Delete(cases);
    parn_st_close(f);
    return n;
}

/* "cuda" or "cuda:N" in $PARN_TEST_DEVICE: true, with N (0 by default) in *index. */
static bool cuda_device(int *index)
{
    const char *d = getenv("PARN_TEST_DEVICE");
    *index = 0;
    if (!d || strncmp(d, "cuda", 4) != 0) return false;
    if (d[4] == ':') *index = atoi(d + 5);
    return true;
}

bool optest_on_cpu(void)
{
    int index;
    return !cuda_device(&index);
}

const parn_backend *optest_backend(void)
{
    static const parn_backend *be;
    int index;
    if (be) return be;
    if (!cuda_device(&index)) return be = parn_backend_cpu();
    const parn_backend *cuda = NULL;
    parn_status st = parn__backend_cuda(&cuda);
    ck_assert_msg(st == PARN_OK, "PARN_TEST_DEVICE=%s: %s", getenv("PARN_TEST_DEVICE"),
                  parn_last_error(NULL));
    return be = cuda;
}

parn_backend_ctx *optest_cpu(void)
{
    static parn_backend_ctx *ctx;
    int index;
    if (!ctx) {
        parn_status st = optest_backend()->ctx_create(cuda_device(&index) ? index : 0, 2, &ctx);
        ck_assert_msg(st == PARN_OK, "%s context: %s", optest_backend()->name, parn_last_error(NULL));
    }
    return ctx;
}

double optest_num(const cJSON *attrs, const char *key, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, key);
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

const char *optest_str(const cJSON *attrs, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

int optest_ints(const cJSON *attrs, const char *key, int *out, int n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, key);
    if (!cJSON_IsArray(v)) return 0;
    int len = cJSON_GetArraySize(v);
    for (int i = 0; i < len && i < n; i++) out[i] = cJSON_GetArrayItem(v, i)->valueint;
    return len;
}

double optest_rel_error(const float *a, const float *b, int64_t n)
{
    double diff = 0, scale = 1e-12;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= diff)) diff = d; /* NaN propagates as a failure */
        if (fabs(b[i]) > scale) scale = fabs(b[i]);
    }
    return diff / scale;
}

/* One case: fixture tensors, a graph, and copies of the inputs that the test may perturb. */
typedef struct op_case {
    parn_st_file *file;
    cJSON *meta;
    const cJSON *attrs;
    char name[128];
    int idx;
    int n_in;
    const char *in_names[PARN_MAX_SRC];
    float *in_data[PARN_MAX_SRC];
    int64_t in_numel[PARN_MAX_SRC];
    int in_node[PARN_MAX_SRC];
    bool in_grad[PARN_MAX_SRC];
    parn_graph *g;
    int y, dy;
    float *dy_data;
    int64_t y_numel;
} op_case;

static parn_tensor fixture(const op_case *c, const char *what)
{
    char key[160];
    parn_tensor t;
    snprintf(key, sizeof key, "%d.%s", c->idx, what);
    ck_assert_msg(parn_st_get(c->file, key, &t) == PARN_OK, "%s: fixture has no '%s'", c->name, key);
    return t;
}

static float *copy_of(const parn_tensor *t)
{
    int64_t n = parn_tensor_numel(t);
    float *p = malloc((size_t)(n ? n : 1) * sizeof(float));
    memcpy(p, t->data, (size_t)n * sizeof(float));
    return p;
}

static bool in_list(const cJSON *list, const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, list) if (cJSON_IsString(it) && strcmp(it->valuestring, name) == 0) return true;
    return false;
}

static void build_case(op_case *c, optest_build_fn build)
{
    const cJSON *cm = cJSON_GetArrayItem(c->meta, c->idx);
    snprintf(c->name, sizeof c->name, "case %d (%s)", c->idx,
             cJSON_GetObjectItemCaseSensitive(cm, "name")->valuestring);
    c->attrs = cJSON_GetObjectItemCaseSensitive(cm, "attrs");
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(cm, "inputs");
    const cJSON *grads = cJSON_GetObjectItemCaseSensitive(cm, "grads");
    c->g = parn_graph_create();
    c->n_in = cJSON_GetArraySize(inputs);
    for (int k = 0; k < c->n_in; k++) {
        char what[96];
        c->in_names[k] = cJSON_GetArrayItem(inputs, k)->valuestring;
        snprintf(what, sizeof what, "in.%s", c->in_names[k]);
        parn_tensor t = fixture(c, what);
        c->in_data[k] = copy_of(&t);
        c->in_numel[k] = parn_tensor_numel(&t);
        c->in_grad[k] = in_list(grads, c->in_names[k]);
        c->in_node[k] = parn_graph_input(c->g, c->in_names[k], t.ndim, t.dims);
        parn_graph_set_requires_grad(c->g, c->in_node[k], c->in_grad[k]);
        parn_graph_bind(c->g, c->in_node[k], c->in_data[k]);
    }
    c->y = build(c->g, c->in_node, c->attrs);
    ck_assert_msg(c->y >= 0, "%s: build failed: %s", c->name, parn_graph_error(c->g));
    parn_graph_keep(c->g, c->y);
    parn_tensor dy = fixture(c, "dy");
    c->dy_data = copy_of(&dy);
    c->y_numel = parn_tensor_numel(&dy);
    if (cJSON_GetArraySize(grads) > 0) {
        c->dy = parn_graph_input(c->g, "dy", dy.ndim, dy.dims);
        parn_graph_bind(c->g, c->dy, c->dy_data);
        ck_assert_msg(parn_graph_backward(c->g, c->y, c->dy) == PARN_OK, "%s: backward: %s",
                      c->name, parn_last_error(NULL));
    }
}

static void run_graph(op_case *c)
{
    parn_status st = parn_graph_run(c->g, optest_backend(), optest_cpu());
    ck_assert_msg(st == PARN_OK, "%s: run failed: %s", c->name, parn_last_error(NULL));
}

static void compare(const op_case *c, int node, const char *what)
{
    parn_tensor ref = fixture(c, what);
    const parn_tensor *got = parn_graph_tensor(c->g, node);
    ck_assert_msg(parn_tensor_same_dims(got, &ref), "%s: %s has shape %s", c->name, what,
                  parn_tensor_shape_str(got));
    int64_t n = parn_tensor_numel(&ref);
    float *buf = malloc((size_t)(n ? n : 1) * sizeof(float));
    ck_assert_int_eq(parn_graph_read(c->g, node, buf), PARN_OK);
    double err = optest_rel_error(buf, ref.data, n);
    free(buf);
    ck_assert_msg(err < REL_TOL, "%s: %s differs from PyTorch: relative error %.3g", c->name, what, err);
}

/* L = sum(y * dy) in double, after a run. */
static double loss_of(op_case *c, float *ybuf)
{
    run_graph(c);
    parn_graph_read(c->g, c->y, ybuf);
    double l = 0;
    for (int64_t i = 0; i < c->y_numel; i++) l += (double)ybuf[i] * (double)c->dy_data[i];
    return l;
}

static void finite_differences(op_case *c, int k, const float *analytic)
{
    const cJSON *cm = cJSON_GetArrayItem(c->meta, c->idx);
    double eps = optest_num(cm, "fd_eps", 1e-3);
    float *ybuf = malloc((size_t)c->y_numel * sizeof(float));
    float *x = c->in_data[k];
    double gscale = 1e-3;
    for (int64_t i = 0; i < c->in_numel[k]; i++)
        if (fabs(analytic[i]) > gscale) gscale = fabs(analytic[i]);
    int64_t step = c->in_numel[k] / FD_SAMPLES + 1;
    for (int64_t i = (c->idx * 7) % step; i < c->in_numel[k]; i += step) {
        float keep = x[i];
        x[i] = (float)(keep + eps);
        parn_graph_bind(c->g, c->in_node[k], x); /* bumps the version: caches refresh */
        double hi_x = x[i];
        double lp = loss_of(c, ybuf);
        x[i] = (float)(keep - eps);
        parn_graph_bind(c->g, c->in_node[k], x);
        double lo_x = x[i];
        double lm = loss_of(c, ybuf);
        x[i] = keep;
        parn_graph_bind(c->g, c->in_node[k], x);
        double fd = (lp - lm) / (hi_x - lo_x);
        ck_assert_msg(fabs(fd - analytic[i]) <= FD_TOL * gscale,
                      "%s: d/d%s[%lld]: analytic %.6g, finite difference %.6g", c->name,
                      c->in_names[k], (long long)i, analytic[i], fd);
    }
    free(ybuf);
}

void optest_run_case(const char *family, int i, optest_build_fn build)
{
    op_case c = {.idx = i};
    ck_assert_msg(parn_st_open(path_of(family), &c.file) == PARN_OK, "%s", parn_last_error(NULL));
    c.meta = cases_of(c.file);
    ck_assert(c.meta != NULL);
    build_case(&c, build);
    run_graph(&c);
    compare(&c, c.y, "out");
    const cJSON *cm = cJSON_GetArrayItem(c.meta, i);
    bool fd = optest_num(cm, "fd", 1) != 0;
    for (int k = 0; k < c.n_in; k++) {
        if (!c.in_grad[k]) continue;
        char what[96];
        snprintf(what, sizeof what, "grad.%s", c.in_names[k]);
        int gnode = parn_graph_grad(c.g, c.in_node[k]);
        ck_assert_msg(gnode >= 0, "%s: no gradient for %s", c.name, c.in_names[k]);
        compare(&c, gnode, what);
    }
    for (int k = 0; k < c.n_in && fd; k++) {
        if (!c.in_grad[k]) continue;
        float *an = malloc((size_t)c.in_numel[k] * sizeof(float));
        parn_graph_read(c.g, parn_graph_grad(c.g, c.in_node[k]), an);
        finite_differences(&c, k, an);
        free(an);
    }
    parn_graph_destroy(c.g);
    for (int k = 0; k < c.n_in; k++) free(c.in_data[k]);
    free(c.dy_data);
    cJSON_Delete(c.meta);
    parn_st_close(c.file);
}

TCase *optest_tcase(const char *family, const TTest *test)
{
    TCase *tc = tcase_create(family);
    tcase_set_timeout(tc, 120);
    /* A missing fixture file still runs case 0, which then fails saying so. */
    int n = optest_case_count(family);
    tcase_add_loop_test(tc, test, 0, n > 0 ? n : 1);
    return tc;
}

void optest_route_channels_last(parn_graph *g, const cJSON *attrs, int *a, int *b)
{
    int cl[2], n = optest_ints(attrs, "cl", cl, 2);
    for (int i = 0; i < n && i < 2; i++) {
        int *node = cl[i] == 0 ? a : b;
        *node = parn_affine(g, *node, 1.0f, 0.0f);
    }
}

parn_reduction optest_reduction(const cJSON *attrs)
{
    return strcmp(optest_str(attrs, "reduction"), "sum") == 0 ? PARN_REDUCE_SUM : PARN_REDUCE_MEAN;
}

parn_graph *optest_one_input(int nd, const int64_t *dims, int *x)
{
    parn_graph *g = parn_graph_create();
    *x = parn_graph_input(g, "x", nd, dims);
    return g;
}

void optest_expect_failure(parn_graph *g, int id, parn_status st, const char *word)
{
    ck_assert_int_lt(id, 0);
    ck_assert_int_eq(parn_graph_status(g), st);
    ck_assert_msg(strstr(parn_graph_error(g), word), "'%s' does not name %s",
                  parn_graph_error(g), word);
    parn_graph_destroy(g);
}

int optest_main(Suite *s)
{
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
