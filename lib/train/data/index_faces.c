/* SPDX-License-Identifier: MIT */
/* Face datasets at open: pictures under a folder tree (class = folder or file-name prefix), each
 * with its best detected face, and face tracks harvested from videos with the detector. */
#include "data_impl.h"

#include "core/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FACES 100
#define TRACK_IOU 0.3f /* a detection continues a track when it overlaps its last box this much */

parn_status parn__data_detector_session(const parn_options_t *opts, parn_session_t **out)
{
    parn_options_t *o = NULL;
    PARN_TRY(parn_options_create(&o));
    parn_status st = parn__options_merge(o, opts);
    if (st == PARN_OK) st = parn_options_set_string(o, PARN_OPT_DEVICE, "cpu");
    if (st == PARN_OK) st = parn_session_create(NULL, o, out);
    parn_options_destroy(o);
    return st;
}

/* ---- pictures ----------------------------------------------------------------------------------- */

typedef struct picture_walk {
    parn_dataset_t *d;
    bool prefix;           /* class from the file name's prefix, else from its folder */
    size_t root_len;
    const char *root_name; /* the class of pictures right under the root */
    char **wanted;         /* "subset": "pairs": the pictures pairs.txt names, sorted */
    size_t n_wanted, cap_wanted;
} picture_walk;

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds <root>/<name>/<name>_<number, 4 digits>.jpg to the wanted pictures. */
static parn_status want(picture_walk *w, const char *name, const char *number)
{
    char *end = NULL;
    long n = strtol(number, &end, 10);
    PARN_RETURN_IF(*end || n < 0 || n > 99999, PARN_E_FORMAT, "dataset: pairs.txt: bad number '%s'",
                   number);
    if (w->n_wanted == w->cap_wanted) {
        size_t cap = w->cap_wanted ? 2 * w->cap_wanted : 256;
        char **grown = parn__realloc(w->wanted, cap * sizeof *grown);
        PARN_RETURN_IF(!grown, PARN_E_NOMEM, "dataset: out of memory");
        w->wanted = grown;
        w->cap_wanted = cap;
    }
    char path[2048];
    snprintf(path, sizeof path, "%s/%s/%s_%04ld.jpg", w->d->root, name, name, n);
    PARN_RETURN_IF(!(w->wanted[w->n_wanted] = parn__strdup(path)), PARN_E_NOMEM,
                   "dataset: out of memory");
    w->n_wanted++;
    return PARN_OK;
}

/* LFW's pairs.txt: a header line, then "name n1 n2" (same person) or "name1 n1 name2 n2". */
static parn_status read_pairs(picture_walk *w, const char *path)
{
    FILE *fp = fopen(path, "r");
    PARN_RETURN_IF(!fp, PARN_E_NOT_FOUND, "dataset: pairs file '%s' not found", path);
    char line[1024], a[256], b[256], c[256], e[256];
    parn_status st = PARN_OK;
    for (int no = 1; st == PARN_OK && fgets(line, sizeof line, fp); no++) {
        int n = sscanf(line, "%255s %255s %255s %255s", a, b, c, e);
        if (no == 1 || n <= 0) continue; /* the header: folds and pairs per fold */
        if (n == 3) {
            st = want(w, a, b);
            if (st == PARN_OK) st = want(w, a, c);
        } else if (n == 4) {
            st = want(w, a, b);
            if (st == PARN_OK) st = want(w, c, e);
        } else {
            st = parn__fail(PARN_E_FORMAT, "dataset: %s:%d: expected 3 or 4 fields", path, no);
        }
    }
    fclose(fp);
    if (st == PARN_OK) { /* sorted, each picture once (it may be in several pairs) */
        if (w->n_wanted) qsort(w->wanted, w->n_wanted, sizeof *w->wanted, by_string);
        size_t kept = 0;
        for (size_t i = 0; i < w->n_wanted; i++)
            if (kept && strcmp(w->wanted[i], w->wanted[kept - 1]) == 0) parn__free(w->wanted[i]);
            else w->wanted[kept++] = w->wanted[i];
        w->n_wanted = kept;
    }
    PARN_RETURN_IF(st == PARN_OK && w->n_wanted == 0, PARN_E_FORMAT, "dataset: '%s' lists no pair",
                   path);
    return st;
}

static void free_wanted(picture_walk *w)
{
    for (size_t i = 0; i < w->n_wanted; i++) parn__free(w->wanted[i]);
    parn__free(w->wanted);
}

/* The class of path: its folder relative to the root, or its name up to the first '.' or '_'. */
static int class_of_picture(picture_walk *w, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    char buf[1024];
    if (w->prefix) {
        size_t n = strcspn(name, "._");
        snprintf(buf, sizeof buf, "%.*s", (int)(n ? n : strlen(name)), name);
    } else if (slash && (size_t)(slash - path) > w->root_len) {
        const char *rel = path + w->root_len + 1;
        snprintf(buf, sizeof buf, "%.*s", (int)(slash - rel), rel);
    } else {
        snprintf(buf, sizeof buf, "%s", w->root_name);
    }
    return parn__data_class_of(w->d, buf);
}

static parn_status add_picture(const char *path, void *user)
{
    picture_walk *w = user;
    if (w->wanted && !bsearch(&path, w->wanted, w->n_wanted, sizeof *w->wanted, by_string))
        return PARN_OK;
    if (!parn__is_picture(path)) return PARN_OK;
    int label = class_of_picture(w, path);
    if (label < 0) return PARN_E_NOMEM;
    return parn__data_add_item(w->d, path, label) < 0 ? PARN_E_NOMEM : PARN_OK;
}

/* The best face of each picture (kept in the item; none: w = 0, the centred square). */
static parn_status detect_pictures(parn_dataset_t *d, const parn_options_t *opts)
{
    parn_session_t *s = NULL;
    PARN_TRY(parn__data_detector_session(opts, &s));
    parn_status st = PARN_OK;
    for (int64_t i = 0; i < d->n_items && st == PARN_OK; i++) {
        parn_frame_t *f = NULL;
        float box[5];
        int n = 0;
        st = parn_image_load(d->items[i].path, &f);
        if (st == PARN_OK) st = parn_faces_detect(s, f, box, 1, &n);
        if (st != PARN_OK && !strstr(parn_last_error(NULL), d->items[i].path))
            st = parn__fail(st, "dataset: '%s': %s", d->items[i].path, parn_last_error(NULL));
        if (st == PARN_OK && n == 1) memcpy(d->items[i].box, box, sizeof d->items[i].box);
        else if (st == PARN_OK) d->faceless++;
        parn_frame_free(&f);
    }
    parn_session_destroy(s);
    if (st == PARN_OK && d->faceless)
        parn__log(PARN_LOG_INFO, "dataset '%s': no face found in %lld of %lld pictures (centred "
                  "squares used)", d->root, (long long)d->faceless, (long long)d->n_items);
    return st;
}

/* margin and jitter, shared by both face kinds */
static parn_status crop_settings(parn_dataset_t *d, const cJSON *cfg)
{
    double margin = 0.25, jitter = 0.05;
    PARN_TRY(parn__cfg_float(cfg, "margin", 0.0, 2.0, &margin));
    PARN_TRY(parn__cfg_float(cfg, "jitter", 0.0, 0.5, &jitter));
    d->margin = (float)margin;
    d->jitter = (float)jitter;
    return PARN_OK;
}

parn_status parn__index_faces(parn_dataset_t *d, const cJSON *cfg, const parn_options_t *opts)
{
    static const char *const from[] = {"folder", "prefix", NULL}, *const subsets[] = {"all", "pairs", NULL};
    const char *class_from = "folder", *subset = "all", *pairs = NULL;
    bool detect = true;
    PARN_TRY(crop_settings(d, cfg));
    PARN_TRY(parn__cfg_bool(cfg, "detect", &detect));
    PARN_TRY(parn__cfg_string(cfg, "class_from", from, &class_from));
    PARN_TRY(parn__cfg_string(cfg, "subset", subsets, &subset));
    PARN_TRY(parn__cfg_string(cfg, "pairs", NULL, &pairs));
    size_t len = strlen(d->root);
    while (len > 1 && d->root[len - 1] == '/') d->root[--len] = '\0';
    const char *slash = strrchr(d->root, '/');
    picture_walk w = {d, strcmp(class_from, "prefix") == 0, len,
                      slash && slash[1] ? slash + 1 : d->root, NULL, 0, 0};
    parn_status st = PARN_OK;
    if (strcmp(subset, "pairs") == 0) { /* beside the pictures, else beside the root (LFW) */
        char path[4096];
        snprintf(path, sizeof path, "%s/pairs.txt", d->root);
        if (!pairs && access(path, R_OK) != 0) snprintf(path, sizeof path, "%s/../pairs.txt", d->root);
        st = read_pairs(&w, pairs ? pairs : path);
    }
    if (st == PARN_OK) st = parn__walk_files(d->root, add_picture, &w);
    if (st == PARN_OK && d->n_items < (int64_t)w.n_wanted)
        st = parn__fail(PARN_E_NOT_FOUND, "dataset: %zu of the pictures pairs.txt names are missing "
                        "under '%s'", w.n_wanted - (size_t)d->n_items, d->root);
    free_wanted(&w);
    PARN_TRY(st);
    PARN_RETURN_IF(d->n_items == 0, PARN_E_NOT_FOUND, "dataset: no pictures under '%s'", d->root);
    PARN_TRY(parn__data_sort_classes(d));
    if (!detect) return PARN_OK;
    if (!parn__opt_is_set(opts, PARN_OPT_FACE_MODEL) && !parn_default_face_model())
        return parn__fail(PARN_E_NOT_FOUND, "dataset: finding the faces needs the face model "
                          "(PARN_OPT_FACE_MODEL or the setup step); set \"detect\": false for "
                          "pictures that are face crops already");
    return detect_pictures(d, opts);
}

/* ---- face tracks from videos ------------------------------------------------------------------- */

typedef struct video_walk {
    parn_dataset_t *d;
    parn_session_t *session;
    int every, stride, min_face;
    size_t root_len;
    const char *root_name;
    float boxes[5 * MAX_FACES];
} video_walk;

static float iou(const float *a, const float *b)
{
    float x0 = a[0] > b[0] ? a[0] : b[0], y0 = a[1] > b[1] ? a[1] : b[1];
    float x1 = a[0] + a[2] < b[0] + b[2] ? a[0] + a[2] : b[0] + b[2];
    float y1 = a[1] + a[3] < b[1] + b[3] ? a[1] + a[3] : b[1] + b[3];
    float inter = (x1 > x0 && y1 > y0) ? (x1 - x0) * (y1 - y0) : 0.0f;
    float uni = a[2] * a[3] + b[2] * b[3] - inter;
    return uni > 0 ? inter / uni : 0.0f;
}

static parn_status track_append(face_track *t, int64_t frame, const float *box)
{
    int64_t *f = parn__realloc(t->frame, (size_t)(t->n + 1) * sizeof *f);
    if (f) t->frame = f;
    float *b = parn__realloc(t->box, (size_t)(t->n + 1) * 4 * sizeof *b);
    if (b) t->box = b;
    PARN_RETURN_IF(!f || !b, PARN_E_NOMEM, "dataset: out of memory for face tracks");
    t->frame[t->n] = frame;
    memcpy(t->box + 4 * (size_t)t->n, box, 4 * sizeof *box);
    t->n++;
    return PARN_OK;
}

static parn_status new_track(parn_dataset_t *d, int *index)
{
    if (d->n_tracks == d->cap_tracks) {
        int cap = d->cap_tracks ? 2 * d->cap_tracks : 16;
        face_track *t = parn__realloc(d->tracks, (size_t)cap * sizeof *t);
        PARN_RETURN_IF(!t, PARN_E_NOMEM, "dataset: out of memory for face tracks");
        d->tracks = t;
        d->cap_tracks = cap;
    }
    d->tracks[d->n_tracks] = (face_track){0};
    *index = d->n_tracks++;
    return PARN_OK;
}

/* Links this frame's detections to the tracks alive at the previous detection (first..end-1),
 * best detection first; the others start new tracks. alive[k] != 0: track first + k continues. */
static parn_status link_faces(video_walk *w, int64_t frame, int n, int first, int *end,
                              int64_t last_frame)
{
    parn_dataset_t *d = w->d;
    int old_end = *end;
    unsigned char taken[1024] = {0};
    for (int i = 0; i < n; i++) {
        const float *box = w->boxes + 5 * i;
        if (box[2] < (float)w->min_face || box[3] < (float)w->min_face) continue;
        int best = -1;
        float best_iou = TRACK_IOU;
        for (int t = first; t < old_end && t - first < 1024; t++) {
            face_track *tr = &d->tracks[t];
            if (taken[t - first] || tr->frame[tr->n - 1] != last_frame) continue;
            float o = iou(tr->box + 4 * (size_t)(tr->n - 1), box);
            if (o >= best_iou) best = t, best_iou = o;
        }
        if (best < 0) PARN_TRY(new_track(d, &best));
        else taken[best - first] = 1;
        PARN_TRY(track_append(&d->tracks[best], frame, box));
    }
    *end = d->n_tracks;
    return PARN_OK;
}

static parn_status harvest(video_walk *w, parn_video_reader_t *r, int first)
{
    int end = first;
    int64_t last = -1;
    for (int64_t frame = 0;; frame++) {
        parn_frame_t *f = NULL;
        parn_status st = parn_video_read(r, &f);
        if (st == PARN_EOF) return PARN_OK;
        PARN_TRY(st);
        if (frame % w->every) continue;
        int n = 0;
        PARN_TRY(parn_faces_detect(w->session, f, w->boxes, MAX_FACES, &n));
        PARN_TRY(link_faces(w, frame, n, first, &end, last));
        last = frame;
    }
}

static parn_status add_video(const char *path, void *user)
{
    video_walk *w = user;
    if (!parn__is_video_name(path)) return PARN_OK;
    parn_video_reader_t *r = NULL;
    PARN_TRY(parn_video_open(path, &r));
    int first = w->d->n_tracks;
    parn_status st = harvest(w, r, first);
    parn_video_close(r);
    if (st != PARN_OK && !strstr(parn_last_error(NULL), path))
        st = parn__fail(st, "dataset: video '%s': %s", path, parn_last_error(NULL));
    PARN_TRY(st);
    const char *slash = strrchr(path, '/');
    char cls[1024];
    if (slash && (size_t)(slash - path) > w->root_len)
        snprintf(cls, sizeof cls, "%.*s", (int)(slash - path - w->root_len - 1),
                 path + w->root_len + 1);
    else
        snprintf(cls, sizeof cls, "%s", w->root_name);
    int label = -1;
    for (int t = first; t < w->d->n_tracks; t++)
        for (int p = 0; p < w->d->tracks[t].n; p += w->stride) {
            if (label < 0 && (label = parn__data_class_of(w->d, cls)) < 0) return PARN_E_NOMEM;
            int64_t k = parn__data_add_item(w->d, path, label);
            if (k < 0) return PARN_E_NOMEM;
            w->d->items[k].track = t;
            w->d->items[k].pos = p;
        }
    return PARN_OK;
}

parn_status parn__index_face_videos(parn_dataset_t *d, const cJSON *cfg,
                                    const parn_options_t *opts)
{
    int64_t every = 1, stride = 1, min_face = 24;
    PARN_TRY(crop_settings(d, cfg));
    PARN_TRY(parn__cfg_int(cfg, "every", 1, 1000, &every));
    PARN_TRY(parn__cfg_int(cfg, "stride", 1, 1000, &stride));
    PARN_TRY(parn__cfg_int(cfg, "min_face", 1, 4096, &min_face));
    size_t len = strlen(d->root);
    while (len > 1 && d->root[len - 1] == '/') d->root[--len] = '\0';
    const char *slash = strrchr(d->root, '/');
    video_walk *w = parn__calloc(1, sizeof *w);
    PARN_RETURN_IF(!w, PARN_E_NOMEM, "dataset: out of memory");
    *w = (video_walk){.d = d, .every = (int)every, .stride = (int)stride, .min_face = (int)min_face,
                      .root_len = len, .root_name = slash && slash[1] ? slash + 1 : d->root};
    parn_status st = parn__data_detector_session(opts, &w->session);
    if (st == PARN_OK) st = parn__walk_files(d->root, add_video, w);
    parn_session_destroy(w->session);
    parn__free(w);
    PARN_TRY(st);
    PARN_RETURN_IF(d->n_items == 0, PARN_E_NOT_FOUND, "dataset: no faces in the videos under '%s'",
                   d->root);
    return parn__data_sort_classes(d);
}
