// C ABI over the last launch's report, for Python (ctypes) or any C caller.
//
// Include this header in exactly one translation unit of a shared library with
// TWIN_CAPI_IMPLEMENTATION defined; that unit exports the functions below. The library also exports
// its own `extern "C"` entry that runs a kernel (e.g. with twin::launch or ICPU_RUN_KF); after it
// returns, these functions read the report of the most recent launch in the process.
//
//   int         twin_last_ok(void);                   1 if the last launch succeeded, 0 if not, -1 if none ran
//   const char* twin_last_error(void);                error text ("" when ok); valid until the next launch
//   int         twin_last_deadlock(void);             1 if the last launch ended in a deadlock
//   int         twin_core_count(void);                simulated cores of the last launch
//   int         twin_core_info(int core, int* is_aic, int* block_idx, int* sub_block_idx);  0 ok, -1 bad index
//   int         twin_counter_count(void);             number of uint64 counters per core (Counters::kFlatLen)
//   const char* twin_counter_name(int i);             "bytes.GM_UB", "cube_macs.bfloat16", ..., NULL if out of range
//   int         twin_core_counters(int core, uint64_t* out, int len);  copies min(len, count) values; -1 bad index
//   int         twin_total_counters(uint64_t* out, int len);           sum over all cores
//   int         twin_soc_count(void);  const char* twin_soc_name(int i);
//   int         twin_soc_info(const char* name, int* aic, int* aiv, int* mhz);  0 ok, -1 unknown
#pragma once

#include <cstdint>

#include "launch.h"

extern "C" {
int twin_last_ok(void);
const char* twin_last_error(void);
int twin_last_deadlock(void);
int twin_core_count(void);
int twin_core_info(int core, int* is_aic, int* block_idx, int* sub_block_idx);
int twin_counter_count(void);
const char* twin_counter_name(int i);
int twin_core_counters(int core, uint64_t* out, int len);
int twin_total_counters(uint64_t* out, int len);
int twin_soc_count(void);
const char* twin_soc_name(int i);
int twin_soc_info(const char* name, int* aic, int* aiv, int* mhz);
}

#ifdef TWIN_CAPI_IMPLEMENTATION
#define TWIN_CAPI_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace twin::capi_detail {
inline LaunchReport& snapshot() {
    static LaunchReport r;
    r = last_report();
    return r;
}
inline int copy_counters(const Counters& c, uint64_t* out, int len) {
    uint64_t flat[Counters::kFlatLen];
    c.flatten(flat);
    int n = len < Counters::kFlatLen ? len : Counters::kFlatLen;
    for (int i = 0; i < n; ++i) out[i] = flat[i];
    return n;
}
}  // namespace twin::capi_detail

TWIN_CAPI_EXPORT int twin_last_ok(void) {
    auto r = twin::last_report();
    if (r.soc.empty()) return -1;
    return r.ok ? 1 : 0;
}
TWIN_CAPI_EXPORT const char* twin_last_error(void) { return twin::capi_detail::snapshot().error.c_str(); }
TWIN_CAPI_EXPORT int twin_last_deadlock(void) { return twin::last_report().deadlock ? 1 : 0; }
TWIN_CAPI_EXPORT int twin_core_count(void) { return int(twin::last_report().cores.size()); }
TWIN_CAPI_EXPORT int twin_core_info(int core, int* is_aic, int* block_idx, int* sub_block_idx) {
    auto r = twin::last_report();
    if (core < 0 || core >= int(r.cores.size())) return -1;
    if (is_aic) *is_aic = r.cores[core].is_aic ? 1 : 0;
    if (block_idx) *block_idx = r.cores[core].block_idx;
    if (sub_block_idx) *sub_block_idx = r.cores[core].sub_block_idx;
    return 0;
}
TWIN_CAPI_EXPORT int twin_counter_count(void) { return twin::Counters::kFlatLen; }
TWIN_CAPI_EXPORT const char* twin_counter_name(int i) { return twin::Counters::flat_name(i); }
TWIN_CAPI_EXPORT int twin_core_counters(int core, uint64_t* out, int len) {
    auto r = twin::last_report();
    if (core < 0 || core >= int(r.cores.size()) || !out) return -1;
    return twin::capi_detail::copy_counters(r.cores[core].counters, out, len);
}
TWIN_CAPI_EXPORT int twin_total_counters(uint64_t* out, int len) {
    if (!out) return -1;
    return twin::capi_detail::copy_counters(twin::last_report().total, out, len);
}
TWIN_CAPI_EXPORT int twin_soc_count(void) { return twin::kSocCount; }
TWIN_CAPI_EXPORT const char* twin_soc_name(int i) {
    return (i >= 0 && i < twin::kSocCount) ? twin::kSocProfiles[i].name : nullptr;
}
TWIN_CAPI_EXPORT int twin_soc_info(const char* name, int* aic, int* aiv, int* mhz) {
    const twin::SocProfile* p = twin::find_soc(name);
    if (!p) return -1;
    if (aic) *aic = p->aic;
    if (aiv) *aiv = p->aiv;
    if (mhz) *mhz = p->mhz;
    return 0;
}
#endif
