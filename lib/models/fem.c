/* SPDX-License-Identifier: MIT */
/* The feature enhancement module (FEM, paper section 3.2): a privacy branch that suppresses
 * channels (CSM), CBAM-style channel attention (CA, with an L2 term on its first FC layer) and
 * spatial attention (SA) recalibrate features: out = F * (CA * CSM) * SA.
 *
 * privacy: 1x1x1 conv (channels -> privacy_hidden) + ReLU, 3x3x3 conv (padding 1) + ReLU,
 *   global average pool, FC to channels, sigmoid = P; CSM = sigmoid(P). The paper defines P
 *   with a sigmoid and then CSM = sigma(P): we apply the sigmoid twice as written, so CSM lies in
 *   (0.5, 0.73) and suppresses a channel by at most about half.
 * channel: global average and global max pool, each through the shared FC1 (channels ->
 *   channels / reduction) + ReLU and FC2 (-> channels); summed, sigmoid = CA. The L2 term is the
 *   mean of FC1's squared outputs (before the ReLU) over both pooled paths.
 * spatial: channel-wise mean and max of F * W_ch (in that order), a spatial_kernel^3 conv with
 *   PyTorch's 'same' padding (an even kernel pads one more at the high end) to one channel,
 *   sigmoid = SA.
 *
 * 4-D features (N x C x H x W) are a one-frame clip: the same 3-D kernels run on D = 1, where
 * only their middle slice in depth meets data (zero padding covers the rest). */
#include "models.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct int_field {
    const char *key;
    size_t offset;
    int min, max;
} int_field;

#define FIELD(name, lo, hi) {#name, offsetof(parn_fem_config, name), lo, hi}
static const int_field fields[] = {
    FIELD(channels, 1, 4096),
    FIELD(reduction, 1, 4096),
    FIELD(privacy_hidden, 1, 4096),
    FIELD(spatial_kernel, 1, 31),
};
#undef FIELD
#define N_FIELDS (int)(sizeof fields / sizeof fields[0])

static int *field_of(parn_fem_config *c, int i)
{
    return (int *)((char *)c + fields[i].offset);
}

void parn_fem_default(parn_fem_config *c)
{
    *c = (parn_fem_config){.channels = 64, .reduction = 16, .privacy_hidden = 32, .spatial_kernel = 7};
}

static parn_status check_config(const parn_fem_config *c)
{
    PARN_RETURN_IF(!c, PARN_E_INVALID_ARG, "fem: configuration is NULL");
    for (int i = 0; i < N_FIELDS; i++) {
        int v = *field_of((parn_fem_config *)c, i);
        PARN_RETURN_IF(v < fields[i].min || v > fields[i].max, PARN_E_INVALID_ARG,
                       "fem: %s %d is outside [%d, %d]", fields[i].key, v, fields[i].min,
                       fields[i].max);
    }
    PARN_RETURN_IF(c->reduction > c->channels, PARN_E_INVALID_ARG,
                   "fem: reduction %d exceeds channels %d (FC1 would have no output)",
                   c->reduction, c->channels);
    return PARN_OK;
}

static int find_field(const char *key)
{
    for (int i = 0; i < N_FIELDS; i++)
        if (strcmp(fields[i].key, key) == 0) return i;
    return -1;
}

parn_status parn_fem_from_json(const cJSON *j, parn_fem_config *c)
{
    PARN_RETURN_IF(!c, PARN_E_INVALID_ARG, "fem: configuration is NULL");
    PARN_RETURN_IF(!cJSON_IsObject(j), PARN_E_INVALID_ARG, "fem: configuration is not a JSON object");
    parn_fem_config next;
    parn_fem_default(&next);
    for (const cJSON *it = j->child; it; it = it->next) {
        int i = find_field(it->string);
        PARN_RETURN_IF(i < 0, PARN_E_INVALID_ARG,
                       "fem: unknown key '%s' (channels, reduction, privacy_hidden, spatial_kernel)",
                       it->string);
        double v = cJSON_IsNumber(it) ? it->valuedouble : NAN;
        PARN_RETURN_IF(!(v >= fields[i].min && v <= fields[i].max) || v != floor(v),
                       PARN_E_INVALID_ARG, "fem: %s must be an integer in [%d, %d]",
                       fields[i].key, fields[i].min, fields[i].max);
        *field_of(&next, i) = (int)v;
    }
    PARN_TRY(check_config(&next));
    *c = next;
    return PARN_OK;
}

cJSON *parn_fem_to_json(const parn_fem_config *c)
{
    cJSON *j = c ? cJSON_CreateObject() : NULL;
    for (int i = 0; j && i < N_FIELDS; i++) {
        if (cJSON_AddNumberToObject(j, fields[i].key, *field_of((parn_fem_config *)c, i))) continue;
        cJSON_Delete(j);
        j = NULL;
    }
    return j;
}

/* A k^3 conv with PyTorch's 'same' padding (stride 1). */
static int same_conv(parn_net *net, const char *name, int x, int64_t in_c, int64_t out_c, int k)
{
    parn_conv_attrs a = parn_conv_attrs_default(3);
    for (int i = 0; i < 3; i++) {
        a.pad_lo[i] = (k - 1) / 2;
        a.pad_hi[i] = k - 1 - a.pad_lo[i];
    }
    return parn_net_conv(net, name, x, in_c, out_c, (const int[]){k, k, k}, &a, true);
}

/* Global average (or max) pool of an N x C x D x H x W node, as N x C. */
static int pooled(parn_net *net, int x, bool max, int64_t n, int64_t c)
{
    return parn_reshape(net->g, parn_global_pool(net->g, x, max), 2, (int64_t[]){n, c});
}

/* CSM = sigmoid(P), P = sigmoid(fc(pool(relu(conv3(relu(conv1(F))))))): N x C. */
static int privacy_mask(parn_net *net, const parn_fem_config *c, int f, int64_t n)
{
    parn_graph *g = net->g;
    int h = parn_relu(g, same_conv(net, "privacy.conv1", f, c->channels, c->privacy_hidden, 1));
    h = parn_relu(g, same_conv(net, "privacy.conv3", h, c->privacy_hidden, c->privacy_hidden, 3));
    h = parn_net_linear(net, "privacy.fc", pooled(net, h, false, n, c->privacy_hidden),
                        c->privacy_hidden, c->channels, true);
    return parn_sigmoid(g, parn_sigmoid(g, h));
}

/* CA = sigmoid(fc2(relu(fc1(avg))) + fc2(relu(fc1(max)))): N x C. Both pooled vectors go
 * through the shared layers as one 2N-row batch. l2 (may be NULL): mean(fc1(.)^2). */
static int channel_attention(parn_net *net, const parn_fem_config *c, int f, int64_t n, int *l2)
{
    parn_graph *g = net->g;
    int64_t hidden = c->channels / c->reduction;
    int both[2] = {pooled(net, f, false, n, c->channels), pooled(net, f, true, n, c->channels)};
    int h = parn_net_linear(net, "channel.fc1", parn_concat(g, 2, both, 0), c->channels, hidden, true);
    if (l2) *l2 = parn_reduce(g, parn_mul(g, h, h), 0x3, true, false);
    int o = parn_net_linear(net, "channel.fc2", parn_relu(g, h), hidden, c->channels, true);
    int half[2] = {-1, -1};
    if (parn_split(g, o, 0, 2, (const int64_t[]){n, n}, half) != PARN_OK) return -1;
    return parn_sigmoid(g, parn_add(g, half[0], half[1]));
}

/* SA = sigmoid(conv([mean_c(x), max_c(x)])): N x 1 x D x H x W. The channel max is a max pool
 * over C of x viewed as N x 1 x C x (D*H*W): exact, with the pool's gradient. */
static int spatial_attention(parn_net *net, const parn_fem_config *c, int x, const int64_t *dims)
{
    parn_graph *g = net->g;
    int64_t n = dims[0], ch = dims[1], spatial = dims[2] * dims[3] * dims[4];
    int64_t one[5] = {n, 1, dims[2], dims[3], dims[4]};
    parn_pool_attrs a = parn_pool_attrs_default(2, true, 1);
    a.kernel[0] = a.stride[0] = (int)ch;
    int mx = parn_pool(g, parn_reshape(g, x, 4, (int64_t[]){n, 1, ch, spatial}), &a);
    int both[2] = {parn_reduce(g, x, 1u << 1, true, true), parn_reshape(g, mx, 5, one)};
    int s = same_conv(net, "spatial.conv", parn_concat(g, 2, both, 1), 2, 1, c->spatial_kernel);
    return parn_sigmoid(g, s);
}

static int check_features(parn_graph *g, const parn_fem_config *c, int features)
{
    const parn_tensor *t = parn_graph_tensor(g, features);
    if (!t) return parn_graph_fail(g, PARN_E_INVALID_ARG, "fem: features is not a node (%d)", features);
    if ((t->ndim != 4 && t->ndim != 5) || t->dims[1] != c->channels)
        return parn_graph_fail(g, PARN_E_SHAPE,
                               "fem: features %s are not N x %d x D x H x W or N x %d x H x W",
                               parn_tensor_shape_str(t), c->channels, c->channels);
    return 0;
}

int parn_fem_build(parn_net *net, const parn_fem_config *c, int features, int *l2)
{
    if (l2) *l2 = -1;
    if (!net || !net->g) return -1;
    parn_graph *g = net->g;
    if (parn_graph_status(g) != PARN_OK) return -1;
    if (check_config(c) != PARN_OK)
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "%s", parn__thread_error());
    if (check_features(g, c, features) < 0) return -1;
    parn_tensor in = *parn_graph_tensor(g, features);
    int64_t dims[5] = {in.dims[0], in.dims[1], 1, in.dims[2], in.dims[3]};
    if (in.ndim == 5) memcpy(dims, in.dims, sizeof dims);
    int f = in.ndim == 5 ? features : parn_reshape(g, features, 5, dims);

    int w_ch = parn_mul(g, channel_attention(net, c, f, dims[0], l2),
                        privacy_mask(net, c, f, dims[0]));
    w_ch = parn_reshape(g, w_ch, 5, (int64_t[]){dims[0], dims[1], 1, 1, 1});
    int weighted = parn_mul(g, f, w_ch);
    int y = parn_mul(g, weighted, spatial_attention(net, c, weighted, dims));
    if (in.ndim == 4) y = parn_reshape(g, y, 4, in.dims);
    if (parn_graph_status(g) != PARN_OK) {
        if (l2) *l2 = -1;
        return -1;
    }
    return y;
}
