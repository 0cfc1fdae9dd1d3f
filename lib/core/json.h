/* SPDX-License-Identifier: MIT */
/* Reading JSON settings objects (cJSON) with messages that name the setting. */
#ifndef PARN_JSON_H
#define PARN_JSON_H

#include "core.h"

#include <cjson/cJSON.h>

/* PARN_E_INVALID_ARG "<what>: unknown key "k" (a, b, ...)" for a key of j not among keys. */
parn_status parn__json_check_keys(const cJSON *j, const char *const *keys, size_t n, const char *what);

/* Reads key into *v when j has it (absent keeps *v); it must be a number. */
parn_status parn__json_number(const cJSON *j, const char *key, const char *what, double *v);

#endif
