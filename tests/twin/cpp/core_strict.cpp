// One deliberately broken kernel per strict rule of the twin's infrastructure.
// `core_strict <case>` launches the kernel with ICPU_RUN_KF; the twin must stop it with an error
// naming the line marked `@rule:<case>`.
#include <cstdio>
#include <cstring>
#include <string>

#include "kernel_operator.h"

using namespace AscendC;

static std::string g_case;
constexpr int N = 256;

// Helpers shared by the AIV cases: one UB buffer and a GM tensor of N floats per block.
struct Vec {
    TPipe pipe;
    TBuf<TPosition::VECCALC> tb;
    GlobalTensor<float> g;
    LocalTensor<float> u;
    Vec(GM_ADDR x) {
        pipe.InitBuffer(tb, 4 * N * sizeof(float));
        u = tb.Get<float>();
        g.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(x) + GetBlockIdx() * N, N);
    }
};

extern "C" __global__ __aicore__ void aiv_kernel(GM_ADDR x, GM_ADDR y) {
    const std::string& c = g_case;
    if (c == "ub_align") {
        Vec v(x);
        DataCopy(v.u[4], v.g, 64);  // @rule:ub_align
    } else if (c == "count_32b") {
        Vec v(x);
        DataCopy(v.u, v.g, 10);  // @rule:count_32b
    } else if (c == "block_count") {
        Vec v(x);
        DataCopyParams p(4096, 1, 0, 0);
        DataCopy(v.u, v.g, p);  // @rule:block_count
    } else if (c == "ub_capacity") {
        TPipe pipe;
        TQue<TPosition::VECIN, 1> q;
        TQue<TPosition::VECOUT, 1> o;
        pipe.InitBuffer(q, 2, 64 * 1024);
        pipe.InitBuffer(o, 2, 64 * 1024);  // @rule:ub_capacity
    } else if (c == "buffers_64") {
        TPipe pipe;
        TBuf<TPosition::VECCALC> b[65];
        for (int i = 0; i < 65; ++i) pipe.InitBuffer(b[i], 32);  // @rule:buffers_64
    } else if (c == "local_extent") {
        TPipe pipe;
        TQue<TPosition::VECIN, 1> q;
        pipe.InitBuffer(q, 1, 128 * sizeof(float));
        GlobalTensor<float> g;
        g.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(x), N);
        LocalTensor<float> t = q.AllocTensor<float>();
        DataCopy(t, g, 256);  // @rule:local_extent
    } else if (c == "gm_extent") {
        Vec v(x);
        DataCopy(v.u, v.g, 2 * N);  // @rule:gm_extent
    } else if (c == "gm_alloc") {
        Vec v(x);
        GlobalTensor<float> whole;
        whole.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(x));  // no size: bounded by the GmAlloc'd buffer
        DataCopy(v.u, whole[N * 8 - 64], 128);  // @rule:gm_alloc
    } else if (c == "getvalue_extent") {
        Vec v(x);
        (void)v.u.GetValue(4 * N);  // @rule:getvalue_extent
    } else if (c == "enque_twice") {
        TPipe pipe;
        TQue<TPosition::VECIN, 2> q;
        pipe.InitBuffer(q, 2, 256);
        LocalTensor<float> t = q.AllocTensor<float>();
        q.EnQue(t);
        q.EnQue(t);  // @rule:enque_twice
    } else if (c == "double_free") {
        TPipe pipe;
        TQue<TPosition::VECIN, 1> q;
        pipe.InitBuffer(q, 1, 256);
        LocalTensor<float> t = q.AllocTensor<float>();
        q.FreeTensor(t);
        q.FreeTensor(t);  // @rule:double_free
    } else if (c == "alloc_none_free") {
        TPipe pipe;
        TQue<TPosition::VECIN, 1> q;
        pipe.InitBuffer(q, 2, 256);
        LocalTensor<float> a = q.AllocTensor<float>();
        LocalTensor<float> b = q.AllocTensor<float>();
        LocalTensor<float> d = q.AllocTensor<float>();  // @rule:alloc_none_free
    } else if (c == "deque_empty") {
        TPipe pipe;
        TQue<TPosition::VECOUT, 1> q;
        pipe.InitBuffer(q, 1, 256);
        LocalTensor<float> t = q.DeQue<float>();  // @rule:deque_empty
    } else if (c == "queue_full") {
        TPipe pipe;
        TQue<TPosition::VECIN, 1> q;
        pipe.InitBuffer(q, 2, 256);
        q.EnQue(q.AllocTensor<float>());
        q.EnQue(q.AllocTensor<float>());  // @rule:queue_full
    } else if (c == "live_8") {
        TPipe pipe;
        TQue<TPosition::VECIN, 1> q1, q2;
        pipe.InitBuffer(q1, 5, 256);
        pipe.InitBuffer(q2, 5, 256);
        for (int i = 0; i < 5; ++i) q1.AllocTensor<float>();
        for (int i = 0; i < 5; ++i) q2.AllocTensor<float>();  // @rule:live_8
    } else if (c == "foreign_tensor") {
        TPipe pipe;
        TQue<TPosition::VECIN, 1> q1, q2;
        pipe.InitBuffer(q1, 1, 256);
        pipe.InitBuffer(q2, 1, 256);
        LocalTensor<float> t = q1.AllocTensor<float>();
        q2.EnQue(t);  // @rule:foreign_tensor
    } else if (c == "after_reset") {
        TPipe pipe;
        TQue<TPosition::VECIN, 1> q;
        pipe.InitBuffer(q, 1, 256);
        pipe.Reset();
        LocalTensor<float> t = q.AllocTensor<float>();  // @rule:after_reset
    } else if (c == "l1_on_aiv") {
        TPipe pipe;
        TQue<TPosition::A1, 1> q;
        pipe.InitBuffer(q, 1, 1024);  // @rule:l1_on_aiv
    } else if (c == "event_id") {
        SetFlag<HardEvent::V_MTE3>(8);  // @rule:event_id
    } else if (c == "double_set") {
        SetFlag<HardEvent::MTE2_V>(1);
        SetFlag<HardEvent::MTE2_V>(1);  // @rule:double_set
    } else if (c == "wait_unset") {
        WaitFlag<HardEvent::V_MTE2>(2);  // @rule:wait_unset
    } else if (c == "event_left_set") {
        SetFlag<HardEvent::V_MTE3>(3);  // @rule:event_left_set
    } else if (c == "pad_blocklen") {
        Vec v(x);
        DataCopyPad(v.u, v.g, DataCopyExtParams(1, 6, 0, 0, 0), DataCopyPadExtParams<float>());  // @rule:pad_blocklen
    } else if (c == "race") {
        // Every block writes the first 64 floats of y without atomics or synchronisation.
        Vec v(x);
        GlobalTensor<float> out;
        out.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(y), 64);
        DataCopy(out, v.u, 64);  // @rule:race
    } else if (c == "race_ordered") {
        // The same writes ordered by SyncAll and a block-ordered turn: no error expected. Each block first
        // loads its own slice of x, so y ends up holding the slice of the last block in turn order.
        Vec v(x);
        DataCopy(v.u, v.g, 64);
        SetFlag<HardEvent::MTE2_MTE3>(0);
        WaitFlag<HardEvent::MTE2_MTE3>(0);
        GlobalTensor<float> out;
        out.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(y), 64);
        for (int turn = 0; turn < int(GetBlockNum()); ++turn) {
            if (turn == GetBlockIdx()) DataCopy(out, v.u, 64);
            SyncAll();
        }
    } else if (c == "atomic_type") {
        Vec v(x);
        GlobalTensor<float> out;
        out.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(y), 64);
        SetAtomicAdd<half>();
        DataCopy(out, v.u, 64);  // @rule:atomic_type
    } else if (c == "kernel_type") {
        KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIC_1_2);  // @rule:kernel_type
    } else if (c == "sync_all_on_aic") {
        // (run in MIX mode by main)
    }
}

extern "C" __global__ __aicore__ void mix_kernel(GM_ADDR x, GM_ADDR y) {
    KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIC_1_2);
    const std::string& c = g_case;
    if (c == "flag_id") {
        if ASCEND_IS_AIC {
            CrossCoreSetFlag<2, PIPE_FIX>(16);  // @rule:flag_id
        }
    } else if (c == "flag_overflow") {
        if ASCEND_IS_AIC {
            for (int i = 0; i < 16; ++i) CrossCoreSetFlag<2, PIPE_FIX>(1);  // @rule:flag_overflow
        }
        if ASCEND_IS_AIV {
            for (int i = 0; i < 16; ++i) CrossCoreWaitFlag(1);
        }
    } else if (c == "flag_unconsumed") {
        if ASCEND_IS_AIV {
            CrossCoreSetFlag<2, PIPE_MTE3>(2);  // @rule:flag_unconsumed
        }
    } else if (c == "flag_pipe") {
        if ASCEND_IS_AIC {
            CrossCoreSetFlag<2, PIPE_S>(0);  // @rule:flag_pipe
        }
    } else if (c == "deadlock") {
        if ASCEND_IS_AIC {
            CrossCoreWaitFlag(7);  // @rule:deadlock_aic
            CrossCoreSetFlag<2, PIPE_FIX>(8);
        }
        if ASCEND_IS_AIV {
            CrossCoreWaitFlag(8);  // @rule:deadlock_aiv
            CrossCoreSetFlag<2, PIPE_MTE3>(7);
        }
    } else if (c == "syncall_missing") {
        if ASCEND_IS_AIV {
            if (GetBlockIdx() != 3) SyncAll();  // @rule:syncall_missing
        }
    } else if (c == "sync_all_on_aic") {
        SyncAll();  // @rule:sync_all_on_aic
    }
}

int main(int argc, char** argv) {
    g_case = argc > 1 ? argv[1] : "";
    int blocks = argc > 2 ? std::atoi(argv[2]) : 4;
    uint8_t* x = static_cast<uint8_t*>(GmAlloc(8 * N * sizeof(float)));
    uint8_t* y = static_cast<uint8_t*>(GmAlloc(8 * N * sizeof(float)));
    for (int i = 0; i < 8 * N; ++i) reinterpret_cast<float*>(x)[i] = float(i);
    bool mix = g_case == "flag_id" || g_case == "flag_overflow" || g_case == "flag_unconsumed" || g_case == "flag_pipe" ||
               g_case == "deadlock" || g_case == "syncall_missing" || g_case == "sync_all_on_aic";
    if (mix) {
        SetKernelMode(KernelMode::MIX_MODE);
        ICPU_RUN_KF(mix_kernel, blocks, x, y);  // @rule:mix_launch
    } else {
        SetKernelMode(KernelMode::AIV_MODE);
        ICPU_RUN_KF(aiv_kernel, blocks, x, y);  // @rule:aiv_launch
    }
    std::printf("kernel finished\n");
    if (g_case == "race_ordered") {  // y[0..63] after the ordered writes
        std::printf("y:");
        for (int i = 0; i < 64; ++i) std::printf(" %g", reinterpret_cast<float*>(y)[i]);
        std::printf("\n");
    }
    GmFree(x);
    GmFree(y);
    return 0;
}
