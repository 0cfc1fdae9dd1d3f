/* SPDX-License-Identifier: MIT */
/* Still images (JPEG, PNG, PGM, GIF, ... whatever FFmpeg reads) to an RGB24 frame. */
#include "ffmpeg.h"
#include "frame_rgb.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

/* What one decode needs, freed together. */
typedef struct image_decoder {
    AVFormatContext *fmt;
    AVCodecContext *codec;
    AVPacket *packet;
    AVFrame *frame;
    int stream;
} image_decoder;

static void decoder_close(image_decoder *d)
{
    av_frame_free(&d->frame);
    av_packet_free(&d->packet);
    avcodec_free_context(&d->codec);
    avformat_close_input(&d->fmt);
}

static parn_status av_fail(int err, const char *path, const char *what)
{
    char msg[AV_ERROR_MAX_STRING_SIZE] = "";
    av_strerror(err, msg, sizeof msg);
    return parn__fail(err == AVERROR(ENOMEM) ? PARN_E_NOMEM : PARN_E_FORMAT, "image '%s': %s: %s", path,
                      what, msg);
}

static parn_status decoder_open(image_decoder *d, const char *path)
{
    int err = avformat_open_input(&d->fmt, path, NULL, NULL);
    if (err < 0) {
        d->fmt = NULL;
        return parn__fail(err == AVERROR(ENOENT) ? PARN_E_IO : PARN_E_FORMAT, "image '%s': cannot open: %s",
                          path, av_err2str(err));
    }
    if ((err = avformat_find_stream_info(d->fmt, NULL)) < 0) return av_fail(err, path, "no stream information");
    const AVCodec *codec = NULL;
    d->stream = av_find_best_stream(d->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (d->stream < 0) return av_fail(d->stream, path, "no picture in it");
    d->codec = avcodec_alloc_context3(codec);
    d->packet = av_packet_alloc();
    d->frame = av_frame_alloc();
    PARN_RETURN_IF(!d->codec || !d->packet || !d->frame, PARN_E_NOMEM, "image '%s': out of memory", path);
    if ((err = avcodec_parameters_to_context(d->codec, d->fmt->streams[d->stream]->codecpar)) < 0 ||
        (err = avcodec_open2(d->codec, codec, NULL)) < 0)
        return av_fail(err, path, "cannot open its decoder");
    return PARN_OK;
}

/* Decodes the first picture of the stream into d->frame. */
static parn_status decode_first(image_decoder *d, const char *path)
{
    int err;
    while ((err = av_read_frame(d->fmt, d->packet)) >= 0) {
        if (d->packet->stream_index == d->stream) {
            err = avcodec_send_packet(d->codec, d->packet);
            av_packet_unref(d->packet);
            if (err < 0) return av_fail(err, path, "cannot decode");
            err = avcodec_receive_frame(d->codec, d->frame);
            if (err == 0) return PARN_OK;
            if (err != AVERROR(EAGAIN)) return av_fail(err, path, "cannot decode");
        } else {
            av_packet_unref(d->packet);
        }
    }
    avcodec_send_packet(d->codec, NULL); /* flush: some decoders hold the picture back */
    err = avcodec_receive_frame(d->codec, d->frame);
    return err == 0 ? PARN_OK : av_fail(err, path, "no picture decoded");
}

static parn_status to_rgb_frame(const AVFrame *src, const char *path, parn_frame_t **out)
{
    parn_frame_t *f = NULL;
    PARN_TRY(parn_frame_alloc(PARN_PIX_RGB24, src->width, src->height, &f));
    struct SwsContext *sws = sws_getContext(src->width, src->height, (enum AVPixelFormat)src->format,
                                            src->width, src->height, AV_PIX_FMT_RGB24,
                                            SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    uint8_t *dst[4] = {parn_frame_plane(f, 0)};
    int dst_stride[4] = {parn_frame_stride(f, 0)};
    bool ok = sws && sws_scale(sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
                               dst, dst_stride) == src->height;
    sws_freeContext(sws);
    if (!ok) {
        parn_frame_free(&f);
        return parn__fail(PARN_E_UNSUPPORTED, "image '%s': cannot convert its pixel format to RGB", path);
    }
    *out = f;
    return PARN_OK;
}

parn_status parn_image_load(const char *path, parn_frame_t **out)
{
    PARN_RETURN_IF(!path || !out, PARN_E_INVALID_ARG, "parn_image_load: NULL argument");
    parn__ffmpeg_init();
    image_decoder d = {0};
    parn_status st = decoder_open(&d, path);
    if (st == PARN_OK) st = decode_first(&d, path);
    if (st == PARN_OK) st = to_rgb_frame(d.frame, path, out);
    decoder_close(&d);
    return st;
}
