// mla_indexer_prolog_quant kernel (KERNEL_TYPE_MIX_AIC_1_2), OPS.md section 8: mla_prolog_quant and
// lightning_indexer_prolog_quant in one launch on the same x, built from the two ops' stage classes
// (MlaPrologCube / MlaPrologVector, LipqKernel / LipqVector) with one PrologGemm per AI core:
//
//   AIC  x . [w_dq | w_dkv_kr | wk | w_proj]: the four x GEMMs in one unit split over every core, so a core
//        keeps its A block of x for the units of every job at the same K offset      } SyncAll
//   AIV  MLA stage 2: norms, int8 q_norm (into the workspace: an internal tensor here), MLA caches } SyncAll
//   AIC  q_norm . w_qb (indexer, all cores), then the MLA heads: q_norm . w_uq_qr, absorption
//   AIV  MLA stage 3 (dequant, RoPE) in step with the cube                                  } SyncAll
//   both the indexer's items (dequant / LayerNorm, RoPE, Hadamard on the cube, int8, key cache, weights)
//
// Every unit computes exactly what the separate ops' units compute (same K parts and chunks), so the
// outputs equal running mla_prolog_quant then lightning_indexer_prolog_quant bit for bit.
#pragma once

#include "lightning_indexer_prolog_quant/lightning_indexer_prolog_quant_kernel.h"
#include "mla_indexer_prolog_quant_plan.h"
#include "mla_prolog_quant/mla_prolog_quant_kernel.h"

namespace dsa {

__aicore__ inline void RunMlaIndexerProlog(const MlaPrologGm& mla, const MlaPrologParams& mp, const LipqGm& ip,
                                           const LipqParams& lp)
{
    const uint32_t cores = GetBlockNum();
    LipqKernel indexer;
    indexer.Init(ip, lp);
    if ASCEND_IS_AIC {
        TPipe pipe;
        PrologGemm gemm;
        gemm.Init(&pipe);
        const uint32_t core = GetBlockIdx();
        MlaPrologCube cube;
        cube.Init(&gemm, mla, mp, core, cores);
        PrologGemmJob jobs[4];
        cube.XJobs(jobs);
        jobs[2] = indexer.Job(LipqKernel::JOB_WK);
        jobs[3] = indexer.Job(LipqKernel::JOB_W_PROJ);
        cube.RunSplit(jobs, 4);
        PipeBarrier<PIPE_ALL>();
        SyncAll<false>();  // the K parts of cq, kv, k and the head weights are in the workspace
        SyncAll<false>();  // q_norm and its scales are in the workspace
        const PrologGemmJob qb = indexer.Job(LipqKernel::JOB_W_QB);
        cube.RunSplit(&qb, 1);
        cube.Stage3();
        PipeBarrier<PIPE_ALL>();
        SyncAll<false>();  // the indexer's q_norm . w_qb is complete
        indexer.CubeItems(gemm, core);
        gemm.DrainEvents();
    }
    if ASCEND_IS_AIV {
        TPipe pipe;
        const uint32_t core = GetBlockIdx() / 2, sub = GetSubBlockIdx();
        MlaPrologVector vec;
        vec.Init(&pipe, mla, mp, core, sub, cores);
        LipqVector ivec;
        ivec.Init(ip, lp, core, sub, &pipe);
        PipeBarrier<PIPE_ALL>();
        SyncAll<false>();
        vec.Stage2();
        PipeBarrier<PIPE_ALL>();
        SyncAll<false>();
        vec.Stage3();
        PipeBarrier<PIPE_ALL>();
        SyncAll<false>();
        indexer.VectorItems(ivec, core);
        PipeBarrier<PIPE_ALL>();
    }
}

}  // namespace dsa

template <class V>
__aicore__ inline void MlaIndexerPrologQuantRun(
    GM_ADDR token_x, GM_ADDR mla_w_dq, GM_ADDR mla_w_uq_qr, GM_ADDR mla_dequant_scale, GM_ADDR mla_w_uk,
    GM_ADDR mla_w_dkv_kr, GM_ADDR mla_gamma_cq, GM_ADDR mla_gamma_ckv, GM_ADDR cos, GM_ADDR sin, GM_ADDR cache_index,
    GM_ADDR mla_kv_cache, GM_ADDR mla_kr_cache, GM_ADDR mla_k_scale_cache, GM_ADDR ip_w_qb_in, GM_ADDR ip_w_qb_scale_in,
    GM_ADDR ip_wk_in, GM_ADDR ip_w_proj_in, GM_ADDR ip_ln_gamma_k_in, GM_ADDR ip_ln_beta_k_in, GM_ADDR ip_hadamard_q_in,
    GM_ADDR ip_hadamard_k_in, GM_ADDR ip_k_cache, GM_ADDR ip_k_cache_scale, GM_ADDR mla_query_nope_out,
    GM_ADDR mla_query_rope_out, GM_ADDR mla_kv_cache_out, GM_ADDR mla_kr_cache_out, GM_ADDR mla_k_scale_cache_out,
    GM_ADDR ip_q_int8_out, GM_ADDR ip_q_scale_out, GM_ADDR ip_k_int8_out, GM_ADDR ip_k_scale_out,
    GM_ADDR ip_weights_out, GM_ADDR userWorkspace, const MlaIndexerPrologQuantTilingData& tiling)
{
    (void)mla_kv_cache;  // updated in place: the *_out tensors are the same GM buffers
    (void)mla_kr_cache;
    (void)mla_k_scale_cache;
    (void)ip_k_cache;
    (void)ip_k_cache_scale;
    const uint32_t t = tiling.tokens, cores = tiling.usedCoreNum;
    GM_ADDR qNorm = userWorkspace + dsa::MipqPlan::QNormOffset(t, cores);
    GM_ADDR qNormScale = userWorkspace + dsa::MipqPlan::QScaleOffset(t, cores);

    dsa::MlaPrologGm mla;
    mla.x = token_x;
    mla.wDq = mla_w_dq;
    mla.wUqQr = mla_w_uq_qr;
    mla.dequantScale = mla_dequant_scale;
    mla.wUk = mla_w_uk;
    mla.wDkvKr = mla_w_dkv_kr;
    mla.gammaCq = mla_gamma_cq;
    mla.gammaCkv = mla_gamma_ckv;
    mla.cos = cos;
    mla.sin = sin;
    mla.cacheIndex = cache_index;
    mla.qNormOut = qNorm;
    mla.qNormScaleOut = qNormScale;
    mla.queryNopeOut = mla_query_nope_out;
    mla.queryRopeOut = mla_query_rope_out;
    mla.kvCacheOut = mla_kv_cache_out;
    mla.krCacheOut = mla_kr_cache_out;
    mla.kScaleCacheOut = mla_k_scale_cache_out;
    mla.workspace = userWorkspace;
    dsa::MlaPrologParams mp;
    mp.tokens = t;
    mp.slots = uint64_t(tiling.blockNum) * tiling.blockSize;
    mp.epsCq = tiling.epsilonCq;
    mp.epsCkv = tiling.epsilonCkv;

    dsa::LipqGm ip{token_x, qNorm, qNormScale, ip_w_qb_in, ip_w_qb_scale_in, ip_wk_in, ip_w_proj_in,
                   ip_ln_gamma_k_in, ip_ln_beta_k_in, cos, sin, ip_hadamard_q_in, ip_hadamard_k_in, cache_index,
                   ip_q_int8_out, ip_q_scale_out, ip_k_int8_out, ip_k_scale_out, ip_weights_out,
                   userWorkspace + dsa::MipqPlan::IndexerOffset(t, cores)};
    dsa::LipqParams lp{t, tiling.blockNum, tiling.blockSize, cores, tiling.layernormEpsilonK, tiling.weightsScale};
    dsa::RunMlaIndexerProlog(mla, mp, ip, lp);
}
