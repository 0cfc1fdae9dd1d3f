/* SPDX-License-Identifier: MIT */
/* Version and build information. */
#include "core/core.h"

#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <threads.h>

int parn_version_number(void)
{
    return PARN_VERSION_NUMBER;
}

const char *parn_version_string(void)
{
    return PARN_VERSION_STRING;
}

parn_status parn_init_check(int abi_version)
{
    PARN_RETURN_IF(abi_version != PARN_ABI_VERSION, PARN_E_ABI,
                   "the program was compiled for libparn ABI %d, this library is ABI %d",
                   abi_version, PARN_ABI_VERSION);
    return PARN_OK;
}

static char build_info[256];
static once_flag build_info_once = ONCE_FLAG_INIT;

static void make_build_info(void)
{
    const dnnl_version_t *v = dnnl_version();
    snprintf(build_info, sizeof build_info, "libparn %s; backends: cpu (oneDNN %d.%d.%d)%s",
             PARN_VERSION_STRING, v->major, v->minor, v->patch,
#ifdef PARN_HAVE_CUDA
             ", cuda"
#else
             ""
#endif
    );
}

const char *parn_build_info(void)
{
    call_once(&build_info_once, make_build_info);
    return build_info;
}
