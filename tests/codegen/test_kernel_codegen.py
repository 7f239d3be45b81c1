"""What `dsaops gen` writes for an op with a hand-written kernel: the device entry, the dtype
variants, the tiling problem with its generated check, the CANN tiling adapter and the twin glue
(KERNEL_CONTRACT section 1), compile-checked against the CANN stand-in and the CPU twin.

A kernels folder with a declaration-only stub per indexer stands in for ascendc/, so these tests
do not depend on the hand-written kernels.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from dsaops import resources
from dsaops.codegen.project import render_project, write_project
from dsaops.opdef import load_opdefs

DECLS = Path(__file__).parent / "cann_decls"
TWIN = resources.kernels_dir() / "twin" / "include"
KERNEL_OPS = ("lightning_indexer", "quant_lightning_indexer")


def _stub_kernel(op) -> str:
    """A kernel header with the contract's Run template; it uses every variant alias."""
    params = ", ".join(f"GM_ADDR {t.name}" for t in op.inputs + op.outputs)
    uses = "\n".join(f"    (void)sizeof(typename V::{t.name}_t);" for t in op.inputs + op.outputs)
    names = "\n".join(f"    (void){t.name};" for t in op.inputs + op.outputs)
    return (f"#pragma once\ntemplate <class V>\n__aicore__ inline void {op.op_type}Run({params}, GM_ADDR userWorkspace,"
            f" const {op.tiling.struct}& tiling)\n{{\n{uses}\n{names}\n    (void)userWorkspace;\n"
            f"    (void)tiling.{op.tiling.fields[0].name};\n}}\n")


@pytest.fixture(scope="module")
def ops():
    return load_opdefs()


@pytest.fixture(scope="module")
def kernels(ops, tmp_path_factory):
    root = tmp_path_factory.mktemp("kernels")
    for name in KERNEL_OPS:
        (root / name).mkdir()
        (root / name / f"{name}_kernel.h").write_text(_stub_kernel(ops[name]))
    return root


@pytest.fixture(scope="module")
def project(ops, kernels, tmp_path_factory):
    out = tmp_path_factory.mktemp("project")
    write_project(render_project(list(ops.values()), resources.templates_dir(), kernels=kernels), out)
    return out


def read(project: Path, rel: str) -> str:
    return (project / rel).read_text()


def gxx(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["g++", "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", *args],
                          capture_output=True, text=True)


def test_kernel_files_only_for_ops_with_a_kernel(project, ops):
    for name in ops:
        kernel_files = [f"op_kernel/{name}.cpp", f"op_kernel/{name}_variants.h", f"op_host/{name}_tiling.cpp",
                        f"op_host/{name}_tiling_problem.h", f"twin/{name}_twin.cpp"]
        exist = [(project / f).is_file() for f in kernel_files]
        assert exist == [name in KERNEL_OPS] * len(kernel_files), name
    assert (project / "op_host" / "dsaops_platform.h").is_file()


def test_bundled_gen_without_kernels_is_unchanged(ops, tmp_path):
    empty = tmp_path / "no_kernels"
    empty.mkdir()
    files = render_project(list(ops.values()), resources.templates_dir(), kernels=empty)
    assert not [f.path for f in files if f.path.endswith(("_tiling.cpp", "_variants.h", "_twin.cpp"))]


def test_variants_follow_the_dtype_rows(project):
    text = read(project, "op_kernel/lightning_indexer_variants.h")
    structs = re.findall(r"struct (\w+) \{\s*static constexpr uint64_t TILING_KEY = (\d+);((?:\s*using \w+ = \w+;)*)",
                         text)
    assert [(s, int(k)) for s, k, _ in structs] == [("LightningIndexerVariant_bf16", 0),
                                                     ("LightningIndexerVariant_fp16", 1)]
    aliases = re.findall(r"using (\w+) = (\w+);", structs[0][2])
    assert aliases == [("query_t", "bfloat16_t"), ("key_t", "bfloat16_t"), ("weights_t", "bfloat16_t"),
                       ("actual_seq_lengths_query_t", "int32_t"), ("actual_seq_lengths_key_t", "int32_t"),
                       ("block_table_t", "int32_t"), ("sparse_indices_t", "int32_t")]
    quant = read(project, "op_kernel/quant_lightning_indexer_variants.h")
    assert "using query_t = int8_t;" in quant and "using key_dequant_scale_t = half;" in quant


def test_entry_dispatches_by_tiling_key(project):
    text = read(project, "op_kernel/lightning_indexer.cpp")
    assert re.search(r'extern "C" __global__ __aicore__ void lightning_indexer\(GM_ADDR query, GM_ADDR key, '
                     r"GM_ADDR weights, GM_ADDR actual_seq_lengths_query, GM_ADDR actual_seq_lengths_key, "
                     r"GM_ADDR block_table, GM_ADDR sparse_indices, GM_ADDR workspace, GM_ADDR tiling\)", text)
    assert "KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_MIX_AIC_1_2);" in text
    assert "GET_TILING_DATA_WITH_STRUCT(LightningIndexerTilingData, tilingData, tiling);" in text
    assert "GM_ADDR userWorkspace = AscendC::GetUserWorkspace(workspace);" in text
    calls = re.findall(r"TILING_KEY_IS\((\d)\)\) \{\s*LightningIndexerRun<(\w+)>\(", text)
    assert calls == [("0", "LightningIndexerVariant_bf16"), ("1", "LightningIndexerVariant_fp16")]
    for include in ("kernel_operator.h", "lightning_indexer_tiling_data.h", "lightning_indexer_variants.h",
                    "lightning_indexer_kernel.h"):
        assert f'#include "{include}"' in text


def test_tiling_problem_members(project, ops):
    text = read(project, "op_host/lightning_indexer_tiling_problem.h")
    body = text[text.index("struct LightningIndexerTilingProblem {"):text.index("};")]
    members = re.findall(r"^    ([\w* ]+?) (\w+);", body, re.M)
    op = ops["lightning_indexer"]
    assert members == ([("uint32_t", "variant")] + [("int64_t", d) for d in op.dims]
                       + [("const char*", "layout_query"), ("const char*", "layout_key"), ("int64_t", "sparse_count"),
                          ("int64_t", "sparse_mode")]
                       + [("bool", f"has_{t}") for t in ("actual_seq_lengths_query", "actual_seq_lengths_key",
                                                         "block_table")])
    # constraints that read tensor values are listed as Python-only, the others are generated
    python_only = text[text.index("Checked in Python only"):text.index("inline int LightningIndexerCheckProblem")]
    assert python_only.count("//   when") == 5 and "max_value(actual_seq_lengths_key) <= S2" in python_only
    assert "// N1 == 64" in text and "// when layout_key == 'PA_BSND': present(block_table)" in text
    assert ("int LightningIndexerComputeTiling(const LightningIndexerTilingProblem& p, const DsaopsPlatform& plat, "
            "LightningIndexerTilingData* tiling,") in text


def test_cann_tiling_adapter_registers_and_fills(project):
    text = read(project, "op_host/lightning_indexer_tiling.cpp")
    assert re.search(r"IMPL_OP_OPTILING\(LightningIndexer\)\s*\.Tiling\(TilingLightningIndexer\)\s*"
                     r"\.TilingParse<LightningIndexerCompileInfo>\(TilingParseLightningIndexer\);", text)
    for needle in ("context->GetTilingData<LightningIndexerTilingData>()", "context->SetBlockDim(r.blockDim);",
                   "context->SetTilingKey(r.tilingKey);", "context->GetWorkspaceSizes(1)",
                   "LightningIndexerCheckProblem(p, &r)", "LightningIndexerComputeTiling(p, plat, tiling, &r)",
                   "context->GetOptionalInputShape(INPUT_BLOCK_TABLE)", "GetRawTilingData()->SetDataSize(",
                   "p.layout_key = attrs->GetStr(ATTR_LAYOUT_KEY) != nullptr"):
        assert needle in text, needle


@pytest.mark.parametrize("name", KERNEL_OPS)
def test_generated_tiling_adapter_compiles_against_cann_decls(project, name):
    run = gxx("-I", str(DECLS), "-I", str(project / "op_host"), "-I", str(project / "op_kernel"),
              str(project / "op_host" / f"{name}_tiling.cpp"))
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("name", KERNEL_OPS)
def test_generated_entry_and_glue_compile_against_the_twin(project, kernels, name):
    entry = gxx("-Wno-unused-parameter", "-I", str(TWIN), "-I", str(project / "op_kernel"), "-I",
                str(kernels / name), str(project / "op_kernel" / f"{name}.cpp"))
    assert entry.returncode == 0, entry.stderr
    glue = gxx("-Wno-unused-parameter", "-I", str(TWIN), "-I", str(project / "op_kernel"), "-I",
               str(project / "op_host"), str(project / "twin" / f"{name}_twin.cpp"))
    assert glue.returncode == 0, glue.stderr


def test_entry_against_a_kernel_with_the_wrong_signature_fails(project, kernels, tmp_path):
    wrong = tmp_path / "lightning_indexer"
    wrong.mkdir()
    text = (kernels / "lightning_indexer" / "lightning_indexer_kernel.h").read_text()
    (wrong / "lightning_indexer_kernel.h").write_text(text.replace("GM_ADDR block_table, ", ""))
    run = gxx("-I", str(TWIN), "-I", str(project / "op_kernel"), "-I", str(wrong),
              str(project / "op_kernel" / "lightning_indexer.cpp"))
    assert run.returncode != 0 and "LightningIndexerRun" in run.stderr


def test_platform_header_is_plain_cpp17(project, tmp_path):
    src = tmp_path / "platform.cpp"
    src.write_text('#include "dsaops_platform.h"\n#include "lightning_indexer_tiling_problem.h"\n'
                   "int main() { return sizeof(DsaopsTilingResult) > 512 ? 0 : 1; }\n")
    run = gxx("-I", str(project / "op_host"), "-I", str(project / "op_kernel"), str(src))
    assert run.returncode == 0, run.stderr


def test_generated_sources_list_the_tiling_sources(project):
    cmake = read(project, "cmake/generated_sources.cmake")
    block = cmake[cmake.index("set(DSAOPS_TILING_SOURCES"):]
    block = block[:block.index(")")]
    assert re.findall(r"op_host/(\w+)_tiling\.cpp", block) == list(KERNEL_OPS)
    kernels = cmake[cmake.index("set(DSAOPS_KERNEL_OPS"):]
    assert re.findall(r"^  (\w+)$", kernels[:kernels.index(")")], re.M) == list(KERNEL_OPS)


def test_adapter_reads_inputs_after_an_optional_one_by_ir_index(tiny_text, opdef_dir, tmp_path):
    from dsaops.opdef import load_opdef_file

    text = tiny_text.replace("""  - name: lengths
    doc: valid length per batch
    optional: true
    shape: [B]
""", """  - name: lengths
    doc: valid length per batch
    optional: true
    shape: [B]
  - name: scale
    doc: per-batch scale
    shape: [B]
""").replace("columns: [x, lengths, y]", "columns: [x, lengths, scale, y]").replace(
        "fp16: [fp16, int32, fp16]", "fp16: [fp16, int32, fp16, fp16]").replace(
        "bf16: [bf16, int32, bf16]", "bf16: [bf16, int32, bf16, bf16]").replace(
        "signature: [x, '*', lengths,", "signature: [x, scale, '*', lengths,")
    (opdef_dir / "tiny.yaml").write_text(text)
    op = load_opdef_file(opdef_dir / "tiny.yaml")
    kernels = tmp_path / "k"
    (kernels / "tiny").mkdir(parents=True)
    (kernels / "tiny" / "tiny_kernel.h").write_text("#pragma once\n")
    files = {f.path: f.content for f in render_project([op], resources.templates_dir(), kernels=kernels)}
    adapter = files["op_host/tiny_tiling.cpp"]
    assert "context->GetInputDesc(INPUT_X)" in adapter and "context->GetInputShape(INPUT_X)" in adapter
    assert "context->GetOptionalInputDesc(INPUT_LENGTHS)" in adapter
    assert "context->GetOptionalInputDesc(INPUT_SCALE)" in adapter
    assert "context->GetOptionalInputShape(INPUT_SCALE)" in adapter
    out = tmp_path / "p"
    write_project(render_project([op], resources.templates_dir(), kernels=kernels), out)
    run = gxx("-I", str(DECLS), "-I", str(out / "op_host"), "-I", str(out / "op_kernel"),
              str(out / "op_host" / "tiny_tiling.cpp"))
    assert run.returncode == 0, run.stderr
    # the float attr alpha travels as a double; the checks of TINY's tensor-free constraints are generated
    problem = files["op_host/tiny_tiling_problem.h"]
    assert "    double alpha;" in problem and "// N <= 4096" in problem
    assert "//   max_value(lengths) <= N" in problem


def test_shape_binder_words_shape_errors_like_python(project, tmp_path):
    """dsaops::check::ShapeBinder (used by the CANN adapter) against dsaops.validate on the same shapes."""
    import ml_dtypes
    import numpy as np

    from dsaops.errors import ConstraintError
    from dsaops.validate import bind

    cases = {  # weights disagrees with query on S1; query has a dim too few
        "s1": ([1, 2, 64, 128], [1, 3, 64]),
        "rank": ([1, 2, 64], [1, 2, 64]),
    }
    src = tmp_path / "binder.cpp"
    body = []
    for name, (q, w) in cases.items():
        body.append(f"""    {{
        dsaops::check::ShapeBinder b("lightning_indexer");
        int64_t q[] = {{{", ".join(map(str, q))}}};
        int64_t w[] = {{{", ".join(map(str, w))}}};
        b.tensor("query", q, {len(q)}, {{"B", "S1", "N1", "D"}}, "[B, S1, N1, D]", " for layout_query='BSND'");
        b.tensor("weights", w, {len(w)}, {{"B", "S1", "N1"}}, "[B, S1, N1]", " for layout_query='BSND'");
        DsaopsTilingResult r{{}};
        std::printf("%d %s\\n--\\n", b.finish(&r), r.error);
    }}""")
    src.write_text('#include <cstdio>\n#include "dsaops_platform.h"\nint main()\n{\n' + "\n".join(body) + "\n}\n")
    exe = tmp_path / "binder"
    run = subprocess.run(["g++", "-std=c++17", "-Wall", "-Werror", "-I", str(project / "op_host"), str(src), "-o",
                          str(exe)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    outputs = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split("\n--\n")
    bf16 = np.dtype(ml_dtypes.bfloat16)
    for (name, (q, w)), out in zip(cases.items(), outputs):
        args = {"query": np.zeros(q, bf16), "key": np.zeros((1, 8, 1, 128), bf16), "weights": np.zeros(w, bf16)}
        with pytest.raises(ConstraintError) as err:
            bind("lightning_indexer", args)
        assert out == f"1 {err.value}", name
