/* SPDX-License-Identifier: MIT */
/* The spatio-temporal (STC) discriminator: a per-frame PatchGAN and a 3-D conv branch that
 * scores the temporal consistency of a clip of face crops.
 *
 * patch: pix2pix's PatchGAN shape on every frame: 4x4 convs with padding 1 and strides 2, 2, 1,
 *   1 (channels base, 2 base, 4 base, 1), LeakyReLU 0.2 after all but the last, BatchNorm on the
 *   middle two (which have no bias, as pix2pix). A crop of side S gives a P x P map with
 *   P = floor(floor(S / 2) / 2) - 2: 30 x 30 at 128, 6 x 6 at 32; S >= 12 keeps it non-empty.
 * temporal: three 3-D convs, kernel 3x4x4, padding 1, stride 2 in space and 2 in time while the
 *   clip is longer than one frame (4 frames -> 2 -> 1 -> 1), channels temporal_base doubling,
 *   LeakyReLU 0.2, BatchNorm on all but the first; global average pooling and a linear layer
 *   give one logit per clip. */
#include "models.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define SLOPE 0.2f
#define PATCH_LAYERS 4
#define TEMPORAL_LAYERS 3
#define MIN_SIZE 12

typedef struct int_field {
    const char *key;
    size_t offset;
    int min, max;
} int_field;

#define FIELD(name, lo, hi) {#name, offsetof(parn_discriminator_config, name), lo, hi}
static const int_field fields[] = {
    FIELD(size, MIN_SIZE, 4096), FIELD(channels, 1, 64),      FIELD(base, 1, 1024),
    FIELD(frames, 1, 1024),      FIELD(temporal_base, 1, 1024),
};
#undef FIELD
#define N_FIELDS (int)(sizeof fields / sizeof fields[0])

static int *field_of(parn_discriminator_config *c, int i)
{
    return (int *)((char *)c + fields[i].offset);
}

void parn_discriminator_default(parn_discriminator_config *c)
{
    *c = (parn_discriminator_config){
        .size = 128, .channels = 3, .base = 64, .frames = 4, .temporal_base = 32};
}

static parn_status check_config(const parn_discriminator_config *c)
{
    PARN_RETURN_IF(!c, PARN_E_INVALID_ARG, "discriminator: configuration is NULL");
    for (int i = 0; i < N_FIELDS; i++) {
        int v = *field_of((parn_discriminator_config *)c, i);
        PARN_RETURN_IF(v < fields[i].min || v > fields[i].max, PARN_E_INVALID_ARG,
                       "discriminator: %s %d is outside [%d, %d]", fields[i].key, v,
                       fields[i].min, fields[i].max);
    }
    return PARN_OK;
}

static int find_field(const char *key)
{
    for (int i = 0; i < N_FIELDS; i++)
        if (strcmp(fields[i].key, key) == 0) return i;
    return -1;
}

parn_status parn_discriminator_from_json(const cJSON *j, parn_discriminator_config *c)
{
    PARN_RETURN_IF(!c, PARN_E_INVALID_ARG, "discriminator: configuration is NULL");
    PARN_RETURN_IF(!cJSON_IsObject(j), PARN_E_INVALID_ARG,
                   "discriminator: configuration is not a JSON object");
    parn_discriminator_config next;
    parn_discriminator_default(&next);
    for (const cJSON *it = j->child; it; it = it->next) {
        int i = find_field(it->string);
        PARN_RETURN_IF(i < 0, PARN_E_INVALID_ARG,
                       "discriminator: unknown key '%s' (size, channels, base, frames, "
                       "temporal_base)", it->string);
        double v = cJSON_IsNumber(it) ? it->valuedouble : NAN;
        PARN_RETURN_IF(!(v >= fields[i].min && v <= fields[i].max) || v != floor(v),
                       PARN_E_INVALID_ARG, "discriminator: %s must be an integer in [%d, %d]",
                       fields[i].key, fields[i].min, fields[i].max);
        *field_of(&next, i) = (int)v;
    }
    *c = next;
    return PARN_OK;
}

cJSON *parn_discriminator_to_json(const parn_discriminator_config *c)
{
    cJSON *j = c ? cJSON_CreateObject() : NULL;
    for (int i = 0; j && i < N_FIELDS; i++) {
        if (cJSON_AddNumberToObject(j, fields[i].key, *field_of((parn_discriminator_config *)c, i)))
            continue;
        cJSON_Delete(j);
        j = NULL;
    }
    return j;
}

/* 4x4 (3x4x4 in 3-D) kernels with padding 1; stride t in time (3-D), s in space. */
static parn_conv_attrs conv_attrs(int rank, int t, int s)
{
    parn_conv_attrs a = parn_conv_attrs_default(rank);
    for (int i = 0; i < rank; i++) {
        a.stride[i] = rank == 3 && i == 0 ? t : s;
        a.pad_lo[i] = a.pad_hi[i] = 1;
    }
    return a;
}

/* "<branch>.conv<i>" (+ "<branch>.bn<i>", then without conv bias) + LeakyReLU when act. */
static int layer(parn_net *net, const char *branch, int i, int x, int64_t in_c, int64_t out_c,
                 const parn_conv_attrs *a, bool bn, bool act)
{
    static const int kernel2[] = {4, 4}, kernel3[] = {3, 4, 4};
    char name[64];
    snprintf(name, sizeof name, "%s.conv%d", branch, i);
    x = parn_net_conv(net, name, x, in_c, out_c, a->rank == 3 ? kernel3 : kernel2, a, !bn);
    if (bn) {
        snprintf(name, sizeof name, "%s.bn%d", branch, i);
        x = parn_net_batch_norm(net, name, x, out_c);
    }
    return act ? parn_leaky_relu(net->g, x, SLOPE) : x;
}

/* frames: (N*T) x C x S x S -> (N*T) x 1 x P x P logits. */
static int patch_branch(parn_net *net, const parn_discriminator_config *c, int frames)
{
    static const int stride[PATCH_LAYERS] = {2, 2, 1, 1};
    const int64_t width[PATCH_LAYERS + 1] = {c->channels, c->base, 2 * (int64_t)c->base,
                                             4 * (int64_t)c->base, 1};
    int x = frames;
    for (int i = 0; i < PATCH_LAYERS; i++) {
        parn_conv_attrs a = conv_attrs(2, 1, stride[i]);
        bool inner = i > 0 && i < PATCH_LAYERS - 1;
        x = layer(net, "patch", i, x, width[i], width[i + 1], &a, inner, i < PATCH_LAYERS - 1);
    }
    return x;
}

/* crops: N x C x T x S x S -> N x 1. */
static int temporal_branch(parn_net *net, const parn_discriminator_config *c, int crops, int64_t n)
{
    int64_t width = c->temporal_base, in_c = c->channels, t = c->frames;
    int x = crops;
    for (int i = 0; i < TEMPORAL_LAYERS; i++, in_c = width, width *= 2) {
        int time_stride = t > 1 ? 2 : 1;
        parn_conv_attrs a = conv_attrs(3, time_stride, 2);
        x = layer(net, "temporal", i, x, in_c, width, &a, i > 0, true);
        t = (t - 1) / time_stride + 1;
    }
    x = parn_reshape(net->g, parn_global_pool(net->g, x, false), 2, (int64_t[]){n, in_c});
    return parn_net_linear(net, "temporal.fc", x, in_c, 1, true);
}

static int check_crops(parn_graph *g, const parn_discriminator_config *c, int crops)
{
    const parn_tensor *t = parn_graph_tensor(g, crops);
    if (!t) return parn_graph_fail(g, PARN_E_INVALID_ARG, "discriminator: crops is not a node (%d)", crops);
    bool fits = t->ndim == 5 && t->dims[1] == c->channels && t->dims[2] == c->frames &&
                t->dims[3] == c->size && t->dims[4] == c->size;
    if (!fits)
        return parn_graph_fail(g, PARN_E_SHAPE,
                               "discriminator: crops %s is not N x %d x %d x %d x %d "
                               "(N x channels x frames x size x size)",
                               parn_tensor_shape_str(t), c->channels, c->frames, c->size, c->size);
    return 0;
}

int parn_discriminator_build(parn_net *net, const parn_discriminator_config *c, int crops,
                             int *patch)
{
    if (patch) *patch = -1;
    if (!net || !net->g) return -1;
    parn_graph *g = net->g;
    if (parn_graph_status(g) != PARN_OK) return -1;
    if (check_config(c) != PARN_OK)
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "%s", parn__thread_error());
    if (check_crops(g, c, crops) < 0) return -1;
    int64_t n = parn_graph_tensor(g, crops)->dims[0], s = c->size;
    if (patch) {
        /* every frame of every clip, clip-major: frame t of clip i is row i * T + t */
        int frames = parn_permute(g, crops, (const int[]){0, 2, 1, 3, 4});
        frames = parn_reshape(g, frames, 4, (int64_t[]){n * c->frames, c->channels, s, s});
        *patch = patch_branch(net, c, frames);
    }
    int logit = temporal_branch(net, c, crops, n);
    if (parn_graph_status(g) != PARN_OK) {
        if (patch) *patch = -1;
        return -1;
    }
    return logit;
}
