// Semantics of the twin's infrastructure APIs. `core_api <case>` runs one case and prints
// "PASS <case>" or "FAIL <case>: <why>" lines; `nd2nz_dump` prints L1 bytes for a check in Python.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_operator.h"

using namespace AscendC;

static int g_failures = 0;
#define EXPECT(cond, ...)                                 \
    do {                                                  \
        if (!(cond)) {                                    \
            std::printf("FAIL %s:%d: ", __func__, __LINE__); \
            std::printf(__VA_ARGS__);                     \
            std::printf("\n");                            \
            ++g_failures;                                 \
        }                                                 \
    } while (0)

template <class T> static T* gm(size_t n) { return static_cast<T*>(GmAlloc(n * sizeof(T))); }

static twin::LaunchReport run(twin::Mode mode, int blocks, const std::function<void()>& body) {
    twin::LaunchOptions o;
    o.mode = mode;
    o.numBlocks = blocks;
    twin::LaunchReport r = twin::launch_body(o, body);
    if (!r.ok) std::printf("FAIL launch: %s\n", r.error.c_str()), ++g_failures;
    return r;
}

// ---- core identity ---------------------------------------------------------------------------
static void identity() {
    int32_t* out = gm<int32_t>(3 * 2 * 8 * 5);
    run(twin::Mode::AIV_ONLY, 5, [&] {
        GlobalTensor<int32_t> g;
        g.SetGlobalBuffer(out + GetBlockIdx() * 8, 8);
        g.SetValue(0, int32_t(GetBlockIdx()));
        g.SetValue(1, int32_t(GetBlockNum()));
        g.SetValue(2, int32_t(GetSubBlockIdx()));
        g.SetValue(3, int32_t(GetTaskRatio()));
        g.SetValue(4, ASCEND_IS_AIV ? 1 : 0);
    });
    for (int b = 0; b < 5; ++b) {
        EXPECT(out[b * 8] == b && out[b * 8 + 1] == 5 && out[b * 8 + 2] == 0 && out[b * 8 + 3] == 1 && out[b * 8 + 4] == 1,
               "AIV_ONLY block %d: idx %d num %d sub %d ratio %d aiv %d", b, out[b * 8], out[b * 8 + 1], out[b * 8 + 2],
               out[b * 8 + 3], out[b * 8 + 4]);
    }
    // MIX 1:2 with 3 AI cores: AIC idx in [0,3), AIV idx in [0,6), sub-block 0/1, ratio 1 (AIC) / 2 (AIV).
    int32_t* mix = gm<int32_t>(9 * 8);
    run(twin::Mode::MIX_1_2, 3, [&] {
        KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIC_1_2);
        int slot = ASCEND_IS_AIC ? int(GetBlockIdx()) : 3 + int(GetBlockIdx());
        GlobalTensor<int32_t> g;
        g.SetGlobalBuffer(mix + slot * 8, 8);
        g.SetValue(0, int32_t(GetBlockIdx()));
        g.SetValue(1, int32_t(GetBlockNum()));
        g.SetValue(2, int32_t(GetSubBlockIdx()));
        g.SetValue(3, int32_t(GetTaskRatio()));
        g.SetValue(4, ASCEND_IS_AIC ? 1 : 0);
        g.SetValue(5, 7);
    });
    for (int s = 0; s < 9; ++s) {
        const int32_t* v = mix + s * 8;
        bool aic = s < 3;
        int idx = aic ? s : s - 3;
        EXPECT(v[5] == 7 && v[0] == idx && v[1] == 3 && v[2] == (aic ? 0 : idx % 2) && v[3] == (aic ? 1 : 2) &&
                   v[4] == (aic ? 1 : 0),
               "MIX slot %d: idx %d num %d sub %d ratio %d aic %d", s, v[0], v[1], v[2], v[3], v[4]);
    }
    GmFree(out);
    GmFree(mix);
}

// ---- TPipe / TQue / TBuf ---------------------------------------------------------------------
static void queues() {
    run(twin::Mode::AIV_ONLY, 1, [&] {
        TPipe pipe;
        TQue<TPosition::VECIN, 2> qin;
        TQue<TPosition::VECOUT, 1> qout;
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(qin, 2, 100);  // rounded to 128 B
        pipe.InitBuffer(qout, 1, 64);
        pipe.InitBuffer(tb, 96);
        EXPECT(pipe.twin_used(twin::Mem::UB) == 2 * 128 + 64 + 96, "UB used %u", pipe.twin_used(twin::Mem::UB));
        EXPECT(pipe.twin_buffer_count() == 4, "buffers %u", pipe.twin_buffer_count());
        LocalTensor<float> a = qin.AllocTensor<float>();
        LocalTensor<float> b = qin.AllocTensor<float>();
        EXPECT(a.GetSize() == 32 && a.GetLength() == 128, "size %u len %u", a.GetSize(), a.GetLength());
        EXPECT(a.GetPhyAddr() == 0 && b.GetPhyAddr() == 128, "addr %llu %llu", (unsigned long long)a.GetPhyAddr(),
               (unsigned long long)b.GetPhyAddr());
        EXPECT(!qin.HasIdleBuffer(), "HasIdleBuffer after 2 allocs");
        EXPECT(qin.GetState(a) == TBufState::OCCUPIED, "state after alloc");
        a.SetValue(0, 1.5f);
        b.SetValue(0, 2.5f);
        EXPECT(qin.VacantInQue() && !qin.HasTensorInQue(), "empty queue flags");
        qin.EnQue(b);
        qin.EnQue(a);
        EXPECT(!qin.VacantInQue() && qin.GetTensorCountInQue() == 2, "count %d", qin.GetTensorCountInQue());
        EXPECT(qin.GetState(a) == TBufState::ENQUE, "state after enque");
        LocalTensor<float> first = qin.DeQue<float>();
        LocalTensor<float> second = qin.DeQue<float>();
        EXPECT(first.GetValue(0) == 2.5f && second.GetValue(0) == 1.5f, "FIFO order %f %f", first.GetValue(0),
               second.GetValue(0));
        EXPECT(qin.GetState(first) == TBufState::DEQUE, "state after deque");
        qin.FreeTensor(first);
        EXPECT(qin.HasIdleBuffer(), "idle after free");
        qin.FreeTensor(second);
        // Typed views: ReinterpretCast and operator[].
        LocalTensor<half> h = qout.AllocTensor<half>();
        EXPECT(h.GetSize() == 32 && h.GetPhyAddr() == 256 && h.GetPosition() == static_cast<int32_t>(TPosition::VECOUT), "qout tensor");
        LocalTensor<int32_t> hi = h.ReinterpretCast<int32_t>();
        EXPECT(hi.GetSize() == 16 && hi.GetPhyAddr() == 256, "reinterpret size %u", hi.GetSize());
        LocalTensor<half> h8 = h[8];
        EXPECT(h8.GetPhyAddr() == 256 + 16 && h8.GetSize() == 24, "view addr %llu size %u",
               (unsigned long long)h8.GetPhyAddr(), h8.GetSize());
        h8.SetValue(0, half(3.0f));
        EXPECT(float(h.GetValue(8)) == 3.0f, "view aliasing");
        qout.EnQue(h);
        LocalTensor<half> hd = qout.DeQue<half>();
        qout.FreeTensor(hd);
        // TBuf: Get, Get(len), GetWithOffset.
        LocalTensor<float> t = tb.Get<float>();
        EXPECT(t.GetSize() == 24 && t.GetPhyAddr() == 320, "tbuf %u %llu", t.GetSize(), (unsigned long long)t.GetPhyAddr());
        EXPECT(tb.Get<float>(8).GetSize() == 8, "Get(len)");
        LocalTensor<half> w = tb.GetWithOffset<half>(16, 32);
        EXPECT(w.GetPhyAddr() == 352 && w.GetSize() == 16, "GetWithOffset %llu", (unsigned long long)w.GetPhyAddr());
        // Reset frees everything; the next buffer starts at 0 again.
        pipe.Reset();
        TQue<TPosition::VECIN, 1> q2;
        pipe.InitBuffer(q2, 1, 32);
        EXPECT(q2.AllocTensor<float>().GetPhyAddr() == 0, "after Reset");
        EXPECT(GetTPipePtr() == &pipe, "GetTPipePtr");
        // Event ids.
        int32_t e0 = pipe.AllocEventID<HardEvent::V_MTE3>();
        int32_t e1 = pipe.AllocEventID<HardEvent::V_MTE3>();
        EXPECT(e0 == 0 && e1 == 1 && pipe.FetchEventID(HardEvent::V_MTE3) == 2, "event ids %d %d", e0, e1);
        pipe.ReleaseEventID<HardEvent::V_MTE3>(e0);
        EXPECT(pipe.FetchEventID<HardEvent::V_MTE3>() == 0, "released id");
        SetFlag<HardEvent::V_MTE3>(e1);
        WaitFlag<HardEvent::V_MTE3>(e1);
        PipeBarrier<PIPE_V>();
    });
}

// ---- copies ----------------------------------------------------------------------------------
static void copies() {
    const int n = 256;
    float* src = gm<float>(n);
    float* dst = gm<float>(n);
    for (int i = 0; i < n; ++i) src[i] = float(i) * 0.5f;
    twin::LaunchReport r = run(twin::Mode::AIV_ONLY, 1, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, 4 * n * sizeof(float));
        LocalTensor<float> a = tb.Get<float>();
        LocalTensor<float> b = a[n];
        GlobalTensor<float> gs, gd;
        gs.SetGlobalBuffer(src, n);
        gd.SetGlobalBuffer(dst, n);
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopy(a, gs, n);       // GM -> UB
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopy(b, a, n);        // UB -> UB
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopy(gd, b, n / 2);   // UB -> GM, first half
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        // Strided: 4 blocks of 2 x 32 B, skipping 1 block in GM and 2 blocks in UB between them.
        LocalTensor<float> c = a[2 * n];
        DataCopyParams p(4, 2, 1, 2);
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopy(c, gs, p);
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        for (int blk = 0; blk < 4; ++blk)
            for (int k = 0; k < 16; ++k)
                EXPECT(c.GetValue(blk * 32 + k) == src[blk * 24 + k], "strided in blk %d k %d", blk, k);
        DataCopyParams q(4, 2, 2, 1);  // UB gaps 2, GM gaps 1: back to the same GM positions
        GlobalTensor<float> gd2 = gd[n / 2];
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopy(gd2, c, DataCopyParams(2, 2, 2, 1));
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        (void)q;
    });
    for (int i = 0; i < n / 2; ++i) EXPECT(dst[i] == src[i], "count copy %d: %f", i, dst[i]);
    for (int blk = 0; blk < 2; ++blk)
        for (int k = 0; k < 16; ++k)
            EXPECT(dst[n / 2 + blk * 24 + k] == src[blk * 24 + k], "strided out blk %d k %d", blk, k);
    const twin::Counters& t = r.total;
    EXPECT(t.bytes[twin::Path::GM_UB] == n * 4 + 4 * 64, "GM_UB bytes %llu", (unsigned long long)t.bytes[twin::Path::GM_UB]);
    EXPECT(t.bytes[twin::Path::UB_UB] == n * 4, "UB_UB bytes");
    EXPECT(t.bytes[twin::Path::UB_GM] == n * 2 + 2 * 64, "UB_GM bytes %llu", (unsigned long long)t.bytes[twin::Path::UB_GM]);
    GmFree(src);
    GmFree(dst);
}

// DataCopyPad: every block occupies ceil(len/32)*32 bytes in UB; padding and dummy bytes as documented.
static void pad_layout() {
    const int rows = 3, cols = 10;  // 10 halves = 20 B per row
    half* src = gm<half>(rows * cols);
    half* dst = gm<half>(rows * cols + 16);
    for (int i = 0; i < rows * cols; ++i) src[i] = half(float(i + 1));
    for (int i = 0; i < rows * cols + 16; ++i) dst[i] = half(-1.0f);
    run(twin::Mode::AIV_ONLY, 1, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, 1024);
        LocalTensor<half> u = tb.Get<half>();
        GlobalTensor<half> gs, gd;
        gs.SetGlobalBuffer(src, rows * cols);
        gd.SetGlobalBuffer(dst, rows * cols + 16);
        // No padding requested: dummy bytes repeat each block's first element.
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopyPad(u, gs, DataCopyExtParams(rows, cols * sizeof(half), 0, 0, 0), DataCopyPadExtParams<half>(false, 0, 0, half(0.0f)));
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        for (int r = 0; r < rows; ++r) {
            for (int k = 0; k < cols; ++k)
                EXPECT(float(u.GetValue(r * 16 + k)) == float(src[r * cols + k]), "row %d elem %d", r, k);
            for (int k = cols; k < 16; ++k)
                EXPECT(float(u.GetValue(r * 16 + k)) == float(src[r * cols]), "dummy row %d elem %d = %f", r, k,
                       float(u.GetValue(r * 16 + k)));
        }
        // Left 2 / right 3 elements of padding value 9 and a dstStride of 1 block between rows.
        LocalTensor<half> v = u[256];
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopyPad(v, gs, DataCopyExtParams(rows, cols * sizeof(half), 0, 1, 0), DataCopyPadExtParams<half>(true, 2, 3, half(9.0f)));
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        for (int r = 0; r < rows; ++r) {
            int base = r * 32;  // 32 B slot (2+10+3 = 15 halves -> 16) + 1 block gap = 32 halves
            EXPECT(float(v.GetValue(base)) == 9.0f && float(v.GetValue(base + 1)) == 9.0f, "left pad row %d", r);
            for (int k = 0; k < cols; ++k) EXPECT(float(v.GetValue(base + 2 + k)) == float(src[r * cols + k]), "padded row %d", r);
            for (int k = 12; k < 16; ++k) EXPECT(float(v.GetValue(base + k)) == 9.0f, "right pad row %d k %d", r, k);
        }
        // UB -> GM: only blockLen bytes of each 32 B slot reach GM; GM rows are packed (dstStride 0).
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopyPad(gd, u, DataCopyExtParams(rows, cols * sizeof(half), 0, 0, 0));
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        // Old DataCopyParams overload, GM side gap of 4 bytes between rows.
        GlobalTensor<half> gt = gd[rows * cols];
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopyPad(gt, u, DataCopyParams(2, 4 * sizeof(half), 0, 4));
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
    });
    for (int i = 0; i < rows * cols; ++i) EXPECT(float(dst[i]) == float(src[i]), "UB->GM pad %d", i);
    // rows 0 and 1 of u, 4 elements each, 2 elements (4 B) apart in GM
    EXPECT(float(dst[30]) == 1.0f && float(dst[33]) == 4.0f && float(dst[34]) == -1.0f && float(dst[36]) == 11.0f &&
               float(dst[39]) == 14.0f,
           "old overload %f %f %f %f %f", float(dst[30]), float(dst[33]), float(dst[34]), float(dst[36]), float(dst[39]));
    GmFree(src);
    GmFree(dst);
}

// ND -> NZ into L1; the L1 bytes are printed for an independent check in Python.
static void nd2nz_dump() {
    const int n = 20, d = 40, srcD = 48;  // half: C0 = 16, 3 column fractals, 20 rows padded to 32
    half* src = gm<half>(2 * n * srcD);
    for (int i = 0; i < 2 * n * srcD; ++i) src[i] = half(float(i % 2003));
    const int bytes = 2 * 3 * 32 * 32;  // 2 matrices x 3 fractal columns x 32 rows x 32 B
    uint8_t* out = gm<uint8_t>(bytes);
    run(twin::Mode::AIC_ONLY, 1, [&] {
        TPipe pipe;
        TBuf<TPosition::A1> l1;
        pipe.InitBuffer(l1, bytes);
        LocalTensor<uint8_t> raw = l1.Get<uint8_t>();
        for (int i = 0; i < bytes; ++i) raw.SetValue(i, 0xAB);
        LocalTensor<half> h = l1.Get<half>();
        GlobalTensor<half> gs;
        gs.SetGlobalBuffer(src, 2 * n * srcD);
        // 2 ND matrices n x d (row pitch srcD, matrix pitch n*srcD) -> NZ with 32-row fractal columns.
        Nd2NzParams p(2, n, d, n * srcD, srcD, 32, 1, 3 * 32 * 16);
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopy(h, gs, p);
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        GlobalTensor<uint8_t> go;
        go.SetGlobalBuffer(out, bytes);
        for (int i = 0; i < bytes; ++i) go.SetValue(i, raw.GetValue(i));
    });
    std::printf("NZ");
    for (int i = 0; i < bytes; ++i) std::printf(" %02x", out[i]);
    std::printf("\nSRC");
    for (int i = 0; i < 2 * n * srcD; ++i) std::printf(" %04x", src[i].bits());
    std::printf("\n");
    GmFree(src);
    GmFree(out);
}

// ---- atomics, events, cross-core flags, SyncAll ---------------------------------------------
static void atomics() {
    const int n = 64, cores = 4;
    float* acc = gm<float>(n);
    for (int i = 0; i < n; ++i) acc[i] = 100.0f;
    run(twin::Mode::AIV_ONLY, cores, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, n * sizeof(float));
        LocalTensor<float> t = tb.Get<float>();
        for (int i = 0; i < n; ++i) t.SetValue(i, float(GetBlockIdx() + 1) * float(i));
        GlobalTensor<float> g;
        g.SetGlobalBuffer(acc, n);
        SetAtomicAdd<float>();
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopy(g, t, n);
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        SetAtomicNone();
    });
    for (int i = 0; i < n; ++i) EXPECT(acc[i] == 100.0f + 10.0f * i, "atomic add %d: %f", i, acc[i]);
    int32_t* mx = gm<int32_t>(8);
    run(twin::Mode::AIV_ONLY, 3, [&] {
        TPipe pipe;
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, 32);
        LocalTensor<int32_t> t = tb.Get<int32_t>();
        for (int i = 0; i < 8; ++i) t.SetValue(i, int32_t((GetBlockIdx() * 7 + i * 3) % 11));
        GlobalTensor<int32_t> g;
        g.SetGlobalBuffer(mx, 8);
        SetAtomicMax<int32_t>();
        PipeBarrier<PIPE_ALL>();  // earlier scalar/vector/copy accesses are done
        DataCopy(g, t, 8);
        PipeBarrier<PIPE_ALL>();  // the copy is done before anything reads its destination
        SetAtomicNone();
    });
    for (int i = 0; i < 8; ++i) {
        int e = 0;
        for (int b = 0; b < 3; ++b) e = std::max(e, (b * 7 + i * 3) % 11);
        EXPECT(mx[i] == e, "atomic max %d: %d vs %d", i, mx[i], e);
    }
    GmFree(acc);
    GmFree(mx);
}

// MIX 1:2: the AIC produces per-AIV data in GM, the AIVs transform it, the AIC consumes the result.
static void cross_core() {
    const int groups = 2, n = 8;
    float* ws = gm<float>(groups * 2 * n);
    float* res = gm<float>(groups * 2 * n);
    float* fin = gm<float>(groups);
    twin::LaunchReport r = run(twin::Mode::MIX_1_2, groups, [&] {
        if ASCEND_IS_AIC {
            int g = int(GetBlockIdx());
            GlobalTensor<float> w;
            w.SetGlobalBuffer(ws + g * 2 * n, 2 * n);
            for (int i = 0; i < 2 * n; ++i) w.SetValue(i, float(g * 100 + i));
            CrossCoreSetFlag<2, PIPE_MTE3>(3);
            CrossCoreWaitFlag(4);  // both AIVs of this AI core must set 4
            GlobalTensor<float> rr;
            rr.SetGlobalBuffer(res + g * 2 * n, 2 * n);
            float s = 0;
            for (int i = 0; i < 2 * n; ++i) s += rr.GetValue(i);
            GlobalTensor<float> f;
            f.SetGlobalBuffer(fin + g, 1);
            f.SetValue(0, s);
        }
        if ASCEND_IS_AIV {
            int g = int(GetBlockIdx()) / 2, sub = int(GetSubBlockIdx());
            CrossCoreWaitFlag(3);
            GlobalTensor<float> w, rr;
            w.SetGlobalBuffer(ws + g * 2 * n + sub * n, n);
            rr.SetGlobalBuffer(res + g * 2 * n + sub * n, n);
            for (int i = 0; i < n; ++i) rr.SetValue(i, 2.0f * w.GetValue(i));
            CrossCoreSetFlag<2, PIPE_MTE3>(4);
        }
    });
    for (int g = 0; g < groups; ++g) {
        float e = 0;
        for (int i = 0; i < 2 * n; ++i) e += 2.0f * float(g * 100 + i);
        EXPECT(fin[g] == e, "group %d: %f vs %f", g, fin[g], e);
    }
    EXPECT(r.total.cross_core_sets == uint64_t(groups * 3) && r.total.cross_core_waits == uint64_t(groups * 3),
           "cross-core counters %llu %llu", (unsigned long long)r.total.cross_core_sets,
           (unsigned long long)r.total.cross_core_waits);
    // Mode 0 among all AIVs and mode 1 between the two AIVs of an AI core.
    int32_t* cnt = gm<int32_t>(16);
    run(twin::Mode::MIX_1_2, 2, [&] {
        if ASCEND_IS_AIV {
            GlobalTensor<int32_t> c;
            c.SetGlobalBuffer(cnt, 16);
            c.SetValue(GetBlockIdx(), 1);
            CrossCoreSetFlag<0, PIPE_MTE3>(5);
            CrossCoreWaitFlag(5);  // every AIV has written its slot
            int32_t s = 0;
            for (int i = 0; i < 4; ++i) s += c.GetValue(i);
            c.SetValue(4 + GetBlockIdx(), s);
            CrossCoreSetFlag<1, PIPE_MTE3>(6);
            CrossCoreWaitFlag(6);
            c.SetValue(8 + GetBlockIdx(), c.GetValue(4 + (GetBlockIdx() ^ 1)));
        }
    });
    for (int i = 0; i < 4; ++i) EXPECT(cnt[4 + i] == 4 && cnt[8 + i] == 4, "mode 0/1 %d: %d %d", i, cnt[4 + i], cnt[8 + i]);
    GmFree(ws);
    GmFree(res);
    GmFree(fin);
    GmFree(cnt);
}

static void sync_all() {
    const int blocks = 8;
    int32_t* slots = gm<int32_t>(blocks * 8);
    int32_t* sums = gm<int32_t>(blocks * 8);
    int32_t* ws = gm<int32_t>(blocks * 8);
    run(twin::Mode::AIV_ONLY, blocks, [&] {
        GlobalTensor<int32_t> s, o;
        s.SetGlobalBuffer(slots, blocks * 8);
        o.SetGlobalBuffer(sums + GetBlockIdx() * 8, 8);
        s.SetValue(GetBlockIdx() * 8, int32_t(GetBlockIdx() + 1));
        SyncAll();
        int32_t t = 0;
        for (int b = 0; b < blocks; ++b) t += s.GetValue(b * 8);
        o.SetValue(0, t);
        SyncAll();
        s.SetValue(GetBlockIdx() * 8 + 1, t);  // second phase after a second barrier
        // Software SyncAll over the first 4 blocks.
        if (GetBlockIdx() < 4) {
            TPipe pipe;
            TBuf<TPosition::VECCALC> tb;
            pipe.InitBuffer(tb, blocks * 32);
            GlobalTensor<int32_t> w;
            w.SetGlobalBuffer(ws, blocks * 8);
            SyncAll(w, tb.Get<int32_t>(), 4);
        }
    });
    for (int b = 0; b < blocks; ++b) EXPECT(sums[b * 8] == 36, "SyncAll sum block %d: %d", b, sums[b * 8]);
    // SyncAll<false> in a MIX kernel: AIC writes, every core reads after the barrier.
    int32_t* v = gm<int32_t>(8);
    int32_t* seen = gm<int32_t>(16);
    run(twin::Mode::MIX_1_2, 2, [&] {
        GlobalTensor<int32_t> gv, gs;
        gv.SetGlobalBuffer(v, 8);
        gs.SetGlobalBuffer(seen, 16);
        if ASCEND_IS_AIC gv.SetValue(GetBlockIdx(), int32_t(10 + GetBlockIdx()));
        SyncAll<false>();
        int slot = ASCEND_IS_AIC ? int(GetBlockIdx()) : 2 + int(GetBlockIdx());
        gs.SetValue(slot, gv.GetValue(0) + gv.GetValue(1));
    });
    for (int i = 0; i < 6; ++i) EXPECT(seen[i] == 21, "SyncAll<false> slot %d: %d", i, seen[i]);
    GmFree(slots);
    GmFree(sums);
    GmFree(ws);
    GmFree(v);
    GmFree(seen);
}

// ---- tiling, launch interface, types ---------------------------------------------------------
struct TilingData {
    uint32_t total;
    float scale;
};

extern "C" __global__ __aicore__ void tiling_kernel(GM_ADDR out, GM_ADDR workspace, GM_ADDR tiling) {
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
    GET_TILING_DATA(td, tiling);
    GET_TILING_DATA_WITH_STRUCT(TilingData, td2, tiling);
    GlobalTensor<float> o;
    o.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(out) + GetBlockIdx() * 4, 4);
    o.SetValue(0, float(td.total) * td2.scale);
    o.SetValue(1, TILING_KEY_IS(7) ? 1.0f : 0.0f);
    o.SetValue(2, GetUserWorkspace(workspace) == workspace ? 1.0f : 0.0f);
}

static void tiling() {
    float* out = static_cast<float*>(GmAlloc(4 * 4 * sizeof(float)));
    uint8_t* ws = static_cast<uint8_t*>(GmAlloc(64));
    TilingData* td = static_cast<TilingData*>(GmAlloc(sizeof(TilingData)));
    td->total = 6;
    td->scale = 0.5f;
    AscendC::SetKernelMode(KernelMode::AIV_MODE);
    ICPU_SET_TILING_KEY(7);
    ICPU_RUN_KF(tiling_kernel, 4, reinterpret_cast<uint8_t*>(out), ws, reinterpret_cast<uint8_t*>(td));
    for (int b = 0; b < 4; ++b)
        EXPECT(out[b * 4] == 3.0f && out[b * 4 + 1] == 1.0f && out[b * 4 + 2] == 1.0f, "block %d: %f %f %f", b, out[b * 4],
               out[b * 4 + 1], out[b * 4 + 2]);
    GmFree(out);
    GmFree(ws);
    GmFree(td);
}

static void types() {
    EXPECT(bfloat16_t(1.00390625f).bits() == 0x3f80, "bf16 tie rounds to even: %04x", bfloat16_t(1.00390625f).bits());
    EXPECT(bfloat16_t(1.01171875f).bits() == 0x3f82, "bf16 tie rounds up to even: %04x", bfloat16_t(1.01171875f).bits());
    EXPECT(bfloat16_t(NAN).bits() == 0x7fc0 || (bfloat16_t(NAN).bits() & 0x7fc0) == 0x7fc0, "bf16 NaN quiet");
    EXPECT(half(65519.0f).bits() == 0x7bff && half(65520.0f).bits() == 0x7c00, "fp16 overflow threshold");
    EXPECT(half(1.0f + 1.0f / 2048).bits() == 0x3c00, "fp16 tie to even");
    EXPECT(float(half(0.1f)) == 0.0999755859375f, "fp16 0.1 = %.13f", float(half(0.1f)));
    EXPECT(twin::dtype_of<half>() == twin::DType::FP16 && twin::dtype_of<bfloat16_t>() == twin::DType::BF16 &&
               twin::dtype_of<int8_t>() == twin::DType::INT8,
           "dtype_of");
    EXPECT(twin::find_soc("Ascend910B3")->aiv == 40 && twin::find_soc("ascend910_93")->aic == 24 &&
               twin::find_soc("nope") == nullptr,
           "soc table");
    twin::SrcLoc here = twin::SrcLoc::here();
    EXPECT(here.line == __LINE__ - 1 && std::strstr(here.file, "core_api.cpp"), "SrcLoc::here %s:%u", here.file, here.line);
}

static void counters_report() {
    float* g = gm<float>(1024);
    twin::LaunchReport r = run(twin::Mode::AIV_ONLY, 2, [&] {
        TPipe pipe;
        TQue<TPosition::VECIN, 1> q;
        pipe.InitBuffer(q, 1, 512 * sizeof(float));
        GlobalTensor<float> gt;
        gt.SetGlobalBuffer(g + GetBlockIdx() * 512, 512);
        LocalTensor<float> t = q.AllocTensor<float>();
        DataCopy(t, gt, 512);
        q.EnQue(t);
        t = q.DeQue<float>();
        PipeBarrier<PIPE_ALL>();  // the scalar unit reads what MTE2 wrote (the VECIN DeQue orders only PIPE_V)
        (void)t.GetValue(3);
        t.SetValue(3, 1.0f);
        SetFlag<HardEvent::MTE2_V>(0);
        WaitFlag<HardEvent::MTE2_V>(0);
        q.FreeTensor(t);
    });
    EXPECT(r.cores.size() == 2, "cores %zu", r.cores.size());
    for (const twin::CoreReport& c : r.cores) {
        const twin::Counters& k = c.counters;
        EXPECT(k.bytes[twin::Path::GM_UB] == 2048 && k.scalar_reads == 1 && k.scalar_writes == 1 && k.flag_waits == 1 &&
                   k.barriers == 1 && k.queue_ops == 4,
               "core %d counters", c.core_id);
    }
    EXPECT(r.total.bytes[twin::Path::GM_UB] == 4096, "total");
    twin::LaunchReport last = twin::last_report();
    EXPECT(last.total.queue_ops == 8, "last report");
    uint64_t flat[twin::Counters::kFlatLen];
    r.total.flatten(flat);
    EXPECT(std::string(twin::Counters::flat_name(0)) == "bytes.GM_UB" && flat[0] == 4096, "flat view");
    GmFree(g);
}

int main(int argc, char** argv) {
    std::string which = argc > 1 ? argv[1] : "all";
    struct Case {
        const char* name;
        void (*fn)();
    } cases[] = {{"identity", identity}, {"queues", queues},       {"copies", copies},     {"pad_layout", pad_layout},
                 {"atomics", atomics},   {"cross_core", cross_core}, {"sync_all", sync_all}, {"tiling", tiling},
                 {"types", types},       {"counters", counters_report}};
    if (which == "nd2nz_dump") {
        nd2nz_dump();
        return 0;
    }
    bool found = false;
    for (const Case& c : cases)
        if (which == "all" || which == c.name) {
            found = true;
            int before = g_failures;
            c.fn();
            std::printf("%s %s\n", g_failures == before ? "PASS" : "FAILED", c.name);
        }
    if (!found) std::printf("unknown case %s\n", which.c_str());
    return (found && g_failures == 0) ? 0 : 1;
}
