// Atomic GM writes (SetAtomicAdd/Max/Min) with cores running concurrently.
//
// Integer adds (wrapping) and max/min give the same result in any order: they are applied at once,
// under the launch's atomic lock. Floating-point adds (float, half, bfloat16) round at every step, so
// their order matters: they are logged instead, and applied in a canonical order when GM bytes they
// touch are next accessed through a twin API (any core's read or write of those bytes) or at the end
// of the launch. The order is (sum of the writer's vector clock, core id, the core's own order), which
// respects every cross-core synchronisation and, for cores that do not synchronise, is core order - the
// order the one-at-a-time twin used. A race-free kernel reads accumulated bytes only after every
// contribution it depends on, so what it reads and the final GM do not depend on the host threads.
// (Host code inside a kernel that reads GM through a raw pointer sees logged adds only once a twin API
// touched those bytes; one-core launches apply adds at once.)
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <type_traits>
#include <vector>

#include "base.h"

namespace twin {

struct AtomicContrib {
    uint64_t key = 0;  // sum of the writer's vector clock
    int core = 0;
    uint64_t seq = 0;  // the writer's own count of logged contributions
    DType dt = DType::FP32;
    uintptr_t lo = 0, hi = 0;      // byte range covering every element
    std::vector<uintptr_t> addr;   // element addresses, in the writer's order
    std::vector<float> val;        // element values (exact: half and bfloat16 widen to float exactly)
};

struct AtomicLog {
    std::mutex mu;
    std::atomic<size_t> pending{0};
    std::vector<AtomicContrib> items;
    std::vector<uint64_t> seq;  // per core
    bool deferred = true;       // false in one-core launches: program order is the only order
};

template <class T> constexpr bool is_float_atomic() {
    return std::is_same_v<T, float> || std::is_same_v<T, half> || std::is_same_v<T, bfloat16_t>;
}

template <class T> inline void atomic_add_one(uintptr_t a, float v) {
    T old;
    std::memcpy(&old, reinterpret_cast<const void*>(a), sizeof(T));
    T r = T(float(old) + v);
    std::memcpy(reinterpret_cast<void*>(a), &r, sizeof(T));
}

inline void apply_contrib_elem(DType dt, uintptr_t a, float v) {
    switch (dt) {
        case DType::FP32: atomic_add_one<float>(a, v); break;
        case DType::FP16: atomic_add_one<half>(a, v); break;
        case DType::BF16: atomic_add_one<bfloat16_t>(a, v); break;
        default: break;
    }
}

// Apply, in canonical order, the logged elements inside [a, b) (lock held).
inline void atomic_flush_locked(AtomicLog& log, uintptr_t a, uintptr_t b) {
    std::vector<size_t> hit;
    for (size_t i = 0; i < log.items.size(); ++i)
        if (log.items[i].lo < b && a < log.items[i].hi) hit.push_back(i);
    if (hit.empty()) return;
    std::sort(hit.begin(), hit.end(), [&log](size_t x, size_t y) {
        const AtomicContrib &p = log.items[x], &q = log.items[y];
        if (p.key != q.key) return p.key < q.key;
        if (p.core != q.core) return p.core < q.core;
        return p.seq < q.seq;
    });
    for (size_t i : hit) {
        AtomicContrib& c = log.items[i];
        size_t keep = 0;
        uintptr_t lo = UINTPTR_MAX, hi = 0;
        for (size_t k = 0; k < c.addr.size(); ++k) {
            uintptr_t e = c.addr[k];
            if (e >= a && e < b) {
                apply_contrib_elem(c.dt, e, c.val[k]);
            } else {
                c.addr[keep] = e;
                c.val[keep] = c.val[k];
                ++keep;
                lo = std::min(lo, e);
                hi = std::max(hi, e + (c.dt == DType::FP32 ? 4 : 2));
            }
        }
        c.addr.resize(keep);
        c.val.resize(keep);
        c.lo = lo;
        c.hi = hi;
    }
    log.items.erase(std::remove_if(log.items.begin(), log.items.end(),
                                   [](const AtomicContrib& c) { return c.addr.empty(); }),
                    log.items.end());
    log.pending.store(log.items.size());
}

inline void atomic_flush(AtomicLog& log, uintptr_t a, uint64_t bytes) {
    if (log.pending.load() == 0) return;
    std::lock_guard<std::mutex> g(log.mu);
    atomic_flush_locked(log, a, a + bytes);
}

inline void atomic_flush_all(AtomicLog& log) {
    std::lock_guard<std::mutex> g(log.mu);
    atomic_flush_locked(log, 0, UINTPTR_MAX);
}

// Element k of the write goes to dst[off(k)] with value v(k), combined under the core's atomic mode.
template <class T, class Off, class Val>
inline void atomic_write(CoreCtx& c, T* dst, uint64_t n, Off off, Val v) {
    AtomicLog* log = c.atomics;
    if constexpr (is_float_atomic<T>()) {
        if (c.atomic == AtomicOp::ADD && log && log->deferred) {
            AtomicContrib ct;
            ct.core = c.core_id;
            for (uint32_t x : *c.clock) ct.key += x;
            ct.dt = dtype_of<T>();
            ct.addr.resize(n);
            ct.val.resize(n);
            uintptr_t lo = UINTPTR_MAX, hi = 0;
            for (uint64_t k = 0; k < n; ++k) {
                uintptr_t e = reinterpret_cast<uintptr_t>(dst + off(k));
                ct.addr[k] = e;
                ct.val[k] = float(v(k));
                lo = std::min(lo, e);
                hi = std::max(hi, e + sizeof(T));
            }
            ct.lo = lo;
            ct.hi = hi;
            std::lock_guard<std::mutex> g(log->mu);
            if (log->seq.size() <= size_t(c.core_id)) log->seq.resize(c.core_id + 1, 0);
            ct.seq = log->seq[c.core_id]++;
            log->items.push_back(std::move(ct));
            log->pending.store(log->items.size());
            return;
        }
    }
    std::unique_lock<std::mutex> g;
    if (log) g = std::unique_lock<std::mutex>(log->mu);
    for (uint64_t k = 0; k < n; ++k) {
        T* p = dst + off(k);
        T old, nv = v(k), r;
        std::memcpy(&old, p, sizeof(T));
        if constexpr (is_float_atomic<T>()) {
            float a = float(old), b = float(nv);
            r = T(c.atomic == AtomicOp::ADD ? a + b : c.atomic == AtomicOp::MAX ? std::max(a, b) : std::min(a, b));
        } else {
            using U = std::make_unsigned_t<T>;
            r = c.atomic == AtomicOp::ADD ? T(U(old) + U(nv)) : c.atomic == AtomicOp::MAX ? std::max(old, nv) : std::min(old, nv);
        }
        std::memcpy(p, &r, sizeof(T));
    }
}

}  // namespace twin
