/* SPDX-License-Identifier: MIT */
/* Hollywood2 at open: ClipSets/<action>_<train|test>.txt ("<clip> 1|-1") name the positive clips
 * of each action; the videos are AVIClips/<clip>.avi. An item is a clip with at least one
 * positive action; its class is its first positive action (actions sorted by name). The
 * aggregate lists (actions_*, scenes_*) and the scene classes (EXT-*, INT-*) are not actions. */
#include "data_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct positive {
    char *clip;
    int label;
} positive;

typedef struct h2_index {
    parn_dataset_t *d;
    const char *suffix[2]; /* the subsets read: "_train.txt", "_test.txt" */
    positive *pos;
    size_t n, cap;
} h2_index;

static bool is_action(const char *name, size_t n)
{
    return !(n == 7 && strncmp(name, "actions", 7) == 0) && !(n == 6 && strncmp(name, "scenes", 6) == 0) &&
           strncmp(name, "EXT-", 4) != 0 && strncmp(name, "INT-", 4) != 0;
}

static parn_status add_positive(h2_index *h, const char *clip, int label)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 256;
        positive *p = parn__realloc(h->pos, cap * sizeof *p);
        PARN_RETURN_IF(!p, PARN_E_NOMEM, "dataset: out of memory");
        h->pos = p;
        h->cap = cap;
    }
    PARN_RETURN_IF(!(h->pos[h->n].clip = parn__strdup(clip)), PARN_E_NOMEM, "dataset: out of memory");
    h->pos[h->n++].label = label;
    return PARN_OK;
}

static parn_status read_clip_set(h2_index *h, const char *path, int label)
{
    FILE *fp = fopen(path, "r");
    PARN_RETURN_IF(!fp, errno == ENOENT ? PARN_E_NOT_FOUND : PARN_E_IO, "dataset: clip set '%s': %s",
                   path, strerror(errno));
    char line[1024], clip[512];
    int mark;
    parn_status st = PARN_OK;
    for (int no = 1; st == PARN_OK && fgets(line, sizeof line, fp); no++) {
        if (strspn(line, " \t\r\n") == strlen(line)) continue;
        if (sscanf(line, "%511s %d", clip, &mark) != 2 || (mark != 1 && mark != -1 && mark != 0))
            st = parn__fail(PARN_E_FORMAT, "dataset: %s:%d: expected \"<clip> 1|-1\"", path, no);
        else if (mark == 1)
            st = add_positive(h, clip, label);
    }
    fclose(fp);
    return st;
}

/* The classes: actions with a clip set for each subset read. */
static parn_status find_classes(const char *path, void *user)
{
    h2_index *h = user;
    const char *name = strrchr(path, '/') + 1;
    size_t n = strlen(name), k = strlen(h->suffix[0]);
    if (n <= k || strcmp(name + n - k, h->suffix[0]) != 0 || !is_action(name, n - k)) return PARN_OK;
    char cls[512];
    snprintf(cls, sizeof cls, "%.*s", (int)(n - k), name);
    return parn__data_add_class(h->d, cls) < 0 ? PARN_E_NOMEM : PARN_OK;
}

static int by_clip(const void *a, const void *b)
{
    const positive *p = a, *q = b;
    int c = strcmp(p->clip, q->clip);
    return c ? c : p->label - q->label;
}

/* Items sorted by clip, each with its first positive action. */
static parn_status add_items(h2_index *h)
{
    if (h->n) qsort(h->pos, h->n, sizeof *h->pos, by_clip);
    for (size_t i = 0; i < h->n; i++) {
        if (i > 0 && strcmp(h->pos[i].clip, h->pos[i - 1].clip) == 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/AVIClips/%s.avi", h->d->root, h->pos[i].clip);
        PARN_RETURN_IF(access(path, R_OK) != 0, PARN_E_NOT_FOUND,
                       "dataset: Hollywood2 clip '%s' is missing", path);
        PARN_RETURN_IF(parn__data_add_item(h->d, path, h->pos[i].label) < 0, PARN_E_NOMEM,
                       "dataset: out of memory");
    }
    return PARN_OK;
}

static parn_status index_sets(h2_index *h, const char *sets)
{
    PARN_TRY(parn__walk_files(sets, find_classes, h));
    PARN_RETURN_IF(h->d->n_classes == 0, PARN_E_NOT_FOUND,
                   "dataset: no clip set <action>%s in '%s'", h->suffix[0], sets);
    PARN_TRY(parn__data_sort_classes(h->d));
    for (int s = 0; s < 2 && h->suffix[s]; s++)
        for (int c = 0; c < h->d->n_classes; c++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s%s", sets, h->d->classes[c], h->suffix[s]);
            PARN_TRY(read_clip_set(h, path, c));
        }
    PARN_TRY(add_items(h));
    PARN_RETURN_IF(h->d->n_items == 0, PARN_E_NOT_FOUND, "dataset: the clip sets in '%s' have no "
                   "positive clip", sets);
    return PARN_OK;
}

parn_status parn__index_hollywood2(parn_dataset_t *d, const cJSON *cfg)
{
    static const char *const subsets[] = {"train", "test", "all", NULL};
    const char *subset = "train";
    PARN_TRY(parn__cfg_string(cfg, "subset", subsets, &subset));
    h2_index h = {.d = d};
    if (strcmp(subset, "test") == 0) h.suffix[0] = "_test.txt";
    else h.suffix[0] = "_train.txt";
    if (strcmp(subset, "all") == 0) h.suffix[1] = "_test.txt";
    char *sets = parn__path_join(d->root, "ClipSets");
    PARN_RETURN_IF(!sets, PARN_E_NOMEM, "dataset: out of memory");
    parn_status st = index_sets(&h, sets);
    parn__free(sets);
    for (size_t i = 0; i < h.n; i++) parn__free(h.pos[i].clip);
    parn__free(h.pos);
    return st;
}
