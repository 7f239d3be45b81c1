// Host tiling of lightning_indexer (CANN-free): called by the generated CANN adapter and the twin runner.
#include "lightning_indexer_tiling_problem.h"
#include "lightning_indexer_tiling.h"

int LightningIndexerComputeTiling(const LightningIndexerTilingProblem& p, const DsaopsPlatform& plat,
                                  LightningIndexerTilingData* tiling, DsaopsTilingResult* r)
{
    return IndexerTiling::Compute("lightning_indexer", p, plat, false, tiling, r);
}
