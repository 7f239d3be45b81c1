// Every cross-core flag id of the project's kernels, with its protocol. Ids 11-14 belong to SyncAll.
// A flag may run at most 15 sets ahead of its waits: each ring below has at most SCORE_SLOTS (2) in flight.
//
// id | mode | set by (pipe)              | waited by | meaning
// ---+------+----------------------------+-----------+-------------------------------------------------
//  0 |  2   | AIC (PIPE_FIX)             | both AIVs | C1V1_SCORE_READY: a score slot holds tile t's Q.K^T
//  1 |  2   | both AIVs (PIPE_MTE2)      | AIC       | V1C1_SCORE_FREE: both AIVs have read the slot; each
//    |      |                            |           | AIV pre-credits it once per slot, the AIC drains it
//  2 |  2   | both AIVs (PIPE_MTE3)      | AIC       | V0C2_WEIGHTS_READY: a unit's head-weight matrix is in
//    |      |                            |           | GM (int8 Mat-Duce); the next unit's write waits for the
//    |      |                            |           | AIVs' last SCORE_READY of this one, so 1 in flight
//  3 |  2   | AIC (PIPE_FIX)             | both AIVs | C1V1_LOGITS_READY (sparse flash attention): a key tile's
//    |      |                            |           | S = Q.K~^T is in the core's logits slot
//  4 |  2   | both AIVs (PIPE_MTE3)      | AIC       | V1C2_PROBS_READY: the tile's bf16 P is in the probs slot
//  5 |  2   | AIC (PIPE_FIX)             | both AIVs | C2V2_OUT_READY: the tile's P.V~ is in the out slot
//    |      |                            |           | (3 -> 4 -> 5 strictly alternate per tile: at most 1 in flight)
//  6 |  2   | both AIVs (PIPE_MTE3)      | AIC       | V0C1_KV_READY (KV antiquant): the tile's dequantised bf16
//    |      |                            |           | K~ (and V~) rows are in the kv slot; precedes 3 per tile
//  7 |  2   | both AIVs (PIPE_MTE3)      | AIC       | V1C2_HADAMARD_IN_READY (indexer prolog): an item's bf16 rows
//    |      |                            |           | (after RoPE) are in the core's Hadamard input slot
//  8 |  2   | AIC (PIPE_FIX)             | both AIVs | C2V2_HADAMARD_OUT_READY: the rows times the Hadamard matrix
//    |      |                            |           | (fp32) are in the output slot (7 -> 8 alternate per item)
//  9 |      |                            |           | unused (left to mla-prolog; mla_indexer_prolog_quant needs none); 11-14 are SyncAll's
// 10 |  2   | AIC (PIPE_FIX)             | both AIVs | C1V1_MLA_Q_READY (mla prolog): a head's int32 q = q_norm .
//    |      |                            |           | w_uq_qr is in the core's q slot (2 slots, at most 2 in flight)
// 15 |  2   | both AIVs (PIPE_MTE3)      | AIC       | V1C2_MLA_NOPE_READY: the head's dequantised bf16 q_nope is in
//    |      |                            |           | the core's nope slot (the absorption may read it)
#pragma once

#include <cstdint>

namespace dsa {
constexpr uint16_t C1V1_SCORE_READY = 0;
constexpr uint16_t V1C1_SCORE_FREE = 1;
constexpr uint16_t V0C2_WEIGHTS_READY = 2;
constexpr uint16_t C1V1_LOGITS_READY = 3;
constexpr uint16_t V1C2_PROBS_READY = 4;
constexpr uint16_t C2V2_OUT_READY = 5;
constexpr uint16_t V0C1_KV_READY = 6;
constexpr uint16_t V1C2_HADAMARD_IN_READY = 7;
constexpr uint16_t C2V2_HADAMARD_OUT_READY = 8;
constexpr uint16_t C1V1_MLA_Q_READY = 10;
constexpr uint16_t V1C2_MLA_NOPE_READY = 15;
constexpr uint8_t CROSS_CORE_MODE_AIC_AIV = 2;  // one AIC with its two AIVs
}  // namespace dsa
