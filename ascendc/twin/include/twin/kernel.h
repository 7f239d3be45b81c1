// Kernel qualifiers, kernel-type declaration, tiling macros and core identity.
#pragma once

#include <cstdint>
#include <cstring>

#include "base.h"
#include "sched.h"

// Device qualifiers are empty on the CPU.
#ifndef __global__
#define __global__
#endif
#ifndef __aicore__
#define __aicore__
#endif
#ifndef __gm__
#define __gm__
#endif
#ifndef __ubuf__
#define __ubuf__
#endif
#ifndef __cbuf__
#define __cbuf__
#endif
#ifndef __inout_pipe__
#define __inout_pipe__(p)
#endif

#define GM_ADDR __gm__ uint8_t*

// Runtime tests of the simulated core the statement runs on: `if ASCEND_IS_AIC { ... }`.
#define ASCEND_IS_AIC (::twin::core().is_aic)
#define ASCEND_IS_AIV (!::twin::core().is_aic)
#define ASCEND_IS_NOT_AIC (!::twin::core().is_aic)
#define ASCEND_IS_NOT_AIV (::twin::core().is_aic)

enum KernelMetaType : int {
    KERNEL_TYPE_AIV_ONLY = 0,
    KERNEL_TYPE_AIC_ONLY,
    KERNEL_TYPE_MIX_AIV_1_0,
    KERNEL_TYPE_MIX_AIC_1_0,
    KERNEL_TYPE_MIX_AIC_1_1,
    KERNEL_TYPE_MIX_AIC_1_2,
    KERNEL_TYPE_AICORE,
    KERNEL_TYPE_MAX
};

namespace twin {

inline const char* kernel_type_name(int t) {
    static const char* n[] = {"KERNEL_TYPE_AIV_ONLY",    "KERNEL_TYPE_AIC_ONLY",    "KERNEL_TYPE_MIX_AIV_1_0",
                              "KERNEL_TYPE_MIX_AIC_1_0", "KERNEL_TYPE_MIX_AIC_1_1", "KERNEL_TYPE_MIX_AIC_1_2",
                              "KERNEL_TYPE_AICORE"};
    return (t >= 0 && t < KERNEL_TYPE_MAX) ? n[t] : "?";
}

// The kernel type a kernel declares must match how it was launched.
inline void declare_kernel_type(int t, const SrcLoc& loc) {
    CoreCtx& c = core(loc);
    c.declared_kernel_type = t;
    c.declared_kernel_type_at = loc;
    if (!c.launch) return;
    Mode m = c.launch->mode;
    bool ok = false;
    switch (t) {
        case KERNEL_TYPE_AIV_ONLY:
        case KERNEL_TYPE_MIX_AIV_1_0: ok = m == Mode::AIV_ONLY; break;
        case KERNEL_TYPE_AIC_ONLY:
        case KERNEL_TYPE_MIX_AIC_1_0: ok = m == Mode::AIC_ONLY; break;
        case KERNEL_TYPE_MIX_AIC_1_1: ok = m == Mode::MIX_1_1; break;
        case KERNEL_TYPE_MIX_AIC_1_2: ok = m == Mode::MIX_1_2; break;
        default: ok = false;
    }
    if (!ok)
        fail(loc, "KERNEL_TASK_TYPE_DEFAULT", "kernel type does not match the launch mode",
             strf("kernel declares %s but was launched as %s", kernel_type_name(t), mode_name(m)));
}

inline uint64_t current_tiling_key() {
    CoreCtx& c = core();
    return c.launch ? c.launch->tiling_key : 0;
}

}  // namespace twin

#define KERNEL_TASK_TYPE_DEFAULT(t) ::twin::declare_kernel_type((t), ::twin::SrcLoc::here())
#define KERNEL_TASK_TYPE(key, t) \
    do {                         \
    } while (0)

// Tiling: a plain struct copied from the tiling pointer.
#define GET_TILING_DATA_WITH_STRUCT(Struct, var, tiling) \
    Struct var;                                          \
    std::memcpy(&(var), (tiling), sizeof(Struct))
#define GET_TILING_DATA_PTR_WITH_STRUCT(Struct, var, tiling) \
    const Struct* var = reinterpret_cast<const Struct*>(tiling)
#ifndef TWIN_TILING_DATA_TYPE
#define TWIN_TILING_DATA_TYPE TilingData
#endif
// GET_TILING_DATA uses the struct named by TWIN_TILING_DATA_TYPE (default `TilingData`).
#define GET_TILING_DATA(var, tiling) GET_TILING_DATA_WITH_STRUCT(TWIN_TILING_DATA_TYPE, var, tiling)
#define TILING_KEY_IS(k) (::twin::current_tiling_key() == static_cast<uint64_t>(k))

namespace AscendC {

// Core kinds as v8.5.0 kernel_macros.h declares them (g_coreType is one of them).
constexpr int32_t MIX = 0;
constexpr int32_t AIC = 1;
constexpr int32_t AIV = 2;

inline int64_t GetBlockIdx() { return twin::core().block_idx; }
inline int64_t GetBlockNum() { return twin::core().block_num; }
inline int64_t GetSubBlockIdx() { return twin::core().sub_block_idx; }
inline int64_t GetTaskRatio() { return twin::core().task_ratio; }
// The twin reserves no system workspace: the user workspace starts at the workspace pointer.
inline __gm__ uint8_t* GetUserWorkspace(__gm__ uint8_t* workspace) { return workspace; }
inline void SetSysWorkspace(__gm__ uint8_t*) {}
inline __gm__ uint8_t* GetSysWorkSpacePtr() { return nullptr; }

}  // namespace AscendC

#define g_coreType (::twin::core().is_aic ? ::AscendC::AIC : ::AscendC::AIV)
