// Vector APIs beyond test_ops_vec/test_ops_more, with edge values: Min, Maxs, Mins, Sqrt, Reciprocal, Abs
// (count and mask/repeat forms, float/half/int), ReduceMin, BlockReduceMin, CompareScalar, and Cast of
// exact ties (both signs) in every round mode to half, bfloat16, int32 and float.
// Usage: ops_edge <outdir> runs every case and writes <name>.bin files (inputs and outputs).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#include "kernel_operator.h"

using namespace AscendC;

static std::string g_out;
template <class T> static void dump(const char* name, const T* p, size_t n) {
    std::ofstream f(g_out + "/" + name + ".bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(p), n * sizeof(T));
}
template <class T> static void dump_ub(const char* name, const LocalTensor<T>& t, size_t n) { dump(name, t.twin_ptr(), n); }
template <class T> static void fill(const LocalTensor<T>& t, T v, int n) {
    for (int i = 0; i < n; ++i) t.twin_ptr()[i] = v;
}

static uint32_t g_seed = 2024;
static float rnd() {  // deterministic in [-4, 4)
    g_seed = g_seed * 1664525u + 1013904223u;
    return float((g_seed >> 8) & 0xffff) / 8192.0f - 4.0f;
}

constexpr float kInf = std::numeric_limits<float>::infinity();

static void edge_kernel() {
    TPipe pipe;
    TBuf<TPosition::VECCALC> b0, b1, b2, b3, b4, b5;
    for (auto* b : {&b0, &b1, &b2, &b3, &b4, &b5}) pipe.InitBuffer(*b, 16384);
    auto x = b0.Get<float>(), y = b1.Get<float>(), z = b2.Get<float>(), w = b3.Get<float>();
    auto xh = b4.Get<half>(), yh = b4.Get<half>()[2048], zh = b4.Get<half>()[4096];
    auto xi = b5.Get<int32_t>(), yi = b5.Get<int32_t>()[1024], zi = b5.Get<int32_t>()[2048];

    // Inputs: random values with infinities and signed zeros at fixed places.
    for (int i = 0; i < 512; ++i) { x.twin_ptr()[i] = rnd(); y.twin_ptr()[i] = rnd(); }
    float xs[] = {kInf, -kInf, -0.0f, 0.0f, kInf, -kInf, 3.0f, -0.0f};
    float ys[] = {1.0f, 2.0f, 1.0f, -1.0f, -kInf, kInf, 3.0f, -2.0f};
    for (int i = 0; i < 8; ++i) { x.twin_ptr()[64 * i + 5] = xs[i]; y.twin_ptr()[64 * i + 5] = ys[i]; }
    dump_ub("x", x, 512);
    dump_ub("y", y, 512);
    for (int i = 0; i < 512; ++i) { xi.twin_ptr()[i] = int32_t(rnd() * 100000.0f); yi.twin_ptr()[i] = int32_t(rnd() * 100000.0f); }
    xi.twin_ptr()[7] = std::numeric_limits<int32_t>::min();
    yi.twin_ptr()[8] = std::numeric_limits<int32_t>::max();
    dump_ub("xi", xi, 512);
    dump_ub("yi", yi, 512);
    Cast(xh, x, RoundMode::CAST_NONE, 512);
    Cast(yh, y, RoundMode::CAST_NONE, 512);
    dump_ub("xh", xh, 512);
    dump_ub("yh", yh, 512);

    // Min / Max, count forms
    Min(z, x, y, 512); dump_ub("min_f", z, 512);
    Min(zh, xh, yh, 512); dump_ub("min_h", zh, 512);
    Min(zi, xi, yi, 512); dump_ub("min_i", zi, 512);
    Max(zi, xi, yi, 512); dump_ub("max_i", zi, 512);
    // Min, bit-mask form: 3 repeats, every third element of the 64; src1 block stride 2, src0 repeat stride 4.
    uint64_t bm3[2] = {0x9249249249249249ull, 0};
    fill(z, 7.0f, 2048);
    Min(z, x, y, bm3, 3, BinaryRepeatParams(1, 1, 2, 8, 4, 16));
    dump_ub("min_f_mask", z, 512);
    // half Min, continuous mask 100 of 128, 2 repeats, dst repeat stride 10 blocks
    fill(zh, half(7.0f), 2048);
    Min(zh, xh, yh, 100, 2, BinaryRepeatParams(1, 1, 1, 10, 8, 8));
    dump_ub("min_h_mask", zh, 512);

    // Maxs / Mins
    Maxs(z, x, 0.5f, 512); dump_ub("maxs_f", z, 512);
    Mins(z, x, -0.25f, 512); dump_ub("mins_f", z, 512);
    Mins(z, x, kInf, 512); dump_ub("mins_f_inf", z, 512);
    Maxs(z, x, -kInf, 512); dump_ub("maxs_f_ninf", z, 512);
    Maxs(zh, xh, half(1.5f), 512); dump_ub("maxs_h", zh, 512);
    Mins(zh, xh, half(-1.5f), 512); dump_ub("mins_h", zh, 512);
    Mins(zi, xi, int32_t(12345), 512); dump_ub("mins_i", zi, 512);
    Maxs(zi, xi, int32_t(-12345), 512); dump_ub("maxs_i", zi, 512);
    // Mins, continuous mask 20, 4 repeats, src block stride 2, dst repeat stride 4 blocks, src repeat stride 16
    fill(z, 7.0f, 2048);
    Mins(z, x, 0.0f, 20, 4, UnaryRepeatParams(1, 2, 4, 16));
    dump_ub("mins_f_mask", z, 512);
    // Maxs, bit mask on half (second word: upper 64 of the 128), 2 repeats
    uint64_t bmh[2] = {0x00000000FFFF0000ull, 0xF0F0F0F0F0F0F0F0ull};
    fill(zh, half(7.0f), 2048);
    Maxs(zh, xh, half(0.0f), bmh, 2, UnaryRepeatParams(1, 1, 8, 8));
    dump_ub("maxs_h_mask", zh, 512);

    // Sqrt / Reciprocal / Abs on |x| or x with the edge values
    Abs(z, x, 512); dump_ub("abs_f", z, 512);
    Abs(w, x, 512);
    Sqrt(z, w, 512); dump_ub("sqrt_f", z, 512);
    Reciprocal(z, x, 512); dump_ub("recip_f", z, 512);
    Abs(zh, xh, 512); dump_ub("abs_h", zh, 512);
    Abs(yh, xh, 512);
    Sqrt(zh, yh, 512); dump_ub("sqrt_h", zh, 512);
    Reciprocal(zh, xh, 512); dump_ub("recip_h", zh, 512);
    // unary mask forms: Sqrt with continuous mask 50, 2 repeats, dst block stride 2; Abs with a bit mask
    fill(z, 7.0f, 2048);
    Sqrt(z, w, 50, 2, UnaryRepeatParams(2, 1, 16, 8));
    dump_ub("sqrt_f_mask", z, 512);
    uint64_t bma[1] = {0xFFFF00000000FFFFull};
    fill(z, 7.0f, 2048);
    Abs(z, x, bma, 3, UnaryRepeatParams(1, 1, 8, 8));
    dump_ub("abs_f_mask", z, 512);
    fill(z, 7.0f, 2048);
    Reciprocal(z, x, 33, 2, UnaryRepeatParams(1, 1, 8, 8));
    dump_ub("recip_f_mask", z, 512);

    // ReduceMin: count form with a tied minimum (the first index wins), half, mask form with -inf
    for (int i = 0; i < 512; ++i) y.twin_ptr()[i] = rnd();
    y.twin_ptr()[123] = -9.0f;
    y.twin_ptr()[125] = -9.0f;  // a tie inside the same repeat (64..127) ...
    y.twin_ptr()[321] = -9.0f;  // ... and in a later one
    dump_ub("ry", y, 512);
    fill(z, 7.0f, 64);
    ReduceMin(z, y, w, 500, true); dump_ub("reducemin_f", z, 4);
    fill(z, 7.0f, 64);
    ReduceMin(z, y, w, 500, false); dump_ub("reducemin_f_noidx", z, 4);
    Cast(yh, y, RoundMode::CAST_NONE, 512);
    dump_ub("ryh", yh, 512);
    ReduceMin(zh, yh, zh[1024], 300, true); dump_ub("reducemin_h", zh, 2);
    y.twin_ptr()[64 * 2 + 50] = -50.0f;  // inside the mask (52) of repeat 2
    y.twin_ptr()[64 * 3 + 60] = -kInf;   // outside it (element 60 >= 52)
    dump_ub("ry2", y, 512);
    ReduceMin(z, y, w, 52, 4, 8, true); dump_ub("reducemin_f_mask", z, 2);
    y.twin_ptr()[64 * 2 + 50] = -20.0f;
    y.twin_ptr()[64 * 3 + 60] = -30.0f;
    dump_ub("ry3", y, 512);
    uint64_t bmr[1] = {0x0FFFFFFFFFFFFFFFull};  // elements 60..63 of each repeat excluded
    ReduceMin(z, y, w, bmr, 4, 8, true); dump_ub("reducemin_f_bits", z, 2);

    // BlockReduceMin: float, 4 repeats full mask; half with a bit mask and strides
    fill(z, 7.0f, 256);
    BlockReduceMin(z, y, 4, 64, 1, 1, 8); dump_ub("bmin_f", z, 32);
    uint64_t bmb[2] = {0x00FF00FF00FF00FFull, 0x0F0F0F0F0F0F0F0Full};
    fill(zh, half(7.0f), 512);
    BlockReduceMin(zh, yh, 2, bmb, 2, 1, 8); dump_ub("bmin_h", zh, 64);
    fill(z, 7.0f, 256);
    BlockReduceMin(z, y, 3, 40, 2, 1, 16); dump_ub("bmin_f_stride", z, 64);

    // CompareScalar: every mode, scalar equal to one element; half; mask forms
    auto cm = b3.Get<uint8_t>()[8192];
    const char* modes[] = {"lt", "gt", "eq", "le", "ge", "ne"};
    float s = x.twin_ptr()[10];
    for (int m = 0; m < 6; ++m) {
        for (int i = 0; i < 64; ++i) cm.twin_ptr()[i] = 0xA5;
        CompareScalar(cm, x, s, CMPMODE(m), 256);
        dump_ub((std::string("cs_f_") + modes[m]).c_str(), cm, 64);
    }
    dump("cs_scalar", &s, 1);
    CompareScalar(cm, x, 0.0f, CMPMODE::EQ, 512); dump_ub("cs_f_eq0", cm, 64);
    CompareScalar(cm, xh, half(0.5f), CMPMODE::GE, 512); dump_ub("cs_h_ge", cm, 64);
    for (int i = 0; i < 64; ++i) cm.twin_ptr()[i] = 0xA5;
    CompareScalar(cm, x, 1.0f, CMPMODE::GT, uint64_t(40), 3, UnaryRepeatParams(1, 2, 8, 16));
    dump_ub("cs_f_mask", cm, 64);
    uint64_t bmc[2] = {0x5555555555555555ull, 0xFFFF0000FFFF0000ull};
    for (int i = 0; i < 64; ++i) cm.twin_ptr()[i] = 0xA5;
    CompareScalar(cm, xh, half(-1.0f), CMPMODE::LE, bmc, 2, UnaryRepeatParams(1, 1, 8, 8));
    dump_ub("cs_h_bits", cm, 64);
}

// Exact ties in both signs for every target: |x| = n + 0.5 in [1024, 2048) (half ulp 1), in [128, 256)
// (bfloat16 ulp 1), k + 0.5 below 16 (integers), odd integers in [2048, 4096) (half ulp 2).
static void cast_kernel() {
    TPipe pipe;
    TBuf<TPosition::VECCALC> b0, b1, b2;
    for (auto* b : {&b0, &b1, &b2}) pipe.InitBuffer(*b, 16384);
    auto t = b0.Get<float>(), zf = b0.Get<float>()[1024];
    auto zh = b1.Get<half>();
    auto zb = b1.Get<bfloat16_t>()[2048];
    auto zi = b2.Get<int32_t>();
    int n = 0;
    for (int k = 0; k < 16; ++k) {
        float v[] = {1024.5f + k * 61, 128.5f + k * 7, 0.5f + k, 2049.0f + 2 * k * 61};
        for (float a : v) { t.twin_ptr()[n++] = a; t.twin_ptr()[n++] = -a; }
    }
    dump_ub("tie", t, n);
    // Out of range: finite overflow saturates to the largest finite value (half, bf16, int32); inf stays inf
    // in float formats and saturates in int32.
    auto o = b0.Get<float>()[2048];
    const float ovf[16] = {1e5f, -1e5f, 65520.0f, -65520.0f, 3e9f, -3e9f, kInf, -kInf,
                           3.4028235e38f, -3.4028235e38f, 65504.0f, -65504.0f, 2147483520.0f, -2147483648.0f, 0.0f, 0.0f};
    for (int i = 0; i < 16; ++i) o.twin_ptr()[i] = ovf[i];
    dump_ub("ovf", o, 16);
    Cast(zh, o, RoundMode::CAST_RINT, 16); dump_ub("ovf_f2h_rint", zh, 16);
    Cast(zh, o, RoundMode::CAST_TRUNC, 16); dump_ub("ovf_f2h_trunc", zh, 16);
    Cast(zb, o, RoundMode::CAST_RINT, 16); dump_ub("ovf_f2bf_rint", zb, 16);
    Cast(zi, o, RoundMode::CAST_RINT, 16); dump_ub("ovf_f2i_rint", zi, 16);
    Cast(zi, o, RoundMode::CAST_CEIL, 16); dump_ub("ovf_f2i_ceil", zi, 16);
    const char* mn[] = {"none", "rint", "floor", "ceil", "round", "trunc", "odd"};
    for (int m = 0; m <= 6; ++m) {
        std::string tag = mn[m];
        Cast(zh, t, RoundMode(m), n); dump_ub(("tie_f2h_" + tag).c_str(), zh, n);
        if (m >= 1 && m <= 5) {
            Cast(zb, t, RoundMode(m), n); dump_ub(("tie_f2bf_" + tag).c_str(), zb, n);
            Cast(zi, t, RoundMode(m), n); dump_ub(("tie_f2i_" + tag).c_str(), zi, n);
            Cast(zf, t, RoundMode(m), n); dump_ub(("tie_f2f_" + tag).c_str(), zf, n);
        }
    }
}

int main(int argc, char** argv) {
    if (argc < 2) { std::fprintf(stderr, "usage: ops_edge <outdir>\n"); return 1; }
    g_out = argv[1];
    twin::LaunchOptions opt;
    auto r1 = twin::launch(opt, edge_kernel);
    if (!r1.ok) { std::printf("edge: %s\n", r1.error.c_str()); return 1; }
    auto r2 = twin::launch(opt, cast_kernel);
    if (!r2.ok) { std::printf("cast: %s\n", r2.error.c_str()); return 1; }
    return 0;
}
