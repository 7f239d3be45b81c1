"""The dsaops command line: outputs and exit codes, run as a user would (a subprocess, another cwd)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dsaops.errors import EXIT_CODES
from dsaops.golden import OPS


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dsaops.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_version(tmp_path):
    r = run("--version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("dsaops, version ")


@pytest.mark.parametrize("command", ["", "list", "check", "gen", "schema", "build", "install", "uninstall", "doctor",
                                     "verify"])
def test_help_on_every_command(tmp_path, command):
    r = run(*([command] if command else []), "--help", cwd=tmp_path)
    assert r.returncode == 0 and "Usage:" in r.stdout


def test_list_prints_every_bundled_op(tmp_path):
    r = run("list", cwd=tmp_path)
    assert r.returncode == 0
    listed = [line.split()[0] for line in r.stdout.splitlines()[1:-1]]
    assert sorted(listed) == sorted(OPS)
    assert "torch.ops.custom.npu_lightning_indexer" in r.stdout
    r = run("list", "--ops", "sparse_flash*", cwd=tmp_path)
    assert [line.split()[0] for line in r.stdout.splitlines()[1:-1]] == [
        "sparse_flash_attention", "sparse_flash_attention_antiquant", "sparse_flash_attention_quant"]


def test_check_passes_on_bundled_opdefs(tmp_path):
    r = run("check", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"{len(OPS)} op definition(s) valid" in r.stdout


def test_check_reports_every_error_with_location(tmp_path, tiny_text):
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(tiny_text.replace("doc: scale factor", "doc: scale factor\n    dflt: 2"))
    (folder / "other.yaml").write_text(tiny_text.replace("name: tiny", "name: other").replace("check: N <= 4096", "check: N <="))
    r = run("--opdefs", str(folder), "check", cwd=tmp_path)
    assert r.returncode == 3
    assert "Traceback" not in r.stderr
    assert "2 errors in op definitions" in r.stderr
    assert "defs/tiny.yaml:" in r.stderr and "unknown key 'dflt'" in r.stderr and "did you mean 'default'?" in r.stderr
    assert "defs/other.yaml:" in r.stderr and "invalid expression 'N <='" in r.stderr


def test_gen_twice_identical_and_check(tmp_path):
    r = run("gen", "--out", "proj", "-q", cwd=tmp_path)
    assert r.returncode == 0 and " create" in r.stdout
    r = run("gen", "--out", "proj", cwd=tmp_path)
    assert r.returncode == 0
    kinds = {line.split()[0] for line in r.stdout.splitlines()[:-1]}
    assert kinds == {"identical"}
    assert run("gen", "--out", "proj", "--check", "-q", cwd=tmp_path).returncode == 0
    (tmp_path / "proj" / "CMakeLists.txt").write_text("# changed\n")
    r = run("gen", "--out", "proj", "--check", cwd=tmp_path)
    assert r.returncode == 8
    assert "would-update  CMakeLists.txt" in r.stdout
    assert "out of date" in r.stderr


def test_usage_errors_exit_2(tmp_path):
    r = run("gen", "--ops", "no_such_op", cwd=tmp_path)
    assert r.returncode == 2 and "matches no op" in r.stderr
    r = run("--opdefs", str(tmp_path / "missing"), "list", cwd=tmp_path)
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = run("list", "--bogus", cwd=tmp_path)
    assert r.returncode == 2


def test_reserved_commands_say_so(tmp_path):
    r = run("verify", cwd=tmp_path)
    assert r.returncode == 7 and "not available yet" in r.stderr
    # build and install exist: without a kernel or a package they say what is missing
    (tmp_path / "no_kernels").mkdir()
    r = run("--kernels", "no_kernels", "build", cwd=tmp_path)
    assert r.returncode == 2 and "nothing to build: lightning_indexer: no kernel yet" in r.stderr
    r = run("install", cwd=tmp_path)
    assert r.returncode == 2 and "no .run package in build/dsaops" in r.stderr


def test_exit_codes_are_distinct_per_error_class():
    from dsaops import errors

    classes = [errors.UsageError, errors.OpdefError, errors.ConstraintError, errors.TemplateError,
               errors.GenerationError, errors.NotAvailable, errors.OutOfDate, errors.BuildError,
               errors.PackageError]
    codes = [c.exit_code for c in classes]
    assert len(set(codes)) == len(codes)
    assert all(code in EXIT_CODES for code in codes)


def test_golden_runs_and_exports_a_catalog(tmp_path):
    r = run("golden", "--ops", "lightning_indexer", "--cases", "smoke", "--out", "exp", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].endswith("smoke case(s) of 1 op(s)")
    assert "lightning_indexer/bsnd_causal_b2" in r.stdout
    assert r.stdout.splitlines()[-1].endswith("total")
    assert (tmp_path / "exp" / "lightning_indexer" / "bsnd_causal_b2" / "manifest.json").is_file()
    r = run("golden", "--ops", "no_such_op", cwd=tmp_path)
    assert r.returncode == 2
