/* SPDX-License-Identifier: MIT */
/* Without the CUDA backend there is no CUDA device. */
#include "backend/backend.h"

const parn_backend *parn__backend_cuda(void);

const parn_backend *parn__backend_cuda(void)
{
    return NULL;
}
