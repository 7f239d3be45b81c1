// Load3Dv2 with padding and into L0B, as the DSA kernels use it (checked by tests/twin/test_load3d_pad.py):
//   load3d_pad <outdir>
// * indexer pattern: A (40 x 64 half) in L1 as l1W = 16, l1H = 3 with padList = {0, 0, 0, 255} -> L0A;
//   sparse-attention pattern: B (64 x 32 half) in L1 as l1W = 16, l1H = 4, padList[3] = 255, loaded into
//   L0B with enTranspose = 1 (B2 is Zn); C = A x B through Mmad and Fixpipe.
// * padding values: a 2 x 3 feature map of 16 channels with padList = {1, 1, 1, 0} read whole into L0A, the
//   pad value from the parameters, then from SetLoadDataPaddingValue (isSetPadding = false).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "kernel_operator.h"

using namespace AscendC;

static std::string g_out;
template <class T> static void dump(const std::string& name, const T* p, size_t n) {
    std::ofstream(g_out + "/" + name + ".bin", std::ios::binary).write(reinterpret_cast<const char*>(p), n * sizeof(T));
}
static constexpr IsResetLoad3dConfig kPadFromSet = {true, false};

extern "C" __global__ __aicore__ void kernel(GM_ADDR ga, GM_ADDR gb, GM_ADDR gc, GM_ADDR gf) {
    constexpr int M = 40, K = 64, N = 32, Mp = 48;
    TPipe pipe;
    TBuf<TPosition::A1> a1;
    TBuf<TPosition::B1> b1;
    TBuf<TPosition::A2> a2;
    TBuf<TPosition::B2> b2;
    TBuf<TPosition::CO1> co1;
    pipe.InitBuffer(a1, Mp * K * 2);
    pipe.InitBuffer(b1, K * N * 2);
    pipe.InitBuffer(a2, Mp * K * 2);
    pipe.InitBuffer(b2, K * N * 2);
    pipe.InitBuffer(co1, Mp * N * 4);
    GlobalTensor<half> A, B;
    A.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(ga), M * K);
    B.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(gb), K * N);
    auto al1 = a1.Get<half>();
    auto bl1 = b1.Get<half>();
    DataCopy(al1, A, Nd2NzParams(1, M, K, 0, K, Mp, 1, 0));
    DataCopy(bl1, B, Nd2NzParams(1, K, N, 0, N, K, 1, 0));
    PipeBarrier<PIPE_ALL>();  // MTE2 -> MTE1
    LoadData3DParamsV2<half> pa;
    pa.l1H = Mp / 16; pa.l1W = 16; pa.channelSize = K;
    pa.padList[3] = 255;
    pa.mExtension = Mp; pa.kExtension = K;
    auto al0 = a2.Get<half>();
    LoadData(al0, al1, pa);
    LoadData3DParamsV2<half> pb;
    pb.l1H = K / 16; pb.l1W = 16; pb.channelSize = N;
    pb.padList[3] = 255;
    pb.mExtension = K; pb.kExtension = N; pb.enTranspose = true;
    auto bl0 = b2.Get<half>();
    LoadData(bl0, bl1, pb);
    PipeBarrier<PIPE_ALL>();  // MTE1 -> M
    auto c = co1.Get<float>();
    Mmad(c, al0, bl0, MmadParams(M, N, K, false, 0, false, false, false));
    PipeBarrier<PIPE_ALL>();  // M -> FIX, and the L1/L0A buffers are reused below
    GlobalTensor<float> C;
    C.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gc), M * N);
    Fixpipe(C, c, FixpipeParamsV220(N, M, Mp, N, false));

    // Padding values: feature map h x w = 2 x 3, 16 channels, padList = {left 1, right 1, top 1, bottom 0}.
    GlobalTensor<half> F;
    F.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(gf), 6 * 16);
    auto fl1 = a1.Get<half>();
    DataCopy(fl1, F, Nd2NzParams(1, 6, 16, 0, 16, 6, 1, 0));
    PipeBarrier<PIPE_ALL>();
    LoadData3DParamsV2<half> pp;
    pp.l1H = 2; pp.l1W = 3; pp.channelSize = 16;
    pp.padList[0] = 1; pp.padList[1] = 1; pp.padList[2] = 1;
    pp.mExtension = 15; pp.kExtension = 16;  // (2 + 1) x (3 + 2) = 15 img2col rows, the last fractal
    pp.padValue = half(7.0f);
    auto pl0 = a2.Get<half>();
    LoadData(pl0, fl1, pp);
    PipeBarrier<PIPE_ALL>();
    dump("pad_param", pl0.twin_ptr(), 256);
    SetLoadDataPaddingValue(half(-3.0f));
    LoadData<half, kPadFromSet>(pl0, fl1, pp);  // pp.padValue (7) is not used
    PipeBarrier<PIPE_ALL>();
    dump("pad_set", pl0.twin_ptr(), 256);
}

int main(int argc, char** argv) {
    g_out = argc > 1 ? argv[1] : ".";
    constexpr int M = 40, K = 64, N = 32;
    half* a = static_cast<half*>(GmAlloc(M * K * 2));
    half* b = static_cast<half*>(GmAlloc(K * N * 2));
    float* c = static_cast<float*>(GmAlloc(M * N * 4));
    half* f = static_cast<half*>(GmAlloc(6 * 16 * 2));
    uint32_t s = 99;
    auto rnd = [&s] { s = s * 1664525u + 1013904223u; return float(int((s >> 9) % 33) - 16) / 8.0f; };
    for (int i = 0; i < M * K; ++i) a[i] = half(rnd());
    for (int i = 0; i < K * N; ++i) b[i] = half(rnd());
    for (int i = 0; i < 96; ++i) f[i] = half(float(i + 100));  // never equal to a pad value
    SetKernelMode(KernelMode::AIC_MODE);
    ICPU_RUN_KF(kernel, 1, reinterpret_cast<uint8_t*>(a), reinterpret_cast<uint8_t*>(b), reinterpret_cast<uint8_t*>(c),
                reinterpret_cast<uint8_t*>(f));
    dump("a", a, M * K);
    dump("b", b, K * N);
    dump("c", c, M * N);
    dump("f", f, 96);
    std::printf("done\n");
    return 0;
}
