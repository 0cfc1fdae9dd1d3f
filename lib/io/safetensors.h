/* SPDX-License-Identifier: MIT */
/* safetensors files: 8-byte little-endian header length, a JSON header mapping names to
 * {dtype, shape, data_offsets}, then raw little-endian data. Every field is validated. */
#ifndef PARN_SAFETENSORS_H
#define PARN_SAFETENSORS_H

#include "graph/tensor.h"

#include <cjson/cJSON.h>

typedef struct parn_st_file parn_st_file;

/* Maps (or, failing that, reads) and validates a whole file. Tensors of dtypes other than F32
 * are validated and listed but cannot be read as tensors. Data are copy-on-write: writing a
 * tensor never changes the file. */
parn_status parn_st_open(const char *path, parn_st_file **out);
/* Parses and validates a file image held in memory (copied). */
parn_status parn_st_open_memory(const void *data, size_t size, parn_st_file **out);
void parn_st_close(parn_st_file *f);

int parn_st_count(const parn_st_file *f);
/* Name of tensor i (0..count-1), in file order of offsets. */
const char *parn_st_name(const parn_st_file *f, int i);
/* dtype of tensor i ("F32", "I64", ...). */
const char *parn_st_dtype(const parn_st_file *f, int i);
/* The F32 tensor called name: dims and a pointer to its data (owned by f, plain row-major). */
parn_status parn_st_get(const parn_st_file *f, const char *name, parn_tensor *out);
/* A __metadata__ string value, or NULL. */
const char *parn_st_metadata(const parn_st_file *f, const char *key);

/* One tensor to write. */
typedef struct parn_st_entry {
    const char *name;
    const parn_tensor *t;      /* F32, plain */
} parn_st_entry;

/* Writes a safetensors file atomically (temporary file in the same folder, fsync, rename).
 * metadata: a JSON object of string values, or NULL. */
parn_status parn_st_write(const char *path, const parn_st_entry *entries, int n,
                          const cJSON *metadata);

#endif
