/* SPDX-License-Identifier: MIT */
/* Action videos at open: <root>/<class>/<video> (HMDB51, UCF101), all of them, or the train or
 * test part of one of their splits: HMDB51's <class>_test_split<k>.txt ("<video> 0|1|2", 1 =
 * train, 2 = test) or UCF101's classInd.txt, trainlist0<k>.txt ("<class>/<video> <label>") and
 * testlist0<k>.txt ("<class>/<video>"). */
#include "data_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_LEN 4096

/* ---- text files --------------------------------------------------------------------------------- */

typedef parn_status (*line_fn)(char **words, int n, const char *file, int line, void *user);

/* Calls fn with the whitespace-separated words (up to 4) of each non-empty line of path. */
static parn_status read_lines(const char *path, line_fn fn, void *user)
{
    FILE *fp = fopen(path, "r");
    PARN_RETURN_IF(!fp, errno == ENOENT ? PARN_E_NOT_FOUND : PARN_E_IO,
                   "dataset: split file '%s': %s", path, strerror(errno));
    char line[LINE_MAX_LEN];
    parn_status st = PARN_OK;
    for (int no = 1; st == PARN_OK && fgets(line, sizeof line, fp); no++) {
        char *words[4], *save = NULL;
        int n = 0;
        for (char *w = strtok_r(line, " \t\r\n", &save); w && n < 4; w = strtok_r(NULL, " \t\r\n", &save))
            words[n++] = w;
        if (n > 0) st = fn(words, n, path, no, user);
    }
    if (st == PARN_OK && ferror(fp)) st = parn__fail(PARN_E_IO, "dataset: cannot read '%s'", path);
    fclose(fp);
    return st;
}

/* Adds <root>/<cls>/<video> with label; PARN_E_NOT_FOUND when the split names a missing file. */
static parn_status add_listed(parn_dataset_t *d, const char *cls, const char *video, int label,
                              const char *file, int line)
{
    char path[LINE_MAX_LEN * 2];
    int n = cls ? snprintf(path, sizeof path, "%s/%s/%s", d->root, cls, video)
                : snprintf(path, sizeof path, "%s/%s", d->root, video);
    PARN_RETURN_IF(n >= (int)sizeof path, PARN_E_FORMAT, "dataset: %s:%d: path too long", file, line);
    PARN_RETURN_IF(access(path, R_OK) != 0, PARN_E_NOT_FOUND,
                   "dataset: %s:%d names '%s', which is missing", file, line, path);
    return parn__data_add_item(d, path, label) < 0 ? PARN_E_NOMEM : PARN_OK;
}

/* ---- HMDB51 --------------------------------------------------------------------------------------- */

typedef struct hmdb_file {
    parn_dataset_t *d;
    int label;
    const char *cls;
    int want; /* 1 train, 2 test, 3 both */
} hmdb_file;

static parn_status hmdb_line(char **w, int n, const char *file, int line, void *user)
{
    hmdb_file *h = user;
    PARN_RETURN_IF(n != 2 || strlen(w[1]) != 1 || w[1][0] < '0' || w[1][0] > '2', PARN_E_FORMAT,
                   "dataset: %s:%d: expected \"<video> 0|1|2\"", file, line);
    int part = w[1][0] - '0';
    if (!(part & h->want)) return PARN_OK;
    return add_listed(h->d, h->cls, w[0], h->label, file, line);
}

typedef struct split_walk {
    parn_dataset_t *d;
    char suffix[32];    /* "_test_split<k>.txt" */
    int want;
    int files;
} split_walk;

static parn_status hmdb_split_file(const char *path, void *user)
{
    split_walk *s = user;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = strlen(name), k = strlen(s->suffix);
    if (n <= k || strcmp(name + n - k, s->suffix) != 0 || strchr(name, '/')) return PARN_OK;
    char cls[512];
    snprintf(cls, sizeof cls, "%.*s", (int)(n - k), name);
    int label = parn__data_class_of(s->d, cls);
    if (label < 0) return PARN_E_NOMEM;
    s->files++;
    hmdb_file h = {s->d, label, s->d->classes[label], s->want};
    return read_lines(path, hmdb_line, &h);
}

static parn_status index_hmdb(parn_dataset_t *d, const char *splits, int split, int want)
{
    split_walk s = {.d = d, .want = want};
    snprintf(s.suffix, sizeof s.suffix, "_test_split%d.txt", split);
    PARN_TRY(parn__walk_files(splits, hmdb_split_file, &s));
    PARN_RETURN_IF(s.files == 0, PARN_E_NOT_FOUND,
                   "dataset: no HMDB51 split file <class>%s (nor UCF101's classInd.txt) in '%s'",
                   s.suffix, splits);
    return PARN_OK;
}

/* ---- UCF101 ------------------------------------------------------------------------------------ */

typedef struct ucf_list {
    parn_dataset_t *d;
    int classes; /* classInd lines read */
} ucf_list;

static parn_status ucf_class_line(char **w, int n, const char *file, int line, void *user)
{
    ucf_list *u = user;
    PARN_RETURN_IF(n != 2 || atoi(w[0]) != u->classes + 1, PARN_E_FORMAT,
                   "dataset: %s:%d: expected \"%d <class>\"", file, line, u->classes + 1);
    PARN_RETURN_IF(parn__data_add_class(u->d, w[1]) < 0, PARN_E_NOMEM, "dataset: out of memory");
    u->classes++;
    return PARN_OK;
}

static parn_status ucf_video_line(char **w, int n, const char *file, int line, void *user)
{
    ucf_list *u = user;
    const char *slash = strchr(w[0], '/');
    PARN_RETURN_IF(n > 2 || !slash, PARN_E_FORMAT,
                   "dataset: %s:%d: expected \"<class>/<video> [label]\"", file, line);
    int label = -1;
    for (int i = 0; i < u->d->n_classes; i++)
        if (strlen(u->d->classes[i]) == (size_t)(slash - w[0]) &&
            strncmp(u->d->classes[i], w[0], (size_t)(slash - w[0])) == 0)
            label = i;
    PARN_RETURN_IF(label < 0, PARN_E_FORMAT, "dataset: %s:%d: class of '%s' not in classInd.txt",
                   file, line, w[0]);
    PARN_RETURN_IF(n == 2 && atoi(w[1]) != label + 1, PARN_E_FORMAT,
                   "dataset: %s:%d: label %s disagrees with classInd.txt (%d)", file, line, w[1],
                   label + 1);
    return add_listed(u->d, NULL, w[0], label, file, line);
}

static parn_status index_ucf(parn_dataset_t *d, const char *splits, const char *class_ind, int split,
                             int want)
{
    ucf_list u = {d, 0};
    PARN_TRY(read_lines(class_ind, ucf_class_line, &u));
    PARN_RETURN_IF(u.classes == 0, PARN_E_FORMAT, "dataset: '%s' lists no class", class_ind);
    static const char *const lists[] = {"trainlist", "testlist"};
    for (int part = 0; part < 2; part++) {
        if (!(want & (1 << part))) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s%02d.txt", splits, lists[part], split);
        PARN_TRY(read_lines(path, ucf_video_line, &u));
    }
    return PARN_OK;
}

/* ---- all videos ---------------------------------------------------------------------------------- */

typedef struct folder_walk {
    parn_dataset_t *d;
    size_t root_len;
} folder_walk;

/* <root>/<class>/<video>: videos one level down; the folder is the class. */
static parn_status add_video(const char *path, void *user)
{
    folder_walk *w = user;
    const char *rel = path + w->root_len + 1, *slash = strchr(rel, '/');
    if (!slash || strchr(slash + 1, '/') || !parn__is_video_name(path)) return PARN_OK;
    char cls[1024];
    snprintf(cls, sizeof cls, "%.*s", (int)(slash - rel), rel);
    int label = parn__data_class_of(w->d, cls);
    if (label < 0) return PARN_E_NOMEM;
    return parn__data_add_item(w->d, path, label) < 0 ? PARN_E_NOMEM : PARN_OK;
}

parn_status parn__index_actions(parn_dataset_t *d, const cJSON *cfg)
{
    static const char *const subsets[] = {"train", "test", "all", NULL};
    const char *splits = NULL, *subset = NULL;
    int64_t split = 1;
    PARN_TRY(parn__cfg_string(cfg, "splits", NULL, &splits));
    PARN_TRY(parn__cfg_int(cfg, "split", 1, 3, &split));
    PARN_TRY(parn__cfg_string(cfg, "subset", subsets, &subset));
    size_t len = strlen(d->root);
    while (len > 1 && d->root[len - 1] == '/') d->root[--len] = '\0';
    if (!splits) {
        PARN_RETURN_IF(subset && strcmp(subset, "all") != 0, PARN_E_INVALID_ARG,
                       "dataset config: \"subset\": \"%s\" needs \"splits\" (the split files' "
                       "folder)", subset);
        PARN_RETURN_IF(cJSON_GetObjectItemCaseSensitive(cfg, "split"), PARN_E_INVALID_ARG,
                       "dataset config: \"split\" needs \"splits\" (the split files' folder)");
        folder_walk w = {d, len};
        PARN_TRY(parn__walk_files(d->root, add_video, &w));
        PARN_RETURN_IF(d->n_items == 0, PARN_E_NOT_FOUND,
                       "dataset: no videos under '%s' (expected <root>/<class>/<video>)", d->root);
        return parn__data_sort_classes(d);
    }
    struct stat sb;
    PARN_RETURN_IF(stat(d->root, &sb) != 0 || !S_ISDIR(sb.st_mode), PARN_E_NOT_FOUND,
                   "dataset: root '%s' is not a readable folder", d->root);
    int want = !subset || strcmp(subset, "train") == 0 ? 1 : strcmp(subset, "test") == 0 ? 2 : 3;
    char *class_ind = parn__path_join(splits, "classInd.txt");
    PARN_RETURN_IF(!class_ind, PARN_E_NOMEM, "dataset: out of memory");
    parn_status st = access(class_ind, F_OK) == 0 ? index_ucf(d, splits, class_ind, (int)split, want)
                                                  : index_hmdb(d, splits, (int)split, want);
    bool ucf = access(class_ind, F_OK) == 0;
    parn__free(class_ind);
    PARN_TRY(st);
    PARN_RETURN_IF(d->n_items == 0, PARN_E_NOT_FOUND, "dataset: split %d lists no %s videos in '%s'",
                   (int)split, subset ? subset : "train", splits);
    return ucf ? PARN_OK : parn__data_sort_classes(d); /* UCF101 keeps classInd's order */
}
