/* SPDX-License-Identifier: MIT */
/* Folder walks in a stable order, and telling pictures and videos from other files. */
#include "data_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_DEPTH 32 /* against symbolic-link loops */

char *parn__path_join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = parn__malloc(na + nb + 2);
    if (!p) return parn__fail(PARN_E_NOMEM, "dataset: out of memory"), NULL;
    memcpy(p, a, na);
    size_t k = na;
    if (na && a[na - 1] != '/') p[k++] = '/';
    memcpy(p + k, b, nb + 1);
    return p;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* The visible entries of dir, sorted (readdir's order depends on the file system). */
static parn_status list_dir(const char *dir, char ***out, size_t *count)
{
    DIR *dp = opendir(dir);
    PARN_RETURN_IF(!dp, errno == ENOENT || errno == ENOTDIR ? PARN_E_NOT_FOUND : PARN_E_IO,
                   "dataset: cannot read folder '%s': %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    parn_status st = PARN_OK;
    while (st == PARN_OK && (e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown) {
                st = parn__fail(PARN_E_NOMEM, "dataset: out of memory");
                break;
            }
            names = grown;
        }
        if (!(names[n] = strdup(e->d_name))) st = parn__fail(PARN_E_NOMEM, "dataset: out of memory");
        else n++;
    }
    closedir(dp);
    if (st != PARN_OK) {
        free_names(names, n);
        return st;
    }
    if (n) qsort(names, n, sizeof *names, by_string);
    *out = names;
    *count = n;
    return PARN_OK;
}

static parn_status walk(const char *dir, int depth, parn_file_fn fn, void *user)
{
    char **names = NULL;
    size_t n = 0;
    PARN_TRY(list_dir(dir, &names, &n));
    parn_status st = PARN_OK;
    for (size_t i = 0; i < n && st == PARN_OK; i++) {
        char *path = parn__path_join(dir, names[i]);
        struct stat sb;
        if (!path) st = PARN_E_NOMEM;
        else if (stat(path, &sb) != 0) /* a dangling link: nothing to read */
            ;
        else if (S_ISDIR(sb.st_mode) && depth < MAX_DEPTH) st = walk(path, depth + 1, fn, user);
        else if (S_ISREG(sb.st_mode)) st = fn(path, user);
        parn__free(path);
    }
    free_names(names, n);
    return st;
}

parn_status parn__walk_files(const char *root, parn_file_fn fn, void *user)
{
    struct stat sb;
    PARN_RETURN_IF(stat(root, &sb) != 0, errno == ENOENT ? PARN_E_NOT_FOUND : PARN_E_IO,
                   "dataset: root '%s': %s", root, strerror(errno));
    PARN_RETURN_IF(!S_ISDIR(sb.st_mode), PARN_E_NOT_FOUND, "dataset: root '%s' is not a folder",
                   root);
    return walk(root, 0, fn, user);
}

bool parn__is_picture(const char *path)
{
    unsigned char m[12] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp) return false;
    size_t n = fread(m, 1, sizeof m, fp);
    fclose(fp);
    if (n < 4) return false;
    if (m[0] == 0xFF && m[1] == 0xD8 && m[2] == 0xFF) return true;             /* JPEG */
    if (memcmp(m, "\x89PNG", 4) == 0 || memcmp(m, "GIF8", 4) == 0) return true; /* PNG, GIF */
    if (m[0] == 'P' && m[1] >= '1' && m[1] <= '6' && (m[2] == '\n' || m[2] == ' ' ||
                                                      m[2] == '\r' || m[2] == '\t'))
        return true; /* PBM, PGM, PPM */
    if (m[0] == 'B' && m[1] == 'M') return true;                                /* BMP */
    if (n >= 12 && memcmp(m, "RIFF", 4) == 0 && memcmp(m + 8, "WEBP", 4) == 0) return true;
    return memcmp(m, "II*\0", 4) == 0 || memcmp(m, "MM\0*", 4) == 0;           /* TIFF */
}

bool parn__is_video_name(const char *path)
{
    static const char *const ext[] = {".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg",
                                      ".m4v", ".flv", ".wmv", ".ogv", ".3gp", ".ts", ".y4m"};
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return false;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (strcasecmp(dot, ext[i]) == 0) return true;
    return false;
}
