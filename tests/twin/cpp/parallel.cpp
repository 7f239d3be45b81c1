// Cores on host threads: `parallel <case> [outdir]`, run by the test with TWIN_THREADS = 1, 2, 8.
//   atomic_float  8 AIV cores atomically add float vectors whose sum depends on the order into one GM
//                 vector, SyncAll, then block 0 reads the sum back and copies it out: writes z.bin (the
//                 accumulated vector) and y.bin (block 0's read-back).
//   fail_many     4 AIV cores, blocks 1-3 break different rules: the launch reports block 1's error.
//   mmad <m> <n> <k> <dtype> <acc>  one AIC: A (m x k) @ B (k x n) through Nd2Nz, LoadData, Mmad, Fixpipe;
//                 acc = 1 runs the Mmad twice with cmatrixInitVal = false on the second; writes a.bin,
//                 b.bin, c.bin.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernel_operator.h"

using namespace AscendC;

static std::string g_case, g_dir;
constexpr int N = 256, BLOCKS = 8;

static void dump(const char* name, const void* p, size_t n) {
    std::FILE* f = std::fopen((g_dir + "/" + name).c_str(), "wb");
    if (!f) return;
    std::fwrite(p, 1, n, f);
    std::fclose(f);
}

extern "C" __global__ __aicore__ void par_kernel(GM_ADDR z, GM_ADDR y) {
    const int b = int(GetBlockIdx());
    GlobalTensor<float> zg, yg;
    zg.SetGlobalBuffer((__gm__ float*)z, N);
    yg.SetGlobalBuffer((__gm__ float*)y, N);
    TPipe pipe;
    TBuf<TPosition::VECCALC> tb;
    pipe.InitBuffer(tb, N * sizeof(float));
    LocalTensor<float> t = tb.Get<float>();
    if (g_case == "atomic_float") {
        // Core b adds (odd cores: 1e8, even cores: 1 + i / 1024) so float rounding depends on the order.
        Duplicate(t, b % 2 ? 1.0e8f : 1.0f, N);
        PipeBarrier<PIPE_V>();
        Adds(t, t, float(b) * 0.001f, N);
        SetFlag<HardEvent::V_MTE3>(0);
        WaitFlag<HardEvent::V_MTE3>(0);
        SetAtomicAdd<float>();
        DataCopy(zg, t, N);
        SetAtomicNone();
        SyncAll<true>();
        if (b == 0) {
            DataCopy(t, zg, N);
            SetFlag<HardEvent::MTE2_MTE3>(0);
            WaitFlag<HardEvent::MTE2_MTE3>(0);
            DataCopy(yg, t, N);
        }
    } else if (g_case == "fail_many") {
        if (b == 3) DataCopy(t[1], zg, N / 2);  // @fail:3
        if (b == 2) DataCopy(t, zg, 7);  // @fail:2
        if (b == 1) DataCopy(t, zg, 2 * N);  // @fail:1
    }
}

template <class TA, class TC> static void mmad_case(int m, int n, int k, bool acc) {
    const int k0 = 32 / sizeof(TA), mp = (m + 15) / 16 * 16, np = (n + 15) / 16 * 16, kp = (k + k0 - 1) / k0 * k0;
    TA* a = (TA*)GmAlloc(size_t(m) * k * sizeof(TA));
    TA* bt = (TA*)GmAlloc(size_t(n) * k * sizeof(TA));  // B^T (n x k): Nd2Nz of it is B's Zn layout
    TC* c = (TC*)GmAlloc(size_t(m) * n * sizeof(TC));
    uint32_t s = 99;
    auto rnd = [&s] {
        s = s * 1664525u + 1013904223u;
        return float(int((s >> 9) % 2001) - 1000) / (sizeof(TA) == 1 ? 8.0f : 97.0f);
    };
    for (int i = 0; i < m * k; ++i) a[i] = TA(rnd());
    for (int i = 0; i < n * k; ++i) bt[i] = TA(rnd());
    twin::LaunchOptions o;
    o.mode = twin::Mode::AIC_ONLY;
    auto r = twin::launch_body(o, [&] {
        TPipe pipe;
        TBuf<TPosition::A1> l1a, l1b;
        TBuf<TPosition::A2> l0a;
        TBuf<TPosition::B2> l0b;
        TBuf<TPosition::CO1> l0c;
        pipe.InitBuffer(l1a, mp * kp * sizeof(TA));
        pipe.InitBuffer(l1b, np * kp * sizeof(TA));
        pipe.InitBuffer(l0a, mp * kp * sizeof(TA));
        pipe.InitBuffer(l0b, np * kp * sizeof(TA));
        pipe.InitBuffer(l0c, mp * np * sizeof(TC));
        GlobalTensor<TA> ga, gb;
        GlobalTensor<TC> gc;
        ga.SetGlobalBuffer(a, m * k);
        gb.SetGlobalBuffer(bt, n * k);
        gc.SetGlobalBuffer(c, m * n);
        LocalTensor<TA> a1 = l1a.Get<TA>(), b1 = l1b.Get<TA>(), a2 = l0a.Get<TA>(), b2 = l0b.Get<TA>();
        LocalTensor<TC> c1 = l0c.Get<TC>();
        DataCopy(a1, ga, Nd2NzParams(1, m, k, 0, k, mp, 1, 0));
        DataCopy(b1, gb, Nd2NzParams(1, n, k, 0, k, np, 1, 0));
        SetFlag<HardEvent::MTE2_MTE1>(0);
        WaitFlag<HardEvent::MTE2_MTE1>(0);
        const int M1 = mp / 16, K1 = kp / k0, N1 = np / 16;
        for (int mb = 0; mb < M1; ++mb) LoadData(a2[mb * K1 * (512 / sizeof(TA))], a1, LoadData2DParams(mb, K1, M1, 0, 0, false, 0));
        LoadData(b2, b1, LoadData2DParams(0, K1 * N1, 1, 0, 0, false, 0));
        SetFlag<HardEvent::MTE1_M>(0);
        WaitFlag<HardEvent::MTE1_M>(0);
        Mmad(c1, a2, b2, MmadParams(m, n, k, false, 0, false, false, false));
        if (acc) {
            MmadParams p2(m, n, k, false, 0, false, false, false);
            p2.cmatrixInitVal = false;
            Mmad(c1, a2, b2, p2);
        }
        SetFlag<HardEvent::M_FIX>(0);
        WaitFlag<HardEvent::M_FIX>(0);
        Fixpipe(gc, c1, FixpipeParamsV220(n, m, mp, n, false));
    });
    if (!r.ok) {
        std::printf("%s\n", r.error.c_str());
        std::exit(1);
    }
    dump("a.bin", a, size_t(m) * k * sizeof(TA));
    dump("bt.bin", bt, size_t(n) * k * sizeof(TA));
    dump("c.bin", c, size_t(m) * n * sizeof(TC));
}

int main(int argc, char** argv) {
    g_case = argc > 1 ? argv[1] : "";
    g_dir = argc > 2 ? argv[2] : ".";
    if (g_case == "mmad") {
        int m = std::atoi(argv[3]), n = std::atoi(argv[4]), k = std::atoi(argv[5]);
        std::string dt = argv[6];
        bool acc = std::atoi(argv[7]) != 0;
        if (dt == "int8") mmad_case<int8_t, int32_t>(m, n, k, acc);
        else if (dt == "bfloat16") mmad_case<bfloat16_t, float>(m, n, k, acc);
        else mmad_case<half, float>(m, n, k, acc);
        std::printf("kernel finished\n");
        return 0;
    }
    float* z = (float*)GmAlloc(N * sizeof(float));
    float* y = (float*)GmAlloc(N * sizeof(float));
    SetKernelMode(KernelMode::AIV_MODE);
    ICPU_RUN_KF(par_kernel, BLOCKS, (uint8_t*)z, (uint8_t*)y);
    std::printf("%s", twin::last_report().summary().c_str());
    dump("z.bin", z, N * sizeof(float));
    dump("y.bin", y, N * sizeof(float));
    std::printf("kernel finished\n");
    return 0;
}
