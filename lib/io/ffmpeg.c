/* SPDX-License-Identifier: MIT */
/* FFmpeg's messages go to libparn's log callback instead of stderr. */
#include "ffmpeg.h"

#include "core/core.h"

#include <libavutil/log.h>
#include <stdio.h>
#include <threads.h>

static once_flag once = ONCE_FLAG_INIT;

static void forward(void *avcl, int level, const char *fmt, va_list ap)
{
    (void)avcl;
    if (level > AV_LOG_VERBOSE) return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    parn__log(level <= AV_LOG_ERROR ? PARN_LOG_WARN : PARN_LOG_DEBUG, "ffmpeg: %s", msg);
}

static void install(void)
{
    av_log_set_callback(forward);
}

void parn__ffmpeg_init(void)
{
    call_once(&once, install);
}
