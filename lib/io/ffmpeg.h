/* SPDX-License-Identifier: MIT */
/* Shared FFmpeg setup for lib/io. */
#ifndef PARN_FFMPEG_H
#define PARN_FFMPEG_H

/* Routes FFmpeg's log into libparn's log sink (FFmpeg would print to stderr otherwise; a
 * library must not). Idempotent and thread-safe; call before any FFmpeg use. */
void parn__ffmpeg_init(void);

#endif
