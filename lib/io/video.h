/* SPDX-License-Identifier: MIT */
/* Private: the video reader as the writer that mirrors it sees it (lib/io/video*.c). */
#ifndef PARN_VIDEO_H
#define PARN_VIDEO_H

#include "core/core.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <sys/types.h>

/* When a decoded frame shows and for how long, in its stream's time base. */
typedef struct parn_frame_time {
    int64_t pts, duration;
} parn_frame_time;

/* Audio packets demuxed while looking for video, oldest first (a ring). */
typedef struct parn_packet_queue {
    AVPacket **items;
    size_t head, count, cap;
    size_t bytes;
} parn_packet_queue;

struct parn_video_reader {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *decoder;
    AVPacket *packet;
    AVFrame *picture;
    struct SwsContext *sws;
    int sws_key[4];           /* what sws converts: width, height, format, colors */
    parn_frame_t *rgb;        /* what parn_video_read hands out */
    int video, audio;         /* stream indexes; audio is -1 without audio */
    int width, height;
    bool flushed;             /* the demuxer is exhausted and the decoder drains */
    int bad_packets;          /* corrupt packets in a row */
    parn_frame_time *times;   /* every frame read so far, in reading order */
    int64_t n_times, cap_times;
    parn_packet_queue audio_queue;
    bool has_id;              /* dev/ino identify the input file */
    dev_t dev;
    ino_t ino;
    parn_video_writer_t *writer; /* the writer that takes the audio, or NULL */
};

/* The video's frame rate: the stream's average rate, else its base rate, else 25. */
AVRational parn__video_rate(const parn_video_reader_t *r);

/* The length of one frame in the video stream's time base (at least 1). */
int64_t parn__video_frame_duration(const parn_video_reader_t *r);

/* The oldest queued audio packet (the caller frees it), or NULL when none is queued. */
AVPacket *parn__video_take_audio(parn_video_reader_t *r);

/* Forgets the reader a writer mirrors (the reader is being closed first). */
void parn__video_writer_detach(parn_video_writer_t *w);

/* PARN_E_IO for errors of the file system, else fallback (usually PARN_E_FORMAT). */
parn_status parn__video_av_status(int err, parn_status fallback);

/* Makes room for one more entry in a growing list of frame times (path names the file in
 * the out-of-memory message). */
parn_status parn__frame_times_reserve(parn_frame_time **times, int64_t *cap, int64_t n,
                                      const char *path);

/* Records "video '<path>': <what>: <FFmpeg's reason>" and returns st (PARN_E_NOMEM when err
 * says memory ran out). */
parn_status parn__video_fail(parn_status st, int err, const char *path, const char *what);

#endif
