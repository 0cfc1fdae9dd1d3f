/* SPDX-License-Identifier: MIT */
/* Video files: clips made here with FFmpeg's own API (MPEG-4 video with an AAC or PCM tone, in
 * Matroska and MP4) are read back, rewritten through the writer and compared with the input
 * stream by stream (timestamps, time bases, frame rate, duration, the audio packets byte for
 * byte, the pixels); misuse and bad files give clean errors; the real clips of
 * ../shared/data/video are read when present. PARN_VIDEO_BENCH=1 adds a 1280x720 timing. */
#include "common/cliptest.h"
#include "common/optest.h"
#include "io/ffmpeg.h"

#include <dirent.h>
#include <fcntl.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/adler32.h>
#include <libavutil/channel_layout.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char work_dir[256];

/* A file in this run's scratch folder, for immediate use (one of a few rotating buffers). */
static const char *scratch(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", work_dir, name);
    return p;
}

/* A scratch path held in a local array, for paths used throughout a test; any file left by an
 * earlier failed run is removed. */
#define SCRATCH(var, name)                                                                     \
    char var[512];                                                                             \
    snprintf(var, sizeof var, "%s/%s", work_dir, name);                                        \
    unlink(var)

/* ---- looking into files with FFmpeg ------------------------------------------------------ */

#define MAX_PACKETS 4096

typedef struct stream_probe {
    bool present;
    enum AVCodecID codec;
    AVRational time_base, rate;
    int64_t packets;
    int64_t end; /* the latest pts + duration */
    int64_t pts[MAX_PACKETS];
    uint32_t adler; /* of every packet's bytes, in file order */
} stream_probe;

typedef struct file_probe {
    int64_t duration; /* AV_TIME_BASE units */
    stream_probe video, audio;
} file_probe;

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void probe(const char *path, file_probe *fp)
{
    memset(fp, 0, sizeof *fp);
    AVFormatContext *fmt = NULL;
    ck_assert_int_ge(avformat_open_input(&fmt, path, NULL, NULL), 0);
    ck_assert_int_ge(avformat_find_stream_info(fmt, NULL), 0);
    fp->duration = fmt->duration;
    stream_probe *of[16] = {0};
    for (unsigned i = 0; i < fmt->nb_streams && i < 16; i++) {
        const AVStream *st = fmt->streams[i];
        stream_probe *sp = st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO   ? &fp->video
                           : st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO ? &fp->audio
                                                                            : NULL;
        if (!sp || sp->present) continue;
        of[i] = sp;
        sp->present = true;
        sp->codec = st->codecpar->codec_id;
        sp->time_base = st->time_base;
        sp->rate = st->avg_frame_rate;
        sp->adler = 1;
    }
    AVPacket *p = av_packet_alloc();
    while (av_read_frame(fmt, p) >= 0) {
        stream_probe *sp = p->stream_index < 16 ? of[p->stream_index] : NULL;
        if (sp && sp->packets < MAX_PACKETS) {
            sp->pts[sp->packets++] = p->pts;
            if (sp->packets == 1 || p->pts + p->duration > sp->end) sp->end = p->pts + p->duration;
            sp->adler = av_adler32_update(sp->adler, p->data, (size_t)p->size);
        }
        av_packet_unref(p);
    }
    av_packet_free(&p);
    avformat_close_input(&fmt);
    qsort(fp->video.pts, (size_t)fp->video.packets, sizeof(int64_t), compare_i64);
}

/* The output stream carries the input's packets at the input's times. Across containers the
 * clocks may differ (Matroska counts milliseconds, MP4 audio counts samples) and a muxer may
 * move every stream by the same small amount (Matroska cannot store AAC priming's negative
 * times; FFmpeg's MP4 muxer trims a delayed track's end): times are then compared in seconds,
 * as one common offset, and the end is not compared. */
static void expect_same_stream(const stream_probe *in, const stream_probe *out, const char *what,
                               bool same_container, double offset)
{
    ck_assert_msg(out->present == in->present, "%s: stream present %d, input %d", what, out->present,
                  in->present);
    if (!in->present) return;
    ck_assert_msg(out->packets == in->packets, "%s: %lld packets, input %lld", what,
                  (long long)out->packets, (long long)in->packets);
    if (!same_container) {
        double tick = fmax(av_q2d(in->time_base), av_q2d(out->time_base));
        for (int64_t i = 0; i < in->packets; i++) {
            double d = out->pts[i] * av_q2d(out->time_base) - in->pts[i] * av_q2d(in->time_base);
            ck_assert_msg(fabs(d - offset) <= tick, "%s: packet %lld moved by %.4f s, the video by %.4f s",
                          what, (long long)i, d, offset);
        }
        return;
    }
    ck_assert_msg(av_cmp_q(in->time_base, out->time_base) == 0, "%s: time base %d/%d, input %d/%d",
                  what, out->time_base.num, out->time_base.den, in->time_base.num, in->time_base.den);
    for (int64_t i = 0; i < in->packets; i++)
        ck_assert_msg(out->pts[i] == in->pts[i], "%s: packet %lld at %lld, input %lld", what,
                      (long long)i, (long long)out->pts[i], (long long)in->pts[i]);
    ck_assert_msg(out->end == in->end, "%s: ends at %lld, input %lld", what, (long long)out->end,
                  (long long)in->end);
}

/* ---- small helpers ----------------------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(*size ? *size : 1);
    ck_assert_uint_eq(fread(data, 1, *size, f), *size);
    fclose(f);
    return data;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Files in the scratch folder whose name starts with prefix. */
static int count_files(const char *prefix)
{
    DIR *d = opendir(work_dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

static double mean_abs_diff(const parn_frame_t *a, const parn_frame_t *b)
{
    int w = parn_frame_width(a), h = parn_frame_height(a);
    ck_assert_int_eq(parn_frame_width(b), w);
    ck_assert_int_eq(parn_frame_height(b), h);
    double sum = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *p = parn_frame_plane(a, 0) + (size_t)y * parn_frame_stride(a, 0);
        const uint8_t *q = parn_frame_plane(b, 0) + (size_t)y * parn_frame_stride(b, 0);
        for (int x = 0; x < 3 * w; x++) sum += abs(p[x] - q[x]);
    }
    return sum / (3.0 * w * h);
}

static parn_frame_t *copy_frame(const parn_frame_t *f)
{
    parn_frame_t *c = NULL;
    ck_assert_int_eq(parn_frame_alloc(PARN_PIX_RGB24, parn_frame_width(f), parn_frame_height(f), &c),
                     PARN_OK);
    for (int y = 0; y < parn_frame_height(f); y++)
        memcpy(parn_frame_plane(c, 0) + (size_t)y * parn_frame_stride(c, 0),
               parn_frame_plane(f, 0) + (size_t)y * parn_frame_stride(f, 0), (size_t)3 * parn_frame_width(f));
    return c;
}

/* Reads every frame; returns the count and keeps a copy of frame `keep` in *kept. */
static int64_t read_all(parn_video_reader_t *r, int64_t keep, parn_frame_t **kept)
{
    int64_t n = 0;
    parn_frame_t *f = NULL;
    parn_status st;
    while ((st = parn_video_read(r, &f)) == PARN_OK) {
        if (kept && n == keep) *kept = copy_frame(f);
        n++;
    }
    ck_assert_msg(st == PARN_EOF, "read: %s", parn_last_error(NULL));
    return n;
}

static parn_video_reader_t *open_ok(const char *path)
{
    parn_video_reader_t *r = NULL;
    ck_assert_msg(parn_video_open(path, &r) == PARN_OK, "%s", parn_last_error(NULL));
    return r;
}

static void expect_error(parn_status got, parn_status want, const char *word)
{
    ck_assert_msg(got == want, "status %d (%s), want %d", got, parn_last_error(NULL), want);
    ck_assert_msg(strstr(parn_last_error(NULL), word), "message '%s' does not name '%s'",
                  parn_last_error(NULL), word);
}

static const clip_spec small_clip = {64, 48, 25, 50, true, AV_CODEC_ID_AAC};

/* ---- tests ------------------------------------------------------------------------------- */

static const char *const containers[] = {"mkv", "mp4", "avi"};

/* Matroska and MP4 with MPEG-4 video and AAC; AVI with Motion JPEG (full-range YUV). */
START_TEST(reads_synthetic_clips)
{
    char name[32];
    snprintf(name, sizeof name, "in-read.%s", containers[_i]);
    SCRATCH(in, name);
    clip_spec spec = small_clip;
    spec.mjpeg = strcmp(containers[_i], "avi") == 0;
    if (spec.mjpeg) spec.audio = AV_CODEC_ID_NONE; /* AVI would count a frame for AAC's priming */
    cliptest_make(in, &spec);
    parn_video_reader_t *r = open_ok(in);
    int w, h, audio;
    double fps, duration;
    int64_t frames;
    ck_assert_int_eq(parn_video_info(r, &w, &h, &fps, &frames, &duration, &audio), PARN_OK);
    ck_assert_int_eq(w, 64);
    ck_assert_int_eq(h, 48);
    ck_assert_double_eq_tol(fps, 25.0, 1e-9);
    ck_assert_int_eq(audio, spec.audio != AV_CODEC_ID_NONE);
    ck_assert_double_eq_tol(duration, 2.0, 0.05);
    ck_assert_msg(frames == 50 || frames == -1, "%lld frames", (long long)frames);
    ck_assert_int_eq(parn_video_info(r, NULL, NULL, NULL, NULL, NULL, NULL), PARN_OK);
    parn_frame_t *first = NULL, *f = NULL;
    ck_assert_int_eq(parn_video_read(r, &f), PARN_OK);
    ck_assert_int_eq(parn_frame_format(f), PARN_PIX_RGB24);
    first = copy_frame(f);
    ck_assert_int_eq(1 + read_all(r, -1, NULL), 50);
    ck_assert_int_eq(parn_video_read(r, &f), PARN_EOF); /* and stays there */
    parn_video_close(r);
    /* the decoded picture is the pattern (q=2 is nearly lossless on it) */
    parn_frame_t *want = NULL;
    ck_assert_int_eq(parn_frame_alloc(PARN_PIX_RGB24, 64, 48, &want), PARN_OK);
    cliptest_pattern(parn_frame_plane(want, 0), parn_frame_stride(want, 0), 64, 48, 0);
    double diff = mean_abs_diff(first, want);
    ck_assert_msg(diff < 4, "mean abs diff %.2f", diff);
    parn_frame_free(&first);
    parn_frame_free(&want);
    unlink(in);
}
END_TEST

/* Rewrites `in` into `out` frame by frame and checks that the output mirrors the input. */
static void rewrite_and_compare(const char *in, const char *out, const char *temp_prefix,
                                double max_diff)
{
    size_t in_size;
    uint8_t *in_bytes = slurp(in, &in_size);
    parn_video_reader_t *r = open_ok(in);
    parn_video_writer_t *wr = NULL;
    ck_assert_msg(parn_video_writer_open(out, r, &wr) == PARN_OK, "%s", parn_last_error(NULL));
    ck_assert_int_eq(count_files(temp_prefix), 1); /* written beside, under a temporary name */
    ck_assert_int_ne(access(out, F_OK), 0);
    parn_frame_t *f = NULL, *in_frame = NULL;
    int64_t n = 0;
    parn_status st;
    while ((st = parn_video_read(r, &f)) == PARN_OK) {
        if (n == 10) in_frame = copy_frame(f);
        ck_assert_msg(parn_video_write(wr, f) == PARN_OK, "%s", parn_last_error(NULL));
        n++;
    }
    ck_assert_int_eq(st, PARN_EOF);
    ck_assert_msg(parn_video_writer_close(wr) == PARN_OK, "%s", parn_last_error(NULL));
    ck_assert_int_eq(count_files(temp_prefix), 0);
    int in_w, in_h, in_audio, out_w, out_h, out_audio;
    double in_fps, in_dur, out_fps, out_dur;
    int64_t in_frames, out_frames;
    parn_video_info(r, &in_w, &in_h, &in_fps, &in_frames, &in_dur, &in_audio);
    parn_video_close(r);

    /* the input is untouched */
    size_t after_size;
    uint8_t *after = slurp(in, &after_size);
    ck_assert(after_size == in_size && memcmp(after, in_bytes, in_size) == 0);
    free(after);
    free(in_bytes);

    /* stream by stream: same timestamps, time bases, rate; the audio packets byte for byte */
    file_probe *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    probe(in, a);
    probe(out, b);
    const char *in_ext = strrchr(in, '.'), *out_ext = strrchr(out, '.');
    bool same_container = strcmp(in_ext, out_ext) == 0;
    double offset = b->video.pts[0] * av_q2d(b->video.time_base) -
                    a->video.pts[0] * av_q2d(a->video.time_base);
    ck_assert_msg(same_container ? offset == 0 : fabs(offset) < 0.05, "moved by %.4f s", offset);
    expect_same_stream(&a->video, &b->video, "video", same_container, offset);
    ck_assert_msg(av_cmp_q(a->video.rate, b->video.rate) == 0, "rate %d/%d, input %d/%d",
                  b->video.rate.num, b->video.rate.den, a->video.rate.num, a->video.rate.den);
    if (avcodec_find_encoder_by_name("libx264") && !strstr(out, ".webm"))
        ck_assert_int_eq(b->video.codec, AV_CODEC_ID_H264);
    expect_same_stream(&a->audio, &b->audio, "audio", same_container, offset);
    ck_assert_uint_eq(b->audio.adler, a->audio.adler);
    if (same_container) ck_assert_int_eq(b->duration, a->duration);
    free(a);
    free(b);

    /* and through the reader: the same frames, rate, duration */
    r = open_ok(out);
    parn_video_info(r, &out_w, &out_h, &out_fps, &out_frames, &out_dur, &out_audio);
    ck_assert_int_eq(out_w, in_w);
    ck_assert_int_eq(out_h, in_h);
    ck_assert_double_eq(out_fps, in_fps);
    if (same_container) {
        ck_assert_int_eq(out_frames, in_frames);
        ck_assert_double_eq_tol(out_dur, in_dur, 1e-9);
    }
    ck_assert_int_eq(out_audio, in_audio);
    parn_frame_t *out_frame = NULL;
    ck_assert_int_eq(read_all(r, 10, &out_frame), n);
    parn_video_close(r);
    double diff = mean_abs_diff(in_frame, out_frame);
    ck_assert_msg(diff < max_diff, "%s: mean abs diff %.2f", out, diff);
    parn_frame_free(&in_frame);
    parn_frame_free(&out_frame);
}

START_TEST(writes_like_the_input)
{
    char in_name[32], out_name[32], temp_prefix[32];
    const char *ext = containers[_i / 2], *out_ext = containers[_i % 2];
    snprintf(in_name, sizeof in_name, "in-copy%d.%s", _i, ext);
    snprintf(out_name, sizeof out_name, "out-copy%d.%s", _i, out_ext);
    snprintf(temp_prefix, sizeof temp_prefix, "out-copy%d.tmp-", _i);
    SCRATCH(in, in_name);
    SCRATCH(out, out_name);
    cliptest_make(in, &small_clip);
    rewrite_and_compare(in, out, temp_prefix, 5.0);
    unlink(in);
    unlink(out);
}
END_TEST

START_TEST(odd_sizes_and_pcm_audio)
{
    const clip_spec odd = {65, 49, 30, 31, true, AV_CODEC_ID_PCM_S16LE};
    SCRATCH(in, "in-odd.mkv");
    SCRATCH(out, "out-odd.mkv");
    cliptest_make(in, &odd);
    rewrite_and_compare(in, out, "out-odd.tmp-", 5.0);
    unlink(in);
    unlink(out);
}
END_TEST

/* Frames of every pixel format, more frames than the reader read, into the container's own
 * encoder (WebM: VP9) when H.264 does not fit. Grey pictures make every format easy to fill. */
START_TEST(any_frame_format_and_fallback_encoder)
{
    const clip_spec silent = {64, 48, 25, 5, true, AV_CODEC_ID_NONE};
    SCRATCH(in, "in-silent.mkv");
    SCRATCH(out, "out-any.webm");
    cliptest_make(in, &silent);
    parn_video_reader_t *r = open_ok(in);
    parn_video_writer_t *wr = NULL;
    ck_assert_msg(parn_video_writer_open(out, r, &wr) == PARN_OK, "%s", parn_last_error(NULL));
    static const parn_pixel_format formats[] = {PARN_PIX_RGB24, PARN_PIX_BGR24, PARN_PIX_RGBA,
                                                PARN_PIX_GRAY8, PARN_PIX_YUV420P, PARN_PIX_NV12};
    const int nf = (int)(sizeof formats / sizeof formats[0]);
    for (int k = 0; k < nf; k++) {
        parn_frame_t *f = NULL;
        ck_assert_int_eq(parn_frame_alloc(formats[k], 64, 48, &f), PARN_OK);
        int bytes = formats[k] == PARN_PIX_RGBA ? 4 : formats[k] <= PARN_PIX_BGR24 ? 3 : 1;
        bool yuv = formats[k] == PARN_PIX_YUV420P || formats[k] == PARN_PIX_NV12;
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++) {
                int v = 40 + 2 * x + y;
                uint8_t *p = parn_frame_plane(f, 0) + y * parn_frame_stride(f, 0) + bytes * x;
                memset(p, yuv ? 16 + v * 219 / 255 : v, (size_t)bytes);
                if (bytes == 4) p[3] = 255;
            }
        for (int i = 1; i < parn_pixel_format_planes(formats[k]); i++)
            for (int y = 0; y < 24; y++) memset(parn_frame_plane(f, i) + y * parn_frame_stride(f, i), 128, 64);
        ck_assert_msg(parn_video_write(wr, f) == PARN_OK, "format %d: %s", formats[k], parn_last_error(NULL));
        parn_frame_free(&f);
    }
    ck_assert_msg(parn_video_writer_close(wr) == PARN_OK, "%s", parn_last_error(NULL));
    parn_video_close(r);

    file_probe *p = malloc(sizeof *p);
    probe(out, p);
    ck_assert_int_eq(p->video.codec, AV_CODEC_ID_VP9);
    ck_assert_int_eq(p->video.packets, nf);
    ck_assert(!p->audio.present);
    for (int i = 0; i < nf; i++) /* 25 fps in Matroska's milliseconds */
        ck_assert_int_eq(p->video.pts[i], 40 * i);
    free(p);
    r = open_ok(out);
    parn_frame_t *f = NULL;
    for (int k = 0; k < nf; k++) {
        ck_assert_int_eq(parn_video_read(r, &f), PARN_OK);
        const uint8_t *px = parn_frame_plane(f, 0) + 20 * parn_frame_stride(f, 0) + 3 * 30;
        int want = 40 + 2 * 30 + 20;
        for (int c = 0; c < 3; c++)
            ck_assert_msg(abs(px[c] - want) <= 8, "format %d: %d, want %d", formats[k], px[c], want);
    }
    ck_assert_int_eq(parn_video_read(r, &f), PARN_EOF);
    parn_video_close(r);
    unlink(in);
    unlink(out);
}
END_TEST

START_TEST(bad_inputs_give_clean_errors)
{
    parn_video_reader_t *r = NULL;
    expect_error(parn_video_open(scratch("missing.mp4"), &r), PARN_E_IO, "missing.mp4");
    ck_assert_ptr_null(r);
    write_text(scratch("notes.txt"), "Not a video, only a few words of plain text.\n");
    expect_error(parn_video_open(scratch("notes.txt"), &r), PARN_E_FORMAT, "notes.txt");
    write_text(scratch("fake.mp4"), "Not a video, only a few words of plain text.\n");
    expect_error(parn_video_open(scratch("fake.mp4"), &r), PARN_E_FORMAT, "fake.mp4");
    write_text(scratch("empty.mkv"), "");
    expect_error(parn_video_open(scratch("empty.mkv"), &r), PARN_E_FORMAT, "empty.mkv");
    const clip_spec tone_only = {64, 48, 25, 25, false, AV_CODEC_ID_AAC};
    cliptest_make(scratch("tone.m4a"), &tone_only);
    expect_error(parn_video_open(scratch("tone.m4a"), &r), PARN_E_FORMAT, "no video stream");
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "tone.m4a"));
    if (!avcodec_find_decoder(AV_CODEC_ID_AVS2)) {
        cliptest_make_undecodable(scratch("avs2.mkv"));
        expect_error(parn_video_open(scratch("avs2.mkv"), &r), PARN_E_FORMAT, "no decoder for its avs2");
        ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "avs2.mkv"));
        unlink(scratch("avs2.mkv"));
    }
    expect_error(parn_video_open(work_dir, &r), PARN_E_IO, "directory");
    ck_assert_ptr_null(r);
    expect_error(parn_video_open(NULL, &r), PARN_E_INVALID_ARG, "NULL");
    expect_error(parn_video_open(scratch("fake.mp4"), NULL), PARN_E_INVALID_ARG, "NULL");
    int w;
    parn_frame_t *f = NULL;
    ck_assert_int_eq(parn_video_info(NULL, &w, NULL, NULL, NULL, NULL, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_video_read(NULL, &f), PARN_E_INVALID_ARG);
    parn_video_close(NULL);
    unlink(scratch("notes.txt"));
    unlink(scratch("fake.mp4"));
    unlink(scratch("empty.mkv"));
    unlink(scratch("tone.m4a"));
}
END_TEST

START_TEST(writer_refuses_and_reports)
{
    SCRATCH(in, "in-guard.mp4");
    SCRATCH(hard, "hard.mp4");
    SCRATCH(soft, "soft.mp4");
    SCRATCH(out, "out.mp4");
    SCRATCH(out3, "out3.mp4");
    cliptest_make(in, &small_clip);
    size_t size;
    uint8_t *bytes = slurp(in, &size);
    parn_video_reader_t *r = open_ok(in);
    parn_video_writer_t *wr = NULL;
    /* the input itself, under its name, a hard link and a symbolic link */
    expect_error(parn_video_writer_open(in, r, &wr), PARN_E_INVALID_ARG, "in-guard.mp4");
    ck_assert_int_eq(link(in, hard), 0);
    expect_error(parn_video_writer_open(hard, r, &wr), PARN_E_INVALID_ARG, "hard.mp4");
    ck_assert_int_eq(symlink(in, soft), 0);
    expect_error(parn_video_writer_open(soft, r, &wr), PARN_E_INVALID_ARG, "soft.mp4");
    ck_assert_ptr_null(wr);
    /* nowhere to write, no container for the name, audio the container cannot hold */
    expect_error(parn_video_writer_open("/nonexistent-parn-dir/out.mp4", r, &wr), PARN_E_IO,
                 "/nonexistent-parn-dir/out.mp4");
    expect_error(parn_video_writer_open(scratch("out.notacontainer"), r, &wr), PARN_E_UNSUPPORTED,
                 "out.notacontainer");
    expect_error(parn_video_writer_open(scratch("out.webm"), r, &wr), PARN_E_UNSUPPORTED, "aac");
    ck_assert_int_eq(count_files("out."), 0);
    expect_error(parn_video_writer_open(NULL, r, &wr), PARN_E_INVALID_ARG, "NULL");
    expect_error(parn_video_writer_open(out, NULL, &wr), PARN_E_INVALID_ARG, "NULL");
    expect_error(parn_video_writer_open(out, r, NULL), PARN_E_INVALID_ARG, "NULL");
    ck_assert_ptr_null(wr);

    /* one writer per reader; a frame of the wrong size leaves the writer usable */
    ck_assert_int_eq(parn_video_writer_open(out, r, &wr), PARN_OK);
    parn_video_writer_t *second = NULL;
    expect_error(parn_video_writer_open(scratch("out2.mp4"), r, &second), PARN_E_STATE, "another writer");
    parn_frame_t *small = NULL, *f = NULL;
    ck_assert_int_eq(parn_frame_alloc(PARN_PIX_RGB24, 32, 32, &small), PARN_OK);
    expect_error(parn_video_write(wr, small), PARN_E_SHAPE, "32x32");
    parn_frame_free(&small);
    ck_assert_int_eq(parn_video_write(wr, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_video_read(r, &f), PARN_OK);
    ck_assert_msg(parn_video_write(wr, f) == PARN_OK, "%s", parn_last_error(NULL));
    ck_assert_int_eq(parn_video_writer_close(wr), PARN_OK);
    ck_assert_int_eq(parn_video_writer_close(NULL), PARN_E_INVALID_ARG);
    parn_video_writer_destroy(NULL);

    /* closing the reader first leaves a writer that still finishes its file */
    ck_assert_int_eq(parn_video_writer_open(out3, r, &wr), PARN_OK);
    ck_assert_int_eq(parn_video_read(r, &f), PARN_OK);
    ck_assert_int_eq(parn_video_write(wr, f), PARN_OK);
    parn_frame_t *kept = copy_frame(f);
    parn_video_close(r);
    ck_assert_int_eq(parn_video_write(wr, kept), PARN_OK);
    ck_assert_int_eq(parn_video_writer_close(wr), PARN_OK);
    parn_frame_free(&kept);

    size_t after_size;
    uint8_t *after = slurp(in, &after_size);
    ck_assert(after_size == size && memcmp(after, bytes, size) == 0);
    free(after);
    free(bytes);
    unlink(hard);
    unlink(soft);
    unlink(out);
    unlink(out3);
    unlink(in);
}
END_TEST

START_TEST(destroy_removes_the_temporary_file)
{
    SCRATCH(in, "in-destroy.mkv");
    SCRATCH(out, "out-destroy.mkv");
    cliptest_make(in, &small_clip);
    parn_video_reader_t *r = open_ok(in);
    parn_video_writer_t *wr = NULL;
    ck_assert_int_eq(parn_video_writer_open(out, r, &wr), PARN_OK);
    parn_frame_t *f = NULL;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(parn_video_read(r, &f), PARN_OK);
        ck_assert_int_eq(parn_video_write(wr, f), PARN_OK);
    }
    ck_assert_int_eq(count_files("out-destroy.tmp-"), 1);
    parn_video_writer_destroy(wr);
    ck_assert_int_eq(count_files("out-destroy"), 0);
    /* the reader goes on, and takes a new writer */
    ck_assert_int_eq(parn_video_writer_open(out, r, &wr), PARN_OK);
    parn_video_writer_destroy(wr);
    ck_assert_int_eq(count_files("out-destroy"), 0);
    ck_assert_int_eq(3 + read_all(r, -1, NULL), 50);
    parn_video_close(r);
    unlink(in);
}
END_TEST

/* A new file from a size and a rate: every frame arrives, at i / fps, and looks as written. */
START_TEST(creates_a_new_video)
{
    static const double rates[] = {25.0, 30000.0 / 1001.0, 12.5};
    for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
        SCRATCH(out, k == 1 ? "created.mkv" : "created.mp4");
        parn_video_writer_t *wr = NULL;
        ck_assert_msg(parn_video_writer_create(out, 96, 64, rates[k], &wr) == PARN_OK, "%s",
                      parn_last_error(NULL));
        parn_frame_t *f = NULL, *first = NULL;
        ck_assert_int_eq(parn_frame_alloc(PARN_PIX_RGB24, 96, 64, &f), PARN_OK);
        for (int i = 0; i < 20; i++) {
            cliptest_pattern(parn_frame_plane(f, 0), parn_frame_stride(f, 0), 96, 64, i);
            if (i == 0) first = copy_frame(f);
            ck_assert_int_eq(parn_video_write(wr, f), PARN_OK);
        }
        ck_assert_msg(parn_video_writer_close(wr) == PARN_OK, "%s", parn_last_error(NULL));
        parn_video_reader_t *r = open_ok(out);
        int width, height, has_audio;
        double fps, duration;
        ck_assert_int_eq(parn_video_info(r, &width, &height, &fps, NULL, &duration, &has_audio), PARN_OK);
        ck_assert_int_eq(width, 96);
        ck_assert_int_eq(height, 64);
        ck_assert_int_eq(has_audio, 0);
        ck_assert_msg(fabs(fps - rates[k]) < 1e-3, "fps %f, want %f", fps, rates[k]);
        ck_assert_msg(fabs(duration - 20 / rates[k]) < 0.5 / rates[k] + 1e-3, "duration %f, want %f",
                      duration, 20 / rates[k]);
        parn_frame_t *back = NULL;
        ck_assert_int_eq(read_all(r, 0, &back), 20);
        ck_assert_msg(mean_abs_diff(back, first) < 3.0, "frame 0 differs by %f", mean_abs_diff(back, first));
        parn_frame_free(&back);
        parn_frame_free(&first);
        parn_frame_free(&f);
        parn_video_close(r);
        unlink(out);
    }
    parn_video_writer_t *wr = NULL;
    expect_error(parn_video_writer_create(scratch("x.mp4"), 1, 64, 25, &wr), PARN_E_INVALID_ARG, "size");
    expect_error(parn_video_writer_create(scratch("x.mp4"), 64, 64, 0, &wr), PARN_E_INVALID_ARG, "frames per second");
    expect_error(parn_video_writer_create(scratch("x.mp4"), 64, 64, NAN, &wr), PARN_E_INVALID_ARG, "frames per second");
    expect_error(parn_video_writer_create(scratch("x.nosuchformat"), 64, 64, 25, &wr), PARN_E_UNSUPPORTED, "container");
    expect_error(parn_video_writer_create("/nonexistent-dir/x.mp4", 64, 64, 25, &wr), PARN_E_IO, "nonexistent-dir");
    ck_assert_ptr_null(wr);
    ck_assert_int_eq(parn_video_writer_create(NULL, 64, 64, 25, &wr), PARN_E_INVALID_ARG);
}
END_TEST

/* The library routes FFmpeg's and x264's messages to its log callback: a whole read, encode
 * and failure cycle leaves stderr empty. */
START_TEST(nothing_is_printed)
{
    SCRATCH(in, "in-quiet.mkv");
    SCRATCH(out, "out-quiet.mp4");
    SCRATCH(log, "stderr.txt");
    cliptest_make(in, &small_clip);
    fflush(stderr);
    int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    rewrite_and_compare(in, out, "out-quiet.tmp-", 5.0);
    write_text(scratch("junk.mp4"), "\x01\x02 not a video");
    parn_video_reader_t *r = NULL;
    parn_video_open(scratch("junk.mp4"), &r);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t size;
    uint8_t *printed = slurp(log, &size);
    ck_assert_msg(size == 0, "printed: %.*s", (int)(size < 300 ? size : 300), (const char *)printed);
    free(printed);
    unlink(log);
    unlink(scratch("junk.mp4"));
    unlink(in);
    unlink(out);
}
END_TEST

/* ---- the real clips of ../shared/data/video ---------------------------------------------- */

static const char *shared_path(const char *rel)
{
    static char buf[1024];
    const char *env = getenv("PARN_SHARED_DATA"), *fix = getenv("PARN_FIXTURES");
    if (env && *env)
        snprintf(buf, sizeof buf, "%s/%s", env, rel);
    else
        snprintf(buf, sizeof buf, "%s/../../../../shared/data/%s",
                 fix ? fix : "tests/reference/fixtures", rel);
    return buf;
}

static void read_clips_under(const char *dir, int *clips)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            read_clips_under(path, clips);
            continue;
        }
        size_t len = strlen(path);
        if (len < 4 || strcmp(path + len - 4, ".mp4") != 0) continue;
        parn_video_reader_t *r = open_ok(path);
        int w, h;
        double fps, duration;
        int64_t frames;
        parn_video_info(r, &w, &h, &fps, &frames, &duration, NULL);
        ck_assert(w > 0 && h > 0 && fps > 1 && duration > 0);
        int64_t n = read_all(r, -1, NULL);
        ck_assert_msg(frames < 0 || n == frames, "%s: read %lld frames, info says %lld", path,
                      (long long)n, (long long)frames);
        ck_assert_msg(fabs(n / fps - duration) < 0.2, "%s: %lld frames at %.3f fps for %.3f s",
                      path, (long long)n, fps, duration);
        parn_video_close(r);
        (*clips)++;
    }
    closedir(d);
}

START_TEST(shared_clips)
{
    const char *dir = shared_path("video");
    if (access(dir, R_OK) != 0) {
        printf("shared_clips: %s is absent; skipping\n", dir);
        return;
    }
    int clips = 0;
    char root[1024];
    snprintf(root, sizeof root, "%s", dir);
    read_clips_under(root, &clips);
    ck_assert_int_ge(clips, 1);
    /* a real H.264 MP4 rewritten */
    const char *carphone = shared_path("video/carphone/carphone_pristine.mp4");
    if (access(carphone, R_OK) == 0) {
        char in[1024];
        snprintf(in, sizeof in, "%s", carphone);
        SCRATCH(out, "out-carphone.mp4");
        rewrite_and_compare(in, out, "out-carphone.tmp-", 4.0);
        unlink(out);
    }
}
END_TEST

/* ---- timing ------------------------------------------------------------------------------ */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

START_TEST(bench_720p)
{
    if (!getenv("PARN_VIDEO_BENCH")) return;
    const clip_spec hd = {1280, 720, 30, 120, true, AV_CODEC_ID_AAC};
    SCRATCH(in, "in-720p.mp4");
    SCRATCH(out, "out-720p.mp4");
    cliptest_make(in, &hd);
    double t0 = now();
    parn_video_reader_t *r = open_ok(in);
    int64_t n = read_all(r, -1, NULL);
    parn_video_close(r);
    double t1 = now();
    r = open_ok(in);
    parn_video_writer_t *wr = NULL;
    ck_assert_int_eq(parn_video_writer_open(out, r, &wr), PARN_OK);
    parn_frame_t *f = NULL;
    while (parn_video_read(r, &f) == PARN_OK) ck_assert_int_eq(parn_video_write(wr, f), PARN_OK);
    ck_assert_int_eq(parn_video_writer_close(wr), PARN_OK);
    parn_video_close(r);
    double t2 = now();
    printf("bench_720p: %lld frames 1280x720; decode to RGB %.1f fps; decode + encode %.1f fps\n",
           (long long)n, n / (t1 - t0), n / (t2 - t1));
    unlink(in);
    unlink(out);
}
END_TEST

int main(void)
{
    snprintf(work_dir, sizeof work_dir, "/tmp/parn-video-%d", (int)getpid());
    if (mkdir(work_dir, 0700) != 0) return 1;
    parn__ffmpeg_init(); /* the test's own FFmpeg calls log through libparn too */
    Suite *s = suite_create("video");
    TCase *tc = tcase_create("video");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, reads_synthetic_clips, 0, 3);
    tcase_add_loop_test(tc, writes_like_the_input, 0, 4);
    tcase_add_test(tc, odd_sizes_and_pcm_audio);
    tcase_add_test(tc, any_frame_format_and_fallback_encoder);
    tcase_add_test(tc, bad_inputs_give_clean_errors);
    tcase_add_test(tc, writer_refuses_and_reports);
    tcase_add_test(tc, destroy_removes_the_temporary_file);
    tcase_add_test(tc, creates_a_new_video);
    tcase_add_test(tc, nothing_is_printed);
    tcase_add_test(tc, shared_clips);
    tcase_add_test(tc, bench_720p);
    suite_add_tcase(s, tc);
    int rc = optest_main(s);
    rmdir(work_dir); /* only when every test cleaned up after itself */
    return rc;
}
