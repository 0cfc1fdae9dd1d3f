/* SPDX-License-Identifier: MIT */
/* Loads the CUDA backend (libparn-cuda.so) on first use of a "cuda" device, so that libparn
 * runs on machines without any CUDA library. Where it looks, in order: $PARN_CUDA_LIBRARY
 * alone when set; next to the object holding libparn (libparn.so, or a program linking it
 * statically); the build tree's module (PARN_CUDA_BUILD_MODULE, for tests and bench programs
 * run from the build folder); the dynamic linker's search path. A module that loads stays
 * loaded for the life of the process (CUDA libraries do not unload cleanly); a failure is
 * retried on the next call, so a caller that fixes the environment is not stuck with it. */
#define _GNU_SOURCE /* dladdr */
#include "backend/cuda/module.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>

static mtx_t lock;
static once_flag lock_once = ONCE_FLAG_INIT;
static const parn_cuda_module *loaded;

static void init_lock(void)
{
    mtx_init(&lock, mtx_plain);
}

static parn_status host_vfail(parn_status st, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return parn__fail(st, "%s", msg);
}

static const parn_cuda_host host = {
    .version = PARN_CUDA_MODULE_VERSION,
    .backend_api = PARN_BACKEND_API_VERSION,
    .node_size = sizeof(parn_node),
    .tensor_size = sizeof(parn_tensor),
    .vfail = host_vfail,
    .thread_error = parn__thread_error,
    .malloc = parn__malloc,
    .calloc = parn__calloc,
    .realloc = parn__realloc,
    .free = parn__free,
    .graph_node = parn_graph_node,
    .graph_rng = parn_graph_rng,
};

/* Opens one candidate file. PARN_E_NOT_FOUND (no message) when it does not exist, so that
 * the search goes on; PARN_E_DEVICE with a message when it exists but cannot be used. */
static parn_status open_module(const char *path, const parn_cuda_module **out)
{
    bool bare = !strchr(path, '/');
    if (!bare && access(path, F_OK) != 0) return PARN_E_NOT_FOUND;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        why = why ? why : "unknown error";
        /* "libparn-cuda.so: cannot open shared object file: No such file or directory"; a
         * missing dependency names the dependency instead */
        if (bare && strncmp(why, path, strlen(path)) == 0 && strstr(why, "No such file"))
            return PARN_E_NOT_FOUND;
        return parn__fail(PARN_E_DEVICE, "cannot load %s: %s", path, why);
    }
    parn_cuda_module_open_fn open_fn;
    *(void **)&open_fn = dlsym(h, PARN_CUDA_MODULE_ENTRY);
    if (!open_fn) {
        dlclose(h);
        return parn__fail(PARN_E_DEVICE, "%s has no %s: not a libparn CUDA module", path,
                          PARN_CUDA_MODULE_ENTRY);
    }
    if (open_fn(&host, out) != PARN_OK) {
        dlclose(h);
        return parn__fail(PARN_E_DEVICE, "%s belongs to another build of libparn (its module "
                          "interface differs)", path);
    }
    return PARN_OK;
}

/* The folder of the object (shared library or program) that holds this code, with a final
 * slash; "" when unknown. */
static void own_folder(char *dir, size_t size)
{
    Dl_info info;
    dir[0] = '\0';
    if (!dladdr((void *)parn__backend_cuda, &info) || !info.dli_fname) return;
    const char *slash = strrchr(info.dli_fname, '/');
    if (!slash) return;
    int len = (int)(slash - info.dli_fname) + 1;
    if ((size_t)len < size) snprintf(dir, size, "%.*s", len, info.dli_fname);
}

static parn_status search(const parn_cuda_module **out)
{
    const char *env = getenv("PARN_CUDA_LIBRARY");
    if (env && *env) {
        parn_status st = open_module(env, out);
        PARN_RETURN_IF(st == PARN_E_NOT_FOUND, PARN_E_DEVICE,
                       "%s not found (PARN_CUDA_LIBRARY=%s)", PARN_CUDA_MODULE_FILE, env);
        return st;
    }
    char dir[1024], next_to[1200];
    own_folder(dir, sizeof dir);
    snprintf(next_to, sizeof next_to, "%s%s", dir, PARN_CUDA_MODULE_FILE);
    const char *candidates[] = {
        dir[0] ? next_to : NULL,
#ifdef PARN_CUDA_BUILD_MODULE
        PARN_CUDA_BUILD_MODULE,
#endif
        PARN_CUDA_MODULE_FILE,
    };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (!candidates[i]) continue;
        parn_status st = open_module(candidates[i], out);
        if (st != PARN_E_NOT_FOUND) return st;
    }
#ifdef PARN_HAVE_CUDA
    const char *why = "";
#else
    const char *why = "; this libparn was built without the CUDA backend";
#endif
    return parn__fail(PARN_E_DEVICE, "%s not found (next to libparn in '%s', nor on the library "
                      "search path; PARN_CUDA_LIBRARY may name it)%s",
                      PARN_CUDA_MODULE_FILE, dir, why);
}

/* The loaded module, loading it on first use. */
static parn_status module(const parn_cuda_module **out)
{
    call_once(&lock_once, init_lock);
    mtx_lock(&lock);
    parn_status st = PARN_OK;
    if (!loaded) st = search(&loaded);
    *out = loaded;
    mtx_unlock(&lock);
    return st;
}

parn_status parn__backend_cuda(const parn_backend **out)
{
    const parn_cuda_module *m;
    PARN_TRY(module(&m));
    *out = m->backend;
    return PARN_OK;
}

int parn__cuda_device_count(void)
{
    const parn_cuda_module *m;
    int count = 0;
    if (module(&m) != PARN_OK || m->device_count(&count) != PARN_OK) return 0;
    return count;
}

const char *parn__cuda_versions(void)
{
    const parn_cuda_module *m;
    return module(&m) == PARN_OK ? m->versions() : NULL;
}
