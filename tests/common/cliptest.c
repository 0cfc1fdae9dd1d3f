/* SPDX-License-Identifier: MIT */
#include "cliptest.h"

#include <check.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
void cliptest_pattern(uint8_t *rgb, int stride, int w, int h, int i)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = rgb + (size_t)y * stride + 3 * x;
            bool square = abs(x - (i * 2) % w) < 4 && abs(y - h / 2) < 4;
            p[0] = square ? 250 : (uint8_t)(30 + x * 150 / w + i);
            p[1] = square ? 250 : (uint8_t)(40 + y * 150 / h + 2 * i);
            p[2] = square ? 250 : (uint8_t)(128 + 60 * sin((x + y + 3 * i) * 0.08));
        }
}

static void encode_and_write(AVFormatContext *oc, AVCodecContext *enc, AVStream *st, AVFrame *f)
{
    ck_assert_int_ge(avcodec_send_frame(enc, f), 0);
    AVPacket *p = av_packet_alloc();
    while (avcodec_receive_packet(enc, p) == 0) {
        if (enc->codec_type == AVMEDIA_TYPE_VIDEO && p->duration == 0) p->duration = 1;
        av_packet_rescale_ts(p, enc->time_base, st->time_base);
        p->stream_index = st->index;
        ck_assert_int_ge(av_interleaved_write_frame(oc, p), 0);
    }
    av_packet_free(&p);
}

static AVCodecContext *open_test_encoder(AVFormatContext *oc, const AVCodec *codec,
                                         AVCodecContext *enc, AVStream **st)
{
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    ck_assert_int_ge(avcodec_open2(enc, codec, NULL), 0);
    *st = avformat_new_stream(oc, NULL);
    ck_assert_int_ge(avcodec_parameters_from_context((*st)->codecpar, enc), 0);
    (*st)->time_base = enc->time_base;
    (*st)->avg_frame_rate = enc->framerate;
    return enc;
}

static AVCodecContext *video_encoder(AVFormatContext *oc, const clip_spec *c, AVStream **st)
{
    const AVCodec *codec = avcodec_find_encoder(c->mjpeg ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_MPEG4);
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    enc->width = c->width;
    enc->height = c->height;
    enc->pix_fmt = c->mjpeg ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
    enc->time_base = (AVRational){1, c->fps};
    enc->framerate = (AVRational){c->fps, 1};
    enc->gop_size = 10;
    enc->flags |= AV_CODEC_FLAG_QSCALE;
    enc->global_quality = FF_QP2LAMBDA * 2;
    return open_test_encoder(oc, codec, enc, st);
}

static AVCodecContext *audio_encoder(AVFormatContext *oc, enum AVCodecID id, AVStream **st)
{
    const AVCodec *codec = avcodec_find_encoder(id);
    ck_assert_ptr_nonnull(codec);
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    enc->sample_rate = 48000;
    enc->sample_fmt = codec->sample_fmts[0];
    av_channel_layout_default(&enc->ch_layout, 1);
    enc->bit_rate = 64000;
    enc->time_base = (AVRational){1, 48000};
    return open_test_encoder(oc, codec, enc, st);
}

/* The next block of a 440 Hz tone, or NULL once `total` samples were made. */
static AVFrame *tone(AVCodecContext *enc, int64_t *done, int64_t total)
{
    int n = enc->frame_size > 0 ? enc->frame_size : 1024;
    if (*done >= total) return NULL;
    if (total - *done < n) n = (int)(total - *done);
    AVFrame *f = av_frame_alloc();
    f->nb_samples = n;
    f->format = enc->sample_fmt;
    f->sample_rate = enc->sample_rate;
    av_channel_layout_copy(&f->ch_layout, &enc->ch_layout);
    ck_assert_int_ge(av_frame_get_buffer(f, 0), 0);
    for (int k = 0; k < n; k++) {
        double s = sin(2 * M_PI * 440 * (double)(*done + k) / enc->sample_rate);
        if (enc->sample_fmt == AV_SAMPLE_FMT_FLTP)
            ((float *)f->data[0])[k] = (float)(0.3 * s);
        else
            ((int16_t *)f->data[0])[k] = (int16_t)(10000 * s);
    }
    f->pts = *done;
    *done += n;
    return f;
}

void cliptest_make(const char *path, const clip_spec *c)
{
    AVFormatContext *oc = NULL;
    ck_assert_int_ge(avformat_alloc_output_context2(&oc, NULL, NULL, path), 0);
    AVStream *vst = NULL, *ast = NULL;
    AVCodecContext *venc = c->video ? video_encoder(oc, c, &vst) : NULL;
    AVCodecContext *aenc = c->audio != AV_CODEC_ID_NONE ? audio_encoder(oc, c->audio, &ast) : NULL;
    ck_assert_int_ge(avio_open(&oc->pb, path, AVIO_FLAG_WRITE), 0);
    ck_assert_int_ge(avformat_write_header(oc, NULL), 0);
    AVFrame *picture = av_frame_alloc();
    uint8_t *rgb = malloc((size_t)3 * c->width * c->height);
    struct SwsContext *sws = sws_getContext(c->width, c->height, AV_PIX_FMT_RGB24, c->width, c->height,
                                            venc ? venc->pix_fmt : AV_PIX_FMT_YUV420P, SWS_BILINEAR,
                                            NULL, NULL, NULL);
    int64_t samples = 0, total = (int64_t)c->frames * 48000 / c->fps;
    for (int i = 0; i < c->frames; i++) {
        AVFrame *a;
        while (aenc && samples < (int64_t)(i + 1) * 48000 / c->fps && (a = tone(aenc, &samples, total))) {
            encode_and_write(oc, aenc, ast, a);
            av_frame_free(&a);
        }
        if (!venc) continue;
        picture->format = venc->pix_fmt;
        picture->width = c->width;
        picture->height = c->height;
        ck_assert_int_ge(av_frame_get_buffer(picture, 0), 0);
        cliptest_pattern(rgb, 3 * c->width, c->width, c->height, i);
        const uint8_t *src[1] = {rgb};
        int stride[1] = {3 * c->width};
        sws_scale(sws, src, stride, 0, c->height, picture->data, picture->linesize);
        picture->pts = i;
        encode_and_write(oc, venc, vst, picture);
        av_frame_unref(picture);
    }
    if (venc) encode_and_write(oc, venc, vst, NULL);
    if (aenc) encode_and_write(oc, aenc, ast, NULL);
    ck_assert_int_ge(av_write_trailer(oc), 0);
    avio_closep(&oc->pb);
    avformat_free_context(oc);
    avcodec_free_context(&venc);
    avcodec_free_context(&aenc);
    av_frame_free(&picture);
    sws_freeContext(sws);
    free(rgb);
}

void cliptest_make_undecodable(const char *path)
{
    AVFormatContext *oc = NULL;
    ck_assert_int_ge(avformat_alloc_output_context2(&oc, NULL, "matroska", path), 0);
    AVStream *st = avformat_new_stream(oc, NULL);
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id = AV_CODEC_ID_AVS2;
    st->codecpar->width = 64;
    st->codecpar->height = 48;
    st->time_base = (AVRational){1, 1000};
    ck_assert_int_ge(avio_open(&oc->pb, path, AVIO_FLAG_WRITE), 0);
    ck_assert_int_ge(avformat_write_header(oc, NULL), 0);
    AVPacket *p = av_packet_alloc();
    for (int i = 0; i < 3; i++) {
        ck_assert_int_ge(av_new_packet(p, 100), 0);
        memset(p->data, 0x5a, 100);
        p->pts = p->dts = av_rescale_q(40 * i, (AVRational){1, 1000}, st->time_base);
        p->flags = AV_PKT_FLAG_KEY;
        ck_assert_int_ge(av_write_frame(oc, p), 0);
        av_packet_unref(p);
    }
    av_packet_free(&p);
    ck_assert_int_ge(av_write_trailer(oc), 0);
    avio_closep(&oc->pb);
    avformat_free_context(oc);
}

