/* SPDX-License-Identifier: MIT */
/* End-to-end throughput as parn-anonymize runs it: decode, detect, track, anonymize, encode,
 * in frames per second per mode, beside the decode + encode copy alone (the floor the pipeline
 * adds to); then clip classification (FEM + C3D, default sizes) in clips per second.
 * Usage: bench_pipeline VIDEO... [--threads T] [--frames N] [--detect-every N]
 * The GAN mode uses a generator with fresh weights (its speed does not depend on training). */
#include "parn.h"

#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct config {
    int threads, frames, detect_every;
} config;

static int fail(const char *what, const parn_session_t *s)
{
    fprintf(stderr, "bench_pipeline: %s: %s\n", what, parn_last_error(s));
    return 1;
}

static parn_session_t *session(const parn_model_t *m, const config *c, const char *mode)
{
    parn_options_t *o = NULL;
    parn_session_t *s = NULL;
    if (parn_options_create(&o) != PARN_OK) return NULL;
    parn_options_set_int(o, PARN_OPT_THREADS, c->threads);
    parn_options_set_int(o, PARN_OPT_DETECT_EVERY, c->detect_every);
    if (mode) parn_options_set_string(o, PARN_OPT_ANON_MODE, mode);
    if (parn_session_create(m, o, &s) != PARN_OK) s = NULL;
    parn_options_destroy(o);
    return s;
}

/* Reads up to c->frames frames of path, anonymizes them with s (NULL: copies them) and writes
 * them to a temporary file; *fps gets the frames per second of the whole loop. */
static int run_video(const char *path, parn_session_t *s, const config *c, double *fps, int *faces)
{
    char out[] = "/tmp/bench_pipeline-XXXXXX.mp4";
    int fd = mkstemps(out, 4);
    if (fd < 0) return fail("temporary file", NULL);
    close(fd);
    parn_video_reader_t *r = NULL;
    parn_video_writer_t *w = NULL;
    if (parn_video_open(path, &r) != PARN_OK || parn_video_writer_open(out, r, &w) != PARN_OK) {
        parn_video_close(r);
        unlink(out);
        return fail(path, NULL);
    }
    float records[PARN_FACE_RECORD * 64];
    parn_frame_t *frame;
    int n = 0, rc = 0;
    *faces = 0;
    double t0 = bench_now_ms();
    while (!rc && n < c->frames && parn_video_read(r, &frame) == PARN_OK) {
        int k = 0;
        if (s && parn_anonymize_frame(s, frame, frame, records, 64, &k) != PARN_OK) rc = fail("anonymize", s);
        else if (parn_video_write(w, frame) != PARN_OK) rc = fail("write", NULL);
        *faces += k;
        n++;
    }
    if (!rc && parn_video_writer_close(w) != PARN_OK) rc = fail("close", NULL);
    else if (rc) parn_video_writer_destroy(w);
    *fps = n / ((bench_now_ms() - t0) / 1e3);
    parn_video_close(r);
    unlink(out);
    return rc;
}

static int bench_video(const char *path, const parn_model_t *gan, const config *c)
{
    int w = 0, h = 0, faces = 0;
    parn_video_reader_t *r = NULL;
    if (parn_video_open(path, &r) != PARN_OK) return fail(path, NULL);
    parn_video_info(r, &w, &h, NULL, NULL, NULL, NULL);
    parn_video_close(r);
    const char *slash = strrchr(path, '/');
    printf("%s (%dx%d), %d threads, detect every %d frame(s):\n", slash ? slash + 1 : path, w, h,
           c->threads, c->detect_every);
    double copy_fps;
    if (run_video(path, NULL, c, &copy_fps, &faces)) return 1;
    printf("  %-10s %7.1f fps\n", "copy", copy_fps);
    static const char *const modes[] = {"blur", "pixelate", "mask", "gan"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        parn_session_t *s = session(!strcmp(modes[i], "gan") ? gan : NULL, c, modes[i]);
        if (!s) return fail("session", NULL);
        double fps;
        int rc = run_video(path, s, c, &fps, &faces);
        parn_session_destroy(s);
        if (rc) return rc;
        printf("  %-10s %7.1f fps   (%.2f faces/frame; %.0f%% of the copy's speed)\n", modes[i], fps,
               (double)faces / c->frames, 100 * fps / copy_fps);
    }
    return 0;
}

/* FEM + C3D at default sizes on 16 decoded frames of path, repeated. */
static int bench_classify(const char *path, const parn_model_t *m, const config *c)
{
    parn_session_t *s = session(m, c, NULL);
    parn_video_reader_t *r = NULL;
    if (!s || parn_video_open(path, &r) != PARN_OK) return parn_session_destroy(s), fail("classify", NULL);
    int clip = parn_model_clip_length(m), cls[3], rc = 0;
    float p[3];
    parn_frame_t *frame, *frames[64] = {0};
    for (int i = 0; i < clip && parn_video_read(r, &frame) == PARN_OK; i++) {
        parn_frame_alloc(PARN_PIX_RGB24, parn_frame_width(frame), parn_frame_height(frame), &frames[i]);
        for (int y = 0; y < parn_frame_height(frame); y++)
            memcpy(parn_frame_plane(frames[i], 0) + (size_t)y * parn_frame_stride(frames[i], 0),
                   parn_frame_plane(frame, 0) + (size_t)y * parn_frame_stride(frame, 0),
                   (size_t)parn_frame_width(frame) * 3);
    }
    const int iters = 5;
    double t0 = 0;
    for (int i = -1; !rc && i < iters; i++) { /* one warm-up */
        if (i == 0) t0 = bench_now_ms();
        if (parn_classify_clip(s, (const parn_frame_t *const *)frames, clip, 3, cls, p) != PARN_OK)
            rc = fail("classify", s);
    }
    if (!rc)
        printf("classification (FEM + C3D, %d classes, %d-frame clips, %d threads): %.2f clips/s\n",
               parn_model_num_classes(m), clip, c->threads, iters / ((bench_now_ms() - t0) / 1e3));
    for (int i = 0; i < clip; i++) parn_frame_free(&frames[i]);
    parn_video_close(r);
    parn_session_destroy(s);
    return rc;
}

static parn_model_t *fresh_model(const char *networks)
{
    parn_options_t *o = NULL;
    parn_model_t *m = NULL;
    if (parn_options_create(&o) != PARN_OK) return NULL;
    parn_options_set_string(o, PARN_OPT_NETWORKS, networks);
    if (parn_model_create(o, &m) != PARN_OK) m = NULL;
    parn_options_destroy(o);
    return m;
}

int main(int argc, char **argv)
{
    config c = {2, 150, 1};
    const char *videos[16];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) c.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--frames") && i + 1 < argc) c.frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--detect-every") && i + 1 < argc) c.detect_every = atoi(argv[++i]);
        else if (argv[i][0] != '-' && n < 16) videos[n++] = argv[i];
        else return fprintf(stderr, "usage: bench_pipeline VIDEO... [--threads T] [--frames N] [--detect-every N]\n"), 2;
    }
    parn_model_t *gan = fresh_model("generator"), *cls = fresh_model("fem,c3d");
    if (!gan || !cls) return fail("model", NULL);
    int rc = 0, ran = 0;
    for (int i = 0; !rc && i < n; i++) {
        if (access(videos[i], R_OK) != 0) {
            printf("%s: absent, skipped\n", videos[i]);
            continue;
        }
        rc = bench_video(videos[i], gan, &c);
        if (!rc && !ran++) rc = bench_classify(videos[i], cls, &c);
    }
    parn_model_destroy(gan);
    parn_model_destroy(cls);
    return rc ? rc : ran ? 0 : 77;
}
