// The launch state shared by all simulated cores: the scheduler (core threads run concurrently on up to
// `slots` host threads), cross-core flag counters, barriers, vector clocks, and deadlock detection.
#pragma once

#include <array>
#include <deque>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "atomics.h"
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
    int counter = 0;                // unconsumed sets
    std::deque<Clock> units;        // the clock each unconsumed set carries, oldest first
    SrcLoc last_set{nullptr, 0};
    uint64_t delivered = 0;              // sets delivered so far
    std::vector<uint32_t> wait_epochs;   // the waiting core's own clock entry after each of its waits
};

// Scheduling: every core is a thread, at most `slots` of them run at once (host threads, default the
// host's cores). A core runs until it blocks (cross-core wait, SyncAll), ends or fails; a blocked core
// becomes ready when its condition holds, and free slots go to the ready core with the lowest id.
// Cores interact only through GM, cross-core flags and barriers, so what each core computes does not
// depend on the interleaving (for kernels free of GM races, which the race check reports): results,
// counters, vector clocks and reports are the same for every slot count and every run.
// A failed core does not stop the others: each core runs to its end, its failure or a wait that can no
// longer be satisfied, and the launch reports the failure of the lowest core id; with no failure, cores
// left blocked are a deadlock.
struct LaunchState {
    enum St { READY, RUNNING, BLOCKED, DONE };

    explicit LaunchState(int ncores)
        : n(ncores), st(ncores, READY), pred(ncores), wait_desc(ncores), wait_loc(ncores, SrcLoc{nullptr, 0}),
          cvs(ncores), flags(ncores), core_error(ncores) {}

    int n;
    int slots = 1;
    int running_count = 0;
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
    bool abort = false;     // set when the launch is over: blocked cores throw Aborted
    bool deadlock = false;
    std::string error;
    int error_core = -1;

    // Cross-core flags: one 4-bit counter per core and flag id.
    std::vector<std::array<CrossFlag, 16>> flags;
    // Sets per (mode, scope, flag, setter), rounds delivered per (mode, scope, flag), and the clock of
    // each round (the join of every setter's k-th set).
    std::map<std::tuple<int, int, int, int>, uint32_t> sets;
    std::map<std::tuple<int, int, int>, uint32_t> delivered;
    std::map<std::tuple<int, int, int>, std::vector<Clock>> round_clock;

    // Barriers (SyncAll), keyed by participant set.
    struct Barrier {
        uint64_t gen = 0;
        int arrived = 0;
        Clock acc, done;
    };
    std::map<std::string, Barrier> barriers;

    // The failure of each core (empty: none).
    std::vector<std::string> core_error;
    // Atomic GM writes (atomics.h).
    AtomicLog atomics;

    std::string core_name(int id) const {
        const CoreCtx& c = *cores[id];
        if (c.is_aic) return strf("AIC block %d", c.block_idx);
        return strf("AIV block %d (sub-block %d)", c.block_idx, c.sub_block_idx);
    }

    // Wake blocked cores whose condition holds, hand free slots to ready cores (lowest id first), and
    // when nothing can run any more end the launch: a deadlock if no core failed (lock held).
    void schedule() {
        if (abort) return;
        for (int j = 0; j < n; ++j)
            if (st[j] == BLOCKED && pred[j] && pred[j]()) st[j] = READY;
        for (int j = 0; j < n && running_count < slots; ++j)
            if (st[j] == READY) {
                st[j] = RUNNING;
                running_count++;
                cvs[j].notify_all();
            }
        if (running_count > 0) return;
        bool blocked = false;
        for (St x : st) blocked = blocked || x == BLOCKED;
        if (!blocked) return;  // every core is done
        bool failed = false;
        for (auto& e : core_error) failed = failed || !e.empty();
        if (!failed) {
            std::string msg = "deadlock: every live core is blocked:";
            int first = -1;
            for (int j = 0; j < n; ++j)
                if (st[j] == BLOCKED) {
                    if (first < 0) first = j;
                    msg += strf("\n  %s waits in %s at %s:%u", core_name(j).c_str(), wait_desc[j].c_str(),
                                wait_loc[j].file ? wait_loc[j].file : "?", wait_loc[j].line);
                }
            error = msg;
            error_core = first;
            deadlock = true;
        }
        abort = true;
        for (auto& cv : cvs) cv.notify_all();
    }

    // A core finished (err empty) or failed (lock held).
    void core_done(int me, const std::string& err) {
        if (st[me] == RUNNING) running_count--;
        st[me] = DONE;
        if (!err.empty()) core_error[me] = err;
        schedule();
    }

    // The launch's error: the failure of the lowest core id, else a deadlock (after all threads ended).
    void settle_error() {
        for (int j = 0; j < n; ++j)
            if (!core_error[j].empty()) {
                error = core_error[j];
                error_core = j;
                deadlock = false;
                return;
            }
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

// Block the calling core until ready() holds (evaluated with the launch lock held by whichever thread
// schedules). Throws Aborted when the launch ends with this core still blocked.
inline void block_until(CoreCtx& c, std::unique_lock<std::mutex>& lk, const std::function<bool()>& ready,
                        const std::string& desc, const SrcLoc& loc) {
    LaunchState& L = *c.launch;
    if (ready()) return;
    int me = c.core_id;
    L.st[me] = LaunchState::BLOCKED;
    L.running_count--;
    L.pred[me] = ready;
    L.wait_desc[me] = desc;
    L.wait_loc[me] = loc;
    L.schedule();
    L.cvs[me].wait(lk, [&] { return L.st[me] == LaunchState::RUNNING || L.abort; });
    if (L.st[me] != LaunchState::RUNNING) throw Aborted{};
    L.pred[me] = nullptr;
}

}  // namespace twin
