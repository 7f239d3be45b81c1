// Vector, Cast, reduction, compare/select, gather, sort and cube checks for the twin.
// Usage: ops_vec <outdir> runs every positive case and writes <name>.bin files (inputs and outputs);
//        ops_vec fail <case> runs one deliberately broken kernel and prints the launch error.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "kernel_operator.h"

using namespace AscendC;

static std::string g_out;
template <class T> static void dump(const char* name, const T* p, size_t n) {
    std::ofstream f(g_out + "/" + name + ".bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(p), n * sizeof(T));
}
template <class T> static void dump_ub(const char* name, const LocalTensor<T>& t, size_t n) { dump(name, t.twin_ptr(), n); }

static uint32_t g_seed = 12345;
static float rnd() {  // deterministic in [-4, 4)
    g_seed = g_seed * 1664525u + 1013904223u;
    return float((g_seed >> 8) & 0xffff) / 8192.0f - 4.0f;
}

static void vec_kernel() {
    TPipe pipe;
    TBuf<TPosition::VECCALC> b0, b1, b2, b3, b4;
    pipe.InitBuffer(b0, 16384);
    pipe.InitBuffer(b1, 16384);
    pipe.InitBuffer(b2, 16384);
    pipe.InitBuffer(b3, 16384);
    pipe.InitBuffer(b4, 16384);
    auto x = b0.Get<float>(), y = b1.Get<float>(), z = b2.Get<float>(), w = b3.Get<float>();
    for (int i = 0; i < 512; ++i) { x.twin_ptr()[i] = rnd(); y.twin_ptr()[i] = rnd() + 5.0f; }
    dump_ub("x", x, 512);
    dump_ub("y", y, 512);
    Add(z, x, y, 300); dump_ub("add", z, 300);
    Sub(z, x, y, 512); dump_ub("sub", z, 512);
    Div(z, x, y, 512); dump_ub("div", z, 512);
    Max(z, x, y, 512); dump_ub("max", z, 512);
    Muls(z, x, 0.5f, 512); dump_ub("muls", z, 512);
    Exp(z, x, 512); dump_ub("exp", z, 512);
    Ln(z, y, 512); dump_ub("ln", z, 512);
    Rsqrt(z, y, 512); dump_ub("rsqrt", z, 512);
    Relu(z, x, 512); dump_ub("relu", z, 512);
    // mask/repeat form with strides: 2 repeats, first 40 elements, src0 block stride 2, dst repeat stride 16 blocks.
    Duplicate(z, 7.0f, 2048);
    Mul(z, x, y, 40, 2, BinaryRepeatParams(1, 2, 1, 16, 16, 8));
    dump_ub("mul_strided", z, 512);
    uint64_t bm[2] = {0xAAAAAAAAAAAAAAAAull, 0};
    Duplicate(z, 7.0f, 2048);
    Adds(z, x, 1.0f, bm, 3, UnaryRepeatParams(1, 1, 8, 8));
    dump_ub("adds_bitmask", z, 512);
    // half arithmetic rounds at each store
    auto xh = b4.Get<half>(), yh = b4.Get<half>()[1024], zh = b4.Get<half>()[2048];
    Cast(xh, x, RoundMode::CAST_NONE, 512);
    Cast(yh, y, RoundMode::CAST_NONE, 512);
    dump_ub("xh", xh, 512);
    dump_ub("yh", yh, 512);
    Mul(zh, xh, yh, 512); dump_ub("mulh", zh, 512);
    // Cast rounding modes float -> half / int32 / bf16
    for (int i = 0; i < 512; ++i) x.twin_ptr()[i] = rnd() * 1000.0f + (i % 5) * 0.25f;
    dump_ub("cx", x, 512);
    const char* mn[] = {"none", "rint", "floor", "ceil", "round", "trunc", "odd"};
    for (int m = 0; m <= 6; ++m) {
        Cast(zh, x, RoundMode(m), 512);
        dump_ub((std::string("cast_f2h_") + mn[m]).c_str(), zh, 512);
        if (m >= 1 && m <= 5) {
            auto zi = z.ReinterpretCast<int32_t>();
            Cast(zi, x, RoundMode(m), 512);
            dump_ub((std::string("cast_f2i_") + mn[m]).c_str(), zi, 512);
            auto zb = b4.Get<bfloat16_t>()[4096];
            Cast(zb, x, RoundMode(m), 512);
            dump_ub((std::string("cast_f2bf_") + mn[m]).c_str(), zb, 512);
        }
    }
    // Reductions
    for (int i = 0; i < 512; ++i) x.twin_ptr()[i] = rnd();
    dump_ub("rx", x, 512);
    ReduceSum(z, x, w, 500); dump_ub("reducesum", z, 1);
    ReduceMax(z, x, w, 500, true); dump_ub("reducemax", z, 2);
    WholeReduceSum(z, x, 64, 8, 1, 1, 8); dump_ub("wholesum", z, 8);
    WholeReduceMax(z, x, 64, 8, 1, 1, 8, ReduceOrder::ORDER_VALUE_INDEX); dump_ub("wholemax", z, 16);
    BlockReduceSum(z, x, 2, 64, 1, 1, 8); dump_ub("blocksum", z, 16);
    // Compare / Select / GatherMask / Gather
    auto cm = b4.Get<uint8_t>();
    for (int i = 0; i < 256; ++i) y.twin_ptr()[i] = rnd();
    dump_ub("sy", y, 256);
    Compare(cm, x, y, CMPMODE::LT, 256); dump_ub("cmp_lt", cm, 32);
    Select(z, cm, x, y, SELMODE::VSEL_TENSOR_TENSOR_MODE, 256); dump_ub("sel", z, 256);
    Select(z, cm, x, 9.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, 256); dump_ub("sel_scalar", z, 256);
    uint64_t rsvd = 0;
    GatherMask(z, x, uint8_t(2), false, 0, GatherMaskParams(1, 2, 8, 0), rsvd);
    dump_ub("gm_odd", z, 64);
    float cnt = float(rsvd); dump("gm_odd_cnt", &cnt, 1);
    auto off = b4.Get<uint32_t>()[2048];
    for (int i = 0; i < 64; ++i) off.twin_ptr()[i] = uint32_t(((i * 37) % 512) * 4);
    Gather(z, x, off, 0, 64); dump_ub("gather", z, 64);
    // Sort32 + MrgSort with ties
    for (int i = 0; i < 128; ++i) { x.twin_ptr()[i] = float(int(rnd() * 2)); off.twin_ptr()[i] = uint32_t(i); }
    dump_ub("sx", x, 128);
    Sort32(y, x, off, 4);
    uint16_t lens[4] = {32, 32, 32, 32};
    MrgSort(w, MrgSortSrcList<float>(y, y[64], y[128], y[192]), MrgSort4Info(lens, false, 15, 1));
    dump_ub("sorted", w, 256);
}

// Cube: A (m x k) and B (k x n) placed in L1 in fractal order, LoadData to L0A/L0B, Mmad, Fixpipe NZ->ND.
template <class TA, class TC> static void cube_case(const char* tag, TC* gm_out, int m, int n, int k) {
    TPipe pipe;
    TBuf<TPosition::A1> l1a;
    TBuf<TPosition::B1> l1b;
    TBuf<TPosition::A2> l0a;
    TBuf<TPosition::B2> l0b;
    TBuf<TPosition::CO1> l0c;
    pipe.InitBuffer(l1a, 32768);
    pipe.InitBuffer(l1b, 32768);
    pipe.InitBuffer(l0a, 32768);
    pipe.InitBuffer(l0b, 32768);
    pipe.InitBuffer(l0c, 65536);
    constexpr int k0 = 32 / sizeof(TA);
    int M1 = (m + 15) / 16, N1 = (n + 15) / 16, K1 = (k + k0 - 1) / k0;
    std::vector<TA> A(m * k), B(k * n);
    for (auto& v : A) v = TA(sizeof(TA) == 1 ? float(int(rnd() * 30)) : rnd());
    for (auto& v : B) v = TA(sizeof(TA) == 1 ? float(int(rnd() * 30)) : rnd());
    dump((std::string(tag) + "_a").c_str(), A.data(), A.size());
    dump((std::string(tag) + "_b").c_str(), B.data(), B.size());
    auto a1 = l1a.Get<TA>(), b1 = l1b.Get<TA>();
    std::memset(a1.twin_ptr(), 0, 32768);
    std::memset(b1.twin_ptr(), 0, 32768);
    for (int i = 0; i < m; ++i)
        for (int kk = 0; kk < k; ++kk) a1.twin_ptr()[((i / 16) * K1 + kk / k0) * (512 / sizeof(TA)) + (i % 16) * k0 + kk % k0] = A[i * k + kk];
    for (int kk = 0; kk < k; ++kk)
        for (int j = 0; j < n; ++j) b1.twin_ptr()[((kk / k0) * N1 + j / 16) * (512 / sizeof(TA)) + (j % 16) * k0 + kk % k0] = B[kk * n + j];
    auto a2 = l0a.Get<TA>(), b2 = l0b.Get<TA>();
    LoadData(a2, a1, LoadData2DParams(0, uint8_t(M1 * K1), 1, 0, 0, false, 0));
    LoadData(b2, b1, LoadData2DParams(0, uint8_t(K1 * N1), 1, 0, 0, false, 0));
    auto c = l0c.Get<TC>();
    MmadParams mp;
    mp.m = m; mp.n = n; mp.k = k;
    PipeBarrier<PIPE_ALL>();  // LoadData (MTE1) before Mmad (M)
    Mmad(c, a2, b2, mp);
    PipeBarrier<PIPE_ALL>();  // Mmad (M) before Fixpipe (FIX)
    GlobalTensor<TC> g;
    g.SetGlobalBuffer(gm_out, uint64_t(m) * n);
    FixpipeParamsV220 fp(uint16_t(n), uint16_t(m), uint16_t(M1 * 16), uint32_t(n), false);
    Fixpipe(g, c, fp);
    dump(tag, gm_out, size_t(m) * n);
}

static void cube_kernel(int32_t* o1, float* o2) {
    cube_case<int8_t, int32_t>("mm_int8", o1, 40, 48, 96);
    cube_case<bfloat16_t, float>("mm_bf16", o2, 33, 40, 50);
}

// --- deliberately broken kernels, one per rule ---
static void fail_kernel(std::string which) {
    TPipe pipe;
    if (which == "not_ub") {  // runs on an AIC core: L1 exists there, UB does not
        TBuf<TPosition::A1> l1;
        pipe.InitBuffer(l1, 4096);
        auto a = l1.Get<float>();
        Add(a, a, a, 64);
        return;
    }
    TBuf<TPosition::VECCALC> b0;
    pipe.InitBuffer(b0, 4096);
    auto x = b0.Get<float>();
    if (which == "extent") Add(x, x, x, 2048);
    if (which == "repeat") Add(x, x, x, 64, 300, BinaryRepeatParams());
    if (which == "align") Add(x[3], x, x, 64);
    if (which == "mask") Add(x, x, x, 65, 1, BinaryRepeatParams());
    if (which == "cast_mode") { auto h = b0.Get<half>()[1024]; Cast(h.ReinterpretCast<int32_t>(), h, RoundMode::CAST_ODD, 16); }
    if (which == "compare_count") { Compare(x.ReinterpretCast<uint8_t>()[2048], x, x, CMPMODE::LT, 60); }
    if (which == "reduce_tmp") ReduceSum(x, x, x[1016], 512);
}

int main(int argc, char** argv) {
    twin::LaunchOptions opt;
    if (argc >= 3 && std::string(argv[1]) == "fail") {
        std::string which = argv[2];
        if (which == "not_ub") opt.mode = twin::Mode::AIC_ONLY;
        auto rep = twin::launch(opt, fail_kernel, which);
        std::printf("%s\n", rep.ok ? "OK" : rep.error.c_str());
        return 0;
    }
    g_out = argv[1];
    auto r1 = twin::launch(opt, vec_kernel);
    if (!r1.ok) { std::printf("vec: %s\n", r1.error.c_str()); return 1; }
    std::printf("%s", r1.summary().c_str());
    int32_t* o1 = static_cast<int32_t*>(GmAlloc(40 * 48 * 4));
    float* o2 = static_cast<float*>(GmAlloc(33 * 40 * 4));
    twin::LaunchOptions oc;
    oc.mode = twin::Mode::AIC_ONLY;
    auto r2 = twin::launch(oc, cube_kernel, o1, o2);
    if (!r2.ok) { std::printf("cube: %s\n", r2.error.c_str()); return 1; }
    std::printf("%s", r2.summary().c_str());
    return 0;
}
