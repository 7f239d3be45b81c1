// mla_prolog_quant kernel (KERNEL_TYPE_MIX_AIC_1_2), OPS.md section 6: the scheduler.
//   AIC  Stage1  x . [w_dq | w_dkv_kr], units split over every core (common/prolog_gemm.h)   } SyncAll
//   AIV  Stage2  K-part sums, RMSNorms, int8 q_norm, kv / scale / rope cache rows             } SyncAll
//   AIC  Stage3  per head: int32 q_norm . w_uq_qr -> Q_READY -> (AIV dequant + RoPE -> NOPE_READY)
//                -> absorbed q_nope . w_uk[head] (the AIVs round it into query_nope_out)
// See DESIGN.md for the plans and mla_prolog_quant_cube.h / _vector.h for the stages.
#pragma once

#include "mla_prolog_quant_cube.h"
#include "mla_prolog_quant_vector.h"

namespace dsa {

template <class Tiling>
__aicore__ inline MlaPrologParams ResolveMlaPrologParams(const Tiling& t)
{
    MlaPrologParams p;
    p.tokens = t.tokens;
    p.slots = uint64_t(t.blockNum) * t.blockSize;
    p.epsCq = t.epsilonCq;
    p.epsCkv = t.epsilonCkv;
    return p;
}

__aicore__ inline void RunMlaProlog(const MlaPrologGm& gm, const MlaPrologParams& p)
{
    const uint32_t cores = GetBlockNum();
    if ASCEND_IS_AIC {
        TPipe pipe;
        PrologGemm gemm;
        gemm.Init(&pipe);
        MlaPrologCube cube;
        cube.Init(&gemm, gm, p, GetBlockIdx(), cores);
        cube.Stage1();
        PipeBarrier<PIPE_ALL>();
        SyncAll<false>();  // the K parts of cq / kv are in the workspace
        SyncAll<false>();  // q_norm_out and its scales are in GM
        cube.Stage3();
        gemm.DrainEvents();
    }
    if ASCEND_IS_AIV {
        TPipe pipe;
        MlaPrologVector vec;
        vec.Init(&pipe, gm, p, GetBlockIdx() / 2, GetSubBlockIdx(), cores);
        PipeBarrier<PIPE_ALL>();
        SyncAll<false>();
        vec.Stage2();
        PipeBarrier<PIPE_ALL>();
        SyncAll<false>();
        vec.Stage3();
        PipeBarrier<PIPE_ALL>();
    }
}

}  // namespace dsa

// Tiling: MlaPrologQuantTilingData (a template parameter so that a fused kernel can include this header).
template <class V, class Tiling>
__aicore__ inline void MlaPrologQuantRun(GM_ADDR token_x, GM_ADDR w_dq, GM_ADDR w_uq_qr, GM_ADDR dequant_scale,
                                         GM_ADDR w_uk, GM_ADDR w_dkv_kr, GM_ADDR gamma_cq, GM_ADDR gamma_ckv,
                                         GM_ADDR cos, GM_ADDR sin, GM_ADDR cache_index, GM_ADDR kv_cache,
                                         GM_ADDR kr_cache, GM_ADDR k_scale_cache, GM_ADDR q_norm_out,
                                         GM_ADDR q_norm_scale_out, GM_ADDR query_nope_out, GM_ADDR query_rope_out,
                                         GM_ADDR kv_cache_out, GM_ADDR kr_cache_out, GM_ADDR k_scale_cache_out,
                                         GM_ADDR userWorkspace, const Tiling& tiling)
{
    (void)kv_cache;  // updated in place: the *_out tensors are the same GM buffers
    (void)kr_cache;
    (void)k_scale_cache;
    dsa::MlaPrologGm gm;
    gm.x = token_x;
    gm.wDq = w_dq;
    gm.wUqQr = w_uq_qr;
    gm.dequantScale = dequant_scale;
    gm.wUk = w_uk;
    gm.wDkvKr = w_dkv_kr;
    gm.gammaCq = gamma_cq;
    gm.gammaCkv = gamma_ckv;
    gm.cos = cos;
    gm.sin = sin;
    gm.cacheIndex = cache_index;
    gm.qNormOut = q_norm_out;
    gm.qNormScaleOut = q_norm_scale_out;
    gm.queryNopeOut = query_nope_out;
    gm.queryRopeOut = query_rope_out;
    gm.kvCacheOut = kv_cache_out;
    gm.krCacheOut = kr_cache_out;
    gm.kScaleCacheOut = k_scale_cache_out;
    gm.workspace = userWorkspace;
    dsa::RunMlaProlog(gm, dsa::ResolveMlaPrologParams(tiling));
}
