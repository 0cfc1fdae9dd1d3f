/* SPDX-License-Identifier: MIT */
/* Models: networks and their configurations, named tensors, creation with fresh weights,
 * loading (mapped, validated) and atomic saving as safetensors. */
#include "model.h"

#include "core/options.h"
#include "io/safetensors.h"
#include "models/faces.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_VERSION 1

static const char *const net_names[PARN_NET__COUNT] = {"generator", "discriminator", "fem",
                                                       "c3d", "detector", "embedder"};

/* Every network checks its tensors by being built. */
static bool buildable(parn_net_kind k)
{
    return k >= 0 && k < PARN_NET__COUNT;
}

const char *parn_net_name(parn_net_kind kind)
{
    return kind >= 0 && kind < PARN_NET__COUNT ? net_names[kind] : NULL;
}

static int net_of_name(const char *name, size_t len)
{
    for (int k = 0; k < PARN_NET__COUNT; k++)
        if (strlen(net_names[k]) == len && strncmp(net_names[k], name, len) == 0) return k;
    return -1;
}

/* ---- tensor store ---------------------------------------------------------------------- */

int parn_model_find(const parn_model_t *m, const char *name)
{
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return i;
    return -1;
}

static parn_status add_entry(parn_model_t *m, const char *name, int *index)
{
    PARN_RETURN_IF(parn_model_find(m, name) >= 0, PARN_E_FORMAT, "model: tensor '%s' appears twice", name);
    if (m->n_tensors == m->cap) {
        int cap = m->cap ? 2 * m->cap : 64;
        parn_model_tensor *t = parn__realloc(m->tensors, (size_t)cap * sizeof *t);
        PARN_RETURN_IF(!t, PARN_E_NOMEM, "model: out of memory");
        m->tensors = t;
        m->cap = cap;
    }
    parn_model_tensor *e = &m->tensors[m->n_tensors];
    memset(e, 0, sizeof *e);
    e->name = parn__strdup(name);
    PARN_RETURN_IF(!e->name, PARN_E_NOMEM, "model: out of memory");
    *index = m->n_tensors++;
    return PARN_OK;
}

parn_status parn_model_add(parn_model_t *m, const char *name, int ndim, const int64_t *dims,
                           int *index)
{
    int i;
    PARN_TRY(add_entry(m, name, &i));
    parn_tensor *t = &m->tensors[i].t;
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->dims[d] = dims[d];
    parn_tensor_set_plain(t);
    size_t bytes = (size_t)parn_tensor_numel(t) * sizeof(float);
    t->data = parn__aligned_alloc(bytes);
    if (!t->data) {
        parn__free(m->tensors[i].name);
        m->n_tensors--;
        return parn__fail(PARN_E_NOMEM, "model: out of memory for '%s'", name);
    }
    memset(t->data, 0, bytes);
    m->tensors[i].owned = true;
    *index = i;
    return PARN_OK;
}

/* ---- lifetime -------------------------------------------------------------------------- */

static parn_model_t *model_new(void)
{
    parn_model_t *m = parn__calloc(1, sizeof *m);
    if (!m) return NULL;
    parn_generator_default(&m->generator);
    parn_discriminator_default(&m->discriminator);
    parn_fem_default(&m->fem);
    parn_c3d_default(&m->c3d);
    return m;
}

void parn_model_destroy(parn_model_t *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_tensors; i++) {
        if (m->tensors[i].owned) parn__free(m->tensors[i].t.data);
        parn__free(m->tensors[i].name);
    }
    parn__free(m->tensors);
    parn_c3d_config_free(&m->c3d);
    parn_st_close(m->file);
    parn__free(m->description);
    parn__free(m);
}

/* ---- configurations as JSON -------------------------------------------------------------- */

static parn_status config_from_json(parn_model_t *m, parn_net_kind k, const cJSON *j)
{
    switch (k) {
    case PARN_NET_GENERATOR: return parn_generator_from_json(j, &m->generator);
    case PARN_NET_DISCRIMINATOR: return parn_discriminator_from_json(j, &m->discriminator);
    case PARN_NET_FEM: return parn_fem_from_json(j, &m->fem);
    case PARN_NET_C3D: parn_c3d_config_free(&m->c3d); return parn_c3d_from_json(j, &m->c3d);
    default: return PARN_OK; /* face networks: configured by their converter */
    }
}

static cJSON *config_to_json(const parn_model_t *m, parn_net_kind k)
{
    switch (k) {
    case PARN_NET_GENERATOR: return parn_generator_to_json(&m->generator);
    case PARN_NET_DISCRIMINATOR: return parn_discriminator_to_json(&m->discriminator);
    case PARN_NET_FEM: return parn_fem_to_json(&m->fem);
    case PARN_NET_C3D: return parn_c3d_to_json(&m->c3d);
    default: return cJSON_CreateObject();
    }
}

/* Applies {"net": {...}, ...} to the configurations of the networks it names. */
static parn_status apply_configs(parn_model_t *m, const char *json, bool mark_present)
{
    cJSON *root = cJSON_Parse(json);
    PARN_RETURN_IF(!root, PARN_E_INVALID_ARG, "model configuration is not valid JSON");
    parn_status st = cJSON_IsObject(root) ? PARN_OK
                                          : parn__fail(PARN_E_INVALID_ARG, "model configuration is not a JSON object");
    for (const cJSON *it = st == PARN_OK ? root->child : NULL; it && st == PARN_OK; it = it->next) {
        int k = net_of_name(it->string, strlen(it->string));
        if (k < 0) {
            st = parn__fail(PARN_E_INVALID_ARG, "model configuration names an unknown network '%s'", it->string);
            break;
        }
        if (!cJSON_IsObject(it)) {
            st = parn__fail(PARN_E_INVALID_ARG, "configuration of '%s' is not an object", it->string);
            break;
        }
        st = config_from_json(m, (parn_net_kind)k, it);
        if (mark_present) m->has[k] = true;
    }
    cJSON_Delete(root);
    return st;
}

/* ---- building every network once: creation and validation ------------------------------- */

static int input(parn_graph *g, int ndim, const int64_t *dims)
{
    return parn_graph_input(g, "x", ndim, dims);
}

static void build_generator(parn_graph *g, parn_model_t *m)
{
    const parn_generator_config *c = &m->generator;
    int64_t img[] = {1, c->channels, c->size, c->size}, mask[] = {1, 1, c->size, c->size};
    int64_t noise[] = {1, c->noise_dim};
    parn_net net = parn_net_make(g, m, "generator.", false);
    parn_generator_build(&net, c, input(g, 4, img), input(g, 4, mask),
                         c->temporal ? input(g, 4, img) : -1, c->noise_dim ? input(g, 2, noise) : -1);
    parn_net_release(&net);
}

static void build_discriminator(parn_graph *g, parn_model_t *m)
{
    const parn_discriminator_config *c = &m->discriminator;
    int64_t clip[] = {1, c->channels, c->frames, c->size, c->size};
    int patch;
    parn_net net = parn_net_make(g, m, "discriminator.", false);
    parn_discriminator_build(&net, c, input(g, 5, clip), &patch);
    parn_net_release(&net);
}

/* C3D with the FEM when both are present; either alone otherwise. */
static void build_classifier(parn_graph *g, parn_model_t *m)
{
    parn_net fem = parn_net_make(g, m, "fem.", false), c3d = parn_net_make(g, m, "c3d.", false);
    if (m->has[PARN_NET_C3D]) {
        const parn_c3d_config *c = &m->c3d;
        int64_t clip[] = {1, 3, c->frames, c->crop, c->crop};
        bool with_fem = m->has[PARN_NET_FEM] && c->fem_after > 0;
        parn_c3d_build(&c3d, c, input(g, 5, clip), with_fem ? &fem : NULL, &m->fem, NULL);
    }
    if (m->has[PARN_NET_FEM] && !(m->has[PARN_NET_C3D] && m->c3d.fem_after > 0)) {
        int64_t feat[] = {1, m->fem.channels, 2, 4, 4};
        parn_fem_build(&fem, &m->fem, input(g, 5, feat), NULL);
    }
    parn_net_release(&fem);
    parn_net_release(&c3d);
}

static bool has_prefix(const parn_model_t *m, const char *prefix)
{
    for (int i = 0; i < m->n_tensors; i++)
        if (strncmp(m->tensors[i].name, prefix, strlen(prefix)) == 0) return true;
    return false;
}

/* The face networks at a fixed input size: the detectors present, and the embedder. */
static void build_faces(parn_graph *g, parn_model_t *m)
{
    int64_t tiny[] = {1, 3, 416, 416}, ssd[] = {1, 3, PARN_FACE_SSD_INPUT, PARN_FACE_SSD_INPUT};
    int64_t face[] = {1, 3, 150, 150};
    int scores;
    parn_net net = parn_net_make(g, m, "detector.tiny.", false);
    if (m->has[PARN_NET_DETECTOR] && has_prefix(m, "detector.tiny.")) parn_face_tiny_build(&net, input(g, 4, tiny));
    parn_net_release(&net);
    net = parn_net_make(g, m, "detector.ssd.", false);
    if (m->has[PARN_NET_DETECTOR] && has_prefix(m, "detector.ssd.")) parn_face_ssd_build(&net, input(g, 4, ssd), &scores);
    parn_net_release(&net);
    net = parn_net_make(g, m, "embedder.", false);
    if (m->has[PARN_NET_EMBEDDER]) parn_face_embedder_build(&net, input(g, 4, face));
    parn_net_release(&net);
}

/* Every tensor under a buildable network's prefix must be used by it. */
static parn_status check_all_used(const parn_model_t *m, const bool *used)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const char *name = m->tensors[i].name, *dot = strchr(name, '.');
        int k = dot ? net_of_name(name, (size_t)(dot - name)) : -1;
        PARN_RETURN_IF(k >= 0 && buildable((parn_net_kind)k) && !used[i], PARN_E_FORMAT,
                       "model: tensor '%s' is not part of the %s network", name, net_names[k]);
    }
    return PARN_OK;
}

/* Builds each present network on a scratch graph: while initializing this creates the
 * tensors; afterwards it proves that the tensors fit the configurations exactly. */
static parn_status build_all(parn_model_t *m)
{
    parn_graph *g = parn_graph_create();
    PARN_RETURN_IF(!g, PARN_E_NOMEM, "model: out of memory");
    if (m->has[PARN_NET_GENERATOR]) build_generator(g, m);
    if (m->has[PARN_NET_DISCRIMINATOR]) build_discriminator(g, m);
    if (m->has[PARN_NET_FEM] || m->has[PARN_NET_C3D]) build_classifier(g, m);
    if (m->has[PARN_NET_DETECTOR] || m->has[PARN_NET_EMBEDDER]) build_faces(g, m);
    parn_status st = parn_graph_status(g);
    if (st != PARN_OK) st = parn__fail(st, "%s", parn_graph_error(g));
    bool *used = st == PARN_OK ? parn__calloc((size_t)(m->n_tensors + 1), sizeof *used) : NULL;
    if (st == PARN_OK && !used) st = parn__fail(PARN_E_NOMEM, "model: out of memory");
    for (int i = 0; st == PARN_OK && i < parn_graph_size(g); i++) {
        parn_node *n = parn_graph_node(g, i);
        int idx = n->op == PARN_OP_INPUT || n->op == PARN_OP_PARAM ? parn_model_find(m, n->name) : -1;
        if (idx >= 0) used[idx] = true;
    }
    if (st == PARN_OK) st = check_all_used(m, used);
    parn__free(used);
    parn_graph_destroy(g);
    return st;
}

/* ---- description ------------------------------------------------------------------------- */

static parn_status describe(parn_model_t *m)
{
    cJSON *root = cJSON_CreateObject(), *nets = cJSON_AddObjectToObject(root, "networks");
    int64_t params = 0;
    for (int i = 0; i < m->n_tensors; i++) params += parn_tensor_numel(&m->tensors[i].t);
    bool ok = root && nets && cJSON_AddNumberToObject(root, "format", FORMAT_VERSION);
    for (int k = 0; k < PARN_NET__COUNT && ok; k++)
        if (m->has[k]) ok = cJSON_AddItemToObject(nets, net_names[k], config_to_json(m, (parn_net_kind)k));
    ok = ok && cJSON_AddNumberToObject(root, "tensors", m->n_tensors) &&
         cJSON_AddNumberToObject(root, "parameters", (double)params);
    cJSON *classes = ok ? cJSON_AddArrayToObject(root, "classes") : NULL;
    for (int i = 0; classes && i < parn_model_num_classes(m); i++)
        cJSON_AddItemToArray(classes, cJSON_CreateString(parn_model_class_name(m, i)));
    char *json = classes ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    PARN_RETURN_IF(!json, PARN_E_NOMEM, "model: out of memory describing the model");
    parn__free(m->description);
    m->description = parn__strdup(json);
    cJSON_free(json);
    PARN_RETURN_IF(!m->description, PARN_E_NOMEM, "model: out of memory describing the model");
    return PARN_OK;
}

/* ---- create ---------------------------------------------------------------------------- */

static parn_status select_networks(parn_model_t *m, const char *list)
{
    PARN_RETURN_IF(!list || !*list, PARN_E_INVALID_ARG, "model: no networks requested");
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int k = net_of_name(p, len);
        PARN_RETURN_IF(k < 0 || k > PARN_NET_C3D, PARN_E_INVALID_ARG,
                       "model: cannot create network '%.*s' (generator, discriminator, fem, c3d)",
                       (int)len, p);
        m->has[k] = true;
        p += len + (p[len] == ',');
    }
    return PARN_OK;
}

/* The per-network JSON configuration of a new model, with the class options filled into the
 * C3D part unless the JSON sets them itself. */
static parn_status configure(parn_model_t *m, const parn_options_t *opts)
{
    cJSON *root = cJSON_Parse(parn__opt_string(opts, PARN_OPT_MODEL_CONFIG));
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return parn__fail(PARN_E_INVALID_ARG, "model configuration is not a JSON object");
    }
    cJSON *c3d = cJSON_GetObjectItem(root, "c3d");
    if (!c3d) c3d = cJSON_AddObjectToObject(root, "c3d");
    bool ok = cJSON_IsObject(c3d);
    if (ok && !cJSON_GetObjectItem(c3d, "classes"))
        ok = cJSON_AddNumberToObject(c3d, "classes", (double)parn__opt_int(opts, PARN_OPT_CLASSES));
    const char *names = parn__opt_string(opts, PARN_OPT_CLASS_NAMES);
    if (ok && names && *names && !cJSON_GetObjectItem(c3d, "class_names")) {
        cJSON *arr = cJSON_AddArrayToObject(c3d, "class_names");
        ok = arr != NULL;
        for (const char *p = names; ok && *p;) {
            size_t len = strcspn(p, ",");
            char *name = parn__malloc(len + 1);
            ok = name != NULL;
            if (ok) {
                memcpy(name, p, len);
                name[len] = '\0';
                ok = cJSON_AddItemToArray(arr, cJSON_CreateString(name));
            }
            parn__free(name);
            p += len + (p[len] == ',');
        }
    }
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    PARN_RETURN_IF(!json, PARN_E_INVALID_ARG, "model configuration: 'c3d' is not an object");
    parn_status st = apply_configs(m, json, false);
    cJSON_free(json);
    return st;
}

parn_status parn_model_create(const parn_options_t *opts, parn_model_t **out)
{
    PARN_RETURN_IF(!out, PARN_E_INVALID_ARG, "parn_model_create: out is NULL");
    parn_model_t *m = model_new();
    PARN_RETURN_IF(!m, PARN_E_NOMEM, "parn_model_create: out of memory");
    parn_status st = select_networks(m, parn__opt_string(opts, PARN_OPT_NETWORKS));
    if (st == PARN_OK) st = configure(m, opts);
    if (st == PARN_OK) {
        parn__rng_seed(&m->rng, (uint64_t)parn__opt_int(opts, PARN_OPT_SEED));
        m->initializing = true;
        st = build_all(m);
        m->initializing = false;
    }
    if (st == PARN_OK) st = describe(m);
    if (st != PARN_OK) {
        parn_model_destroy(m);
        return st;
    }
    *out = m;
    return PARN_OK;
}

/* ---- load ------------------------------------------------------------------------------ */

static parn_status read_metadata(parn_model_t *m, const parn_st_file *f)
{
    const char *format = parn_st_metadata(f, "parn.format");
    if (format) {
        char *end;
        long v = strtol(format, &end, 10);
        PARN_RETURN_IF(*end || v < 1, PARN_E_FORMAT, "model: bad parn.format '%.16s'", format);
        PARN_RETURN_IF(v > FORMAT_VERSION, PARN_E_UNSUPPORTED,
                       "model: format %ld is newer than this libparn reads (%d)", v, FORMAT_VERSION);
    }
    const char *config = parn_st_metadata(f, "parn.config");
    if (!config) return PARN_OK;
    parn_status st = apply_configs(m, config, true);
    if (st != PARN_OK) return parn__fail(st == PARN_E_INVALID_ARG ? PARN_E_FORMAT : st, "model: %s", parn__thread_error());
    return PARN_OK;
}

static bool all_finite(const parn_tensor *t)
{
    int64_t n = parn_tensor_numel(t);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(t->data[i])) return false;
    return true;
}

/* Takes the file's tensors: known network prefixes only; BatchNorm's step counters and a
 * checkpoint's training state (PARN_TRAIN_PREFIX) skipped. */
static parn_status take_tensors(parn_model_t *m, const parn_st_file *f)
{
    for (int i = 0; i < parn_st_count(f); i++) {
        const char *name = parn_st_name(f, i), *dot = strchr(name, '.');
        if (strncmp(name, PARN_TRAIN_PREFIX, strlen(PARN_TRAIN_PREFIX)) == 0) continue; /* a checkpoint's state */
        int k = dot ? net_of_name(name, (size_t)(dot - name)) : -1;
        PARN_RETURN_IF(k < 0, PARN_E_FORMAT, "model: tensor '%s' belongs to no network (%s)", name,
                       "generator., discriminator., fem., c3d., detector., embedder.");
        const char *suffix = strrchr(name, '.');
        if (strcmp(suffix, ".num_batches_tracked") == 0) continue;
        parn_tensor t;
        PARN_TRY(parn_st_get(f, name, &t));
        PARN_RETURN_IF(!all_finite(&t), PARN_E_FORMAT, "model: tensor '%s' holds NaN or infinity", name);
        int idx;
        PARN_TRY(add_entry(m, name, &idx));
        m->tensors[idx].t = t;
        m->has[k] = true;
    }
    return PARN_OK;
}

parn_status parn_model_load(const char *path, parn_model_t **out)
{
    PARN_RETURN_IF(!path || !out, PARN_E_INVALID_ARG, "parn_model_load: NULL argument");
    parn_model_t *m = model_new();
    PARN_RETURN_IF(!m, PARN_E_NOMEM, "parn_model_load: out of memory");
    parn_status st = parn_st_open(path, &m->file);
    if (st == PARN_OK) st = read_metadata(m, m->file);
    if (st == PARN_OK) st = take_tensors(m, m->file);
    if (st == PARN_OK) st = build_all(m);
    if (st == PARN_OK) st = describe(m);
    if (st != PARN_OK) {
        parn_model_destroy(m);
        return parn__fail(st, "%s: %s", path, parn__thread_error());
    }
    *out = m;
    return PARN_OK;
}

/* ---- save ------------------------------------------------------------------------------ */

cJSON *parn_model_metadata(const parn_model_t *m)
{
    cJSON *meta = cJSON_CreateObject(), *configs = cJSON_CreateObject();
    bool ok = meta && configs;
    for (int k = 0; k < PARN_NET__COUNT && ok; k++)
        if (m->has[k]) ok = cJSON_AddItemToObject(configs, net_names[k], config_to_json(m, (parn_net_kind)k));
    char *json = ok ? cJSON_PrintUnformatted(configs) : NULL;
    ok = json && cJSON_AddStringToObject(meta, "parn.format", "1") &&
         cJSON_AddStringToObject(meta, "parn.config", json);
    cJSON_free(json);
    cJSON_Delete(configs);
    if (!ok) {
        cJSON_Delete(meta);
        return NULL;
    }
    return meta;
}

parn_status parn_model_save(const parn_model_t *m, const char *path)
{
    PARN_RETURN_IF(!m || !path, PARN_E_INVALID_ARG, "parn_model_save: NULL argument");
    cJSON *meta = parn_model_metadata(m);
    parn_st_entry *e = parn__malloc((size_t)(m->n_tensors + 1) * sizeof *e);
    parn_status st = meta && e ? PARN_OK : parn__fail(PARN_E_NOMEM, "parn_model_save: out of memory");
    for (int i = 0; st == PARN_OK && i < m->n_tensors; i++)
        e[i] = (parn_st_entry){m->tensors[i].name, &m->tensors[i].t};
    if (st == PARN_OK) st = parn_st_write(path, e, m->n_tensors, meta);
    parn__free(e);
    cJSON_Delete(meta);
    return st;
}

/* ---- inspection ------------------------------------------------------------------------ */

const char *parn_model_describe(const parn_model_t *m)
{
    return m ? m->description : NULL;
}

int parn_model_has_network(const parn_model_t *m, const char *network)
{
    if (!m || !network) return 0;
    int k = net_of_name(network, strlen(network));
    return k >= 0 && m->has[k];
}

int parn_model_num_classes(const parn_model_t *m)
{
    return m && m->has[PARN_NET_C3D] ? m->c3d.classes : 0;
}

int parn_model_clip_length(const parn_model_t *m)
{
    return m && m->has[PARN_NET_C3D] ? m->c3d.frames : 0;
}

const char *parn_model_class_name(const parn_model_t *m, int i)
{
    if (i < 0 || i >= parn_model_num_classes(m) || !m->c3d.class_names) return NULL;
    return m->c3d.class_names[i];
}

/* ---- import -------------------------------------------------------------------------- */

/* face-api.js's model folder: each network from its own TF.js manifest. */
static parn_status import_faceapi(parn_model_t *m, const char *dir)
{
    static const struct {
        const char *manifest;
        parn_status (*import)(parn_model_t *, const parn_tfjs *);
    } parts[] = {
        {"tiny_face_detector_model-weights_manifest.json", parn_face_tiny_import},
        {"ssd_mobilenetv1_model-weights_manifest.json", parn_face_ssd_import},
        {"face_recognition_model-weights_manifest.json", parn_face_embedder_import},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char path[4096];
        PARN_RETURN_IF(snprintf(path, sizeof path, "%s/%s", dir, parts[i].manifest) >= (int)sizeof path,
                       PARN_E_INVALID_ARG, "import: path '%s' is too long", dir);
        parn_tfjs *w = NULL;
        PARN_TRY(parn_tfjs_load(path, &w));
        parn_status st = parts[i].import(m, w);
        parn_tfjs_free(w);
        PARN_TRY(st);
    }
    return PARN_OK;
}

parn_status parn_model_import(const char *format, const char *path, parn_model_t **out)
{
    PARN_RETURN_IF(!format || !path || !out, PARN_E_INVALID_ARG, "parn_model_import: NULL argument");
    PARN_RETURN_IF(strcmp(format, "face-api") != 0, PARN_E_INVALID_ARG,
                   "parn_model_import: unknown format '%s' (face-api)", format);
    parn_model_t *m = model_new();
    PARN_RETURN_IF(!m, PARN_E_NOMEM, "parn_model_import: out of memory");
    parn_status st = import_faceapi(m, path);
    if (st == PARN_OK) st = build_all(m);
    if (st == PARN_OK) st = describe(m);
    if (st != PARN_OK) {
        parn_model_destroy(m);
        return st;
    }
    *out = m;
    return PARN_OK;
}

/* ---- assembling models from networks (trainers) ------------------------------------------ */

parn_model_t *parn_model_alloc(void)
{
    return model_new();
}

/* dst's configuration of network k becomes a deep copy of src's (a JSON round trip). */
static parn_status copy_config(parn_model_t *dst, const parn_model_t *src, parn_net_kind k)
{
    cJSON *j = config_to_json(src, k);
    PARN_RETURN_IF(!j, PARN_E_NOMEM, "model: out of memory copying the %s configuration", net_names[k]);
    parn_status st = config_from_json(dst, k, j);
    cJSON_Delete(j);
    return st;
}

parn_status parn_model_copy_network(parn_model_t *dst, const parn_model_t *src, parn_net_kind k)
{
    PARN_RETURN_IF(!dst || !src || !buildable(k), PARN_E_INVALID_ARG, "model: bad network copy");
    PARN_RETURN_IF(!src->has[k], PARN_E_NOT_FOUND, "model: no %s network to copy", net_names[k]);
    PARN_RETURN_IF(dst->has[k], PARN_E_STATE, "model: the %s network is already there", net_names[k]);
    PARN_TRY(copy_config(dst, src, k));
    size_t len = strlen(net_names[k]);
    for (int i = 0; i < src->n_tensors; i++) {
        const parn_model_tensor *e = &src->tensors[i];
        if (strncmp(e->name, net_names[k], len) != 0 || e->name[len] != '.') continue;
        int idx;
        PARN_TRY(parn_model_add(dst, e->name, e->t.ndim, e->t.dims, &idx));
        parn_tensor_copy(&dst->tensors[idx].t, &e->t);
    }
    dst->has[k] = true;
    return PARN_OK;
}

parn_status parn_model_finish(parn_model_t *m)
{
    PARN_RETURN_IF(!m, PARN_E_INVALID_ARG, "model: NULL model");
    PARN_TRY(build_all(m));
    return describe(m);
}
