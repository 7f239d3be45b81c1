// Launcher: one thread per simulated core, deterministic baton scheduling, end-of-kernel checks,
// the cross-core GM race check, twin::launch, and CANN's CPU-debug interface (GmAlloc, ICPU_RUN_KF).
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "base.h"
#include "gm.h"
#include "kernel.h"
#include "sched.h"
#include "sync.h"

namespace twin {

struct LaunchOptions {
    std::string soc = kDefaultSoc;
    Mode mode = Mode::AIV_ONLY;
    int numBlocks = 1;       // AIV_ONLY: AIV cores; AIC_ONLY: AIC cores; MIX: AI cores (AIC + its AIVs)
    uint64_t tiling_key = 0;
    uint8_t mem_fill = 0xFF;  // initial byte of every local memory (0xFF: NaN in float types, -1 in ints)
    bool check_races = true;  // overlapping non-atomic GM writes from different cores
    bool check_hazards = true;  // intra-core pipe hazards (hazard.h)
    int threads = 0;  // host threads running cores at once; 0: TWIN_THREADS, else the host's cores (sched.h)
    std::string kernel_name = "kernel";
};

struct CoreReport {
    int core_id;
    bool is_aic;
    int block_idx;
    int sub_block_idx;
    Counters counters;
};

struct LaunchReport {
    bool ok = false;
    std::string error;  // "<file>:<line>: <api>: <rule>: <detail>" or a deadlock report
    bool deadlock = false;
    int error_core = -1;
    std::string soc;
    Mode mode = Mode::AIV_ONLY;
    int num_blocks = 0;
    std::vector<CoreReport> cores;
    Counters total;
    double wall_seconds = 0;

    // One line per nonzero total counter.
    std::string summary() const {
        std::string s = strf("%s on %s, %s, %d blocks, %zu cores: %s\n", kernel.c_str(), soc.c_str(), mode_name(mode),
                             num_blocks, cores.size(), ok ? "ok" : "FAILED");
        uint64_t flat[Counters::kFlatLen];
        total.flatten(flat);
        for (int i = 0; i < Counters::kFlatLen; ++i)
            if (flat[i]) s += strf("  %-28s %llu\n", Counters::flat_name(i), (unsigned long long)flat[i]);
        if (!ok) s += "  error: " + error + "\n";
        return s;
    }
    std::string kernel = "kernel";
};

// The most recent launch's report (for the C ABI).
inline std::mutex& last_report_mutex() {
    static std::mutex m;
    return m;
}
inline LaunchReport& last_report_storage() {
    static LaunchReport r;
    return r;
}
inline LaunchReport last_report() {
    std::lock_guard<std::mutex> g(last_report_mutex());
    return last_report_storage();
}

// Host threads that run cores at once: `requested` if > 0, else TWIN_THREADS, else the host's cores.
inline int host_threads(int requested, int ncores) {
    int t = requested;
    if (t <= 0) {
        const char* e = std::getenv("TWIN_THREADS");
        if (e && *e) t = std::atoi(e);
    }
    if (t <= 0) t = int(std::thread::hardware_concurrency());
    if (t <= 0) t = 1;
    return std::max(1, std::min(t, ncores));
}

namespace detail {

// Host threads kept across launches: a job runs on an idle thread, or on a new one when none is idle.
// Never destroyed (idle threads wait until the process exits).
class ThreadPool {
public:
    void run(std::function<void()> job) {
        std::unique_lock<std::mutex> g(mu_);
        if (idle_ > 0) {
            jobs_.push_back(std::move(job));
            --idle_;
            cv_.notify_one();
            return;
        }
        g.unlock();
        std::thread([this, j = std::move(job)]() mutable { loop(std::move(j)); }).detach();
    }

private:
    void loop(std::function<void()> job) {
        for (;;) {
            job();
            job = nullptr;
            std::unique_lock<std::mutex> g(mu_);
            ++idle_;
            cv_.wait(g, [this] { return !jobs_.empty(); });
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
    }
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    int idle_ = 0;
};
inline ThreadPool& thread_pool() {
    static ThreadPool* p = new ThreadPool;
    return *p;
}

inline void end_of_kernel_checks(CoreCtx& c) {
    for (int e = 0; e < kHardEventCount; ++e)
        for (int id = 0; id < 8; ++id) {
            const SrcLoc& at = c.event_set_at[e][id];
            if (at.line != 0)
                fail(at, "SetFlag", "event left set at kernel end (no matching WaitFlag)",
                     strf("HardEvent::%s id %d", hard_event_name(AscendC::HardEvent(e)), id));
        }
}

inline bool happens_before(const GmWriteRecord& a, const GmWriteRecord& b) {
    return (*b.clock).size() > size_t(a.core) && (*b.clock)[a.core] >= (*a.clock)[a.core];
}

inline std::string race_check(LaunchState& L, SrcLoc& where) {
    std::vector<const GmWriteRecord*> all;
    for (auto& c : L.cores)
        for (auto& r : c->gm_writes) all.push_back(&r);
    std::sort(all.begin(), all.end(), [](const GmWriteRecord* x, const GmWriteRecord* y) {
        return x->begin != y->begin ? x->begin < y->begin : x->core < y->core;
    });
    std::vector<const GmWriteRecord*> active;
    for (const GmWriteRecord* r : all) {
        active.erase(std::remove_if(active.begin(), active.end(),
                                    [r](const GmWriteRecord* a) { return a->end <= r->begin; }),
                     active.end());
        for (const GmWriteRecord* a : active) {
            if (a->core == r->core || happens_before(*a, *r) || happens_before(*r, *a)) continue;
            uintptr_t lo = std::max(a->begin, r->begin), hi = std::min(a->end, r->end);
            GmRegion reg = gm_find(lo);
            where = r->loc;
            return strf("%s and %s both write GM bytes [%llu, %llu) of the buffer at %p with no atomic mode and no "
                        "synchronisation ordering them (writes at %s:%u and %s:%u)",
                        L.core_name(a->core).c_str(), L.core_name(r->core).c_str(),
                        (unsigned long long)(lo - reg.begin), (unsigned long long)(hi - reg.begin),
                        reinterpret_cast<void*>(reg.begin), a->loc.file, a->loc.line, r->loc.file, r->loc.line);
        }
        active.push_back(r);
    }
    return "";
}

}  // namespace detail

// Run `body` once on every simulated core of the launch described by `opt`.
inline LaunchReport launch_body(const LaunchOptions& opt, const std::function<void()>& body) {
    auto t0 = std::chrono::steady_clock::now();
    LaunchReport rep;
    rep.soc = opt.soc;
    rep.mode = opt.mode;
    rep.num_blocks = opt.numBlocks;
    rep.kernel = opt.kernel_name;
    auto finish = [&](LaunchReport& r) {
        r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::lock_guard<std::mutex> g(last_report_mutex());
        last_report_storage() = r;
        return r;
    };
    const SocProfile* soc = find_soc(opt.soc.c_str());
    if (!soc) {
        rep.error = "launch: unknown SoC '" + opt.soc + "'";
        return finish(rep);
    }
    bool mix = opt.mode == Mode::MIX_1_2 || opt.mode == Mode::MIX_1_1;
    int limit = opt.mode == Mode::AIV_ONLY ? soc->aiv : soc->aic;
    if (opt.numBlocks < 1 || opt.numBlocks > limit) {
        rep.error = strf("launch: numBlocks must be in [1, %d] for a %s launch on %s (%d AIC, %d AIV): numBlocks = %d",
                         limit, mode_name(opt.mode), soc->name, soc->aic, soc->aiv, opt.numBlocks);
        return finish(rep);
    }
    int per_group = opt.mode == Mode::MIX_1_2 ? 3 : opt.mode == Mode::MIX_1_1 ? 2 : 1;
    int n = opt.numBlocks * per_group;
    LaunchState L(n);
    L.mode = opt.mode;
    L.tiling_key = opt.tiling_key;
    L.group_aic.assign(opt.numBlocks, -1);
    L.group_aivs.assign(opt.numBlocks, {});
    for (int g = 0; g < opt.numBlocks; ++g)
        for (int k = 0; k < per_group; ++k) {
            int id = g * per_group + k;
            bool aic = opt.mode == Mode::AIC_ONLY || (mix && k == 0);
            auto c = std::make_unique<CoreCtx>(*soc, aic);
            c->core_id = id;
            c->group = g;
            c->block_num = opt.numBlocks;
            c->launch = &L;
            if (mix && !aic) {
                c->sub_block_idx = k - 1;
                c->block_idx = opt.mode == Mode::MIX_1_2 ? 2 * g + (k - 1) : g;
                c->task_ratio = opt.mode == Mode::MIX_1_2 ? 2 : 1;
                L.group_aivs[g].push_back(id);
            } else {
                c->block_idx = g;
                if (aic) L.group_aic[g] = id;
                else L.group_aivs[g].push_back(id);
            }
            if (opt.check_hazards) c->hz = std::make_shared<hz::State>();
            c->atomics = &L.atomics;
            c->clock = std::make_shared<Clock>(n, 0);
            (*c->clock)[id] = 1;  // own epoch starts at 1 so other cores (knowing 0) are not ordered after it
            L.cores.push_back(std::move(c));
        }

    L.slots = host_threads(opt.threads, n);
    L.atomics.deferred = n > 1;
    auto core_main = [&L, &body, soc, &opt](int me) {
        CoreCtx& c = *L.cores[me];
        {
            std::unique_lock<std::mutex> lk(L.mu);
            L.cvs[me].wait(lk, [&] { return L.st[me] == LaunchState::RUNNING || L.abort; });
            if (L.st[me] != LaunchState::RUNNING) {
                L.st[me] = LaunchState::DONE;
                return;
            }
        }
        // The core's local memories (filled lazily as TPipe hands them out: CoreCtx::ensure_filled).
        c.mem_fill = opt.mem_fill;
        auto mem = [&c](Mem m, uint32_t bytes) { c.mem_alloc(m, bytes); };
        if (c.is_aic) {
            mem(Mem::L1, soc->l1);
            mem(Mem::L0A, soc->l0a);
            mem(Mem::L0B, soc->l0b);
            mem(Mem::L0C, soc->l0c);
            mem(Mem::BT, soc->bt);
            mem(Mem::FB, soc->fb);
        } else {
            mem(Mem::UB, soc->ub);
        }
        current_core_ptr() = &c;
        std::string err;
        try {
            body();
            detail::end_of_kernel_checks(c);
        } catch (const KernelError& e) {
            err = e.what();
        } catch (const Aborted&) {
        } catch (const std::exception& e) {
            err = std::string("C++ exception in the kernel: ") + e.what();
        }
        current_core_ptr() = nullptr;
        for (auto& m : c.memory) m = CoreCtx::LocalMem{};  // release early
        std::unique_lock<std::mutex> lk(L.mu);
        L.core_done(me, err);
    };

    // One host thread per core, taken from a pool that outlives the launch (creating a thread costs more
    // than most kernels' work); the launch waits until every core's job has returned.
    std::mutex done_mu;
    std::condition_variable done_cv;
    int remaining = n;
    for (int i = 0; i < n; ++i)
        detail::thread_pool().run([&, i] {
            core_main(i);
            std::lock_guard<std::mutex> g(done_mu);
            if (--remaining == 0) done_cv.notify_all();
        });
    {
        std::lock_guard<std::mutex> g(L.mu);
        L.schedule();
    }
    {
        std::unique_lock<std::mutex> g(done_mu);
        done_cv.wait(g, [&] { return remaining == 0; });
    }
    L.settle_error();
    atomic_flush_all(L.atomics);  // float atomic adds nobody read during the launch

    if (L.error.empty()) {
        // Unconsumed cross-core flags.
        for (int j = 0; j < n && L.error.empty(); ++j)
            for (int f = 0; f < 16; ++f) {
                const CrossFlag& cf = L.flags[j][f];
                if (cf.counter > 0) {
                    L.error = KernelError(cf.last_set, "CrossCoreSetFlag", "flag set but never waited at kernel end",
                                          strf("%s still holds %d unconsumed set(s) of flag %d",
                                               L.core_name(j).c_str(), cf.counter, f))
                                  .what();
                    L.error_core = j;
                    break;
                }
            }
    }
    if (L.error.empty() && opt.check_races) {
        SrcLoc where{nullptr, 0};
        std::string r = detail::race_check(L, where);
        if (!r.empty())
            L.error = KernelError(where, "GM write", "overlapping non-atomic GM writes from two cores", r).what();
    }
    rep.ok = L.error.empty();
    rep.error = L.error;
    rep.deadlock = L.deadlock;
    rep.error_core = L.error_core;
    for (auto& c : L.cores) {
        rep.cores.push_back(CoreReport{c->core_id, c->is_aic, c->block_idx, c->sub_block_idx, c->counters});
        rep.total += c->counters;
    }
    return finish(rep);
}

template <class F, class... Args> inline LaunchReport launch(const LaunchOptions& opt, F&& kernel, Args&&... args) {
    return launch_body(opt, [&] { kernel(args...); });
}

// ---- CANN CPU-debug interface state ------------------------------------------------------------
struct IcpuState {
    int kernel_mode = 0;  // KernelMode::MIX_MODE
    uint64_t tiling_key = 0;
    bool tiling_key_set = false;
    std::string soc;
};
inline IcpuState& icpu_state() {
    static IcpuState s;
    return s;
}
// SoC used by ICPU_RUN_KF: set_icpu_soc(), else the TWIN_SOC environment variable, else ascend910b.
inline void set_icpu_soc(const char* name) { icpu_state().soc = name ? name : ""; }
inline std::string icpu_soc() {
    if (!icpu_state().soc.empty()) return icpu_state().soc;
    const char* e = std::getenv("TWIN_SOC");
    return (e && *e) ? e : kDefaultSoc;
}

template <class A> inline void icpu_check_arg(const char* kernel, int i, const A& a) {
    if constexpr (std::is_pointer_v<A>) {
        if (a != nullptr && gm_find(reinterpret_cast<uintptr_t>(a)).end == 0) {
            std::fprintf(stderr, "twin: ICPU_RUN_KF(%s): argument %d (%p) is not memory from GmAlloc\n", kernel, i,
                         static_cast<const void*>(a));
            std::exit(2);
        }
    }
}

template <class F, class... Args>
inline void icpu_run_kf(const char* name, const char* file, unsigned line, F&& kernel, uint64_t numBlocks,
                        Args&&... args) {
    int i = 0;
    (icpu_check_arg(name, i++, args), ...);
    LaunchOptions o;
    o.soc = icpu_soc();
    int km = icpu_state().kernel_mode;
    o.mode = km == 2 ? Mode::AIV_ONLY : km == 1 ? Mode::AIC_ONLY : Mode::MIX_1_2;
    o.numBlocks = int(numBlocks);
    o.tiling_key = icpu_state().tiling_key;
    o.kernel_name = name;
    LaunchReport r = launch(o, kernel, args...);
    if (!r.ok) {
        std::fprintf(stderr, "twin: ICPU_RUN_KF(%s) at %s:%u failed:\n%s\n", name, file, line, r.error.c_str());
        std::fflush(stderr);
        std::exit(r.deadlock ? 3 : 2);
    }
    if (std::getenv("TWIN_PRINT_COUNTERS")) std::fputs(r.summary().c_str(), stdout);
}

}  // namespace twin

enum class KernelMode { MIX_MODE = 0, AIC_MODE, AIV_MODE };

namespace AscendC {

using ::KernelMode;

// Shared memory for kernel arguments (CANN maps a /tmp file; the twin allocates 64-byte aligned,
// zero-filled memory and registers it as GM).
inline void* GmAlloc(size_t size) {
    size_t rounded = (size + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!p) return nullptr;
    std::memset(p, 0, rounded ? rounded : 64);
    twin::gm_register(p, size, true);
    return p;
}
inline void GmFree(void* ptr) {
    if (!ptr) return;
    if (!twin::gm_unregister(ptr)) {
        std::fprintf(stderr, "twin: GmFree(%p): pointer was not returned by GmAlloc\n", ptr);
        std::exit(2);
    }
    std::free(ptr);
}
inline void SetKernelMode(KernelMode mode) { twin::icpu_state().kernel_mode = int(mode); }

}  // namespace AscendC

#define ICPU_SET_TILING_KEY(key)                                       \
    do {                                                               \
        ::twin::icpu_state().tiling_key = static_cast<uint64_t>(key);  \
        ::twin::icpu_state().tiling_key_set = true;                    \
    } while (0)
#define ICPU_RUN_KF(func, numBlocks, ...) \
    ::twin::icpu_run_kf(#func, __FILE__, __LINE__, func, (numBlocks), ##__VA_ARGS__)
