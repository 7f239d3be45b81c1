// Snippets the v8.5.0 headers reject; the twin must reject each of them at the marked line
// (checked by tests/twin/test_declarations.py with g++ -fsyntax-only; accept.cpp holds the correct forms).
#include "kernel_operator.h"

using namespace AscendC;

struct Env {
    TPipe pipe;
    TQue<TPosition::VECIN, 1> q;
    LocalTensor<float> f;
    LocalTensor<half> h;
    LocalTensor<uint8_t> m;
};

// Scalar operands are deduced together with the tensor's T (const T&): an int or double does not match float.
void duplicate_int_on_float(Env& e) { Duplicate(e.f, 0, 64); }  // @reject:duplicate_int_on_float
void duplicate_float_on_half(Env& e) { Duplicate(e.h, 1.0f, 64); }  // @reject:duplicate_float_on_half
void adds_int_on_float(Env& e) { Adds(e.f, e.f, 2, 64); }  // @reject:adds_int_on_float
void muls_double_on_float(Env& e) { Muls(e.f, e.f, 0.5, 64); }  // @reject:muls_double_on_float
void maxs_mask_form_int(Env& e) { Maxs(e.f, e.f, 0, uint64_t(64), 1, UnaryRepeatParams()); }  // @reject:maxs_mask_form_int
void compare_scalar_int(Env& e) { CompareScalar(e.m, e.f, 1, CMPMODE::LT, 64); }  // @reject:compare_scalar_int
void select_scalar_int(Env& e) { Select(e.f, e.m, e.f, 1, SELMODE::VSEL_TENSOR_SCALAR_MODE, 64); }  // @reject:select_scalar_int

// FreeTensor takes a non-const lvalue reference.
void free_rvalue(Env& e) { e.q.FreeTensor(e.q.DeQue<float>()); }  // @reject:free_rvalue
void free_const(Env& e) {
    const LocalTensor<float> c = e.q.AllocTensor<float>();
    e.q.FreeTensor(c);  // @reject:free_const
}

// Mask arrays of the binary, unary, tensor-scalar, Duplicate and Select APIs are uint64_t[] (not const).
static const uint64_t kMask[2] = {~0ull, ~0ull};
void add_const_mask(Env& e) { Add(e.f, e.f, e.f, kMask, 1, BinaryRepeatParams()); }  // @reject:add_const_mask
void exp_const_mask(Env& e) { Exp(e.f, e.f, kMask, 1, UnaryRepeatParams()); }  // @reject:exp_const_mask
void muls_const_mask(Env& e) { Muls(e.f, e.f, 2.0f, kMask, 1, UnaryRepeatParams()); }  // @reject:muls_const_mask
void duplicate_const_mask(Env& e) { Duplicate(e.f, 1.0f, kMask, 1, 1, 8); }  // @reject:duplicate_const_mask
void select_const_mask(Env& e) {
    Select(e.f, e.m, e.f, e.f, SELMODE::VSEL_TENSOR_TENSOR_MODE, kMask, 1, BinaryRepeatParams());  // @reject:select_const_mask
}

// GetPosition() returns int32_t, not TPosition.
void position_as_enum(Env& e) { TPosition p = e.f.GetPosition(); (void)p; }  // @reject:position_as_enum

// Names v8.5.0 does not declare are not in namespace AscendC.
void twin_names_not_in_ascendc() { (void)AscendC::position_name(TPosition::VECIN); }  // @reject:twin_names_not_in_ascendc
void twin_count_not_in_ascendc() { (void)AscendC::kHardEventCount; }  // @reject:twin_count_not_in_ascendc

// SetVectorMask names its element type (no default).
void vector_mask_without_type() { SetVectorMask(0, ~0ull); }  // @reject:vector_mask_without_type

// GetSortLen / GetSortOffset exist for half and float only.
uint32_t sort_len_int() { return GetSortLen<int32_t>(32); }  // @reject:sort_len_int

int main() { return 0; }
