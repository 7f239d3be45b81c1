// The correct forms of the snippets in reject.cpp, and the v8.5.0 return types: must compile.
#include <type_traits>

#include "kernel_operator.h"

using namespace AscendC;

struct Env {
    TPipe pipe;
    TQue<TPosition::VECIN, 1> q;
    LocalTensor<float> f;
    LocalTensor<half> h;
    LocalTensor<uint8_t> m;
};

void scalars(Env& e) {
    Duplicate(e.f, 0.0f, 64);
    Duplicate<float>(e.f, 0, 64);  // an explicit T converts the scalar, as with the real template
    Duplicate(e.h, half(1.0f), 64);
    Adds(e.f, e.f, 2.0f, 64);
    Muls(e.f, e.f, 0.5f, 64);
    Maxs(e.f, e.f, 0.0f, uint64_t(64), 1, UnaryRepeatParams());
    CompareScalar(e.m, e.f, 1.0f, CMPMODE::LT, 64);
    Select(e.f, e.m, e.f, 1.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, 64);
}

void vector_mask() {
    SetVectorMask<float>(0, ~0ull);
    SetVectorMask<half, MaskMode::COUNTER>(0, 100);
}

void free_lvalue(Env& e) {
    LocalTensor<float> t = e.q.DeQue<float>();
    e.q.FreeTensor(t);
}

void masks(Env& e) {
    uint64_t mask[2] = {~0ull, ~0ull};
    Add(e.f, e.f, e.f, mask, 1, BinaryRepeatParams());
    Exp(e.f, e.f, mask, 1, UnaryRepeatParams());
    Muls(e.f, e.f, 2.0f, mask, 1, UnaryRepeatParams());
    Duplicate(e.f, 1.0f, mask, 1, 1, 8);
    Select(e.f, e.m, e.f, e.f, SELMODE::VSEL_TENSOR_TENSOR_MODE, mask, 1, BinaryRepeatParams());
    // Cast, Compare and the reductions take const uint64_t mask[] in v8.5.0.
    static const uint64_t cmask[2] = {~0ull, ~0ull};
    Cast(e.h, e.f, RoundMode::CAST_RINT, cmask, 1, UnaryRepeatParams(1, 1, 4, 8));
    Compare(e.m, e.f, e.f, CMPMODE::LT, cmask, 1, BinaryRepeatParams());
    WholeReduceSum(e.f, e.f, cmask, 1, 1, 1, 8);
}

void types(Env& e) {
    static_assert(std::is_same_v<decltype(e.f.GetPosition()), int32_t>, "GetPosition returns int32_t");
    static_assert(std::is_same_v<decltype(e.pipe.AllocEventID<HardEvent::V_MTE3>()), TEventID>, "AllocEventID");
    static_assert(std::is_same_v<decltype(e.pipe.FetchEventID<HardEvent::V_MTE3>()), TEventID>, "FetchEventID<evt>");
    static_assert(std::is_same_v<decltype(e.pipe.FetchEventID(HardEvent::V_MTE3)), TEventID>, "FetchEventID(evt)");
    static_assert(std::is_same_v<TEventID, int8_t>, "TEventID is int8_t");
    int32_t pos = e.f.GetPosition();
    (void)(pos == static_cast<int32_t>(TPosition::VECIN));
}

int main() { return 0; }
