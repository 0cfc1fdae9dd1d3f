/* SPDX-License-Identifier: MIT */
/* parn-info: prints the library's version, build and devices, and checks that a session opens. */
#include "parn.h"

#include <stdio.h>

int main(void)
{
    if (parn_init_check(PARN_ABI_VERSION) != PARN_OK) {
        fprintf(stderr, "parn-info: %s\n", parn_last_error(NULL));
        return 1;
    }
    int cuda = 0;
    parn_device_count("cuda", &cuda);
    printf("%s\nCUDA devices: %d\n", parn_build_info(), cuda);
    parn_session_t *s = NULL;
    if (parn_session_create(NULL, NULL, &s) != PARN_OK) {
        fprintf(stderr, "parn-info: %s\n", parn_last_error(NULL));
        return 1;
    }
    printf("session on %s with %d threads: ok\n", parn_session_device(s), parn_session_threads(s));
    parn_session_destroy(s);
    return 0;
}
