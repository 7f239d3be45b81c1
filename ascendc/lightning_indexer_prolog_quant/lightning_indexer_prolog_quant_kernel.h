// lightning_indexer_prolog_quant kernel (KERNEL_TYPE_MIX_AIC_1_2), OPS.md section 7. Two phases:
//
//  G (AIC, all cores)  the three GEMMs, weights streamed from GM once over all cores (common/prolog_gemm.h):
//                      q_acc = q_norm . w_qb (int8 -> int32), k_parts = x . wk and w_parts = x . w_proj
//                      (bf16 -> fp32, split by K) into the workspace;  SyncAll (every core)
//  V (items)           a q item = one token's 64 heads (AIV s: heads 32 s .. 32 s + 32), a k item = up to 16
//                      tokens' keys and head weights (AIV s: tokens 8 s .. 8 s + 8); item u on core u % cores.
//     AIV  q: bf16(int32 * q_norm_scale * w_qb_scale) ; k: bf16(LayerNorm(sum of the K parts) * gamma + beta);
//          RoPE (half-split, the first 64 dims) -> bf16 rows -> the core's had_in slot; set HADAMARD_IN_READY;
//          k items: weights = fp16(bf16(sum of the w parts) * 64^-0.5 * 128^-0.5) -> weights_out
//     AIC  wait; rows . H (hadamard_q / hadamard_k, ND 128 x 128, kept in an L1 slot) -> Fixpipe rounds to
//          bf16 -> had_out; set HADAMARD_OUT_READY
//     AIV  wait; per-row int8 quant (common/row_quant.h) -> q_int8_out / q_scale_out, or each key's row and
//          scale into the paged caches at k_cache_index (common/cache_write.h)
// Flags 7 -> 8 alternate per item (one item in flight per core). See DESIGN.md.
#pragma once

#include "common/arch.h"
#include "common/cache_write.h"
#include "common/norm.h"
#include "common/prolog_gemm.h"
#include "common/rope.h"
#include "common/row_quant.h"
#include "common/sync_ids.h"
#include "lightning_indexer_prolog_quant_plan.h"

namespace dsa {

struct LipqGm {  // GM_ADDR is a macro pointer type: one member per declaration
    GM_ADDR x;
    GM_ADDR qNorm;
    GM_ADDR qNormScale;
    GM_ADDR wQb;
    GM_ADDR wQbScale;
    GM_ADDR wk;
    GM_ADDR wProj;
    GM_ADDR gamma;
    GM_ADDR beta;
    GM_ADDR cos;
    GM_ADDR sin;
    GM_ADDR hadQ;
    GM_ADDR hadK;
    GM_ADDR kCacheIndex;
    GM_ADDR qInt8;
    GM_ADDR qScale;
    GM_ADDR kInt8;
    GM_ADDR kScale;
    GM_ADDR weights;
    GM_ADDR workspace;
};

struct LipqParams {
    uint32_t tokens, blockNum, blockSize, cores;
    float epsilon, weightsScale;
};

// AIV side of the V phase.
class LipqVector {
    static constexpr uint32_t D = LipqPlan::HEAD_DIM;
    static constexpr uint32_t ROPE = LipqPlan::ROPE;
    static constexpr uint32_t HALF = ROPE / 2;
    static constexpr uint32_t QROWS = LipqPlan::Q_ROWS;        // q rows per AIV and item (32)
    static constexpr uint32_t KROWS = LipqPlan::K_ROWS;        // k rows per AIV and item (8)
    static constexpr uint32_t ROW_BLOCKS = D * 4 / BLOCK_BYTES;  // fp32 blocks per row (16)
    static constexpr uint32_t N = LipqPlan::HEADS;

public:
    __aicore__ inline void Init(const LipqGm& gm, const LipqParams& p, uint32_t core, uint32_t sub, TPipe* pipe)
    {
        p_ = p;
        sub_ = sub;
        const uint32_t t = p.tokens;
        qAcc_.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(gm.workspace));
        kParts_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.workspace + LipqPlan::KPartsOffset(t)));
        wParts_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.workspace + LipqPlan::WPartsOffset(t)));
        GM_ADDR slot = gm.workspace + LipqPlan::CoreOffset(t) + uint64_t(core) * LipqPlan::CORE_BYTES;
        hadIn_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(slot));
        hadOut_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(slot + LipqPlan::HAD_IN_BYTES));
        qNormScale_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.qNormScale));
        wQbScale_.SetGlobalBuffer(reinterpret_cast<__gm__ float*>(gm.wQbScale));
        gamma_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.gamma));
        beta_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.beta));
        cos_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.cos));
        sin_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.sin));
        qInt8_.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(gm.qInt8));
        qScale_.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(gm.qScale));
        weights_.SetGlobalBuffer(reinterpret_cast<__gm__ half*>(gm.weights));
        const uint64_t slots = uint64_t(p.blockNum) * p.blockSize;
        kCache_.Init(gm.kInt8, gm.kCacheIndex, slots, D);
        kScaleCache_.Init(gm.kScale, gm.kCacheIndex, slots, 1);

        pipe->InitBuffer(accIBuf_, QROWS * D * 4);
        pipe->InitBuffer(rowsBuf_, QROWS * D * 4);
        pipe->InitBuffer(scaleBuf_, QROWS * D * 4);
        pipe->InitBuffer(bfBuf_, QROWS * D * 2);
        pipe->InitBuffer(tmpBuf_, RopeScratch::Floats(QROWS, ROPE) * 4);
        pipe->InitBuffer(ropeBuf_, 2 * ROPE * 4 + 2 * ROPE * 2);
        pipe->InitBuffer(partsBuf_, LipqPlan::K_PARTS * D * 4);
        pipe->InitBuffer(normBuf_, NORM_BYTES);
        pipe->InitBuffer(qOutBuf_, QROWS * D);
        pipe->InitBuffer(qScaleOutBuf_, QROWS * 2 + BLOCK_BYTES);
        pipe->InitBuffer(spreadBuf_, KROWS * BLOCK_BYTES);
        pipe->InitBuffer(quantBuf_, RowQuant::ScratchBytes(QROWS, D));
        quant_.Init(quantBuf_.Get<uint8_t>(), QROWS, D);
    }

    // q item of token tk: this AIV's 32 heads, dequantised, bf16, RoPE -> had_in rows [32 s, 32 s + 32).
    __aicore__ inline void PrepareQ(uint32_t tk)
    {
        const uint64_t col = uint64_t(sub_) * QROWS * D;
        LocalTensor<int32_t> accI = accIBuf_.Get<int32_t>();
        LocalTensor<float> rows = rowsBuf_.Get<float>();
        LocalTensor<float> scale = scaleBuf_.Get<float>();
        DataCopy(accI, qAcc_[uint64_t(tk) * LipqPlan::QB_COLS + col], QROWS * D);
        DataCopy(scale, wQbScale_[col], QROWS * D);
        LoadRope(tk);
        const float tokenScale = qNormScale_.GetValue(tk);
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        // int32 -> fp32 (RINT: |acc| may exceed 2^24), * the token's scale, * the channels' scales, -> bf16
        Cast(rows, accI, RoundMode::CAST_RINT, QROWS * D);
        PipeBarrier<PIPE_V>();
        Muls(rows, rows, tokenScale, QROWS * D);
        PipeBarrier<PIPE_V>();
        Mul(rows, rows, scale, QROWS * D);
        PipeBarrier<PIPE_V>();
        RoundBf16(rows, QROWS);
        Rope(rows, QROWS);
        SendRows(rows, QROWS, sub_ * QROWS);
    }

    // After HADAMARD_OUT_READY: this AIV's q rows (bf16) -> int8 + fp16 scales -> q_int8_out, q_scale_out.
    __aicore__ inline void FinishQ(uint32_t tk)
    {
        LocalTensor<float> rows = rowsBuf_.Get<float>();
        LocalTensor<bfloat16_t> bf = bfBuf_.Get<bfloat16_t>();
        DataCopy(bf, hadOut_[sub_ * QROWS * D], QROWS * D);
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        Cast(rows, bf, RoundMode::CAST_NONE, QROWS * D);
        PipeBarrier<PIPE_V>();
        quant_.Run(qOutBuf_.Get<int8_t>(), qScaleOutBuf_.Get<half>(), rows, QROWS, D, -127.0f);
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        const uint64_t head = uint64_t(tk) * N + sub_ * QROWS;
        DataCopy(qInt8_[head * D], qOutBuf_.Get<int8_t>(), QROWS * D);
        DataCopyPad(qScale_[head], qScaleOutBuf_.Get<half>(), DataCopyExtParams(1, QROWS * 2, 0, 0, 0));
        EndItem();
    }

    // This AIV's tokens of k item `group`: [first, first + n).
    __aicore__ inline uint32_t KTokens(uint32_t group, uint32_t& first) const
    {
        first = group * LipqPlan::K_GROUP + sub_ * KROWS;
        return first >= p_.tokens ? 0u : Min(KROWS, p_.tokens - first);
    }

    // k item: for each of this AIV's tokens, the key (sum of the K parts, LayerNorm, bf16, RoPE) -> had_in rows
    // [8 s, 8 s + n), and the head weights -> weights_out.
    __aicore__ inline void PrepareK(uint32_t group)
    {
        uint32_t first = 0;
        const uint32_t n = KTokens(group, first);
        if (n == 0) return;
        LocalTensor<uint8_t> norm = normBuf_.Get<uint8_t>();
        LocalTensor<bfloat16_t> gammaB = norm[2 * D * 4].ReinterpretCast<bfloat16_t>();
        LocalTensor<bfloat16_t> betaB = norm[2 * D * 4 + D * 2].ReinterpretCast<bfloat16_t>();
        DataCopy(gammaB, gamma_, D);
        DataCopy(betaB, beta_, D);
        LocalTensor<float> rows = rowsBuf_.Get<float>();
        for (uint32_t r = 0; r < n; ++r) {
            Key(first + r, rows[r * D]);
            Weights(first + r);
        }
        SendRows(rows, n, sub_ * KROWS);
    }

    // After HADAMARD_OUT_READY: this AIV's key rows -> int8 + fp16 scale -> the caches at k_cache_index.
    __aicore__ inline void FinishK(uint32_t group)
    {
        uint32_t first = 0;
        const uint32_t n = KTokens(group, first);
        if (n == 0) return;
        LocalTensor<float> rows = rowsBuf_.Get<float>();
        LocalTensor<bfloat16_t> bf = bfBuf_.Get<bfloat16_t>();
        DataCopy(bf, hadOut_[sub_ * KROWS * D], n * D);
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        Cast(rows, bf, RoundMode::CAST_NONE, n * D);
        PipeBarrier<PIPE_V>();
        LocalTensor<half> scales = qScaleOutBuf_.Get<half>();
        LocalTensor<half> spread = spreadBuf_.Get<half>();
        quant_.Run(qOutBuf_.Get<int8_t>(), scales, rows, n, D, -127.0f);
        PipeBarrier<PIPE_V>();
        Brcb(spread.ReinterpretCast<uint16_t>(), scales.ReinterpretCast<uint16_t>(), 1, BrcbRepeatParams(1, 8));
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        for (uint32_t r = 0; r < n; ++r) {  // one DMA per slot: the token's row and its scale
            const int64_t slot = kCache_.Slot(first + r);
            kCache_.Write(slot, qOutBuf_.Get<int8_t>()[r * D]);
            kScaleCache_.Write(slot, spread[r * (BLOCK_BYTES / 2)]);
        }
        EndItem();
    }

private:
    // gamma / beta fp32, gamma / beta bf16, LayerNormRows' scratch
    static constexpr uint32_t NORM_BYTES = 2 * D * 4 + 2 * D * 2 + NormScratch::Floats(D) * 4;

    // The key of token tk -> row (fp32, bf16-exact after RoPE). gamma / beta (bf16) are in normBuf_.
    __aicore__ inline void Key(uint32_t tk, const LocalTensor<float>& row)
    {
        const uint32_t t = p_.tokens;
        LocalTensor<float> parts = partsBuf_.Get<float>();
        LocalTensor<uint8_t> norm = normBuf_.Get<uint8_t>();
        LocalTensor<float> gammaF = norm.ReinterpretCast<float>();
        LocalTensor<float> betaF = norm[D * 4].ReinterpretCast<float>();
        LocalTensor<bfloat16_t> gammaB = norm[2 * D * 4].ReinterpretCast<bfloat16_t>();
        LocalTensor<bfloat16_t> betaB = norm[2 * D * 4 + D * 2].ReinterpretCast<bfloat16_t>();
        LocalTensor<float> scratch = norm[2 * D * 4 + 2 * D * 2].ReinterpretCast<float>();
        // the token's K parts [K_PARTS, 128] (GM rows t * 128 apart), cos, sin
        DataCopy(parts, kParts_[uint64_t(tk) * D],
                 DataCopyParams(LipqPlan::K_PARTS, ROW_BLOCKS, uint64_t(t - 1) * ROW_BLOCKS, 0));
        LoadRope(tk);
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        Cast(gammaF, gammaB, RoundMode::CAST_NONE, D);
        Cast(betaF, betaB, RoundMode::CAST_NONE, D);
        Adds(row, parts, 0.0f, D);
        PipeBarrier<PIPE_V>();
        for (uint32_t p = 1; p < LipqPlan::K_PARTS; ++p) {
            Add(row, row, parts[p * D], D);
            PipeBarrier<PIPE_V>();
        }
        LayerNormRows(row, row, gammaF, betaF, scratch, 1, D, D, p_.epsilon);
        RoundBf16(row, 1);
        Rope(row, 1);
        // the next token's parts / cos / sin copies come after these reads
        SetFlag<HardEvent::V_MTE2>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE2>(EVENT_ID0);
    }

    // The head weights of token tk: fp16(bf16(sum of the w parts) * 64^-0.5 * 128^-0.5) -> weights_out.
    __aicore__ inline void Weights(uint32_t tk)
    {
        LocalTensor<float> parts = partsBuf_.Get<float>();
        LocalTensor<float> w = partsBuf_.Get<float>()[LipqPlan::W_PARTS * N];
        LocalTensor<bfloat16_t> bf = bfBuf_.Get<bfloat16_t>();
        LocalTensor<half> out = bfBuf_.Get<half>();
        DataCopy(parts, wParts_[uint64_t(tk) * N],
                 DataCopyParams(LipqPlan::W_PARTS, N * 4 / BLOCK_BYTES, uint64_t(p_.tokens - 1) * N * 4 / BLOCK_BYTES, 0));
        SetFlag<HardEvent::MTE2_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE2_V>(EVENT_ID0);
        Adds(w, parts, 0.0f, N);
        PipeBarrier<PIPE_V>();
        for (uint32_t p = 1; p < LipqPlan::W_PARTS; ++p) {
            Add(w, w, parts[p * N], N);
            PipeBarrier<PIPE_V>();
        }
        Cast(bf, w, RoundMode::CAST_RINT, N);
        PipeBarrier<PIPE_V>();
        Cast(w, bf, RoundMode::CAST_NONE, N);
        PipeBarrier<PIPE_V>();
        Muls(w, w, p_.weightsScale, N);
        PipeBarrier<PIPE_V>();
        Cast(out, w, RoundMode::CAST_RINT, N);
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        DataCopy(weights_[uint64_t(tk) * N], out, N);
        EndItem();
    }

    // cos / sin of token tk (bf16 [64]) -> ropeBuf_ (MTE2 only; the caller waits MTE2_V).
    __aicore__ inline void LoadRope(uint32_t tk)
    {
        LocalTensor<uint8_t> r = ropeBuf_.Get<uint8_t>();
        DataCopy(r[2 * ROPE * 4].ReinterpretCast<bfloat16_t>(), cos_[uint64_t(tk) * ROPE], ROPE);
        DataCopy(r[2 * ROPE * 4 + ROPE * 2].ReinterpretCast<bfloat16_t>(), sin_[uint64_t(tk) * ROPE], ROPE);
    }

    // x = fp32(bf16_rint(x)) for `rows` rows of D.
    __aicore__ inline void RoundBf16(const LocalTensor<float>& x, uint32_t rows)
    {
        LocalTensor<bfloat16_t> bf = bfBuf_.Get<bfloat16_t>();
        Cast(bf, x, RoundMode::CAST_RINT, rows * D);
        PipeBarrier<PIPE_V>();
        Cast(x, bf, RoundMode::CAST_NONE, rows * D);
        PipeBarrier<PIPE_V>();
    }

    // Half-split RoPE (common/rope.h) on the first 64 dims of each row, with the cos / sin of one token
    // (loaded by LoadRope).
    __aicore__ inline void Rope(const LocalTensor<float>& x, uint32_t rows)
    {
        LocalTensor<uint8_t> r = ropeBuf_.Get<uint8_t>();
        LocalTensor<float> c = r.ReinterpretCast<float>();
        LocalTensor<float> s = r[ROPE * 4].ReinterpretCast<float>();
        Cast(c, r[2 * ROPE * 4].ReinterpretCast<bfloat16_t>(), RoundMode::CAST_NONE, ROPE);
        Cast(s, r[2 * ROPE * 4 + ROPE * 2].ReinterpretCast<bfloat16_t>(), RoundMode::CAST_NONE, ROPE);
        PipeBarrier<PIPE_V>();
        RopeHalfRows(x, D, x, D, c, s, 0, tmpBuf_.Get<float>(), rows, ROPE);  // one cos / sin row for all
    }

    // rows (fp32, bf16-exact) -> bf16 -> had_in rows [first, first + rows).
    __aicore__ inline void SendRows(const LocalTensor<float>& x, uint32_t rows, uint32_t first)
    {
        LocalTensor<bfloat16_t> bf = bfBuf_.Get<bfloat16_t>();
        Cast(bf, x, RoundMode::CAST_RINT, rows * D);
        SetFlag<HardEvent::V_MTE3>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE3>(EVENT_ID0);
        DataCopy(hadIn_[first * D], bf, rows * D);
        // the next V writes to bf come after this copy, the next MTE2 writes after the V reads
        SetFlag<HardEvent::MTE3_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE3_V>(EVENT_ID0);
        SetFlag<HardEvent::MTE3_MTE2>(EVENT_ID0);
        WaitFlag<HardEvent::MTE3_MTE2>(EVENT_ID0);
        SetFlag<HardEvent::V_MTE2>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE2>(EVENT_ID0);
    }

    // The UB reads of this step's MTE3 copies complete before the next V / MTE2 writes.
    __aicore__ inline void EndItem()
    {
        SetFlag<HardEvent::MTE3_V>(EVENT_ID0);
        WaitFlag<HardEvent::MTE3_V>(EVENT_ID0);
        SetFlag<HardEvent::MTE3_MTE2>(EVENT_ID0);
        WaitFlag<HardEvent::MTE3_MTE2>(EVENT_ID0);
        SetFlag<HardEvent::V_MTE2>(EVENT_ID0);
        WaitFlag<HardEvent::V_MTE2>(EVENT_ID0);
    }

    LipqParams p_;
    uint32_t sub_ = 0;
    GlobalTensor<int32_t> qAcc_;
    GlobalTensor<float> kParts_, wParts_, qNormScale_, wQbScale_;
    GlobalTensor<bfloat16_t> hadIn_, hadOut_, gamma_, beta_, cos_, sin_;
    GlobalTensor<int8_t> qInt8_;
    GlobalTensor<half> qScale_, weights_;
    CacheWriter<int8_t> kCache_;
    CacheWriter<half> kScaleCache_;
    RowQuant quant_;
    TBuf<TPosition::VECCALC> accIBuf_, rowsBuf_, scaleBuf_, bfBuf_, tmpBuf_, ropeBuf_, partsBuf_, normBuf_, qOutBuf_,
        qScaleOutBuf_, spreadBuf_, quantBuf_;
};

class LipqKernel {
public:
    __aicore__ inline void Init(const LipqGm& gm, const LipqParams& p)
    {
        gm_ = gm;
        p_ = p;
        const uint32_t t = p.tokens;
        GM_ADDR ws = gm.workspace;
        jobs_[0].a = gm.qNorm;
        jobs_[0].w = gm.wQb;
        jobs_[0].out = ws;
        jobs_[0].k = LipqPlan::Q_LORA;
        jobs_[0].n = LipqPlan::QB_COLS;
        jobs_[0].kPart = LipqPlan::Q_LORA;
        jobs_[0].nTile = LipqPlan::QB_TILE;
        jobs_[0].int8 = true;
        jobs_[1].a = gm.x;
        jobs_[1].w = gm.wk;
        jobs_[1].out = ws + LipqPlan::KPartsOffset(t);
        jobs_[1].k = LipqPlan::HIDDEN;
        jobs_[1].n = LipqPlan::HEAD_DIM;
        jobs_[1].kPart = LipqPlan::K_PART;
        jobs_[1].nTile = LipqPlan::HEAD_DIM;
        jobs_[2].a = gm.x;
        jobs_[2].w = gm.wProj;
        jobs_[2].out = ws + LipqPlan::WPartsOffset(t);
        jobs_[2].k = LipqPlan::HIDDEN;
        jobs_[2].n = LipqPlan::HEADS;
        jobs_[2].kPart = LipqPlan::W_PART;
        jobs_[2].nTile = LipqPlan::W_TILE;
    }

    __aicore__ inline void Process()
    {
        if ASCEND_IS_AIC {
            ProcessCube();
        }
        if ASCEND_IS_AIV {
            ProcessVector();
        }
    }

    // The stages, for a kernel that fuses this op with others (mla_indexer_prolog_quant): the GEMM jobs,
    // and the item loops that follow the GEMMs' SyncAll.
    static constexpr uint32_t JOB_W_QB = 0, JOB_WK = 1, JOB_W_PROJ = 2;
    __aicore__ inline const PrologGemmJob& Job(uint32_t j) const { return jobs_[j]; }

    __aicore__ inline void CubeItems(PrologGemm& gemm, uint32_t core)
    {
        const PrologGemmJob hq = HadamardJob(true, core), hk = HadamardJob(false, core);
        for (uint32_t u = core; u < Items(); u += GetBlockNum()) {
            const bool q = IsQ(u);
            CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(V1C2_HADAMARD_IN_READY);
            gemm.ForgetA();  // the slot holds new rows
            gemm.RunUnit(q ? hq : hk, 0, 0, q ? LipqPlan::HAD_ROWS : KRows(u - p_.tokens));
            CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_FIX>(C2V2_HADAMARD_OUT_READY);
        }
    }

    __aicore__ inline void VectorItems(LipqVector& vec, uint32_t core)
    {
        for (uint32_t u = core; u < Items(); u += GetBlockNum()) {
            if (IsQ(u)) {
                vec.PrepareQ(u);
                CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE3>(V1C2_HADAMARD_IN_READY);
                CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(C2V2_HADAMARD_OUT_READY);
                vec.FinishQ(u);
            } else {
                const uint32_t group = u - p_.tokens;
                vec.PrepareK(group);
                CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE3>(V1C2_HADAMARD_IN_READY);
                CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(C2V2_HADAMARD_OUT_READY);
                vec.FinishK(group);
            }
        }
    }

private:
    // items: one q item per token (u < t), then one k item per K_GROUP tokens; item u runs on core u % cores
    __aicore__ inline uint32_t Items() const { return p_.tokens + CeilDiv(p_.tokens, LipqPlan::K_GROUP); }
    __aicore__ inline bool IsQ(uint32_t u) const { return u < p_.tokens; }
    __aicore__ inline uint32_t KRows(uint32_t group) const
    {
        return Min(LipqPlan::K_GROUP, p_.tokens - group * LipqPlan::K_GROUP);
    }

    __aicore__ inline PrologGemmJob HadamardJob(bool q, uint32_t core) const
    {
        GM_ADDR slot = gm_.workspace + LipqPlan::CoreOffset(p_.tokens) + uint64_t(core) * LipqPlan::CORE_BYTES;
        PrologGemmJob j;
        j.a = slot;
        j.w = q ? gm_.hadQ : gm_.hadK;
        j.out = slot + LipqPlan::HAD_IN_BYTES;
        j.k = j.n = j.kPart = j.nTile = LipqPlan::HEAD_DIM;
        j.wNd = true;
        j.outBf16 = true;
        return j;
    }

    __aicore__ inline void ProcessCube()
    {
        TPipe pipe;
        PrologGemm gemm;
        gemm.Init(&pipe);
        const uint32_t core = GetBlockIdx();
        PrologGemmSplit split;
        split.Init(jobs_, 3, GetBlockNum());
        split.ForEachUnit(core, [&](uint32_t j, uint32_t kp, uint32_t nt) { gemm.RunUnit(jobs_[j], kp, nt, p_.tokens); });
        PipeBarrier<PIPE_ALL>();
        SyncAll<false>();
        CubeItems(gemm, core);
        gemm.DrainEvents();
    }

    __aicore__ inline void ProcessVector()
    {
        TPipe pipe;
        LipqVector vec;
        const uint32_t core = GetBlockIdx() / 2, sub = GetSubBlockIdx();
        vec.Init(gm_, p_, core, sub, &pipe);
        PipeBarrier<PIPE_ALL>();
        SyncAll<false>();
        VectorItems(vec, core);
    }

    LipqGm gm_;
    LipqParams p_;
    PrologGemmJob jobs_[3];
};

}  // namespace dsa

// Tiling: LightningIndexerPrologQuantTilingData (a template parameter so that a fused kernel can include
// this header without it).
template <class V, class Tiling>
__aicore__ inline void LightningIndexerPrologQuantRun(
    GM_ADDR x_in, GM_ADDR q_norm_in, GM_ADDR q_norm_scale_in, GM_ADDR w_qb_in, GM_ADDR w_qb_scale_in, GM_ADDR wk_in,
    GM_ADDR w_proj_in, GM_ADDR ln_gamma_k_in, GM_ADDR ln_beta_k_in, GM_ADDR cos_idx_rope_in, GM_ADDR sin_idx_rope_in,
    GM_ADDR hadamard_q_in, GM_ADDR hadamard_k_in, GM_ADDR k_int8_in, GM_ADDR k_scale_in, GM_ADDR k_cache_index_in,
    GM_ADDR q_int8_out, GM_ADDR q_scale_out, GM_ADDR k_int8_out, GM_ADDR k_scale_out, GM_ADDR weights_out,
    GM_ADDR userWorkspace, const Tiling& tiling)
{
    (void)k_int8_in;  // updated in place: k_int8_out / k_scale_out are the same memory on the device
    (void)k_scale_in;
    dsa::LipqGm gm{x_in, q_norm_in, q_norm_scale_in, w_qb_in, w_qb_scale_in, wk_in, w_proj_in, ln_gamma_k_in,
                   ln_beta_k_in, cos_idx_rope_in, sin_idx_rope_in, hadamard_q_in, hadamard_k_in, k_cache_index_in,
                   q_int8_out, q_scale_out, k_int8_out, k_scale_out, weights_out, userWorkspace};
    dsa::LipqParams p{tiling.tokens, tiling.blockNum, tiling.blockSize, tiling.usedCoreNum, tiling.layernormEpsilonK,
                      tiling.weightsScale};
    dsa::LipqKernel kernel;
    kernel.Init(gm, p);
    kernel.Process();
}
