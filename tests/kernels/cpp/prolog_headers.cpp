// Twin checks of the prologs' shared headers (ascendc/common/prolog_gemm.h, row_quant.h, cache_write.h).
// The Python side (tests/kernels/test_prolog_headers.py) writes the inputs as raw files into <dir>, runs
//   prolog_headers gemm <dir> <m> <cores>   PrologGemm over PrologGemmSplit on <cores> AICs, four jobs:
//                                           0: bf16 NZ W0 [512, 128] split by K (kPart 128, nTile 64),
//                                           0b: bf16 NZ W3 [512, 64] on the same A and K parts (a chain),
//                                           1: int8 NZ W1 [512, 96] (kPart 512, nTile 32),
//                                           2: bf16 ND W2 [128, 128] (the Hadamard form, one unit), output
//                                              rounded to bf16 by the Fixpipe into rows 160 apart
//   prolog_headers akey <dir> <m>           two units on one AIC over the same A, K part 256 then 512
//   prolog_headers quant <dir>              RowQuant: 5 rows of 128 -> int8 + fp16 scales (lo -127) and
//                                           3 rows of 1536 -> int8 + fp32 scales (lo -128), one AIV
//   prolog_headers cache <dir>              CacheWriter: 6 tokens' int8 rows [128] and fp16 scales into
//                                           caches of 3 blocks x 16 slots (index file; one out of range)
// and reads the outputs back; the program prints the launch's counters (GM_L1 bytes per core for gemm).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "kernel_operator.h"
#include "common/cache_write.h"
#include "common/prolog_gemm.h"
#include "common/row_quant.h"

using namespace AscendC;

static std::string g_dir;

static uint8_t* load(const std::string& name, size_t bytes)
{
    uint8_t* p = static_cast<uint8_t*>(GmAlloc(bytes));
    std::ifstream f(g_dir + "/" + name + ".bin", std::ios::binary);
    f.read(reinterpret_cast<char*>(p), std::streamsize(bytes));
    if (size_t(f.gcount()) != bytes) {
        std::fprintf(stderr, "%s: expected %zu bytes\n", name.c_str(), bytes);
        std::exit(4);
    }
    return p;
}
static void save(const std::string& name, const uint8_t* p, size_t bytes)
{
    std::ofstream f(g_dir + "/" + name + ".bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(p), std::streamsize(bytes));
}
static int finish(const twin::LaunchReport& r)
{
    if (!r.ok) {
        std::printf("launch failed: %s\n", r.error.c_str());
        return 1;
    }
    for (const auto& c : r.cores)
        std::printf("core %d aic %d GM_L1 %llu GM_UB %llu UB_GM %llu L0C_GM %llu\n", c.core_id, int(c.is_aic),
                    (unsigned long long)c.counters.bytes[size_t(twin::Path::GM_L1)],
                    (unsigned long long)c.counters.bytes[size_t(twin::Path::GM_UB)],
                    (unsigned long long)c.counters.bytes[size_t(twin::Path::UB_GM)],
                    (unsigned long long)c.counters.bytes[size_t(twin::Path::L0C_GM)]);
    return 0;
}

static int run_gemm(uint32_t m, int cores)
{
    dsa::PrologGemmJob jobs[4];
    jobs[0].a = load("a0", size_t(m) * 512 * 2);
    jobs[0].w = load("w0_nz", 512 * 128 * 2);
    jobs[0].out = static_cast<uint8_t*>(GmAlloc(size_t(4) * m * 128 * 4));
    jobs[0].k = 512; jobs[0].n = 128; jobs[0].kPart = 128; jobs[0].nTile = 64;
    jobs[1].a = jobs[0].a;  // the same A and K parts: one chain with job 0
    jobs[1].w = load("w3_nz", 512 * 64 * 2);
    jobs[1].out = static_cast<uint8_t*>(GmAlloc(size_t(4) * m * 64 * 4));
    jobs[1].k = 512; jobs[1].n = 64; jobs[1].kPart = 128; jobs[1].nTile = 32;
    jobs[2].a = load("a1", size_t(m) * 512);
    jobs[2].w = load("w1_nz", 512 * 96);
    jobs[2].out = static_cast<uint8_t*>(GmAlloc(size_t(m) * 96 * 4));
    jobs[2].k = 512; jobs[2].n = 96; jobs[2].kPart = 512; jobs[2].nTile = 32; jobs[2].int8 = true;
    jobs[3].a = load("a2", size_t(m) * 128 * 2);
    jobs[3].w = load("w2_nd", 128 * 128 * 2);
    jobs[3].out = static_cast<uint8_t*>(GmAlloc(size_t(m) * 160 * 2));  // bf16 rows 160 apart
    jobs[3].k = 128; jobs[3].n = 128; jobs[3].kPart = 128; jobs[3].nTile = 128; jobs[3].wNd = true;
    jobs[3].outBf16 = true; jobs[3].ldOut = 160;
    twin::LaunchOptions o;
    o.mode = twin::Mode::AIC_ONLY;
    o.numBlocks = cores;
    auto r = twin::launch_body(o, [&] {
        TPipe pipe;
        dsa::PrologGemm gemm;
        gemm.Init(&pipe);
        dsa::PrologGemmSplit split;
        split.Init(jobs, 4, GetBlockNum());
        split.ForEachUnit(GetBlockIdx(), [&](uint32_t j, uint32_t kp, uint32_t nt) { gemm.RunUnit(jobs[j], kp, nt, m); });
        gemm.DrainEvents();
    });
    save("out0", jobs[0].out, size_t(4) * m * 128 * 4);
    save("out3", jobs[1].out, size_t(4) * m * 64 * 4);
    save("out1", jobs[2].out, size_t(m) * 96 * 4);
    save("out2", jobs[3].out, size_t(m) * 160 * 2);
    return finish(r);
}

// One AIC runs a unit of A [m, 512] x W0 rows [0, 256) (kPart 256), then a unit of the same A with kPart 512:
// the second must load the whole 512-wide A block (an A block is keyed by its source, K offset, rows and width).
static int run_akey(uint32_t m)
{
    dsa::PrologGemmJob narrow, wide;
    narrow.a = wide.a = load("a0", size_t(m) * 512 * 2);
    narrow.w = wide.w = load("w0_nz", 512 * 128 * 2);
    narrow.out = static_cast<uint8_t*>(GmAlloc(size_t(2) * m * 128 * 4));
    wide.out = static_cast<uint8_t*>(GmAlloc(size_t(m) * 128 * 4));
    narrow.k = wide.k = 512;
    narrow.n = wide.n = 128;
    narrow.nTile = wide.nTile = 128;
    narrow.kPart = 256;
    wide.kPart = 512;
    twin::LaunchOptions o;
    o.mode = twin::Mode::AIC_ONLY;
    auto r = twin::launch_body(o, [&] {
        TPipe pipe;
        dsa::PrologGemm gemm;
        gemm.Init(&pipe);
        gemm.RunUnit(narrow, 0, 0, m);
        gemm.RunUnit(wide, 0, 0, m);
        gemm.DrainEvents();
    });
    save("narrow", narrow.out, size_t(m) * 128 * 4);  // part 0 only
    save("wide", wide.out, size_t(m) * 128 * 4);
    return finish(r);
}

static int run_quant()
{
    uint8_t* x128 = load("x128", 5 * 128 * 4);
    uint8_t* x1536 = load("x1536", 3 * 1536 * 4);
    uint8_t* q128 = static_cast<uint8_t*>(GmAlloc(5 * 128));
    uint8_t* s128 = static_cast<uint8_t*>(GmAlloc(32));
    uint8_t* q1536 = static_cast<uint8_t*>(GmAlloc(3 * 1536));
    uint8_t* s1536 = static_cast<uint8_t*>(GmAlloc(32));
    twin::LaunchOptions o;
    auto r = twin::launch_body(o, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> src, dst, scales, scratch;
        pipe.InitBuffer(src, 3 * 1536 * 4);
        pipe.InitBuffer(dst, 3 * 1536);
        pipe.InitBuffer(scales, 256);
        pipe.InitBuffer(scratch, dsa::RowQuant::ScratchBytes(3, 1536));
        dsa::RowQuant quant;
        GlobalTensor<float> xg;
        GlobalTensor<int8_t> qg;
        GlobalTensor<half> shg;
        GlobalTensor<float> sfg;
        // 5 x 128, fp16 scales, lo -127
        xg.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(x128));
        DataCopy(src.Get<float>(), xg, 5 * 128);
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        quant.Init(scratch.Get<uint8_t>(), 5, 128);
        quant.Run(dst.Get<int8_t>(), scales.Get<half>(), src.Get<float>(), 5, 128, -127.0f);
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        qg.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(q128));
        DataCopy(qg, dst.Get<int8_t>(), 5 * 128);
        shg.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(s128));
        DataCopyPad(shg, scales.Get<half>(), DataCopyExtParams(1, 5 * 2, 0, 0, 0));
        PipeBarrier<PIPE_ALL>();
        // 3 x 1536, fp32 scales, lo -128
        xg.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(x1536));
        DataCopy(src.Get<float>(), xg, 3 * 1536);
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        quant.Init(scratch.Get<uint8_t>(), 3, 1536);
        quant.Run(dst.Get<int8_t>(), scales.Get<float>(), src.Get<float>(), 3, 1536, -128.0f);
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        qg.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(q1536));
        DataCopy(qg, dst.Get<int8_t>(), 3 * 1536);
        sfg.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(s1536));
        DataCopyPad(sfg, scales.Get<float>(), DataCopyExtParams(1, 3 * 4, 0, 0, 0));
    });
    save("q128", q128, 5 * 128);
    save("s128", s128, 10);
    save("q1536", q1536, 3 * 1536);
    save("s1536", s1536, 12);
    return finish(r);
}

static int run_cache()
{
    constexpr uint32_t TOKENS = 6, SLOTS = 48, D = 128;
    uint8_t* rows = load("rows", TOKENS * D);
    uint8_t* scales = load("scales", TOKENS * 2);
    uint8_t* index = load("index", TOKENS * 8);
    uint8_t* cache = load("cache", SLOTS * D);
    uint8_t* scaleCache = load("scale_cache", SLOTS * 2);
    twin::LaunchOptions o;
    auto r = twin::launch_body(o, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> rowBuf, scaleBuf;
        pipe.InitBuffer(rowBuf, TOKENS * D);
        pipe.InitBuffer(scaleBuf, TOKENS * 32);
        GlobalTensor<int8_t> rowsGm;
        GlobalTensor<half> scalesGm;
        rowsGm.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(rows));
        scalesGm.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(scales));
        DataCopy(rowBuf.Get<int8_t>(), rowsGm, TOKENS * D);
        // each token's scale in its own 32 B block
        DataCopyPad(scaleBuf.Get<half>(), scalesGm, DataCopyExtParams(TOKENS, 2, 0, 0, 0), DataCopyPadExtParams<half>(false, 0, 0, half(0)));
        SetFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_MTE3>(EVENT_ID0);
        dsa::CacheWriter<int8_t> k;
        dsa::CacheWriter<half> s;
        k.Init(cache, index, SLOTS, D);
        s.Init(scaleCache, index, SLOTS, 1);
        for (uint32_t t = 0; t < TOKENS; ++t) {
            const int64_t slot = k.Slot(t);
            k.Write(slot, rowBuf.Get<int8_t>()[t * D]);
            s.Write(slot, scaleBuf.Get<half>()[t * 16]);
        }
    });
    save("cache", cache, SLOTS * D);
    save("scale_cache", scaleCache, SLOTS * 2);
    return finish(r);
}

int main(int argc, char** argv)
{
    if (argc < 3) return 2;
    const std::string mode = argv[1];
    g_dir = argv[2];
    if (mode == "gemm" && argc == 5) return run_gemm(uint32_t(std::atoi(argv[3])), std::atoi(argv[4]));
    if (mode == "akey" && argc == 4) return run_akey(uint32_t(std::atoi(argv[3])));
    if (mode == "quant") return run_quant();
    if (mode == "cache") return run_cache();
    return 2;
}
