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

/* Tensors under this prefix in a model file are a trainer's checkpoint state (optimizer
 * buffers): parn_model_load skips them. */
#define PARN_TRAIN_PREFIX "train."

/* The __metadata__ parn_model_save writes (format and configurations); NULL when out of memory. */
cJSON *parn_model_metadata(const parn_model_t *m);

/* Assembling a model network by network (the trainers' copies and snapshots): an empty model
 * with default configurations; a deep copy of src's network k (configuration and tensors, owned)
 * into dst, which must lack it; then parn_model_finish checks every network by building it and
 * writes the description. Free with parn_model_destroy. */
parn_model_t *parn_model_alloc(void);
parn_status parn_model_copy_network(parn_model_t *dst, const parn_model_t *src, parn_net_kind k);
parn_status parn_model_finish(parn_model_t *m);

#endif
