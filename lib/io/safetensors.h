/* SPDX-License-Identifier: MIT */
/* safetensors files: 8-byte little-endian header length, a JSON header mapping names to
 * {dtype, shape, data_offsets}, then raw little-endian data. Every field is validated. */
#ifndef PARN_SAFETENSORS_H
#define PARN_SAFETENSORS_H

#include "graph/tensor.h"

typedef struct parn_st_file parn_st_file;

/* Reads and validates a whole file (F32 tensors only for now). */
parn_status parn_st_open(const char *path, parn_st_file **out);
/* Parses and validates a file image held in memory (copied). */
parn_status parn_st_open_memory(const void *data, size_t size, parn_st_file **out);
void parn_st_close(parn_st_file *f);

int parn_st_count(const parn_st_file *f);
/* Name of tensor i (0..count-1), in file order of offsets. */
const char *parn_st_name(const parn_st_file *f, int i);
/* The tensor called name: dims and a pointer to its data (owned by f, plain row-major). */
parn_status parn_st_get(const parn_st_file *f, const char *name, parn_tensor *out);
/* A __metadata__ string value, or NULL. */
const char *parn_st_metadata(const parn_st_file *f, const char *key);

#endif
