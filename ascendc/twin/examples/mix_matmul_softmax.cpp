// MIX kernel (KERNEL_TYPE_MIX_AIC_1_2) on 24 AI cores: each AIC computes a 32 x 64 tile of
// S = Q @ K^T on the cube (Nd2Nz GM->L1, LoadData L1->L0A/L0B, Mmad, Fixpipe L0C->GM workspace),
// then signals its two AIVs with CrossCoreSetFlag; each AIV applies a scaled row softmax to 16 rows
// (ReduceMax, Adds, Exp, ReduceSum, Muls) and writes P. `mix_matmul_softmax <dir>` also writes
// q.bin, k.bin (fp16) and p.bin (fp32) so the result can be checked with numpy.
//   g++ -std=c++17 -O1 -pthread -I ascendc/twin/include ascendc/twin/examples/mix_matmul_softmax.cpp -o mix
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "kernel_operator.h"

using namespace AscendC;

constexpr int BLOCKS = 24;  // AI cores of an Ascend910B1
constexpr int M = 32;       // query rows per AI core (16 per AIV)
constexpr int N = 64;       // keys
constexpr int D = 64;       // head dim
constexpr int SYNC_S_READY = 0;

struct MixTiling {
    float scale;
};

extern "C" __global__ __aicore__ void mix_matmul_softmax(GM_ADDR q, GM_ADDR k, GM_ADDR p, GM_ADDR workspace,
                                                         GM_ADDR tiling) {
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIC_1_2);
    GET_TILING_DATA_WITH_STRUCT(MixTiling, td, tiling);
    GlobalTensor<float> sGm;  // workspace: one M x N fp32 tile per AI core
    if ASCEND_IS_AIC {
        const int b = int(GetBlockIdx());
        GlobalTensor<half> qGm, kGm;
        qGm.SetGlobalBuffer((__gm__ half*)q + b * M * D, M * D);
        kGm.SetGlobalBuffer((__gm__ half*)k, N * D);
        sGm.SetGlobalBuffer((__gm__ float*)GetUserWorkspace(workspace) + b * M * N, M * N);
        TPipe pipe;
        TBuf<TPosition::A1> qL1, kL1;
        TBuf<TPosition::A2> aL0;
        TBuf<TPosition::B2> bL0;
        TBuf<TPosition::CO1> cL0;
        pipe.InitBuffer(qL1, M * D * sizeof(half));
        pipe.InitBuffer(kL1, N * D * sizeof(half));
        pipe.InitBuffer(aL0, M * D * sizeof(half));
        pipe.InitBuffer(bL0, N * D * sizeof(half));
        pipe.InitBuffer(cL0, M * N * sizeof(float));
        LocalTensor<half> qa = qL1.Get<half>(), ka = kL1.Get<half>(), a2 = aL0.Get<half>(), b2 = bL0.Get<half>();
        LocalTensor<float> c1 = cL0.Get<float>();
        // ND -> NZ: fractal columns of 16 halves, M (resp. N) rows each.
        DataCopy(qa, qGm, Nd2NzParams(1, M, D, 0, D, M, 1, 0));
        DataCopy(ka, kGm, Nd2NzParams(1, N, D, 0, D, N, 1, 0));
        SetFlag<HardEvent::MTE2_MTE1>(0);
        WaitFlag<HardEvent::MTE2_MTE1>(0);
        constexpr int M1 = M / 16, K1 = D / 16, N1 = N / 16;
        for (int mb = 0; mb < M1; ++mb)  // Zz for L0A: the K1 fractals of row block mb, contiguous
            LoadData(a2[mb * K1 * 256], qa, LoadData2DParams(mb, K1, M1, 0, 0, false, 0));
        LoadData(b2, ka, LoadData2DParams(0, K1 * N1, 1, 0, 0, false, 0));  // K in NZ is already Zn
        SetFlag<HardEvent::MTE1_M>(0);
        WaitFlag<HardEvent::MTE1_M>(0);
        Mmad(c1, a2, b2, MmadParams(M, N, D, false, 0, false, false, false));
        SetFlag<HardEvent::M_FIX>(0);
        WaitFlag<HardEvent::M_FIX>(0);
        Fixpipe(sGm, c1, FixpipeParamsV220(N, M, M, N, false));  // NZ -> ND fp32
        CrossCoreSetFlag<2, PIPE_FIX>(SYNC_S_READY);
    }
    if ASCEND_IS_AIV {
        const int b = int(GetBlockIdx()) / 2, sub = int(GetSubBlockIdx());
        constexpr int ROWS = M / 2;
        sGm.SetGlobalBuffer((__gm__ float*)GetUserWorkspace(workspace) + (b * M + sub * ROWS) * N, ROWS * N);
        GlobalTensor<float> pGm;
        pGm.SetGlobalBuffer((__gm__ float*)p + (b * M + sub * ROWS) * N, ROWS * N);
        TPipe pipe;
        TQue<TPosition::VECIN, 1> inQ;
        TQue<TPosition::VECOUT, 1> outQ;
        TBuf<TPosition::VECCALC> tmp, red;
        pipe.InitBuffer(inQ, 2, N * sizeof(float));
        pipe.InitBuffer(outQ, 2, N * sizeof(float));
        pipe.InitBuffer(tmp, N * sizeof(float));
        pipe.InitBuffer(red, 32);
        LocalTensor<float> work = tmp.Get<float>(), r = red.Get<float>();
        CrossCoreWaitFlag(SYNC_S_READY);
        for (int row = 0; row < ROWS; ++row) {
            LocalTensor<float> s = inQ.AllocTensor<float>();
            DataCopy(s, sGm[row * N], N);
            inQ.EnQue(s);
            s = inQ.DeQue<float>();
            LocalTensor<float> y = outQ.AllocTensor<float>();
            Muls(y, s, td.scale, N);
            ReduceMax(r, y, work, N);
            SetFlag<HardEvent::V_S>(0);
            WaitFlag<HardEvent::V_S>(0);
            float mx = r.GetValue(0);
            SetFlag<HardEvent::S_V>(0);
            WaitFlag<HardEvent::S_V>(0);
            Adds(y, y, -mx, N);
            Exp(y, y, N);
            ReduceSum(r, y, work, N);
            SetFlag<HardEvent::V_S>(0);
            WaitFlag<HardEvent::V_S>(0);
            float sum = r.GetValue(0);
            SetFlag<HardEvent::S_V>(0);
            WaitFlag<HardEvent::S_V>(0);
            Muls(y, y, 1.0f / sum, N);
            outQ.EnQue(y);
            inQ.FreeTensor(s);
            y = outQ.DeQue<float>();
            DataCopy(pGm[row * N], y, N);
            outQ.FreeTensor(y);
        }
    }
}

static void dump(const std::string& dir, const char* name, const void* data, size_t bytes) {
    std::FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
    if (!f) return;
    std::fwrite(data, 1, bytes, f);
    std::fclose(f);
}

int main(int argc, char** argv) {
    const int rows = BLOCKS * M;
    half* q = (half*)GmAlloc(rows * D * sizeof(half));
    half* k = (half*)GmAlloc(N * D * sizeof(half));
    float* p = (float*)GmAlloc(rows * N * sizeof(float));
    uint8_t* ws = (uint8_t*)GmAlloc(rows * N * sizeof(float));
    MixTiling* td = (MixTiling*)GmAlloc(sizeof(MixTiling));
    td->scale = 1.0f / std::sqrt(float(D));
    for (int i = 0; i < rows * D; ++i) q[i] = half(std::sin(0.37f * float(i)) * 2.0f);
    for (int i = 0; i < N * D; ++i) k[i] = half(std::cos(0.11f * float(i)) * 2.0f);
    SetKernelMode(KernelMode::MIX_MODE);
    ICPU_RUN_KF(mix_matmul_softmax, BLOCKS, (uint8_t*)q, (uint8_t*)k, (uint8_t*)p, ws, (uint8_t*)td);
    // Double-precision reference from the same fp16 inputs (converted once).
    std::vector<double> qd(rows * D), kd(N * D);
    for (int i = 0; i < rows * D; ++i) qd[i] = double(float(q[i]));
    for (int i = 0; i < N * D; ++i) kd[i] = double(float(k[i]));
    double worst = 0;
    for (int i = 0; i < rows; ++i) {
        double s[N], mx = -1e300, sum = 0;
        for (int j = 0; j < N; ++j) {
            s[j] = 0;
            for (int d = 0; d < D; ++d) s[j] += qd[i * D + d] * kd[j * D + d];
            s[j] *= double(td->scale);
            mx = std::max(mx, s[j]);
        }
        for (int j = 0; j < N; ++j) sum += (s[j] = std::exp(s[j] - mx));
        for (int j = 0; j < N; ++j) worst = std::max(worst, std::fabs(s[j] / sum - double(p[i * N + j])));
    }
    std::printf("%s", twin::last_report().summary().c_str());
    std::printf("mix_matmul_softmax: %d rows x %d keys, max abs error vs fp64 reference %.3g\n", rows, N, worst);
    if (argc > 1) {
        dump(argv[1], "q.bin", q, rows * D * sizeof(half));
        dump(argv[1], "k.bin", k, N * D * sizeof(half));
        dump(argv[1], "p.bin", p, rows * N * sizeof(float));
    }
    GmFree(q);
    GmFree(k);
    GmFree(p);
    GmFree(ws);
    GmFree(td);
    return worst < 1e-5 ? 0 : 1;
}
