// Cube-path checks for the twin: Load3Dv2 (img2col) into L0A, LoadDataWithTranspose and LoadData2D
// ifTranspose into L0B, Mmad, and Fixpipe quant / ReLU / NZ-to-L1 / atomic add.
// Usage: ops_cube <outdir> runs every positive case and writes <name>.bin files (inputs and outputs);
//        ops_cube fail <case> runs one deliberately broken kernel and prints the launch error.
// Every matrix travels GM -> (DataCopy Nd2Nz) -> L1 -> L0A/L0B as a real kernel moves it.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "kernel_operator.h"

using namespace AscendC;

static std::string g_out;
template <class T> static void dump(const std::string& name, const T* p, size_t n) {
    std::ofstream f(g_out + "/" + name + ".bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(p), n * sizeof(T));
}

static uint32_t g_seed = 777;
static float rnd() {  // deterministic in [-4, 4)
    g_seed = g_seed * 1664525u + 1013904223u;
    return float((g_seed >> 8) & 0xffff) / 8192.0f - 4.0f;
}
template <class T> static T* gm_matrix(const std::string& name, int rows, int cols, float scale = 1.0f) {
    T* p = static_cast<T*>(GmAlloc(size_t(rows) * cols * sizeof(T)));
    for (int i = 0; i < rows * cols; ++i) {
        float v = rnd() * scale;
        p[i] = sizeof(T) == 1 ? T(float(int(v))) : T(v);
    }
    dump(name, p, size_t(rows) * cols);
    return p;
}
static int up(int x, int a) { return (x + a - 1) / a * a; }

// GM (rows x cols, row-major) -> L1 NZ with C0 = 32 B / sizeof(T) columns per block and `rowsPad` rows per block.
template <class T> static void nd2nz(const LocalTensor<T>& l1, T* gm, int rows, int cols, int rowsPad) {
    GlobalTensor<T> g;
    g.SetGlobalBuffer(gm, uint64_t(rows) * cols);
    Nd2NzParams p(1, rows, cols, 0, cols, rowsPad, 1, 0);
    DataCopy(l1, g, p);
    PipeBarrier<PIPE_ALL>();  // the MTE2 copy completes before the MTE1 loads read L1
}

// B (k x n, row-major in GM) -> L0B Zn through Nd2Nz + a per-fractal transposing load.
enum class BLoad { LOAD2D_TRANSPOSE, WITH_TRANSPOSE };
template <class T> static void load_b_kn(const LocalTensor<T>& l1, const LocalTensor<T>& l0b, T* gm, int k, int n, BLoad how) {
    constexpr int C0 = 32 / sizeof(T);
    int Kp = up(k, 32), N1 = up(n, 16) / 16;  // rows padded so int8 squares (32 rows) stay whole
    std::memset(l1.twin_ptr(), 0, size_t(Kp) * up(n, C0) * sizeof(T));
    nd2nz(l1, gm, k, n, Kp);
    if (sizeof(T) == 2) {
        int K1 = Kp / 16;
        for (int nb = 0; nb < N1; ++nb) {
            if (how == BLoad::LOAD2D_TRANSPOSE)
                for (int kb = 0; kb < K1; ++kb)  // one fractal per call: (kb, nb) -> L0B index kb * N1 + nb
                    LoadData(l0b[(kb * N1 + nb) * 256], l1, LoadData2DParams(uint16_t(nb * K1 + kb), 1, 0, 0, 0, true, 0));
            else
                LoadDataWithTranspose(l0b[nb * 256], l1[nb * K1 * 256],
                                      LoadData2dTransposeParams(0, uint8_t(K1), 1, uint16_t(N1 - 1), 0));
        }
    } else {  // int8: 32 x 32 squares (two 16 x 32 fractals), column block nb32 holds n in [32 nb32, 32 nb32 + 32)
        int K32 = Kp / 32;
        for (int nb32 = 0; nb32 < up(n, 32) / 32; ++nb32)
            LoadDataWithTranspose(l0b[2 * nb32 * 512], l1, LoadData2dTransposeParams(uint16_t(nb32 * K32), uint8_t(K32), 1, uint16_t(N1 - 1), 0));
    }
}

template <class TC> static void fix_out(TC* gm, const LocalTensor<TC>& c, int m, int n) {
    GlobalTensor<TC> g;
    g.SetGlobalBuffer(gm, uint64_t(m) * n);
    Fixpipe(g, c, FixpipeParamsV220(uint16_t(n), uint16_t(m), uint16_t(up(m, 16)), uint32_t(n), false));
}

struct Bufs {
    TPipe pipe;
    TBuf<TPosition::A1> a1;
    TBuf<TPosition::B1> b1;
    TBuf<TPosition::A2> a2;
    TBuf<TPosition::B2> b2;
    TBuf<TPosition::CO1> co1;
    Bufs() {
        PipeBarrier<PIPE_ALL>();  // the previous case's loads and Fixpipes are done with the reused memory
        pipe.InitBuffer(a1, 65536);
        pipe.InitBuffer(b1, 65536);
        pipe.InitBuffer(a2, 32768);
        pipe.InitBuffer(b2, 32768);
        pipe.InitBuffer(co1, 65536);
    }
};

// A: a (Mf x Kf) GM matrix -> L1 feature map (l1H = 1, l1W = rows per NZ block) -> Load3Dv2 window -> L0A.
template <class TA, class TC>
static void matmul_3d(const std::string& tag, int Mf, int Kf, int l1W, int m0, int mE, int k0, int kE, int n, BLoad how) {
    Bufs b;
    TA* A = gm_matrix<TA>(tag + "_a", Mf, Kf, sizeof(TA) == 1 ? 30.0f : 1.0f);
    TA* B = gm_matrix<TA>(tag + "_b", kE, n, sizeof(TA) == 1 ? 30.0f : 1.0f);
    auto a1 = b.a1.Get<TA>();
    nd2nz(a1, A, Mf, Kf, l1W);
    LoadData3DParamsV2<TA> p;
    p.l1H = 1; p.l1W = uint16_t(l1W); p.channelSize = uint16_t(Kf);
    p.mStartPt = uint16_t(m0); p.mExtension = uint16_t(mE); p.kStartPt = uint16_t(k0); p.kExtension = uint16_t(kE);
    auto a2 = b.a2.Get<TA>();
    LoadData(a2, a1, p);
    auto b2 = b.b2.Get<TA>();
    load_b_kn(b.b1.Get<TA>(), b2, B, kE, n, how);
    auto c = b.co1.Get<TC>();
    MmadParams mp;
    mp.m = uint16_t(mE); mp.n = uint16_t(n); mp.k = uint16_t(kE);
    PipeBarrier<PIPE_ALL>();  // LoadData (MTE1) before Mmad (M)
    Mmad(c, a2, b2, mp);
    PipeBarrier<PIPE_ALL>();  // Mmad (M) before Fixpipe (FIX)
    TC* out = static_cast<TC*>(GmAlloc(size_t(mE) * n * sizeof(TC)));
    fix_out(out, c, mE, n);
    dump(tag, out, size_t(mE) * n);
}

static constexpr IsResetLoad3dConfig kFmatrixFromSet = {false, true};

// int8 B given as an (n x k) row-major "key" matrix: Nd2Nz already yields the Zn fractals of B = key^T,
// so a plain LoadData2D moves it (no transpose needed).
static void matmul_int8_keyT() {
    Bufs b;
    const int m = 24, k = 64, n = 40, Mp = 32, Np = 48;
    int8_t* A = gm_matrix<int8_t>("i8key_a", m, k, 30.0f);
    int8_t* Kt = gm_matrix<int8_t>("i8key_k", n, k, 30.0f);
    auto a1 = b.a1.Get<int8_t>();
    std::memset(a1.twin_ptr(), 0, 65536);
    nd2nz(a1, A, m, k, Mp);
    // FeatureMap description from SetFmatrix (isSetFMatrix = false): the l1H/l1W in p are ignored.
    const uint8_t pad[4] = {0, 0, 0, 0};
    SetFmatrix(1, Mp, pad, FmatrixMode::FMATRIX_LEFT);
    LoadData3DParamsV2<int8_t> p;
    p.l1H = 7; p.l1W = 3; p.channelSize = k; p.mExtension = Mp; p.kExtension = k;
    auto a2 = b.a2.Get<int8_t>();
    LoadData<int8_t, kFmatrixFromSet>(a2, a1, p);
    auto b1 = b.b1.Get<int8_t>();
    std::memset(b1.twin_ptr(), 0, 65536);
    nd2nz(b1, Kt, n, k, Np);
    auto b2 = b.b2.Get<int8_t>();
    LoadData(b2, b1, LoadData2DParams(0, uint8_t((k / 32) * (Np / 16)), 1, 0, 0, false, 0));
    auto c = b.co1.Get<int32_t>();
    MmadParams mp;
    mp.m = m; mp.n = n; mp.k = k;
    PipeBarrier<PIPE_ALL>();  // LoadData (MTE1) before Mmad (M)
    Mmad(c, a2, b2, mp);
    PipeBarrier<PIPE_ALL>();  // Mmad (M) before Fixpipe (FIX)
    int32_t* out = static_cast<int32_t*>(GmAlloc(size_t(m) * n * 4));
    fix_out(out, c, m, n);
    dump("i8key", out, size_t(m) * n);
}

// half A stored transposed in GM (k x m): Nd2Nz makes an L1 feature map of K rows x M channels, and
// Load3Dv2 with enTranspose writes its transpose (= A, m x k) to L0A.
static void matmul_half_at() {
    Bufs b;
    const int m = 32, k = 48, n = 32;
    half* At = gm_matrix<half>("ht_at", k, m);
    half* B = gm_matrix<half>("ht_b", k, n);
    auto a1 = b.a1.Get<half>();
    nd2nz(a1, At, k, m, k);
    LoadData3DParamsV2<half> p;
    p.l1H = 1; p.l1W = k; p.channelSize = m; p.mExtension = k; p.kExtension = m; p.enTranspose = true;
    auto a2 = b.a2.Get<half>();
    LoadData(a2, a1, p);
    auto b2 = b.b2.Get<half>();
    load_b_kn(b.b1.Get<half>(), b2, B, k, n, BLoad::WITH_TRANSPOSE);
    auto c = b.co1.Get<float>();
    MmadParams mp;
    mp.m = m; mp.n = n; mp.k = k;
    PipeBarrier<PIPE_ALL>();  // LoadData (MTE1) before Mmad (M)
    Mmad(c, a2, b2, mp);
    PipeBarrier<PIPE_ALL>();  // Mmad (M) before Fixpipe (FIX)
    float* out = static_cast<float*>(GmAlloc(size_t(m) * n * 4));
    fix_out(out, c, m, n);
    dump("ht", out, size_t(m) * n);
}

// Fixpipe variants on one float and one int32 L0C result.
static void fixpipe_cases() {
    Bufs b;
    const int m = 20, k = 32, n = 64, M1 = 2;
    // float C = A(bf16) x B(bf16)
    bfloat16_t* A = gm_matrix<bfloat16_t>("fx_a", m, k);
    bfloat16_t* B = gm_matrix<bfloat16_t>("fx_b", k, n);
    auto a1 = b.a1.Get<bfloat16_t>();
    nd2nz(a1, A, m, k, 32);
    LoadData3DParamsV2<bfloat16_t> p;
    p.l1H = 1; p.l1W = 32; p.channelSize = k; p.mExtension = m; p.kExtension = k;
    auto a2 = b.a2.Get<bfloat16_t>();
    LoadData(a2, a1, p);
    auto b2 = b.b2.Get<bfloat16_t>();
    load_b_kn(b.b1.Get<bfloat16_t>(), b2, B, k, n, BLoad::WITH_TRANSPOSE);
    auto c = b.co1.Get<float>();
    MmadParams mp;
    mp.m = m; mp.n = n; mp.k = k;
    PipeBarrier<PIPE_ALL>();  // LoadData (MTE1) before Mmad (M)
    Mmad(c, a2, b2, mp);
    PipeBarrier<PIPE_ALL>();  // Mmad (M) before Fixpipe (FIX)
    FixpipeParamsV220 fp(uint16_t(n), uint16_t(m), uint16_t(M1 * 16), uint32_t(n), false);
    {  // plain float for the reference
        float* o = static_cast<float*>(GmAlloc(m * n * 4));
        GlobalTensor<float> g; g.SetGlobalBuffer(o, m * n);
        Fixpipe(g, c, fp);
        dump("fx_c", o, m * n);
    }
    {  // F322F16 and F322F16 + ReLU
        half* o = static_cast<half*>(GmAlloc(m * n * 2));
        GlobalTensor<half> g; g.SetGlobalBuffer(o, m * n);
        FixpipeParamsV220 q = fp;
        q.quantPre = QuantMode_t::F322F16;
        Fixpipe(g, c, q);
        dump("fx_f16", o, m * n);
        q.reluEn = true;
        Fixpipe(g, c, q);
        dump("fx_f16_relu", o, m * n);
    }
    {  // F322BF16 + ReLU
        bfloat16_t* o = static_cast<bfloat16_t*>(GmAlloc(m * n * 2));
        GlobalTensor<bfloat16_t> g; g.SetGlobalBuffer(o, m * n);
        FixpipeParamsV220 q = fp;
        q.quantPre = QuantMode_t::F322BF16;
        q.reluEn = true;
        Fixpipe(g, c, q);
        dump("fx_bf16_relu", o, m * n);
    }
    {  // NoQuant + ReLU, dst row stride wider than n (dstStride = 80 elements)
        float* o = static_cast<float*>(GmAlloc(m * 80 * 4));
        for (int i = 0; i < m * 80; ++i) o[i] = -7.0f;
        GlobalTensor<float> g; g.SetGlobalBuffer(o, m * 80);
        FixpipeParamsV220 q = fp;
        q.reluEn = true;
        q.dstStride = 80;
        Fixpipe(g, c, q);
        dump("fx_relu_stride80", o, m * 80);
    }
    {  // atomic add: GM prefilled, two Fixpipes accumulate
        float* o = static_cast<float*>(GmAlloc(m * n * 4));
        for (int i = 0; i < m * n; ++i) o[i] = float(i % 7) - 3.0f;
        GlobalTensor<float> g; g.SetGlobalBuffer(o, m * n);
        SetAtomicAdd<float>();
        Fixpipe(g, c, fp);
        Fixpipe(g, c, fp);
        SetAtomicNone();
        dump("fx_atomic", o, m * n);
    }
    {  // NZ output to L1 (CFG_NZ): fractal column j at j * dstStride * 32 B, rows of 16 elements
        auto l1 = b.a1.Get<float>()[8192];  // upper half of the A1 buffer
        std::memset(l1.twin_ptr(), 0, 32768);
        FixpipeParamsV220 q(uint16_t(n), uint16_t(m), uint16_t(M1 * 16), uint32_t(48), false);  // 48 x 32 B between column blocks
        Fixpipe<float, float, CFG_NZ>(l1, c, q);
        dump("fx_nz_l1", l1.twin_ptr(), (n / 16) * 48 * 8);
    }
    // int32 C = A(int8) x B(int8) -> DEQF16
    int8_t* Ai = gm_matrix<int8_t>("fq_a", m, 64, 30.0f);
    int8_t* Bi = gm_matrix<int8_t>("fq_b", 64, n, 30.0f);
    auto a1i = b.a1.Get<int8_t>();
    std::memset(a1i.twin_ptr(), 0, 4096);
    nd2nz(a1i, Ai, m, 64, 32);
    LoadData3DParamsV2<int8_t> pi;
    pi.l1H = 1; pi.l1W = 32; pi.channelSize = 64; pi.mExtension = 32; pi.kExtension = 64;
    auto a2i = b.a2.Get<int8_t>();
    LoadData(a2i, a1i, pi);
    auto b2i = b.b2.Get<int8_t>();
    load_b_kn(b.b1.Get<int8_t>(), b2i, Bi, 64, n, BLoad::WITH_TRANSPOSE);
    auto ci = b.co1.Get<int32_t>();
    mp.k = 64;
    PipeBarrier<PIPE_ALL>();  // LoadData (MTE1) before Mmad (M)
    Mmad(ci, a2i, b2i, mp);
    PipeBarrier<PIPE_ALL>();  // Mmad (M) before Fixpipe (FIX)
    {
        int32_t* o = static_cast<int32_t*>(GmAlloc(m * n * 4));
        GlobalTensor<int32_t> g; g.SetGlobalBuffer(o, m * n);
        Fixpipe(g, ci, fp);
        dump("fq_c", o, m * n);
    }
    half* o = static_cast<half*>(GmAlloc(m * n * 2));
    GlobalTensor<half> g; g.SetGlobalBuffer(o, m * n);
    auto bits = [](float f) { uint32_t u; std::memcpy(&u, &f, 4); return uint64_t(u); };
    FixpipeParamsV220 q = fp;
    q.quantPre = QuantMode_t::DEQF16;
    q.deqScalar = bits(1.0f / 1024.0f);
    Fixpipe(g, ci, q);
    dump("fq_deq_1_1024", o, m * n);
    q.deqScalar = bits(0.0123f);  // not representable in 10 mantissa bits: truncated
    q.reluEn = true;
    Fixpipe(g, ci, q);
    dump("fq_deq_0123_relu", o, m * n);
    SetFixpipePreQuantFlag(bits(0.0371f));
    q.deqScalar = 0;
    q.reluEn = false;
    Fixpipe(g, ci, q);
    dump("fq_deq_flag_0371", o, m * n);
    // VDEQF16: one scale per output column, from a uint64 quant tensor moved GM -> L1 (C1)
    TBuf<TPosition::C1> qbuf;
    b.pipe.InitBuffer(qbuf, 1024);
    uint64_t* qgm = static_cast<uint64_t*>(GmAlloc(n * 8));
    std::vector<float> scales(n);
    for (int j = 0; j < n; ++j) {
        scales[j] = (j % 3 == 0 ? -1.0f : 1.0f) * (0.001f + 0.00137f * float(j));
        qgm[j] = bits(scales[j]);
    }
    dump("fq_vdeq_scales", scales.data(), n);
    GlobalTensor<uint64_t> qg;
    qg.SetGlobalBuffer(qgm, n);
    auto ql1 = qbuf.Get<uint64_t>();
    DataCopy(ql1, qg, uint32_t(n));
    PipeBarrier<PIPE_ALL>();  // the quant tensor (MTE2) before Fixpipe (FIX) reads it
    q.quantPre = QuantMode_t::VDEQF16;
    q.reluEn = false;
    Fixpipe(g, ci, ql1, q);
    dump("fq_vdeq", o, m * n);
    q.reluEn = true;
    Fixpipe(g, ci, ql1, q);
    dump("fq_vdeq_relu", o, m * n);
}

static void cube_kernel() {
    matmul_3d<half, float>("h3d", 40, 64, 48, 0, 40, 0, 64, 48, BLoad::WITH_TRANSPOSE);
    matmul_3d<bfloat16_t, float>("b3d_win", 64, 96, 64, 16, 32, 32, 48, 40, BLoad::LOAD2D_TRANSPOSE);
    matmul_3d<bfloat16_t, float>("b3d_tail", 40, 64, 40, 32, 8, 16, 48, 24, BLoad::WITH_TRANSPOSE);
    matmul_3d<int8_t, int32_t>("i3d_win", 48, 128, 48, 16, 32, 64, 64, 64, BLoad::WITH_TRANSPOSE);
    matmul_int8_keyT();
    matmul_half_at();
    fixpipe_cases();
}

// --- deliberately broken kernels, one per rule ---
static void fail_kernel(std::string which) {
    Bufs b;
    auto a1 = b.a1.Get<half>();
    auto a2 = b.a2.Get<half>();
    LoadData3DParamsV2<half> p;
    p.l1H = 1; p.l1W = 32; p.channelSize = 64; p.mExtension = 32; p.kExtension = 64;
    if (which == "l3d_stride") p.strideW = 2;
    if (which == "l3d_kstart") { p.kStartPt = 8; p.kExtension = 16; }
    if (which == "l3d_mwin") { p.mStartPt = 16; p.mExtension = 32; }
    if (which == "l3d_channel") p.channelSize = 60;
    if (which == "l3d_msub") { p.l1W = 64; p.mExtension = 20; }
    if (which == "l3d_transpose_bf16") {
        LoadData3DParamsV2<bfloat16_t> q;
        q.l1H = 1; q.l1W = 32; q.channelSize = 64; q.mExtension = 32; q.kExtension = 64; q.enTranspose = true;
        LoadData(b.a2.Get<bfloat16_t>(), b.a1.Get<bfloat16_t>(), q);
        return;
    }
    if (which == "ldt_overlap") {
        LoadDataWithTranspose(b.b2.Get<int8_t>(), b.b1.Get<int8_t>(), LoadData2dTransposeParams(0, 2, 1, 0, 0));
        return;
    }
    if (which == "fix_quant") {
        auto c = b.co1.Get<float>();
        int8_t* o = static_cast<int8_t*>(GmAlloc(256));
        GlobalTensor<int8_t> g; g.SetGlobalBuffer(o, 256);
        FixpipeParamsV220 q(16, 16, 16, 16, false);
        q.quantPre = QuantMode_t::QF322B8_PRE;
        Fixpipe(g, c, q);
        return;
    }
    if (which == "l3d_no_fmatrix") { LoadData<half, kFmatrixFromSet>(a2, a1, p); return; }
    if (which == "fix_vdeq_no_tensor") {
        auto c = b.co1.Get<int32_t>();
        half* o = static_cast<half*>(GmAlloc(512));
        GlobalTensor<half> g; g.SetGlobalBuffer(o, 256);
        FixpipeParamsV220 q(16, 16, 16, 16, false);
        q.quantPre = QuantMode_t::VDEQF16;
        Fixpipe(g, c, q);
        return;
    }
    LoadData(a2, a1, p);
}

int main(int argc, char** argv) {
    twin::LaunchOptions opt;
    opt.mode = twin::Mode::AIC_ONLY;
    if (argc >= 3 && std::string(argv[1]) == "fail") {
        auto rep = twin::launch(opt, fail_kernel, std::string(argv[2]));
        std::printf("%s\n", rep.ok ? "OK" : rep.error.c_str());
        return 0;
    }
    g_out = argv[1];
    auto r = twin::launch(opt, cube_kernel);
    if (!r.ok) { std::printf("cube: %s\n", r.error.c_str()); return 1; }
    std::printf("%s", r.summary().c_str());
    return 0;
}
