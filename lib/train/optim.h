/* SPDX-License-Identifier: MIT */
/* Optimizers (torch.optim.SGD / Adam / AdamW, same formulas in float32) and global-norm
 * gradient clipping (torch.nn.utils.clip_grad_norm_) over plain float arrays. */
#ifndef PARN_TRAIN_OPTIM_H
#define PARN_TRAIN_OPTIM_H

#include "core/core.h"

#include <cjson/cJSON.h>

typedef enum parn_optim_kind { PARN_OPTIM_SGD, PARN_OPTIM_ADAM, PARN_OPTIM_ADAMW } parn_optim_kind;

typedef struct parn_optim_config {
    parn_optim_kind kind;
    double lr;                 /* base learning rate */
    double momentum;           /* SGD */
    bool nesterov;             /* SGD */
    double beta1, beta2, eps;  /* Adam/AdamW (0.9, 0.999, 1e-8) */
    double weight_decay;       /* SGD/Adam: L2 added to the gradient (torch semantics); AdamW: decoupled */
    double clip_norm;          /* > 0: clip the global L2 norm of all gradients (torch.nn.utils.clip_grad_norm_) */
} parn_optim_config;

/* torch defaults for the kind (lr 1e-3 for Adam/AdamW and SGD; AdamW weight decay 1e-2). */
void parn_optim_config_default(parn_optim_config *c, parn_optim_kind kind);
/* JSON round trip of a config ({"kind":"adam","lr":1e-4,...}); missing keys keep their values;
 * every value is validated (PARN_E_INVALID_ARG with a message naming the key). "kind" given
 * alone does not reset the other fields. */
parn_status parn_optim_config_from_json(const cJSON *j, parn_optim_config *c);
/* A new object with every key; NULL when out of memory. */
cJSON *parn_optim_config_to_json(const parn_optim_config *c);
/* Checks ranges (lr >= 0, momentum in [0, 1), betas in [0, 1), eps > 0, weight_decay >= 0,
 * clip_norm >= 0, nesterov needs momentum > 0). */
parn_status parn_optim_config_check(const parn_optim_config *c);

typedef struct parn_optim parn_optim;

/* Optimizer over n tensors (plain row-major float arrays of numel[i] floats, updated in place;
 * the caller bumps parn_tensor versions). */
parn_status parn_optim_create(const parn_optim_config *c, int n, const int64_t *numel, parn_optim **out);
void parn_optim_destroy(parn_optim *o);
/* Clips grads in place when clip_norm > 0; returns the global norm before clipping in *norm
 * (may be NULL). */
void parn_optim_clip(parn_optim *o, float *const *grads, double *norm);
/* One update with learning rate lr (the schedule's), exactly torch.optim's formula, in float32
 * like torch. */
parn_status parn_optim_step(parn_optim *o, float *const *params, float *const *grads, double lr);
/* State for checkpoints: buffers (k = 0: SGD momentum buffer / Adam exp_avg; k = 1: Adam
 * exp_avg_sq) of tensor i, numel[i] floats, or NULL when the kind has no such buffer; and the
 * scalar state. */
float *parn_optim_buffer(parn_optim *o, int k, int i);
int parn_optim_n_buffers(const parn_optim *o);   /* 1 or 2 (0 for SGD without momentum) */
int64_t parn_optim_steps(const parn_optim *o);   /* updates done (Adam bias correction) */
void parn_optim_set_steps(parn_optim *o, int64_t steps);
/* The config the optimizer was created with. */
const parn_optim_config *parn_optim_config_of(const parn_optim *o);

#endif
