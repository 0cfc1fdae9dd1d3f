/* SPDX-License-Identifier: MIT */
/* Datasets on small trees made here (PGM / PPM pictures, videos of synthetic clips encoded with
 * parn_video_writer_create): indexing, classes, split files of HMDB51, UCF101 and Hollywood2,
 * face crops and clips (shape, range, centre crops equal to the classifier's preprocessing),
 * determinism with and without the background loader, errors; and the real data of
 * ../shared/data when it is there. */
#define _GNU_SOURCE /* nftw */
#include "common/optest.h"

#include "pipeline/clip.h"
#include "train/data/dataset.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char work_dir[256];

/* ---- files ------------------------------------------------------------------------------------ */

static const char *path_of(const char *rel)
{
    static char buf[8][1024];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", work_dir, rel);
    return p;
}

/* mkdir -p of rel's folders (rel names a file when file is true). */
static void make_dirs(const char *rel, bool file)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", work_dir, rel);
    for (char *s = p + strlen(work_dir) + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0700);
            *s = '/';
        }
    if (!file) mkdir(p, 0700);
}

static void write_file(const char *rel, const void *data, size_t n)
{
    make_dirs(rel, true);
    FILE *fp = fopen(path_of(rel), "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

static void write_text(const char *rel, const char *text)
{
    write_file(rel, text, strlen(text));
}

/* A grey PGM (with a comment line, as OpenCV writes them) or a colour PPM: left half dark, right
 * half bright, plus a little texture from seed. */
static void write_picture(const char *rel, int w, int h, bool colour, int seed)
{
    int ch = colour ? 3 : 1;
    size_t n = (size_t)w * (size_t)h * (size_t)ch;
    char head[64];
    int k = snprintf(head, sizeof head, "P%c\n# made by check_datasets\n%d %d\n255\n", colour ? '6' : '5', w, h);
    uint8_t *buf = malloc((size_t)k + n);
    memcpy(buf, head, (size_t)k);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ch; c++)
                buf[k + ((size_t)y * (size_t)w + (size_t)x) * (size_t)ch + (size_t)c] =
                    (uint8_t)((x < w / 2 ? 20 : 230) + (x * 7 + y * 3 + seed + c * 5) % 16);
    write_file(rel, buf, (size_t)k + n);
    free(buf);
}

/* A video of n frames of synthetic action `action` at w x h, 25 fps. */
static void write_video(const char *rel, int action, uint64_t seed, int w, int h, int n)
{
    make_dirs(rel, true);
    parn_frame_t *f[64];
    ck_assert_int_le(n, 64);
    ck_assert_int_eq(parn_synthetic_clip(action, seed, w, h, n, f, NULL), PARN_OK);
    parn_video_writer_t *wr = NULL;
    ck_assert_msg(parn_video_writer_create(path_of(rel), w, h, 25.0, &wr) == PARN_OK, "%s",
                  parn_last_error(NULL));
    for (int i = 0; i < n; i++) ck_assert_int_eq(parn_video_write(wr, f[i]), PARN_OK);
    ck_assert_int_eq(parn_video_writer_close(wr), PARN_OK);
    for (int i = 0; i < n; i++) parn_frame_free(&f[i]);
}

static int remove_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void remove_tree(const char *rel)
{
    nftw(path_of(rel), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- opening ---------------------------------------------------------------------------------- */

static parn_status try_open(const char *kind, const char *root, const char *config,
                            parn_dataset_t **d)
{
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    if (config) ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_DATASET_CONFIG, config), PARN_OK);
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_SEED, 11), PARN_OK);
    *d = NULL;
    parn_status st = parn_dataset_open(kind, root, o, d);
    parn_options_destroy(o);
    return st;
}

static parn_dataset_t *open_ok(const char *kind, const char *root, const char *config)
{
    parn_dataset_t *d = NULL;
    ck_assert_msg(try_open(kind, root, config, &d) == PARN_OK, "%s %s: %s", kind, root,
                  parn_last_error(NULL));
    return d;
}

static void expect_error(const char *kind, const char *root, const char *config, parn_status st,
                         const char *word)
{
    parn_dataset_t *d = NULL;
    ck_assert_int_eq(try_open(kind, root, config, &d), st);
    ck_assert_ptr_null(d);
    ck_assert_msg(strstr(parn_last_error(NULL), word), "'%s' lacks '%s'", parn_last_error(NULL), word);
}

/* A batch into fresh buffers (freed by the caller). */
typedef struct batch {
    float *x, *labels, *boxes;
    size_t n_x;
} batch;

static parn_status get(parn_dataset_t *d, const parn_batch_spec *s, int64_t b, batch *out)
{
    out->n_x = (size_t)s->n * 3 * (size_t)s->frames * (size_t)s->size * (size_t)s->size;
    out->x = malloc(out->n_x * sizeof(float));
    out->labels = malloc((size_t)s->n * sizeof(float));
    out->boxes = parn__dataset_is_faces(d) ? NULL : malloc((size_t)s->n * 4 * (size_t)s->frames * sizeof(float));
    return parn__dataset_batch(d, s, b, out->x, out->labels, out->boxes);
}

static void get_ok(parn_dataset_t *d, const parn_batch_spec *s, int64_t b, batch *out)
{
    ck_assert_msg(get(d, s, b, out) == PARN_OK, "batch %lld: %s", (long long)b, parn_last_error(NULL));
    /* the antialiased resize's weights sum to 1 within a float's rounding, at inference too */
    size_t outside = 0;
    for (size_t i = 0; i < out->n_x; i++) outside += !(out->x[i] >= 0.0f && out->x[i] <= 1.000001f);
    ck_assert_uint_eq(outside, 0);
    for (int i = 0; i < s->n; i++)
        ck_assert(out->labels[i] >= 0 && out->labels[i] < (float)parn_dataset_num_classes(d));
}

static void drop(batch *b)
{
    free(b->x), free(b->labels), free(b->boxes);
}

static bool same_batch(const batch *a, const batch *b, int n, int frames)
{
    return memcmp(a->x, b->x, a->n_x * sizeof(float)) == 0 &&
           memcmp(a->labels, b->labels, (size_t)n * sizeof(float)) == 0 &&
           (!a->boxes || memcmp(a->boxes, b->boxes, (size_t)n * 4 * (size_t)frames * sizeof(float)) == 0);
}

/* ---- the trees ---------------------------------------------------------------------------------- */

static void make_faces_tree(void)
{
    write_picture("faces/alice/1.pgm", 92, 112, false, 1);
    write_picture("faces/alice/2.ppm", 60, 40, true, 2);
    write_picture("faces/bob/portrait", 64, 64, false, 3); /* no extension, as Yale's files */
    write_text("faces/bob/notes.txt", "not a picture\n");
    write_picture("faces/carol/sub/deep.pgm", 50, 50, false, 4);
    write_picture("faces/.hidden/skip.pgm", 50, 50, false, 5);
    write_picture("flat/subject01.happy", 40, 48, false, 6);
    write_picture("flat/subject01.sad", 40, 48, false, 7);
    write_picture("flat/subject02_normal.pgm", 40, 48, false, 8);
}

/* <root>/<class>/<video>: 3 classes (walk, jump, wave) x 2 videos, one of them shorter than a
 * clip; 64 x 48 at 25 fps. */
static void make_actions_tree(void)
{
    static const char *const cls[] = {"walk", "jump", "wave"};
    static const int action[] = {0, 2, 4};
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 2; v++) {
            char rel[256];
            snprintf(rel, sizeof rel, "actions/%s/%s_%d.mp4", cls[c], cls[c], v);
            write_video(rel, action[c], (uint64_t)(10 * c + v), 64, 48, c == 2 && v == 1 ? 8 : 20);
        }
    write_text("actions/walk/README", "not a video\n");
}

/* ---- faces ---------------------------------------------------------------------------------------- */

START_TEST(faces_index_and_classes)
{
    parn_dataset_t *d = open_ok("faces", path_of("faces"), "{\"detect\": false}");
    ck_assert_str_eq(parn_dataset_kind(d), "faces");
    ck_assert(parn__dataset_is_faces(d));
    ck_assert_int_eq(parn__dataset_kind(d), PARN_DATA_FACES);
    ck_assert_int_eq(parn_dataset_size(d), 4);
    ck_assert_int_eq(parn_dataset_num_classes(d), 3);
    ck_assert_str_eq(parn_dataset_class_name(d, 0), "alice");
    ck_assert_str_eq(parn_dataset_class_name(d, 1), "bob");
    ck_assert_str_eq(parn_dataset_class_name(d, 2), "carol/sub");
    parn_dataset_destroy(d);
    d = open_ok("faces", path_of("flat/"), "{\"detect\": false, \"class_from\": \"prefix\"}");
    ck_assert_int_eq(parn_dataset_size(d), 3);
    ck_assert_int_eq(parn_dataset_num_classes(d), 2);
    ck_assert_str_eq(parn_dataset_class_name(d, 0), "subject01");
    ck_assert_str_eq(parn_dataset_class_name(d, 1), "subject02");
    parn_dataset_destroy(d);
    d = open_ok("faces", path_of("flat"), "{\"detect\": false}"); /* pictures right under root */
    ck_assert_int_eq(parn_dataset_num_classes(d), 1);
    ck_assert_str_eq(parn_dataset_class_name(d, 0), "flat");
    parn_dataset_destroy(d);
}
END_TEST

/* LFW: "subset": "pairs" keeps the pictures pairs.txt names (found beside the root). */
START_TEST(faces_lfw_pairs)
{
    static const char *const files[] = {"Ann_A/Ann_A_0001.jpg", "Ann_A/Ann_A_0002.jpg",
                                        "Ann_A/Ann_A_0003.jpg", "Bob_B/Bob_B_0001.jpg",
                                        "Bob_B/Bob_B_0002.jpg", "Cat_C/Cat_C_0001.jpg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "lfw_home/lfw/%s", files[i]);
        write_picture(rel, 16, 16, false, (int)i);
    }
    write_text("lfw_home/pairs.txt", "1\t2\nAnn_A\t1\t2\nAnn_A\t1\tBob_B\t1\n");
    parn_dataset_t *d = open_ok("faces", path_of("lfw_home/lfw"), "{\"detect\": false}");
    ck_assert_int_eq(parn_dataset_size(d), 6);
    parn_dataset_destroy(d);
    d = open_ok("faces", path_of("lfw_home/lfw"), "{\"detect\": false, \"subset\": \"pairs\"}");
    ck_assert_int_eq(parn_dataset_size(d), 3);
    ck_assert_int_eq(parn_dataset_num_classes(d), 2);
    ck_assert_str_eq(parn_dataset_class_name(d, 1), "Bob_B");
    parn_dataset_destroy(d);
    write_text("lfw_home/other.txt", "1\t1\nAnn_A\t1\t9\n");
    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"detect\": false, \"subset\": \"pairs\", \"pairs\": \"%s\"}",
             path_of("lfw_home/other.txt"));
    expect_error("faces", path_of("lfw_home/lfw"), cfg, PARN_E_NOT_FOUND, "missing");
    remove_tree("lfw_home");
}
END_TEST

/* Without a face, a crop is the centred square of the picture: a dark left half and a bright
 * right half; frames repeat it exactly without augmentation, jitter it with; flips mirror it. */
START_TEST(faces_crops)
{
    parn_dataset_t *d = open_ok("faces", path_of("faces"), "{\"detect\": false, \"workers\": 0}");
    const int S = 32, F = 3;
    parn_batch_spec s = {4, S, F, false};
    batch b;
    get_ok(d, &s, 0, &b);
    size_t frame = 3 * (size_t)S * S;
    for (int i = 0; i < 4; i++) {
        const float *x = b.x + (size_t)i * F * frame;
        for (int t = 1; t < F; t++) ck_assert_mem_eq(x, x + t * frame, frame * sizeof(float));
        /* row 16: dark on the left, bright on the right, in every channel */
        for (int c = 0; c < 3; c++) {
            const float *row = x + (size_t)c * S * S + 16 * (size_t)S;
            ck_assert_float_lt(row[2], 0.2f);
            ck_assert_float_gt(row[S - 3], 0.8f);
        }
    }
    drop(&b);
    s.augment = true;
    int flipped = 0, jittered = 0;
    for (int k = 0; k < 4; k++) {
        get_ok(d, &s, k, &b);
        for (int i = 0; i < 4; i++) {
            const float *x = b.x + (size_t)i * F * frame;
            flipped += x[16 * S + 2] > x[16 * S + S - 3];
            jittered += memcmp(x, x + frame, frame * sizeof(float)) != 0;
        }
        drop(&b);
    }
    ck_assert_int_gt(flipped, 0);
    ck_assert_int_lt(flipped, 16);
    ck_assert_int_eq(jittered, 16);
    /* face datasets know no face box inside their crops */
    s.n = 1;
    float *x = malloc(F * frame * sizeof(float)), label, boxes[4 * F];
    ck_assert_int_eq(parn__dataset_batch(d, &s, 0, x, &label, boxes), PARN_OK);
    for (int k = 0; k < 4 * F; k++) ck_assert_float_eq(boxes[k], -1.0f);
    free(x);
    parn_dataset_destroy(d);
}
END_TEST

/* Every epoch shows every item once. */
START_TEST(faces_epochs)
{
    parn_dataset_t *d = open_ok("faces", path_of("faces"), "{\"detect\": false, \"workers\": 0}");
    parn_batch_spec s = {2, 16, 1, false};
    int per_class[2][3] = {{0}};
    for (int e = 0; e < 2; e++)
        for (int b = 0; b < 2; b++) {
            batch bt;
            get_ok(d, &s, 2 * e + b, &bt);
            for (int i = 0; i < 2; i++) per_class[e][(int)bt.labels[i]]++;
            drop(&bt);
        }
    for (int e = 0; e < 2; e++) {
        ck_assert_int_eq(per_class[e][0], 2); /* alice has 2 pictures */
        ck_assert_int_eq(per_class[e][1], 1);
        ck_assert_int_eq(per_class[e][2], 1);
    }
    parn_dataset_destroy(d);
}
END_TEST

/* ---- actions ---------------------------------------------------------------------------------------- */

START_TEST(actions_index)
{
    parn_dataset_t *d = open_ok("actions", path_of("actions"), NULL);
    ck_assert_int_eq(parn_dataset_size(d), 6);
    ck_assert_int_eq(parn_dataset_num_classes(d), 3);
    ck_assert_str_eq(parn_dataset_class_name(d, 0), "jump");
    ck_assert_str_eq(parn_dataset_class_name(d, 1), "walk");
    ck_assert_str_eq(parn_dataset_class_name(d, 2), "wave");
    ck_assert(!parn__dataset_is_faces(d));
    ck_assert_int_eq(parn__dataset_kind(d), PARN_DATA_ACTIONS);
    parn_dataset_destroy(d);
}
END_TEST

/* Without augmentation, a clip is the middle 16 frames through lib/pipeline/clip.c exactly as
 * the classifier prepares them at inference. */
START_TEST(actions_centre_clip_is_inference_preprocessing)
{
    parn_dataset_t *d = open_ok("actions", path_of("actions"), "{\"workers\": 0}");
    const int S = 112, F = 16;
    parn_batch_spec s = {6, S, F, false};
    batch b;
    get_ok(d, &s, 0, &b);
    size_t plane = (size_t)S * S, item = 3 * (size_t)F * plane;
    float *want = malloc(item * sizeof(float));
    parn_clip_prep *prep = parn_clip_prep_create();
    int compared = 0;
    for (int i = 0; i < 6; i++) {
        /* which video: the one whose centre clip matches; each has its own class and seed */
        for (int v = 0; v < 2; v++) {
            const char *cls = parn_dataset_class_name(d, (int)b.labels[i]);
            char rel[256];
            snprintf(rel, sizeof rel, "actions/%s/%s_%d.mp4", cls, cls, v);
            parn_video_reader_t *r = NULL;
            ck_assert_int_eq(parn_video_open(path_of(rel), &r), PARN_OK);
            parn_frame_t *f = NULL;
            int n = strcmp(cls, "wave") == 0 && v == 1 ? 8 : 20, start = n >= F ? (n - F) / 2 : 0;
            for (int k = 0; k < n; k++) {
                ck_assert_int_eq(parn_video_read(r, &f), PARN_OK);
                for (int t = 0; t < F; t++)
                    if ((start + t) % n == k)
                        ck_assert_int_eq(parn_clip_prep_frame(prep, f, S, want + t * plane, (size_t)F * plane), PARN_OK);
            }
            parn_video_close(r);
            if (memcmp(want, b.x + (size_t)i * item, item * sizeof(float)) == 0) compared++;
        }
    }
    ck_assert_int_eq(compared, 6);
    parn_clip_prep_destroy(prep);
    free(want);
    drop(&b);
    parn_dataset_destroy(d);
}
END_TEST

/* The short video loops: its clip's frame t + 8 equals frame t, with or without augmentation. */
START_TEST(actions_short_video_loops)
{
    write_video("short/wave/only.mp4", 4, 3, 64, 48, 8);
    parn_dataset_t *d = open_ok("actions", path_of("short"), "{\"workers\": 0}");
    const int S = 32, F = 16;
    size_t plane = (size_t)S * S;
    for (int aug = 0; aug < 2; aug++) {
        parn_batch_spec s = {1, S, F, aug};
        batch b;
        get_ok(d, &s, 0, &b);
        for (int c = 0; c < 3; c++)
            for (int t = 0; t < 8; t++)
                ck_assert_mem_eq(b.x + ((size_t)c * F + t) * plane, b.x + ((size_t)c * F + t + 8) * plane,
                                 plane * sizeof(float));
        for (int k = 0; k < 4 * F; k++) ck_assert_float_eq(b.boxes[k], -1.0f); /* no face known */
        drop(&b);
    }
    parn_dataset_destroy(d);
    remove_tree("short");
}
END_TEST

/* Same bytes with and without the background loader, for any order of requests, and a spec
 * change in the middle; a batch asked twice is the same. */
static void compare_loader(const char *kind, const char *root, const char *config_sync,
                           const char *config_async, parn_batch_spec s)
{
    parn_dataset_t *sync = open_ok(kind, root, config_sync), *async = open_ok(kind, root, config_async);
    static const int64_t order[] = {0, 1, 2, 3, 4, 9, 10, 2, -1, 5, 6, 6, 7};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (order[i] < 0) { /* another spec */
            s.augment = !s.augment;
            continue;
        }
        batch a, b;
        get_ok(sync, &s, order[i], &a);
        get_ok(async, &s, order[i], &b);
        ck_assert_msg(same_batch(&a, &b, s.n, s.frames), "%s batch %lld differs", kind, (long long)order[i]);
        drop(&a), drop(&b);
    }
    parn_dataset_destroy(sync);
    parn_dataset_destroy(async);
}

START_TEST(loader_gives_the_same_bytes)
{
    compare_loader("actions", path_of("actions"), "{\"workers\": 0}",
                   "{\"workers\": 3, \"prefetch\": 3}", (parn_batch_spec){2, 32, 16, true});
    compare_loader("faces", path_of("faces"), "{\"detect\": false, \"workers\": 0}",
                   "{\"detect\": false, \"workers\": 2, \"prefetch\": 2}",
                   (parn_batch_spec){3, 24, 2, true});
    compare_loader("synthetic", NULL, "{\"clips\": 8, \"workers\": 0}",
                   "{\"clips\": 8, \"workers\": 2}", (parn_batch_spec){2, 32, 8, true});
    /* destroyed while the workers are busy: they are stopped and joined */
    parn_dataset_t *d = open_ok("actions", path_of("actions"), "{\"workers\": 4, \"prefetch\": 8}");
    batch b;
    get_ok(d, &(parn_batch_spec){1, 32, 16, true}, 0, &b);
    drop(&b);
    parn_dataset_destroy(d);
}
END_TEST

/* ---- split files ------------------------------------------------------------------------------------ */

START_TEST(hmdb51_splits)
{
    write_text("hmdb_splits/jump_test_split1.txt", "jump_0.mp4 1 \njump_1.mp4 2 \n");
    write_text("hmdb_splits/walk_test_split1.txt", "walk_0.mp4 1\r\nwalk_1.mp4 0\r\n");
    write_text("hmdb_splits/wave_test_split1.txt", "wave_0.mp4 2\nwave_1.mp4 1\n");
    write_text("hmdb_splits/jump_test_split2.txt", "jump_0.mp4 2\njump_1.mp4 1\n");
    write_text("hmdb_splits/README", "other files are ignored\n");
    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\"}", path_of("hmdb_splits"));
    parn_dataset_t *d = open_ok("actions", path_of("actions"), cfg);
    ck_assert_int_eq(parn_dataset_size(d), 3); /* train: jump_0, walk_0, wave_1 */
    ck_assert_int_eq(parn_dataset_num_classes(d), 3);
    ck_assert_str_eq(parn_dataset_class_name(d, 2), "wave");
    parn_dataset_destroy(d);
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\", \"subset\": \"test\"}", path_of("hmdb_splits"));
    d = open_ok("actions", path_of("actions"), cfg);
    ck_assert_int_eq(parn_dataset_size(d), 2);
    parn_dataset_destroy(d);
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\", \"subset\": \"all\"}", path_of("hmdb_splits"));
    d = open_ok("actions", path_of("actions"), cfg);
    ck_assert_int_eq(parn_dataset_size(d), 5);
    parn_dataset_destroy(d);
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\", \"split\": 2}", path_of("hmdb_splits"));
    d = open_ok("actions", path_of("actions"), cfg);
    ck_assert_int_eq(parn_dataset_size(d), 1);
    ck_assert_int_eq(parn_dataset_num_classes(d), 1);
    parn_dataset_destroy(d);
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\", \"split\": 3}", path_of("hmdb_splits"));
    expect_error("actions", path_of("actions"), cfg, PARN_E_NOT_FOUND, "_test_split3.txt");
    /* a listed video that is missing, a malformed line */
    write_text("hmdb_bad/jump_test_split1.txt", "jump_7.mp4 1\n");
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\"}", path_of("hmdb_bad"));
    expect_error("actions", path_of("actions"), cfg, PARN_E_NOT_FOUND, "jump_7.mp4");
    write_text("hmdb_bad/jump_test_split1.txt", "jump_0.mp4 train\n");
    expect_error("actions", path_of("actions"), cfg, PARN_E_FORMAT, "jump_test_split1.txt:1");
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\"}", path_of("nowhere"));
    expect_error("actions", path_of("actions"), cfg, PARN_E_NOT_FOUND, "nowhere");
    remove_tree("hmdb_splits"), remove_tree("hmdb_bad");
}
END_TEST

START_TEST(ucf101_splits)
{
    write_text("ucf/classInd.txt", "1 wave\n2 jump\n3 walk\n");
    write_text("ucf/trainlist01.txt", "jump/jump_0.mp4 2\nwalk/walk_0.mp4 3\nwalk/walk_1.mp4 3\n");
    write_text("ucf/testlist01.txt", "wave/wave_0.mp4\r\n");
    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\"}", path_of("ucf"));
    parn_dataset_t *d = open_ok("actions", path_of("actions"), cfg);
    ck_assert_int_eq(parn_dataset_size(d), 3);
    ck_assert_int_eq(parn_dataset_num_classes(d), 3);
    ck_assert_str_eq(parn_dataset_class_name(d, 0), "wave"); /* classInd's order */
    ck_assert_str_eq(parn_dataset_class_name(d, 2), "walk");
    batch b;
    get_ok(d, &(parn_batch_spec){3, 16, 2, false}, 0, &b);
    float sum = b.labels[0] + b.labels[1] + b.labels[2];
    ck_assert_float_eq(sum, 1 + 2 + 2); /* jump, walk, walk */
    drop(&b);
    parn_dataset_destroy(d);
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\", \"subset\": \"test\"}", path_of("ucf"));
    d = open_ok("actions", path_of("actions"), cfg);
    ck_assert_int_eq(parn_dataset_size(d), 1);
    parn_dataset_destroy(d);
    write_text("ucf/trainlist01.txt", "jump/jump_0.mp4 1\n"); /* classInd says 2 */
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\"}", path_of("ucf"));
    expect_error("actions", path_of("actions"), cfg, PARN_E_FORMAT, "classInd");
    snprintf(cfg, sizeof cfg, "{\"splits\": \"%s\", \"split\": 2}", path_of("ucf"));
    expect_error("actions", path_of("actions"), cfg, PARN_E_NOT_FOUND, "trainlist02.txt");
    remove_tree("ucf");
}
END_TEST

START_TEST(hollywood2_clip_sets)
{
    write_video("h2/AVIClips/actioncliptrain00001.avi", 0, 1, 64, 48, 18);
    write_video("h2/AVIClips/actioncliptrain00002.avi", 1, 2, 64, 48, 18);
    write_video("h2/AVIClips/actioncliptrain00003.avi", 2, 3, 64, 48, 18);
    write_video("h2/AVIClips/actioncliptest00001.avi", 3, 4, 64, 48, 18);
    /* clip 2 is positive for Run and Kiss: its class is Kiss (first by name); clip 3 is none */
    write_text("h2/ClipSets/Run_train.txt",
               "actioncliptrain00001  1\nactioncliptrain00002  1\nactioncliptrain00003 -1\n");
    write_text("h2/ClipSets/Kiss_train.txt",
               "actioncliptrain00001 -1\nactioncliptrain00002  1\nactioncliptrain00003 -1\n");
    write_text("h2/ClipSets/Run_test.txt", "actioncliptest00001 1\n");
    write_text("h2/ClipSets/Kiss_test.txt", "actioncliptest00001 -1\n");
    write_text("h2/ClipSets/actions_train.txt", "actioncliptrain00001 1\n"); /* aggregate list */
    write_text("h2/ClipSets/EXT-House_train.txt", "sceneclip00001 1\n");     /* a scene class */
    parn_dataset_t *d = open_ok("hollywood2", path_of("h2"), "{\"workers\": 1}");
    ck_assert_int_eq(parn_dataset_size(d), 2);
    ck_assert_int_eq(parn_dataset_num_classes(d), 2);
    ck_assert_str_eq(parn_dataset_class_name(d, 0), "Kiss");
    ck_assert_str_eq(parn_dataset_class_name(d, 1), "Run");
    ck_assert_int_eq(parn__dataset_kind(d), PARN_DATA_HOLLYWOOD2);
    batch b;
    get_ok(d, &(parn_batch_spec){2, 32, 16, true}, 0, &b);
    ck_assert_float_eq(b.labels[0] + b.labels[1], 1.0f); /* one Kiss, one Run */
    drop(&b);
    parn_dataset_destroy(d);
    d = open_ok("hollywood2", path_of("h2"), "{\"subset\": \"all\"}");
    ck_assert_int_eq(parn_dataset_size(d), 3);
    parn_dataset_destroy(d);
    d = open_ok("hollywood2", path_of("h2"), "{\"subset\": \"test\"}");
    ck_assert_int_eq(parn_dataset_size(d), 1);
    parn_dataset_destroy(d);
    remove(path_of("h2/AVIClips/actioncliptest00001.avi"));
    expect_error("hollywood2", path_of("h2"), "{\"subset\": \"test\"}", PARN_E_NOT_FOUND, "actioncliptest00001");
    expect_error("hollywood2", path_of("actions"), NULL, PARN_E_NOT_FOUND, "ClipSets");
    remove_tree("h2");
}
END_TEST

/* ---- errors ------------------------------------------------------------------------------------------- */

START_TEST(open_errors)
{
    expect_error("faces", path_of("missing"), "{\"detect\": false}", PARN_E_NOT_FOUND, "missing");
    expect_error("faces", path_of("faces/alice/1.pgm"), "{\"detect\": false}", PARN_E_NOT_FOUND, "not a folder");
    make_dirs("empty", false);
    expect_error("faces", path_of("empty"), "{\"detect\": false}", PARN_E_NOT_FOUND, "no pictures under");
    expect_error("actions", path_of("empty"), NULL, PARN_E_NOT_FOUND, "no videos under");
    expect_error("faces", path_of("faces"), "{\"detect\": false, \"class_from\": \"name\"}",
                 PARN_E_INVALID_ARG, "class_from");
    expect_error("faces", path_of("faces"), "{\"detect\": 1}", PARN_E_INVALID_ARG, "detect");
    expect_error("faces", path_of("faces"), "{\"margin\": 3}", PARN_E_INVALID_ARG, "margin");
    expect_error("faces", path_of("faces"), "{\"split\": 1}", PARN_E_INVALID_ARG, "split");
    expect_error("actions", path_of("actions"), "{\"workers\": 65}", PARN_E_INVALID_ARG, "workers");
    expect_error("actions", path_of("actions"), "{\"subset\": \"train\"}", PARN_E_INVALID_ARG, "splits");
    expect_error("actions", path_of("actions"), "{\"split\": 4, \"splits\": \"x\"}", PARN_E_INVALID_ARG, "split");
    expect_error("actions", NULL, NULL, PARN_E_INVALID_ARG, "root");
    expect_error("videos", path_of("actions"), NULL, PARN_E_INVALID_ARG, "videos");
    rmdir(path_of("empty"));
}
END_TEST

/* A file that does not decode fails the batch that reaches it, naming it, with or without the
 * background loader; the other batches still work. */
START_TEST(corrupt_files_name_themselves)
{
    write_video("broken/good/a.mp4", 0, 1, 64, 48, 20);
    char junk[2048];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 131 + 7);
    write_file("broken/bad/b.mp4", junk, sizeof junk);
    junk[0] = (char)0xFF, junk[1] = (char)0xD8, junk[2] = (char)0xFF; /* JPEG magic, then garbage */
    write_file("broken_faces/x/bad.jpg", junk, sizeof junk);
    write_picture("broken_faces/x/good.pgm", 30, 30, false, 1);
    for (int workers = 0; workers < 3; workers += 2) {
        char cfg[64];
        snprintf(cfg, sizeof cfg, "{\"workers\": %d}", workers);
        parn_dataset_t *d = open_ok("actions", path_of("broken"), cfg);
        parn_batch_spec s = {1, 16, 4, true};
        int failed = 0;
        for (int b = 0; b < 2; b++) {
            batch bt;
            if (get(d, &s, b, &bt) != PARN_OK) {
                failed++;
                ck_assert_msg(strstr(parn_last_error(NULL), "broken/bad/b.mp4"), "%s", parn_last_error(NULL));
            }
            drop(&bt);
        }
        ck_assert_int_eq(failed, 1);
        parn_dataset_destroy(d);
        snprintf(cfg, sizeof cfg, "{\"workers\": %d, \"detect\": false}", workers);
        d = open_ok("faces", path_of("broken_faces"), cfg);
        failed = 0;
        for (int b = 0; b < 2; b++) {
            batch bt;
            if (get(d, &s, b, &bt) != PARN_OK) {
                failed++;
                ck_assert_msg(strstr(parn_last_error(NULL), "bad.jpg"), "%s", parn_last_error(NULL));
            }
            drop(&bt);
        }
        ck_assert_int_eq(failed, 1);
        parn_dataset_destroy(d);
    }
    remove_tree("broken"), remove_tree("broken_faces");
}
END_TEST

START_TEST(bad_batch_arguments)
{
    parn_dataset_t *d = open_ok("synthetic", NULL, "{\"clips\": 2}");
    float x[16], l[1];
    ck_assert_int_eq(parn__dataset_batch(d, NULL, 0, x, l, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn__dataset_batch(d, &(parn_batch_spec){1, 16, 1, false}, 0, NULL, l, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn__dataset_batch(d, &(parn_batch_spec){0, 16, 1, false}, 0, x, l, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn__dataset_batch(d, &(parn_batch_spec){1, 2, 1, false}, 0, x, l, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn__dataset_batch(d, &(parn_batch_spec){1, 16, 0, false}, 0, x, l, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn__dataset_batch(d, &(parn_batch_spec){1, 16, 1, false}, -1, x, l, NULL), PARN_E_INVALID_ARG);
    parn_dataset_destroy(d);
}
END_TEST

/* ---- ../shared/data --------------------------------------------------------------------------------- */

static const char *shared(const char *rel)
{
    static char buf[4][1024];
    static int next;
    const char *env = getenv("PARN_SHARED_DATA");
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", env && *env ? env : "../shared/data", rel);
    return p;
}

static bool have(const char *rel)
{
    struct stat sb;
    return stat(shared(rel), &sb) == 0;
}

static void one_batch(parn_dataset_t *d, parn_batch_spec s)
{
    batch b;
    get_ok(d, &s, 0, &b);
    drop(&b);
    get_ok(d, &s, 1, &b); /* from the loader */
    drop(&b);
}

START_TEST(shared_faces)
{
    if (!have("faces/orl_att_faces")) {
        fprintf(stderr, "shared_faces: ../shared/data absent, skipped\n");
        return;
    }
    parn_dataset_t *d = open_ok("faces", shared("faces/orl_att_faces"), "{\"detect\": false}");
    ck_assert_int_eq(parn_dataset_num_classes(d), 40);
    ck_assert_int_eq(parn_dataset_size(d), 400);
    one_batch(d, (parn_batch_spec){4, 128, 2, true});
    parn_dataset_destroy(d);
    d = open_ok("faces", shared("faces/yalefaces"), "{\"detect\": false, \"class_from\": \"prefix\"}");
    ck_assert_int_eq(parn_dataset_num_classes(d), 15);
    ck_assert_int_eq(parn_dataset_size(d), 164);
    one_batch(d, (parn_batch_spec){4, 64, 1, true});
    parn_dataset_destroy(d);
    if (!parn_default_face_model()) {
        fprintf(stderr, "shared_faces: no face model, faceapi_bbt with detection skipped\n");
        return;
    }
    /* the detector finds the faces of face-api.js's pictures (the video among them is skipped) */
    d = open_ok("faces", shared("faces/faceapi_bbt"), NULL);
    ck_assert_int_eq(parn_dataset_size(d), 52);
    ck_assert_int_eq(parn_dataset_num_classes(d), 10); /* expressions, group, 8 identities */
    one_batch(d, (parn_batch_spec){4, 128, 2, false});
    parn_dataset_destroy(d);
}
END_TEST

START_TEST(shared_videos)
{
    if (!have("video/hmdb51")) {
        fprintf(stderr, "shared_videos: ../shared/data absent, skipped\n");
        return;
    }
    parn_dataset_t *d = open_ok("actions", shared("video/hmdb51"), NULL);
    ck_assert_int_eq(parn_dataset_num_classes(d), 10);
    ck_assert_int_eq(parn_dataset_size(d), 10);
    ck_assert_str_eq(parn_dataset_class_name(d, 0), "climb_stairs");
    one_batch(d, (parn_batch_spec){2, 112, 16, true});
    parn_dataset_destroy(d);
    if (!parn_default_face_model()) return;
    /* face tracks harvested from the carphone clip (a man talking in a car) */
    d = open_ok("face-videos", shared("video/carphone"), "{\"every\": 6}");
    ck_assert_int_ge(parn_dataset_size(d), 8);
    ck_assert(parn__dataset_is_faces(d));
    one_batch(d, (parn_batch_spec){2, 64, 3, true});
    parn_dataset_destroy(d);
}
END_TEST

/* The shared trees, made once before the tests (and before they fork). */
static void make_trees(void)
{
    make_faces_tree();
    make_actions_tree();
}

int main(void)
{
    snprintf(work_dir, sizeof work_dir, "/tmp/parn-datasets-%d", (int)getpid());
    if (mkdir(work_dir, 0700) != 0) return 1;
    Suite *s = suite_create("datasets");
    TCase *tc = tcase_create("datasets");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, make_trees, NULL);
    tcase_add_test(tc, faces_index_and_classes);
    tcase_add_test(tc, faces_lfw_pairs);
    tcase_add_test(tc, faces_crops);
    tcase_add_test(tc, faces_epochs);
    tcase_add_test(tc, actions_index);
    tcase_add_test(tc, actions_centre_clip_is_inference_preprocessing);
    tcase_add_test(tc, actions_short_video_loops);
    tcase_add_test(tc, loader_gives_the_same_bytes);
    tcase_add_test(tc, hmdb51_splits);
    tcase_add_test(tc, ucf101_splits);
    tcase_add_test(tc, hollywood2_clip_sets);
    tcase_add_test(tc, open_errors);
    tcase_add_test(tc, corrupt_files_name_themselves);
    tcase_add_test(tc, bad_batch_arguments);
    tcase_add_test(tc, shared_faces);
    tcase_add_test(tc, shared_videos);
    suite_add_tcase(s, tc);
    int rc = optest_main(s);
    nftw(work_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
