/* SPDX-License-Identifier: MIT */
/* The model object behind parn_model_t: which networks it holds, their configurations, and
 * its named tensors (PyTorch state_dict names under network prefixes). */
#ifndef PARN_MODEL_H
#define PARN_MODEL_H

#include "models.h"

typedef struct parn_model_tensor {
    char *name;             /* "c3d.conv1.weight" */
    parn_tensor t;          /* F32, plain row-major */
    bool owned;             /* data allocated by the model, else inside the mapped file */
} parn_model_tensor;

struct parn_model {
    bool has[PARN_NET__COUNT];
    parn_generator_config generator;
    parn_discriminator_config discriminator;
    parn_fem_config fem;
    parn_c3d_config c3d;
    parn_model_tensor *tensors;
    int n_tensors, cap;
    bool initializing;      /* parn_net_tensor creates missing tensors (fresh weights) */
    parn_rng rng;           /* initialisation generator */
    char *description;      /* JSON for parn_model_describe */
    struct parn_st_file *file; /* the mapped file of a loaded model */
};

/* Index of a tensor by full name, or -1. */
int parn_model_find(const parn_model_t *m, const char *name);
/* Adds a zero-filled tensor; *index receives its position. Fails if the name exists. */
parn_status parn_model_add(parn_model_t *m, const char *name, int ndim, const int64_t *dims,
                           int *index);

#endif
