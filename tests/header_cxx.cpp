// SPDX-License-Identifier: MIT
// parn.h compiles on its own as C++ and links with C linkage.
#include "parn.h"

int main()
{
    parn_session_t *s = nullptr;
    parn_status st = parn_session_create(nullptr, nullptr, &s);
    parn_session_destroy(s);
    return st == PARN_OK ? 0 : 1;
}
