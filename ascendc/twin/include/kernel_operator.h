// Ascend C CPU twin: the umbrella header a kernel includes.
#pragma once

#include "twin/types.h"
#include "twin/base.h"
#include "twin/soc.h"
#include "twin/counters.h"
#include "twin/gm.h"
#include "twin/tensor.h"

// --- compute APIs ---
// --- end compute APIs ---
