/* SPDX-License-Identifier: MIT */
/* Building a network on a graph with its weights in a model: parameters by PyTorch name,
 * PyTorch's default initialisation, and layer helpers that name their tensors as torch.nn does
 * (name.weight, name.bias, name.running_mean, name.running_var). */
#ifndef PARN_NET_H
#define PARN_NET_H

#include "graph/graph.h"

typedef struct parn_net {
    parn_graph *g;
    parn_model_t *model;    /* where the tensors live */
    const char *prefix;     /* "c3d." etc. */
    bool training;          /* batch statistics, dropout */
    bool frozen;            /* parameters enter as inputs without gradients */
    bool kaiming;           /* new conv/linear weights He-normal (fan-in, ReLU gain), biases 0,
                               instead of torch.nn's default */
    int *node_of;           /* per model tensor: its node in g, or -1 (one node per tensor) */
    int node_cap;
} parn_net;

/* A net on g for the tensors under `prefix` of model. Release with parn_net_release. */
parn_net parn_net_make(parn_graph *g, parn_model_t *model, const char *prefix, bool training);
void parn_net_release(parn_net *net);

typedef enum parn_init {
    PARN_INIT_UNIFORM,      /* U(-a, a) */
    PARN_INIT_CONST,        /* a */
    PARN_INIT_NORMAL        /* N(0, a^2) */
} parn_init;

/* The node of tensor prefix+name with these dims. While the model is being created the tensor
 * is made and initialised from the model's seeded generator; otherwise it must exist with
 * exactly these dims (PARN_E_NOT_FOUND / PARN_E_SHAPE on the graph otherwise). trainable
 * tensors become params (with gradients unless the net is frozen), the others inputs. */
int parn_net_tensor(parn_net *net, const char *name, int ndim, const int64_t *dims,
                    parn_init init, float a, bool trainable);

/* Layers as torch.nn builds them (weights U(+-1/sqrt(fan_in)), PyTorch's fan-in rules). */
int parn_net_conv(parn_net *net, const char *name, int x, int64_t in_c, int64_t out_c,
                  const int *kernel, const parn_conv_attrs *a, bool bias);
int parn_net_deconv(parn_net *net, const char *name, int x, int64_t in_c, int64_t out_c,
                    const int *kernel, const parn_conv_attrs *a, bool bias);
int parn_net_linear(parn_net *net, const char *name, int x, int64_t in, int64_t out, bool bias);
/* BatchNorm1d/2d/3d: weight 1, bias 0, running_mean 0, running_var 1, eps 1e-5, momentum 0.1. */
int parn_net_batch_norm(parn_net *net, const char *name, int x, int64_t channels);

#endif
