/* SPDX-License-Identifier: MIT */
/* parn.h compiles on its own as strict C99 (built with -std=c99 -pedantic -Werror). */
#include "parn.h"

int main(void)
{
    return parn_init_check(PARN_ABI_VERSION) == PARN_OK ? 0 : 1;
}
