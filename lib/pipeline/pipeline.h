/* SPDX-License-Identifier: MIT */
/* Private declarations shared by the pipelines (anonymize, classify). */
#ifndef PARN_PIPELINE_H
#define PARN_PIPELINE_H

#include "api/session.h"

#endif
