// Intra-core pipe hazards. On the device every core issues its instructions in program order into
// asynchronous pipes (S, V, M, MTE1, MTE2, MTE3, FIX); instructions of one pipe complete in order, but
// two pipes only see each other's effects through SetFlag/WaitFlag<HardEvent>, PipeBarrier<PIPE_ALL>
// and the events a TQue's AllocTensor/EnQue/DeQue/FreeTensor carry. The twin runs every instruction at
// once, so it checks the ordering instead: each pipe p keeps a vector clock vc[p] (vc[p][q] = the last
// instruction of pipe q known complete before p's next instruction), every access to local memory is
// recorded per byte range with its pipe, epoch and call site, and an access that conflicts with an
// access on another pipe not ordered before it (read after write, write after write, write after read)
// is a KernelError naming the rule, both pipes and both call sites.
//
// How APIs take part (so new APIs are covered by the common helpers):
//   * A non-vector API opens `twin::hz::Op op(twin::hz::P_MTE2, "DataCopy", loc);` (its pipe tag) on entry.
//   * The operand checks every API already calls record the access: LocalTensor::twin_check_bytes,
//     twin::check_local (copies) and twin::vec::check_extent (exact element ranges). An operand whose
//     name starts with "dst", "work", "tmp" or "sharedTmp" is written, every other operand is read.
//   * With no Op open, a UB access is a vector instruction (PIPE_V): vector APIs need no tag. A non-UB
//     access without an Op is an internal error of the twin (an API lacks its pipe tag).
//   * GetValue/SetValue/operator() on a LocalTensor are PIPE_S accesses.
// Same-pipe accesses are ordered (the compiler inserts PIPE_V/PIPE_M barriers itself, documented for
// PipeBarrier; the scalar pipe is ordered by hardware). GM is not tracked here (cross-core GM races are
// launch.h's check).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "base.h"

namespace twin {
namespace hz {

enum Pipe : int { P_S = 0, P_V, P_M, P_MTE1, P_MTE2, P_MTE3, P_FIX, NPIPE, P_NONE = -1 };

inline const char* pipe_label(int p) {
    static const char* n[] = {"PIPE_S", "PIPE_V", "PIPE_M", "PIPE_MTE1", "PIPE_MTE2", "PIPE_MTE3", "PIPE_FIX"};
    return (p >= 0 && p < NPIPE) ? n[p] : "PIPE_?";
}

// pipe_t -> Pipe; PIPE_ALL and pipes the twin has no unit for give P_NONE.
inline int from_pipe_t(::pipe_t p) {
    switch (p) {
        case PIPE_S: return P_S;
        case PIPE_V: return P_V;
        case PIPE_M: return P_M;
        case PIPE_MTE1: return P_MTE1;
        case PIPE_MTE2: return P_MTE2;
        case PIPE_MTE3: return P_MTE3;
        case PIPE_FIX: return P_FIX;
        default: return P_NONE;
    }
}

using VClock = std::array<uint32_t, NPIPE>;

inline void vjoin(VClock& a, const VClock& b) {
    for (int i = 0; i < NPIPE; ++i) a[i] = a[i] > b[i] ? a[i] : b[i];
}

// An event in flight: the source pipe's clock when it was set.
struct Token {
    VClock c{};
    bool set = false;
};

struct Access {
    uint32_t epoch = 0;  // 0 = none
    SrcLoc loc{nullptr, 0};
    const char* api = nullptr;
};

// Shadow state of one byte range: the last write and, per pipe, the last read since it.
struct Seg {
    int8_t wpipe = -1;
    Access w;
    Access r[NPIPE];
};

constexpr int kEvents = static_cast<int>(AscendC::HardEvent::MAX);

// HardEvent names in declaration order ("MTE2_V": from PIPE_MTE2 to PIPE_V).
inline const char* event_label(AscendC::HardEvent e) {
    static const char* n[] = {"MTE2_MTE1", "MTE1_MTE2", "MTE1_M", "M_MTE1", "MTE2_V", "V_MTE2", "MTE3_V",
                              "V_MTE3", "M_V", "V_M", "V_V", "MTE3_MTE1", "MTE1_MTE3", "MTE1_V", "MTE2_M",
                              "M_MTE2", "V_MTE1", "M_FIX", "FIX_M", "MTE3_MTE2", "MTE2_MTE3", "S_V", "V_S",
                              "S_MTE2", "MTE2_S", "S_MTE3", "MTE3_S", "MTE2_FIX", "FIX_MTE2", "FIX_S", "M_S",
                              "FIX_MTE3", "MTE1_FIX", "FIX_MTE1", "FIX_FIX"};
    static_assert(sizeof(n) / sizeof(n[0]) == size_t(kEvents), "HardEvent list changed");
    int i = int(e);
    return (i >= 0 && i < kEvents) ? n[i] : "?";
}

// Source and destination pipe of each HardEvent, parsed from its name ("MTE2_V" -> MTE2, V).
struct EventPipes {
    int src, dst;
};
inline int pipe_from_label(const std::string& s) {
    if (s == "S") return P_S;
    if (s == "V") return P_V;
    if (s == "M") return P_M;
    if (s == "MTE1") return P_MTE1;
    if (s == "MTE2") return P_MTE2;
    if (s == "MTE3") return P_MTE3;
    if (s == "FIX") return P_FIX;
    return P_NONE;
}
inline EventPipes event_pipes(AscendC::HardEvent e) {
    static const auto table = [] {
        std::array<EventPipes, kEvents> t{};
        for (int i = 0; i < kEvents; ++i) {
            std::string n = event_label(AscendC::HardEvent(i));
            size_t u = n.find('_');
            t[i] = EventPipes{pipe_from_label(n.substr(0, u)), pipe_from_label(n.substr(u + 1))};
        }
        return t;
    }();
    int i = int(e);
    return (i >= 0 && i < kEvents) ? table[i] : EventPipes{P_NONE, P_NONE};
}
// The HardEvent from pipe a to pipe b, or MAX when the hardware has none.
inline AscendC::HardEvent event_between(int a, int b) {
    for (int i = 0; i < kEvents; ++i) {
        EventPipes ep = event_pipes(AscendC::HardEvent(i));
        if (ep.src == a && ep.dst == b) return AscendC::HardEvent(i);
    }
    return AscendC::HardEvent::MAX;
}

struct State {
    VClock vc[NPIPE] = {};
    int depth = 0;      // open Ops
    int cur = P_NONE;   // pipe of the open Op (P_NONE with depth > 0: not recorded)
    SrcLoc cur_loc{nullptr, 0};
    const char* cur_api = nullptr;
    std::map<uint32_t, Seg> shadow[kMemCount];  // segment [key, next key) -> state
    Token events[kEvents][8];
    // This core's cross-core sets: (its own clock entry the set carried, join of the set pipes' clocks
    // up to that set). A wait whose clock shows the set came back orders the set pipe's work before it.
    std::vector<std::pair<uint32_t, VClock>> xsets;
};

inline State* state() {
    CoreCtx* c = current_core_ptr();
    return c ? c->hz.get() : nullptr;
}

// Issue one instruction on pipe p: its epoch.
inline uint32_t tick(State& s, int p) { return ++s.vc[p][p]; }

// The pipe tag of an API: open on entry, the accesses its operand checks record belong to it.
class Op {
public:
    Op(int pipe, const char* api, const SrcLoc& loc) : s_(state()) {
        if (!s_) return;
        if (s_->depth++ > 0) return;  // nested: the outer API's pipe holds
        s_->cur = pipe;
        s_->cur_loc = loc;
        s_->cur_api = api;
        if (pipe >= 0) tick(*s_, pipe);
    }
    ~Op() {
        if (s_ && --s_->depth == 0) s_->cur = P_NONE;
    }
    Op(const Op&) = delete;
    Op& operator=(const Op&) = delete;

private:
    State* s_;
};

inline bool is_written_operand(const char* what) {
    if (!what) return false;
    for (const char* pre : {"dst", "work", "tmp", "sharedTmp"})
        if (std::strncmp(what, pre, std::strlen(pre)) == 0) return true;
    return false;
}

[[noreturn]] inline void report(const SrcLoc& loc, const char* api, int p, const Access& other, int op, bool write,
                                bool other_write, Mem m, uint32_t lo, uint32_t hi) {
    const char* kind = write ? (other_write ? "write after write" : "write after read") : "read after write";
    AscendC::HardEvent e = event_between(op, p);
    std::string fix = e != AscendC::HardEvent::MAX
                          ? strf("SetFlag<HardEvent::%s>/WaitFlag<HardEvent::%s> (or a TQue whose EnQue/DeQue carry it)",
                                 event_label(e), event_label(e))
                          : std::string("PipeBarrier<PIPE_ALL>() (no HardEvent links these pipes)");
    fail(loc, api,
         strf("pipe hazard: %s between %s and %s with no synchronisation", kind, pipe_label(op), pipe_label(p)),
         strf("%s on %s %s %s bytes [%u, %u) that %s on %s %s at %s:%u; nothing orders them: insert %s", api,
              pipe_label(p), write ? "writes" : "reads", mem_name(m), lo, hi, other.api ? other.api : "?",
              pipe_label(op), other_write ? "wrote" : "read", other.loc.file ? other.loc.file : "?", other.loc.line,
              fix.c_str()));
}

// Record an access of pipe p (epoch e) to bytes [lo, hi) of memory m; a conflict is an error.
inline void record_on(State& s, int p, uint32_t e, const SrcLoc& loc, const char* api, Mem m, uint32_t lo, uint32_t hi,
                      bool write) {
    int mi = int(m);
    if (mi < 0 || mi >= kMemCount || hi <= lo) return;
    auto& sh = s.shadow[mi];
    if (sh.empty()) sh.emplace(0u, Seg{});
    auto split = [&sh](uint32_t x) {
        auto it = sh.upper_bound(x);
        --it;  // key 0 always exists
        if (it->first != x) sh.emplace_hint(std::next(it), x, it->second);
    };
    split(lo);
    split(hi);
    const VClock& mine = s.vc[p];
    auto end = sh.find(hi);
    for (auto it = sh.find(lo); it != end; ++it) {
        Seg& g = it->second;
        uint32_t a = it->first, b = std::next(it)->first;
        if (g.w.epoch && g.wpipe != p && mine[g.wpipe] < g.w.epoch)
            report(loc, api, p, g.w, g.wpipe, write, true, m, a, b);
        if (write)
            for (int q = 0; q < NPIPE; ++q)
                if (q != p && g.r[q].epoch && mine[q] < g.r[q].epoch) report(loc, api, p, g.r[q], q, true, false, m, a, b);
        Access acc{e, loc, api};
        if (write) {
            g = Seg{};
            g.wpipe = int8_t(p);
            g.w = acc;
        } else {
            g.r[p] = acc;
        }
    }
}

// Record an access by the current API (its Op) or, with none open, by a vector instruction on UB.
inline void record(const SrcLoc& loc, const char* api, Mem m, uint64_t lo, uint64_t hi, bool write) {
    State* s = state();
    if (!s || hi <= lo || m == Mem::GM || m == Mem::NONE) return;
    if (s->depth > 0) {
        if (s->cur < 0) return;
        record_on(*s, s->cur, s->vc[s->cur][s->cur], loc, s->cur_api ? s->cur_api : api, m, uint32_t(lo), uint32_t(hi),
                  write);
        return;
    }
    if (m != Mem::UB)
        fail(loc, api, "twin internal error: API without a pipe tag",
             strf("%s accesses %s but declares no pipe (twin::hz::Op)", api, mem_name(m)));
    record_on(*s, P_V, tick(*s, P_V), loc, api, m, uint32_t(lo), uint32_t(hi), write);
}

inline void record_operand(const SrcLoc& loc, const char* api, const char* what, Mem m, uint64_t lo, uint64_t hi) {
    record(loc, api, m, lo, hi, is_written_operand(what));
}

// A scalar-unit access (GetValue/SetValue/operator()).
inline void scalar(const SrcLoc& loc, const char* api, Mem m, uint64_t lo, uint64_t hi, bool write) {
    State* s = state();
    if (!s || m == Mem::GM || m == Mem::NONE) return;
    record_on(*s, P_S, tick(*s, P_S), loc, api, m, uint32_t(lo), uint32_t(hi), write);
}

// SetFlag<E>(id) / WaitFlag<E>(id).
inline void set_flag(AscendC::HardEvent e, int id) {
    State* s = state();
    EventPipes ep = event_pipes(e);
    if (!s || ep.src < 0 || id < 0 || id > 7) return;
    s->events[int(e)][id] = Token{s->vc[ep.src], true};
}
inline void wait_flag(AscendC::HardEvent e, int id) {
    State* s = state();
    EventPipes ep = event_pipes(e);
    if (!s || ep.dst < 0 || id < 0 || id > 7) return;
    Token& t = s->events[int(e)][id];
    if (t.set) vjoin(s->vc[ep.dst], t.c);
    t.set = false;
}
// CrossCoreSetFlag<mode, pipe> issued on `pipe` (it fires once the pipe's earlier work is done), carrying
// this core's clock entry `own_epoch` to the other cores.
inline void cross_set(::pipe_t pipe, uint32_t own_epoch) {
    State* s = state();
    int p = from_pipe_t(pipe);
    if (!s || p < 0) return;
    VClock acc = s->xsets.empty() ? VClock{} : s->xsets.back().second;
    vjoin(acc, s->vc[p]);
    s->xsets.push_back({own_epoch, acc});
}
// CrossCoreWaitFlag<mode, pipe> whose received clock knows this core up to `known_own_epoch`: the sets
// of this core that happened before it (a round trip through other cores) order their pipes' work
// before the waiting pipe (every pipe when the scalar unit waits, PIPE_S).
inline void cross_wait(::pipe_t pipe, uint32_t known_own_epoch) {
    State* s = state();
    if (!s || s->xsets.empty()) return;
    auto it = std::upper_bound(s->xsets.begin(), s->xsets.end(), known_own_epoch,
                               [](uint32_t e, const std::pair<uint32_t, VClock>& x) { return e < x.first; });
    if (it == s->xsets.begin()) return;
    const VClock& tok = std::prev(it)->second;
    int p = from_pipe_t(pipe);
    if (p < 0 || p == P_S)
        for (int q = 0; q < NPIPE; ++q) vjoin(s->vc[q], tok);
    else
        vjoin(s->vc[p], tok);
}

// PipeBarrier<PIPE_ALL>, SyncAll: every pipe waits for every pipe.
inline void barrier_all() {
    State* s = state();
    if (!s) return;
    VClock j{};
    for (int p = 0; p < NPIPE; ++p) vjoin(j, s->vc[p]);
    for (int p = 0; p < NPIPE; ++p) s->vc[p] = j;
}
// A queue's implied event: signal stores the source pipe's clock, wait joins it into the destination.
inline void que_signal(Token& t, AscendC::HardEvent e) {
    State* s = state();
    EventPipes ep = event_pipes(e);
    if (!s || ep.src < 0) return;
    t = Token{s->vc[ep.src], true};
}
inline void que_wait(Token& t, AscendC::HardEvent e) {
    State* s = state();
    EventPipes ep = event_pipes(e);
    if (!s || ep.dst < 0 || !t.set) return;
    vjoin(s->vc[ep.dst], t.c);
    t.set = false;
}

// The events a TQueBind<src, dst> carries, as v8.5.0 derives them (GetQueEvt on arch 2201):
// EnQue sets / DeQue waits the forward event, FreeTensor sets / AllocTensor waits the backward one.
// TQue<pos> binds the logical source and destination of pos; VECCALC queues carry no event.
enum class Hw : int { GM, UB, L1, L0A, L0B, L0C, BIAS, FIXBUF, MAX };
constexpr Hw hw_of(AscendC::TPosition p) {
    using AscendC::TPosition;
    switch (p) {
        case TPosition::GM: return Hw::GM;
        case TPosition::VECIN:
        case TPosition::VECOUT:
        case TPosition::VECCALC: return Hw::UB;
        case TPosition::A1:
        case TPosition::B1:
        case TPosition::C1:
        case TPosition::TSCM:
        case TPosition::SPM: return Hw::L1;
        case TPosition::A2: return Hw::L0A;
        case TPosition::B2: return Hw::L0B;
        case TPosition::CO1: return Hw::L0C;
        case TPosition::CO2: return Hw::GM;
        case TPosition::C2: return Hw::BIAS;
        case TPosition::C2PIPE2GM: return Hw::FIXBUF;
        default: return Hw::MAX;
    }
}
constexpr AscendC::TPosition logic_pos(AscendC::TPosition p, bool src) {
    using AscendC::TPosition;
    switch (p) {
        case TPosition::A1:
        case TPosition::B1:
        case TPosition::C1:
        case TPosition::VECIN: return src ? TPosition::GM : p;
        case TPosition::A2: return src ? TPosition::A1 : p;
        case TPosition::B2: return src ? TPosition::B1 : p;
        case TPosition::C2: return src ? TPosition::C1 : p;
        case TPosition::CO1: return src ? p : TPosition::CO2;
        case TPosition::CO2: return src ? p : TPosition::GM;
        case TPosition::VECOUT:
        case TPosition::SPM: return src ? TPosition::VECOUT : TPosition::GM;
        case TPosition::C2PIPE2GM: return src ? TPosition::B1 : p;
        default: return TPosition::MAX;
    }
}
constexpr AscendC::HardEvent que_event_hw(Hw s, Hw d, bool fwd) {
    using AscendC::HardEvent;
    if (s == Hw::GM) {
        if (d == Hw::UB) return fwd ? HardEvent::MTE2_V : HardEvent::V_MTE2;
        if (d == Hw::L1) return fwd ? HardEvent::MTE2_MTE1 : HardEvent::MTE1_MTE2;
        if (d == Hw::L0A || d == Hw::L0B) return fwd ? HardEvent::MTE2_M : HardEvent::M_MTE2;
    } else if (s == Hw::UB) {
        if (d == Hw::GM) return fwd ? HardEvent::V_MTE3 : HardEvent::MTE3_V;
        if (d == Hw::L1) return fwd ? HardEvent::MTE3_MTE1 : HardEvent::MTE1_MTE3;
        if (d == Hw::L0C) return fwd ? HardEvent::V_V : HardEvent::MAX;
        if (d == Hw::UB) return fwd ? HardEvent::MTE2_MTE3 : HardEvent::MTE3_MTE2;
    } else if (s == Hw::L1) {
        if (d == Hw::UB) return fwd ? HardEvent::MTE1_V : HardEvent::V_MTE1;
        if (d == Hw::L0A || d == Hw::L0B || d == Hw::BIAS) return fwd ? HardEvent::MTE1_M : HardEvent::M_MTE1;
        if (d == Hw::FIXBUF) return fwd ? HardEvent::MTE1_FIX : HardEvent::FIX_MTE1;
    } else if (s == Hw::L0A || s == Hw::L0B) {
        return fwd ? HardEvent::M_V : HardEvent::V_M;
    } else if (s == Hw::L0C) {
        return fwd ? HardEvent::M_FIX : HardEvent::FIX_M;
    }
    return HardEvent::MAX;
}
constexpr AscendC::HardEvent que_event(AscendC::TPosition src, AscendC::TPosition dst, bool fwd) {
    if (src == dst) {
        if (src == AscendC::TPosition::VECCALC) return AscendC::HardEvent::MAX;
        return que_event_hw(hw_of(logic_pos(src, true)), hw_of(logic_pos(src, false)), fwd);
    }
    return que_event_hw(hw_of(src), hw_of(dst), fwd);
}

// Pipe of a copy between two memories (DataCopy and friends).
inline int copy_pipe(Mem src, Mem dst) {
    if (src == Mem::GM) return P_MTE2;
    if (src == Mem::UB) return dst == Mem::UB ? P_V : P_MTE3;  // UB->GM, UB->L1: MTE3; UB->UB: vector unit
    if (src == Mem::L1) return P_MTE1;                           // L1->L0A/L0B/UB/BT/FB
    if (src == Mem::L0C) return P_FIX;                           // L0C->GM/L1
    return P_NONE;
}

}  // namespace hz
}  // namespace twin
