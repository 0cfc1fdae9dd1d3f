/* SPDX-License-Identifier: MIT */
/* Private to lib/train/data: the dataset object, its indexers, item makers and loader. */
#ifndef PARN_DATA_IMPL_H
#define PARN_DATA_IMPL_H

#include "dataset.h"

#include "pipeline/clip.h"

#include <cjson/cJSON.h>
#include <pthread.h>

/* One item of the stream. */
typedef struct data_item {
    char *path;     /* the picture or video (NULL for synthetic clips) */
    int label;      /* class index */
    float box[4];   /* faces: the face in picture pixels (w <= 0: none, the centred square) */
    int track;      /* face-videos: the face track (index into tracks); else -1 */
    int pos;        /* face-videos: the item's position in its track */
    int64_t frames; /* videos: decoded frame count, -1 until a worker has counted it */
} data_item;

/* face-videos: one face followed through consecutive detections of a video. */
typedef struct face_track {
    int64_t *frame; /* frame index of each position */
    float *box;     /* 4 floats per position */
    int n;
} face_track;

/* What one thread needs to make items (the caller's and each loader worker's own). */
typedef struct data_ctx {
    parn_clip_prep *prep;
    int64_t order_epoch; /* the epoch whose permutation order holds, -1 for none */
    int64_t *order;
} data_ctx;

typedef struct data_loader data_loader;

struct parn_dataset {
    parn_data_kind kind;
    const char *kind_name;
    char *root;
    uint64_t seed;
    data_item *items;
    int64_t n_items, cap_items;
    char **classes;
    int n_classes, cap_classes;
    face_track *tracks;
    int n_tracks, cap_tracks;
    /* settings from the config */
    float margin, jitter;   /* faces */
    int64_t faceless;       /* faces: pictures where the detector found nothing */
    int synth_width, synth_height; /* synthetic */
    uint64_t synth_stream;  /* train / test seed streams */
    int workers, prefetch;
    pthread_mutex_t count_lock; /* guards data_item.frames */
    data_ctx sync;          /* the caller's */
    data_loader *loader;    /* made on the first batch when workers > 0 */
};

/* ---- dataset.c -------------------------------------------------------------------------------- */

/* Appends an item (path copied; NULL allowed) / a class name (copied); returns its index or -1
 * (out of memory, message recorded). */
int64_t parn__data_add_item(parn_dataset_t *d, const char *path, int label);
int parn__data_add_class(parn_dataset_t *d, const char *name);
/* The class index of name, adding it when new; -1 when out of memory. */
int parn__data_class_of(parn_dataset_t *d, const char *name);
/* Sorts the classes by name and relabels the items. */
parn_status parn__data_sort_classes(parn_dataset_t *d);

/* Floats of one item's pixels for spec (3 x frames x size x size). */
size_t parn__data_item_floats(const parn_batch_spec *s);

/* Computes batch b into caller buffers with ctx (no loader). */
parn_status parn__data_compute(parn_dataset_t *d, data_ctx *ctx, const parn_batch_spec *s,
                               int64_t b, float *x, float *labels, float *boxes);

parn_status parn__data_ctx_init(data_ctx *c);
void parn__data_ctx_free(data_ctx *c);

/* ---- config (dataset.c) ----------------------------------------------------------------------- */

/* Typed reads of a config key (absent: *out keeps its default); PARN_E_INVALID_ARG naming the
 * key when the value has another type or lies outside [lo, hi] / the choices. */
parn_status parn__cfg_int(const cJSON *cfg, const char *key, int64_t lo, int64_t hi, int64_t *out);
parn_status parn__cfg_float(const cJSON *cfg, const char *key, double lo, double hi, double *out);
parn_status parn__cfg_bool(const cJSON *cfg, const char *key, bool *out);
/* choices: NULL-terminated list, or NULL for any string; *out points into cfg. */
parn_status parn__cfg_string(const cJSON *cfg, const char *key, const char *const *choices,
                             const char **out);

/* ---- files.c: folder walks ---------------------------------------------------------------------- */

/* Calls fn(path, user) for each regular file under root (any depth, sorted by name, hidden
 * entries skipped). PARN_E_NOT_FOUND / PARN_E_IO when root cannot be read. */
typedef parn_status (*parn_file_fn)(const char *path, void *user);
parn_status parn__walk_files(const char *root, parn_file_fn fn, void *user);
/* True when the file starts like a picture FFmpeg decodes (JPEG, PNG, GIF, PNM, BMP, WebP, TIFF),
 * whatever its name. */
bool parn__is_picture(const char *path);
/* True when the name ends with a common video extension. */
bool parn__is_video_name(const char *path);
/* malloc'd "a/b" (NULL when out of memory, message recorded). */
char *parn__path_join(const char *a, const char *b);

/* ---- index_*.c: fill the items and classes at open -------------------------------------------- */

parn_status parn__index_faces(parn_dataset_t *d, const cJSON *cfg, const parn_options_t *opts);
parn_status parn__index_face_videos(parn_dataset_t *d, const cJSON *cfg,
                                    const parn_options_t *opts);
parn_status parn__index_actions(parn_dataset_t *d, const cJSON *cfg);
parn_status parn__index_hollywood2(parn_dataset_t *d, const cJSON *cfg);
parn_status parn__index_synthetic(parn_dataset_t *d, const cJSON *cfg);

/* A CPU session with opts' face keys (PARN_OPT_FACE_MODEL, PARN_OPT_DETECTOR,
 * PARN_OPT_DETECTOR_THRESHOLD, PARN_OPT_DETECTOR_INPUT_SIZE, PARN_OPT_THREADS) for harvesting. */
parn_status parn__data_detector_session(const parn_options_t *opts, parn_session_t **out);

/* ---- item makers: one item of batch spec s into x (and box: frames x 4 floats, clips only) --- */

/* faces (face_crops.c): frames x 3 x size x size. */
parn_status parn__item_face(parn_dataset_t *d, data_ctx *c, const parn_batch_spec *s,
                            const data_item *it, parn_rng *rng, float *x);
/* clips (clips.c): 3 x frames x size x size, from a video file. */
parn_status parn__item_video_clip(parn_dataset_t *d, data_ctx *c, const parn_batch_spec *s,
                                  data_item *it, parn_rng *rng, float *x);
/* synthetic clips (synthetic.c), with the main face's boxes in crop pixels. */
parn_status parn__item_synthetic(parn_dataset_t *d, data_ctx *c, const parn_batch_spec *s,
                                 int64_t item, parn_rng *rng, float *x, float *box);

/* The crop geometry and flip of a clip: centred without augment, else random (draws from rng
 * in a fixed order). */
parn_clip_geometry parn__clip_crop(const parn_batch_spec *s, parn_rng *rng, bool *flip);
/* Mirrors each of the n planes of side x side floats left to right. */
void parn__flip_planes(float *x, int n, int side);

/* ---- loader.c ----------------------------------------------------------------------------------- */

parn_status parn__loader_create(parn_dataset_t *d, int workers, int depth, data_loader **out);
/* Joins the workers and frees everything. */
void parn__loader_destroy(data_loader *l);
parn_status parn__loader_batch(data_loader *l, const parn_batch_spec *s, int64_t b, float *x,
                               float *labels, float *boxes);

/* A 64-bit mix of a and b (splitmix64 finaliser), for seeds of items, epochs and clips. */
uint64_t parn__data_mix(uint64_t a, uint64_t b);

#endif
