/* SPDX-License-Identifier: MIT */
/* STUB: video reading and writing are being written. */
#include "ffmpeg.h"
#include "core/core.h"

parn_status parn_video_open(const char *path, parn_video_reader_t **out) { (void)path; (void)out; return parn__fail(PARN_E_UNSUPPORTED, "video: not implemented"); }
parn_status parn_video_info(const parn_video_reader_t *r, int *width, int *height, double *fps, int64_t *frames, double *duration, int *has_audio)
{ (void)r; (void)width; (void)height; (void)fps; (void)frames; (void)duration; (void)has_audio; return parn__fail(PARN_E_UNSUPPORTED, "video: not implemented"); }
parn_status parn_video_read(parn_video_reader_t *r, parn_frame_t **frame) { (void)r; (void)frame; return parn__fail(PARN_E_UNSUPPORTED, "video: not implemented"); }
void parn_video_close(parn_video_reader_t *r) { (void)r; }
parn_status parn_video_writer_open(const char *path, parn_video_reader_t *like, parn_video_writer_t **out) { (void)path; (void)like; (void)out; return parn__fail(PARN_E_UNSUPPORTED, "video: not implemented"); }
parn_status parn_video_write(parn_video_writer_t *w, const parn_frame_t *frame) { (void)w; (void)frame; return parn__fail(PARN_E_UNSUPPORTED, "video: not implemented"); }
parn_status parn_video_writer_close(parn_video_writer_t *w) { (void)w; return parn__fail(PARN_E_UNSUPPORTED, "video: not implemented"); }
void parn_video_writer_destroy(parn_video_writer_t *w) { (void)w; }
