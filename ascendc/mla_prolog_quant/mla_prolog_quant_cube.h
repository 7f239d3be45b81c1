// AIC role of mla_prolog_quant (see DESIGN.md), on the shared weight-streaming GEMM (common/prolog_gemm.h):
//   Stage1: x . w_dq and x . w_dkv_kr for all tokens, the weights' units split over every core by bytes
//           (PrologGemmSplit), each weight byte streamed once; fp32 K partials -> workspace
//   Stage3: per head of this core (the 128 heads split over the cores): int32 q_norm . w_uq_qr[:, head]
//           (192 columns) -> q slot, set Q_READY; one head behind, wait NOPE_READY and absorb:
//           query_nope_out[:, head] = bf16(q_nope . w_uk[head]) (the Fixpipe rounds and writes the rows).
#pragma once

#include "common/prolog_gemm.h"
#include "mla_prolog_quant_common.h"

namespace dsa {

class MlaPrologCube {
public:
    // gemm: the core's initialised PrologGemm (shared with the other stages of a fused kernel).
    __aicore__ inline void Init(PrologGemm* gemm, const MlaPrologGm& gm, const MlaPrologParams& p, uint32_t core,
                                uint32_t cores)
    {
        gemm_ = gemm;
        gm_ = gm;
        p_ = p;
        core_ = core;
        cores_ = cores;
    }

    // The two x jobs (shared with mla_indexer_prolog_quant, which adds its own x jobs to the split).
    __aicore__ inline void XJobs(PrologGemmJob* jobs) const
    {
        const uint32_t t = p_.tokens;
        jobs[0].a = gm_.x;
        jobs[0].w = gm_.wDq;
        jobs[0].out = gm_.workspace + MlaPlan::CqPartsOffset();
        jobs[0].k = MlaPlan::H;
        jobs[0].n = MlaPlan::QL;
        jobs[0].kPart = MlaPlan::DQ_PART;
        jobs[0].nTile = MlaPlan::DQ_TILE;
        jobs[1] = jobs[0];
        jobs[1].w = gm_.wDkvKr;
        jobs[1].out = gm_.workspace + MlaPlan::KvPartsOffset(t);
        jobs[1].n = MlaPlan::KVC;
    }

    __aicore__ inline void Stage1()
    {
        PrologGemmJob jobs[2];
        XJobs(jobs);
        RunSplit(jobs, 2);
    }

    // Every unit of `count` jobs this core owns (units split over all cores by bytes).
    __aicore__ inline void RunSplit(const PrologGemmJob* jobs, uint32_t count)
    {
        PrologGemmSplit split;
        split.Init(jobs, count, cores_);
        split.ForEachUnit(core_, [&](uint32_t j, uint32_t kp, uint32_t nt) { gemm_->RunUnit(jobs[j], kp, nt, p_.tokens); });
    }

    __aicore__ inline void Stage3()
    {
        uint32_t h0 = 0, h1 = 0;
        SplitRange(MlaPlan::NQ, core_, cores_, h0, h1);
        for (uint32_t h = h0; h < h1; ++h) {
            const uint32_t i = h - h0;
            const PrologGemmJob q = QJob(h, i % MlaPlan::SLOTS);
            for (uint32_t nt = 0; nt < q.Tiles(); ++nt) gemm_->RunUnit(q, 0, nt, p_.tokens);
            CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_FIX>(C1V1_MLA_Q_READY);
            if (i > 0) Absorb(h - 1, (i - 1) % MlaPlan::SLOTS);
        }
        if (h1 > h0) Absorb(h1 - 1, (h1 - h0 - 1) % MlaPlan::SLOTS);
    }

private:
    __aicore__ inline GM_ADDR CoreWs() const
    {
        return gm_.workspace + MlaPlan::CoreOffset(p_.tokens) + uint64_t(core_) * MlaPlan::CoreBytes(p_.tokens);
    }

    // q_norm [t, 1536] int8 . the head's 192 columns of w_uq_qr (6 NZ bands of 32) -> q slot int32 [t, 192].
    __aicore__ inline PrologGemmJob QJob(uint32_t head, uint32_t slot) const
    {
        PrologGemmJob j;
        j.a = gm_.qNormOut;
        j.w = gm_.wUqQr + uint64_t(head) * MlaPlan::QHD * MlaPlan::QL;  // bands of 32 columns x 1536 rows
        j.out = CoreWs() + slot * MlaPlan::QSlotBytes(p_.tokens);
        j.k = j.kPart = MlaPlan::QL;
        j.n = MlaPlan::QHD;
        j.nTile = MlaPlan::Q_TILE;
        j.int8 = true;
        return j;
    }

    // The AIVs wrote the head's q_nope into nope slot `slot`: query_nope_out[:, head] = bf16(q_nope .
    // w_uk[head]) (w_uk[head] ND 128 x 512; output rows NQ * 512 apart).
    __aicore__ inline void Absorb(uint32_t head, uint32_t slot)
    {
        const uint32_t t = p_.tokens;
        GM_ADDR ws = CoreWs() + MlaPlan::SLOTS * MlaPlan::QSlotBytes(t);
        PrologGemmJob j;
        j.a = ws + slot * MlaPlan::NopeSlotBytes(t);
        j.w = gm_.wUk + uint64_t(head) * MlaPlan::NOPE * MlaPlan::KVL * 2;
        j.out = gm_.queryNopeOut + uint64_t(head) * MlaPlan::KVL * 2;
        j.k = j.kPart = MlaPlan::NOPE;
        j.n = MlaPlan::KVL;
        j.nTile = MlaPlan::UK_TILE;
        j.wNd = true;
        j.outBf16 = true;
        j.ldOut = MlaPlan::NQ * MlaPlan::KVL;
        CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(V1C2_MLA_NOPE_READY);
        gemm_->ForgetA();  // the nope slot holds new rows
        for (uint32_t nt = 0; nt < j.Tiles(); ++nt) gemm_->RunUnit(j, 0, nt, t);
        gemm_->ForgetA();  // the q jobs' A block was replaced
    }

    MlaPrologGm gm_;
    MlaPrologParams p_;
    uint32_t core_ = 0, cores_ = 1;
    PrologGemm* gemm_ = nullptr;
};

}  // namespace dsa
