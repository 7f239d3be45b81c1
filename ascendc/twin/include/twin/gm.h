// Global memory: the registry of GM buffers (GmAlloc or registered host memory) and write recording
// for the cross-core race check.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "atomics.h"
#include "base.h"

namespace twin {

struct GmRegion {
    uintptr_t begin, end;
    bool owned;  // allocated by GmAlloc
    bool workspace = false;  // the kernel's workspace (gm_mark_workspace): its traffic is counted apart
};

struct GmRegistry {
    std::shared_mutex mu;  // lookups (every GM access of every core thread) share it
    std::map<uintptr_t, GmRegion> regions;  // keyed by begin
};

inline GmRegistry& gm_registry() {
    static GmRegistry r;
    return r;
}

// Make [ptr, ptr+bytes) valid GM for kernels (GmAlloc does this itself).
inline void gm_register(const void* ptr, uint64_t bytes, bool owned = false) {
    auto& r = gm_registry();
    std::unique_lock<std::shared_mutex> g(r.mu);
    uintptr_t b = reinterpret_cast<uintptr_t>(ptr);
    r.regions[b] = GmRegion{b, b + bytes, owned};
}

inline bool gm_unregister(const void* ptr) {
    auto& r = gm_registry();
    std::unique_lock<std::shared_mutex> g(r.mu);
    return r.regions.erase(reinterpret_cast<uintptr_t>(ptr)) > 0;
}

// The region holding address a, or {0,0} when none does.
inline GmRegion gm_find(uintptr_t a) {
    auto& r = gm_registry();
    std::shared_lock<std::shared_mutex> g(r.mu);
    auto it = r.regions.upper_bound(a);
    if (it == r.regions.begin()) return GmRegion{0, 0, false};
    --it;
    if (a >= it->second.begin && a < it->second.end) return it->second;
    return GmRegion{0, 0, false};
}

// Mark the registered buffer starting at ptr as the kernel's workspace (the launcher does it): copies to and
// from it also count as ws_read_bytes / ws_write_bytes.
inline void gm_mark_workspace(const void* ptr) {
    auto& r = gm_registry();
    std::unique_lock<std::shared_mutex> g(r.mu);
    auto it = r.regions.find(reinterpret_cast<uintptr_t>(ptr));
    if (it != r.regions.end()) it->second.workspace = true;
}

// Count a copy's GM bytes: on its path, and as workspace traffic when the GM side is the workspace.
inline void count_gm(int path, const void* gm, uint64_t bytes, bool write) {
    Counters& c = counters();
    c.bytes[path] += bytes;
    if (bytes != 0 && gm_find(reinterpret_cast<uintptr_t>(gm)).workspace) (write ? c.ws_write_bytes : c.ws_read_bytes) += bytes;
}

// Check that [addr, addr+bytes) lies inside one registered GM buffer.
inline void gm_check(const SrcLoc& loc, const char* api, uintptr_t addr, uint64_t bytes) {
    if (bytes == 0) return;
    GmRegion r = gm_find(addr);
    if (r.end == 0)
        fail(loc, api, "GM access outside any GmAlloc'd buffer",
             strf("address %p (%llu bytes) is not inside memory from GmAlloc or twin::gm_register",
                  reinterpret_cast<void*>(addr), (unsigned long long)bytes));
    if (addr + bytes > r.end)
        fail(loc, api, "GM access outside any GmAlloc'd buffer",
             strf("bytes [%llu, %llu) of the GmAlloc'd buffer at %p are accessed but it holds %llu bytes",
                  (unsigned long long)(addr - r.begin), (unsigned long long)(addr + bytes - r.begin),
                  reinterpret_cast<void*>(r.begin), (unsigned long long)(r.end - r.begin)));
}

// Record a non-atomic GM write by the calling core (cross-core overlap check at kernel end).
inline void gm_record_write(const SrcLoc& loc, uintptr_t addr, uint64_t bytes) {
    CoreCtx* c = current_core_ptr();
    if (!c || bytes == 0 || c->atomic != AtomicOp::NONE || !c->clock) return;
    auto& w = c->gm_writes;
    if (!w.empty() && w.back().clock.get() == c->clock.get() && w.back().end == addr) {
        w.back().end = addr + bytes;
        return;
    }
    w.push_back(GmWriteRecord{addr, addr + bytes, c->core_id, c->clock, loc});
}

// Every GM access of a twin API: the range check, then (reads and non-atomic writes) the logged float
// atomic adds to these bytes are applied (atomics.h), then a non-atomic write is recorded for the race
// check. An atomic write applies nothing: atomic adds of different cores are not ordered by each other.
inline void gm_access(const SrcLoc& loc, const char* api, uintptr_t addr, uint64_t bytes, bool write) {
    gm_check(loc, api, addr, bytes);
    CoreCtx* c = current_core_ptr();
    if (c && c->atomics && !(write && c->atomic != AtomicOp::NONE)) atomic_flush(*c->atomics, addr, bytes);
    if (write) gm_record_write(loc, addr, bytes);
}

}  // namespace twin
