/* SPDX-License-Identifier: MIT */
/* The MS-GAN generator (paper 3.1): a U-Net over a masked face crop with noise and the
 * multi-scale feature fusion (eqs. 3-4) at its bottleneck. tests/reference/models/generator.py
 * is the same network in PyTorch, with the same tensor names. */
#include "models.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MAX_NOISE_WEIGHTS (INT64_C(1) << 27) /* noise_fc weights: keeps a model under 512 MB */
#define N_BRANCHES 4
#define MAX_DEPTH 10

static const int branch_kernels[N_BRANCHES] = {4, 3, 2, 1};

void parn_generator_default(parn_generator_config *c)
{
    *c = (parn_generator_config){.size = 128, .channels = 3, .base = 32, .depth = 4,
                                 .noise_dim = 128, .fusion_channels = 256, .gamma = 1.0f,
                                 .temporal = true, .max_channels = 256};
}

/* ---- configuration ------------------------------------------------------------------------ */

typedef struct int_field {
    const char *name;
    size_t offset;
    int min, max;
} int_field;

static const int_field int_fields[] = {
    {"size", offsetof(parn_generator_config, size), 1, 4096},
    {"channels", offsetof(parn_generator_config, channels), 1, 16},
    {"base", offsetof(parn_generator_config, base), 1, 4096},
    {"depth", offsetof(parn_generator_config, depth), 1, MAX_DEPTH},
    {"noise_dim", offsetof(parn_generator_config, noise_dim), 0, 4096},
    {"fusion_channels", offsetof(parn_generator_config, fusion_channels), 1, 4096},
    {"max_channels", offsetof(parn_generator_config, max_channels), 1, 4096},
};
#define N_INT_FIELDS (int)(sizeof int_fields / sizeof int_fields[0])
#define GAMMA_MAX 1000.0

static int *int_at(parn_generator_config *c, const int_field *f)
{
    return (int *)((char *)c + f->offset);
}

static int int_of(const parn_generator_config *c, const int_field *f)
{
    return *(const int *)((const char *)c + f->offset);
}

/* Side of the bottleneck and its channels. */
static int bottleneck_side(const parn_generator_config *c)
{
    return c->size >> c->depth;
}

static int encoder_channels(const parn_generator_config *c, int i)
{
    int64_t ch = (int64_t)c->base << i;
    return ch < c->max_channels ? (int)ch : c->max_channels;
}

/* Ranges of every field and how they fit together. */
static parn_status validate(const parn_generator_config *c)
{
    for (int i = 0; i < N_INT_FIELDS; i++) {
        int v = int_of(c, &int_fields[i]);
        PARN_RETURN_IF(v < int_fields[i].min || v > int_fields[i].max, PARN_E_INVALID_ARG,
                       "generator: %s = %d is outside %d..%d", int_fields[i].name, v,
                       int_fields[i].min, int_fields[i].max);
    }
    PARN_RETURN_IF(!isfinite(c->gamma) || c->gamma < 0 || c->gamma > GAMMA_MAX, PARN_E_INVALID_ARG,
                   "generator: gamma = %g is outside 0..%g", (double)c->gamma, GAMMA_MAX);
    PARN_RETURN_IF(c->size % (1 << c->depth) != 0, PARN_E_INVALID_ARG,
                   "generator: size = %d is not a multiple of 2^depth = %d", c->size, 1 << c->depth);
    PARN_RETURN_IF(c->base > c->max_channels, PARN_E_INVALID_ARG,
                   "generator: base = %d exceeds max_channels = %d", c->base, c->max_channels);
    int64_t side = bottleneck_side(c);
    int64_t noise_w = (int64_t)c->noise_dim * encoder_channels(c, c->depth - 1) * side * side;
    PARN_RETURN_IF(noise_w > MAX_NOISE_WEIGHTS, PARN_E_INVALID_ARG,
                   "generator: noise_dim = %d needs %lld noise_fc weights at this size and depth "
                   "(at most %lld)", c->noise_dim, (long long)noise_w, (long long)MAX_NOISE_WEIGHTS);
    return PARN_OK;
}

static parn_status read_int(const cJSON *v, const int_field *f, parn_generator_config *c)
{
    PARN_RETURN_IF(!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble), PARN_E_INVALID_ARG,
                   "generator: %s must be an integer", f->name);
    PARN_RETURN_IF(v->valuedouble < f->min || v->valuedouble > f->max, PARN_E_INVALID_ARG,
                   "generator: %s = %g is outside %d..%d", f->name, v->valuedouble, f->min, f->max);
    *int_at(c, f) = (int)v->valuedouble;
    return PARN_OK;
}

static parn_status read_key(const cJSON *v, parn_generator_config *c)
{
    for (int i = 0; i < N_INT_FIELDS; i++)
        if (strcmp(v->string, int_fields[i].name) == 0) return read_int(v, &int_fields[i], c);
    if (strcmp(v->string, "gamma") == 0) {
        PARN_RETURN_IF(!cJSON_IsNumber(v), PARN_E_INVALID_ARG, "generator: gamma must be a number");
        c->gamma = (float)v->valuedouble;
        return PARN_OK;
    }
    if (strcmp(v->string, "temporal") == 0) {
        PARN_RETURN_IF(!cJSON_IsBool(v), PARN_E_INVALID_ARG, "generator: temporal must be true or false");
        c->temporal = cJSON_IsTrue(v);
        return PARN_OK;
    }
    return parn__fail(PARN_E_INVALID_ARG, "generator: unknown configuration key '%s'", v->string);
}

/* Starts from the defaults; *c changes only when the whole object is valid. */
parn_status parn_generator_from_json(const cJSON *j, parn_generator_config *c)
{
    PARN_RETURN_IF(!c, PARN_E_INVALID_ARG, "generator: NULL configuration");
    PARN_RETURN_IF(j && !cJSON_IsObject(j), PARN_E_INVALID_ARG,
                   "generator: the configuration is not a JSON object");
    parn_generator_config t;
    parn_generator_default(&t);
    for (const cJSON *v = j ? j->child : NULL; v; v = v->next) PARN_TRY(read_key(v, &t));
    PARN_TRY(validate(&t));
    *c = t;
    return PARN_OK;
}

cJSON *parn_generator_to_json(const parn_generator_config *c)
{
    cJSON *j = c ? cJSON_CreateObject() : NULL;
    bool ok = j != NULL;
    for (int i = 0; ok && i < N_INT_FIELDS; i++)
        ok = cJSON_AddNumberToObject(j, int_fields[i].name, int_of(c, &int_fields[i])) != NULL;
    ok = ok && cJSON_AddNumberToObject(j, "gamma", (double)c->gamma) != NULL;
    ok = ok && cJSON_AddBoolToObject(j, "temporal", c->temporal) != NULL;
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* ---- inputs ------------------------------------------------------------------------------- */

/* Input id must have rank ndim and dims {batch, want[1], ...}; the first input sets batch. */
static parn_status check_input(const parn_graph *g, const char *what, int id, int ndim,
                               const int64_t *want, int64_t *batch)
{
    const parn_tensor *t = parn_graph_tensor(g, id);
    PARN_RETURN_IF(!t, PARN_E_INVALID_ARG, "generator: %s is not a node of the graph (%d)", what, id);
    bool ok = t->ndim == ndim && (*batch < 0 || t->dims[0] == *batch);
    for (int i = 1; ok && i < ndim; i++) ok = t->dims[i] == want[i];
    if (!ok) {
        parn_tensor expect = {.ndim = ndim};
        for (int i = 0; i < ndim; i++) expect.dims[i] = want[i];
        expect.dims[0] = *batch < 0 ? t->dims[0] : *batch;
        return parn__fail(PARN_E_SHAPE, "generator: %s is %s, expected %s", what,
                          parn_tensor_shape_str(t), parn_tensor_shape_str(&expect));
    }
    *batch = t->dims[0];
    return PARN_OK;
}

static parn_status check_inputs(const parn_graph *g, const parn_generator_config *c, int masked,
                                int mask, int prev, int noise)
{
    int64_t n = -1, img[4] = {0, c->channels, c->size, c->size}, cond[4] = {0, 1, c->size, c->size};
    PARN_TRY(check_input(g, "masked", masked, 4, img, &n));
    PARN_TRY(check_input(g, "mask", mask, 4, cond, &n));
    if (c->temporal)
        PARN_TRY(check_input(g, "prev", prev, 4, img, &n));
    else
        PARN_RETURN_IF(prev >= 0, PARN_E_INVALID_ARG, "generator: prev given but temporal is false");
    if (c->noise_dim > 0)
        PARN_TRY(check_input(g, "noise", noise, 2, (int64_t[]){0, c->noise_dim}, &n));
    else
        PARN_RETURN_IF(noise >= 0, PARN_E_INVALID_ARG, "generator: noise given but noise_dim is 0");
    return PARN_OK;
}

/* ---- layers ------------------------------------------------------------------------------- */

static const char *join(char *buf, size_t size, const char *name, const char *leaf)
{
    snprintf(buf, size, "%s.%s", name, leaf);
    return buf;
}

/* conv (or transposed conv) without bias, BatchNorm, ReLU: names <name>.<conv>, <name>.bn. */
static int conv_bn_relu(parn_net *net, const char *name, const char *conv, int x, int64_t in_c,
                        int64_t out_c, int k, const parn_conv_attrs *a)
{
    char buf[96];
    int kernel[2] = {k, k};
    const char *cname = join(buf, sizeof buf, name, conv);
    int y = strcmp(conv, "deconv") == 0 ? parn_net_deconv(net, cname, x, in_c, out_c, kernel, a, false)
                                        : parn_net_conv(net, cname, x, in_c, out_c, kernel, a, false);
    y = parn_net_batch_norm(net, join(buf, sizeof buf, name, "bn"), y, out_c);
    return parn_relu(net->g, y);
}

/* Stride-2 kernel-4 padding-1 block: halves (conv) or doubles (deconv) the side. */
static int updown(parn_net *net, const char *name, bool up, int x, int64_t in_c, int64_t out_c)
{
    parn_conv_attrs a = parn_conv_attrs_default(2);
    for (int i = 0; i < 2; i++) a.stride[i] = 2, a.pad_lo[i] = a.pad_hi[i] = 1;
    return conv_bn_relu(net, name, up ? "deconv" : "conv", x, in_c, out_c, 4, &a);
}

/* Stride-1 block keeping the side: TF "same" padding, which puts the odd row of an even
 * kernel at the high end (k = 4: 1 before, 2 after; k = 2: 0 before, 1 after). */
static int same(parn_net *net, const char *name, int x, int64_t in_c, int64_t out_c, int k)
{
    parn_conv_attrs a = parn_conv_attrs_default(2);
    for (int i = 0; i < 2; i++) a.pad_lo[i] = (k - 1) / 2, a.pad_hi[i] = k - 1 - (k - 1) / 2;
    return conv_bn_relu(net, name, "conv", x, in_c, out_c, k, &a);
}

/* Eqs. 3-4: branches F_l (kernels 4, 3, 2, 1), w = softmax_l(gamma * score(F_l)) per sample with
 * score = msff.score applied to F_l's global average, F_l scaled by w_l, concatenated, then
 * msff.fuse (3x3) back to out_c channels. */
static int fusion(parn_net *net, const parn_generator_config *c, int x, int64_t in_c, int64_t out_c,
                  int64_t batch)
{
    parn_graph *g = net->g;
    int64_t fc = c->fusion_channels, L = N_BRANCHES;
    int feats[N_BRANCHES];
    for (int l = 0; l < N_BRANCHES; l++) {
        char name[32];
        snprintf(name, sizeof name, "msff.branch%d", branch_kernels[l]);
        feats[l] = same(net, name, x, in_c, fc, branch_kernels[l]);
    }
    int all = parn_concat(g, N_BRANCHES, feats, 1);
    /* One pooling and one shared linear for all branches: rows (n, l) of F_l's means. */
    int pooled = parn_reshape(g, parn_global_pool(g, all, false), 2, (int64_t[]){batch * L, fc});
    int score = parn_reshape(g, parn_net_linear(net, "msff.score", pooled, fc, 1, false), 2,
                             (int64_t[]){batch, L});
    int w = parn_softmax(g, parn_affine(g, score, c->gamma, 0.0f), 1, false);
    w = parn_expand(g, parn_reshape(g, w, 3, (int64_t[]){batch, L, 1}), 3, (int64_t[]){batch, L, fc});
    w = parn_reshape(g, w, 4, (int64_t[]){batch, L * fc, 1, 1});
    return same(net, "msff.fuse", parn_mul(g, all, w), L * fc, out_c, 3);
}

int parn_generator_build(parn_net *net, const parn_generator_config *c, int masked, int mask,
                         int prev, int noise)
{
    if (!net || !net->g) return -1;
    parn_graph *g = net->g;
    if (parn_graph_status(g) != PARN_OK) return -1;
    if (!c) return parn_graph_fail(g, PARN_E_INVALID_ARG, "generator: NULL configuration");
    parn_status st = validate(c);
    if (st == PARN_OK) st = check_inputs(g, c, masked, mask, prev, noise);
    if (st != PARN_OK) return parn_graph_fail(g, st, "%s", parn__thread_error());
    int64_t batch = parn_graph_tensor(g, masked)->dims[0];
    int64_t in_c = c->channels + 1 + (c->temporal ? c->channels : 0);
    int parts[3] = {masked, mask, prev};
    int x = parn_concat(g, c->temporal ? 3 : 2, parts, 1);

    /* Encoder; skip[i] is the input of block i (skip[0] = x) and its channels. */
    int skip[MAX_DEPTH], h = x;
    int64_t skip_c[MAX_DEPTH], ch = in_c;
    for (int i = 0; i < c->depth; i++) {
        char name[16];
        skip[i] = h, skip_c[i] = ch;
        snprintf(name, sizeof name, "enc%d", i);
        h = updown(net, name, false, h, ch, encoder_channels(c, i));
        ch = encoder_channels(c, i);
    }

    /* Noise: a B x b x b map per sample beside the bottleneck features. */
    int64_t side = bottleneck_side(c), fusion_in = ch;
    if (c->noise_dim > 0) {
        int z = parn_net_linear(net, "noise_fc", noise, c->noise_dim, ch * side * side, true);
        z = parn_reshape(g, z, 4, (int64_t[]){batch, ch, side, side});
        h = parn_concat(g, 2, (int[]){h, z}, 1);
        fusion_in = 2 * ch;
    }
    h = fusion(net, c, h, fusion_in, ch, batch);

    /* Decoder: each block doubles the side and is joined with the encoder's map of that side. */
    for (int j = 0; j < c->depth; j++) {
        char name[16];
        int k = c->depth - 1 - j;
        int64_t out_c = encoder_channels(c, k > 0 ? k - 1 : 0);
        snprintf(name, sizeof name, "dec%d", j);
        h = parn_concat(g, 2, (int[]){updown(net, name, true, h, ch, out_c), skip[k]}, 1);
        ch = out_c + skip_c[k];
    }
    parn_conv_attrs a = parn_conv_attrs_default(2);
    a.pad_lo[0] = a.pad_lo[1] = a.pad_hi[0] = a.pad_hi[1] = 1;
    int y = parn_net_conv(net, "out", h, ch, c->channels, (int[]){3, 3}, &a, true);
    return parn_sigmoid(g, y);
}
