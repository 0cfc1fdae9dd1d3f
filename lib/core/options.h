/* SPDX-License-Identifier: MIT */
/* Private view of the options set, for constructors that read it. */
#ifndef PARN_OPTIONS_H
#define PARN_OPTIONS_H

#include "core.h"

/* Copies the keys src sets into dst (src NULL: nothing). */
parn_status parn__options_merge(parn_options_t *dst, const parn_options_t *src);

/* True when opts sets key explicitly. */
bool parn__opt_is_set(const parn_options_t *opts, parn_option key);
/* Reads a key from opts, or its default when opts is NULL or the key is unset. */
int64_t parn__opt_int(const parn_options_t *opts, parn_option key);
double parn__opt_float(const parn_options_t *opts, parn_option key);
const char *parn__opt_string(const parn_options_t *opts, parn_option key);

#endif
