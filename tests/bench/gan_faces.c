/* SPDX-License-Identifier: MIT */
/* The GAN phase on real faces (../shared/data/faces: ORL by default, whole pictures, no
 * detector): evaluates SSIM and the face-embedder distance between X and G(X) before and after
 * a few minutes of training, logs the generator's losses, and writes a PNG grid (rows: original
 * crop, masked input, generated face composited into the crop). Exits 77 (skip) without the
 * data. Usage: gan_faces [DIR] [--minutes M] [--steps N] [--threads N] [--seed N] [--png FILE]
 *                        [--model-config JSON] [--config JSON] [--eval-items N] [--faces N] */
#include "backend/backend.h"

#include "bench_common.h"

#include "api/session.h"
#include "models/model.h"
#include "pipeline/gan.h"
#include "train/data/dataset.h"

#include <cjson/cJSON.h>
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct gan_args {
    const char *dir, *png, *model_config, *config;
    double minutes;
    int64_t steps, threads, seed, eval_items, faces, log_every;
} gan_args;

/* A generator and discriminator small enough for minutes of CPU training. */
static const char default_model[] =
    "{\"generator\": {\"size\": 64, \"base\": 16, \"depth\": 3, \"fusion_channels\": 32,"
    " \"max_channels\": 64, \"noise_dim\": 16},"
    " \"discriminator\": {\"size\": 64, \"base\": 16, \"frames\": 2, \"temporal_base\": 8}}";
static const char default_config[] = "{\"face_batch\": 4}";

static int parse(int argc, char **argv, gan_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (k[0] != '-') {
            a->dir = k;
            continue;
        }
        if (!v) return fprintf(stderr, "gan_faces: %s needs a value\n", k), 2;
        i++;
        if (!strcmp(k, "--minutes")) a->minutes = atof(v);
        else if (!strcmp(k, "--steps")) a->steps = atoll(v);
        else if (!strcmp(k, "--threads")) a->threads = atoll(v);
        else if (!strcmp(k, "--seed")) a->seed = atoll(v);
        else if (!strcmp(k, "--png")) a->png = v;
        else if (!strcmp(k, "--model-config")) a->model_config = v;
        else if (!strcmp(k, "--config")) a->config = v;
        else if (!strcmp(k, "--eval-items")) a->eval_items = atoll(v);
        else if (!strcmp(k, "--faces")) a->faces = atoll(v);
        else if (!strcmp(k, "--log-every")) a->log_every = atoll(v);
        else return fprintf(stderr, "gan_faces: unknown option %s\n", k), 2;
    }
    return 0;
}

static const char *message(const parn_session_t *s)
{
    const char *m = s ? parn_last_error(s) : NULL;
    return m && *m ? m : parn_last_error(NULL);
}

/* ---- the PNG (FFmpeg's encoder) ------------------------------------------------------------- */

static int write_png(const char *path, const uint8_t *rgb, int w, int h)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    AVCodecContext *c = codec ? avcodec_alloc_context3(codec) : NULL;
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    int ok = c && f && pkt;
    if (ok) {
        c->width = w;
        c->height = h;
        c->pix_fmt = AV_PIX_FMT_RGB24;
        c->time_base = (AVRational){1, 1};
        f->format = AV_PIX_FMT_RGB24;
        f->width = w;
        f->height = h;
        ok = avcodec_open2(c, codec, NULL) == 0 && av_frame_get_buffer(f, 0) == 0;
    }
    for (int y = 0; ok && y < h; y++) memcpy(f->data[0] + (size_t)y * f->linesize[0], rgb + (size_t)y * w * 3, (size_t)w * 3);
    ok = ok && avcodec_send_frame(c, f) == 0 && avcodec_send_frame(c, NULL) == 0 &&
         avcodec_receive_packet(c, pkt) == 0;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = ok ? fopen(tmp, "wb") : NULL;
    ok = fp && fwrite(pkt->data, 1, (size_t)pkt->size, fp) == (size_t)pkt->size;
    if (fp) ok = (fclose(fp) == 0) && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) remove(tmp);
    av_packet_free(&pkt);
    av_frame_free(&f);
    avcodec_free_context(&c);
    return ok ? 0 : 1;
}

/* ---- the grid -------------------------------------------------------------------------------- */

enum { GAP = 2 };

static void put_tile(uint8_t *img, int img_w, int row, int col, int s, const float *rgb255)
{
    int x0 = GAP + col * (s + GAP), y0 = GAP + row * (s + GAP);
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++)
            for (int k = 0; k < 3; k++) {
                float v = rgb255[((size_t)y * s + x) * 3 + k];
                img[((size_t)(y0 + y) * img_w + x0 + x) * 3 + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
            }
}

/* n faces of the dataset's first batch through the trained generator (the anonymizer's runner,
 * the inscribed ellipse covered, as in training). */
static int grid(const gan_args *a, parn_session_t *s, parn_dataset_t *data, const parn_model_t *m)
{
    int n = (int)a->faces, side = m->generator.size;
    size_t plane = (size_t)side * side;
    float *x = malloc((size_t)n * 3 * plane * sizeof(float)), *labels = malloc((size_t)n * sizeof(float));
    float *rgb = malloc(3 * plane * sizeof(float)), *orig = malloc(3 * plane * sizeof(float));
    int img_w = GAP + n * (side + GAP), img_h = GAP + 3 * (side + GAP);
    uint8_t *img = calloc((size_t)img_w * img_h * 3, 1);
    parn_batch_spec spec = {.n = n, .size = side, .frames = 1, .augment = false};
    parn_gan *gan = NULL;
    parn_rng rng;
    parn__rng_seed(&rng, (uint64_t)a->seed);
    parn_region r = {.cx = side / 2.0f, .cy = side / 2.0f, .rx = side / 2.0f, .ry = side / 2.0f,
                     .ellipse = true, .x0 = 0, .y0 = 0, .x1 = side, .y1 = side};
    parn_status st = x && labels && rgb && orig && img ? PARN_OK : PARN_E_NOMEM;
    if (st == PARN_OK) st = parn__dataset_batch(data, &spec, 0, x, labels, NULL);
    if (st == PARN_OK) st = parn_gan_create(m, s->backend, s->ctx, &gan);
    for (int i = 0; st == PARN_OK && i < n; i++) {
        for (size_t p = 0; p < plane; p++)
            for (int k = 0; k < 3; k++) orig[p * 3 + k] = 255.0f * x[((size_t)i * 3 + k) * plane + p];
        memcpy(rgb, orig, 3 * plane * sizeof(float));
        float *prev = NULL;
        st = parn_gan_run(gan, rgb, 0, 0, side, side, &r, &prev, &rng);
        parn__free(prev);
        put_tile(img, img_w, 0, i, side, orig);
        for (int v = 0; v < side; v++)
            for (int u = 0; u < side; u++) {
                bool covered = parn_region_contains(&r, u + 0.5f, v + 0.5f);
                size_t p = (size_t)v * side + u;
                for (int k = 0; k < 3; k++) {
                    if (!covered) rgb[p * 3 + k] = orig[p * 3 + k]; /* the composite */
                    orig[p * 3 + k] = covered ? 0.0f : orig[p * 3 + k];
                }
            }
        put_tile(img, img_w, 1, i, side, orig);
        put_tile(img, img_w, 2, i, side, rgb);
    }
    int rc = st != PARN_OK ? fprintf(stderr, "gan_faces: grid: %s\n", message(NULL)), 1 : 0;
    if (!rc && write_png(a->png, img, img_w, img_h)) rc = (fprintf(stderr, "gan_faces: cannot write %s\n", a->png), 1);
    if (!rc) printf("{\"png\": \"%s\", \"faces\": %d, \"size\": %d}\n", a->png, n, side);
    parn_gan_destroy(gan);
    free(x);
    free(labels);
    free(rgb);
    free(orig);
    free(img);
    return rc;
}

/* ---- losses ------------------------------------------------------------------------------------ */

/* Running sums of each loss term over a window of steps, with a count per term (D's loss is
 * only there on the steps that update D). */
typedef struct loss_window {
    cJSON *sum, *count;
} loss_window;

static void bump(cJSON *obj, const char *key, double v)
{
    cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (s) cJSON_SetNumberValue(s, s->valuedouble + v);
    else cJSON_AddNumberToObject(obj, key, v);
}

static void window_add(loss_window *w, const char *record)
{
    cJSON *j = cJSON_Parse(record);
    const cJSON *losses = cJSON_GetObjectItemCaseSensitive(j, "losses"), *it;
    if (!w->sum) w->sum = cJSON_CreateObject(), w->count = cJSON_CreateObject();
    cJSON_ArrayForEach(it, losses) {
        if (!cJSON_IsNumber(it)) continue;
        bump(w->sum, it->string, it->valuedouble);
        bump(w->count, it->string, 1);
    }
    cJSON_Delete(j);
}

/* The window's means as JSON (the caller frees it); the window restarts empty. */
static char *window_mean(loss_window *w)
{
    cJSON *it;
    cJSON_ArrayForEach(it, w->sum) {
        double n = cJSON_GetObjectItemCaseSensitive(w->count, it->string)->valuedouble;
        cJSON_SetNumberValue(it, it->valuedouble / n);
    }
    char *s = w->sum ? cJSON_PrintUnformatted(w->sum) : NULL;
    cJSON_Delete(w->sum);
    cJSON_Delete(w->count);
    w->sum = w->count = NULL;
    return s;
}

/* ---- main ------------------------------------------------------------------------------------------ */

static parn_status setup(const gan_args *a, parn_session_t **s, parn_dataset_t **d, parn_trainer_t **t)
{
    parn_options_t *o;
    parn_status st = parn_options_create(&o);
    if (st == PARN_OK && a->threads > 0) st = parn_options_set_int(o, PARN_OPT_THREADS, a->threads);
    if (st == PARN_OK) st = parn_options_set_int(o, PARN_OPT_SEED, a->seed);
    if (st == PARN_OK) st = parn_session_create(NULL, o, s);
    if (st == PARN_OK) st = parn_options_set_string(o, PARN_OPT_DATASET_CONFIG, "{\"detect\": false}");
    if (st == PARN_OK) st = parn_dataset_open("faces", a->dir, o, d);
    char cfg[2048];
    snprintf(cfg, sizeof cfg, "%.*s, \"steps\": %lld}", (int)(strlen(a->config) - 1), a->config,
             (long long)a->steps);
    if (st == PARN_OK) st = parn_options_set_string(o, PARN_OPT_TRAIN_CONFIG, cfg);
    if (st == PARN_OK) st = parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, a->model_config);
    if (st == PARN_OK) st = parn_trainer_create(*s, "gan", NULL, o, t);
    if (st == PARN_OK) st = parn_trainer_set_data(*t, *d);
    parn_options_destroy(o);
    return st;
}

int main(int argc, char **argv)
{
    static char default_dir[1024];
    const char *shared = getenv("PARN_SHARED_DATA");
    snprintf(default_dir, sizeof default_dir, "%s/faces/orl_att_faces", shared ? shared : "../shared/data");
    gan_args a = {.dir = default_dir, .png = "docs/gan-faces.png", .model_config = default_model,
                  .config = default_config, .minutes = 4, .steps = 100000, .seed = 1, .eval_items = 64,
                  .faces = 8, .log_every = 10};
    if (parse(argc, argv, &a)) return 2;
    struct stat sb;
    if (stat(a.dir, &sb) != 0) {
        printf("gan_faces: %s is absent: skipped\n", a.dir);
        return 77;
    }
    parn_session_t *s = NULL;
    parn_dataset_t *d = NULL;
    parn_trainer_t *t = NULL;
    parn_status st = setup(&a, &s, &d, &t);
    const char *json;
    if (st == PARN_OK) st = parn_trainer_evaluate(t, d, a.eval_items, &json);
    if (st == PARN_OK) printf("{\"step\": 0, \"eval\": %s}\n", json);
    double t0 = bench_now_ms();
    loss_window first = {0}, last = {0};
    char *first_mean = NULL;
    int64_t step = 0;
    while (st == PARN_OK && step < a.steps && bench_now_ms() - t0 < a.minutes * 60000.0) {
        st = parn_trainer_step(t);
        step = parn_trainer_step_count(t);
        if (st != PARN_OK) break;
        window_add(step <= a.log_every ? &first : &last, parn_trainer_log(t));
        if (step == a.log_every) first_mean = window_mean(&first);
        if (step % a.log_every == 0) {
            char *mean = step == a.log_every ? NULL : window_mean(&last);
            printf("{\"step\": %lld, \"minutes\": %.2f, \"mean_losses\": %s}\n", (long long)step,
                   (bench_now_ms() - t0) / 60000.0, mean ? mean : first_mean);
            fflush(stdout);
            free(mean);
        }
    }
    double minutes = (bench_now_ms() - t0) / 60000.0;
    if (st == PARN_OK) st = parn_trainer_evaluate(t, d, a.eval_items, &json);
    if (st == PARN_OK)
        printf("{\"step\": %lld, \"minutes\": %.2f, \"eval\": %s, \"first_losses\": %s}\n", (long long)step,
               minutes, json, first_mean ? first_mean : "null");
    int rc = st != PARN_OK;
    if (rc) fprintf(stderr, "gan_faces: %s\n", message(s));
    parn_model_t *m = NULL;
    if (!rc && parn_trainer_export(t, &m) != PARN_OK) rc = (fprintf(stderr, "gan_faces: %s\n", message(s)), 1);
    if (!rc) rc = grid(&a, s, d, m);
    free(first_mean);
    free(window_mean(&first));
    free(window_mean(&last));
    parn_model_destroy(m);
    parn_trainer_destroy(t);
    parn_dataset_destroy(d);
    parn_session_destroy(s);
    return rc;
}
