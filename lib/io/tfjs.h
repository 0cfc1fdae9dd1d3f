/* SPDX-License-Identifier: MIT */
/* TensorFlow.js weight manifests (face-api.js models): a JSON array of groups {paths, weights};
 * each group's files concatenated hold its entries back to back, quantised (uint8/uint16 with
 * min and scale, or float16) or raw float32/int32, little-endian. */
#ifndef PARN_TFJS_H
#define PARN_TFJS_H

#include "graph/tensor.h"

typedef struct parn_tfjs parn_tfjs;

/* Reads a manifest and every file it names (relative to the manifest's folder), validating
 * sizes, dtypes and quantisation; all entries are decoded to float32. */
parn_status parn_tfjs_load(const char *manifest_path, parn_tfjs **out);
void parn_tfjs_free(parn_tfjs *w);

int parn_tfjs_count(const parn_tfjs *w);
const char *parn_tfjs_name(const parn_tfjs *w, int i);
/* The entry called name, dims as in the manifest (TF layouts: conv filters H x W x IC x OC,
 * depthwise H x W x C x 1), data owned by w. PARN_E_NOT_FOUND when absent. */
parn_status parn_tfjs_get(const parn_tfjs *w, const char *name, parn_tensor *out);

#endif
