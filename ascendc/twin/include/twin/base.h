// Twin core: source locations, the error path, CANN enums, and the simulated core context.
#pragma once

#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "counters.h"
#include "soc.h"
#include "types.h"

namespace twin {

// ---------------------------------------------------------------------------------------------
// Source location of the kernel's call, captured by a defaulted trailing parameter:
//   void Api(..., twin::SrcLoc loc = twin::SrcLoc::here());
// g++ evaluates __builtin_FILE/__builtin_LINE in a default argument at the caller's site.
struct SrcLoc {
    const char* file;
    unsigned line;
    static constexpr SrcLoc here(const char* f = __builtin_FILE(), unsigned l = __builtin_LINE()) {
        return SrcLoc{f, l};
    }
};

// A kernel broke a rule. what() = "<file>:<line>: <api>: <rule>: <detail>".
class KernelError : public std::runtime_error {
public:
    KernelError(const SrcLoc& loc, std::string api, std::string rule, std::string detail)
        : std::runtime_error(compose(loc, api, rule, detail)),
          file(loc.file ? loc.file : "?"), line(loc.line), api(std::move(api)), rule(std::move(rule)),
          detail(std::move(detail)) {}
    std::string file;
    unsigned line;
    std::string api, rule, detail;

private:
    static std::string compose(const SrcLoc& loc, const std::string& api, const std::string& rule,
                               const std::string& detail) {
        return std::string(loc.file ? loc.file : "?") + ":" + std::to_string(loc.line) + ": " + api + ": " +
               rule + ": " + detail;
    }
};

// Thrown into the other cores' threads when one core failed or the launch deadlocked; never user-visible.
struct Aborted {};

[[noreturn]] inline void fail(const SrcLoc& loc, const char* api, const std::string& rule, const std::string& detail) {
    throw KernelError(loc, api, rule, detail);
}

// printf-style formatting for error details.
inline std::string strf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline std::string strf(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

// ---------------------------------------------------------------------------------------------
// Local memories of a core. A1/B1/C1/TSCM -> L1, A2 -> L0A, B2 -> L0B, CO1 -> L0C, C2 -> BT (bias table),
// C2PIPE2GM -> FB (fixpipe buffer), VECIN/VECOUT/VECCALC -> UB.
enum class Mem : int { UB, L1, L0A, L0B, L0C, BT, FB, COUNT, GM, NONE };
constexpr int kMemCount = static_cast<int>(Mem::COUNT);

inline const char* mem_name(Mem m) {
    switch (m) {
        case Mem::UB: return "UB";
        case Mem::L1: return "L1";
        case Mem::L0A: return "L0A";
        case Mem::L0B: return "L0B";
        case Mem::L0C: return "L0C";
        case Mem::BT: return "BT";
        case Mem::FB: return "FB";
        case Mem::GM: return "GM";
        default: return "none";
    }
}

}  // namespace twin

// ---------------------------------------------------------------------------------------------
// CANN enums. pipe_t and event_t are global names on the device compiler; the rest live in AscendC.
enum pipe_t : int {
    PIPE_S = 0, PIPE_V, PIPE_M, PIPE_MTE1, PIPE_MTE2, PIPE_MTE3, PIPE_ALL, PIPE_MTE4, PIPE_MTE5, PIPE_V2,
    PIPE_FIX, PIPE_UNASSIGNED
};
enum event_t : int { EVENT_ID0 = 0, EVENT_ID1, EVENT_ID2, EVENT_ID3, EVENT_ID4, EVENT_ID5, EVENT_ID6, EVENT_ID7 };

namespace AscendC {

using ::pipe_t;
using ::event_t;

enum class TPosition : uint8_t {
    GM, A1, A2, B1, B2, C1, C2, CO1, CO2, VECIN, VECOUT, VECCALC,
    LCM = VECCALC, SPM, SHM = SPM, TSCM, C2PIPE2GM, C2PIPE2LOCAL, MAX
};
using QuePosition = TPosition;

enum class HardEvent : uint8_t {
    MTE2_MTE1, MTE1_MTE2, MTE1_M, M_MTE1, MTE2_V, V_MTE2, MTE3_V, V_MTE3, M_V, V_M, V_V,
    MTE3_MTE1, MTE1_MTE3, MTE1_V, MTE2_M, M_MTE2, V_MTE1, M_FIX, FIX_M, MTE3_MTE2, MTE2_MTE3,
    S_V, V_S, S_MTE2, MTE2_S, S_MTE3, MTE3_S, MTE2_FIX, FIX_MTE2, FIX_S, M_S, FIX_MTE3,
    MTE1_FIX, FIX_MTE1, FIX_FIX, MAX
};

enum class RoundMode : int { CAST_NONE = 0, CAST_RINT, CAST_FLOOR, CAST_CEIL, CAST_ROUND, CAST_TRUNC, CAST_ODD };

}  // namespace AscendC

namespace twin {

using AscendC::TPosition;
using AscendC::HardEvent;
constexpr int kTPositionCount = static_cast<int>(TPosition::MAX);
constexpr int kHardEventCount = static_cast<int>(HardEvent::MAX);

inline const char* position_name(TPosition p) {
    static const char* n[] = {"GM", "A1", "A2", "B1", "B2", "C1", "C2", "CO1", "CO2", "VECIN", "VECOUT",
                              "VECCALC", "SPM", "TSCM", "C2PIPE2GM", "C2PIPE2LOCAL", "MAX"};
    int i = static_cast<int>(p);
    return (i >= 0 && i <= kTPositionCount) ? n[i] : "?";
}

inline const char* hard_event_name(HardEvent e) {
    static const char* n[] = {"MTE2_MTE1", "MTE1_MTE2", "MTE1_M", "M_MTE1", "MTE2_V", "V_MTE2", "MTE3_V",
                              "V_MTE3", "M_V", "V_M", "V_V", "MTE3_MTE1", "MTE1_MTE3", "MTE1_V", "MTE2_M",
                              "M_MTE2", "V_MTE1", "M_FIX", "FIX_M", "MTE3_MTE2", "MTE2_MTE3", "S_V", "V_S",
                              "S_MTE2", "MTE2_S", "S_MTE3", "MTE3_S", "MTE2_FIX", "FIX_MTE2", "FIX_S", "M_S",
                              "FIX_MTE3", "MTE1_FIX", "FIX_MTE1", "FIX_FIX"};
    int i = static_cast<int>(e);
    return (i >= 0 && i < kHardEventCount) ? n[i] : "?";
}


// Position -> memory map (ASCENDC.md).
constexpr Mem pos_mem(TPosition p) {
    switch (p) {
        case TPosition::A1:
        case TPosition::B1:
        case TPosition::C1:
        case TPosition::TSCM: return Mem::L1;
        case TPosition::A2: return Mem::L0A;
        case TPosition::B2: return Mem::L0B;
        case TPosition::CO1: return Mem::L0C;
        case TPosition::C2: return Mem::BT;
        case TPosition::C2PIPE2GM: return Mem::FB;
        case TPosition::VECIN:
        case TPosition::VECOUT:
        case TPosition::VECCALC: return Mem::UB;
        case TPosition::GM: return Mem::GM;
        default: return Mem::NONE;
    }
}

// Atomic mode set by SetAtomicAdd/Max/Min, honoured by UB->GM and L0C->GM copies.
enum class AtomicOp : int { NONE, ADD, MAX, MIN };

// One contiguous run of GM bytes written by one core under one vector-clock state (race check).
struct GmWriteRecord {
    uintptr_t begin, end;
    int core;
    std::shared_ptr<const std::vector<uint32_t>> clock;  // writer's vector clock at the write
    SrcLoc loc;                                          // first write of the run
};

struct LaunchState;  // launch.h
namespace hz {
struct State;  // hazard.h: the core's pipe clocks and local-memory shadow
}
struct AtomicLog;  // atomics.h: the launch's float atomic adds

// Life of one queue buffer (use-after-free check): FreeTensor bumps `epoch`; a LocalTensor handed out
// by AllocTensor/DeQue remembers the epoch it was made in and is stale once the two differ.
struct BufLife {
    uint32_t epoch = 0;
    SrcLoc freed_at{nullptr, 0};
};

// The simulated core the calling thread runs.
struct CoreCtx {
    CoreCtx(const SocProfile& s, bool aic) : soc(s), is_aic(aic), serial(next_serial()) {}
    const SocProfile& soc;
    bool is_aic;
    uint64_t serial;  // unique over the process (host threads are reused across launches)
    static uint64_t next_serial() {
        static std::atomic<uint64_t> n{0};
        return ++n;
    }
    int core_id = 0;        // index of this core in the launch (0..ncores-1)
    int block_idx = 0;      // GetBlockIdx()
    int block_num = 1;      // GetBlockNum()
    int sub_block_idx = 0;  // GetSubBlockIdx()
    int task_ratio = 1;     // GetTaskRatio()
    int group = 0;          // AI core group (an AIC with its AIVs) in MIX launches
    Counters counters;

    // Local memories. Allocated untouched; bytes get the launch's fill value when a TPipe first hands
    // them out (ensure_filled), so a kernel never sees anything else and unused capacity costs nothing.
    struct LocalMem {
        std::unique_ptr<uint8_t[]> data;
        uint32_t size = 0;
        uint32_t filled = 0;  // [0, filled) holds defined bytes
    };
    LocalMem memory[kMemCount];
    uint8_t mem_fill = 0xFF;
    void mem_alloc(Mem m, uint32_t bytes) {
        LocalMem& l = memory[static_cast<int>(m)];
        l.data.reset(new uint8_t[bytes ? bytes : 1]);
        l.size = bytes;
        l.filled = 0;
    }
    void ensure_filled(Mem m, uint32_t upto) {
        int i = static_cast<int>(m);
        if (i < 0 || i >= kMemCount || !memory[i].data) return;
        LocalMem& l = memory[i];
        if (upto > l.size) upto = l.size;
        if (upto > l.filled) {
            std::memset(l.data.get() + l.filled, mem_fill, upto - l.filled);
            l.filled = upto;
        }
    }
    uint8_t* mem(Mem m) {
        int i = static_cast<int>(m);
        if (i < 0 || i >= kMemCount || !memory[i].data) return nullptr;
        return memory[i].data.get();
    }
    uint32_t mem_size(Mem m) const {
        int i = static_cast<int>(m);
        if (i < 0 || i >= kMemCount) return 0;
        return memory[i].size;
    }

    // Vector unit state (SetVectorMask / SetMaskCount / SetMaskNorm).
    uint64_t vector_mask[2] = {~0ull, ~0ull};
    bool mask_count_mode = false;
    // Fixpipe pre-quant scalar (SetFixpipePreQuantFlag).
    uint64_t fixpipe_prequant = 0;
    // Pad value set by SetPadValue (DataCopyPad with isPad = false), raw bytes of the value.
    uint64_t pad_value_bits = 0;
    bool pad_value_set = false;
    // Atomic mode for writes to GM.
    AtomicOp atomic = AtomicOp::NONE;
    DType atomic_dtype = DType::FP32;

    // SetFlag/WaitFlag state: where each (event, id) was set, line 0 = not set.
    SrcLoc event_set_at[kHardEventCount][8] = {};
    // Live (allocated, not freed) queue tensors per TPosition.
    int live_per_pos[kTPositionCount + 1] = {};
    // Kernel type declared by KERNEL_TASK_TYPE_DEFAULT (-1 = none).
    int declared_kernel_type = -1;
    SrcLoc declared_kernel_type_at{nullptr, 0};

    // Race check: vector clock (index = core_id) and write runs.
    std::shared_ptr<std::vector<uint32_t>> clock;
    std::vector<GmWriteRecord> gm_writes;
    LaunchState* launch = nullptr;
    void* tpipe = nullptr;  // the core's current TPipe (GetTPipePtr)
    std::shared_ptr<hz::State> hz;  // intra-core pipe hazard state (null: not checked)
    AtomicLog* atomics = nullptr;   // the launch's atomic log (atomics.h)
    // Event ids handed out by TPipe::AllocEventID, per HardEvent (bit i = id i in use).
    uint8_t event_ids_allocated[kHardEventCount] = {};
    // Queue buffer lives keyed by (memory << 32 | offset); nodes are stable, tensors point at them.
    std::map<uint64_t, BufLife> buf_life;
    // Fixpipe ND_PARA (SetFixpipeNz2ndFlag: ndNum | srcNdStride << 16 | dstNdStride << 32) for DataCopy CO1 -> GM.
    uint64_t fixpipe_nd_para = 1;
    // MAX_MIN_CNT register: value bits (low 32) and index (high 32) of the last WholeReduceMax/Min, ReduceMax/Min.
    uint64_t max_min_cnt = 0;
    // SetMMLayoutTransform (recorded only: the cube's walk order does not change Mmad's results).
    bool mm_layout_n_first = false;
};

inline CoreCtx*& current_core_ptr() {
    static thread_local CoreCtx* p = nullptr;
    return p;
}

// The calling thread's simulated core; an error outside a kernel launch.
inline CoreCtx& core(SrcLoc loc = SrcLoc::here()) {
    CoreCtx* c = current_core_ptr();
    if (!c) fail(loc, "twin::core", "no simulated core", "a kernel API was called outside a kernel launch");
    return *c;
}

inline Counters& counters() { return core().counters; }

inline const char* Counters::flat_name(int i) {
    static std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (int p = 0; p < PATH_COUNT; ++p) v.push_back(std::string("bytes.") + path_name(p));
        for (int d = 0; d < kDTypeCount; ++d) v.push_back(std::string("cube_macs.") + dtype_name(DType(d)));
        for (int c = 0; c < VEC_CLASS_COUNT; ++c) v.push_back(std::string("vec_repeats.") + vec_class_name(c));
        for (int c = 0; c < VEC_CLASS_COUNT; ++c) v.push_back(std::string("vec_elems.") + vec_class_name(c));
        for (const char* n : {"scalar_reads", "scalar_writes", "flag_waits", "flag_sets", "barriers",
                              "cross_core_waits", "cross_core_sets", "sync_alls", "queue_ops",
                              "ws_read_bytes", "ws_write_bytes"})
            v.push_back(n);
        return v;
    }();
    return (i >= 0 && i < static_cast<int>(names.size())) ? names[i].c_str() : nullptr;
}

// Common checks used by copy and compute APIs.
inline void check_align(const SrcLoc& loc, const char* api, const char* what, Mem m, uint32_t offset,
                        uint32_t align) {
    if (offset % align != 0)
        fail(loc, api, strf("%s address must be %u-byte aligned", mem_name(m), align),
             strf("%s is at %s offset %u (offset %% %u = %u)", what, mem_name(m), offset, align, offset % align));
}

}  // namespace twin

#include "hazard.h"
