"""Ordinary mistakes end in a clear error with the documented exit code, and nothing is lost (issue #13)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap

import pytest

from dsaops import resources
from dsaops.codegen.writer import MANIFEST
from dsaops.errors import EXIT_CODES


def run(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "dsaops.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})})


def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A generated project of two ops, copied fresh for each test."""
    base = tmp_path_factory.mktemp("base")
    r = run("gen", "--ops", "lightning_indexer,quant_lightning_indexer", "--out", "proj", "-q", cwd=base)
    assert r.returncode == 0, r.stderr
    return base / "proj"


@pytest.fixture
def proj(project, tmp_path):
    shutil.copytree(project, tmp_path / "proj")
    return tmp_path / "proj"


# ---- gen deletes only what it generated, for the ops generated ------------------------------

@pytest.mark.parametrize("how", ["option", "variable"])
def test_misspelt_templates_folder_is_an_error_and_deletes_nothing(proj, tmp_path, how):
    before = tree(proj)
    (tmp_path / "templatez").mkdir()
    args = ["--templates", "templatez"] if how == "option" else []
    env = {"DSAOPS_TEMPLATES": "templatez"} if how == "variable" else {}
    for command in (["check"], ["gen", "--out", "proj"]):
        r = run(*args, *command, cwd=tmp_path, env=env)
        assert r.returncode == 2, r.stderr
        assert "templates folder 'templatez' yields no files" in r.stderr
    r = run("--templates", "no_such_folder", "gen", "--out", "proj", cwd=tmp_path)
    assert r.returncode == 2 and "templates folder 'no_such_folder' does not exist" in r.stderr
    assert tree(proj) == before


def test_gen_of_one_op_keeps_the_other_ops_files(proj, tmp_path):
    before = tree(proj)
    r = run("gen", "--ops", "lightning_indexer", "--out", "proj", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "delete" not in r.stdout
    after = tree(proj)
    qli = [p for p in before if "quant_lightning_indexer" in p]
    assert qli and all(after[p] == before[p] for p in qli)
    assert any("quant_lightning_indexer" in line for line in (proj / MANIFEST).read_text().splitlines())


def test_full_gen_removes_files_of_ops_no_longer_defined(proj, tmp_path):
    opdefs = tmp_path / "defs"
    opdefs.mkdir()
    shutil.copy(resources.opdefs_dir() / "lightning_indexer.yaml", opdefs)
    r = run("--opdefs", "defs", "gen", "--out", "proj", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    deleted = [line.split()[1] for line in r.stdout.splitlines() if line.split()[0] == "delete"]
    assert deleted and all("quant_lightning_indexer" in p for p in deleted)
    assert not any("quant_lightning_indexer" in p for p in tree(proj))


def test_manifest_entries_outside_the_folder_are_never_deleted(proj, tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (proj / "sub").mkdir()
    os.symlink(victim, proj / "sub" / "link.txt")
    with open(proj / MANIFEST, "a") as fh:
        fh.write(f"-\t../precious.txt\n-\t{victim}\n-\tsub/../../precious.txt\n-\tsub/link.txt\n")
    r = run("gen", "--ops", "lightning_indexer,quant_lightning_indexer", "--out", "proj", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "keep me" and (proj / "sub" / "link.txt").is_symlink()
    assert "precious" not in (proj / MANIFEST).read_text()


def test_files_not_generated_by_dsaops_are_never_overwritten(tmp_path):
    mine = tmp_path / "proj" / "CMakeLists.txt"
    mine.parent.mkdir()
    mine.write_text("# my own project\n")
    r = run("gen", "--out", "proj", cwd=tmp_path)
    assert r.returncode == 2
    assert "holds 1 file(s) dsaops did not generate that this run would overwrite: CMakeLists.txt" in r.stderr
    assert mine.read_text() == "# my own project\n" and sorted(p.name for p in mine.parent.iterdir()) == ["CMakeLists.txt"]


def test_vendor_must_be_a_plain_name(tmp_path):
    r = run("gen", "--vendor", 'my"v', "--out", "proj", cwd=tmp_path)
    assert r.returncode == 2
    assert "--vendor must be a letter followed by letters, digits or '_'" in r.stderr and "'my\"v'" in r.stderr
    assert not (tmp_path / "proj").exists()


def test_gen_check_hint_repeats_the_flags_used(tmp_path):
    shutil.copytree(resources.opdefs_dir(), tmp_path / "my defs")
    args = ["--opdefs", "my defs", "gen", "--ops", "lightning_indexer", "--out", "p", "--vendor", "acme"]
    assert run(*args, "-q", cwd=tmp_path).returncode == 0
    (tmp_path / "p" / "CMakeLists.txt").write_text("# changed\n")
    r = run(*args, "--check", cwd=tmp_path)
    assert r.returncode == 8
    hint = r.stderr.split("run: ", 1)[1].strip()
    assert hint == "dsaops --opdefs 'my defs' gen --ops lightning_indexer --out p --vendor acme"
    # the hint, run as printed, brings the folder up to date
    assert run(*shlex.split(hint)[1:], cwd=tmp_path).returncode == 0
    assert run(*args, "--check", cwd=tmp_path).returncode == 0


# ---- filesystem errors are usage errors naming the path, found before any work --------------

def test_output_under_a_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    for args in (["gen", "--out", "afile/proj"], ["golden", "--ops", "lightning_indexer", "--out", "afile/exp"],
                 ["schema", "--out", "afile/s.json"]):
        r = run(*args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr and "afile" in r.stderr
    r = run("golden", "--ops", "lightning_indexer", "--out", "afile/exp", cwd=tmp_path)
    assert "[1/" not in r.stdout, "the output location is checked before the first case runs"
    r = run("gen", "--out", "afile", cwd=tmp_path)
    assert r.returncode == 2 and "'--out': Directory 'afile' is a file" in r.stderr  # click's own check


def test_schema_into_a_missing_folder_or_a_folder(tmp_path):
    r = run("schema", "--out", "missing/s.json", cwd=tmp_path)
    assert r.returncode == 2 and "the folder missing does not exist" in r.stderr
    r = run("schema", "--out", ".", cwd=tmp_path)
    assert r.returncode == 2 and "'--out': File '.' is a directory" in r.stderr  # click's own check


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_output_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    r = run("gen", "--out", "locked/proj", cwd=tmp_path)
    assert r.returncode == 2 and "no permission to write into locked" in r.stderr


def test_os_errors_while_writing_are_usage_errors(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from dsaops.cli import main
    from dsaops.codegen import writer

    def refuse(target, data, executable):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(writer, "_atomic_write", refuse)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["gen", "--out", "proj"], catch_exceptions=False)
    assert r.exit_code == 2
    assert re.search(r"cannot write proj/\S+: Permission denied", r.output)


def test_schema_check_needs_out(tmp_path):
    r = run("schema", "--check", cwd=tmp_path)
    assert r.returncode == 2 and "schema --check needs --out FILE" in r.stderr


# ---- interrupts -------------------------------------------------------------------------

SELF_SIGNAL = """
import os, signal, sys
from dsaops import golden_export
from dsaops.cli import main
signal.signal(signal.SIGINT, signal.default_int_handler)  # a shell's background job starts with SIGINT ignored
real = golden_export._write_tensors
def write_then_signal(op, result, folder):
    entries = real(op, result, folder)
    os.kill(os.getpid(), signal.{sig})
    return entries
golden_export._write_tensors = write_then_signal
main(["golden", "--ops", "lightning_indexer", "--out", "exp"], prog_name="dsaops")
"""


@pytest.mark.parametrize("sig, code, word", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")])
def test_interrupted_export_exits_with_its_code_and_cleans_up(tmp_path, sig, code, word):
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(SELF_SIGNAL.format(sig=sig))], capture_output=True,
                       text=True, cwd=tmp_path)
    assert r.returncode == code, r.stderr
    assert word in r.stderr and "Traceback" not in r.stderr
    exported = list((tmp_path / "exp").rglob("*"))
    assert exported and not [p for p in exported if p.name.startswith(".")], "no temporary folder is left"
    assert not list((tmp_path / "exp" / "lightning_indexer").glob("*/manifest.json")), "no case was completed"


# ---- small things -----------------------------------------------------------------------

def test_help_documents_exit_codes_and_variables_without_cutting_summaries(tmp_path):
    r = run("--help", cwd=tmp_path)
    assert r.returncode == 0
    assert "130  interrupted (Ctrl-C)" in r.stdout
    for code in EXIT_CODES:
        assert re.search(rf"^\s+{code}\s+\S", r.stdout, re.M), code
    for var in ("DSAOPS_OPDEFS", "DSAOPS_KERNELS", "DSAOPS_TEMPLATES"):
        assert r.stdout.count(var) >= 2, var  # in the option's help and in the Environment section
    commands = r.stdout.split("Commands:", 1)[1]
    assert "..." not in commands
    assert "report all errors at once" in " ".join(commands.split())


def test_list_shows_socs_and_case_counts(tmp_path):
    r = run("list", "--ops", "lightning_indexer", cwd=tmp_path)
    assert r.returncode == 0
    header, row = r.stdout.splitlines()[:2]
    assert "socs" in header and "smoke/full cases" in header
    from dsaops.opdef import load_opdefs

    op = load_opdefs()["lightning_indexer"]
    assert ",".join(op.socs) in row
    assert f"{len(op.cases['smoke'])}/{len(op.cases['full'])}" in row.split()


def test_golden_prints_progress_and_eta(tmp_path):
    r = run("golden", "--ops", "lightning_indexer", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    n = int(lines[0].split()[0])
    assert "eta" in lines[1]
    steps = [line.split()[0] for line in lines[2:-1]]
    assert steps == [f"[{i}/{n}]" for i in range(1, n + 1)]
    assert lines[-2].split()[3] == "0s", "nothing is left after the last case"
