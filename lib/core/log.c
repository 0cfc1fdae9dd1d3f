/* SPDX-License-Identifier: MIT */
/* The process-wide log sink; silent by default because a library never prints. */
#include "core.h"

#include <stdio.h>
#include <threads.h>

static parn_log_fn log_fn;
static void *log_user;
static mtx_t log_lock;
static once_flag log_once = ONCE_FLAG_INIT;

static void init_lock(void)
{
    mtx_init(&log_lock, mtx_plain);
}

void parn_set_log_callback(parn_log_fn fn, void *user)
{
    call_once(&log_once, init_lock);
    mtx_lock(&log_lock);
    log_fn = fn;
    log_user = user;
    mtx_unlock(&log_lock);
}

void parn__log(parn_log_level level, const char *fmt, ...)
{
    call_once(&log_once, init_lock);
    mtx_lock(&log_lock);
    parn_log_fn fn = log_fn;
    void *user = log_user;
    mtx_unlock(&log_lock);
    if (!fn) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(user, level, msg);
}
