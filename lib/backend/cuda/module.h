/* SPDX-License-Identifier: MIT */
/* The interface between libparn and the CUDA backend module (libparn-cuda.so), which libparn
 * opens with dlopen on first use of a "cuda" device, so that libparn itself needs no CUDA
 * library. libparn's private symbols are hidden, so it hands the module the few services the
 * module needs (the one thread-local error message, allocation, graph access); the module
 * links the pure helpers (tensor layouts, the random generator) itself. Both sides come from
 * the same build: the versions and struct sizes below must match exactly. */
#ifndef PARN_CUDA_MODULE_H
#define PARN_CUDA_MODULE_H

#include "backend/backend.h"

#include <stdarg.h>

#define PARN_CUDA_MODULE_VERSION 1
#define PARN_CUDA_MODULE_ENTRY "parn_cuda_module_open"
#define PARN_CUDA_MODULE_FILE "libparn-cuda.so"

/* What libparn gives the module. */
typedef struct parn_cuda_host {
    uint32_t version;                 /* PARN_CUDA_MODULE_VERSION */
    uint32_t backend_api;             /* PARN_BACKEND_API_VERSION */
    uint32_t node_size, tensor_size;  /* sizeof(parn_node), sizeof(parn_tensor): same headers */
    parn_status (*vfail)(parn_status st, const char *fmt, va_list ap);
    const char *(*thread_error)(void);
    void *(*malloc)(size_t size);
    void *(*calloc)(size_t count, size_t size);
    void *(*realloc)(void *ptr, size_t size);
    void (*free)(void *ptr);
    parn_node *(*graph_node)(parn_graph *g, int id);
    parn_rng *(*graph_rng)(parn_graph *g);
} parn_cuda_host;

/* What the module gives back. */
typedef struct parn_cuda_module {
    uint32_t version;                 /* PARN_CUDA_MODULE_VERSION */
    const parn_backend *backend;
    /* Usable devices; PARN_E_DEVICE with a message when the driver or every GPU is missing. */
    parn_status (*device_count)(int *count);
    /* "CUDA runtime 13.0, driver 13.0, cuDNN 9.19.0, cuBLAS 13.1.0" (the libraries loaded). */
    const char *(*versions)(void);
} parn_cuda_module;

/* The module's one exported function: checks host, installs it, returns the module table. */
typedef parn_status (*parn_cuda_module_open_fn)(const parn_cuda_host *host,
                                                const parn_cuda_module **out);

#endif
