/* SPDX-License-Identifier: MIT */
/* Parameters by name, PyTorch's initialisation, and the torch.nn-like layer helpers. */
#include "model.h"

#include "graph/ops/op_defs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

parn_net parn_net_make(parn_graph *g, parn_model_t *model, const char *prefix, bool training)
{
    return (parn_net){.g = g, .model = model, .prefix = prefix, .training = training};
}

void parn_net_release(parn_net *net)
{
    parn__free(net->node_of);
    net->node_of = NULL;
    net->node_cap = 0;
}

static void initialise(parn_model_t *m, parn_tensor *t, parn_init init, float a)
{
    int64_t n = parn_tensor_numel(t);
    for (int64_t i = 0; i < n; i++)
        t->data[i] = init == PARN_INIT_CONST    ? a
                     : init == PARN_INIT_NORMAL ? a * parn__rng_normal(&m->rng)
                                                : a * (2.0f * parn__rng_uniform(&m->rng) - 1.0f);
}

/* The model tensor for name, created when the model is being initialised. */
static int find_or_create(parn_net *net, const char *full, int ndim, const int64_t *dims,
                          parn_init init, float a)
{
    parn_model_t *m = net->model;
    int idx = parn_model_find(m, full);
    if (idx < 0 && m->initializing) {
        parn_status st = parn_model_add(m, full, ndim, dims, &idx);
        if (st != PARN_OK) return parn_graph_fail(net->g, st, "%s", parn__thread_error());
        initialise(m, &m->tensors[idx].t, init, a);
    }
    if (idx < 0) return parn_graph_fail(net->g, PARN_E_NOT_FOUND, "model has no tensor '%s'", full);
    const parn_tensor *t = &m->tensors[idx].t;
    parn_tensor want = {.ndim = ndim};
    for (int i = 0; i < ndim; i++) want.dims[i] = dims[i];
    if (!parn_tensor_same_dims(t, &want))
        return parn_graph_fail(net->g, PARN_E_SHAPE, "model tensor '%s' is %s, the network needs %s",
                               full, parn_tensor_shape_str(t), parn_tensor_shape_str(&want));
    return idx;
}

static bool reserve_nodes(parn_net *net, int n)
{
    if (n <= net->node_cap) return true;
    int cap = n + 64;
    int *p = parn__realloc(net->node_of, (size_t)cap * sizeof *p);
    if (!p) return false;
    for (int i = net->node_cap; i < cap; i++) p[i] = -1;
    net->node_of = p;
    net->node_cap = cap;
    return true;
}

int parn_net_tensor(parn_net *net, const char *name, int ndim, const int64_t *dims,
                    parn_init init, float a, bool trainable)
{
    if (parn_graph_status(net->g) != PARN_OK) return -1;
    char full[160];
    if (snprintf(full, sizeof full, "%s%s", net->prefix, name) >= (int)sizeof full)
        return parn_graph_fail(net->g, PARN_E_INVALID_ARG, "tensor name '%s%s' is too long",
                               net->prefix, name);
    int idx = find_or_create(net, full, ndim, dims, init, a);
    if (idx < 0) return -1;
    if (!reserve_nodes(net, net->model->n_tensors))
        return parn_graph_fail(net->g, PARN_E_NOMEM, "net: out of memory");
    if (net->node_of[idx] >= 0) return net->node_of[idx];
    bool grad = trainable && !net->frozen;
    int node = grad ? parn_graph_param(net->g, full, ndim, dims)
                    : parn_graph_input(net->g, full, ndim, dims);
    if (node < 0) return -1;
    parn_graph_bind(net->g, node, net->model->tensors[idx].t.data);
    net->node_of[idx] = node;
    return node;
}

static int64_t prod(const int *k, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= k[i];
    return p;
}

static char *join(char *buf, size_t size, const char *name, const char *leaf)
{
    snprintf(buf, size, "%s.%s", name, leaf);
    return buf;
}

/* A new layer's weight: torch.nn's U(+-1/sqrt(fan_in)), or He-normal when net->kaiming. */
static int weight(parn_net *net, const char *name, int ndim, const int64_t *dims, int64_t fan_in)
{
    if (net->kaiming)
        return parn_net_tensor(net, name, ndim, dims, PARN_INIT_NORMAL, sqrtf(2.0f / (float)fan_in), true);
    return parn_net_tensor(net, name, ndim, dims, PARN_INIT_UNIFORM, 1.0f / sqrtf((float)fan_in), true);
}

/* A new layer's bias: as torch.nn, or zeros when net->kaiming. */
static int bias_of(parn_net *net, const char *name, int64_t n, int64_t fan_in)
{
    if (net->kaiming) return parn_net_tensor(net, name, 1, &n, PARN_INIT_CONST, 0.0f, true);
    return parn_net_tensor(net, name, 1, &n, PARN_INIT_UNIFORM, 1.0f / sqrtf((float)fan_in), true);
}

/* Conv and transposed conv: weight (first, second, k...), fan-in from dims 1.. as PyTorch. */
static int conv_like(parn_net *net, const char *name, int x, int64_t first, int64_t second,
                     int64_t out_c, const int *kernel, const parn_conv_attrs *a, bool bias,
                     bool transposed)
{
    if (!a || !kernel) return parn_graph_fail(net->g, PARN_E_INVALID_ARG, "%s: NULL attributes", name);
    int64_t dims[5] = {first, second};
    for (int i = 0; i < a->rank; i++) dims[2 + i] = kernel[i];
    int64_t fan_in = second * prod(kernel, a->rank);
    char buf[128];
    int w = weight(net, join(buf, sizeof buf, name, "weight"), 2 + a->rank, dims, fan_in);
    int b = bias ? bias_of(net, join(buf, sizeof buf, name, "bias"), out_c, fan_in) : -1;
    if (w < 0 || (bias && b < 0)) return -1;
    return transposed ? parn_deconv(net->g, x, w, b, a) : parn_conv(net->g, x, w, b, a);
}

int parn_net_conv(parn_net *net, const char *name, int x, int64_t in_c, int64_t out_c,
                  const int *kernel, const parn_conv_attrs *a, bool bias)
{
    int groups = a && a->groups > 0 ? a->groups : 1;
    return conv_like(net, name, x, out_c, in_c / groups, out_c, kernel, a, bias, false);
}

int parn_net_deconv(parn_net *net, const char *name, int x, int64_t in_c, int64_t out_c,
                    const int *kernel, const parn_conv_attrs *a, bool bias)
{
    int groups = a && a->groups > 0 ? a->groups : 1;
    return conv_like(net, name, x, in_c, out_c / groups, out_c, kernel, a, bias, true);
}

int parn_net_linear(parn_net *net, const char *name, int x, int64_t in, int64_t out, bool bias)
{
    char buf[128];
    int w = weight(net, join(buf, sizeof buf, name, "weight"), 2, (int64_t[]){out, in}, in);
    int b = bias ? bias_of(net, join(buf, sizeof buf, name, "bias"), out, in) : -1;
    if (w < 0 || (bias && b < 0)) return -1;
    return parn_linear(net->g, x, w, b);
}

int parn_net_batch_norm(parn_net *net, const char *name, int x, int64_t channels)
{
    char buf[128];
    int gamma = parn_net_tensor(net, join(buf, sizeof buf, name, "weight"), 1, &channels,
                                PARN_INIT_CONST, 1.0f, true);
    int beta = parn_net_tensor(net, join(buf, sizeof buf, name, "bias"), 1, &channels,
                               PARN_INIT_CONST, 0.0f, true);
    int mean = parn_net_tensor(net, join(buf, sizeof buf, name, "running_mean"), 1, &channels,
                               PARN_INIT_CONST, 0.0f, false);
    int var = parn_net_tensor(net, join(buf, sizeof buf, name, "running_var"), 1, &channels,
                              PARN_INIT_CONST, 1.0f, false);
    parn_batch_norm_attrs a = {.eps = 1e-5f, .momentum = 0.1f, .training = net->training};
    return parn_batch_norm(net->g, x, gamma, beta, mean, var, &a);
}
