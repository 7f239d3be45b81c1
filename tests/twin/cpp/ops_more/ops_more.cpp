// Vector checks for the twin beyond ops_vec: Sort32 on half (8-byte structure layout) with MrgSort and
// Extract, MrgSort with ifExhaustedSuspension and GetMrgSortResult, Brcb, BlockReduceMax, WholeReduceMin,
// Select mode 0, and the isSetMask = false path driven by SetVectorMask (normal and counter mode).
// Usage: ops_more <outdir> writes <name>.bin files (inputs and outputs).
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
template <class T> static void dump_ub(const std::string& name, const LocalTensor<T>& t, size_t n) { dump(name, t.twin_ptr(), n); }

static uint32_t g_seed = 4242;
static uint32_t rnd_u() {
    g_seed = g_seed * 1664525u + 1013904223u;
    return g_seed >> 8;
}
static float rnd() { return float(rnd_u() & 0xffff) / 8192.0f - 4.0f; }  // [-4, 4)

// n distinct values: a shuffled ramp (step 1/64, exact in half) so sort orders have no ties.
static std::vector<float> distinct(int n, float base) {
    std::vector<float> v(n);
    for (int i = 0; i < n; ++i) v[i] = base + float(i) / 64.0f;
    for (int i = n - 1; i > 0; --i) std::swap(v[i], v[rnd_u() % uint32_t(i + 1)]);
    return v;
}

static void kernel() {
    TPipe pipe;
    TBuf<TPosition::VECCALC> b0, b1, b2, b3, b4;
    for (auto* b : {&b0, &b1, &b2, &b3, &b4}) pipe.InitBuffer(*b, 16384);
    auto fill = [](const LocalTensor<float>& t, int n, float v) { for (int i = 0; i < n; ++i) t.twin_ptr()[i] = v; };

    // --- Sort32 on half: 4 repeats of 32, then MrgSort the 4 runs, then Extract ---
    {
        auto sc = b0.Get<half>();
        auto ix = b1.Get<uint32_t>();
        auto so = b2.Get<half>();
        auto mg = b3.Get<half>();
        auto sv = distinct(128, -1.0f);
        for (int i = 0; i < 128; ++i) { sc.twin_ptr()[i] = half(sv[i]); ix.twin_ptr()[i] = uint32_t(1000 + i); }
        dump_ub("h_scores", sc, 128);
        Sort32(so, sc, ix, 4);
        dump("h_sort32", reinterpret_cast<uint8_t*>(so.twin_ptr()), 128 * 8);
        uint16_t lens[4] = {32, 32, 32, 32};
        MrgSort(mg, MrgSortSrcList<half>(so, so[128], so[256], so[384]), MrgSort4Info(lens, false, 15, 1));
        dump("h_merged", reinterpret_cast<uint8_t*>(mg.twin_ptr()), 128 * 8);
        auto ev = b4.Get<half>();
        auto ei = b4.Get<uint32_t>()[1024];
        Extract(ev, ei, mg, 4);
        dump_ub("h_ext_val", ev, 128);
        dump_ub("h_ext_idx", ei, 128);
    }
    // --- MrgSort (float) with ifExhaustedSuspension: stops when the first list runs out ---
    {
        auto lists = b0.Get<float>();
        auto out = b1.Get<float>();
        const int L[4] = {12, 20, 7, 16};
        int off = 0;
        std::vector<float> all;
        for (int l = 0; l < 4; ++l) {
            auto v = distinct(L[l], float(l) * 0.3f - 0.5f);
            std::sort(v.begin(), v.end(), [](float a, float b) { return a > b; });
            for (int i = 0; i < L[l]; ++i) {
                uint8_t* p = reinterpret_cast<uint8_t*>(lists.twin_ptr()) + (off + i) * 8;
                uint32_t idx = uint32_t(l * 100 + i);
                std::memcpy(p, &v[i], 4);
                std::memcpy(p + 4, &idx, 4);
            }
            off += L[l];
        }
        dump("mrg_in", reinterpret_cast<uint8_t*>(lists.twin_ptr()), size_t(off) * 8);
        // list starts in elements of float (2 floats per 8-byte structure)
        MrgSortSrcList<float> src(lists, lists[2 * 12], lists[2 * 32], lists[2 * 39]);
        uint16_t lens[4] = {12, 20, 7, 16};
        fill(out, 2 * 64, -99.0f);
        MrgSort(out, src, MrgSort4Info(lens, true, 15, 1));
        uint16_t used[4];
        GetMrgSortResult(used[0], used[1], used[2], used[3]);
        dump("mrg_susp", reinterpret_cast<uint8_t*>(out.twin_ptr()), 64 * 8);
        dump("mrg_susp_used", used, 4);
        fill(out, 2 * 64, -99.0f);
        MrgSort(out, src, MrgSort4Info(lens, false, 7, 1));  // three lists, run to the end
        GetMrgSortResult(used[0], used[1], used[2], used[3]);
        dump("mrg_three", reinterpret_cast<uint8_t*>(out.twin_ptr()), 64 * 8);
        dump("mrg_three_used", used, 4);
    }
    // --- Brcb ---
    {
        auto src = b0.Get<float>();
        auto dst = b1.Get<float>();
        for (int i = 0; i < 16; ++i) src.twin_ptr()[i] = rnd();
        dump_ub("brcb_src", src, 16);
        fill(dst, 1024, -5.0f);
        Brcb(dst, src, 2, BrcbRepeatParams(1, 8));
        dump_ub("brcb_f", dst, 128);
        auto hs = b2.Get<half>();
        auto hd = b3.Get<half>();
        for (int i = 0; i < 16; ++i) hs.twin_ptr()[i] = half(rnd());
        for (int i = 0; i < 1024; ++i) hd.twin_ptr()[i] = half(-5.0f);
        dump_ub("brcb_hsrc", hs, 16);
        Brcb(hd, hs, 2, BrcbRepeatParams(2, 20));  // blocks 64 B apart, repeats 640 B apart
        dump_ub("brcb_h", hd, 640);
    }
    // --- BlockReduceMax / WholeReduceMin ---
    {
        auto x = b0.Get<float>();
        auto d = b1.Get<float>();
        for (int i = 0; i < 512; ++i) x.twin_ptr()[i] = rnd();
        dump_ub("red_x", x, 512);
        BlockReduceMax(d, x, 4, 64, 1, 1, 8);
        dump_ub("bmax_f", d, 32);
        WholeReduceMin(d, x, 64, 4, 1, 1, 8, ReduceOrder::ORDER_VALUE_INDEX);
        dump_ub("wmin_f_vi", d, 8);
        WholeReduceMin(d, x, 48, 4, 1, 1, 16, ReduceOrder::ORDER_ONLY_VALUE);  // first 48 of every other repeat
        dump_ub("wmin_f_v48", d, 4);
        auto xh = b2.Get<half>();
        auto dh = b3.Get<half>();
        for (int i = 0; i < 512; ++i) xh.twin_ptr()[i] = half(rnd());
        dump_ub("red_xh", xh, 512);
        uint64_t hm[2] = {0x00FF00FF00FF00FFull, 0x0F0F0F0F0F0F0F0Full};
        BlockReduceMax(dh, xh, 2, hm, 1, 1, 8);
        dump_ub("bmax_h", dh, 16);
        WholeReduceMin(dh, xh, 100, 2, 1, 1, 8, ReduceOrder::ORDER_INDEX_VALUE);
        dump_ub("wmin_h_iv", dh, 4);
    }
    // --- Select mode 0: the same selMask bits in every repeat ---
    {
        auto s0 = b0.Get<float>();
        auto s1 = b1.Get<float>();
        auto d = b2.Get<float>();
        auto m = b3.Get<uint8_t>();
        for (int i = 0; i < 256; ++i) { s0.twin_ptr()[i] = rnd(); s1.twin_ptr()[i] = rnd(); }
        for (int i = 0; i < 32; ++i) m.twin_ptr()[i] = uint8_t(rnd_u());
        dump_ub("sel_s0", s0, 256);
        dump_ub("sel_s1", s1, 256);
        dump_ub("sel_m", m, 32);
        Select(d, m, s0, s1, SELMODE::VSEL_CMPMASK_SPR, 64, 3, BinaryRepeatParams());
        dump_ub("sel0_mask", d, 192);
        Select(d, m, s0, s1, SELMODE::VSEL_CMPMASK_SPR, 256);
        dump_ub("sel0_count", d, 256);
    }
    // --- isSetMask = false: the mask comes from SetVectorMask ---
    {
        auto x = b0.Get<float>();
        auto y = b1.Get<float>();
        auto z = b2.Get<float>();
        for (int i = 0; i < 256; ++i) { x.twin_ptr()[i] = rnd(); y.twin_ptr()[i] = rnd(); }
        dump_ub("nm_x", x, 256);
        dump_ub("nm_y", y, 256);
        fill(z, 256, 9.0f);
        SetVectorMask<float>(0, 0xF0F0F0F00000FFFFull);
        Add<float, false>(z, x, y, MASK_PLACEHOLDER, 2, BinaryRepeatParams());
        ResetMask();
        dump_ub("nm_add", z, 256);
        fill(z, 256, 9.0f);
        SetMaskCount();
        SetVectorMask<float, MaskMode::COUNTER>(0, 100);
        Muls<float, false>(z, x, 2.0f, MASK_PLACEHOLDER, 1, UnaryRepeatParams());
        SetMaskNorm();
        ResetMask();
        dump_ub("nm_muls_count", z, 256);
        fill(z, 256, 9.0f);
        SetVectorMask<float>(0, 0x00000000FFFF0000ull);
        WholeReduceSum<float, false>(z, x, MASK_PLACEHOLDER, 3, 1, 1, 8);
        ResetMask();
        dump_ub("nm_wsum", z, 3);
    }
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    g_out = argv[1];
    twin::LaunchOptions opt;
    opt.mode = twin::Mode::AIV_ONLY;
    auto r = twin::launch(opt, kernel);
    if (!r.ok) { std::printf("ops_more: %s\n", r.error.c_str()); return 1; }
    std::printf("%s", r.summary().c_str());
    return 0;
}
