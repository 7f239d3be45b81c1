// The launch state shared by all simulated cores: a baton scheduler (exactly one core thread runs at a
// time, switching only when a core blocks or ends, in a fixed order), cross-core flag counters,
// barriers, vector clocks, and deadlock detection.
#pragma once

#include <array>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base.h"

namespace twin {

enum class Mode : int { AIV_ONLY = 0, AIC_ONLY, MIX_1_2, MIX_1_1 };

inline const char* mode_name(Mode m) {
    switch (m) {
        case Mode::AIV_ONLY: return "AIV_ONLY";
        case Mode::AIC_ONLY: return "AIC_ONLY";
        case Mode::MIX_1_2: return "MIX_AIC_1_2";
        case Mode::MIX_1_1: return "MIX_AIC_1_1";
    }
    return "?";
}

using Clock = std::vector<uint32_t>;

struct CrossFlag {
    int counter = 0;
    Clock clock;  // join of the setters' clocks delivered to this counter
    SrcLoc last_set{nullptr, 0};
};

struct LaunchState {
    enum St { READY, BLOCKED, DONE };

    explicit LaunchState(int ncores)
        : n(ncores), st(ncores, READY), pred(ncores), wait_desc(ncores), wait_loc(ncores, SrcLoc{nullptr, 0}),
          cvs(ncores), flags(ncores) {}

    int n;
    Mode mode = Mode::AIV_ONLY;
    uint64_t tiling_key = 0;
    std::vector<std::unique_ptr<CoreCtx>> cores;
    std::vector<int> group_aic;                 // core id of each group's AIC (-1 if none)
    std::vector<std::vector<int>> group_aivs;   // core ids of each group's AIVs

    std::mutex mu;
    std::vector<St> st;
    std::vector<std::function<bool()>> pred;
    std::vector<std::string> wait_desc;
    std::vector<SrcLoc> wait_loc;
    std::vector<std::condition_variable> cvs;
    int running = -1;
    bool abort = false;
    bool deadlock = false;
    std::string error;
    int error_core = -1;

    // Cross-core flags: one 4-bit counter per core and flag id.
    std::vector<std::array<CrossFlag, 16>> flags;
    // Sets per (mode, scope, flag, setter) and rounds already delivered per (mode, scope, flag).
    std::map<std::tuple<int, int, int, int>, uint32_t> sets;
    std::map<std::tuple<int, int, int>, uint32_t> delivered;
    std::map<std::tuple<int, int, int>, Clock> pending_clock;

    // Barriers (SyncAll), keyed by participant set.
    struct Barrier {
        uint64_t gen = 0;
        int arrived = 0;
        Clock acc, done;
    };
    std::map<std::string, Barrier> barriers;

    void record_error(int core, const std::string& e, bool is_deadlock = false) {
        if (error.empty()) {
            error = e;
            error_core = core;
            deadlock = is_deadlock;
        }
        abort = true;
        for (auto& cv : cvs) cv.notify_all();
    }

    std::string core_name(int id) const {
        const CoreCtx& c = *cores[id];
        if (c.is_aic) return strf("AIC block %d", c.block_idx);
        return strf("AIV block %d (sub-block %d)", c.block_idx, c.sub_block_idx);
    }

    // Hand the baton to the next runnable core after `from` (lock held). Detects deadlock.
    void pass_baton(int from) {
        for (int k = 1; k <= n; ++k) {
            int j = (from + k) % n;
            if (st[j] == READY || (st[j] == BLOCKED && pred[j] && pred[j]())) {
                st[j] = READY;
                running = j;
                cvs[j].notify_all();
                return;
            }
        }
        bool all_done = true;
        for (St s : st) all_done = all_done && s == DONE;
        if (all_done) {
            running = -1;
            return;
        }
        std::string msg = "deadlock: every live core is blocked:";
        for (int j = 0; j < n; ++j)
            if (st[j] == BLOCKED)
                msg += strf("\n  %s waits in %s at %s:%u", core_name(j).c_str(), wait_desc[j].c_str(),
                            wait_loc[j].file ? wait_loc[j].file : "?", wait_loc[j].line);
        int first = -1;
        for (int j = 0; j < n && first < 0; ++j)
            if (st[j] == BLOCKED) first = j;
        record_error(first, msg, true);
    }
};

// Clock helpers: the core's clock is copied on change so earlier write records keep their snapshot.
inline void clock_tick(CoreCtx& c) {
    auto nc = std::make_shared<Clock>(*c.clock);
    (*nc)[c.core_id]++;
    c.clock = nc;
}
inline void clock_join_into(Clock& acc, const Clock& other) {
    if (acc.size() < other.size()) acc.resize(other.size(), 0);
    for (size_t i = 0; i < other.size(); ++i) acc[i] = std::max(acc[i], other[i]);
}
inline void clock_receive(CoreCtx& c, const Clock& other) {
    auto nc = std::make_shared<Clock>(*c.clock);
    clock_join_into(*nc, other);
    (*nc)[c.core_id]++;
    c.clock = nc;
}

// Block the calling core until ready() holds (evaluated with the launch lock held by whichever
// thread passes the baton). Throws Aborted when the launch is aborted.
inline void block_until(CoreCtx& c, std::unique_lock<std::mutex>& lk, const std::function<bool()>& ready,
                        const std::string& desc, const SrcLoc& loc) {
    LaunchState& L = *c.launch;
    if (ready()) return;
    int me = c.core_id;
    L.st[me] = LaunchState::BLOCKED;
    L.pred[me] = ready;
    L.wait_desc[me] = desc;
    L.wait_loc[me] = loc;
    L.pass_baton(me);
    L.cvs[me].wait(lk, [&] { return L.running == me || L.abort; });
    if (L.abort) throw Aborted{};
    L.st[me] = LaunchState::READY;
    L.pred[me] = nullptr;
}

}  // namespace twin
