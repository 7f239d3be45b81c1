// Ascend C CPU twin: the umbrella header a kernel includes (`#include "kernel_operator.h"`).
#pragma once

#include "twin/types.h"
#include "twin/base.h"
#include "twin/soc.h"
#include "twin/counters.h"
#include "twin/gm.h"
#include "twin/tensor.h"
#include "twin/pipe.h"
#include "twin/copy.h"
#include "twin/sched.h"
#include "twin/sync.h"
#include "twin/kernel.h"
#include "twin/launch.h"

// --- compute APIs ---
#include "twin/vec_common.h"
#include "twin/vec_arith.h"
#include "twin/vec_cast.h"
#include "twin/vec_reduce.h"
#include "twin/vec_select.h"
#include "twin/sort.h"
#include "twin/cube.h"
#include "twin/cube_extra.h"
#include "twin/vec_index.h"
#include "twin/misc.h"
// --- end compute APIs ---
