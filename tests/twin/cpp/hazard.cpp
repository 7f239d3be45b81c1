// Intra-core pipe hazards: `hazard <case> [outdir]`.
// Refused cases mark the two conflicting call sites `@first:<case>` (the earlier access) and
// `@second:<case>` (where the twin stops). Accepted cases write x.bin/y.bin (inputs) and z.bin (output)
// to outdir so the test compares them with numpy.
#include <cstdio>
#include <string>

#include "kernel_operator.h"

using namespace AscendC;

static std::string g_case;
constexpr int N = 256;       // elements per tile
constexpr int TILES = 8;     // tiles per core (double-buffered cases)
constexpr int BLOCKS = 2;    // AIV cores

extern "C" __global__ __aicore__ void hz_kernel(GM_ADDR x, GM_ADDR y, GM_ADDR z) {
    const std::string& c = g_case;
    const int b = int(GetBlockIdx());
    GlobalTensor<float> xg, yg, zg;
    xg.SetGlobalBuffer((__gm__ float*)x + b * N * TILES, N * TILES);
    yg.SetGlobalBuffer((__gm__ float*)y + b * N * TILES, N * TILES);
    zg.SetGlobalBuffer((__gm__ float*)z + b * N * TILES, N * TILES);
    TPipe pipe;
    if (c == "tbuf_mte2_v") {  // the example: DataCopy GM->UB into a TBuf, then Adds, no MTE2_V
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, N * sizeof(float));
        LocalTensor<float> t = tb.Get<float>();
        DataCopy(t, xg, N);  // @first:tbuf_mte2_v
        Adds(t, t, 1.0f, N);  // @second:tbuf_mte2_v
    } else if (c == "tbuf_v_mte3") {  // vector result copied out with no V_MTE3
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, N * sizeof(float));
        LocalTensor<float> t = tb.Get<float>();
        DataCopy(t, xg, N);
        SetFlag<HardEvent::MTE2_V>(0);
        WaitFlag<HardEvent::MTE2_V>(0);
        Muls(t, t, 2.0f, N);  // @first:tbuf_v_mte3
        DataCopy(zg, t, N);  // @second:tbuf_v_mte3
    } else if (c == "war_v_mte2") {  // the next tile is loaded over data the vector unit still reads
        TBuf<TPosition::VECCALC> ta, tb;
        pipe.InitBuffer(ta, N * sizeof(float));
        pipe.InitBuffer(tb, N * sizeof(float));
        LocalTensor<float> a = ta.Get<float>(), o = tb.Get<float>();
        DataCopy(a, xg, N);
        SetFlag<HardEvent::MTE2_V>(0);
        WaitFlag<HardEvent::MTE2_V>(0);
        Adds(o, a, 1.0f, N);  // @first:war_v_mte2
        DataCopy(a, xg[N], N);  // @second:war_v_mte2
    } else if (c == "wrong_event") {  // an event between the wrong pipes orders nothing
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, N * sizeof(float));
        LocalTensor<float> t = tb.Get<float>();
        DataCopy(t, xg, N);  // @first:wrong_event
        SetFlag<HardEvent::MTE3_V>(0);
        WaitFlag<HardEvent::MTE3_V>(0);
        Adds(t, t, 1.0f, N);  // @second:wrong_event
    } else if (c == "pipe_v_barrier") {  // PipeBarrier<PIPE_V> only orders the vector pipe
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, N * sizeof(float));
        LocalTensor<float> t = tb.Get<float>();
        DataCopy(t, xg, N);  // @first:pipe_v_barrier
        PipeBarrier<PIPE_V>();
        Adds(t, t, 1.0f, N);  // @second:pipe_v_barrier
    } else if (c == "getvalue_no_v_s") {  // reading a reduction result on the scalar unit needs V_S
        TBuf<TPosition::VECCALC> tb, tr, tw;
        pipe.InitBuffer(tb, N * sizeof(float));
        pipe.InitBuffer(tr, 32);
        pipe.InitBuffer(tw, N * sizeof(float));
        LocalTensor<float> t = tb.Get<float>(), r = tr.Get<float>(), w = tw.Get<float>();
        DataCopy(t, xg, N);
        SetFlag<HardEvent::MTE2_V>(0);
        WaitFlag<HardEvent::MTE2_V>(0);
        ReduceSum(r, t, w, N);  // @first:getvalue_no_v_s
        float s = r.GetValue(0);  // @second:getvalue_no_v_s
        (void)s;
    } else if (c == "setvalue_no_s_mte3") {  // the documentation's S_MTE3 example without its sync
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, N * sizeof(float));
        LocalTensor<float> t = tb.Get<float>();
        Duplicate(t, 0.0f, N);
        SetFlag<HardEvent::V_S>(0);
        WaitFlag<HardEvent::V_S>(0);
        t.SetValue(0, 1.0f);  // @first:setvalue_no_s_mte3
        SetFlag<HardEvent::V_MTE3>(0);
        WaitFlag<HardEvent::V_MTE3>(0);
        DataCopy(zg, t, N);  // @second:setvalue_no_s_mte3
    } else if (c == "setvalue_no_s_v") {  // a scalar write read by the vector unit needs S_V
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, N * sizeof(float));
        LocalTensor<float> t = tb.Get<float>();
        t.SetValue(3, 1.0f);  // @first:setvalue_no_s_v
        Adds(t, t, 1.0f, N);  // @second:setvalue_no_s_v
    } else if (c == "queue_reuse_without_realloc") {  // a dequeued tensor refilled by MTE2 while V reads it
        TQue<TPosition::VECIN, 1> inQ;
        TQue<TPosition::VECOUT, 1> outQ;
        pipe.InitBuffer(inQ, 1, N * sizeof(float));
        pipe.InitBuffer(outQ, 1, N * sizeof(float));
        LocalTensor<float> a = inQ.AllocTensor<float>();
        DataCopy(a, xg, N);
        inQ.EnQue(a);
        a = inQ.DeQue<float>();
        LocalTensor<float> o = outQ.AllocTensor<float>();
        Adds(o, a, 1.0f, N);  // @first:queue_reuse_without_realloc
        DataCopy(a, xg[N], N);  // @second:queue_reuse_without_realloc
        inQ.FreeTensor(a);
        outQ.FreeTensor(o);
    } else if (c == "tbuf_synced" || c == "pipe_all") {  // accepted: explicit events, or PIPE_ALL barriers
        TBuf<TPosition::VECCALC> ta, tb2;
        pipe.InitBuffer(ta, N * sizeof(float));
        pipe.InitBuffer(tb2, N * sizeof(float));
        LocalTensor<float> a = ta.Get<float>(), o = tb2.Get<float>();
        const bool ev = c == "tbuf_synced";
        for (int i = 0; i < TILES; ++i) {
            if (i > 0) {  // the previous tile's vector read of `a` and MTE3 read of `o` must be done
                if (ev) {
                    SetFlag<HardEvent::V_MTE2>(1);
                    WaitFlag<HardEvent::V_MTE2>(1);
                    SetFlag<HardEvent::MTE3_V>(1);
                    WaitFlag<HardEvent::MTE3_V>(1);
                } else {
                    PipeBarrier<PIPE_ALL>();
                }
            }
            DataCopy(a, xg[i * N], N);
            if (ev) {
                SetFlag<HardEvent::MTE2_V>(0);
                WaitFlag<HardEvent::MTE2_V>(0);
            } else {
                PipeBarrier<PIPE_ALL>();
            }
            Muls(o, a, 3.0f, N);
            Adds(o, o, 1.0f, N);
            if (ev) {
                SetFlag<HardEvent::V_MTE3>(0);
                WaitFlag<HardEvent::V_MTE3>(0);
            } else {
                PipeBarrier<PIPE_ALL>();
            }
            DataCopy(zg[i * N], o, N);
        }
    } else if (c == "double_buffer") {  // accepted: the documentation's TQue double buffering, z = x + y
        constexpr int BUFFER_NUM = 2;
        TQue<TPosition::VECIN, BUFFER_NUM> inX, inY;
        TQue<TPosition::VECOUT, BUFFER_NUM> outZ;
        pipe.InitBuffer(inX, BUFFER_NUM, N * sizeof(float));
        pipe.InitBuffer(inY, BUFFER_NUM, N * sizeof(float));
        pipe.InitBuffer(outZ, BUFFER_NUM, N * sizeof(float));
        for (int i = 0; i < TILES; ++i) {
            LocalTensor<float> xl = inX.AllocTensor<float>(), yl = inY.AllocTensor<float>();
            DataCopy(xl, xg[i * N], N);
            DataCopy(yl, yg[i * N], N);
            inX.EnQue(xl);
            inY.EnQue(yl);
            xl = inX.DeQue<float>();
            yl = inY.DeQue<float>();
            LocalTensor<float> zl = outZ.AllocTensor<float>();
            Add(zl, xl, yl, N);
            outZ.EnQue<float>(zl);
            inX.FreeTensor(xl);
            inY.FreeTensor(yl);
            zl = outZ.DeQue<float>();
            DataCopy(zg[i * N], zl, N);
            outZ.FreeTensor(zl);
        }
    } else if (c == "bind_copy") {  // accepted: TQueBind<VECIN, VECOUT> copy-through (its MTE2_MTE3 event), z = x
        TQueBind<TPosition::VECIN, TPosition::VECOUT, 1> q;
        pipe.InitBuffer(q, 2, N * sizeof(float));
        for (int i = 0; i < TILES; ++i) {
            LocalTensor<float> t = q.AllocTensor<float>();
            DataCopy(t, xg[i * N], N);
            q.EnQue(t);
            t = q.DeQue<float>();
            DataCopy(zg[i * N], t, N);
            q.FreeTensor(t);
        }
    } else if (c == "bind_no_enque") {  // the same copy-through without EnQue/DeQue: nothing orders MTE2 -> MTE3
        TQueBind<TPosition::VECIN, TPosition::VECOUT, 1> q;
        pipe.InitBuffer(q, 1, N * sizeof(float));
        LocalTensor<float> t = q.AllocTensor<float>();
        DataCopy(t, xg, N);  // @first:bind_no_enque
        DataCopy(zg, t, N);  // @second:bind_no_enque
        q.FreeTensor(t);
    } else if (c == "gather_no_mte2_v") {  // Gather reads its source elements on PIPE_V
        TBuf<TPosition::VECCALC> ts, to, td;
        pipe.InitBuffer(ts, N * sizeof(float));
        pipe.InitBuffer(to, 64 * sizeof(uint32_t));
        pipe.InitBuffer(td, 64 * sizeof(float));
        LocalTensor<float> t = ts.Get<float>(), d = td.Get<float>();
        LocalTensor<uint32_t> off = to.Get<uint32_t>();
        DataCopy(t, xg, N);  // @first:gather_no_mte2_v
        Duplicate(off, uint32_t(4 * 17), 64);
        Gather(d, t, off, uint32_t(0), 64);  // @second:gather_no_mte2_v
    } else if (c == "scalar_synced") {  // accepted: z = x - max(x) per tile via ReduceMax, V_S, GetValue, S_V
        TQue<TPosition::VECIN, 1> inQ;
        TQue<TPosition::VECOUT, 1> outQ;
        TBuf<TPosition::VECCALC> tr, tw;
        pipe.InitBuffer(inQ, 2, N * sizeof(float));
        pipe.InitBuffer(outQ, 2, N * sizeof(float));
        pipe.InitBuffer(tr, 32);
        pipe.InitBuffer(tw, N * sizeof(float));
        LocalTensor<float> r = tr.Get<float>(), w = tw.Get<float>();
        for (int i = 0; i < TILES; ++i) {
            LocalTensor<float> xl = inQ.AllocTensor<float>();
            DataCopy(xl, xg[i * N], N);
            inQ.EnQue(xl);
            xl = inQ.DeQue<float>();
            ReduceMax(r, xl, w, N);
            SetFlag<HardEvent::V_S>(0);
            WaitFlag<HardEvent::V_S>(0);
            float mx = r.GetValue(0);
            r.SetValue(0, 0.0f);  // scalar write into data the next ReduceMax overwrites: needs S_V
            SetFlag<HardEvent::S_V>(0);
            WaitFlag<HardEvent::S_V>(0);
            LocalTensor<float> zl = outQ.AllocTensor<float>();
            Adds(zl, xl, -mx, N);
            outQ.EnQue(zl);
            inQ.FreeTensor(xl);
            zl = outQ.DeQue<float>();
            DataCopy(zg[i * N], zl, N);
            outQ.FreeTensor(zl);
        }
    }
}

// AIC cases: z (M x N fp32) = x (M x K half) @ y^T (N x K half) through the cube queues.
constexpr int CM = 32, CN = 32, CK = 32;
extern "C" __global__ __aicore__ void hz_cube(GM_ADDR x, GM_ADDR y, GM_ADDR z) {
    const std::string& c = g_case;
    GlobalTensor<half> ag, bg;
    GlobalTensor<float> cg;
    ag.SetGlobalBuffer((__gm__ half*)x, CM * CK);
    bg.SetGlobalBuffer((__gm__ half*)y, CN * CK);
    cg.SetGlobalBuffer((__gm__ float*)z, CM * CN);
    TPipe pipe;
    TQue<TPosition::A1, 1> qA1, qB1;
    TQue<TPosition::A2, 1> qA2;
    TQue<TPosition::B2, 1> qB2;
    TQue<TPosition::CO1, 1> qC;
    pipe.InitBuffer(qA1, 1, CM * CK * sizeof(half));
    pipe.InitBuffer(qB1, 1, CN * CK * sizeof(half));
    pipe.InitBuffer(qA2, 1, CM * CK * sizeof(half));
    pipe.InitBuffer(qB2, 1, CN * CK * sizeof(half));
    pipe.InitBuffer(qC, 1, CM * CN * sizeof(float));
    LocalTensor<half> a1 = qA1.AllocTensor<half>(), b1 = qB1.AllocTensor<half>();
    DataCopy(a1, ag, Nd2NzParams(1, CM, CK, 0, CK, CM, 1, 0));
    DataCopy(b1, bg, Nd2NzParams(1, CN, CK, 0, CK, CN, 1, 0));
    qA1.EnQue(a1);
    qB1.EnQue(b1);
    a1 = qA1.DeQue<half>();
    b1 = qB1.DeQue<half>();
    LocalTensor<half> a2 = qA2.AllocTensor<half>(), b2 = qB2.AllocTensor<half>();
    constexpr int M1 = CM / 16, K1 = CK / 16, N1 = CN / 16;
    for (int mb = 0; mb < M1; ++mb) LoadData(a2[mb * K1 * 256], a1, LoadData2DParams(mb, K1, M1, 0, 0, false, 0));  // @first:cube_no_mte1_m
    LoadData(b2, b1, LoadData2DParams(0, K1 * N1, 1, 0, 0, false, 0));
    LocalTensor<float> c1 = qC.AllocTensor<float>();
    if (c == "cube_no_mte1_m") {
        Mmad(c1, a2, b2, MmadParams(CM, CN, CK, false, 0, false, false, false));  // @second:cube_no_mte1_m
    }
    qA2.EnQue(a2);
    qB2.EnQue(b2);
    qA1.FreeTensor(a1);
    qB1.FreeTensor(b1);
    a2 = qA2.DeQue<half>();
    b2 = qB2.DeQue<half>();
    Mmad(c1, a2, b2, MmadParams(CM, CN, CK, false, 0, false, false, false));  // @first:cube_no_m_fix
    qA2.FreeTensor(a2);
    qB2.FreeTensor(b2);
    if (c == "cube_no_m_fix") {
        Fixpipe(cg, c1, FixpipeParamsV220(CN, CM, CM, CN, false));  // @second:cube_no_m_fix
        qC.FreeTensor(c1);  // (not reached)
        return;
    }
    qC.EnQue(c1);
    c1 = qC.DeQue<float>();
    Fixpipe(cg, c1, FixpipeParamsV220(CN, CM, CM, CN, false));
    qC.FreeTensor(c1);
}

// MIX cases (one AI core): each AIV writes UB on PIPE_V, signals its AIC, waits for the AIC's answer
// and copies the UB out on PIPE_MTE3. The round trip orders the vector write before the copy when the
// AIV's set is issued on PIPE_V (it fires after the vector work), not when it is issued on PIPE_MTE2.
extern "C" __global__ __aicore__ void hz_mix(GM_ADDR x, GM_ADDR y, GM_ADDR z) {
    (void)x;
    (void)y;
    const bool ok = g_case == "xcore_roundtrip";
    if ASCEND_IS_AIC {
        CrossCoreWaitFlag(1);
        CrossCoreSetFlag<2, PIPE_FIX>(2);
    }
    if ASCEND_IS_AIV {
        const int sub = int(GetSubBlockIdx());
        GlobalTensor<float> zg;
        zg.SetGlobalBuffer((__gm__ float*)z + sub * N, N);
        TPipe pipe;
        TBuf<TPosition::VECCALC> tb;
        pipe.InitBuffer(tb, N * sizeof(float));
        LocalTensor<float> t = tb.Get<float>();
        Duplicate(t, 2.5f + float(sub), N);  // @first:xcore_wrong_pipe
        if (ok) CrossCoreSetFlag<2, PIPE_V>(1);
        else CrossCoreSetFlag<2, PIPE_MTE2>(1);
        CrossCoreWaitFlag(2);
        DataCopy(zg, t, N);  // @second:xcore_wrong_pipe
    }
}

static void dump(const std::string& dir, const char* name, const void* p, size_t n) {
    std::FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
    if (!f) return;
    std::fwrite(p, 1, n, f);
    std::fclose(f);
}

int main(int argc, char** argv) {
    g_case = argc > 1 ? argv[1] : "";
    const std::string dir = argc > 2 ? argv[2] : "";
    const bool cube = g_case.rfind("cube", 0) == 0;
    const size_t n = size_t(BLOCKS) * N * TILES;
    float* x = (float*)GmAlloc(n * sizeof(float));
    float* y = (float*)GmAlloc(n * sizeof(float));
    float* z = (float*)GmAlloc(n * sizeof(float));
    if (g_case.rfind("xcore", 0) == 0) {
        SetKernelMode(KernelMode::MIX_MODE);
        ICPU_RUN_KF(hz_mix, 1, (uint8_t*)x, (uint8_t*)y, (uint8_t*)z);
    } else if (cube) {
        half* a = (half*)x;
        half* bb = (half*)y;
        for (int i = 0; i < CM * CK; ++i) a[i] = half(float((i * 7) % 13) - 6.0f);
        for (int i = 0; i < CN * CK; ++i) bb[i] = half(float((i * 5) % 11) - 5.0f) * 0.5f;
        SetKernelMode(KernelMode::AIC_MODE);
        ICPU_RUN_KF(hz_cube, 1, (uint8_t*)x, (uint8_t*)y, (uint8_t*)z);
    } else {
        for (size_t i = 0; i < n; ++i) {
            x[i] = float(int(i * 37 % 101)) * 0.25f - 12.0f;
            y[i] = float(int(i * 53 % 89)) * 0.5f;
        }
        SetKernelMode(KernelMode::AIV_MODE);
        ICPU_RUN_KF(hz_kernel, BLOCKS, (uint8_t*)x, (uint8_t*)y, (uint8_t*)z);
    }
    if (!dir.empty()) {
        dump(dir, "x.bin", x, cube ? CM * CK * sizeof(half) : n * sizeof(float));
        dump(dir, "y.bin", y, cube ? CN * CK * sizeof(half) : n * sizeof(float));
        dump(dir, "z.bin", z, cube ? CM * CN * sizeof(float) : n * sizeof(float));
    }
    std::printf("kernel finished\n");
    GmFree(x);
    GmFree(y);
    GmFree(z);
    return 0;
}
