/* SPDX-License-Identifier: MIT */
/* Synthetic action clips: names, determinism, every action rendered, face boxes on the face,
 * the motion of each action going the way its name says, the look independent of the action,
 * argument errors; and the "synthetic" dataset built on them (sizes, classes, labels, face
 * boxes in crop pixels, train and test streams apart, config errors). */
#include "common/optest.h"

#include "train/data/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define W 171
#define H 128
#define T 16
#define SEEDS 6

typedef struct clip {
    parn_frame_t *f[T];
    float box[4 * T];
} clip;

static void render(clip *c, int action, uint64_t seed)
{
    ck_assert_msg(parn_synthetic_clip(action, seed, W, H, T, c->f, c->box) == PARN_OK, "%s",
                  parn_last_error(NULL));
}

static void release(clip *c)
{
    for (int t = 0; t < T; t++) parn_frame_free(&c->f[t]);
}

static const uint8_t *pixel(const parn_frame_t *f, int x, int y)
{
    return parn_frame_plane(f, 0) + (size_t)y * (size_t)parn_frame_stride(f, 0) + 3 * (size_t)x;
}

static bool same_frame(const parn_frame_t *a, const parn_frame_t *b)
{
    for (int y = 0; y < H; y++)
        if (memcmp(pixel(a, 0, y), pixel(b, 0, y), 3 * W) != 0) return false;
    return true;
}

START_TEST(names)
{
    static const char *const first[] = {"walk", "run", "jump", "fall", "wave"};
    int n = parn_synthetic_num_actions();
    ck_assert_int_ge(n, 5);
    for (int i = 0; i < 5; i++) ck_assert_str_eq(parn_synthetic_action_name(i), first[i]);
    for (int i = 0; i < n; i++) ck_assert_ptr_nonnull(parn_synthetic_action_name(i));
    ck_assert_ptr_null(parn_synthetic_action_name(-1));
    ck_assert_ptr_null(parn_synthetic_action_name(n));
}
END_TEST

START_TEST(deterministic)
{
    clip a, b, c;
    render(&a, 0, 42);
    render(&b, 0, 42);
    render(&c, 0, 43);
    int differ = 0;
    for (int t = 0; t < T; t++) {
        ck_assert_msg(same_frame(a.f[t], b.f[t]), "frame %d differs for the same seed", t);
        differ += !same_frame(a.f[t], c.f[t]);
    }
    ck_assert_mem_eq(a.box, b.box, sizeof a.box);
    ck_assert_int_eq(differ, T);
    release(&a), release(&b), release(&c);
}
END_TEST

/* Every action renders real pictures: RGB24 of the size asked, not flat, and the frames change. */
START_TEST(every_action_renders)
{
    for (int a = 0; a < parn_synthetic_num_actions(); a++) {
        clip c;
        render(&c, a, 5);
        ck_assert_int_eq(parn_frame_width(c.f[0]), W);
        ck_assert_int_eq(parn_frame_height(c.f[0]), H);
        ck_assert_int_eq(parn_frame_format(c.f[0]), PARN_PIX_RGB24);
        double sum = 0, sq = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                double v = pixel(c.f[0], x, y)[1];
                sum += v, sq += v * v;
            }
        double mean = sum / (W * H);
        ck_assert_double_gt(sq / (W * H) - mean * mean, 50.0);
        ck_assert(!same_frame(c.f[0], c.f[T - 1]));
        release(&c);
    }
}
END_TEST

/* A face box lies in the frame and on a skin-coloured face (red > green > blue, the palette of
 * every skin tone), whichever the action, seed and frame. */
START_TEST(face_boxes_on_the_face)
{
    for (int a = 0; a < parn_synthetic_num_actions(); a++)
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
            clip c;
            render(&c, a, seed);
            for (int t = 0; t < T; t++) {
                const float *b = c.box + 4 * t;
                ck_assert(b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= W + 1e-3f && b[1] + b[3] <= H + 1e-3f);
                if (b[0] <= 0 || b[1] <= 0 || b[0] + b[2] >= W || b[1] + b[3] >= H) continue; /* clipped */
                ck_assert(b[2] >= 4 && b[3] >= 4);
                const uint8_t *p = pixel(c.f[t], (int)(b[0] + 0.5f * b[2]), (int)(b[1] + 0.5f * b[3]));
                ck_assert_msg(p[0] > p[1] + 10 && p[1] > p[2] + 5,
                              "%s seed %d frame %d: face centre %d,%d,%d is not skin",
                              parn_synthetic_action_name(a), (int)seed, t, p[0], p[1], p[2]);
            }
            release(&c);
        }
}
END_TEST

/* The face's path over the clip: total horizontal travel, ranges, and the face height. */
typedef struct path {
    float travel_x, range_x, range_y, drop, face;
} path;

static path path_of(const clip *c)
{
    path p = {0};
    float min_x = 1e9f, max_x = -1e9f, min_y = 1e9f, max_y = -1e9f;
    for (int t = 0; t < T; t++) {
        float x = c->box[4 * t] + 0.5f * c->box[4 * t + 2], y = c->box[4 * t + 1] + 0.5f * c->box[4 * t + 3];
        if (t) p.travel_x += fabsf(x - (c->box[4 * t - 4] + 0.5f * c->box[4 * t - 2]));
        min_x = fminf(min_x, x), max_x = fmaxf(max_x, x), min_y = fminf(min_y, y), max_y = fmaxf(max_y, y);
    }
    p.range_x = max_x - min_x, p.range_y = max_y - min_y;
    p.drop = (c->box[4 * (T - 1) + 1] + 0.5f * c->box[4 * (T - 1) + 3]) - (c->box[1] + 0.5f * c->box[3]);
    p.face = fmaxf(c->box[2], c->box[3]);
    return p;
}

/* Pixels that change clearly between consecutive frames (beyond the sensor noise). */
static long moving_pixels(const clip *c)
{
    long n = 0;
    for (int t = 1; t < T; t++)
        for (int y = 0; y < H; y++) {
            const uint8_t *a = pixel(c->f[t - 1], 0, y), *b = pixel(c->f[t], 0, y);
            for (int x = 0; x < 3 * W; x += 3)
                n += abs(a[x] - b[x]) + abs(a[x + 1] - b[x + 1]) + abs(a[x + 2] - b[x + 2]) > 45;
        }
    return n;
}

START_TEST(motion_tells_the_actions_apart)
{
    long walk_px = 0, run_px = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        clip c[5];
        path p[5];
        for (int a = 0; a < 5; a++) render(&c[a], a, seed), p[a] = path_of(&c[a]);
        float face = p[0].face;
        /* walk: sideways, level */
        ck_assert_msg(p[0].travel_x > 1.0f * face && p[0].range_y < 0.5f * face, "walk %d: %g %g",
                      (int)seed, p[0].travel_x, p[0].range_y);
        /* run: sideways, much faster */
        ck_assert_msg(p[1].travel_x > 2.5f * p[0].travel_x, "run %d: %g vs walk %g", (int)seed,
                      p[1].travel_x, p[0].travel_x);
        /* jump: up and down, little sideways */
        ck_assert_msg(p[2].range_y > 1.2f * face && p[2].range_y > 2.0f * p[2].range_x, "jump %d: %g %g",
                      (int)seed, p[2].range_y, p[2].range_x);
        /* fall: the face ends far lower */
        ck_assert_msg(p[3].drop > 2.0f * face, "fall %d: drop %g", (int)seed, p[3].drop);
        /* wave: the face stays, the arm moves */
        ck_assert_msg(p[4].range_x < 0.3f * face && p[4].range_y < 0.3f * face, "wave %d", (int)seed);
        ck_assert_int_gt(moving_pixels(&c[4]), 50);
        walk_px += moving_pixels(&c[0]), run_px += moving_pixels(&c[1]);
        for (int a = 0; a < 5; a++) release(&c[a]);
    }
    ck_assert_int_gt(run_px, walk_px);
}
END_TEST

/* The same seed gives the same scene whatever the action: only the figure's motion differs
 * (the top row, which no figure reaches, is identical in every frame). */
START_TEST(look_does_not_depend_on_the_action)
{
    clip ref;
    render(&ref, 0, 9);
    for (int a = 1; a < parn_synthetic_num_actions(); a++) {
        clip c;
        render(&c, a, 9);
        for (int t = 0; t < T; t++) ck_assert_mem_eq(pixel(c.f[t], 0, 0), pixel(ref.f[t], 0, 0), 3 * W);
        release(&c);
    }
    release(&ref);
}
END_TEST

START_TEST(bad_arguments)
{
    parn_frame_t *f[2] = {NULL, NULL};
    int n = parn_synthetic_num_actions();
    ck_assert_int_eq(parn_synthetic_clip(-1, 1, W, H, 2, f, NULL), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "action"));
    ck_assert_int_eq(parn_synthetic_clip(n, 1, W, H, 2, f, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_synthetic_clip(0, 1, 31, H, 2, f, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_synthetic_clip(0, 1, W, 4097, 2, f, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_synthetic_clip(0, 1, W, H, 0, f, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_synthetic_clip(0, 1, W, H, 1025, f, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_synthetic_clip(0, 1, W, H, 2, NULL, NULL), PARN_E_INVALID_ARG);
    ck_assert_ptr_null(f[0]);
    /* the smallest size and no boxes work */
    ck_assert_int_eq(parn_synthetic_clip(0, 1, 32, 32, 2, f, NULL), PARN_OK);
    parn_frame_free(&f[0]), parn_frame_free(&f[1]);
}
END_TEST

/* ---- the synthetic dataset ---------------------------------------------------------------------- */

static parn_dataset_t *open_synthetic(const char *config, uint64_t seed)
{
    parn_options_t *o = NULL;
    parn_dataset_t *d = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_DATASET_CONFIG, config), PARN_OK);
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_SEED, (int64_t)seed), PARN_OK);
    ck_assert_msg(parn_dataset_open("synthetic", NULL, o, &d) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    return d;
}

#define N 4
#define CROP 112
#define ITEM ((size_t)3 * T * CROP * CROP)

START_TEST(dataset_sizes_classes_labels)
{
    parn_dataset_t *d = open_synthetic("{\"classes\": 5, \"clips\": 20, \"workers\": 0}", 1);
    ck_assert_str_eq(parn_dataset_kind(d), "synthetic");
    ck_assert_int_eq(parn_dataset_size(d), 20);
    ck_assert_int_eq(parn_dataset_num_classes(d), 5);
    ck_assert_str_eq(parn_dataset_class_name(d, 3), "fall");
    ck_assert_ptr_null(parn_dataset_class_name(d, 5));
    ck_assert(!parn__dataset_is_faces(d));
    ck_assert_int_eq(parn__dataset_kind(d), PARN_DATA_SYNTHETIC);
    /* one epoch (5 batches of 4) shows every clip once: 4 of each class */
    parn_batch_spec s = {N, CROP, T, true};
    float *x = malloc(N * ITEM * sizeof *x), labels[N], boxes[N * T * 4];
    int count[5] = {0};
    for (int b = 0; b < 5; b++) {
        ck_assert_msg(parn__dataset_batch(d, &s, b, x, labels, boxes) == PARN_OK, "%s", parn_last_error(NULL));
        for (int i = 0; i < N; i++) count[(int)labels[i]]++;
        /* the antialiased resize's weights sum to 1 within a float's rounding */
        size_t outside = 0;
        for (size_t k = 0; k < N * ITEM; k++) outside += !(x[k] >= 0.0f && x[k] <= 1.000001f);
        ck_assert_uint_eq(outside, 0);
        for (int k = 0; k < N * T; k++) {
            const float *bx = boxes + 4 * k;
            if (bx[2] < 0) continue; /* the face left the crop */
            ck_assert(bx[0] >= 0 && bx[1] >= 0 && bx[0] + bx[2] <= CROP + 1e-3f && bx[1] + bx[3] <= CROP + 1e-3f);
        }
    }
    for (int c = 0; c < 5; c++) ck_assert_int_eq(count[c], 4);
    free(x);
    parn_dataset_destroy(d);
}
END_TEST

/* Without augmentation, item pixels are the rendered clip through the classifier's centre crop,
 * and the boxes are the renderer's, moved into the crop. */
START_TEST(dataset_items_are_the_rendered_clips)
{
    parn_dataset_t *d = open_synthetic("{\"classes\": 3, \"clips\": 1, \"workers\": 0}", 3);
    parn_batch_spec s = {1, CROP, T, false};
    float *x = malloc(ITEM * sizeof *x), label, boxes[T * 4];
    ck_assert_int_eq(parn__dataset_batch(d, &s, 0, x, &label, boxes), PARN_OK);
    ck_assert_float_eq(label, 0.0f);
    float *again = malloc(ITEM * sizeof *again), label2, boxes2[T * 4];
    ck_assert_int_eq(parn__dataset_batch(d, &s, 1, again, &label2, boxes2), PARN_OK); /* epoch 1 */
    ck_assert_mem_eq(x, again, ITEM * sizeof *x); /* no augmentation: the same item, the same floats */
    ck_assert_mem_eq(boxes, boxes2, sizeof boxes);
    /* centre crop of a 171 x 128 clip: left 29, top 8 */
    int seen = 0;
    for (int t = 0; t < T; t++)
        if (boxes[4 * t + 2] > 0) {
            seen++;
            float cx = boxes[4 * t] + 0.5f * boxes[4 * t + 2], cy = boxes[4 * t + 1] + 0.5f * boxes[4 * t + 3];
            size_t k = (size_t)t * CROP * CROP + (size_t)cy * CROP + (size_t)cx, plane = (size_t)T * CROP * CROP;
            ck_assert(x[k] > x[plane + k] && x[plane + k] > x[2 * plane + k]); /* skin: r > g > b */
        }
    ck_assert_int_gt(seen, T / 2);
    free(x), free(again);
    parn_dataset_destroy(d);
}
END_TEST

START_TEST(dataset_streams_and_seeds)
{
    parn_dataset_t *train = open_synthetic("{\"clips\": 4, \"workers\": 0}", 1);
    parn_dataset_t *test = open_synthetic("{\"clips\": 4, \"subset\": \"test\", \"workers\": 0}", 1);
    parn_dataset_t *other = open_synthetic("{\"clips\": 4, \"workers\": 0}", 2);
    parn_dataset_t *same = open_synthetic("{\"clips\": 4, \"workers\": 2}", 1);
    parn_batch_spec s = {4, 32, 4, true};
    size_t n = 4 * 3 * 4 * 32 * 32;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), la[4], lb[4];
    ck_assert_int_eq(parn__dataset_batch(train, &s, 0, a, la, NULL), PARN_OK);
    ck_assert_int_eq(parn__dataset_batch(test, &s, 0, b, lb, NULL), PARN_OK);
    ck_assert(memcmp(a, b, n * sizeof *a) != 0);
    ck_assert_int_eq(parn__dataset_batch(other, &s, 0, b, lb, NULL), PARN_OK);
    ck_assert(memcmp(a, b, n * sizeof *a) != 0);
    ck_assert_int_eq(parn__dataset_batch(same, &s, 0, b, lb, NULL), PARN_OK);
    ck_assert_mem_eq(a, b, n * sizeof *a);
    ck_assert_mem_eq(la, lb, sizeof la);
    free(a), free(b);
    parn_dataset_destroy(train), parn_dataset_destroy(test), parn_dataset_destroy(other);
    parn_dataset_destroy(same);
}
END_TEST

static void expect_config_error(const char *config, const char *word)
{
    parn_options_t *o = NULL;
    parn_dataset_t *d = (parn_dataset_t *)1;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_DATASET_CONFIG, config), PARN_OK);
    ck_assert_int_eq(parn_dataset_open("synthetic", NULL, o, &d), PARN_E_INVALID_ARG);
    ck_assert_ptr_null(d);
    ck_assert_msg(strstr(parn_last_error(NULL), word), "'%s' lacks '%s'", parn_last_error(NULL), word);
    parn_options_destroy(o);
}

START_TEST(dataset_config_errors)
{
    expect_config_error("{\"classes\": 0}", "classes");
    expect_config_error("{\"classes\": 99}", "classes");
    expect_config_error("{\"clips\": 2.5}", "clips");
    expect_config_error("{\"width\": \"wide\"}", "width");
    expect_config_error("{\"subset\": \"validation\"}", "subset");
    expect_config_error("{\"colour\": 1}", "colour");
    expect_config_error("[1, 2]", "JSON object");
    expect_config_error("{not json", "JSON object");
    parn_dataset_t *d = NULL;
    ck_assert_int_eq(parn_dataset_open("sythetic", NULL, NULL, &d), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "sythetic"));
    ck_assert_int_eq(parn_dataset_open(NULL, NULL, NULL, &d), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_dataset_open("synthetic", NULL, NULL, NULL), PARN_E_INVALID_ARG);
    /* defaults: 256 clips of the first 5 actions */
    ck_assert_int_eq(parn_dataset_open("synthetic", NULL, NULL, &d), PARN_OK);
    ck_assert_int_eq(parn_dataset_size(d), 256);
    ck_assert_int_eq(parn_dataset_num_classes(d), 5);
    parn_dataset_destroy(d);
    parn_dataset_destroy(NULL);
    ck_assert_int_eq(parn_dataset_size(NULL), -1);
    ck_assert_int_eq(parn_dataset_num_classes(NULL), -1);
    ck_assert_ptr_null(parn_dataset_kind(NULL));
    ck_assert_ptr_null(parn_dataset_class_name(NULL, 0));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("synthetic");
    TCase *tc = tcase_create("synthetic");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, names);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, every_action_renders);
    tcase_add_test(tc, face_boxes_on_the_face);
    tcase_add_test(tc, motion_tells_the_actions_apart);
    tcase_add_test(tc, look_does_not_depend_on_the_action);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, dataset_sizes_classes_labels);
    tcase_add_test(tc, dataset_items_are_the_rendered_clips);
    tcase_add_test(tc, dataset_streams_and_seeds);
    tcase_add_test(tc, dataset_config_errors);
    suite_add_tcase(s, tc);
    return optest_main(s);
}
