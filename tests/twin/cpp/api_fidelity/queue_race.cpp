// Queue and GM-write fidelity of the twin (issue "Twin fidelity"):
//   queue_race <case> [outdir]
// * cols_fixpipe: 4 AICs each compute one 32-column block of C = A x B (A 32 x 32, B 32 x 128, half) and
//   write it with one Fixpipe whose rows are strided (dstStride = 128): disjoint bytes, no race. Writes C.
// * cols_fixpipe_same: every AIC writes column block 0: a real race, reported at the Fixpipe.
// * cols_datacopy: 4 AIVs each write one 8-float column block of an 8 x 32 matrix with a strided DataCopy.
// * scratch: the documented VECCALC scratch pattern (AllocTensor -> use -> FreeTensor, no EnQue/DeQue).
// * uaf_*: a tensor used after its FreeTensor (vector read, vector write, GetValue, DataCopy, view, EnQue,
//   reallocation of the buffer); free_enque: FreeTensor of an enqueued buffer. Each line is marked @uaf:<case>.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "kernel_operator.h"

using namespace AscendC;

static std::string g_case, g_out;
constexpr int M = 32, K = 32, N = 128, NB = 32;

extern "C" __global__ __aicore__ void cols_fixpipe(GM_ADDR a, GM_ADDR bt, GM_ADDR c) {
    TPipe pipe;
    TBuf<TPosition::A1> a1;
    TBuf<TPosition::B1> b1;
    TBuf<TPosition::A2> a2;
    TBuf<TPosition::B2> b2;
    TBuf<TPosition::CO1> co1;
    pipe.InitBuffer(a1, M * K * 2);
    pipe.InitBuffer(b1, NB * K * 2);
    pipe.InitBuffer(a2, M * K * 2);
    pipe.InitBuffer(b2, NB * K * 2);
    pipe.InitBuffer(co1, M * NB * 4);
    int blk = int(GetBlockIdx());
    int col = g_case == "cols_fixpipe_same" ? 0 : blk;
    GlobalTensor<half> ga, gb;
    ga.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(a), M * K);
    // B is kept transposed in GM (N x K, row-major): rows [32 col, 32 col + 32) are this block's columns.
    gb.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(bt) + col * NB * K, NB * K);
    auto al1 = a1.Get<half>();
    auto bl1 = b1.Get<half>();
    DataCopy(al1, ga, Nd2NzParams(1, M, K, 0, K, M, 1, 0));
    DataCopy(bl1, gb, Nd2NzParams(1, NB, K, 0, K, NB, 1, 0));
    SetFlag<HardEvent::MTE2_MTE1>(0);
    WaitFlag<HardEvent::MTE2_MTE1>(0);
    LoadData3DParamsV2<half> p;
    p.l1H = 1; p.l1W = M; p.channelSize = K; p.mExtension = M; p.kExtension = K;
    auto al0 = a2.Get<half>();
    auto bl0 = b2.Get<half>();
    LoadData(al0, al1, p);
    LoadData(bl0, bl1, LoadData2DParams(0, uint8_t((K / 16) * (NB / 16)), 1, 0, 0, false, 0));
    SetFlag<HardEvent::MTE1_M>(0);
    WaitFlag<HardEvent::MTE1_M>(0);
    auto cl0 = co1.Get<float>();
    Mmad(cl0, al0, bl0, MmadParams(M, NB, K, false, 0, false, false, false));
    SetFlag<HardEvent::M_FIX>(0);
    WaitFlag<HardEvent::M_FIX>(0);
    GlobalTensor<float> gc;
    gc.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(c) + col * NB, M * N - col * NB);
    Fixpipe(gc, cl0, FixpipeParamsV220(NB, M, M, N, false));  // @race:cols_fixpipe_same
}

extern "C" __global__ __aicore__ void cols_datacopy(GM_ADDR y) {
    TPipe pipe;
    TBuf<TPosition::VECCALC> tb;
    pipe.InitBuffer(tb, 8 * 8 * 4);
    auto u = tb.Get<float>();
    int blk = int(GetBlockIdx());
    Duplicate(u, float(blk + 1), 64);
    SetFlag<HardEvent::V_MTE3>(0);
    WaitFlag<HardEvent::V_MTE3>(0);
    GlobalTensor<float> g;
    g.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(y) + blk * 8, 8 * 32 - blk * 8);
    DataCopy(g, u, DataCopyParams(8, 1, 0, 3));  // 8 rows of 32 B, 96 B skipped between rows
}

extern "C" __global__ __aicore__ void queue_kernel(GM_ADDR x, GM_ADDR y) {
    const std::string& c = g_case;
    TPipe pipe;
    TQue<TPosition::VECCALC, 1> calc;
    TQue<TPosition::VECIN, 1> in;
    TQue<TPosition::VECOUT, 1> out;
    pipe.InitBuffer(calc, 1, 256);
    pipe.InitBuffer(in, 1, 256);
    pipe.InitBuffer(out, 1, 256);
    GlobalTensor<float> gx, gy;
    gx.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(x), 64);
    gy.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(y), 64);
    if (c == "scratch") {
        // y = 2 * x + 1 with a scratch tensor from a VECCALC queue, twice (the buffer is reused).
        for (int round = 0; round < 2; ++round) {
            LocalTensor<float> xs = in.AllocTensor<float>();
            DataCopy(xs, gx, 64);
            in.EnQue(xs);
            xs = in.DeQue<float>();
            LocalTensor<float> tmp = calc.AllocTensor<float>();
            Muls(tmp, xs, 2.0f, 64);
            LocalTensor<float> ys = out.AllocTensor<float>();
            Adds(ys, tmp, float(round + 1), 64);
            calc.FreeTensor(tmp);
            in.FreeTensor(xs);
            out.EnQue(ys);
            ys = out.DeQue<float>();
            DataCopy(gy, ys, 64);
            out.FreeTensor(ys);
        }
        return;
    }
    LocalTensor<float> t = calc.AllocTensor<float>();
    Duplicate(t, 1.0f, 64);
    PipeBarrier<PIPE_ALL>();  // the cases below read t on other pipes
    LocalTensor<float> view = t[32];
    calc.FreeTensor(t);
    LocalTensor<float> o = out.AllocTensor<float>();
    if (c == "uaf_vec_read") {
        Adds(o, t, 1.0f, 64);  // @uaf:uaf_vec_read
    } else if (c == "uaf_vec_write") {
        Duplicate(t, 2.0f, 64);  // @uaf:uaf_vec_write
    } else if (c == "uaf_getvalue") {
        float v = t.GetValue(0);  // @uaf:uaf_getvalue
        (void)v;
    } else if (c == "uaf_datacopy") {
        DataCopy(gy, t, 64);  // @uaf:uaf_datacopy
    } else if (c == "uaf_view") {
        view.SetValue(0, 3.0f);  // @uaf:uaf_view
    } else if (c == "uaf_enque") {
        calc.EnQue(t);  // @uaf:uaf_enque
    } else if (c == "uaf_realloc") {
        LocalTensor<float> again = calc.AllocTensor<float>();  // the same buffer, handed out again
        Duplicate(again, 5.0f, 64);
        Muls(o, t, 2.0f, 64);  // @uaf:uaf_realloc
    } else if (c == "free_enque") {
        out.EnQue(o);
        out.FreeTensor(o);  // @uaf:free_enque
    }
}

int main(int argc, char** argv) {
    g_case = argc > 1 ? argv[1] : "";
    g_out = argc > 2 ? argv[2] : ".";
    if (g_case == "cols_fixpipe" || g_case == "cols_fixpipe_same") {
        half* a = static_cast<half*>(GmAlloc(M * K * 2));
        half* bt = static_cast<half*>(GmAlloc(N * K * 2));
        float* c = static_cast<float*>(GmAlloc(M * N * 4));
        uint32_t s = 12345;
        auto rnd = [&s] { s = s * 1664525u + 1013904223u; return float(int((s >> 9) % 17) - 8) / 4.0f; };
        for (int i = 0; i < M * K; ++i) a[i] = half(rnd());
        for (int i = 0; i < N * K; ++i) bt[i] = half(rnd());
        SetKernelMode(KernelMode::AIC_MODE);
        ICPU_RUN_KF(cols_fixpipe, 4, reinterpret_cast<uint8_t*>(a), reinterpret_cast<uint8_t*>(bt),
                    reinterpret_cast<uint8_t*>(c));
        std::ofstream(g_out + "/a.bin", std::ios::binary).write(reinterpret_cast<const char*>(a), M * K * 2);
        std::ofstream(g_out + "/bt.bin", std::ios::binary).write(reinterpret_cast<const char*>(bt), N * K * 2);
        std::ofstream(g_out + "/c.bin", std::ios::binary).write(reinterpret_cast<const char*>(c), M * N * 4);
    } else if (g_case == "cols_datacopy") {
        float* y = static_cast<float*>(GmAlloc(8 * 32 * 4));
        SetKernelMode(KernelMode::AIV_MODE);
        ICPU_RUN_KF(cols_datacopy, 4, reinterpret_cast<uint8_t*>(y));
        std::ofstream(g_out + "/y.bin", std::ios::binary).write(reinterpret_cast<const char*>(y), 8 * 32 * 4);
    } else {
        float* x = static_cast<float*>(GmAlloc(64 * 4));
        float* y = static_cast<float*>(GmAlloc(64 * 4));
        for (int i = 0; i < 64; ++i) x[i] = float(i) - 20.5f;
        SetKernelMode(KernelMode::AIV_MODE);
        ICPU_RUN_KF(queue_kernel, 1, reinterpret_cast<uint8_t*>(x), reinterpret_cast<uint8_t*>(y));
        std::ofstream(g_out + "/x.bin", std::ios::binary).write(reinterpret_cast<const char*>(x), 64 * 4);
        std::ofstream(g_out + "/y.bin", std::ios::binary).write(reinterpret_cast<const char*>(y), 64 * 4);
    }
    std::printf("kernel finished\n");
    return 0;
}
