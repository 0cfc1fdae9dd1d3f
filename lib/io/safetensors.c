/* SPDX-License-Identifier: MIT */
/* safetensors reader. The header is parsed with cJSON; nothing in it is trusted: sizes,
 * offsets, dtypes, shapes and overlaps are all checked before any data is used. */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define MAX_HEADER (100u << 20)

typedef struct st_entry {
    char *name;
    parn_tensor t;
    uint64_t begin, end;
} st_entry;

struct parn_st_file {
    uint8_t *image;          /* the whole file; data section starts at data */
    const uint8_t *data;
    uint64_t data_size;
    st_entry *entries;
    int n_entries;
    cJSON *metadata;         /* detached __metadata__ object, or NULL */
};

void parn_st_close(parn_st_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->n_entries; i++) parn__free(f->entries[i].name);
    parn__free(f->entries);
    cJSON_Delete(f->metadata);
    parn__free(f->image);
    parn__free(f);
}

static parn_status parse_shape(const cJSON *shape, const char *name, parn_tensor *t)
{
    PARN_RETURN_IF(!cJSON_IsArray(shape), PARN_E_FORMAT, "safetensors: '%s' has no shape array", name);
    int nd = cJSON_GetArraySize(shape);
    PARN_RETURN_IF(nd > PARN_MAX_DIMS, PARN_E_FORMAT, "safetensors: '%s' has rank %d (max %d)",
                   name, nd, PARN_MAX_DIMS);
    t->ndim = nd;
    for (int i = 0; i < nd; i++) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        PARN_RETURN_IF(!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 4e9 ||
                           d->valuedouble != (double)(int64_t)d->valuedouble,
                       PARN_E_FORMAT, "safetensors: '%s' has a bad dimension %d", name, i);
        t->dims[i] = (int64_t)d->valuedouble;
    }
    parn_tensor_set_plain(t);
    return PARN_OK;
}

static parn_status parse_entry(parn_st_file *f, const cJSON *item, st_entry *e)
{
    const char *name = item->string;
    PARN_RETURN_IF(!cJSON_IsObject(item), PARN_E_FORMAT, "safetensors: '%s' is not an object", name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    PARN_RETURN_IF(!cJSON_IsString(dtype), PARN_E_FORMAT, "safetensors: '%s' has no dtype", name);
    PARN_RETURN_IF(strcmp(dtype->valuestring, "F32") != 0, PARN_E_UNSUPPORTED,
                   "safetensors: '%s' has dtype %s (only F32 is read)", name, dtype->valuestring);
    PARN_TRY(parse_shape(cJSON_GetObjectItemCaseSensitive(item, "shape"), name, &e->t));
    PARN_RETURN_IF(!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
                       !cJSON_IsNumber(cJSON_GetArrayItem(offs, 0)) ||
                       !cJSON_IsNumber(cJSON_GetArrayItem(offs, 1)),
                   PARN_E_FORMAT,
                   "safetensors: '%s' has no [begin, end] data_offsets", name);
    double b = cJSON_GetArrayItem(offs, 0)->valuedouble, en = cJSON_GetArrayItem(offs, 1)->valuedouble;
    PARN_RETURN_IF(!(b >= 0 && en >= b && en <= (double)f->data_size), PARN_E_FORMAT,
                   "safetensors: '%s' has offsets [%.0f, %.0f] outside the %llu data bytes", name,
                   b, en, (unsigned long long)f->data_size);
    e->begin = (uint64_t)b;
    e->end = (uint64_t)en;
    uint64_t want = (uint64_t)parn_tensor_numel(&e->t) * 4u;
    PARN_RETURN_IF(e->end - e->begin != want, PARN_E_FORMAT,
                   "safetensors: '%s' is %s F32 (%llu bytes) but spans %llu bytes", name,
                   parn_tensor_shape_str(&e->t), (unsigned long long)want,
                   (unsigned long long)(e->end - e->begin));
    PARN_RETURN_IF(e->begin % 4 != 0, PARN_E_FORMAT, "safetensors: '%s' is not 4-byte aligned", name);
    e->t.data = (float *)(f->data + e->begin);
    e->name = parn__strdup(name);
    PARN_RETURN_IF(!e->name, PARN_E_NOMEM, "safetensors: out of memory");
    return PARN_OK;
}

static int by_begin(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static parn_status check_overlaps(parn_st_file *f)
{
    qsort(f->entries, (size_t)f->n_entries, sizeof *f->entries, by_begin);
    for (int i = 1; i < f->n_entries; i++)
        PARN_RETURN_IF(f->entries[i].begin < f->entries[i - 1].end, PARN_E_FORMAT,
                       "safetensors: tensors '%s' and '%s' overlap", f->entries[i - 1].name,
                       f->entries[i].name);
    return PARN_OK;
}

static parn_status parse_header(parn_st_file *f, const char *json, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    PARN_RETURN_IF(!root, PARN_E_FORMAT, "safetensors: the header is not valid JSON");
    parn_status st = PARN_OK;
    if (!cJSON_IsObject(root)) st = parn__fail(PARN_E_FORMAT, "safetensors: the header is not an object");
    cJSON *meta = st == PARN_OK ? cJSON_GetObjectItemCaseSensitive(root, "__metadata__") : NULL;
    if (meta && !cJSON_IsObject(meta)) st = parn__fail(PARN_E_FORMAT, "safetensors: __metadata__ is not an object");
    if (st == PARN_OK && meta) f->metadata = cJSON_DetachItemViaPointer(root, meta);
    int n = st == PARN_OK ? cJSON_GetArraySize(root) : 0;
    f->entries = parn__calloc((size_t)(n ? n : 1), sizeof *f->entries);
    if (st == PARN_OK && !f->entries) st = parn__fail(PARN_E_NOMEM, "safetensors: out of memory");
    for (cJSON *it = st == PARN_OK ? root->child : NULL; it && st == PARN_OK; it = it->next) {
        if (strcmp(it->string, "__metadata__") == 0) {
            st = parn__fail(PARN_E_FORMAT, "safetensors: repeated __metadata__");
            break;
        }
        st = parse_entry(f, it, &f->entries[f->n_entries]);
        if (st == PARN_OK) f->n_entries++;
    }
    if (st == PARN_OK) st = check_overlaps(f);
    cJSON_Delete(root);
    return st;
}

parn_status parn_st_open_memory(const void *data, size_t size, parn_st_file **out)
{
    PARN_RETURN_IF(!out || (!data && size), PARN_E_INVALID_ARG, "safetensors: NULL argument");
    PARN_RETURN_IF(size < 8, PARN_E_FORMAT, "safetensors: %zu bytes is too short for a header", size);
    const uint8_t *p = data;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | p[i];
    PARN_RETURN_IF(hlen < 2 || hlen > MAX_HEADER || hlen > size - 8, PARN_E_FORMAT,
                   "safetensors: header length %llu does not fit a %zu-byte file",
                   (unsigned long long)hlen, size);
    parn_st_file *f = parn__calloc(1, sizeof *f);
    uint8_t *image = parn__aligned_alloc(size);
    if (!f || !image) {
        parn__free(f);
        parn__free(image);
        return parn__fail(PARN_E_NOMEM, "safetensors: out of memory for %zu bytes", size);
    }
    memcpy(image, data, size);
    f->image = image;
    f->data = image + 8 + hlen;
    f->data_size = size - 8 - hlen;
    parn_status st = parse_header(f, (const char *)image + 8, (size_t)hlen);
    if (st != PARN_OK) {
        parn_st_close(f);
        return st;
    }
    *out = f;
    return PARN_OK;
}

parn_status parn_st_open(const char *path, parn_st_file **out)
{
    PARN_RETURN_IF(!path || !out, PARN_E_INVALID_ARG, "safetensors: NULL argument");
    FILE *fp = fopen(path, "rb");
    PARN_RETURN_IF(!fp, PARN_E_IO, "safetensors: cannot open '%s': %s", path, strerror(errno));
    parn_status st = PARN_OK;
    long size = -1;
    if (fseek(fp, 0, SEEK_END) == 0) size = ftell(fp);
    void *buf = NULL;
    if (size < 0 || fseek(fp, 0, SEEK_SET) != 0)
        st = parn__fail(PARN_E_IO, "safetensors: cannot size '%s'", path);
    else if (!(buf = parn__malloc((size_t)size)))
        st = parn__fail(PARN_E_NOMEM, "safetensors: out of memory reading '%s'", path);
    else if (fread(buf, 1, (size_t)size, fp) != (size_t)size)
        st = parn__fail(PARN_E_IO, "safetensors: cannot read '%s'", path);
    fclose(fp);
    if (st == PARN_OK) st = parn_st_open_memory(buf, (size_t)size, out);
    parn__free(buf);
    return st;
}

int parn_st_count(const parn_st_file *f)
{
    return f ? f->n_entries : 0;
}

const char *parn_st_name(const parn_st_file *f, int i)
{
    return f && i >= 0 && i < f->n_entries ? f->entries[i].name : NULL;
}

parn_status parn_st_get(const parn_st_file *f, const char *name, parn_tensor *out)
{
    PARN_RETURN_IF(!f || !name || !out, PARN_E_INVALID_ARG, "safetensors: NULL argument");
    for (int i = 0; i < f->n_entries; i++)
        if (strcmp(f->entries[i].name, name) == 0) {
            *out = f->entries[i].t;
            return PARN_OK;
        }
    return parn__fail(PARN_E_NOT_FOUND, "safetensors: no tensor '%s'", name);
}

const char *parn_st_metadata(const parn_st_file *f, const char *key)
{
    if (!f || !f->metadata || !key) return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->metadata, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
