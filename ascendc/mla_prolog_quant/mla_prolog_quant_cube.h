// AIC role of mla_prolog_quant (see DESIGN.md). Per token block of <= 64 tokens:
//   Stage1: this core's 16-column bands of [w_dq | w_dkv_kr] (132 bands split over the cores):
//           bf16(x @ w) -> the shared cq / kv workspace rows (Fixpipe F322BF16)
//   Stage3: per head of this core (the 128 heads split over the cores): int32 q_norm @ w_uq_qr[:, head]
//           (192 columns) -> q slot, set Q_READY; then, one head behind, wait NOPE_READY and absorb:
//           query_nope_out[:, head] = bf16(q_nope @ w_uk[head])
// Every weight byte is read once per token block: each core streams only its own columns.
#pragma once

#include "mla_prolog_quant_common.h"
#include "mla_prolog_matmul.h"

namespace dsa {

class MlaPrologCube {
public:
    __aicore__ inline void Init(TPipe* pipe, const MlaPrologGm& gm, const MlaPrologParams& p, uint32_t core,
                                uint32_t cores)
    {
        p_ = p;
        core_ = core;
        cores_ = cores;
        x_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.x), uint64_t(p.tokens) * MlaPlan::H);
        qNorm_.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(gm.qNormOut), uint64_t(p.tokens) * MlaPlan::QL);
        wDq_.gm.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.wDq), uint64_t(MlaPlan::H) * MlaPlan::QL);
        wDq_.K = MlaPlan::H;
        wDq_.N = MlaPlan::QL;
        wDkv_.gm.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.wDkvKr), uint64_t(MlaPlan::H) * MlaPlan::KVC);
        wDkv_.K = MlaPlan::H;
        wDkv_.N = MlaPlan::KVC;
        wUq_.gm.SetGlobalBuffer(reinterpret_cast<__gm__ int8_t*>(gm.wUqQr), uint64_t(MlaPlan::QL) * MlaPlan::NQ * MlaPlan::QHD);
        wUq_.K = MlaPlan::QL;
        wUq_.N = MlaPlan::NQ * MlaPlan::QHD;
        wUk_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.wUk), uint64_t(MlaPlan::NQ) * MlaPlan::NOPE * MlaPlan::KVL);
        queryNope_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.queryNopeOut),
                                   uint64_t(p.tokens) * MlaPlan::NQ * MlaPlan::KVL);
        cqRaw_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.workspace), MlaPlan::CQ_RAW_BYTES / 2);
        kvRaw_.SetGlobalBuffer(reinterpret_cast<__gm__ bfloat16_t*>(gm.workspace + MlaPlan::CQ_RAW_BYTES),
                               MlaPlan::KV_RAW_BYTES / 2);
        GM_ADDR coreWs = gm.workspace + MlaPlan::CQ_RAW_BYTES + MlaPlan::KV_RAW_BYTES + core * MlaPlan::CORE_WS_BYTES;
        qSlots_.SetGlobalBuffer(reinterpret_cast<__gm__ int32_t*>(coreWs), MlaPlan::Q_SLOTS * MlaPlan::Q_SLOT_ELEMS);
        nopeSlots_.SetGlobalBuffer(
            reinterpret_cast<__gm__ bfloat16_t*>(coreWs + MlaPlan::Q_SLOTS * MlaPlan::Q_SLOT_ELEMS * 4),
            MlaPlan::Q_SLOTS * MlaPlan::NOPE_SLOT_ELEMS);
        mm_.Init(pipe);
    }

    __aicore__ inline void DrainEvents() { mm_.DrainEvents(); }

    __aicore__ inline void Stage1(uint32_t blk)
    {
        const uint32_t m = Rows(blk);
        const GlobalTensor<bfloat16_t> a = x_[uint64_t(blk) * MlaPlan::TOKEN_BLOCK * MlaPlan::H];
        uint32_t b0 = 0, b1 = 0;
        SplitRange(MlaPlan::DQ_BANDS + MlaPlan::DKV_BANDS, core_, cores_, b0, b1);
        if (b0 < MlaPlan::DQ_BANDS) {
            const uint32_t e = Min(b1, MlaPlan::DQ_BANDS);
            mm_.Run(a, m, MlaPlan::H, wDq_, b0 * MlaPlan::BAND, (e - b0) * MlaPlan::BAND, cqRaw_[b0 * MlaPlan::BAND],
                    MlaPlan::QL);
        }
        if (b1 > MlaPlan::DQ_BANDS) {
            const uint32_t s = Max(b0, MlaPlan::DQ_BANDS) - MlaPlan::DQ_BANDS, e = b1 - MlaPlan::DQ_BANDS;
            mm_.Run(a, m, MlaPlan::H, wDkv_, s * MlaPlan::BAND, (e - s) * MlaPlan::BAND, kvRaw_[s * MlaPlan::BAND],
                    MlaPlan::KVC);
        }
    }

    __aicore__ inline void Stage3(uint32_t blk)
    {
        const uint32_t m = Rows(blk);
        const GlobalTensor<int8_t> a = qNorm_[uint64_t(blk) * MlaPlan::TOKEN_BLOCK * MlaPlan::QL];
        uint32_t h0 = 0, h1 = 0;
        SplitRange(MlaPlan::NQ, core_, cores_, h0, h1);
        for (uint32_t h = h0; h < h1; ++h) {
            const uint32_t slot = heads_ % MlaPlan::Q_SLOTS;
            mm_.Run(a, m, MlaPlan::QL, wUq_, h * MlaPlan::QHD, MlaPlan::QHD, qSlots_[slot * MlaPlan::Q_SLOT_ELEMS],
                    MlaPlan::QHD);
            CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_FIX>(C1V1_MLA_Q_READY);
            if (h > h0) Absorb(blk, m, h - 1, (heads_ - 1) % MlaPlan::Q_SLOTS);
            ++heads_;
        }
        if (h1 > h0) Absorb(blk, m, h1 - 1, (heads_ - 1) % MlaPlan::Q_SLOTS);
    }

private:
    __aicore__ inline uint32_t Rows(uint32_t blk) const
    {
        return Min(MlaPlan::TOKEN_BLOCK, p_.tokens - blk * MlaPlan::TOKEN_BLOCK);
    }

    // query_nope_out[tokens of blk, head] = bf16(q_nope [m, 128] @ w_uk[head] [128, 512]) once the AIVs
    // have written the head's q_nope.
    __aicore__ inline void Absorb(uint32_t blk, uint32_t m, uint32_t head, uint32_t slot)
    {
        CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(V1C2_MLA_NOPE_READY);
        PrologWeight<bfloat16_t> w;
        w.gm = wUk_[uint64_t(head) * MlaPlan::NOPE * MlaPlan::KVL];
        w.K = MlaPlan::NOPE;
        w.N = MlaPlan::KVL;
        w.nz = false;
        const uint64_t row0 = uint64_t(blk) * MlaPlan::TOKEN_BLOCK;
        mm_.Run(nopeSlots_[slot * MlaPlan::NOPE_SLOT_ELEMS], m, MlaPlan::NOPE, w, 0, MlaPlan::KVL,
                queryNope_[(row0 * MlaPlan::NQ + head) * MlaPlan::KVL], MlaPlan::NQ * MlaPlan::KVL);
    }

    MlaPrologParams p_;
    uint32_t core_ = 0, cores_ = 1, heads_ = 0;
    PrologMatmul mm_;
    GlobalTensor<bfloat16_t> x_, wUk_, queryNope_, cqRaw_, kvRaw_, nopeSlots_;
    GlobalTensor<int8_t> qNorm_;
    GlobalTensor<int32_t> qSlots_;
    PrologWeight<bfloat16_t> wDq_, wDkv_;
    PrologWeight<int8_t> wUq_;
};

}  // namespace dsa
