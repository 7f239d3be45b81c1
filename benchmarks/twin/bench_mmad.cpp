// Mmad throughput of the twin on one host core: `bench_mmad [reps]` prints GMAC/s for
// 128 x 128 x 256 int8 -> int32 and bfloat16 -> float Mmads (operands already in L0A/L0B).
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>

#include "kernel_operator.h"

using namespace AscendC;

constexpr int M = 128, N = 128, K = 256;

template <class TA, class TC> static double gmacs(const char* name, int reps) {
    TA* a = (TA*)GmAlloc(size_t(M) * K * sizeof(TA));
    TA* b = (TA*)GmAlloc(size_t(K) * N * sizeof(TA));
    for (int i = 0; i < M * K; ++i) a[i] = TA(float((i * 7) % 19) - 9.0f);
    for (int i = 0; i < K * N; ++i) b[i] = TA(float((i * 5) % 17) - 8.0f);
    double secs = 0, cpu = 0;
    twin::LaunchOptions o;
    o.mode = twin::Mode::AIC_ONLY;
    auto r = twin::launch_body(o, [&] {
        TPipe pipe;
        TBuf<TPosition::A1> l1a, l1b;
        TBuf<TPosition::A2> l0a;
        TBuf<TPosition::B2> l0b;
        TBuf<TPosition::CO1> l0c;
        pipe.InitBuffer(l1a, M * K * sizeof(TA));
        pipe.InitBuffer(l1b, K * N * sizeof(TA));
        pipe.InitBuffer(l0a, M * K * sizeof(TA));
        pipe.InitBuffer(l0b, K * N * sizeof(TA));
        pipe.InitBuffer(l0c, M * N * sizeof(TC));
        GlobalTensor<TA> ga, gb;
        ga.SetGlobalBuffer(a, M * K);
        gb.SetGlobalBuffer(b, K * N);
        LocalTensor<TA> a1 = l1a.Get<TA>(), b1 = l1b.Get<TA>(), a2 = l0a.Get<TA>(), b2 = l0b.Get<TA>();
        LocalTensor<TC> c = l0c.Get<TC>();
        DataCopy(a1, ga, M * K);  // fractal order is irrelevant for timing
        DataCopy(b1, gb, K * N);
        SetFlag<HardEvent::MTE2_MTE1>(0);
        WaitFlag<HardEvent::MTE2_MTE1>(0);
        LoadData(a2, a1, LoadData2DParams(0, uint8_t(M * K * sizeof(TA) / 512), 1, 0, 0, false, 0));
        LoadData(b2, b1, LoadData2DParams(0, uint8_t(K * N * sizeof(TA) / 512), 1, 0, 0, false, 0));
        SetFlag<HardEvent::MTE1_M>(0);
        WaitFlag<HardEvent::MTE1_M>(0);
        auto t0 = std::chrono::steady_clock::now();
        timespec c0, c1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        for (int i = 0; i < reps; ++i) Mmad(c, a2, b2, MmadParams(M, N, K, false, 0, false, false, false));
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        cpu = double(c1.tv_sec - c0.tv_sec) + 1e-9 * double(c1.tv_nsec - c0.tv_nsec);
    });
    GmFree(a);
    GmFree(b);
    if (!r.ok) {
        std::printf("%s: %s\n", name, r.error.c_str());
        std::exit(1);
    }
    // Per host core: MACs per second of the running thread's CPU time (wall time on a busy host counts
    // other processes' turns too; both are printed).
    double g = double(reps) * M * N * K / cpu / 1e9, gw = double(reps) * M * N * K / secs / 1e9;
    std::printf("Mmad %-9s %dx%dx%d: %6.2f GMAC/s per host core (thread CPU time %.3f s; wall %.3f s = %.2f GMAC/s) for %d Mmads\n",
                name, M, N, K, g, cpu, secs, gw, reps);
    return g;
}

int main(int argc, char** argv) {
    int reps = argc > 1 ? std::atoi(argv[1]) : 50;
    gmacs<int8_t, int32_t>("int8", reps);
    gmacs<bfloat16_t, float>("bfloat16", reps);
    gmacs<half, float>("float16", reps);
    return 0;
}
