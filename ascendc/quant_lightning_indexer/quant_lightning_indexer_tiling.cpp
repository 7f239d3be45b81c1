// Host tiling of quant_lightning_indexer (CANN-free): the lightning_indexer tiling with the cube head sum
// (Mat-Duce) and the quant modes checked.
#include "quant_lightning_indexer_tiling_problem.h"
#include "lightning_indexer/lightning_indexer_tiling.h"

int QuantLightningIndexerComputeTiling(const QuantLightningIndexerTilingProblem& p, const DsaopsPlatform& plat,
                                       QuantLightningIndexerTilingData* tiling, DsaopsTilingResult* r)
{
    const char* op = "quant_lightning_indexer";
    if (p.query_quant_mode != 0) return IndexerTiling::FailInt(r, op, "query_quant_mode", "0", p.query_quant_mode);
    if (p.key_quant_mode != 0) return IndexerTiling::FailInt(r, op, "key_quant_mode", "0", p.key_quant_mode);
    int rc = IndexerTiling::Compute(op, p, plat, true, tiling, r);
    if (rc == 0) {
        tiling->queryQuantMode = uint32_t(p.query_quant_mode);
        tiling->keyQuantMode = uint32_t(p.key_quant_mode);
    }
    return rc;
}
