// Lightning indexer kernel (KERNEL_TYPE_MIX_AIC_1_2): the scheduler. It owns the loops, the per-tile
// RunInfo and every cross-core call; IndexerCube (C1) and IndexerVector (V1, V2) only run stages.
// The int8 op (quant_lightning_indexer) is the IndexerInt8Policy of this same kernel.
//
//   AIC  C1: per unit part: query -> L0A (int8: wait WEIGHTS_READY, W~ -> L0A); per tile: key tile
//            -> L1 -> L0B, wait SCORE_FREE, Mmad, Fixpipe ReLU -> score slot (int8: S/1024 fp16 + ReLU
//            -> L1, wait SCORE_FREE, C2: Mmad W~ R -> score slot), set SCORE_READY
//   AIV  V0: per unit part: head weights (int8: W~ rows -> GM, set WEIGHTS_READY)
//        V1: per tile: wait SCORE_READY, head-sum + mask -> sort block, set SCORE_FREE; per 512 keys
//            sort + merge into the running top-k; part end: write indices or a partial list
//        V2: SyncAll, merge the partial lists of split units, write indices
// See DESIGN.md for the buffer plans, flags and byte budget.
#pragma once

#include "lightning_indexer_common.h"
#include "lightning_indexer_cube.h"
#include "lightning_indexer_vector.h"

namespace dsa {

template <class P>
class IndexerKernel {
public:
    __aicore__ inline void Init(const IndexerGm& gm, const IndexerParams& p)
    {
        gm_ = gm;
        p_ = p;
        queries_.Init(SeqLayout(p.layoutQuery), p.maxSeqQ, gm.actualSeqQ);
        keys_.Init(SeqLayout(p.layoutKey), p.maxSeqK, gm.actualSeqK, gm.blockTable, p.blockSize, p.maxBlocks);
        walker_.Init(&queries_, &keys_, p.batch, p.groupRows, p.keyTile, p.sparseMode);
        uint64_t total = 0;
        WorkUnit u;
        while (walker_.Next(u)) total = u.tileBegin + u.tiles;
        split_.Init(total, GetBlockNum(), p.minPartTiles);
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

private:
    __aicore__ inline TileRun MakeRun(const WorkUnit& u, uint32_t t, uint32_t first, uint32_t last, uint32_t slot) const
    {
        TileRun run;
        run.unit = u;
        run.tile = t;
        run.keyStart = t * p_.keyTile;
        run.keys = Min(p_.keyTile, u.visMax - run.keyStart);
        run.slot = slot;
        run.tileInPart = t - first;
        run.partKeyStart = first * p_.keyTile;
        run.lastOfPart = t + 1 == last;
        return run;
    }

    __aicore__ inline void ProcessCube()
    {
        TPipe pipe;
        IndexerCube<P> cube;
        const uint32_t core = GetBlockIdx();
        cube.InitParams(p_, gm_, &keys_, core);
        cube.InitBuffers(&pipe);
        uint32_t produced = 0;
        WorkUnit u;
        walker_.Reset();
        while (walker_.Next(u)) {
            uint32_t first = 0, last = 0;
            if (!split_.Part(u, core, first, last)) continue;
            cube.LoadQuery(u);
            if constexpr (P::CUBE_HEAD_SUM) {
                CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(V0C2_WEIGHTS_READY);
                cube.LoadWeights();
            }
            for (uint32_t t = first; t < last; ++t, ++produced) {
                const TileRun run = MakeRun(u, t, first, last, produced % IndexerPlan::SCORE_SLOTS);
                cube.LoadKeyTile(run);  // overlaps the AIVs still reading the slot
                // Wait for the slot just before the stage that writes it.
                if constexpr (!P::CUBE_HEAD_SUM) CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_FIX>(V1C1_SCORE_FREE);
                cube.ScoreTile(run);
                if constexpr (P::CUBE_HEAD_SUM) {
                    CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_FIX>(V1C1_SCORE_FREE);
                    cube.HeadSumTile(run);
                }
                CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_FIX>(C1V1_SCORE_READY);
            }
            cube.ReleaseQuery();
        }
        // Drain the credits the AIVs pre-set and returned, and the cube's own buffer-free events.
        for (uint32_t s = 0; s < IndexerPlan::SCORE_SLOTS; ++s)
            CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_FIX>(V1C1_SCORE_FREE);
        cube.DrainEvents();
    }

    __aicore__ inline void ProcessVector()
    {
        TPipe pipe;
        IndexerVector<P> vec;
        const uint32_t core = GetBlockIdx() / 2;
        const uint32_t sub = GetSubBlockIdx();
        vec.InitParams(p_, gm_, &keys_, core, sub);
        vec.InitBuffers(&pipe);
        for (uint32_t s = 0; s < IndexerPlan::SCORE_SLOTS; ++s)
            CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(V1C1_SCORE_FREE);
        uint32_t consumed = 0;
        WorkUnit u;
        walker_.Reset();
        while (walker_.Next(u)) {
            uint32_t first = 0, last = 0;
            if (!split_.Part(u, core, first, last)) continue;
            vec.BeginPart(u);
            if constexpr (P::CUBE_HEAD_SUM) CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE3>(V0C2_WEIGHTS_READY);
            for (uint32_t t = first; t < last; ++t, ++consumed) {
                CrossCoreWaitFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(C1V1_SCORE_READY);
                vec.ProcessTile(MakeRun(u, t, first, last, consumed % IndexerPlan::SCORE_SLOTS));
                CrossCoreSetFlag<CROSS_CORE_MODE_AIC_AIV, PIPE_MTE2>(V1C1_SCORE_FREE);
            }
            vec.EndPart(split_.IsSplit(u), split_.PartialSlot(u, core));
        }
        FillUnwrittenRows(vec);
        PipeBarrier<PIPE_ALL>();
        SyncAll<true>();  // every partial list is in GM
        walker_.Reset();
        while (walker_.Next(u)) {
            if (split_.IsSplit(u) && split_.FirstCore(u) == core) vec.MergeUnit(u, split_);
        }
    }

    // Rows no part writes: BSND rows past a batch's query length, and groups that see no key.
    // Spread round-robin over every AIV of the launch.
    __aicore__ inline void FillUnwrittenRows(IndexerVector<P>& vec)
    {
        const uint32_t aivs = GetBlockNum() * 2;
        const uint32_t self = GetBlockIdx();
        uint32_t item = 0;
        if (queries_.Layout() == SeqLayout::BSND) {
            for (uint32_t b = 0; b < p_.batch; ++b) {
                const uint32_t len = queries_.Length(b);
                if (len < p_.maxSeqQ && item++ % aivs == self)
                    vec.FillRows(queries_.Start(b) + len, p_.maxSeqQ - len);
            }
        }
        WorkUnit u;
        walker_.Reset();
        while (walker_.Next(u)) {
            if (u.tiles == 0 && item++ % aivs == self) vec.FillRows(u.qFlat, u.rows);
        }
    }

    IndexerGm gm_;
    IndexerParams p_;
    QueryRows queries_;
    KeyRows keys_;
    UnitWalker walker_;
    TileSplit split_;
};

}  // namespace dsa

// Tiling: LightningIndexerTilingData (a template parameter so the int8 op can include this header).
template <class V, class Tiling>
__aicore__ inline void LightningIndexerRun(GM_ADDR query, GM_ADDR key, GM_ADDR weights, GM_ADDR actual_seq_lengths_query,
                                           GM_ADDR actual_seq_lengths_key, GM_ADDR block_table, GM_ADDR sparse_indices,
                                           GM_ADDR userWorkspace, const Tiling& tiling)
{
    using Policy = dsa::IndexerFloatPolicy<typename V::query_t, typename V::weights_t>;
    dsa::IndexerGm gm;
    gm.query = query;
    gm.key = key;
    gm.weights = weights;
    gm.actualSeqQ = actual_seq_lengths_query;
    gm.actualSeqK = actual_seq_lengths_key;
    gm.blockTable = block_table;
    gm.sparseIndices = sparse_indices;
    gm.workspace = userWorkspace;
    dsa::IndexerKernel<Policy> kernel;
    kernel.Init(gm, dsa::ResolveIndexerParams(tiling));
    kernel.Process();
}
