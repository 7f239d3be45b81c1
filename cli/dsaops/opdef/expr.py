"""The constraint expression language of opdefs.

A small, side-effect-free subset of Python expression syntax, parsed once with
``ast`` and then (a) checked against the op's names at load time, (b) evaluated
by the Python argument checks, and (c) emitted as C++ for the generated tiling
checks. Grammar:

    expr   := expr 'or' expr | expr 'and' expr | 'not' expr | compare
    compare:= arith (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not in') arith)*
    arith  := arith ('+'|'-'|'*'|'//'|'%') arith | '-' arith | atom
    atom   := NAME | INT | FLOAT | STRING | 'True' | 'False'
            | '[' literal, ... ']' | FUNC '(' args ')' | '(' expr ')'

Names are the op's dims, attrs and tensors. Functions are listed in FUNCTIONS.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable


class ExprError(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[str, ...]  # kind of each argument: "tensor" or "value"
    doc: str


FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("present", ("tensor",), "the optional tensor was given"),
    Function("is_pow2", ("value",), "the integer is a power of two (>= 1)"),
    Function("last", ("tensor",), "the last element of a 1-D integer tensor"),
    Function("min_value", ("tensor",), "the smallest element of an integer tensor"),
    Function("max_value", ("tensor",), "the largest element of an integer tensor"),
    Function("nondecreasing", ("tensor",), "every element of a 1-D tensor is >= the one before it"),
    Function("distinct", ("tensor",), "no two elements of an integer tensor are equal"),
    Function("ceil_div", ("value", "value"), "integer division rounded up"),
)}

_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in"}
_BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%"}
_PHRASE = {"==": "must be", "!=": "must not be", "<": "must be less than", "<=": "must be at most",
           ">": "must be greater than", ">=": "must be at least", "in": "must be one of",
           "not in": "must not be one of"}


@dataclass(frozen=True)
class Expr:
    source: str
    tree: ast.expr

    # ---- analysis -------------------------------------------------------
    def names(self) -> tuple[str, ...]:
        """Names referenced (dims, attrs, tensors), in first-use order."""
        funcs = {id(n.func) for n in ast.walk(self.tree) if isinstance(n, ast.Call)}
        found = sorted((n.col_offset, n.id) for n in ast.walk(self.tree)
                       if isinstance(n, ast.Name) and id(n) not in funcs)
        return tuple(dict.fromkeys(name for _, name in found))

    def simple_comparison(self) -> tuple[str, str, object] | None:
        """(name, op, constant) when the expression is ``NAME op CONSTANT``."""
        t = self.tree
        if (isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.left, ast.Name)):
            op = _CMP[type(t.ops[0])]
            right = t.comparators[0]
            try:
                value = ast.literal_eval(right)
            except ValueError:
                return None
            return t.left.id, op, value
        return None

    def presence(self) -> tuple[str, bool] | None:
        """(tensor, must_be_present) when the expression is ``present(t)`` / ``not present(t)``."""
        t = self.tree
        negated = False
        if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not):
            negated, t = True, t.operand
        if isinstance(t, ast.Call) and isinstance(t.func, ast.Name) and t.func.id == "present":
            return t.args[0].id, not negated
        return None

    def phrase(self) -> str | None:
        """Human wording of a simple comparison: ('N1', 'must be 64')."""
        simple = self.simple_comparison()
        if simple is None:
            return None
        _name, op, value = simple
        shown = list(value) if isinstance(value, (list, tuple)) else value
        return f"{_PHRASE[op]} {shown}"

    # ---- evaluation -----------------------------------------------------
    def evaluate(self, env: Callable[[str], object], funcs: dict[str, Callable]) -> object:
        return _eval(self.tree, env, funcs)

    # ---- C++ emission ---------------------------------------------------
    def to_cpp(self, name: Callable[[str], str], func_prefix: str = "dsaops::check::") -> str:
        """C++ text of the expression; ``name`` maps each opdef name to a C++ expression."""
        return _cpp(self.tree, name, func_prefix)


def parse(source: str) -> Expr:
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"invalid expression {source!r}: {exc.msg}",
                        "use Python syntax: and/or/not, ==, <=, in [..], +, -, *, //, %") from None
    _validate(tree, source)
    return Expr(source.strip(), tree)


def _validate(node: ast.AST, source: str) -> None:
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _validate(v, source)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        _validate(node.operand, source)
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _CMP:
                raise ExprError(f"operator {type(op).__name__} is not allowed in {source!r}")
        for sub in [node.left, *node.comparators]:
            _validate(sub, source)
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)) and not isinstance(right, (ast.List, ast.Tuple)):
                raise ExprError(f"'in' needs a literal list on its right in {source!r}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BIN:
            raise ExprError(f"operator {type(node.op).__name__} is not allowed in {source!r}",
                            "allowed: + - * // %")
        _validate(node.left, source)
        _validate(node.right, source)
    elif isinstance(node, (ast.List, ast.Tuple)):
        for elt in node.elts:
            if not isinstance(elt, ast.Constant):
                raise ExprError(f"list elements must be literals in {source!r}")
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            fname = getattr(node.func, "id", "?")
            raise ExprError(f"unknown function {fname!r} in {source!r}",
                            "known functions: " + ", ".join(FUNCTIONS))
        fn = FUNCTIONS[node.func.id]
        if node.keywords or len(node.args) != len(fn.args):
            raise ExprError(f"{fn.name}() takes {len(fn.args)} positional argument(s) in {source!r}")
        for kind, arg in zip(fn.args, node.args):
            if kind == "tensor" and not isinstance(arg, ast.Name):
                raise ExprError(f"{fn.name}() needs a tensor name in {source!r}")
            _validate(arg, source)
    elif isinstance(node, ast.Name):
        pass
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float, str, bool)):
            raise ExprError(f"constant {node.value!r} is not allowed in {source!r}")
    else:
        raise ExprError(f"{type(node).__name__} is not allowed in {source!r}",
                        "see the expression grammar in dsaops/opdef/expr.py")


def tensor_args(e: Expr) -> tuple[str, ...]:
    """Names used as tensor arguments of functions (present(x), last(x), ...)."""
    out = []
    for node in ast.walk(e.tree):
        if isinstance(node, ast.Call):
            fn = FUNCTIONS[node.func.id]
            for kind, arg in zip(fn.args, node.args):
                if kind == "tensor":
                    out.append(arg.id)
    return tuple(out)


def value_tensor_args(e: Expr) -> tuple[str, ...]:
    """Tensors whose values (not just presence) the expression reads."""
    return tuple(node.args[0].id for node in ast.walk(e.tree)
                 if isinstance(node, ast.Call) and node.func.id != "present"
                 and FUNCTIONS[node.func.id].args[0] == "tensor")


def _eval(node, env, funcs):
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(v, env, funcs) for v in node.values)
        return any(_eval(v, env, funcs) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, env, funcs)
        return (not value) if isinstance(node.op, ast.Not) else -value
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env, funcs)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, env, funcs)
            sym = _CMP[type(op)]
            ok = {
                "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
                "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
                ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
                "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
            }[sym](left, right)
            if not ok:
                return False
            left = right
        return True
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, env, funcs), _eval(node.right, env, funcs)
        sym = _BIN[type(node.op)]
        return {"+": a + b, "-": a - b, "*": a * b}.get(sym) if sym in "+-*" else (
            a // b if sym == "//" else a % b)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("True", "False"):
            return node.id == "True"
        return env(node.id)
    if isinstance(node, ast.Call):
        fn = FUNCTIONS[node.func.id]
        args = [arg.id if kind == "tensor" else _eval(arg, env, funcs)
                for kind, arg in zip(fn.args, node.args)]
        return funcs[fn.name](*args)
    raise AssertionError(f"unvalidated node {node!r}")


_CPP_CMP = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _cpp(node, name, prefix) -> str:
    if isinstance(node, ast.BoolOp):
        joiner = " && " if isinstance(node.op, ast.And) else " || "
        return "(" + joiner.join(_cpp(v, name, prefix) for v in node.values) + ")"
    if isinstance(node, ast.UnaryOp):
        inner = _cpp(node.operand, name, prefix)
        return f"(!{inner})" if isinstance(node.op, ast.Not) else f"(-{inner})"
    if isinstance(node, ast.Compare):
        parts = []
        left = node.left
        for op, right in zip(node.ops, node.comparators):
            sym = _CMP[type(op)]
            lhs = _cpp(left, name, prefix)
            if sym in ("in", "not in"):
                alts = " || ".join(f"{lhs} == {_cpp_const(e.value)}" for e in right.elts)
                alts = f"({alts})" if alts else "false"
                parts.append(alts if sym == "in" else f"(!{alts})")
            else:
                parts.append(f"{lhs} {_CPP_CMP[sym]} {_cpp(right, name, prefix)}")
            left = right
        return parts[0] if len(parts) == 1 else "(" + " && ".join(parts) + ")"
    if isinstance(node, ast.BinOp):
        sym = _BIN[type(node.op)]
        cpp_sym = "/" if sym == "//" else sym  # operands are non-negative sizes
        return f"({_cpp(node.left, name, prefix)} {cpp_sym} {_cpp(node.right, name, prefix)})"
    if isinstance(node, ast.Constant):
        return _cpp_const(node.value)
    if isinstance(node, ast.Name):
        if node.id in ("True", "False"):
            return node.id.lower()
        return name(node.id)
    if isinstance(node, ast.Call):
        fn = FUNCTIONS[node.func.id]
        args = ", ".join(name(a.id) if kind == "tensor" else _cpp(a, name, prefix)
                         for kind, a in zip(fn.args, node.args))
        return f"{prefix}{fn.name}({args})"
    raise AssertionError(f"unvalidated node {node!r}")


def _cpp_const(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'std::string("{escaped}")'
    if isinstance(value, float):
        return repr(value)
    return f"{value}LL" if abs(value) > 2**31 - 1 else str(value)
