/* SPDX-License-Identifier: MIT */
/* Checks every launcher of kernels.h, run under the CPU emulation (emu.h), against the CPU
 * backend itself: each op is run once as a graph node on the CPU backend (inputs plain) and once
 * through the kernel with inputs and outputs in several layouts (plain, column-major, with gaps,
 * channels-last). Outputs must match within 1e-5 relative (most are bit-equal), and elements of
 * an output buffer outside the tensor (gaps) must stay untouched. Exit status: failures. */
#include "backend/backend.h"
#include "graph/graph.h"
#include "kernels.h"
#include "pipeline/blend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static parn_backend_ctx *cpu;
static int failures, checks;

/* ---- random data and layouts ------------------------------------------------------------- */

static uint64_t rng_state = 12345;

static float uniform(float lo, float hi)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)(rng_state >> 40) / 16777216.0f;
}

static void fill(float *p, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) p[i] = uniform(lo, hi);
}

static int64_t count(int nd, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= dims[i];
    return n;
}

enum { PLAIN, COLUMN_MAJOR, GAPS, CHANNELS_LAST, N_LAYOUTS };
static const char *const layout_names[] = {"plain", "column-major", "gaps", "channels-last"};

/* A "device" tensor: a view over a buffer that may hold more than the tensor (gaps). */
typedef struct dtensor {
    float *data;
    int64_t alloc;
    parn_kview v;
} dtensor;

static void offsets_of(const parn_kview *v, int64_t *off)
{
    int64_t n = count(v->ndim, v->dims), idx[5] = {0};
    for (int64_t k = 0; k < n; k++) {
        int64_t o = 0;
        for (int i = 0; i < v->ndim; i++) o += idx[i] * v->strides[i];
        off[k] = o;
        for (int i = v->ndim - 1; i >= 0; i--) {
            if (++idx[i] < v->dims[i]) break;
            idx[i] = 0;
        }
    }
}

/* A tensor of dims in the layout, holding plain (row-major) values or NaN everywhere. */
static dtensor make(int nd, const int64_t *dims, int layout, const float *plain)
{
    dtensor t = {0};
    t.v.ndim = nd;
    int64_t s = 1;
    for (int i = 0; i < nd; i++) t.v.dims[i] = dims[i];
    if (layout == CHANNELS_LAST && nd < 3) layout = PLAIN;
    switch (layout) {
    case PLAIN:
        for (int i = nd - 1; i >= 0; i--) t.v.strides[i] = s, s *= dims[i];
        break;
    case COLUMN_MAJOR:
        for (int i = 0; i < nd; i++) t.v.strides[i] = s, s *= dims[i];
        break;
    case GAPS: /* a slice of a tensor one larger in every dim */
        for (int i = nd - 1; i >= 0; i--) t.v.strides[i] = s, s *= dims[i] + 1;
        break;
    case CHANNELS_LAST:
        t.v.strides[1] = 1, s = dims[1];
        for (int i = nd - 1; i >= 2; i--) t.v.strides[i] = s, s *= dims[i];
        t.v.strides[0] = s, s *= dims[0];
        break;
    }
    t.alloc = s;
    t.data = malloc((size_t)(s > 0 ? s : 1) * sizeof(float));
    for (int64_t i = 0; i < s; i++) t.data[i] = NAN;
    int64_t n = count(nd, dims), *off = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    offsets_of(&t.v, off);
    for (int64_t k = 0; plain && k < n; k++) t.data[off[k]] = plain[k];
    free(off);
    return t;
}

/* The tensor's values in row-major order; false when an element outside it was written. */
static bool read_back(const dtensor *t, float *plain)
{
    int64_t n = count(t->v.ndim, t->v.dims), *off = malloc((size_t)(n ? n : 1) * sizeof(int64_t));
    offsets_of(&t->v, off);
    char *mine = calloc((size_t)t->alloc, 1);
    for (int64_t k = 0; k < n; k++) plain[k] = t->data[off[k]], mine[off[k]] = 1;
    bool intact = true;
    for (int64_t i = 0; i < t->alloc; i++) intact = intact && (mine[i] || isnan(t->data[i]));
    free(off);
    free(mine);
    return intact;
}

static void drop(dtensor *t)
{
    free(t->data);
    t->data = NULL;
}

/* ---- the CPU backend as the reference ------------------------------------------------------ */

typedef struct input {
    int nd;
    int64_t dims[5];
    const float *data;
} input;

/* Builds the op on the input nodes; default: one node of op with attrs. */
typedef int (*build_fn)(parn_graph *g, const int *ids, void *arg);

/* Runs the op on the CPU; out gets the output (plain). Returns the output's element count. */
static int64_t cpu_run(parn_op_type op, const parn_attrs *attrs, int n, const input *in, float *out,
                       build_fn build, void *arg, uint64_t *seed)
{
    parn_graph *g = parn_graph_create();
    int ids[PARN_MAX_SRC];
    for (int i = 0; i < n; i++) {
        ids[i] = parn_graph_input(g, NULL, in[i].nd, in[i].dims);
        parn_graph_bind(g, ids[i], (float *)in[i].data);
    }
    if (seed) {
        parn_rng r = *parn_graph_rng(g);
        *seed = parn__rng_next(&r);
    }
    int y = build ? build(g, ids, arg) : parn_graph_append(g, op, n, ids, attrs);
    int64_t total = -1;
    if (y >= 0 && parn_graph_keep(g, y) == PARN_OK &&
        parn_graph_run(g, parn_backend_cpu(), cpu) == PARN_OK &&
        parn_graph_read(g, y, out) == PARN_OK)
        total = parn_tensor_numel(parn_graph_tensor(g, y));
    if (total < 0) fprintf(stderr, "cpu run failed: %s\n", parn_graph_error(g));
    parn_graph_destroy(g);
    return total;
}

/* ---- comparison ---------------------------------------------------------------------------- */

static void expect(bool ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL %s\n", what);
    }
}

static void compare(const char *what, const float *got, const float *want, int64_t n, double tol)
{
    double err = 0, scale = 1e-12;
    bool nan = false;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(want[i]) != isnan(got[i])) nan = true;
        if (isnan(want[i])) continue;
        double d = fabs((double)got[i] - (double)want[i]);
        if (d > err || isnan(d)) err = isnan(d) ? INFINITY : d;
        if (fabs(want[i]) > scale) scale = fabs(want[i]);
    }
    double rel = err / scale;
    checks++;
    if (nan || !(rel <= tol)) {
        failures++;
        printf("FAIL %s: relative error %.3g%s\n", what, rel, nan ? " (NaN mismatch)" : "");
    }
}

/* Runs a launcher's output check: the output tensor y read back, compared with want. */
static void check_out(const char *what, dtensor *y, const float *want, double tol)
{
    int64_t n = count(y->v.ndim, y->v.dims);
    float *got = malloc((size_t)(n ? n : 1) * sizeof(float));
    char msg[256];
    snprintf(msg, sizeof msg, "%s: wrote outside the tensor", what);
    expect(read_back(y, got), msg);
    compare(what, got, want, n, tol);
    free(got);
}

#define TOL 1e-5
#define NAME(...) (snprintf(name, sizeof name, __VA_ARGS__), name)

/* ---- elementwise -------------------------------------------------------------------------- */

static void test_binary(void)
{
    static const struct {
        int na, nb;
        int64_t a[5], b[5];
    } shapes[] = {
        {4, 4, {2, 3, 4, 5}, {2, 3, 4, 5}},
        {4, 3, {2, 3, 4, 5}, {3, 1, 5}},
        {3, 4, {3, 1, 5}, {2, 1, 4, 5}},
        {2, 1, {7, 9}, {1}},
        {5, 5, {2, 3, 2, 3, 4}, {1, 3, 1, 3, 1}},
    };
    char name[160];
    float a[1024], b[1024], want[1024];
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int kind = 0; kind < 3; kind++) {
            input in[2] = {{shapes[s].na, {0}, a}, {shapes[s].nb, {0}, b}};
            memcpy(in[0].dims, shapes[s].a, sizeof shapes[s].a);
            memcpy(in[1].dims, shapes[s].b, sizeof shapes[s].b);
            fill(a, count(in[0].nd, in[0].dims), -2, 2);
            fill(b, count(in[1].nd, in[1].dims), -2, 2);
            parn_attrs at = {.binary = {kind}};
            if (cpu_run(PARN_OP_BINARY, &at, 2, in, want, NULL, NULL, NULL) < 0) continue;
            int nd = in[0].nd > in[1].nd ? in[0].nd : in[1].nd;
            int64_t yd[5];
            for (int i = 0; i < nd; i++) {
                int ia = i - (nd - in[0].nd), ib = i - (nd - in[1].nd);
                int64_t da = ia >= 0 ? in[0].dims[ia] : 1, db = ib >= 0 ? in[1].dims[ib] : 1;
                yd[i] = da > db ? da : db;
            }
            for (int l = 0; l < N_LAYOUTS; l++) {
                dtensor ta = make(in[0].nd, in[0].dims, l, a);
                dtensor tb = make(in[1].nd, in[1].dims, (l + 1) % N_LAYOUTS, b);
                dtensor ty = make(nd, yd, (l + 2) % N_LAYOUTS, NULL);
                expect(parn_k_binary(0, kind, ty.data, ty.v, ta.data, ta.v, tb.data, tb.v) ==
                           cudaSuccess, "binary launch");
                check_out(NAME("binary kind %d shape %zu a %s", kind, s, layout_names[l]), &ty, want, 0);
                drop(&ta), drop(&tb), drop(&ty);
            }
        }
}

static void test_affine_act(void)
{
    char name[160];
    const int64_t dims[4] = {2, 3, 5, 7};
    int64_t n = count(4, dims);
    float x[210], dy[210], want[210], y[210];
    fill(x, n, -3, 3);
    fill(dy, n, -1, 1);
    input in = {4, {2, 3, 5, 7}, x};
    parn_attrs at = {.affine = {0.7f, -0.3f}};
    cpu_run(PARN_OP_AFFINE, &at, 1, &in, want, NULL, NULL, NULL);
    for (int l = 0; l < N_LAYOUTS; l++) {
        dtensor tx = make(4, dims, l, x), ty = make(4, dims, (l + 1) % N_LAYOUTS, NULL);
        expect(parn_k_affine(0, 0.7f, -0.3f, ty.data, ty.v, tx.data, tx.v) == cudaSuccess, "affine");
        check_out(NAME("affine %s", layout_names[l]), &ty, want, 0);
        drop(&tx), drop(&ty);
    }
    const struct {
        int kind;
        float alpha, beta;
    } acts[] = {{PARN_ACT_RELU, 0, 0},    {PARN_ACT_LEAKY_RELU, 0.2f, 0},
                {PARN_ACT_SIGMOID, 0, 0}, {PARN_ACT_TANH, 0, 0},
                {PARN_ACT_CLIP, -1.0f, 1.5f}};
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        parn_attrs aa = {.act = {acts[k].kind, acts[k].alpha, acts[k].beta}};
        cpu_run(PARN_OP_ACT, &aa, 1, &in, y, NULL, NULL, NULL);
        input bin[2] = {{4, {2, 3, 5, 7}, dy}, {4, {2, 3, 5, 7}, y}};
        cpu_run(PARN_OP_ACT_BWD, &aa, 2, bin, want, NULL, NULL, NULL);
        for (int l = 0; l < N_LAYOUTS; l++) {
            dtensor tx = make(4, dims, l, x), ty = make(4, dims, (l + 3) % N_LAYOUTS, NULL);
            expect(parn_k_act_fwd(0, acts[k].kind, acts[k].alpha, acts[k].beta, ty.data, ty.v,
                                  tx.data, tx.v) == cudaSuccess, "act launch");
            /* oneDNN's sigmoid and tanh are not bit-equal to libm's */
            check_out(NAME("act %d fwd %s", acts[k].kind, layout_names[l]), &ty, y, 1e-6);
            dtensor tdy = make(4, dims, (l + 1) % N_LAYOUTS, dy), tyy = make(4, dims, l, y);
            dtensor tdx = make(4, dims, (l + 2) % N_LAYOUTS, NULL);
            expect(parn_k_act_bwd(0, acts[k].kind, acts[k].alpha, acts[k].beta, tdx.data, tdx.v,
                                  tdy.data, tdy.v, tyy.data, tyy.v) == cudaSuccess, "act bwd launch");
            check_out(NAME("act %d bwd %s", acts[k].kind, layout_names[l]), &tdx, want, 1e-6);
            drop(&tx), drop(&ty), drop(&tdy), drop(&tyy), drop(&tdx);
        }
    }
}

static void test_dropout(void)
{
    char name[160];
    const int64_t dims[4] = {2, 3, 40, 37}; /* 8880 elements: three random streams */
    int64_t n = count(4, dims);
    float *x = malloc((size_t)n * sizeof(float)), *want = malloc((size_t)n * sizeof(float));
    float *mask = malloc((size_t)n * sizeof(float));
    fill(x, n, 0.5f, 2);
    input in = {4, {2, 3, 40, 37}, x};
    parn_attrs at = {.dropout = {0.3f, true}};
    uint64_t seed;
    cpu_run(PARN_OP_DROPOUT, &at, 1, &in, want, NULL, NULL, &seed);
    expect(parn_k_dropout_mask(0, seed, 0.3f, n, mask) == cudaSuccess, "dropout mask launch");
    parn_kview mv = {4, {2, 3, 40, 37}, {3 * 40 * 37, 40 * 37, 37, 1}};
    for (int l = 0; l < N_LAYOUTS; l++) {
        dtensor tx = make(4, dims, l, x), ty = make(4, dims, (l + 1) % N_LAYOUTS, NULL);
        expect(parn_k_dropout_apply(0, ty.data, ty.v, tx.data, tx.v, mask, mv) == cudaSuccess,
               "dropout apply launch");
        check_out(NAME("dropout %s", layout_names[l]), &ty, want, 0);
        drop(&tx), drop(&ty);
    }
    free(x), free(want), free(mask);
}

/* ---- reduce -------------------------------------------------------------------------------- */

typedef struct sum_to_arg {
    int nd;
    const int64_t *dims;
} sum_to_arg;

static int build_sum_to(parn_graph *g, const int *ids, void *arg)
{
    const sum_to_arg *a = arg;
    /* through an identity so that sum_to never returns the input itself */
    return parn_sum_to(g, parn_affine(g, ids[0], 1.0f, 0.0f), a->nd, a->dims);
}

static void test_reduce(void)
{
    char name[160];
    static const struct {
        int nd;
        int64_t dims[5];
        unsigned axes;
    } cases[] = {
        {4, {3, 4, 5, 6}, 0x1},  {4, {3, 4, 5, 6}, 0x2},  {4, {3, 4, 5, 6}, 0xc},
        {4, {3, 4, 5, 6}, 0xf},  {4, {3, 4, 5, 6}, 0x5},  {2, {300, 7}, 0x1},
        {4, {2, 64, 40, 40}, 0xd}, /* bias gradient: split strategy */
        {1, {100000}, 0x1},      /* one output over many: split with a second pass */
        {3, {70000, 2, 1}, 0x6}, /* many outputs: one thread each */
        {5, {2, 3, 4, 5, 6}, 0x15},
        {2, {4096, 40}, 0x2},     /* rows: one warp each */
        {3, {64, 40, 33}, 0x4},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int nd = cases[c].nd;
        const int64_t *dims = cases[c].dims;
        int64_t n = count(nd, dims);
        float *x = malloc((size_t)n * sizeof(float)), *want = malloc((size_t)n * sizeof(float));
        fill(x, n, -1, 1);
        input in = {nd, {0}, x};
        memcpy(in.dims, dims, sizeof in.dims);
        for (int mode = 0; mode < 4; mode++) {
            bool mean = mode & 1, keepdim = mode & 2;
            parn_attrs at = {.reduce = {cases[c].axes, mean, keepdim}};
            int64_t ny = cpu_run(PARN_OP_REDUCE, &at, 1, &in, want, NULL, NULL, NULL);
            if (ny < 0) continue;
            int64_t yd[5];
            int ynd = 0;
            for (int i = 0; i < nd; i++) {
                bool r = cases[c].axes & (1u << i);
                if (!r || keepdim) yd[ynd++] = r ? 1 : dims[i];
            }
            for (int l = 0; l < N_LAYOUTS; l++) {
                if (n > 50000 && l != PLAIN && l != CHANNELS_LAST) continue; /* emulation is slow */
                dtensor tx = make(nd, dims, l, x), ty = make(ynd, yd, (l + 1) % N_LAYOUTS, NULL);
                size_t ws = parn_k_reduce_workspace(cases[c].axes, tx.v);
                void *w = ws ? malloc(ws) : NULL;
                expect(parn_k_reduce(0, cases[c].axes, mean, keepdim, ty.data, ty.v, tx.data, tx.v,
                                     w, ws) == cudaSuccess, "reduce launch");
                check_out(NAME("reduce case %zu mode %d %s", c, mode, layout_names[l]), &ty, want, TOL);
                free(w);
                drop(&tx), drop(&ty);
            }
        }
        free(x), free(want);
    }
    /* sum_to and expand */
    const int64_t xd[4] = {2, 3, 4, 5}, yd[3] = {3, 1, 5};
    float x[120], want[120], small[15];
    fill(x, 120, -1, 1);
    fill(small, 15, -1, 1);
    input in = {4, {2, 3, 4, 5}, x};
    sum_to_arg arg = {3, yd};
    cpu_run(PARN_OP__COUNT, NULL, 1, &in, want, build_sum_to, &arg, NULL);
    for (int l = 0; l < N_LAYOUTS; l++) {
        dtensor tx = make(4, xd, l, x), ty = make(3, yd, (l + 1) % N_LAYOUTS, NULL);
        size_t ws = parn_k_sum_to_workspace(ty.v, tx.v);
        void *w = ws ? malloc(ws) : NULL;
        expect(parn_k_sum_to(0, ty.data, ty.v, tx.data, tx.v, w, ws) == cudaSuccess, "sum_to launch");
        check_out(NAME("sum_to %s", layout_names[l]), &ty, want, TOL);
        free(w);
        drop(&tx), drop(&ty);
    }
    const int64_t ed[3] = {3, 4, 5};
    input ein = {3, {3, 1, 5}, small};
    parn_attrs ea = {.shape = {.ndim = 3, .dims = {3, 4, 5}}};
    cpu_run(PARN_OP_EXPAND, &ea, 1, &ein, want, NULL, NULL, NULL);
    for (int l = 0; l < N_LAYOUTS; l++) {
        dtensor tx = make(3, yd, l, small), ty = make(3, ed, (l + 1) % N_LAYOUTS, NULL);
        expect(parn_k_expand(0, ty.data, ty.v, tx.data, tx.v) == cudaSuccess, "expand launch");
        check_out(NAME("expand %s", layout_names[l]), &ty, want, 0);
        drop(&tx), drop(&ty);
    }
}

/* ---- shape --------------------------------------------------------------------------------- */

static void test_shape(void)
{
    char name[160];
    const int64_t dims[4] = {2, 3, 4, 5};
    float x[120], x2[120], x3[120], want[1024];
    fill(x, 120, -1, 1);
    fill(x2, 120, -1, 1);
    fill(x3, 120, -1, 1);
    input in = {4, {2, 3, 4, 5}, x};
    for (int l = 0; l < N_LAYOUTS; l++) {
        /* copy and fill */
        dtensor tx = make(4, dims, l, x), ty = make(4, dims, (l + 1) % N_LAYOUTS, NULL);
        expect(parn_k_copy(0, ty.data, ty.v, tx.data, tx.v) == cudaSuccess, "copy launch");
        check_out(NAME("copy %s", layout_names[l]), &ty, x, 0);
        float sevens[120];
        for (int i = 0; i < 120; i++) sevens[i] = 7.0f;
        expect(parn_k_fill(0, ty.data, ty.v, 7.0f) == cudaSuccess, "fill launch");
        check_out(NAME("fill %s", layout_names[l]), &ty, sevens, 0);
        drop(&ty);
        /* concat along each axis */
        for (int axis = 0; axis < 4; axis++) {
            int64_t d1[4], d2[4], yd[4];
            memcpy(d1, dims, sizeof d1);
            memcpy(d2, dims, sizeof d2);
            d2[axis] = 1;
            memcpy(yd, dims, sizeof yd);
            yd[axis] = dims[axis] * 2 + 1;
            input cin[3] = {{4, {0}, x}, {4, {0}, x2}, {4, {0}, x3}};
            memcpy(cin[0].dims, d1, sizeof d1);
            memcpy(cin[1].dims, d2, sizeof d2);
            memcpy(cin[2].dims, d1, sizeof d1);
            parn_attrs at = {.shape = {.axis = axis}};
            cpu_run(PARN_OP_CONCAT, &at, 3, cin, want, NULL, NULL, NULL);
            dtensor t0 = make(4, d1, l, x), t1 = make(4, d2, (l + 1) % N_LAYOUTS, x2);
            dtensor t2 = make(4, d1, (l + 2) % N_LAYOUTS, x3);
            dtensor tc = make(4, yd, (l + 3) % N_LAYOUTS, NULL);
            const float *xs[3] = {t0.data, t1.data, t2.data};
            parn_kview xvs[3] = {t0.v, t1.v, t2.v};
            expect(parn_k_concat(0, axis, tc.data, tc.v, 3, xs, xvs) == cudaSuccess, "concat launch");
            check_out(NAME("concat axis %d %s", axis, layout_names[l]), &tc, want, 0);
            drop(&t0), drop(&t1), drop(&t2), drop(&tc);
        }
        /* slice */
        parn_attrs sa = {.shape = {.ndim = 4, .dims = {1, 2, 3, 2}, .start = {1, 0, 1, 3}}};
        cpu_run(PARN_OP_SLICE, &sa, 1, &in, want, NULL, NULL, NULL);
        dtensor ts = make(4, sa.shape.dims, (l + 2) % N_LAYOUTS, NULL);
        expect(parn_k_slice(0, ts.data, ts.v, tx.data, tx.v, sa.shape.start) == cudaSuccess,
               "slice launch");
        check_out(NAME("slice %s", layout_names[l]), &ts, want, 0);
        drop(&ts);
        /* pad */
        parn_attrs pa = {.shape = {.ndim = 4, .lo = {0, 1, 2, 0}, .hi = {1, 0, 3, 2}, .value = -5.0f}};
        cpu_run(PARN_OP_PAD, &pa, 1, &in, want, NULL, NULL, NULL);
        int64_t pd[4] = {3, 4, 9, 7};
        dtensor tp = make(4, pd, (l + 3) % N_LAYOUTS, NULL);
        expect(parn_k_pad(0, tp.data, tp.v, tx.data, tx.v, pa.shape.lo, -5.0f) == cudaSuccess,
               "pad launch");
        check_out(NAME("pad %s", layout_names[l]), &tp, want, 0);
        drop(&tp);
        /* reshape */
        parn_attrs ra = {.shape = {.ndim = 3, .dims = {6, 4, 5}}};
        cpu_run(PARN_OP_RESHAPE, &ra, 1, &in, want, NULL, NULL, NULL);
        dtensor tr = make(3, ra.shape.dims, (l + 1) % N_LAYOUTS, NULL);
        expect(parn_k_reshape(0, tr.data, tr.v, tx.data, tx.v) == cudaSuccess, "reshape launch");
        check_out(NAME("reshape %s", layout_names[l]), &tr, want, 0);
        drop(&tr);
        /* permute */
        parn_attrs qa = {.shape = {.perm = {0, 2, 3, 1}}};
        cpu_run(PARN_OP_PERMUTE, &qa, 1, &in, want, NULL, NULL, NULL);
        int64_t qd[4] = {2, 4, 5, 3};
        dtensor tq = make(4, qd, (l + 2) % N_LAYOUTS, NULL);
        expect(parn_k_permute(0, tq.data, tq.v, tx.data, tx.v, qa.shape.perm) == cudaSuccess,
               "permute launch");
        check_out(NAME("permute %s", layout_names[l]), &tq, want, 0);
        drop(&tq);
        drop(&tx);
    }
}

/* Copies between layouts of a larger tensor: the tiled transposing path. */
static void test_transposes(void)
{
    char name[160];
    static const int64_t shapes[][4] = {{3, 20, 9, 17}, {1, 64, 33, 2}, {2, 8, 8, 8}};
    static float x[3 * 20 * 9 * 17];
    for (int s = 0; s < 3; s++) {
        int64_t n = count(4, shapes[s]);
        fill(x, n, -1, 1);
        for (int l = 0; l < N_LAYOUTS; l++)
            for (int m = 0; m < N_LAYOUTS; m++) {
                dtensor tx = make(4, shapes[s], l, x), ty = make(4, shapes[s], m, NULL);
                expect(parn_k_copy(0, ty.data, ty.v, tx.data, tx.v) == cudaSuccess, "copy launch");
                check_out(NAME("copy %d %s to %s", s, layout_names[l], layout_names[m]), &ty, x, 0);
                drop(&tx), drop(&ty);
            }
        int perm[4] = {0, 2, 3, 1};
        int64_t pd[4] = {shapes[s][0], shapes[s][2], shapes[s][3], shapes[s][1]};
        float *want = malloc((size_t)n * sizeof(float));
        input in = {4, {shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3]}, x};
        parn_attrs qa = {.shape = {.perm = {0, 2, 3, 1}}};
        cpu_run(PARN_OP_PERMUTE, &qa, 1, &in, want, NULL, NULL, NULL);
        dtensor tx = make(4, shapes[s], PLAIN, x), ty = make(4, pd, PLAIN, NULL);
        expect(parn_k_permute(0, ty.data, ty.v, tx.data, tx.v, perm) == cudaSuccess, "permute launch");
        check_out(NAME("permute %d plain", s), &ty, want, 0);
        drop(&tx), drop(&ty);
        free(want);
    }
}

/* ---- resize -------------------------------------------------------------------------------- */

static void test_resize(void)
{
    char name[160];
    static const int64_t sizes[][4] = {{7, 9, 12, 5}, {8, 8, 16, 16}, {16, 12, 5, 7}, {1, 3, 4, 1}};
    float x[2 * 3 * 16 * 16], dy[2 * 3 * 16 * 16], want[2 * 3 * 16 * 16];
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int align = 0; align < 2; align++) {
            int64_t xd[4] = {2, 3, sizes[s][0], sizes[s][1]}, yd[4] = {2, 3, sizes[s][2], sizes[s][3]};
            fill(x, count(4, xd), -1, 1);
            fill(dy, count(4, yd), -1, 1);
            parn_attrs at = {.resize = {.out_h = yd[2], .out_w = yd[3], .align_corners = align,
                                        .src_dims = {xd[0], xd[1], xd[2], xd[3]}}};
            input in = {4, {xd[0], xd[1], xd[2], xd[3]}, x};
            cpu_run(PARN_OP_RESIZE, &at, 1, &in, want, NULL, NULL, NULL);
            for (int l = 0; l < N_LAYOUTS; l++) {
                dtensor tx = make(4, xd, l, x), ty = make(4, yd, (l + 1) % N_LAYOUTS, NULL);
                expect(parn_k_resize_fwd(0, align, ty.data, ty.v, tx.data, tx.v) == cudaSuccess,
                       "resize launch");
                check_out(NAME("resize %zu align %d %s", s, align, layout_names[l]), &ty, want, 0);
                drop(&tx), drop(&ty);
            }
            input bin = {4, {yd[0], yd[1], yd[2], yd[3]}, dy};
            cpu_run(PARN_OP_RESIZE_BWD, &at, 1, &bin, want, NULL, NULL, NULL);
            for (int l = 0; l < N_LAYOUTS; l++) {
                dtensor tdy = make(4, yd, l, dy), tdx = make(4, xd, (l + 3) % N_LAYOUTS, NULL);
                expect(parn_k_resize_bwd(0, align, tdx.data, tdx.v, tdy.data, tdy.v) == cudaSuccess,
                       "resize bwd launch");
                check_out(NAME("resize bwd %zu align %d %s", s, align, layout_names[l]), &tdx, want, 0);
                drop(&tdy), drop(&tdx);
            }
        }
}

/* ---- losses -------------------------------------------------------------------------------- */

static float device_scalar = 0.75f; /* dy of the backward passes */

static void test_losses(void)
{
    char name[160];
    float x[600], t[600], want[2048], out;
    const int64_t dims[3] = {4, 5, 6};
    fill(x, 120, -3, 3);
    fill(t, 120, 0, 1);
    input dyin = {0, {0}, &device_scalar};
    for (int red = 0; red < 2; red++) {
        for (int kind = 0; kind < 3; kind++) { /* BCE, L1, L2 */
            parn_op_type fwd = kind == 0 ? PARN_OP_BCE_LOGITS : PARN_OP_DIST_LOSS;
            parn_op_type bwd = kind == 0 ? PARN_OP_BCE_LOGITS_BWD : PARN_OP_DIST_LOSS_BWD;
            parn_attrs at = {.loss = {.reduction = red, .l1 = kind == 1}};
            input in[3] = {{3, {4, 5, 6}, x}, {3, {4, 5, 6}, t}};
            float ref;
            cpu_run(fwd, &at, 2, in, &ref, NULL, NULL, NULL);
            for (int l = 0; l < N_LAYOUTS; l++) {
                dtensor tx = make(3, dims, l, x), tt = make(3, dims, (l + 1) % N_LAYOUTS, t);
                size_t ws = parn_k_loss_workspace(120);
                void *w = malloc(ws);
                cudaError_t e = kind == 0 ? parn_k_bce_logits_fwd(0, red, &out, tx.data, tx.v, tt.data, tt.v, w, ws)
                                          : parn_k_dist_loss_fwd(0, red, kind == 1, &out, tx.data, tx.v, tt.data, tt.v, w, ws);
                expect(e == cudaSuccess, "loss launch");
                compare(NAME("loss %d red %d %s", kind, red, layout_names[l]), &out, &ref, 1, TOL);
                free(w);
                for (int which = 0; which < 2; which++) {
                    parn_attrs ba = at;
                    ba.loss.which = which;
                    input bin[3] = {dyin, in[0], in[1]};
                    cpu_run(bwd, &ba, 3, bin, want, NULL, NULL, NULL);
                    dtensor td = make(3, dims, (l + 2) % N_LAYOUTS, NULL);
                    e = kind == 0 ? parn_k_bce_logits_bwd(0, red, which, td.data, td.v, &device_scalar, tx.data, tx.v, tt.data, tt.v)
                                  : parn_k_dist_loss_bwd(0, red, kind == 1, which, td.data, td.v, &device_scalar, tx.data, tx.v, tt.data, tt.v);
                    expect(e == cudaSuccess, "loss bwd launch");
                    check_out(NAME("loss %d bwd %d red %d %s", kind, which, red, layout_names[l]), &td, want, TOL);
                    drop(&td);
                }
                drop(&tx), drop(&tt);
            }
        }
        /* cross-entropy: 37 rows of 45 classes (more than a warp) */
        const int64_t ld[2] = {37, 45}, labd[1] = {37};
        float logits[37 * 45], labels[37];
        fill(logits, 37 * 45, -4, 4);
        for (int i = 0; i < 37; i++) labels[i] = (float)((i * 7) % 45);
        parn_attrs ca = {.loss = {.reduction = red}};
        input cin[2] = {{2, {37, 45}, logits}, {1, {37}, labels}};
        float ref;
        cpu_run(PARN_OP_CROSS_ENTROPY, &ca, 2, cin, &ref, NULL, NULL, NULL);
        input cbin[3] = {dyin, cin[0], cin[1]};
        cpu_run(PARN_OP_CROSS_ENTROPY_BWD, &ca, 3, cbin, want, NULL, NULL, NULL);
        for (int l = 0; l < N_LAYOUTS; l++) {
            dtensor tl = make(2, ld, l, logits), tb = make(1, labd, (l + 2) % N_LAYOUTS, labels);
            size_t ws = parn_k_loss_workspace(37);
            void *w = malloc(ws);
            int bad = 0;
            expect(parn_k_cross_entropy_fwd(0, red, &out, tl.data, tl.v, tb.data, tb.v, &bad, w, ws) ==
                       cudaSuccess, "ce launch");
            compare(NAME("cross-entropy red %d %s", red, layout_names[l]), &out, &ref, 1, TOL);
            dtensor td = make(2, ld, (l + 1) % N_LAYOUTS, NULL);
            expect(parn_k_cross_entropy_bwd(0, red, td.data, td.v, &device_scalar, tl.data, tl.v,
                                            tb.data, tb.v, &bad) == cudaSuccess, "ce bwd launch");
            check_out(NAME("cross-entropy bwd red %d %s", red, layout_names[l]), &td, want, TOL);
            expect(bad == 0, "cross-entropy: good labels flagged");
            tb.data[5 * tb.v.strides[0]] = 2.5f;
            parn_k_cross_entropy_fwd(0, red, &out, tl.data, tl.v, tb.data, tb.v, &bad, w, ws);
            expect(bad == 1 && isnan(out), "cross-entropy: a bad label is flagged and makes NaN");
            free(w);
            drop(&tl), drop(&tb), drop(&td);
        }
    }
    /* cosine: 9 rows of 70 */
    const int64_t cd[2] = {9, 70}, rd[1] = {9};
    float a[630], b[630], dy[9];
    fill(a, 630, -1, 1);
    fill(b, 630, -1, 1);
    fill(dy, 9, -1, 1);
    for (int i = 0; i < 70; i++) a[3 * 70 + i] = 0.0f; /* a clamped norm */
    parn_attrs ka = {.loss = {.eps = 1e-8f}};
    input kin[2] = {{2, {9, 70}, a}, {2, {9, 70}, b}};
    cpu_run(PARN_OP_COSINE, &ka, 2, kin, want, NULL, NULL, NULL);
    for (int l = 0; l < N_LAYOUTS; l++) {
        dtensor ta = make(2, cd, l, a), tb = make(2, cd, (l + 1) % N_LAYOUTS, b);
        dtensor ty = make(1, rd, (l + 2) % N_LAYOUTS, NULL);
        expect(parn_k_cosine_fwd(0, 1e-8f, ty.data, ty.v, ta.data, ta.v, tb.data, tb.v) == cudaSuccess,
               "cosine launch");
        check_out(NAME("cosine %s", layout_names[l]), &ty, want, TOL);
        drop(&ty);
        for (int which = 0; which < 2; which++) {
            parn_attrs ba = ka;
            ba.loss.which = which;
            input bin[3] = {{1, {9}, dy}, kin[0], kin[1]};
            float ref[630];
            cpu_run(PARN_OP_COSINE_BWD, &ba, 3, bin, ref, NULL, NULL, NULL);
            dtensor tdy = make(1, rd, l, dy), td = make(2, cd, (l + 3) % N_LAYOUTS, NULL);
            expect(parn_k_cosine_bwd(0, 1e-8f, which, td.data, td.v, tdy.data, tdy.v, ta.data, ta.v,
                                     tb.data, tb.v) == cudaSuccess, "cosine bwd launch");
            check_out(NAME("cosine bwd %d %s", which, layout_names[l]), &td, ref, TOL);
            drop(&tdy), drop(&td);
        }
        drop(&ta), drop(&tb);
    }
}

/* ---- SSIM ---------------------------------------------------------------------------------- */

static void test_ssim(void)
{
    char name[160];
    static const int64_t shapes[][4] = {{2, 3, 16, 20}, {1, 2, 11, 13}};
    static const int windows[] = {11, 7};
    float x[1920], y[1920], want[1920];
    for (int s = 0; s < 2; s++) {
        const int64_t *dims = shapes[s];
        int k = windows[s];
        int64_t n = count(4, dims);
        fill(x, n, 0, 1);
        for (int64_t i = 0; i < n; i++) y[i] = 0.7f * x[i] + uniform(0, 0.3f);
        parn_attrs at = {.loss = {.reduction = PARN_REDUCE_MEAN, .window = k, .sigma = 1.5f,
                                  .c1 = 0.01f * 0.01f, .c2 = 0.03f * 0.03f}};
        input in[2] = {{4, {dims[0], dims[1], dims[2], dims[3]}, x}, {4, {dims[0], dims[1], dims[2], dims[3]}, y}};
        float ref, out;
        cpu_run(PARN_OP_SSIM, &at, 2, in, &ref, NULL, NULL, NULL);
        for (int l = 0; l < N_LAYOUTS; l++) {
            dtensor tx = make(4, dims, l, x), ty = make(4, dims, (l + 1) % N_LAYOUTS, y);
            size_t ws = parn_k_ssim_workspace(tx.v, k);
            void *w = malloc(ws);
            expect(parn_k_ssim_fwd(0, k, 1.5f, at.loss.c1, at.loss.c2, &out, tx.data, tx.v, ty.data,
                                   ty.v, w, ws) == cudaSuccess, "ssim launch");
            compare(NAME("ssim %d %s", s, layout_names[l]), &out, &ref, 1, TOL);
            for (int which = 0; which < 2; which++) {
                parn_attrs ba = at;
                ba.loss.which = which;
                input bin[3] = {{0, {0}, &device_scalar}, in[0], in[1]};
                cpu_run(PARN_OP_SSIM_BWD, &ba, 3, bin, want, NULL, NULL, NULL);
                dtensor td = make(4, dims, (l + 2) % N_LAYOUTS, NULL);
                expect(parn_k_ssim_bwd(0, k, 1.5f, at.loss.c1, at.loss.c2, which, td.data, td.v,
                                       &device_scalar, tx.data, tx.v, ty.data, ty.v, w, ws) ==
                           cudaSuccess, "ssim bwd launch");
                check_out(NAME("ssim %d bwd %d %s", s, which, layout_names[l]), &td, want, TOL);
                drop(&td);
            }
            free(w);
            drop(&tx), drop(&ty);
        }
    }
}

/* ---- pixels and blending --------------------------------------------------------------------- */

static parn_kframe kframe_of(parn_frame_t *f)
{
    parn_kframe k = {(int)parn_frame_format(f), parn_frame_width(f), parn_frame_height(f), {0}, {0}};
    for (int i = 0; i < parn_pixel_format_planes(parn_frame_format(f)); i++) {
        k.planes[i] = parn_frame_plane(f, i);
        k.strides[i] = parn_frame_stride(f, i);
    }
    return k;
}

static void random_frame(parn_frame_t *f)
{
    int h = parn_frame_height(f);
    for (int i = 0; i < parn_pixel_format_planes(parn_frame_format(f)); i++) {
        int rows = i == 0 ? h : (h + 1) / 2;
        for (int64_t b = 0; b < (int64_t)rows * parn_frame_stride(f, i); b++)
            parn_frame_plane(f, i)[b] = (uint8_t)uniform(0, 256);
    }
}

/* The pixel bytes of two frames of one format and size (row padding excluded) are equal. */
static bool same_frames(parn_frame_t *a, parn_frame_t *b)
{
    int w = parn_frame_width(a), h = parn_frame_height(a), fmt = parn_frame_format(a);
    static const int bpp[] = {0, 3, 3, 4, 1};
    for (int i = 0; i < parn_pixel_format_planes(fmt); i++) {
        int rows = i == 0 ? h : (h + 1) / 2, cw = (w + 1) / 2;
        int row = fmt <= PARN_PIX_GRAY8 ? bpp[fmt] * w : i == 0 ? w : fmt == PARN_PIX_NV12 ? 2 * cw : cw;
        for (int y = 0; y < rows; y++)
            if (memcmp(parn_frame_plane(a, i) + (size_t)y * parn_frame_stride(a, i),
                       parn_frame_plane(b, i) + (size_t)y * parn_frame_stride(b, i), (size_t)row))
                return false;
    }
    return true;
}

static void test_pixels(void)
{
    char name[160];
    const int W = 23, H = 17, x0 = 3, y0 = 2, w = 15, h = 11;
    float want[3 * 15 * 11], patch[3 * 15 * 11], alpha[15 * 11];
    for (int fmt = PARN_PIX_RGB24; fmt <= PARN_PIX_NV12; fmt++) {
        parn_frame_t *f = NULL, *g = NULL;
        if (parn_frame_alloc(fmt, W, H, &f) != PARN_OK || parn_frame_alloc(fmt, W, H, &g) != PARN_OK) {
            expect(false, "frame alloc");
            continue;
        }
        random_frame(f);
        parn_kframe kf = kframe_of(f);
        /* read: interleaved (as parn_patch_read) and planar, scaled */
        parn_patch_read(f, x0, y0, w, h, want);
        const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
        const int64_t id[3] = {h, w, 3};
        dtensor ti = make(3, id, PLAIN, NULL); /* h x w x 3, seen as 3 x h x w */
        parn_kview iv = {3, {3, h, w}, {1, 3 * w, 3}};
        expect(parn_k_frame_to_rgb(0, &kf, x0, y0, w, h, false, ti.data, iv, zero, one) == cudaSuccess,
               "frame_to_rgb launch");
        check_out(NAME("frame_to_rgb format %d", fmt), &ti, want, 0);
        const float sub[3] = {120, 110, 100}, mul[3] = {1 / 58.0f, 1 / 57.0f, 1 / 57.5f};
        float planar[3 * 15 * 11];
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < w * h; k++) {
                float v = want[3 * k + c];
                if (fmt >= PARN_PIX_YUV420P) v = v <= 0 ? 0 : v >= 255 ? 255 : (float)(uint8_t)(v + 0.5f);
                planar[c * w * h + k] = (v - sub[c]) * mul[c];
            }
        const int64_t pd[4] = {1, 3, h, w};
        dtensor tp = make(4, pd, GAPS, NULL);
        expect(parn_k_frame_to_rgb(0, &kf, x0, y0, w, h, true, tp.data, tp.v, sub, mul) == cudaSuccess,
               "frame_to_rgb planar launch");
        check_out(NAME("frame_to_rgb planar format %d", fmt), &tp, planar, 0);
        /* blend: the same patch and coverage through both */
        for (int k = 0; k < w * h; k++) {
            for (int c = 0; c < 3; c++) patch[3 * k + c] = uniform(-20, 275);
            float a = uniform(-0.3f, 1.2f);
            alpha[k] = a < 0 ? 0 : a > 1 ? 1 : a;
        }
        parn_frame_copy_pixels(f, g);
        parn_patch_blend(f, x0, y0, w, h, patch, alpha);
        parn_kframe kg = kframe_of(g);
        dtensor tpatch = make(3, (int64_t[]){3, h, w}, CHANNELS_LAST, NULL);
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < w * h; k++) tpatch.data[c + 3 * k] = patch[3 * k + c];
        tpatch.v = (parn_kview){3, {3, h, w}, {1, 3 * w, 3}};
        parn_kview av = {2, {h, w}, {w, 1}};
        expect(parn_k_patch_blend(0, &kg, x0, y0, w, h, tpatch.data, tpatch.v, alpha, av) == cudaSuccess,
               "patch_blend launch");
        expect(same_frames(f, g), NAME("patch_blend format %d equals parn_patch_blend", fmt));
        /* back to RGB24 bytes */
        if (fmt == PARN_PIX_RGB24) {
            float src[3 * 15 * 11];
            for (int i = 0; i < 3 * w * h; i++) src[i] = uniform(-0.1f, 1.1f);
            uint8_t bytes[3 * 15 * 11 + 16];
            parn_kview sv = {3, {3, h, w}, {w * h, w, 1}};
            expect(parn_k_rgb_to_rgb24(0, bytes, 3 * w, w, h, src, sv, 255.0f) == cudaSuccess,
                   "rgb_to_rgb24 launch");
            bool same = true;
            for (int c = 0; c < 3; c++)
                for (int k = 0; k < w * h; k++) {
                    float v = src[c * w * h + k] * 255.0f;
                    uint8_t b = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5f);
                    same = same && bytes[3 * k + c] == b;
                }
            expect(same, "rgb_to_rgb24");
        }
        drop(&ti), drop(&tp), drop(&tpatch);
        parn_frame_free(&f);
        parn_frame_free(&g);
    }
}

/* ---- fp32 <-> fp16 / bf16 ------------------------------------------------------------------- */

static uint32_t bits_of(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static float float_of(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* The references: the compiler's _Float16 (IEEE binary16, round to nearest even, as
 * __float2half_rn), and bf16 rounded in double by scaling to its 8-bit significand. */
static uint16_t ref_half(float f)
{
    _Float16 h = (_Float16)f;
    uint16_t b;
    memcpy(&b, &h, sizeof b);
    return b;
}

static float ref_half_value(uint16_t b)
{
    _Float16 h;
    memcpy(&h, &b, sizeof h);
    return (float)h;
}

static uint16_t ref_bf16(float f)
{
    if (isnan(f) || isinf(f) || f == 0.0f) return (uint16_t)(bits_of(f) >> 16);
    int e;
    frexp((double)f, &e); /* |f| in [2^(e-1), 2^e): 8 significant bits, ulp 2^(e-8) */
    if (e < -125) e = -125; /* subnormals share the smallest normal's ulp */
    double ulp = ldexp(1.0, e - 8), q = nearbyint((double)f / ulp) * ulp;
    if (fabs(q) >= ldexp(1.0, 128)) q = f < 0 ? -INFINITY : INFINITY;
    return (uint16_t)(bits_of((float)q) >> 16);
}

/* Values that test the rounding: ties both ways, subnormals, overflow edges, specials. */
static int convert_values(float *v, int cap)
{
    int n = 0;
    const float fixed[] = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.99f, 65520.0f, -65520.0f,
                           1e6f, 6.1035156e-05f, 5.9604645e-08f, 2.9802322e-08f, 2.98e-08f,
                           8.9406967e-08f, 1e-10f, 3.4028235e38f, -3.4028235e38f, 1e-40f,
                           INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) v[n++] = fixed[i];
    for (uint32_t m = 0; m < 8; m++) { /* ties and near-ties at both precisions */
        v[n++] = float_of(0x3f800000u | (m << 13) | 0x1000u);  /* fp16 tie above 1 + m ulp */
        v[n++] = float_of(0x3f800000u | (m << 16) | 0x8000u);  /* bf16 tie */
        v[n++] = float_of(0x3f800000u | (m << 13) | 0x1001u);
        v[n++] = float_of(0xc0000000u | (m << 16) | 0x7fffu);
        v[n++] = float_of(0x33000000u | (m << 20));              /* around fp16's smallest */
    }
    while (n < cap) { /* every exponent a float has */
        uint32_t b = (uint32_t)(uniform(0.0f, 1.0f) * 16777216.0f) << 8;
        b ^= (uint32_t)(uniform(0.0f, 1.0f) * 256.0f);
        v[n++] = float_of(b);
    }
    return n;
}

static void test_convert(void)
{
    enum { N = 4096 };
    static float x[N], back[N];
    static uint16_t h[N];
    int n = convert_values(x, N);
    parn_kview v = {1, {n}, {1}};
    char name[128];
    for (int kind = PARN_K_F16; kind <= PARN_K_BF16; kind++) {
        const char *k = kind == PARN_K_F16 ? "fp16" : "bf16";
        expect(parn_k_to_half(0, kind, h, v, x, v) == cudaSuccess, NAME("to_half %s launch", k));
        int bad = -1, bad_back = -1;
        for (int i = 0; i < n; i++) {
            uint16_t want = kind == PARN_K_F16 ? ref_half(x[i]) : ref_bf16(x[i]);
            bool nan = isnan(x[i]) && (h[i] & 0x7fff) > (kind == PARN_K_F16 ? 0x7c00 : 0x7f80);
            if (!nan && h[i] != want && bad < 0) bad = i;
        }
        expect(bad < 0, NAME("to_half %s rounds to nearest even (first miss: %.9g)", k,
                             bad < 0 ? 0.0 : (double)x[bad]));
        expect(parn_k_from_half(0, kind, back, v, h, v) == cudaSuccess, NAME("from_half %s launch", k));
        for (int i = 0; i < n; i++) {
            float want = kind == PARN_K_F16 ? ref_half_value(h[i]) : float_of((uint32_t)h[i] << 16);
            bool same = isnan(want) ? isnan(back[i]) : bits_of(back[i]) == bits_of(want);
            if (!same && bad_back < 0) bad_back = i;
        }
        expect(bad_back < 0, NAME("from_half %s is exact", k));
        /* every 16-bit pattern widens exactly and rounds back to itself (NaNs stay NaN) */
        static uint16_t all[65536], again[65536];
        static float wide[65536];
        for (int i = 0; i < 65536; i++) all[i] = (uint16_t)i;
        parn_kview a = {1, {65536}, {1}};
        parn_k_from_half(0, kind, wide, a, all, a);
        parn_k_to_half(0, kind, again, a, wide, a);
        bool exact = true, round_trip = true;
        for (int i = 0; i < 65536; i++) {
            float want = kind == PARN_K_F16 ? ref_half_value(all[i]) : float_of((uint32_t)i << 16);
            exact = exact && (isnan(want) ? isnan(wide[i]) : bits_of(wide[i]) == bits_of(want));
            round_trip = round_trip && (again[i] == all[i] || (isnan(want) && isnan(wide[i])));
        }
        expect(exact, NAME("from_half %s: all 65536 patterns", k));
        expect(round_trip, NAME("%s -> fp32 -> %s is the identity", k, k));
    }
    /* layouts: fp32 in any layout -> channels-last half -> fp32 in any layout */
    const int64_t dims[] = {2, 5, 3, 4, 6};
    int64_t total = count(5, dims);
    float *src = malloc((size_t)total * sizeof *src), *want = malloc((size_t)total * sizeof *want);
    fill(src, total, -300.0f, 300.0f);
    for (int kind = PARN_K_F16; kind <= PARN_K_BF16; kind++)
        for (int lx = 0; lx < N_LAYOUTS; lx++)
            for (int ly = 0; ly < N_LAYOUTS; ly++) {
                dtensor tx = make(5, dims, lx, src), th = make(5, dims, CHANNELS_LAST, NULL);
                dtensor ty = make(5, dims, ly, NULL);
                uint16_t *hb = malloc((size_t)th.alloc * sizeof *hb);
                for (int64_t i = 0; i < total; i++) {
                    uint16_t b = kind == PARN_K_F16 ? ref_half(src[i]) : ref_bf16(src[i]);
                    want[i] = kind == PARN_K_F16 ? ref_half_value(b) : float_of((uint32_t)b << 16);
                }
                bool ok = parn_k_to_half(0, kind, hb, th.v, tx.data, tx.v) == cudaSuccess &&
                          parn_k_from_half(0, kind, ty.data, ty.v, hb, th.v) == cudaSuccess;
                expect(ok, NAME("convert %d launches", kind));
                check_out(NAME("%s round trip %s -> %s", kind == PARN_K_F16 ? "fp16" : "bf16",
                               layout_names[lx], layout_names[ly]),
                          &ty, want, 0.0);
                free(hb);
                drop(&tx), drop(&th), drop(&ty);
            }
    free(src);
    free(want);
    parn_kview bad = {1, {4}, {1}}, other = {1, {3}, {1}};
    expect(parn_k_to_half(0, 7, h, bad, x, bad) == cudaErrorInvalidValue, "convert: bad kind refused");
    expect(parn_k_from_half(0, PARN_K_F16, back, bad, h, other) == cudaErrorInvalidValue,
           "convert: different dims refused");
}

/* ---- misuse -------------------------------------------------------------------------------- */

static void test_misuse(void)
{
    parn_kview v = {7, {1}, {1}}, ok = {1, {4}, {1}};
    float buf[4] = {0};
    expect(parn_k_copy(0, buf, v, buf, v) == cudaErrorInvalidValue, "rank 7 refused");
    expect(parn_k_binary(0, 9, buf, ok, buf, ok, buf, ok) == cudaErrorInvalidValue, "bad kind refused");
    parn_kview three = {1, {3}, {1}};
    expect(parn_k_binary(0, 0, buf, ok, buf, three, buf, ok) == cudaErrorInvalidValue,
           "non-broadcasting shapes refused");
    expect(parn_k_reduce(0, 1, false, false, buf, ok, buf, ok, NULL, 0) == cudaErrorInvalidValue,
           "wrong reduce output refused");
    parn_kview empty = {1, {0}, {1}};
    expect(parn_k_copy(0, buf, empty, buf, empty) == cudaSuccess, "empty copy is fine");
}

int main(void)
{
    if (parn_backend_cpu()->ctx_create(0, 1, &cpu) != PARN_OK) {
        fprintf(stderr, "no CPU context: %s\n", parn_last_error(NULL));
        return 1;
    }
    test_binary();
    test_affine_act();
    test_dropout();
    test_reduce();
    test_shape();
    test_transposes();
    test_resize();
    test_losses();
    test_ssim();
    test_pixels();
    test_convert();
    test_misuse();
    parn_backend_cpu()->ctx_destroy(cpu);
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
