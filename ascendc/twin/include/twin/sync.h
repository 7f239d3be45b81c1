// Synchronisation: SetFlag/WaitFlag, PipeBarrier, CrossCoreSetFlag/WaitFlag, SyncAll.
#pragma once

#include <algorithm>
#include <mutex>
#include <string>

#include "base.h"
#include "sched.h"
#include "tensor.h"

namespace AscendC {

// ---- within one core: events between pipes ----------------------------------------------------
// The twin executes a core's instructions in program order, so an event only has to be matched:
// a SetFlag must precede its WaitFlag, ids are 0-7, and no event may be set twice or left set.
template <HardEvent E> inline void SetFlag(int32_t eventID, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::CoreCtx& c = twin::core(loc);
    if (eventID < 0 || eventID > 7)
        twin::fail(loc, "SetFlag", "event id must be in [0, 7]",
                   twin::strf("SetFlag<HardEvent::%s>(%d)", twin::hard_event_name(E), eventID));
    twin::SrcLoc& at = c.event_set_at[int(E)][eventID];
    if (at.line != 0)
        twin::fail(loc, "SetFlag", "event set twice without a WaitFlag in between",
                   twin::strf("HardEvent::%s id %d was already set at %s:%u", twin::hard_event_name(E), eventID, at.file,
                              at.line));
    at = loc;
    c.counters.flag_sets++;
    twin::hz::set_flag(E, eventID);
}

template <HardEvent E> inline void WaitFlag(int32_t eventID, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::CoreCtx& c = twin::core(loc);
    if (eventID < 0 || eventID > 7)
        twin::fail(loc, "WaitFlag", "event id must be in [0, 7]",
                   twin::strf("WaitFlag<HardEvent::%s>(%d)", twin::hard_event_name(E), eventID));
    twin::SrcLoc& at = c.event_set_at[int(E)][eventID];
    if (at.line == 0)
        twin::fail(loc, "WaitFlag", "WaitFlag without a matching SetFlag before it (hangs on hardware)",
                   twin::strf("HardEvent::%s id %d is not set", twin::hard_event_name(E), eventID));
    at = twin::SrcLoc{nullptr, 0};
    c.counters.flag_waits++;
    twin::hz::wait_flag(E, eventID);
}

template <pipe_t P> inline void PipeBarrier(twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::core(loc).counters.barriers++;
    if (P == PIPE_ALL) twin::hz::barrier_all();  // one pipe's barrier orders nothing new: a pipe is in order
}

}  // namespace AscendC

// Legacy intrinsic spelling.
inline void pipe_barrier(pipe_t p, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::core(loc).counters.barriers++;
    if (p == PIPE_ALL) twin::hz::barrier_all();
}

namespace twin {

inline const char* pipe_name(pipe_t p) {
    switch (p) {
        case PIPE_S: return "PIPE_S";
        case PIPE_V: return "PIPE_V";
        case PIPE_M: return "PIPE_M";
        case PIPE_MTE1: return "PIPE_MTE1";
        case PIPE_MTE2: return "PIPE_MTE2";
        case PIPE_MTE3: return "PIPE_MTE3";
        case PIPE_ALL: return "PIPE_ALL";
        case PIPE_FIX: return "PIPE_FIX";
        default: return "PIPE_?";
    }
}

inline void deliver_flag(LaunchState& L, int target, int flag, const Clock& clk, const SrcLoc& loc, const char* api) {
    CrossFlag& f = L.flags[target][flag];
    // Unconsumed sets as this set sees them: the waits that happen before it (by vector clock) have
    // consumed; later ones may not have on hardware. Independent of the host threads' timing.
    uint32_t known = clk.size() > size_t(target) ? clk[target] : 0;
    uint64_t consumed = std::upper_bound(f.wait_epochs.begin(), f.wait_epochs.end(), known) - f.wait_epochs.begin();
    if (f.delivered - consumed >= 15)
        fail(loc, api, "cross-core flag counter overflow (max 15)",
             strf("flag %d of %s already holds 15 unconsumed sets", flag, L.core_name(target).c_str()));
    f.delivered++;
    f.counter++;
    f.units.push_back(clk);
    f.last_set = loc;
}

// One set by core c in `mode` on `flag`; delivers every round completed by all required setters.
inline void cross_core_set(CoreCtx& c, int mode, pipe_t pipe, uint16_t flagId, const SrcLoc& loc) {
    const char* api = "CrossCoreSetFlag";
    if (!c.launch) fail(loc, api, "no launch", "called outside a kernel launch");
    LaunchState& L = *c.launch;
    if (flagId > 15) fail(loc, api, "flag id must be in [0, 15]", strf("flagId = %u", flagId));
    if (pipe == PIPE_S || pipe == PIPE_ALL)
        fail(loc, api, "pipe must be one of PIPE_V, PIPE_M, PIPE_MTE1, PIPE_MTE2, PIPE_MTE3, PIPE_FIX",
             strf("pipe = %s", pipe_name(pipe)));
    if (mode != 0 && mode != 1 && mode != 2)
        fail(loc, api, "modeId must be 0, 1 or 2 on this SoC", strf("modeId = %d", mode));
    bool mix = L.mode == Mode::MIX_1_2 || L.mode == Mode::MIX_1_1;
    if ((mode == 1 || mode == 2) && !mix)
        fail(loc, api, "modes 1 and 2 need a MIX kernel",
             strf("modeId = %d in a %s launch (the hardware starts no scheduler for it)", mode, mode_name(L.mode)));
    if (mode == 1 && c.is_aic) fail(loc, api, "mode 1 synchronises the AIVs of one AI core", "called on an AIC");

    std::lock_guard<std::mutex> g(L.mu);
    c.counters.cross_core_sets++;
    const Clock snapshot = *c.clock;
    clock_tick(c);
    hz::cross_set(pipe, snapshot[c.core_id]);  // intra-core order for round trips (hazard.h)
    int fid = flagId;
    if (mode == 2 && c.is_aic) {
        for (int t : L.group_aivs[c.group]) deliver_flag(L, t, fid, snapshot, loc, api);
        L.schedule();
        return;
    }
    // Round-based modes: all setters of the scope must set before the receivers' counters move.
    std::vector<int> setters, receivers;
    int scope;
    if (mode == 0) {
        scope = c.is_aic ? -1 : -2;
        for (int j = 0; j < L.n; ++j)
            if (L.cores[j]->is_aic == c.is_aic) setters.push_back(j);
        receivers = setters;
    } else {
        scope = c.group;
        setters = L.group_aivs[c.group];
        if (mode == 1) receivers = setters;
        else receivers = {L.group_aic[c.group]};
    }
    uint32_t& mine = L.sets[{mode, scope, fid, c.core_id}];
    mine++;
    // Round k's clock joins every setter's k-th set, whatever order the sets arrive in.
    std::vector<Clock>& rounds = L.round_clock[{mode, scope, fid}];
    if (rounds.size() < mine) rounds.resize(mine);
    clock_join_into(rounds[mine - 1], snapshot);
    uint32_t done = UINT32_MAX;
    for (int s : setters) done = std::min(done, L.sets[{mode, scope, fid, s}]);
    uint32_t& delivered = L.delivered[{mode, scope, fid}];
    while (delivered < done) {
        for (int r : receivers) deliver_flag(L, r, fid, rounds[delivered], loc, api);
        delivered++;
    }
    L.schedule();
}

inline void cross_core_wait(CoreCtx& c, uint16_t flagId, const SrcLoc& loc, pipe_t pipe = PIPE_S) {
    const char* api = "CrossCoreWaitFlag";
    if (!c.launch) fail(loc, api, "no launch", "called outside a kernel launch");
    if (flagId > 15) fail(loc, api, "flag id must be in [0, 15]", strf("flagId = %u", flagId));
    LaunchState& L = *c.launch;
    std::unique_lock<std::mutex> lk(L.mu);
    c.counters.cross_core_waits++;
    CrossFlag& f = L.flags[c.core_id][flagId];
    block_until(c, lk, [&f] { return f.counter > 0; }, strf("CrossCoreWaitFlag(flag %u)", flagId), loc);
    f.counter--;
    Clock unit = std::move(f.units.front());
    f.units.pop_front();
    hz::cross_wait(pipe, unit.size() > size_t(c.core_id) ? unit[c.core_id] : 0);
    clock_receive(c, unit);
    f.wait_epochs.push_back((*c.clock)[c.core_id]);
}

// Barrier over the cores selected by `member`; `key` names the participant set.
inline void barrier(CoreCtx& c, const std::string& key, const std::function<bool(const CoreCtx&)>& member,
                    const char* api, const SrcLoc& loc) {
    LaunchState& L = *c.launch;
    std::unique_lock<std::mutex> lk(L.mu);
    int total = 0;
    for (auto& p : L.cores) total += member(*p) ? 1 : 0;
    LaunchState::Barrier& b = L.barriers[key];
    uint64_t my_gen = b.gen;
    clock_join_into(b.acc, *c.clock);
    if (++b.arrived == total) {
        b.arrived = 0;
        b.done = b.acc;
        b.acc.clear();
        b.gen++;
        L.schedule();
    } else {
        block_until(c, lk, [&b, my_gen] { return b.gen != my_gen; }, strf("%s (%d cores)", api, total), loc);
    }
    clock_receive(c, b.done);
}

}  // namespace twin

namespace AscendC {

template <uint8_t modeId, pipe_t pipe>
inline void CrossCoreSetFlag(uint16_t flagId, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::cross_core_set(twin::core(loc), modeId, pipe, flagId, loc);
}

// The wait only consumes the calling core's counter; mode and pipe do not change what it waits for.
template <uint8_t modeId = 0, pipe_t pipe = PIPE_S>
inline void CrossCoreWaitFlag(uint16_t flagId, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::cross_core_wait(twin::core(loc), flagId, loc, pipe);
}

struct SyncAllConfig {
    pipe_t triggerPipe;
    pipe_t waitPipe;
};
inline constexpr SyncAllConfig DEFAULT_SYNC_ALL_CONFIG = {PIPE_ALL, PIPE_ALL};

// Hardware SyncAll: isAIVOnly = true synchronises every AIV of the launch; false every AIC and AIV.
template <bool isAIVOnly = true, const SyncAllConfig& config = DEFAULT_SYNC_ALL_CONFIG>
inline void SyncAll(twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::CoreCtx& c = twin::core(loc);
    if (!c.launch) twin::fail(loc, "SyncAll", "no launch", "called outside a kernel launch");
    c.counters.sync_alls++;
    twin::hz::barrier_all();
    if (isAIVOnly) {
        if (c.is_aic)
            twin::fail(loc, "SyncAll", "SyncAll<true> synchronises AIV cores only",
                       "called on an AIC; use SyncAll<false>() in MIX kernels");
        twin::barrier(c, "aiv", [](const twin::CoreCtx& x) { return !x.is_aic; }, "SyncAll<true>", loc);
    } else {
        twin::barrier(c, "all", [](const twin::CoreCtx&) { return true; }, "SyncAll<false>", loc);
    }
}

// Software SyncAll through a GM workspace (AIV only): the first usedCores blocks (all when 0) meet.
template <bool isAIVOnly = true>
inline void SyncAll(const GlobalTensor<int32_t>& gmWorkspace, const LocalTensor<int32_t>& ubWorkspace,
                    const int32_t usedCores = 0, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::CoreCtx& c = twin::core(loc);
    const char* api = "SyncAll(gmWorkspace, ubWorkspace)";
    if (!c.launch) twin::fail(loc, api, "no launch", "called outside a kernel launch");
    if (c.is_aic) twin::fail(loc, api, "the software SyncAll is for AIV cores only", "called on an AIC");
    if (usedCores < 0 || usedCores > c.block_num)
        twin::fail(loc, api, "usedCores must be in [0, GetBlockNum()]",
                   twin::strf("usedCores = %d, GetBlockNum() = %d", usedCores, c.block_num));
    int used = usedCores == 0 ? c.block_num : usedCores;
    twin::hz::Op hz_op(twin::hz::P_NONE, api, loc);  // the workspaces' own traffic is not modelled
    twin::hz::barrier_all();
    uint64_t need = uint64_t(c.block_num) * 32;
    gmWorkspace.twin_check_bytes(loc, api, 0, need, false);
    ubWorkspace.twin_check_bytes(loc, api, "ubWorkspace", need);
    if (c.block_idx >= used)
        twin::fail(loc, api, "core is not among the usedCores",
                   twin::strf("block %d calls SyncAll with usedCores = %d", c.block_idx, used));
    c.counters.sync_alls++;
    twin::barrier(c, twin::strf("soft%d", used), [used](const twin::CoreCtx& x) { return !x.is_aic && x.block_idx < used; },
                  "SyncAll(soft)", loc);
}

}  // namespace AscendC
