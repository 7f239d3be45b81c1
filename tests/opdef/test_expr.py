"""The constraint expression language: evaluation, C++ emission, refusals."""

from __future__ import annotations

import pytest

from dsaops.opdef.expr import ExprError, parse


def env_of(values):
    return lambda name: values[name]


@pytest.mark.parametrize("source, values, expected", [
    ("N1 == 64", {"N1": 64}, True),
    ("N1 == 64", {"N1": 32}, False),
    ("block_size % 16 == 0 and block_size <= 1024", {"block_size": 1040}, False),
    ("block_size % 16 == 0 and block_size <= 1024", {"block_size": 128}, True),
    ("mode in [0, 3]", {"mode": 3}, True),
    ("mode not in [0, 3]", {"mode": 3}, False),
    ("layout == 'BSND' or layout == 'TND'", {"layout": "TND"}, True),
    ("not (a < b)", {"a": 1, "b": 2}, False),
    ("0 < a <= 4", {"a": 4}, True),
    ("t // b * b == t", {"t": 9, "b": 3}, True),
    ("t // b * b == t", {"t": 10, "b": 3}, False),
])
def test_evaluate(source, values, expected):
    assert parse(source).evaluate(env_of(values), {}) is expected


def test_functions_are_called_with_tensor_names():
    seen = []
    funcs = {"present": lambda name: seen.append(name) or True, "is_pow2": lambda v: v & (v - 1) == 0}
    assert parse("present(block_table) and is_pow2(n)").evaluate(env_of({"n": 8}), funcs)
    assert seen == ["block_table"]


def test_names_exclude_functions():
    assert parse("is_pow2(s) and max_value(lens) <= S2").names() == ("s", "lens", "S2")


@pytest.mark.parametrize("source, cpp", [
    ("N1 == 64", "N1_ == 64"),
    ("a % 16 == 0 and a <= 1024", "((a_ % 16) == 0 && a_ <= 1024)"),
    ("layout == 'PA_BSND' or not present(bt)",
     '(layout_ == std::string("PA_BSND") || (!dsaops::check::present(bt_)))'),
    ("mode in [0, 3]", "(mode_ == 0 || mode_ == 3)"),
    ("t // b == s", "(t_ / b_) == s_"),
    ("0 < x <= 4", "(0 < x_ && x_ <= 4)"),
    ("n <= 3000000000", "n_ <= 3000000000LL"),
    ("n <= 2147483647", "n_ <= 2147483647"),  # the largest int32 needs no LL
    ("n <= 2147483648", "n_ <= 2147483648LL"),
    ("mode not in [1, 2]", "(!(mode_ == 1 || mode_ == 2))"),
    ("mode in []", "false"),
    ("mode not in []", "(!false)"),
    ("-a < 0", "(-a_) < 0"),
    ("flag == True or done != False", "(flag_ == true || done_ != false)"),
    ("x == 1.5", "x_ == 1.5"),
    ("s == 'say \\\"hi\\\" \\\\ bye'", 's_ == std::string("say \\"hi\\" \\\\ bye")'),
    ("c in [True, 'x']", '(c_ == true || c_ == std::string("x"))'),
    ("ceil_div(n + 1, 2 * m) <= last(t)", "dsaops::check::ceil_div((n_ + 1), (2 * m_)) <= dsaops::check::last(t_)"),
    ("1 < 2 < 3", "(1 < 2 && 2 < 3)"),
])
def test_to_cpp(source, cpp):
    assert parse(source).to_cpp(lambda n: n + "_") == cpp


def test_to_cpp_function_prefix_reaches_nested_calls():
    e = parse("ceil_div(ceil_div(a, 2), 3) == 1 and not (is_pow2(b) or -ceil_div(c, 4) < 0)")
    assert e.to_cpp(lambda n: n, func_prefix="f::") == (
        "(f::ceil_div(f::ceil_div(a, 2), 3) == 1 && (!(f::is_pow2(b) || (-f::ceil_div(c, 4)) < 0)))")


@pytest.mark.parametrize("source, fragment", [
    ("a ** 2 == 4", "operator Pow is not allowed"),
    ("open('x')", "unknown function 'open'"),
    ("x.y == 1", "Attribute is not allowed"),
    ("a in b", "'in' needs a literal list"),
    ("present(x, y)", "present() takes 1 positional argument(s)"),
    ("present(1)", "present() needs a tensor name"),
    ("a ==", "invalid expression"),
])
def test_refusals(source, fragment):
    with pytest.raises(ExprError) as info:
        parse(source)
    assert fragment in info.value.message


def test_simple_comparison_phrase():
    e = parse("sparse_count <= 2048")
    assert e.simple_comparison() == ("sparse_count", "<=", 2048)
    assert e.phrase() == "must be at most 2048"
    assert parse("a + 1 == 2").simple_comparison() is None
    assert parse("not present(x)").presence() == ("x", False)
