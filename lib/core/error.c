/* SPDX-License-Identifier: MIT */
/* Status strings and the per-thread error message. */
#include "core.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char thread_message[512];

parn_status parn__fail(parn_status st, const char *fmt, ...)
{
    /* format aside first: callers may pass the current message as an argument to wrap it */
    char message[sizeof thread_message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    memcpy(thread_message, message, sizeof message);
    parn__log(PARN_LOG_DEBUG, "%s: %s", parn_status_string(st), thread_message);
    return st;
}

const char *parn__thread_error(void)
{
    return thread_message;
}

const char *parn_status_string(parn_status status)
{
    switch (status) {
    case PARN_OK: return "success";
    case PARN_E_INVALID_ARG: return "invalid argument";
    case PARN_E_NOMEM: return "out of memory";
    case PARN_E_UNSUPPORTED: return "unsupported";
    case PARN_E_SHAPE: return "shape mismatch";
    case PARN_E_DEVICE: return "device error";
    case PARN_E_IO: return "input/output error";
    case PARN_E_FORMAT: return "malformed data";
    case PARN_E_STATE: return "invalid state";
    case PARN_E_BACKEND: return "backend library error";
    case PARN_E_INTERNAL: return "internal error";
    case PARN_E_NOT_FOUND: return "not found";
    case PARN_E_ABI: return "ABI version mismatch";
    case PARN_AGAIN: return "more input needed";
    case PARN_EOF: return "end of stream";
    }
    return "unknown status";
}
