// Work counters of one simulated core, filled by every twin API.
#pragma once

#include <cstdint>
#include <cstring>

#include "types.h"

namespace twin {

// Data paths between memories (bytes moved, counted at the destination's copy API).
// Unscoped enums inside their own namespaces: `twin::Path::GM_UB` indexes arrays directly and the
// two COUNT enumerators do not collide.
namespace path_ns {
enum Path : int { GM_UB, UB_GM, GM_L1, L1_L0A, L1_L0B, L0C_GM, L0C_L1, L1_UB, UB_UB, UB_L1, COUNT };
}
using path_ns::Path;
constexpr int PATH_COUNT = Path::COUNT;

// Vector instruction classes, the unit of the cost model's throughput table.
namespace vec_class_ns {
enum VecClass : int {
    BINARY, UNARY, SCALAR_OPERAND, TRANSCENDENTAL, CAST, REDUCE, COMPARE_SELECT,
    GATHER, DUPLICATE, SORT, MRGSORT, OTHER, COUNT
};
}
using vec_class_ns::VecClass;
constexpr int VEC_CLASS_COUNT = VecClass::COUNT;

inline const char* path_name(int p) {
    static const char* n[] = {"GM_UB", "UB_GM", "GM_L1", "L1_L0A", "L1_L0B", "L0C_GM",
                              "L0C_L1", "L1_UB", "UB_UB", "UB_L1"};
    return (p >= 0 && p < PATH_COUNT) ? n[p] : "?";
}
inline const char* vec_class_name(int c) {
    static const char* n[] = {"BINARY", "UNARY", "SCALAR_OPERAND", "TRANSCENDENTAL", "CAST", "REDUCE",
                              "COMPARE_SELECT", "GATHER", "DUPLICATE", "SORT", "MRGSORT", "OTHER"};
    return (c >= 0 && c < VEC_CLASS_COUNT) ? n[c] : "?";
}

struct Counters {
    uint64_t bytes[PATH_COUNT] = {};
    uint64_t cube_macs[kDTypeCount] = {};  // indexed by the A operand's DType
    uint64_t vec_repeats[VEC_CLASS_COUNT] = {};
    uint64_t vec_elems[VEC_CLASS_COUNT] = {};
    uint64_t scalar_reads = 0;   // GetValue on local and global tensors
    uint64_t scalar_writes = 0;  // SetValue on local and global tensors
    uint64_t flag_waits = 0;     // WaitFlag
    uint64_t flag_sets = 0;      // SetFlag
    uint64_t barriers = 0;       // PipeBarrier
    uint64_t cross_core_waits = 0;
    uint64_t cross_core_sets = 0;
    uint64_t sync_alls = 0;
    uint64_t queue_ops = 0;  // AllocTensor, EnQue, DeQue, FreeTensor
    // Of the GM bytes above (paths GM_UB, GM_L1 / UB_GM, L0C_GM), those read from / written to the kernel's
    // workspace (a GM buffer marked by gm_mark_workspace): on a device this traffic mostly stays in L2.
    uint64_t ws_read_bytes = 0;
    uint64_t ws_write_bytes = 0;

    Counters& operator+=(const Counters& o) {
        for (int i = 0; i < PATH_COUNT; ++i) bytes[i] += o.bytes[i];
        for (int i = 0; i < kDTypeCount; ++i) cube_macs[i] += o.cube_macs[i];
        for (int i = 0; i < VEC_CLASS_COUNT; ++i) {
            vec_repeats[i] += o.vec_repeats[i];
            vec_elems[i] += o.vec_elems[i];
        }
        scalar_reads += o.scalar_reads;
        scalar_writes += o.scalar_writes;
        flag_waits += o.flag_waits;
        flag_sets += o.flag_sets;
        barriers += o.barriers;
        cross_core_waits += o.cross_core_waits;
        cross_core_sets += o.cross_core_sets;
        sync_alls += o.sync_alls;
        queue_ops += o.queue_ops;
        ws_read_bytes += o.ws_read_bytes;
        ws_write_bytes += o.ws_write_bytes;
        return *this;
    }

    // Flat view used by the C ABI: every counter is a uint64_t field in declaration order.
    static constexpr int kFlatLen = PATH_COUNT + kDTypeCount + 2 * VEC_CLASS_COUNT + 11;
    void flatten(uint64_t* out) const {
        int k = 0;
        for (int i = 0; i < PATH_COUNT; ++i) out[k++] = bytes[i];
        for (int i = 0; i < kDTypeCount; ++i) out[k++] = cube_macs[i];
        for (int i = 0; i < VEC_CLASS_COUNT; ++i) out[k++] = vec_repeats[i];
        for (int i = 0; i < VEC_CLASS_COUNT; ++i) out[k++] = vec_elems[i];
        out[k++] = scalar_reads;
        out[k++] = scalar_writes;
        out[k++] = flag_waits;
        out[k++] = flag_sets;
        out[k++] = barriers;
        out[k++] = cross_core_waits;
        out[k++] = cross_core_sets;
        out[k++] = sync_alls;
        out[k++] = queue_ops;
        out[k++] = ws_read_bytes;
        out[k++] = ws_write_bytes;
    }
    // Name of flat field i, e.g. "bytes.GM_UB", "cube_macs.bfloat16", "vec_repeats.BINARY", "queue_ops".
    static const char* flat_name(int i);
};

// Counters of the calling simulated core (defined in base.h).
Counters& counters();

}  // namespace twin
