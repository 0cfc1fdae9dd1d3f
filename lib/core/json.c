/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <stdio.h>
#include <string.h>

parn_status parn__json_check_keys(const cJSON *j, const char *const *keys, size_t n, const char *what)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, j) {
        bool known = false;
        for (size_t k = 0; k < n && !known; k++) known = strcmp(it->string, keys[k]) == 0;
        if (known) continue;
        char list[512] = "";
        for (size_t k = 0; k < n; k++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", keys[k]);
        }
        return parn__fail(PARN_E_INVALID_ARG, "%s: unknown key \"%s\" (%s)", what, it->string, list);
    }
    return PARN_OK;
}

parn_status parn__json_number(const cJSON *j, const char *key, const char *what, double *v)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!it) return PARN_OK;
    PARN_RETURN_IF(!cJSON_IsNumber(it), PARN_E_INVALID_ARG, "%s: \"%s\" must be a number", what, key);
    *v = it->valuedouble;
    return PARN_OK;
}
