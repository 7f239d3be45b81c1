// Sort32, MrgSort, GetMrgSortResult, GetSortLen, Extract. Sorted elements are 8-byte (score, index)
// structures: score in the low bytes (float: 4 B; half: 2 B then 2 reserved B), uint32 index in the high 4 B.
#pragma once

#include "vec_common.h"

namespace AscendC {

template <class T> struct MrgSortSrcList {
    MrgSortSrcList() {}
    MrgSortSrcList(const LocalTensor<T>& src1In, const LocalTensor<T>& src2In, const LocalTensor<T>& src3In,
                   const LocalTensor<T>& src4In)
        : src1(src1In[0]), src2(src2In[0]), src3(src3In[0]), src4(src4In[0]) {}
    LocalTensor<T> src1, src2, src3, src4;
};

struct MrgSort4Info {
    MrgSort4Info() {}
    MrgSort4Info(const uint16_t elementLengthsIn[4], bool ifExhaustedSuspensionIn, uint16_t validBitIn,
                 uint16_t repeatTimesIn)
        : ifExhaustedSuspension(ifExhaustedSuspensionIn), validBit(validBitIn), repeatTimes(repeatTimesIn) {
        for (int i = 0; i < 4; ++i) elementLengths[i] = elementLengthsIn[i];
    }
    uint16_t elementLengths[4] = {0, 0, 0, 0};
    bool ifExhaustedSuspension = false;
    uint16_t validBit = 0;
    uint16_t repeatTimes = 1;
};

}  // namespace AscendC

namespace twin {
namespace sortd {

using AscendC::LocalTensor;

struct Item {
    float score;
    uint8_t raw[8];
};

template <class T> inline float score_of(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return float(v);
}

// Per core: counts consumed from each list by the last MrgSort (GetMrgSortResult).
inline uint16_t* mrg_result() {
    static thread_local uint16_t r[4] = {0, 0, 0, 0};
    static thread_local uint64_t owner = 0;  // CoreCtx::serial: host threads are reused across launches
    if (owner != core().serial) {
        owner = core().serial;
        r[0] = r[1] = r[2] = r[3] = 0;
    }
    return r;
}

}  // namespace sortd
}  // namespace twin

namespace AscendC {

// Arch 2201: a sorted (score, index) structure is 8 bytes, so its length in elements of T is 4 for half
// and 2 for float (v8.5.0 kernel_operator_proposal_intf_impl.h).
template <class T> inline uint32_t GetSortOffset(const uint32_t elemOffset) {
    static_assert(twin::vec::one_of<T, half, float>(), "GetSortOffset: dtype must be half or float");
    return std::is_same_v<T, half> ? elemOffset * 4 : elemOffset * 2;
}
template <class T> inline uint32_t GetSortLen(const uint32_t elemCount) {
    static_assert(twin::vec::one_of<T, half, float>(), "GetSortLen: dtype must be half or float");
    return std::is_same_v<T, half> ? elemCount * 4 : elemCount * 2;
}

template <class T>
inline void Sort32(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<uint32_t>& src1,
                   const int32_t repeatTime, twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, half, float>(), "Sort32: dtype must be half or float");
    const char* api = "Sort32";
    twin::vec::check_repeat(loc, api, repeatTime);
    twin::vec::check_ub(loc, api, "dst", dst);
    twin::vec::check_ub(loc, api, "src0", src0);
    twin::vec::check_ub(loc, api, "src1", src1);
    uint64_t n = uint64_t(repeatTime) * 32;
    src0.twin_check_bytes(loc, api, "src0", n * sizeof(T));
    src1.twin_check_bytes(loc, api, "src1", n * 4);
    dst.twin_check_bytes(loc, api, "dst", n * 8);
    std::vector<T> sc(n);
    std::vector<uint32_t> ix(n);
    std::memcpy(sc.data(), src0.twin_ptr(), n * sizeof(T));
    std::memcpy(ix.data(), src1.twin_ptr(), n * 4);
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    for (uint64_t r = 0; r < uint64_t(repeatTime); ++r) {
        std::vector<uint32_t> ord(32);
        for (uint32_t i = 0; i < 32; ++i) ord[i] = i;
        // Descending by score; equal scores keep the lower position first.
        std::stable_sort(ord.begin(), ord.end(),
                         [&](uint32_t a, uint32_t b) { return float(sc[r * 32 + a]) > float(sc[r * 32 + b]); });
        for (uint32_t i = 0; i < 32; ++i) {
            uint8_t* o = d + (r * 32 + i) * 8;
            std::memset(o, 0, 8);
            std::memcpy(o, &sc[r * 32 + ord[i]], sizeof(T));
            std::memcpy(o + 4, &ix[r * 32 + ord[i]], 4);
        }
    }
    twin::vec::count_work(twin::VecClass::SORT, uint64_t(repeatTime), n);
}

template <class T>
inline void MrgSort(const LocalTensor<T>& dst, const MrgSortSrcList<T>& src, const MrgSort4Info& params,
                    twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, half, float>(), "MrgSort: dtype must be half or float");
    const char* api = "MrgSort";
    int nlist = params.validBit == 3 ? 2 : params.validBit == 7 ? 3 : params.validBit == 15 ? 4 : 0;
    if (nlist == 0)
        twin::fail(loc, api, "validBit must be 3, 7 or 15", twin::strf("validBit = %u", params.validBit));
    if (params.repeatTimes < 1 || params.repeatTimes > 255)
        twin::fail(loc, api, "repeatTimes must be in [1, 255]", twin::strf("repeatTimes = %u", params.repeatTimes));
    twin::vec::check_ub(loc, api, "dst", dst);
    const LocalTensor<T>* lists[4] = {&src.src1, &src.src2, &src.src3, &src.src4};
    const char* names[4] = {"src1", "src2", "src3", "src4"};
    uint64_t total = 0;
    for (int i = 0; i < nlist; ++i) {
        twin::vec::check_ub(loc, api, names[i], *lists[i], 8);
        if (params.elementLengths[i] > 4095)
            twin::fail(loc, api, "elementLengths must be <= 4095",
                       twin::strf("elementLengths[%d] = %u", i, params.elementLengths[i]));
        total += params.elementLengths[i];
    }
    uint32_t reps = params.repeatTimes;
    if (reps > 1) {
        bool ok = nlist == 4 && !params.ifExhaustedSuspension;
        for (int i = 1; i < 4 && ok; ++i)
            ok = params.elementLengths[i] == params.elementLengths[0] &&
                 lists[i]->twin_offset() == lists[0]->twin_offset() + uint32_t(i) * params.elementLengths[0] * 8;
        if (!ok)
            twin::fail(loc, api, "repeatTimes > 1 needs 4 equal, contiguous lists and ifExhaustedSuspension = false",
                       twin::strf("repeatTimes = %u, validBit = %u", reps, params.validBit));
    }
    for (int i = 0; i < nlist; ++i) {
        uint64_t need = reps > 1 ? (i == 0 ? uint64_t(reps) * total * 8 : 0) : uint64_t(params.elementLengths[i]) * 8;
        if (need) lists[i]->twin_check_bytes(loc, api, names[i], need);
    }
    uint16_t used[4] = {0, 0, 0, 0};
    std::vector<uint8_t> out;
    for (uint32_t r = 0; r < reps; ++r) {
        std::vector<std::vector<twin::sortd::Item>> q(nlist);
        for (int i = 0; i < nlist; ++i) {
            const uint8_t* base = reinterpret_cast<const uint8_t*>(lists[i]->twin_ptr()) + uint64_t(r) * total * 8;
            for (uint32_t k = 0; k < params.elementLengths[i]; ++k) {
                twin::sortd::Item it;
                std::memcpy(it.raw, base + k * 8, 8);
                it.score = twin::sortd::score_of<T>(it.raw);
                q[i].push_back(it);
            }
        }
        size_t pos[4] = {0, 0, 0, 0};
        for (;;) {
            int best = -1;
            bool exhausted = false;
            for (int i = 0; i < nlist; ++i) {
                if (pos[i] >= q[i].size()) { exhausted = true; continue; }
                // Strictly greater: on equal scores the lower-numbered list goes first.
                if (best < 0 || q[i][pos[i]].score > q[best][pos[best]].score) best = i;
            }
            if (best < 0 || (exhausted && params.ifExhaustedSuspension)) break;
            out.insert(out.end(), q[best][pos[best]].raw, q[best][pos[best]].raw + 8);
            ++pos[best];
        }
        for (int i = 0; i < nlist; ++i) used[i] = uint16_t(pos[i]);
    }
    dst.twin_check_bytes(loc, api, "dst", out.size());
    std::memcpy(dst.twin_ptr(), out.data(), out.size());
    uint16_t* res = twin::sortd::mrg_result();
    for (int i = 0; i < 4; ++i) res[i] = used[i];
    twin::vec::count_work(twin::VecClass::MRGSORT, reps, out.size() / 8);
}

inline void GetMrgSortResult(uint16_t& mrgSortList1, uint16_t& mrgSortList2, uint16_t& mrgSortList3,
                             uint16_t& mrgSortList4) {
    uint16_t* r = twin::sortd::mrg_result();
    mrgSortList1 = r[0];
    mrgSortList2 = r[1];
    mrgSortList3 = r[2];
    mrgSortList4 = r[3];
}

// Extract: split 32 sorted (score, index) structures per repeat into scores and indices.
template <class T>
inline void Extract(const LocalTensor<T>& dstValue, const LocalTensor<uint32_t>& dstIndex, const LocalTensor<T>& sorted,
                    const int32_t repeatTime, twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, half, float>(), "Extract: dtype must be half or float");
    const char* api = "Extract";
    twin::vec::check_repeat(loc, api, repeatTime);
    twin::vec::check_ub(loc, api, "dstValue", dstValue);
    twin::vec::check_ub(loc, api, "dstIndex", dstIndex);
    twin::vec::check_ub(loc, api, "sorted", sorted);
    uint64_t n = uint64_t(repeatTime) * 32;
    sorted.twin_check_bytes(loc, api, "sorted", n * 8);
    dstValue.twin_check_bytes(loc, api, "dstValue", n * sizeof(T));
    dstIndex.twin_check_bytes(loc, api, "dstIndex", n * 4);
    std::vector<uint8_t> in(n * 8);
    std::memcpy(in.data(), sorted.twin_ptr(), in.size());
    for (uint64_t i = 0; i < n; ++i) {
        std::memcpy(reinterpret_cast<uint8_t*>(dstValue.twin_ptr()) + i * sizeof(T), &in[i * 8], sizeof(T));
        std::memcpy(reinterpret_cast<uint8_t*>(dstIndex.twin_ptr()) + i * 4, &in[i * 8 + 4], 4);
    }
    twin::vec::count_work(twin::VecClass::OTHER, uint64_t(repeatTime), n);
}

// Concat on arch 2201 only hands `src` over as the sort input (v8.5.0: `concat = src`); tmp is unused.
template <class T>
inline void Concat(LocalTensor<T>& concat, const LocalTensor<T>& src, const LocalTensor<T>& tmp, const int32_t repeatTime,
                   twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, half, float>(), "Concat: dtype must be half or float");
    (void)tmp;
    twin::vec::check_repeat(loc, "Concat", repeatTime);
    twin::vec::check_ub(loc, "Concat", "src", src);
    concat = src;
}

// Sort<T, isFullSort>: Sort32 of repeatTime * 32 (score, index) pairs; with isFullSort the runs of 32 are
// then merged (MrgSort, lower list first on equal scores) into one descending list of repeatTime * 32
// structures, i.e. a stable descending sort. tmp (repeatTime * 32 structures) holds a copy of the result,
// as the merge passes leave it.
template <class T, bool isFullSort>
inline void Sort(const LocalTensor<T>& dst, const LocalTensor<T>& concat, const LocalTensor<uint32_t>& index,
                 LocalTensor<T>& tmp, const int32_t repeatTime, twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, half, float>(), "Sort: dtype must be half or float");
    const char* api = "Sort";
    Sort32(dst, concat, index, repeatTime, loc);
    if constexpr (isFullSort) {
        uint64_t n = uint64_t(repeatTime) * 32;
        twin::vec::check_ub(loc, api, "tmp", tmp);
        tmp.twin_check_bytes(loc, api, "tmp", n * 8);
        if (n == 0) return;
        std::vector<twin::sortd::Item> items(n);
        const uint8_t* d = reinterpret_cast<const uint8_t*>(dst.twin_ptr());
        for (uint64_t i = 0; i < n; ++i) {
            std::memcpy(items[i].raw, d + i * 8, 8);
            items[i].score = twin::sortd::score_of<T>(items[i].raw);
        }
        std::stable_sort(items.begin(), items.end(),
                         [](const twin::sortd::Item& a, const twin::sortd::Item& b) { return a.score > b.score; });
        uint8_t* o = reinterpret_cast<uint8_t*>(dst.twin_ptr());
        uint8_t* t = reinterpret_cast<uint8_t*>(tmp.twin_ptr());
        for (uint64_t i = 0; i < n; ++i) {
            std::memcpy(o + i * 8, items[i].raw, 8);
            std::memcpy(t + i * 8, items[i].raw, 8);
        }
        uint64_t merges = 0, passes = 0;  // MrgSort instructions of the merge passes, each pass moving n
        for (uint64_t q = uint64_t(repeatTime); q > 1; q = (q + 3) / 4, ++passes) merges += (q + 3) / 4;
        twin::vec::count_work(twin::VecClass::MRGSORT, merges, passes * n);
    }
}

// The list form of MrgSort: elementCountList per list, validBit, repeatTime; with isExhaustedSuspension
// the merge stops when a list runs out and sortedNum[i] receives how many of list i were merged.
template <class T, bool isExhaustedSuspension = false>
inline void MrgSort(const LocalTensor<T>& dst, const MrgSortSrcList<T>& sortList, const uint16_t elementCountList[4],
                    uint32_t sortedNum[4], uint16_t validBit, const int32_t repeatTime,
                    twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, half, float>(), "MrgSort: dtype must be half or float");
    if (twin::core(loc).is_aic) return;  // as in v8.5.0: the AIC returns at once
    MrgSort4Info info(elementCountList, isExhaustedSuspension, validBit, uint16_t(repeatTime));
    MrgSort(dst, sortList, info, loc);
    if (isExhaustedSuspension) {
        uint16_t* r = twin::sortd::mrg_result();
        for (int i = 0; i < 4; ++i) sortedNum[i] = r[i];
    }
}

}  // namespace AscendC
