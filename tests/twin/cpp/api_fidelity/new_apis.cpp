// APIs the DSA kernels need, checked against numpy by tests/twin/test_new_apis.py:
//   new_apis <outdir>         every positive case, inputs and outputs as <name>.bin, scalars printed
//   new_apis fail <case>      one broken kernel; the launch error is printed (@fail:<case> marks the line)
// Sort<T, isFullSort>, Concat, Extract, the list form of MrgSort, GetSortLen/GetSortOffset; CreateVecIndex,
// Arange/ArithProgression; Fill/InitGlobalMemory; BlockReduceMin, PairReduceSum, RepeatReduceSum,
// GetReduceMaxMinCount; Copy (UB -> UB with masks and strides), SetMMLayoutTransform; TQueSync; TBufPool; GlobalTensor::operator() and SetL2CacheHint; ScalarCountLeadingZero,
// IsSameType, ICachePreLoad; DataCopy CO1 -> GM / L1 (DataCopyCO12DstParams, SetFixpipeNz2ndFlag,
// SetFixpipePreQuantFlag) with the full MmadParams / FixpipeParamsV220 constructors.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "kernel_operator.h"

using namespace AscendC;

static std::string g_out, g_fail;
template <class T> static void dump(const std::string& name, const T* p, size_t n) {
    std::ofstream f(g_out + "/" + name + ".bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(p), n * sizeof(T));
}
// Orders every pipe (the tests read vector results with GetValue and feed SetValue data to vector APIs).
static void fence() { PipeBarrier<PIPE_ALL>(); }
template <class T> static void dump_local(const std::string& name, const LocalTensor<T>& t, size_t n) {
    fence();
    std::vector<T> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = t.GetValue(uint32_t(i));
    dump(name, v.data(), n);
}
static uint32_t g_seed = 4242;
static float rnd() {  // deterministic, in [-8, 8) with 1/64 steps: exact in half
    g_seed = g_seed * 1664525u + 1013904223u;
    return float(int((g_seed >> 8) % 1024) - 512) / 64.0f;
}

// ---- sort family (AIV) -------------------------------------------------------------------------
static void sort_cases(TPipe& pipe) {
    TBuf<TPosition::VECCALC> b;
    pipe.InitBuffer(b, 16384);
    auto sc = b.GetWithOffset<float>(128, 0);
    auto ix = b.GetWithOffset<uint32_t>(128, 512);
    auto dst = b.GetWithOffset<float>(256, 1024);
    auto tmp = b.GetWithOffset<float>(256, 2048);
    std::vector<float> s(128);
    for (int i = 0; i < 128; ++i) s[i] = float(int(rnd()));  // many ties
    for (int i = 0; i < 128; ++i) { sc.SetValue(i, s[i]); ix.SetValue(i, uint32_t(500 + i)); }
    dump("sort_scores", s.data(), 128);
    fence();
    LocalTensor<float> concat;
    Concat(concat, sc, tmp, 4);
    Sort<float, true>(dst, concat, ix, tmp, 4);
    dump_local("sort_full", dst.ReinterpretCast<uint32_t>(), 256);
    dump_local("sort_tmp", tmp.ReinterpretCast<uint32_t>(), 256);
    auto ev = b.GetWithOffset<float>(128, 3072);
    auto ei = b.GetWithOffset<uint32_t>(128, 3584);
    Extract(ev, ei, dst, 4);
    dump_local("sort_ext_val", ev, 128);
    dump_local("sort_ext_idx", ei, 128);
    Sort<float, false>(dst, concat, ix, tmp, 4);  // = Sort32 per 32
    dump_local("sort_32", dst.ReinterpretCast<uint32_t>(), 256);
    // half: Sort<half, true> on 64 elements
    auto hs = b.GetWithOffset<half>(64, 4096);
    auto hd = b.GetWithOffset<half>(256, 4608);
    auto ht = b.GetWithOffset<half>(256, 5120);
    std::vector<half> h(64);
    for (int i = 0; i < 64; ++i) { h[i] = half(rnd()); hs.SetValue(i, h[i]); }
    dump("hsort_scores", h.data(), 64);
    fence();
    LocalTensor<half> hc;
    Concat(hc, hs, ht, 2);
    Sort<half, true>(hd, hc, ix, ht, 2);
    dump_local("hsort_full", hd.ReinterpretCast<uint32_t>(), 128);
    // MrgSort list form with isExhaustedSuspension: lists of 32 (sorted runs from sort_32) x 3, third short
    auto mo = b.GetWithOffset<float>(512, 6144);
    Sort<float, false>(dst, concat, ix, tmp, 4);
    MrgSortSrcList<float> lists(dst[0], dst[64], dst[128], dst[192]);
    uint16_t lens[4] = {32, 32, 5, 0};
    uint32_t sortedNum[4] = {99, 99, 99, 99};
    MrgSort<float, true>(mo, lists, lens, sortedNum, 7, 1);
    std::printf("mrgsort sortedNum %u %u %u %u\n", sortedNum[0], sortedNum[1], sortedNum[2], sortedNum[3]);
    uint32_t total = sortedNum[0] + sortedNum[1] + sortedNum[2];
    dump_local("mrg_list", mo.ReinterpretCast<uint32_t>(), total * 2);
    std::printf("GetSortLen<half>(32) %u GetSortLen<float>(32) %u GetSortOffset<half>(5) %u GetSortOffset<float>(5) %u\n",
                GetSortLen<half>(32), GetSortLen<float>(32), GetSortOffset<half>(5), GetSortOffset<float>(5));
}

// ---- index sequences ---------------------------------------------------------------------------
static void index_cases(TPipe& pipe) {
    TBuf<TPosition::VECCALC> b;
    pipe.InitBuffer(b, 16384);
    auto i32 = b.GetWithOffset<int32_t>(320, 0);
    CreateVecIndex(i32, int32_t(-7), 300);
    dump_local("vidx_i32", i32, 300);
    auto h = b.GetWithOffset<half>(160, 2048);
    CreateVecIndex(h, half(3.0f), 150);
    dump_local("vidx_h", h, 150);
    auto f = b.GetWithOffset<float>(192, 4096);
    Duplicate(f, -1.0f, 192);
    fence();
    CreateVecIndex(f, 10.0f, uint64_t(40), 3, 1, 8);  // 40 of each 64, 3 repeats
    dump_local("vidx_fmask", f, 192);
    auto f2 = b.GetWithOffset<float>(64, 5120);
    Duplicate(f2, -1.0f, 64);
    fence();
    uint64_t bits[1] = {0x00000000F0F0000Full};
    CreateVecIndex(f2, 0.0f, bits, 1, 1, 8);
    dump_local("vidx_fbits", f2, 64);
    auto a = b.GetWithOffset<float>(208, 6144);
    Arange(a, -1.5f, 0.25f, 200);
    dump_local("arange_f", a, 200);
    auto ah = b.GetWithOffset<half>(48, 7168);
    ArithProgression(ah, half(100.0f), half(-0.5f), 40);
    dump_local("arith_h", ah, 40);
    auto ai = b.GetWithOffset<int32_t>(8, 7424);
    ArithProgression(ai, int32_t(5), int32_t(-3), 5);
    dump_local("arith_i_small", ai, 5);
    auto al = b.GetWithOffset<float>(600, 8192);
    Arange(al, 0.0f, 1.0f / 3.0f, 590);  // more than 8 repeats' worth of floats with a tail
    dump_local("arange_long", al, 590);
    ResetMask();
}

// ---- reductions -------------------------------------------------------------------------------
static void reduce_cases(TPipe& pipe) {
    TBuf<TPosition::VECCALC> b;
    pipe.InitBuffer(b, 16384);
    auto x = b.GetWithOffset<float>(256, 0);
    std::vector<float> xv(256);
    for (int i = 0; i < 256; ++i) { xv[i] = rnd(); x.SetValue(i, xv[i]); }
    dump("red_x", xv.data(), 256);
    fence();
    auto o = b.GetWithOffset<float>(64, 1024);
    Duplicate(o, 99.0f, 64);
    BlockReduceMin(o, x, 4, 64, 1, 1, 8);  // 4 repeats x 8 blocks
    dump_local("bmin", o, 32);
    auto hx = b.GetWithOffset<half>(256, 2048);
    std::vector<half> hv(256);
    for (int i = 0; i < 256; ++i) { hv[i] = half(i < 2 ? 40000.0f : rnd() * 4096.0f); hx.SetValue(i, hv[i]); }  // pair 0 saturates
    dump("red_hx", hv.data(), 256);
    fence();
    auto ho = b.GetWithOffset<half>(128, 3072);
    Duplicate(ho, half(-1.0f), 128);
    PairReduceSum(ho, hx, 2, 128, 1, 1, 8);  // 2 repeats of 128 halves -> 64 sums each, 128 B apart
    dump_local("pair_h", ho, 128);
    auto po = b.GetWithOffset<float>(64, 4096);
    Duplicate(po, -1.0f, 64);
    uint64_t m[1] = {0x0F0F0F0F0F0F0F0Full};
    PairReduceSum(po, x, 2, m, 1, 1, 8);
    dump_local("pair_fbits", po, 64);
    auto ro = b.GetWithOffset<half>(16, 4608);
    Duplicate(ro, half(0.0f), 16);
    RepeatReduceSum(ro, hx, 2, 100, 0, 1, 1, 8);
    dump_local("rrsum_h", ro, 2);
    // Copy: 40 of each 64 floats, 3 repeats, dst blocks 2 apart (16 blocks per dst repeat), src dense
    auto cd = b.GetWithOffset<float>(384, 6144);
    Duplicate(cd, -1.0f, 384);
    Copy(cd, x, uint64_t(40), 3, CopyRepeatParams(2, 1, 16, 8));
    dump_local("copy_cont", cd, 384);
    auto hd = b.GetWithOffset<half>(256, 8192);
    Duplicate(hd, half(-1.0f), 256);
    uint64_t hm[2] = {0xFFFF0000FFFF0000ull, 0x00000000000000FFull};
    Copy(hd, hx, hm, 2, CopyRepeatParams(1, 1, 8, 8));
    dump_local("copy_bits_h", hd, 256);
    Duplicate(cd, -1.0f, 384);
    SetMaskCount();
    SetVectorMask<float, MaskMode::COUNTER>(0, 10);
    Copy<float, false>(cd, x, MASK_PLACEHOLDER, 3, CopyRepeatParams(1, 1, 8, 8));  // 10 per repeat, 3 repeats
    SetMaskNorm();
    ResetMask();
    dump_local("copy_counter", cd, 192);
    auto wo = b.GetWithOffset<float>(16, 4864);
    WholeReduceMax(wo, x[64], 64, 1, 1, 1, 8);
    fence();
    float val = 0, idx = 0;
    GetReduceMaxMinCount(val, idx);
    uint32_t ui;
    std::memcpy(&ui, &idx, 4);
    std::printf("maxmin after WholeReduceMax %.9g %u\n", val, ui);
    WholeReduceMin(wo, x[128], 64, 1, 1, 1, 8);
    fence();
    GetReduceMaxMinCount(val, idx);
    std::memcpy(&ui, &idx, 4);
    std::printf("maxmin after WholeReduceMin %.9g %u\n", val, ui);
}

// ---- TBufPool (the documented shared-pool pattern), TQueSync, GM helpers ------------------------
static void pool_cases(GM_ADDR gx, GM_ADDR gy) {
    TPipe pipe;
    TBufPool<TPosition::VECCALC> pool1, pool2;
    pipe.InitBufPool(pool1, 4096);
    pipe.InitBufPool(pool2, 4096, pool1);
    GlobalTensor<float> x, y;
    x.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gx), 512);
    y.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gy), 512);
    TQue<TPosition::VECIN, 1> qin;
    TQue<TPosition::VECOUT, 1> qout;
    pool1.InitBuffer(qin, 1, 1024);
    pool1.InitBuffer(qout, 1, 1024);
    for (int round = 0; round < 2; ++round) {
        auto t = qin.AllocTensor<float>();
        DataCopy(t, x[round * 256], 256);
        qin.EnQue(t);
        t = qin.DeQue<float>();
        auto o = qout.AllocTensor<float>();
        Muls(o, t, 3.0f, 256);
        qin.FreeTensor(t);
        qout.EnQue(o);
        o = qout.DeQue<float>();
        DataCopy(y[round * 256], o, 256);
        qout.FreeTensor(o);
    }
    pool1.Reset();
    TQue<TPosition::VECIN, 1> q2;
    pool2.InitBuffer(q2, 1, 2048);
    auto t2 = q2.AllocTensor<float>();
    std::printf("pool2 queue at UB offset %llu (pool1 started at 0)\n", (unsigned long long)t2.GetPhyAddr());
    q2.FreeTensor(t2);
    // TQueSync pairs with SetFlag<HardEvent::MTE2_V> state.
    TQueSync<PIPE_MTE2, PIPE_V> sync;
    sync.SetFlag(2);
    WaitFlag<HardEvent::MTE2_V>(2);
    SetFlag<HardEvent::MTE2_V>(3);
    sync.WaitFlag(3);
    // GlobalTensor::operator(), SetL2CacheHint (no effect on data)
    fence();
    y.SetL2CacheHint<CacheRwMode::READ>(CacheMode::CACHE_MODE_DISABLE);
    y(7) = y(7) + 1000.0f;
    std::printf("cache mode %d\n", int(y.twin_cache_mode()));
}

static void fill_cases(GM_ADDR gz) {
    GlobalTensor<float> z;
    z.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gz) + GetBlockIdx() * 300, 300);
    InitGlobalMemory(z, 300, 2.5f);
    SyncAll();
    SetAtomicAdd<float>();
    Fill(z, 100, float(GetBlockIdx() + 1));
    SetAtomicNone();
}

// ---- cube: DataCopy CO1 -> GM / L1 ---------------------------------------------------------------
static void cube_cases(GM_ADDR ga, GM_ADDR gb, GM_ADDR gc) {
    constexpr int M = 32, K = 64, N = 48;
    TPipe pipe;
    TBuf<TPosition::A1> a1;
    TBuf<TPosition::B1> b1;
    TBuf<TPosition::A2> a2;
    TBuf<TPosition::B2> b2;
    TBuf<TPosition::CO1> co1;
    TBuf<TPosition::C1> c1;
    pipe.InitBuffer(a1, M * K);
    pipe.InitBuffer(b1, N * K);
    pipe.InitBuffer(a2, M * K);
    pipe.InitBuffer(b2, N * K);
    pipe.InitBuffer(co1, M * N * 4);
    pipe.InitBuffer(c1, M * N * 2);
    GlobalTensor<int8_t> A, Bt;
    A.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(ga), M * K);
    Bt.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(gb), N * K);
    auto al1 = a1.Get<int8_t>();
    auto bl1 = b1.Get<int8_t>();
    DataCopy(al1, A, Nd2NzParams(1, M, K, 0, K, M, 1, 0));
    DataCopy(bl1, Bt, Nd2NzParams(1, N, K, 0, K, N, 1, 0));
    fence();
    LoadData3DParamsV2<int8_t> p;
    p.l1H = 1; p.l1W = M; p.channelSize = K; p.mExtension = M; p.kExtension = K;
    auto al0 = a2.Get<int8_t>();
    auto bl0 = b2.Get<int8_t>();
    LoadData(al0, al1, p);
    LoadData(bl0, bl1, LoadData2DParams(0, uint8_t((K / 32) * (N / 16)), 1, 0, 0, false, 0));
    fence();
    auto c = co1.Get<int32_t>();
    SetMMLayoutTransform(true);  // walk N first: same results
    Mmad(c, al0, bl0, MmadParams(M, N, K, uint8_t(0), false, true));   // C = A B
    Mmad(c, al0, bl0, MmadParams(M, N, K, uint8_t(0), false, false));  // C += A B (cmatrixInitVal = false)
    fence();
    GlobalTensor<int32_t> ci;
    ci.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(gc), M * N);
    // 11-argument FixpipeParamsV220: NZ2ND, NoQuant
    Fixpipe(ci, c, FixpipeParamsV220(N, M, M, N, false, QuantMode_t::NoQuant, 0, 1, 0, 0, 0));
    // DataCopy CO1 -> GM, DEQF16 with the SetFixpipePreQuantFlag scale, NZ2ND via SetFixpipeNz2ndFlag
    GlobalTensor<half> ch;
    ch.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(gc + M * N * 4), M * N);
    float scale = 1.0f / 256.0f;
    uint32_t sb;
    std::memcpy(&sb, &scale, 4);
    SetFixpipePreQuantFlag(sb);
    SetFixpipeNz2ndFlag(1, 0, 0);
    DataCopy(ch, c, DataCopyCO12DstParams(N, M, N, M, QuantMode_t::DEQF16, 1, false, true));
    // DataCopy CO1 -> GM without nz2ndEn: NZ, column blocks dstStride = M * 16 * 4 / 32 blocks apart
    GlobalTensor<int32_t> cnz;
    cnz.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(gc + M * N * 6), M * N);
    DataCopy(cnz, c, DataCopyCO12DstParams(N, M, M * 16 * 4 / 32, M, QuantMode_t::NoQuant, 0, false, false));
    // DataCopy CO1 -> L1 (NZ), DEQF16 half, read back through the twin
    auto cl1 = c1.Get<half>();
    DataCopy(cl1, c, DataCopyCO12DstParams(N, M, M * 16 * 2 / 32, M, QuantMode_t::DEQF16, 0, false, false));
    fence();
    dump("co12_l1", cl1.twin_ptr(), M * N);
}

// ---- broken kernels ----------------------------------------------------------------------------
static void fail_cases() {
    TPipe pipe;
    const std::string& c = g_fail;
    if (c == "pool_after_reset") {
        TBufPool<TPosition::VECCALC> pool;
        pipe.InitBufPool(pool, 1024);
        TQue<TPosition::VECIN, 1> q;
        pool.InitBuffer(q, 1, 512);
        pool.Reset();
        auto t = q.AllocTensor<float>();  // @fail:pool_after_reset
        (void)t;
    } else if (c == "pool_capacity") {
        TBufPool<TPosition::VECCALC> pool;
        pipe.InitBufPool(pool, 1024);
        TQue<TPosition::VECIN, 1> q;
        pool.InitBuffer(q, 2, 640);  // @fail:pool_capacity
    } else if (c == "pool_share_len") {
        TBufPool<TPosition::VECCALC> a, b;
        pipe.InitBufPool(a, 1024);
        pipe.InitBufPool(b, 2048, a);  // @fail:pool_share_len
    } else if (c == "tquesync_unset") {
        TQueSync<PIPE_V, PIPE_MTE3> s;
        s.WaitFlag(1);  // @fail:tquesync_unset
    } else if (c == "loaddata_v2") {
        TBuf<TPosition::A1> a1;
        TBuf<TPosition::A2> a2;
        pipe.InitBuffer(a1, 1024);
        pipe.InitBuffer(a2, 1024);
        LoadData(a2.Get<half>(), a1.Get<half>(), LoadData2DParamsV2(0, 0, 1, 1, 0, 0, false, 0));  // @fail:loaddata_v2
    } else if (c == "co12_l1_noquant") {
        TBuf<TPosition::CO1> co1;
        TBuf<TPosition::C1> c1;
        pipe.InitBuffer(co1, 4096);
        pipe.InitBuffer(c1, 4096);
        DataCopy(c1.Get<float>(), co1.Get<float>(), DataCopyCO12DstParams(16, 16, 2, 16, QuantMode_t::NoQuant, 0, false, false));  // @fail:co12_l1_noquant
    } else if (c == "maxmin_value_only") {
        float v;
        GetReduceMaxMinCount(v);  // @fail:maxmin_value_only
    } else if (c == "fill_outside") {
        GlobalTensor<float> g;
        float* p = static_cast<float*>(GmAlloc(64));
        g.SetGlobalBuffer(p, 16);
        InitGlobalMemory(g, 17, 1.0f);  // @fail:fill_outside
    }
}

extern "C" __global__ __aicore__ void aiv_kernel(GM_ADDR x, GM_ADDR y) {
    if (!g_fail.empty()) return fail_cases();
    TPipe pipe;
    sort_cases(pipe);
    pipe.Reset();
    index_cases(pipe);
    pipe.Reset();
    reduce_cases(pipe);
    pipe.Destroy();
    pool_cases(x, y);
}
extern "C" __global__ __aicore__ void fill_kernel(GM_ADDR z) { fill_cases(z); }
extern "C" __global__ __aicore__ void aic_kernel(GM_ADDR a, GM_ADDR b, GM_ADDR c) { cube_cases(a, b, c); }

int main(int argc, char** argv) {
    if (argc > 2 && std::string(argv[1]) == "fail") {
        g_fail = argv[2];
        uint8_t* x = static_cast<uint8_t*>(GmAlloc(4096));
        SetKernelMode(KernelMode::AIV_MODE);
        if (g_fail == "loaddata_v2" || g_fail == "co12_l1_noquant") SetKernelMode(KernelMode::AIC_MODE);
        ICPU_RUN_KF(aiv_kernel, 1, x, x);
        std::printf("kernel finished\n");
        return 0;
    }
    g_out = argc > 1 ? argv[1] : ".";
    float* x = static_cast<float*>(GmAlloc(512 * 4));
    float* y = static_cast<float*>(GmAlloc(512 * 4));
    for (int i = 0; i < 512; ++i) x[i] = rnd();
    SetKernelMode(KernelMode::AIV_MODE);
    ICPU_RUN_KF(aiv_kernel, 1, reinterpret_cast<uint8_t*>(x), reinterpret_cast<uint8_t*>(y));
    dump("pool_x", x, 512);
    dump("pool_y", y, 512);
    float* z = static_cast<float*>(GmAlloc(4 * 300 * 4));
    ICPU_RUN_KF(fill_kernel, 4, reinterpret_cast<uint8_t*>(z));
    dump("fill", z, 1200);
    constexpr int M = 32, K = 64, N = 48;
    int8_t* a = static_cast<int8_t*>(GmAlloc(M * K));
    int8_t* bt = static_cast<int8_t*>(GmAlloc(N * K));
    uint8_t* c = static_cast<uint8_t*>(GmAlloc(M * N * 10));
    for (int i = 0; i < M * K; ++i) a[i] = int8_t(int(rnd() * 8) % 100);
    for (int i = 0; i < N * K; ++i) bt[i] = int8_t(int(rnd() * 8) % 100);
    SetKernelMode(KernelMode::AIC_MODE);
    ICPU_RUN_KF(aic_kernel, 1, reinterpret_cast<uint8_t*>(a), reinterpret_cast<uint8_t*>(bt), c);
    dump("mm_a", a, M * K);
    dump("mm_bt", bt, N * K);
    dump("mm_c", reinterpret_cast<int32_t*>(c), M * N);
    dump("co12_deq", reinterpret_cast<half*>(c + M * N * 4), M * N);
    dump("co12_nz", reinterpret_cast<int32_t*>(c + M * N * 6), M * N);
    std::printf("ceil %u %u %u %u %d %d\n", DivCeil(33, 16), AlignUp(33, 16), ConstCeil(32, 16), Ceil(1, 16),
                CeilDivision(-5, 4), CeilDivision(7, 0));
    std::printf("int4b_t %d %d %d\n", int(int8_t(int4b_t(int32_t(-3)))), int(int8_t(int4b_t(int32_t(7)))),
                int(int8_t(int4b_t(uint32_t(0x1F)))));
    std::printf("ScalarCountLeadingZero %lld %lld %lld IsSameType %d %d\n", (long long)ScalarCountLeadingZero(1),
                (long long)ScalarCountLeadingZero(0x00F0000000000000ull), (long long)ScalarCountLeadingZero(0),
                int(IsSameType<half, half>::value), int(IsSameType<half, float>::value));
    std::printf("all done\n");
    return 0;
}
