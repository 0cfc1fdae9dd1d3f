/* SPDX-License-Identifier: MIT */
/* Video files written with FFmpeg, into a temporary file renamed into place at the end: either
 * like a reader's input (same size, frame rate, time base and frame timestamps, the input's
 * audio stream copied unchanged) or new (a size and a frame rate, no audio).
 *
 * Choices (why):
 * - H.264 with libx264 when the container takes it, else a software encoder for the container
 *   (hardware encoders are skipped: they fail to open on machines without the device).
 * - No B-frames: every packet's decoding time equals its showing time, so frame i keeps the
 *   timestamp of input frame i exactly, and no muxer shifts timestamps to make them positive.
 *   The encoder counts frames (pts = i); packets get the input's timestamps back on the way out.
 * - Odd sizes: 4:2:0 H.264 cannot code them (its cropping unit is 2 pixels), so libx264 codes
 *   them in 4:4:4 (High 4:4:4 profile) at the exact size rather than padding or cropping. */
#include "ffmpeg.h"
#include "frame_rgb.h"
#include "video.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/random_seed.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Attempts at a fresh temporary name before giving up. */
#define TEMP_NAME_TRIES 100

/* What the video stream looks like: the reader's, or one made from a size and a rate. */
typedef struct video_spec {
    int width, height;
    AVRational rate, time_base, aspect;
    enum AVColorSpace colorspace;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic transfer;
    const AVStream *like;          /* the input stream (side data to copy), or NULL */
} video_spec;

struct parn_video_writer {
    char *path, *temp_path;
    video_spec spec;
    parn_video_reader_t *reader; /* borrowed; NULL once closed first */
    AVFormatContext *out;
    AVCodecContext *encoder;
    AVFrame *picture;
    AVPacket *packet;
    struct SwsContext *sws;
    parn_pixel_format sws_format; /* the frame format sws converts */
    AVStream *video_out, *audio_out;
    AVRational video_tb, audio_tb; /* the input's stream time bases */
    int64_t audio_end;             /* the input's end, in audio_tb */
    parn_frame_time *times;        /* output timing of each frame written */
    int64_t n_frames, cap_frames;
    int64_t frame_duration;
    bool failed;
};

void parn__video_writer_detach(parn_video_writer_t *w)
{
    w->reader = NULL;
}

/* ---- encoder choice ---------------------------------------------------------------------- */

static bool container_takes(const AVOutputFormat *fmt, enum AVCodecID id)
{
    return avformat_query_codec(fmt, id, FF_COMPLIANCE_NORMAL) == 1;
}

/* A software encoder for the codec, or NULL. */
static const AVCodec *software_encoder(enum AVCodecID id)
{
    const AVCodec *c;
    void *it = NULL;
    while ((c = av_codec_iterate(&it)))
        if (c->id == id && av_codec_is_encoder(c) &&
            !(c->capabilities & (AV_CODEC_CAP_HARDWARE | AV_CODEC_CAP_EXPERIMENTAL)))
            return c;
    return NULL;
}

static const AVCodec *choose_encoder(const AVOutputFormat *fmt)
{
    const AVCodec *x264 = avcodec_find_encoder_by_name("libx264");
    if (x264 && container_takes(fmt, AV_CODEC_ID_H264)) return x264;
    const AVCodec *c = fmt->video_codec != AV_CODEC_ID_NONE ? software_encoder(fmt->video_codec) : NULL;
    if (c) return c;
    return container_takes(fmt, AV_CODEC_ID_MPEG4) ? software_encoder(AV_CODEC_ID_MPEG4) : NULL;
}

static bool codec_has_format(const AVCodec *c, enum AVPixelFormat f)
{
    if (!c->pix_fmts) return f == AV_PIX_FMT_YUV420P;
    for (const enum AVPixelFormat *p = c->pix_fmts; *p != AV_PIX_FMT_NONE; p++)
        if (*p == f) return true;
    return false;
}

static enum AVPixelFormat choose_pixel_format(const AVCodec *c, int width, int height)
{
    bool odd = (width | height) & 1;
    if (odd && strcmp(c->name, "libx264") == 0 && codec_has_format(c, AV_PIX_FMT_YUV444P))
        return AV_PIX_FMT_YUV444P;
    if (codec_has_format(c, AV_PIX_FMT_YUV420P)) return AV_PIX_FMT_YUV420P;
    return avcodec_find_best_pix_fmt_of_list(c->pix_fmts, AV_PIX_FMT_RGB24, 0, NULL);
}

/* Good quality at a speed that keeps up with decoding. */
static void set_quality(AVCodecContext *enc, const AVCodec *c)
{
    if (strcmp(c->name, "libx264") == 0) {
        av_opt_set(enc->priv_data, "preset", "veryfast", 0);
        av_opt_set(enc->priv_data, "crf", "20", 0);
    } else if (strncmp(c->name, "libvpx", 6) == 0) {
        enc->bit_rate = 0;
        av_opt_set(enc->priv_data, "crf", "30", 0);
        av_opt_set(enc->priv_data, "deadline", "realtime", 0);
        av_opt_set(enc->priv_data, "cpu-used", "8", 0);
    } else if (c->id == AV_CODEC_ID_MPEG4 || c->id == AV_CODEC_ID_MPEG2VIDEO ||
               c->id == AV_CODEC_ID_MPEG1VIDEO) {
        enc->flags |= AV_CODEC_FLAG_QSCALE; /* constant quality, not the 200 kb/s default */
        enc->global_quality = FF_QP2LAMBDA * 3;
    }
}

/* ---- opening ----------------------------------------------------------------------------- */

/* "dir/name.tmp-XXXXXX.ext" beside path, created empty and exclusively (the extension stays
 * last so that nothing guessing from the name is misled). */
static parn_status create_temp_file(parn_video_writer_t *w)
{
    const char *slash = strrchr(w->path, '/');
    const char *dot = strrchr(w->path, '.');
    if (!dot || (slash && dot < slash)) dot = w->path + strlen(w->path);
    size_t n = strlen(w->path) + 16;
    w->temp_path = parn__malloc(n);
    PARN_RETURN_IF(!w->temp_path, PARN_E_NOMEM, "video '%s': out of memory", w->path);
    parn_rng rng;
    parn__rng_seed(&rng, av_get_random_seed() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)w);
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int attempt = 0; attempt < TEMP_NAME_TRIES; attempt++) {
        char tag[7];
        for (int i = 0; i < 6; i++) tag[i] = alphabet[parn__rng_next(&rng) % (sizeof alphabet - 1)];
        tag[6] = '\0';
        snprintf(w->temp_path, n, "%.*s.tmp-%s%s", (int)(dot - w->path), w->path, tag, dot);
        int fd = open(w->temp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            close(fd);
            return PARN_OK;
        }
        if (errno != EEXIST) break;
    }
    int err = errno;
    parn__free(w->temp_path);
    w->temp_path = NULL;
    return parn__fail(PARN_E_IO, "video '%s': cannot create a file beside it: %s", w->path,
                      strerror(err));
}

static parn_status refuse_input(const parn_video_writer_t *w, const parn_video_reader_t *r)
{
    struct stat sb;
    bool same = r->has_id ? stat(w->path, &sb) == 0 && sb.st_dev == r->dev && sb.st_ino == r->ino
                          : strcmp(w->path, r->path) == 0;
    PARN_RETURN_IF(same, PARN_E_INVALID_ARG,
                   "video '%s': it is the reader's input; refusing to write over it", w->path);
    return PARN_OK;
}

static video_spec spec_of_reader(const parn_video_reader_t *r)
{
    const AVStream *in = r->fmt->streams[r->video];
    const AVCodecParameters *par = in->codecpar;
    return (video_spec){r->width, r->height, parn__video_rate(r), in->time_base,
                        par->sample_aspect_ratio, par->color_space, par->color_primaries,
                        par->color_trc, in};
}

/* A new stream: frames counted in 1 / rate, BT.601 (what libswscale converts RGB with). */
static video_spec spec_of_rate(int width, int height, double fps)
{
    AVRational rate = av_d2q(fps, 1000000);
    static const AVRational ntsc[] = {{24000, 1001}, {30000, 1001}, {60000, 1001}};
    for (size_t i = 0; i < sizeof ntsc / sizeof ntsc[0]; i++)
        if (fabs(fps - av_q2d(ntsc[i])) < 1e-3) rate = ntsc[i];
    return (video_spec){width, height, rate, av_inv_q(rate), {1, 1}, AVCOL_SPC_SMPTE170M,
                        AVCOL_PRI_SMPTE170M, AVCOL_TRC_SMPTE170M, NULL};
}

static parn_status open_encoder(parn_video_writer_t *w, const AVCodec *codec)
{
    const video_spec *v = &w->spec;
    AVCodecContext *enc = w->encoder = avcodec_alloc_context3(codec);
    PARN_RETURN_IF(!enc, PARN_E_NOMEM, "video '%s': out of memory", w->path);
    enc->width = v->width;
    enc->height = v->height;
    enc->pix_fmt = choose_pixel_format(codec, v->width, v->height);
    enc->framerate = v->rate;
    /* frame counting time base; reduced so that MPEG-4's 16-bit clock accepts it */
    av_reduce(&enc->time_base.num, &enc->time_base.den, v->rate.den, v->rate.num, 65535);
    enc->sample_aspect_ratio = v->aspect;
    enc->max_b_frames = 0;
    enc->thread_count = 0;
    enc->colorspace = v->colorspace;
    enc->color_primaries = v->primaries;
    enc->color_trc = v->transfer;
    enc->color_range = AVCOL_RANGE_MPEG;
    if (w->out->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    set_quality(enc, codec);
    int err = avcodec_open2(enc, codec, NULL);
    if (err < 0) {
        char what[128];
        snprintf(what, sizeof what, "%s cannot encode %dx%d %s", codec->name, v->width, v->height,
                 av_get_pix_fmt_name(enc->pix_fmt));
        return parn__video_fail(PARN_E_UNSUPPORTED, err, w->path, what);
    }
    w->picture = av_frame_alloc();
    w->packet = av_packet_alloc();
    PARN_RETURN_IF(!w->picture || !w->packet, PARN_E_NOMEM, "video '%s': out of memory", w->path);
    w->picture->format = enc->pix_fmt;
    w->picture->width = enc->width;
    w->picture->height = enc->height;
    err = av_frame_get_buffer(w->picture, 0);
    if (err < 0) return parn__video_fail(PARN_E_NOMEM, err, w->path, "no picture buffer");
    return PARN_OK;
}

static parn_status add_video_stream(parn_video_writer_t *w)
{
    const video_spec *v = &w->spec;
    AVStream *st = w->video_out = avformat_new_stream(w->out, NULL);
    PARN_RETURN_IF(!st, PARN_E_NOMEM, "video '%s': out of memory", w->path);
    int err = avcodec_parameters_from_context(st->codecpar, w->encoder);
    if (err < 0) return parn__video_fail(PARN_E_BACKEND, err, w->path, "video stream parameters");
    st->time_base = v->time_base;
    /* MP4 would pick its own clock (a multiple of 10000); keep the input's */
    if (v->time_base.num == 1 && av_opt_find(w->out->priv_data, "video_track_timescale", NULL, 0, 0))
        av_opt_set_int(w->out->priv_data, "video_track_timescale", v->time_base.den, 0);
    st->avg_frame_rate = st->r_frame_rate = v->rate;
    st->sample_aspect_ratio = v->aspect;
    if (!v->like) return PARN_OK;
    size_t size = 0;
    const uint8_t *rotation = av_stream_get_side_data(v->like, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (rotation) {
        uint8_t *copy = av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, size);
        PARN_RETURN_IF(!copy, PARN_E_NOMEM, "video '%s': out of memory", w->path);
        memcpy(copy, rotation, size);
    }
    return PARN_OK;
}

static parn_status add_audio_stream(parn_video_writer_t *w)
{
    const AVStream *in = w->reader->fmt->streams[w->reader->audio];
    const AVOutputFormat *fmt = w->out->oformat;
    PARN_RETURN_IF(avformat_query_codec(fmt, in->codecpar->codec_id, FF_COMPLIANCE_NORMAL) == 0,
                   PARN_E_UNSUPPORTED, "video '%s': a %s file cannot hold the input's %s audio",
                   w->path, fmt->name, avcodec_get_name(in->codecpar->codec_id));
    AVStream *st = w->audio_out = avformat_new_stream(w->out, NULL);
    PARN_RETURN_IF(!st, PARN_E_NOMEM, "video '%s': out of memory", w->path);
    int err = avcodec_parameters_copy(st->codecpar, in->codecpar);
    if (err < 0) return parn__video_fail(PARN_E_BACKEND, err, w->path, "audio stream parameters");
    st->codecpar->codec_tag = 0; /* the tag belongs to the input's container */
    st->time_base = in->time_base;
    st->disposition = in->disposition;
    w->audio_tb = in->time_base;
    /* the end the input's container states: some (Matroska) do not keep the last audio
     * packet's length, and the guessed one would outlast the input */
    const AVFormatContext *input = w->reader->fmt;
    w->audio_end = INT64_MAX;
    if (input->duration != AV_NOPTS_VALUE && input->duration > 0) {
        int64_t start = input->start_time != AV_NOPTS_VALUE && input->start_time > 0 ? input->start_time : 0;
        w->audio_end = av_rescale_q(start + input->duration, AV_TIME_BASE_Q, in->time_base);
    }
    return PARN_OK;
}

static parn_status start_file(parn_video_writer_t *w)
{
    char *url = av_asprintf("file:%s", w->temp_path);
    PARN_RETURN_IF(!url, PARN_E_NOMEM, "video '%s': out of memory", w->path);
    int err = avio_open(&w->out->pb, url, AVIO_FLAG_WRITE);
    av_free(url);
    if (err < 0) return parn__video_fail(PARN_E_IO, err, w->temp_path, "cannot open for writing");
    err = avformat_write_header(w->out, NULL);
    if (err < 0) {
        bool unsupported = err == AVERROR(EINVAL) || err == AVERROR_PATCHWELCOME || err == AVERROR(ENOSYS);
        return parn__video_fail(unsupported ? PARN_E_UNSUPPORTED : PARN_E_IO, err, w->path,
                                "cannot start the file");
    }
    return PARN_OK;
}

/* The container, encoder and streams for w->spec (and r's audio when r is not NULL). */
static parn_status writer_setup(parn_video_writer_t *w, parn_video_reader_t *r)
{
    int err = avformat_alloc_output_context2(&w->out, NULL, NULL, w->path);
    if (err < 0 || !w->out)
        return parn__fail(PARN_E_UNSUPPORTED, "video '%s': no video container for its extension",
                          w->path);
    PARN_RETURN_IF(w->out->oformat->flags & AVFMT_NOFILE, PARN_E_UNSUPPORTED,
                   "video '%s': %s is not a single-file video container", w->path,
                   w->out->oformat->name);
    const AVCodec *codec = choose_encoder(w->out->oformat);
    PARN_RETURN_IF(!codec, PARN_E_UNSUPPORTED, "video '%s': no video encoder for %s files", w->path,
                   w->out->oformat->name);
    w->video_tb = w->spec.time_base;
    w->frame_duration = r ? parn__video_frame_duration(r) : 1;
    PARN_TRY(open_encoder(w, codec));
    PARN_TRY(add_video_stream(w));
    if (r && r->audio >= 0) PARN_TRY(add_audio_stream(w));
    PARN_TRY(create_temp_file(w));
    return start_file(w);
}

/* Frees everything; the temporary file goes too unless it was renamed into place. */
static void writer_free(parn_video_writer_t *w)
{
    if (w->reader) w->reader->writer = NULL;
    if (w->out) {
        avio_closep(&w->out->pb);
        avformat_free_context(w->out);
    }
    if (w->temp_path) unlink(w->temp_path);
    sws_freeContext(w->sws);
    av_frame_free(&w->picture);
    av_packet_free(&w->packet);
    avcodec_free_context(&w->encoder);
    parn__free(w->times);
    parn__free(w->temp_path);
    parn__free(w->path);
    parn__free(w);
}

static parn_status writer_new(const char *path, parn_video_writer_t **out)
{
    parn__ffmpeg_init();
    parn_video_writer_t *w = parn__calloc(1, sizeof *w);
    PARN_RETURN_IF(!w, PARN_E_NOMEM, "video '%s': out of memory", path);
    w->path = parn__strdup(path);
    if (!w->path) {
        parn__free(w);
        return parn__fail(PARN_E_NOMEM, "video '%s': out of memory", path);
    }
    *out = w;
    return PARN_OK;
}

parn_status parn_video_writer_open(const char *path, parn_video_reader_t *like,
                                   parn_video_writer_t **out)
{
    PARN_RETURN_IF(!path || !like || !out, PARN_E_INVALID_ARG,
                   "parn_video_writer_open: NULL argument");
    PARN_RETURN_IF(like->writer, PARN_E_STATE,
                   "video '%s': the reader of '%s' already feeds another writer", path, like->path);
    parn_video_writer_t *w = NULL;
    PARN_TRY(writer_new(path, &w));
    w->reader = like;
    w->spec = spec_of_reader(like);
    parn_status st = refuse_input(w, like);
    if (st == PARN_OK) st = writer_setup(w, like);
    if (st != PARN_OK) {
        w->reader = NULL; /* it never fed this writer */
        writer_free(w);
        return st;
    }
    like->writer = w;
    *out = w;
    return PARN_OK;
}

parn_status parn_video_writer_create(const char *path, int width, int height, double fps,
                                     parn_video_writer_t **out)
{
    PARN_RETURN_IF(!path || !out, PARN_E_INVALID_ARG, "parn_video_writer_create: NULL argument");
    PARN_RETURN_IF(width < 2 || height < 2 || width > 16384 || height > 16384, PARN_E_INVALID_ARG,
                   "video '%s': size %dx%d is outside 2..16384", path, width, height);
    PARN_RETURN_IF(!(fps > 0 && fps <= 1000), PARN_E_INVALID_ARG,
                   "video '%s': %g frames per second is outside (0, 1000]", path, fps);
    parn_video_writer_t *w = NULL;
    PARN_TRY(writer_new(path, &w));
    w->spec = spec_of_rate(width, height, fps);
    parn_status st = writer_setup(w, NULL);
    if (st != PARN_OK) {
        writer_free(w);
        return st;
    }
    *out = w;
    return PARN_OK;
}

/* ---- writing ----------------------------------------------------------------------------- */

/* Frame i's timing: input frame i's when the reader has read it, else the next frame after
 * the last one written. */
static parn_status next_frame_time(parn_video_writer_t *w)
{
    PARN_TRY(parn__frame_times_reserve(&w->times, &w->cap_frames, w->n_frames, w->path));
    int64_t i = w->n_frames;
    parn_frame_time t = {0, w->frame_duration};
    if (w->reader && i < w->reader->n_times)
        t = w->reader->times[i];
    else if (i > 0)
        t.pts = w->times[i - 1].pts + w->times[i - 1].duration;
    if (i > 0 && t.pts <= w->times[i - 1].pts) t.pts = w->times[i - 1].pts + 1;
    w->times[w->n_frames++] = t;
    return PARN_OK;
}

/* The output timestamp of encoder tick k (frame k; before frame 0 for early decoding times). */
static int64_t time_of_tick(const parn_video_writer_t *w, int64_t k)
{
    if (k < 0) return w->times[0].pts + k * w->times[0].duration;
    return w->times[k < w->n_frames ? k : w->n_frames - 1].pts;
}

static parn_status write_packet(parn_video_writer_t *w, AVPacket *p, const char *what)
{
    int err = av_interleaved_write_frame(w->out, p);
    av_packet_unref(p);
    return err < 0 ? parn__video_fail(PARN_E_IO, err, w->path, what) : PARN_OK;
}

/* Writes every packet the encoder has ready, with the input's timestamps. */
static parn_status drain_encoder(parn_video_writer_t *w)
{
    for (;;) {
        int err = avcodec_receive_packet(w->encoder, w->packet);
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return PARN_OK;
        if (err < 0) return parn__video_fail(PARN_E_BACKEND, err, w->path, "cannot encode");
        AVPacket *p = w->packet;
        int64_t k = p->pts;
        if (k < 0 || k >= w->n_frames) {
            av_packet_unref(p);
            return parn__fail(PARN_E_BACKEND, "video '%s': the encoder returned an unknown frame %lld",
                              w->path, (long long)k);
        }
        int64_t dts = p->dts == AV_NOPTS_VALUE ? k : p->dts;
        p->pts = w->times[k].pts;
        p->dts = time_of_tick(w, dts);
        p->duration = w->times[k].duration;
        p->stream_index = w->video_out->index;
        av_packet_rescale_ts(p, w->video_tb, w->video_out->time_base);
        PARN_TRY(write_packet(w, p, "cannot write video"));
    }
}

/* Copies the audio the reader has demuxed so far; the muxer interleaves it with the video. */
static parn_status copy_audio(parn_video_writer_t *w)
{
    AVPacket *p;
    while (w->reader && (p = parn__video_take_audio(w->reader))) {
        parn_status st = PARN_OK;
        if (w->audio_out) {
            if (p->pts != AV_NOPTS_VALUE && p->pts < w->audio_end && p->pts + p->duration > w->audio_end)
                p->duration = w->audio_end - p->pts;
            p->stream_index = w->audio_out->index;
            p->pos = -1;
            av_packet_rescale_ts(p, w->audio_tb, w->audio_out->time_base);
            st = write_packet(w, p, "cannot write audio");
        }
        av_packet_free(&p);
        PARN_TRY(st);
    }
    return PARN_OK;
}

/* The converter from frames of format f to the encoder's pictures, made again when the format
 * changes, with the YUV matrix the output is tagged with (the input's). */
static parn_status prepare_converter(parn_video_writer_t *w, parn_pixel_format f)
{
    if (w->sws && w->sws_format == f) return PARN_OK;
    const AVCodecContext *enc = w->encoder;
    sws_freeContext(w->sws);
    w->sws = sws_getContext(enc->width, enc->height, parn_pixel_format_to_av(f), enc->width,
                            enc->height, enc->pix_fmt, SWS_BILINEAR | SWS_ACCURATE_RND, NULL, NULL, NULL);
    PARN_RETURN_IF(!w->sws, PARN_E_BACKEND, "video '%s': libswscale cannot convert the frames",
                   w->path);
    const int *coefs = sws_getCoefficients(enc->colorspace);
    bool yuv_in = f == PARN_PIX_YUV420P || f == PARN_PIX_NV12;
    sws_setColorspaceDetails(w->sws, coefs, !yuv_in, coefs, 0, 0, 1 << 16, 1 << 16);
    w->sws_format = f;
    return PARN_OK;
}

/* Converts the caller's frame into the encoder's picture (the picture may still be referenced
 * by the encoder, hence make_writable). */
static parn_status fill_picture(parn_video_writer_t *w, const parn_frame_t *frame)
{
    int width = parn_frame_width(frame), height = parn_frame_height(frame);
    PARN_RETURN_IF(width != w->encoder->width || height != w->encoder->height, PARN_E_SHAPE,
                   "video '%s': the frame is %dx%d, the video %dx%d", w->path, width, height,
                   w->encoder->width, w->encoder->height);
    int err = av_frame_make_writable(w->picture);
    if (err < 0) return parn__video_fail(PARN_E_NOMEM, err, w->path, "no picture buffer");
    parn_pixel_format f = parn_frame_format(frame);
    PARN_TRY(prepare_converter(w, f));
    const uint8_t *src[4] = {0};
    int src_stride[4] = {0};
    for (int i = 0; i < parn_pixel_format_planes(f); i++) {
        src[i] = parn_frame_plane(frame, i);
        src_stride[i] = parn_frame_stride(frame, i);
    }
    PARN_RETURN_IF(sws_scale(w->sws, src, src_stride, 0, height, w->picture->data,
                             w->picture->linesize) != height,
                   PARN_E_BACKEND, "video '%s': libswscale failed", w->path);
    return PARN_OK;
}

static parn_status encode_frame(parn_video_writer_t *w, const parn_frame_t *frame)
{
    PARN_TRY(fill_picture(w, frame));
    PARN_TRY(next_frame_time(w));
    w->picture->pts = w->n_frames - 1;
    int err = avcodec_send_frame(w->encoder, w->picture);
    if (err < 0) return parn__video_fail(PARN_E_BACKEND, err, w->path, "cannot encode");
    PARN_TRY(drain_encoder(w));
    return copy_audio(w);
}

parn_status parn_video_write(parn_video_writer_t *w, const parn_frame_t *frame)
{
    PARN_RETURN_IF(!w || !frame, PARN_E_INVALID_ARG, "parn_video_write: NULL argument");
    PARN_RETURN_IF(w->failed, PARN_E_STATE, "video '%s': an earlier write failed", w->path);
    parn_status st = encode_frame(w, frame);
    /* a size mismatch leaves the file intact; anything else may have broken it */
    if (st != PARN_OK && st != PARN_E_SHAPE) w->failed = true;
    return st;
}

/* Flushes the encoder, copies the remaining audio, ends the file and renames it into place. */
static parn_status finish(parn_video_writer_t *w)
{
    PARN_RETURN_IF(w->failed, PARN_E_STATE, "video '%s': an earlier write failed", w->path);
    int err = avcodec_send_frame(w->encoder, NULL);
    if (err < 0) return parn__video_fail(PARN_E_BACKEND, err, w->path, "cannot flush the encoder");
    PARN_TRY(drain_encoder(w));
    PARN_TRY(copy_audio(w));
    err = av_write_trailer(w->out);
    if (err < 0) return parn__video_fail(PARN_E_IO, err, w->path, "cannot finish the file");
    err = avio_closep(&w->out->pb);
    if (err < 0) return parn__video_fail(PARN_E_IO, err, w->path, "cannot finish the file");
    PARN_RETURN_IF(rename(w->temp_path, w->path) != 0, PARN_E_IO, "video '%s': cannot rename %s to it: %s",
                   w->path, w->temp_path, strerror(errno));
    parn__free(w->temp_path);
    w->temp_path = NULL;
    return PARN_OK;
}

parn_status parn_video_writer_close(parn_video_writer_t *w)
{
    PARN_RETURN_IF(!w, PARN_E_INVALID_ARG, "parn_video_writer_close: writer is NULL");
    parn_status st = finish(w);
    writer_free(w);
    return st;
}

void parn_video_writer_destroy(parn_video_writer_t *w)
{
    if (w) writer_free(w);
}
