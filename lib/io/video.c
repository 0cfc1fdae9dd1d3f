/* SPDX-License-Identifier: MIT */
/* Video files read with FFmpeg: the first video stream decoded into RGB24 frames, with each
 * frame's timing and the audio packets kept for a writer that copies them (video_writer.c). */
#include "video.h"
#include "ffmpeg.h"

#include <errno.h>
#include <libavutil/avstring.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Corrupt video packets skipped in a row before a read gives up. */
#define MAX_BAD_PACKETS 16
/* Audio kept while no writer takes it (a writer opened late still finds the recent audio);
 * beyond this the oldest is dropped, so that a reader alone never hoards a whole soundtrack. */
#define MAX_UNCLAIMED_AUDIO_BYTES ((size_t)32 << 20)

parn_status parn__video_av_status(int err, parn_status fallback)
{
    static const int io_errors[] = {ENOENT, EACCES, EPERM, EISDIR, ENOTDIR, EIO, ENOSPC, EROFS,
                                    ENAMETOOLONG, ELOOP, EDQUOT, EMFILE, ENFILE};
    if (err == AVERROR(ENOMEM)) return PARN_E_NOMEM;
    for (size_t i = 0; i < sizeof io_errors / sizeof io_errors[0]; i++)
        if (err == AVERROR(io_errors[i])) return PARN_E_IO;
    return fallback;
}

parn_status parn__video_fail(parn_status st, int err, const char *path, const char *what)
{
    char reason[AV_ERROR_MAX_STRING_SIZE] = "";
    av_strerror(err, reason, sizeof reason);
    return parn__fail(err == AVERROR(ENOMEM) ? PARN_E_NOMEM : st, "video '%s': %s: %s", path, what,
                      reason);
}

static bool rate_valid(AVRational q)
{
    return q.num > 0 && q.den > 0;
}

AVRational parn__video_rate(const parn_video_reader_t *r)
{
    const AVStream *st = r->fmt->streams[r->video];
    if (rate_valid(st->avg_frame_rate)) return st->avg_frame_rate;
    if (rate_valid(st->r_frame_rate)) return st->r_frame_rate;
    return (AVRational){25, 1};
}

int64_t parn__video_frame_duration(const parn_video_reader_t *r)
{
    int64_t d = av_rescale_q(1, av_inv_q(parn__video_rate(r)), r->fmt->streams[r->video]->time_base);
    return d > 0 ? d : 1;
}

/* ---- audio queue ------------------------------------------------------------------------- */

static AVPacket *queue_pop(parn_packet_queue *q)
{
    if (q->count == 0) return NULL;
    AVPacket *p = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    q->bytes -= (size_t)p->size;
    return p;
}

static bool queue_grow(parn_packet_queue *q)
{
    size_t cap = q->cap ? 2 * q->cap : 64;
    AVPacket **items = parn__malloc(cap * sizeof *items);
    if (!items) return false;
    for (size_t i = 0; i < q->count; i++) items[i] = q->items[(q->head + i) % q->cap];
    parn__free(q->items);
    q->items = items;
    q->head = 0;
    q->cap = cap;
    return true;
}

static void queue_clear(parn_packet_queue *q)
{
    AVPacket *p;
    while ((p = queue_pop(q))) av_packet_free(&p);
    parn__free(q->items);
    memset(q, 0, sizeof *q);
}

/* Moves the packet's reference into the reader's audio queue. */
static parn_status keep_audio(parn_video_reader_t *r, AVPacket *packet)
{
    parn_packet_queue *q = &r->audio_queue;
    while (!r->writer && q->bytes > MAX_UNCLAIMED_AUDIO_BYTES) {
        AVPacket *old = queue_pop(q);
        av_packet_free(&old);
    }
    AVPacket *p = av_packet_alloc();
    if (!p || (q->count == q->cap && !queue_grow(q))) {
        av_packet_free(&p);
        av_packet_unref(packet);
        return parn__fail(PARN_E_NOMEM, "video '%s': out of memory for its audio", r->path);
    }
    av_packet_move_ref(p, packet);
    q->items[(q->head + q->count++) % q->cap] = p;
    q->bytes += (size_t)p->size;
    return PARN_OK;
}

AVPacket *parn__video_take_audio(parn_video_reader_t *r)
{
    return queue_pop(&r->audio_queue);
}

/* ---- opening ----------------------------------------------------------------------------- */

/* The first real video stream (cover pictures of music files do not count). */
static int first_stream(const AVFormatContext *fmt, enum AVMediaType type)
{
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *st = fmt->streams[i];
        if (st->codecpar->codec_type == type && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            return (int)i;
    }
    return -1;
}

/* Opens the container; local files go through the file protocol explicitly, so that a name
 * with a colon is not taken for a URL. */
static parn_status open_container(parn_video_reader_t *r)
{
    struct stat sb;
    char *url = NULL;
    if (stat(r->path, &sb) == 0) {
        PARN_RETURN_IF(S_ISDIR(sb.st_mode), PARN_E_IO, "video '%s': is a directory", r->path);
        r->has_id = true;
        r->dev = sb.st_dev;
        r->ino = sb.st_ino;
        url = av_asprintf("file:%s", r->path);
        PARN_RETURN_IF(!url, PARN_E_NOMEM, "video '%s': out of memory", r->path);
    }
    int err = avformat_open_input(&r->fmt, url ? url : r->path, NULL, NULL);
    av_free(url);
    if (err < 0) {
        r->fmt = NULL;
        return parn__video_fail(parn__video_av_status(err, PARN_E_FORMAT), err, r->path,
                                "cannot open");
    }
    err = avformat_find_stream_info(r->fmt, NULL);
    if (err < 0) return parn__video_fail(PARN_E_FORMAT, err, r->path, "cannot read its streams");
    return PARN_OK;
}

static parn_status open_decoder(parn_video_reader_t *r)
{
    const AVCodecParameters *par = r->fmt->streams[r->video]->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    PARN_RETURN_IF(!codec, PARN_E_FORMAT, "video '%s': no decoder for its %s video", r->path,
                   avcodec_get_name(par->codec_id));
    PARN_RETURN_IF(par->width < 1 || par->height < 1, PARN_E_FORMAT,
                   "video '%s': its video stream has no picture size", r->path);
    r->decoder = avcodec_alloc_context3(codec);
    PARN_RETURN_IF(!r->decoder, PARN_E_NOMEM, "video '%s': out of memory", r->path);
    int err = avcodec_parameters_to_context(r->decoder, par);
    if (err < 0) return parn__video_fail(PARN_E_FORMAT, err, r->path, "bad video parameters");
    r->decoder->pkt_timebase = r->fmt->streams[r->video]->time_base;
    r->decoder->thread_count = 0; /* one per core */
    err = avcodec_open2(r->decoder, codec, NULL);
    if (err < 0) return parn__video_fail(PARN_E_FORMAT, err, r->path, "cannot open its decoder");
    r->width = par->width;
    r->height = par->height;
    return PARN_OK;
}

static parn_status reader_open(parn_video_reader_t *r, const char *path)
{
    r->path = parn__strdup(path);
    PARN_RETURN_IF(!r->path, PARN_E_NOMEM, "video '%s': out of memory", path);
    PARN_TRY(open_container(r));
    r->video = first_stream(r->fmt, AVMEDIA_TYPE_VIDEO);
    PARN_RETURN_IF(r->video < 0, PARN_E_FORMAT, "video '%s': no video stream in it", path);
    r->audio = first_stream(r->fmt, AVMEDIA_TYPE_AUDIO);
    for (unsigned i = 0; i < r->fmt->nb_streams; i++)
        if ((int)i != r->video && (int)i != r->audio) r->fmt->streams[i]->discard = AVDISCARD_ALL;
    PARN_TRY(open_decoder(r));
    r->packet = av_packet_alloc();
    r->picture = av_frame_alloc();
    PARN_RETURN_IF(!r->packet || !r->picture, PARN_E_NOMEM, "video '%s': out of memory", path);
    return parn_frame_alloc(PARN_PIX_RGB24, r->width, r->height, &r->rgb);
}

parn_status parn_video_open(const char *path, parn_video_reader_t **out)
{
    PARN_RETURN_IF(!path || !out, PARN_E_INVALID_ARG, "parn_video_open: NULL argument");
    parn__ffmpeg_init();
    parn_video_reader_t *r = parn__calloc(1, sizeof *r);
    PARN_RETURN_IF(!r, PARN_E_NOMEM, "video '%s': out of memory", path);
    r->video = r->audio = -1;
    parn_status st = reader_open(r, path);
    if (st != PARN_OK) {
        parn_video_close(r);
        return st;
    }
    *out = r;
    return PARN_OK;
}

parn_status parn_video_info(const parn_video_reader_t *r, int *width, int *height, double *fps,
                            int64_t *frames, double *duration, int *has_audio)
{
    PARN_RETURN_IF(!r, PARN_E_INVALID_ARG, "parn_video_info: reader is NULL");
    const AVStream *st = r->fmt->streams[r->video];
    if (width) *width = r->width;
    if (height) *height = r->height;
    if (fps) *fps = av_q2d(parn__video_rate(r));
    if (frames) *frames = st->nb_frames > 0 ? st->nb_frames : -1;
    if (duration) {
        if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
            *duration = (double)st->duration * av_q2d(st->time_base);
        else if (r->fmt->duration != AV_NOPTS_VALUE && r->fmt->duration > 0)
            *duration = (double)r->fmt->duration / AV_TIME_BASE;
        else
            *duration = -1;
    }
    if (has_audio) *has_audio = r->audio >= 0;
    return PARN_OK;
}

/* ---- reading ----------------------------------------------------------------------------- */

/* Demuxes until one video packet went to the decoder (audio is queued on the way), or
 * starts draining the decoder at the end of the file. */
static parn_status feed_decoder(parn_video_reader_t *r)
{
    for (;;) {
        PARN_RETURN_IF(r->flushed, PARN_E_INTERNAL, "video '%s': decoder wants input after the end",
                       r->path);
        int err = av_read_frame(r->fmt, r->packet);
        if (err == AVERROR_EOF) {
            r->flushed = true;
            avcodec_send_packet(r->decoder, NULL);
            return PARN_OK;
        }
        if (err < 0)
            return parn__video_fail(parn__video_av_status(err, PARN_E_FORMAT), err, r->path,
                                    "cannot read");
        if (r->packet->stream_index == r->audio) {
            PARN_TRY(keep_audio(r, r->packet));
            continue;
        }
        if (r->packet->stream_index != r->video) {
            av_packet_unref(r->packet);
            continue;
        }
        err = avcodec_send_packet(r->decoder, r->packet);
        av_packet_unref(r->packet);
        if (err >= 0) {
            r->bad_packets = 0;
            return PARN_OK;
        }
        if (err == AVERROR(ENOMEM) || ++r->bad_packets > MAX_BAD_PACKETS)
            return parn__video_fail(PARN_E_FORMAT, err, r->path, "cannot decode its video");
        parn__log(PARN_LOG_WARN, "video '%s': skipping a corrupt video packet", r->path);
    }
}

/* The converter for the decoded picture: made again when its size or format changes, and given
 * the file's YUV matrix and range (not swscale's guess, BT.601 limited) when they change. */
static bool is_full_range(const AVFrame *p)
{
    switch (p->format) { /* the deprecated JPEG formats are full range by definition */
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUVJ440P:
    case AV_PIX_FMT_YUVJ411P: return true;
    default: return p->color_range == AVCOL_RANGE_JPEG;
    }
}

static parn_status prepare_converter(parn_video_reader_t *r)
{
    const AVFrame *p = r->picture;
    bool full_range = is_full_range(p);
    int key[4] = {p->width, p->height, p->format, 2 * p->colorspace + full_range};
    if (r->sws && memcmp(key, r->sws_key, 3 * sizeof key[0]) == 0) {
        if (key[3] == r->sws_key[3]) return PARN_OK;
    } else {
        sws_freeContext(r->sws);
        r->sws = sws_getContext(p->width, p->height, (enum AVPixelFormat)p->format, r->width,
                                r->height, AV_PIX_FMT_RGB24,
                                SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
        PARN_RETURN_IF(!r->sws, PARN_E_FORMAT, "video '%s': cannot convert %s pictures to RGB",
                       r->path, av_get_pix_fmt_name((enum AVPixelFormat)p->format));
    }
    const int *coefs = sws_getCoefficients(p->colorspace);
    sws_setColorspaceDetails(r->sws, coefs, full_range, coefs, 1, 0, 1 << 16, 1 << 16);
    memcpy(r->sws_key, key, sizeof key);
    return PARN_OK;
}

/* Converts the decoded picture into the reader's RGB frame (pictures of another size, after a
 * mid-stream change, are scaled to the stream's size so that every frame has the same). */
static parn_status convert_picture(parn_video_reader_t *r)
{
    PARN_TRY(prepare_converter(r));
    const AVFrame *p = r->picture;
    uint8_t *dst[4] = {parn_frame_plane(r->rgb, 0)};
    int dst_stride[4] = {parn_frame_stride(r->rgb, 0)};
    PARN_RETURN_IF(sws_scale(r->sws, (const uint8_t *const *)p->data, p->linesize, 0, p->height, dst,
                             dst_stride) != r->height,
                   PARN_E_BACKEND, "video '%s': libswscale failed", r->path);
    return PARN_OK;
}

parn_status parn__frame_times_reserve(parn_frame_time **times, int64_t *cap, int64_t n,
                                      const char *path)
{
    if (n < *cap) return PARN_OK;
    int64_t grown = *cap ? 2 * *cap : 256;
    parn_frame_time *t = parn__realloc(*times, (size_t)grown * sizeof *t);
    PARN_RETURN_IF(!t, PARN_E_NOMEM, "video '%s': out of memory", path);
    *times = t;
    *cap = grown;
    return PARN_OK;
}

/* Records when the decoded picture shows: its timestamp, kept strictly increasing so that a
 * writer can reuse it, and its duration. */
static parn_status record_time(parn_video_reader_t *r)
{
    PARN_TRY(parn__frame_times_reserve(&r->times, &r->cap_times, r->n_times, r->path));
    int64_t pts = r->picture->best_effort_timestamp;
    int64_t duration = r->picture->pkt_duration > 0 ? r->picture->pkt_duration
                                                    : parn__video_frame_duration(r);
    if (r->n_times > 0) {
        const parn_frame_time *prev = &r->times[r->n_times - 1];
        if (pts == AV_NOPTS_VALUE) pts = prev->pts + prev->duration;
        if (pts <= prev->pts) pts = prev->pts + 1;
    } else if (pts == AV_NOPTS_VALUE) {
        pts = 0;
    }
    r->times[r->n_times++] = (parn_frame_time){pts, duration};
    return PARN_OK;
}

parn_status parn_video_read(parn_video_reader_t *r, parn_frame_t **frame)
{
    PARN_RETURN_IF(!r || !frame, PARN_E_INVALID_ARG, "parn_video_read: NULL argument");
    for (;;) {
        int err = avcodec_receive_frame(r->decoder, r->picture);
        if (err == AVERROR_EOF) return PARN_EOF;
        if (err == AVERROR(EAGAIN)) {
            PARN_TRY(feed_decoder(r));
            continue;
        }
        if (err < 0) return parn__video_fail(PARN_E_FORMAT, err, r->path, "cannot decode its video");
        parn_status st = convert_picture(r);
        if (st == PARN_OK) st = record_time(r);
        av_frame_unref(r->picture);
        if (st == PARN_OK) *frame = r->rgb;
        return st;
    }
}

void parn_video_close(parn_video_reader_t *r)
{
    if (!r) return;
    if (r->writer) parn__video_writer_detach(r->writer);
    queue_clear(&r->audio_queue);
    parn__free(r->times);
    parn_frame_free(&r->rgb);
    sws_freeContext(r->sws);
    av_frame_free(&r->picture);
    av_packet_free(&r->packet);
    avcodec_free_context(&r->decoder);
    avformat_close_input(&r->fmt);
    parn__free(r->path);
    parn__free(r);
}
