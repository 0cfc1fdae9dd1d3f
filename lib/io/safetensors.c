/* SPDX-License-Identifier: MIT */
/* safetensors reader. The header is parsed with cJSON; nothing in it is trusted: sizes,
 * offsets, dtypes, shapes and overlaps are all checked before any data is used. */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define MAX_HEADER (100u << 20)

typedef struct st_entry {
    char *name;
    char dtype[8];
    parn_tensor t;
    uint64_t begin, end;
} st_entry;

struct parn_st_file {
    uint8_t *image;          /* the whole file (heap copy), or NULL when mapped */
    void *map;               /* the whole file (private mapping), or NULL */
    size_t map_size;
    uint8_t *aligned;        /* the data section copied when the file leaves it misaligned */
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
    parn__free(f->aligned);
    if (f->map) munmap(f->map, f->map_size);
    parn__free(f);
}

/* Bytes per element of a safetensors dtype, 0 when unknown. */
static int dtype_size(const char *d)
{
    static const struct { const char *name; int size; } table[] = {
        {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4},
        {"I16", 2}, {"I8", 1}, {"U8", 1}, {"BOOL", 1}, {"U16", 2}, {"U32", 4}, {"U64", 8}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(d, table[i].name) == 0) return table[i].size;
    return 0;
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
    int esize = dtype_size(dtype->valuestring);
    PARN_RETURN_IF(esize == 0, PARN_E_FORMAT, "safetensors: '%s' has unknown dtype '%.16s'", name,
                   dtype->valuestring);
    snprintf(e->dtype, sizeof e->dtype, "%s", dtype->valuestring);
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
    uint64_t want = (uint64_t)parn_tensor_numel(&e->t) * (uint64_t)esize;
    PARN_RETURN_IF(e->end - e->begin != want, PARN_E_FORMAT,
                   "safetensors: '%s' is %s %s (%llu bytes) but spans %llu bytes", name,
                   parn_tensor_shape_str(&e->t), e->dtype, (unsigned long long)want,
                   (unsigned long long)(e->end - e->begin));
    e->name = parn__strdup(name);
    PARN_RETURN_IF(!e->name, PARN_E_NOMEM, "safetensors: out of memory");
    return PARN_OK;
}

static int by_begin(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* The tensors must tile the data section exactly: no overlap, no hole, nothing after. */
static parn_status check_layout(parn_st_file *f)
{
    qsort(f->entries, (size_t)f->n_entries, sizeof *f->entries, by_begin);
    uint64_t end = 0;
    for (int i = 0; i < f->n_entries; i++) {
        const st_entry *e = &f->entries[i];
        PARN_RETURN_IF(e->begin < end, PARN_E_FORMAT, "safetensors: tensors '%s' and '%s' overlap",
                       f->entries[i - 1].name, e->name);
        PARN_RETURN_IF(e->begin > end, PARN_E_FORMAT,
                       "safetensors: %llu unused bytes before tensor '%s'",
                       (unsigned long long)(e->begin - end), e->name);
        end = e->end;
    }
    PARN_RETURN_IF(end != f->data_size, PARN_E_FORMAT,
                   "safetensors: %llu bytes after the last tensor", (unsigned long long)(f->data_size - end));
    return PARN_OK;
}

/* F32 tensors need 4-byte alignment; a header length that breaks it costs one copy. */
static parn_status point_tensors(parn_st_file *f)
{
    if ((uintptr_t)f->data % 4 != 0) {
        f->aligned = parn__aligned_alloc(f->data_size);
        PARN_RETURN_IF(!f->aligned, PARN_E_NOMEM, "safetensors: out of memory");
        memcpy(f->aligned, f->data, f->data_size);
        f->data = f->aligned;
    }
    for (int i = 0; i < f->n_entries; i++) {
        st_entry *e = &f->entries[i];
        bool f32 = strcmp(e->dtype, "F32") == 0;
        PARN_RETURN_IF(f32 && e->begin % 4 != 0, PARN_E_FORMAT,
                       "safetensors: F32 tensor '%s' starts at a misaligned offset", e->name);
        e->t.data = f32 ? (float *)(f->data + e->begin) : NULL;
    }
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
    if (st == PARN_OK) st = check_layout(f);
    if (st == PARN_OK) st = point_tensors(f);
    cJSON_Delete(root);
    return st;
}

/* Validates the 8-byte length and parses the header of a file image (owned by f already). */
static parn_status parse_image(parn_st_file *f, const uint8_t *p, size_t size)
{
    PARN_RETURN_IF(size < 8, PARN_E_FORMAT, "safetensors: %zu bytes is too short for a header", size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | p[i];
    PARN_RETURN_IF(hlen < 2 || hlen > MAX_HEADER || hlen > size - 8, PARN_E_FORMAT,
                   "safetensors: header length %llu does not fit a %zu-byte file",
                   (unsigned long long)hlen, size);
    f->data = p + 8 + hlen;
    f->data_size = size - 8 - hlen;
    return parse_header(f, (const char *)p + 8, (size_t)hlen);
}

static parn_status finish(parn_st_file *f, parn_status st, parn_st_file **out)
{
    if (st != PARN_OK) {
        parn_st_close(f);
        return st;
    }
    *out = f;
    return PARN_OK;
}

parn_status parn_st_open_memory(const void *data, size_t size, parn_st_file **out)
{
    PARN_RETURN_IF(!out || (!data && size), PARN_E_INVALID_ARG, "safetensors: NULL argument");
    parn_st_file *f = parn__calloc(1, sizeof *f);
    uint8_t *image = parn__aligned_alloc(size);
    if (!f || !image) {
        parn__free(f);
        parn__free(image);
        return parn__fail(PARN_E_NOMEM, "safetensors: out of memory for %zu bytes", size);
    }
    if (size) memcpy(image, data, size);
    f->image = image;
    return finish(f, parse_image(f, image, size), out);
}

parn_status parn_st_open(const char *path, parn_st_file **out)
{
    PARN_RETURN_IF(!path || !out, PARN_E_INVALID_ARG, "safetensors: NULL argument");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    PARN_RETURN_IF(fd < 0, PARN_E_IO, "safetensors: cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return parn__fail(PARN_E_IO, "safetensors: '%s' is not a readable regular file", path);
    }
    size_t size = (size_t)sb.st_size;
    void *map = size ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (map == MAP_FAILED) {
        PARN_RETURN_IF(size >= 8, PARN_E_IO, "safetensors: cannot map '%s': %s", path, strerror(errno));
        return parn__fail(PARN_E_FORMAT, "safetensors: '%s' has %zu bytes, too short for a header",
                          path, size);
    }
    parn_st_file *f = parn__calloc(1, sizeof *f);
    if (!f) {
        munmap(map, size);
        return parn__fail(PARN_E_NOMEM, "safetensors: out of memory");
    }
    f->map = map;
    f->map_size = size;
    return finish(f, parse_image(f, map, size), out);
}

int parn_st_count(const parn_st_file *f)
{
    return f ? f->n_entries : 0;
}

const char *parn_st_name(const parn_st_file *f, int i)
{
    return f && i >= 0 && i < f->n_entries ? f->entries[i].name : NULL;
}

const char *parn_st_dtype(const parn_st_file *f, int i)
{
    return f && i >= 0 && i < f->n_entries ? f->entries[i].dtype : NULL;
}

parn_status parn_st_get(const parn_st_file *f, const char *name, parn_tensor *out)
{
    PARN_RETURN_IF(!f || !name || !out, PARN_E_INVALID_ARG, "safetensors: NULL argument");
    for (int i = 0; i < f->n_entries; i++)
        if (strcmp(f->entries[i].name, name) == 0) {
            PARN_RETURN_IF(!f->entries[i].t.data && parn_tensor_numel(&f->entries[i].t) > 0,
                           PARN_E_UNSUPPORTED, "safetensors: '%s' is %s, not F32", name,
                           f->entries[i].dtype);
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

static int by_name(const void *a, const void *b)
{
    return strcmp(((const parn_st_entry *)a)->name, ((const parn_st_entry *)b)->name);
}

/* The JSON header, padded with spaces to a multiple of 8 bytes so that data stay aligned. */
static char *make_header(const parn_st_entry *e, int n, const cJSON *metadata, size_t *len)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    bool ok = !metadata || cJSON_AddItemToObject(root, "__metadata__", cJSON_Duplicate(metadata, true));
    uint64_t offset = 0;
    for (int i = 0; i < n && ok; i++) {
        cJSON *item = cJSON_AddObjectToObject(root, e[i].name);
        cJSON *shape = item ? cJSON_AddArrayToObject(item, "shape") : NULL;
        cJSON *offs = item ? cJSON_AddArrayToObject(item, "data_offsets") : NULL;
        ok = shape && offs && cJSON_AddStringToObject(item, "dtype", "F32");
        for (int d = 0; ok && d < e[i].t->ndim; d++)
            ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)e[i].t->dims[d]));
        uint64_t end = offset + (uint64_t)parn_tensor_numel(e[i].t) * 4u;
        ok = ok && cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset)) &&
             cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)end));
        offset = end;
    }
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!json) return NULL;
    size_t raw = strlen(json), padded = (raw + 7) / 8 * 8;
    char *out = parn__malloc(padded + 1);
    if (out) {
        memcpy(out, json, raw);
        memset(out + raw, ' ', padded - raw);
        out[padded] = '\0';
        *len = padded;
    }
    cJSON_free(json);
    return out;
}

static bool write_all(FILE *fp, const void *p, size_t n)
{
    return n == 0 || fwrite(p, 1, n, fp) == n;
}

static parn_status write_file(FILE *fp, const char *header, size_t hlen, const parn_st_entry *e, int n)
{
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    bool ok = write_all(fp, len, 8) && write_all(fp, header, hlen);
    for (int i = 0; i < n && ok; i++) {
        parn_tensor plain = *e[i].t;
        if (parn_tensor_is_plain(e[i].t)) {
            ok = write_all(fp, e[i].t->data, (size_t)parn_tensor_numel(e[i].t) * 4u);
            continue;
        }
        /* rare: a tensor in another layout is written through a plain copy */
        float *buf = parn__malloc((size_t)parn_tensor_numel(&plain) * 4u);
        PARN_RETURN_IF(!buf, PARN_E_NOMEM, "safetensors: out of memory");
        parn_tensor_read_plain(e[i].t, buf);
        ok = write_all(fp, buf, (size_t)parn_tensor_numel(&plain) * 4u);
        parn__free(buf);
    }
    ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    PARN_RETURN_IF(!ok, PARN_E_IO, "safetensors: write failed: %s", strerror(errno));
    return PARN_OK;
}

parn_status parn_st_write(const char *path, const parn_st_entry *entries, int n,
                          const cJSON *metadata)
{
    PARN_RETURN_IF(!path || (!entries && n > 0) || n < 0, PARN_E_INVALID_ARG,
                   "safetensors: bad arguments to write");
    parn_st_entry *sorted = parn__malloc((size_t)(n ? n : 1) * sizeof *sorted);
    PARN_RETURN_IF(!sorted, PARN_E_NOMEM, "safetensors: out of memory");
    if (n) memcpy(sorted, entries, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, by_name);
    size_t hlen = 0;
    char *header = make_header(sorted, n, metadata, &hlen);
    size_t tlen = strlen(path) + 16;
    char *tmp = parn__malloc(tlen);
    parn_status st = header && tmp ? PARN_OK : parn__fail(PARN_E_NOMEM, "safetensors: out of memory");
    int fd = -1;
    if (st == PARN_OK) {
        snprintf(tmp, tlen, "%s.tmp.XXXXXX", path);
        fd = mkstemp(tmp);
        if (fd < 0) st = parn__fail(PARN_E_IO, "safetensors: cannot create a file beside '%s': %s", path, strerror(errno));
        else fchmod(fd, 0644); /* mkstemp makes 0600; a model file is for everyone to read */
    }
    if (st == PARN_OK) {
        FILE *fp = fdopen(fd, "wb");
        if (!fp) {
            close(fd);
            st = parn__fail(PARN_E_IO, "safetensors: cannot write '%s': %s", tmp, strerror(errno));
        } else {
            st = write_file(fp, header, hlen, sorted, n);
            if (fclose(fp) != 0 && st == PARN_OK) st = parn__fail(PARN_E_IO, "safetensors: cannot close '%s'", tmp);
        }
        if (st == PARN_OK && rename(tmp, path) != 0)
            st = parn__fail(PARN_E_IO, "safetensors: cannot rename to '%s': %s", path, strerror(errno));
        if (st != PARN_OK) unlink(tmp);
    }
    parn__free(tmp);
    parn__free(header);
    parn__free(sorted);
    return st;
}
