// Sizes the indexer kernels (both dtypes) and their host tiling agree on. Plain C++: included by the
// CANN-free tiling functions and by the kernels. The kernels' buffer plans static_assert against these.
#pragma once

#include <cstdint>

namespace IndexerPlan {
constexpr uint32_t HEADS = 64;         // N1 (the opdef constrains it)
constexpr uint32_t HEAD_DIM = 128;     // D
constexpr uint32_t KEY_TILE = 128;     // keys per cube tile (one Mmad N)
constexpr uint32_t GROUP_ROWS = 4;     // query rows that share a key tile: M = 4 * 64 = 256 <= L0A
constexpr uint32_t MMAD_ROWS = 128;    // rows of one Mmad / one L0C buffer (128 x 128 x 4 B = 64 KB)
constexpr uint32_t SORT_BLOCK = 512;   // keys sorted together before merging into the running top-k
constexpr uint32_t SORT_TILES = SORT_BLOCK / KEY_TILE;
constexpr uint32_t MAX_SPARSE = 2048;  // largest sparse_count
constexpr uint32_t SPARSE_ALIGN = 32;  // running lists hold sparse_count rounded up to whole Extract repeats
constexpr uint32_t MIN_PART_TILES = 4; // a key range split across cores gets at least one sort block per part
constexpr uint32_t SCORE_SLOTS = 2;    // cube -> vector workspace ring
constexpr uint32_t PARTIAL_SLOTS = 2;  // a core's first and last unit can be split
}  // namespace IndexerPlan
