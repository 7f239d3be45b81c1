"""dsaops verify --golden end to end on the fixture op: a package built and installed in a temp dir passes
its smoke catalog; a deliberately wrong kernel is caught with its figures; a missing op, a tampered file
and an unavailable backend exit with their own codes; the JSON report validates against its schema; -j 1
and -j 2 give the same results; what runs is the installed library, not the source tree."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from dsaops.errors import EXIT_CODES
from dsaops.verify import SCHEMA

from .conftest import dsaops, load_report

SMOKE = ["fp32_bias_13x48", "fp16_plain_5x32", "fp32_bias_one_row"]
SOCS = ["ascend910b", "ascend910_93"]


def validate(report: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)


def stable(report: dict) -> dict:
    """The report without what legitimately differs between two runs (times, start, -j)."""
    out = json.loads(json.dumps(report))
    for key in ("seconds", "started_at"):
        out.pop(key)
    out["selection"].pop("jobs")
    for c in out["cases"]:
        c.pop("times")
    return out


def test_smoke_passes_on_the_installed_package(setup, installed, tmp_path):
    rj, junit = tmp_path / "r.json", tmp_path / "j.xml"
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--report-json", rj, "--junit", junit)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [ln.split() for ln in r.stdout.splitlines() if ln.startswith("fixture_axpy ")]
    assert sorted((row[1], row[2], row[3]) for row in rows) == sorted((c, s, "pass") for c in SMOKE for s in SOCS)
    assert "6 case(s): 6 passed, 0 failed, 0 could not run" in r.stdout
    assert "ETA" in r.stderr and "running fixture_axpy/fp32_bias_13x48 on ascend910b" in r.stderr
    rep = load_report(rj)
    validate(rep)
    root = installed / "vendors" / "dsaops"
    manifest = json.loads((root / "dsaops" / "manifest.json").read_text())
    assert rep["package"]["source"] == "install-path" and rep["package"]["root"] == str(root)
    assert rep["package"]["files_checked"] == len(manifest["files"]) + len(manifest["links"])
    assert rep["exit_code"] == 0 and rep["summary"]["passed"] == 6
    case = next(c for c in rep["cases"] if c["case"] == "fp32_bias_13x48" and c["soc"] == "ascend910_93")
    # the catalog's seed, the rule's figures, the twin's counters and the modelled device time
    import zlib
    assert case["seed"] == zlib.crc32(b"fixture_axpy/fp32_bias_13x48")
    [out] = case["outputs"]
    assert out["rule"] == "double_benchmark" and out["passed"] and out["figures"]["cosine"] > 0.99999
    assert case["run"]["block_dim"] == 7 and case["run"]["tiling"]["rows"] == 13
    assert case["run"]["counters"]["bytes.UB_GM"] == 13 * 48 * 4
    assert case["model"]["modelled_s"] > 0 and case["times"]["backend_s"] > 0 and case["times"]["golden_s"] > 0
    suites = ET.parse(junit).getroot()
    [suite] = suites.findall("testsuite")
    assert suite.get("name") == "fixture_axpy" and suite.get("tests") == "6" and suite.get("failures") == "0"


def test_wrong_kernel_is_caught_with_its_figures(setup, installed_wrong, tmp_path):
    rj, junit = tmp_path / "r.json", tmp_path / "j.xml"
    r = dsaops(setup, "verify", "--golden", "--install-path", installed_wrong, "--report-json", rj, "--junit", junit)
    assert r.returncode == 11, r.stdout + r.stderr
    rep = load_report(rj)
    validate(rep)
    status = {(c["case"], c["soc"]): c["status"] for c in rep["cases"]}
    # the wrong kernel drops the bias of each core's last row: every case with a bias fails, the other passes
    assert status == {(c, s): ("pass" if c == "fp16_plain_5x32" else "fail") for c in SMOKE for s in SOCS}
    bad = next(c for c in rep["cases"] if c["case"] == "fp32_bias_13x48")
    [out] = bad["outputs"]
    assert not out["passed"] and out["rule"] == "double_benchmark"
    assert out["figures"]["max_err"] > out["figures"]["max_limit"] and out["figures"]["max_ratio"] > 1e3
    assert "max error" in out["reason"] and out["first_mismatch"].startswith("at [1, ")  # row 1: core 0's last
    assert bad["key_figure"].startswith("out: rms x") and "FAIL" in r.stdout
    assert "4 failed" in r.stdout
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == "4"
    failure = suite.find("testcase[@name='fp32_bias_13x48[ascend910b]']/failure")
    assert failure is not None and "max_ratio" in failure.text


def test_verify_runs_the_installed_library_not_the_source_tree(setup, installed, installed_wrong):
    # right package + wrong source kernels: still passes; wrong package + right source: still fails
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--cases", "fp32_bias_one_row",
               kernels=setup.kernels_wrong)
    assert r.returncode == 0, r.stdout + r.stderr
    r = dsaops(setup, "verify", "--golden", "--install-path", installed_wrong, "--cases", "fp32_bias_one_row")
    assert r.returncode == 11, r.stdout + r.stderr


def test_j1_and_j2_give_identical_results(setup, installed_wrong, tmp_path):
    reports = []
    for j in ("1", "2"):
        rj = tmp_path / f"r{j}.json"
        r = dsaops(setup, "verify", "--golden", "--install-path", installed_wrong, "--cases", "smoke", "-j", j,
                   "--report-json", rj)
        assert r.returncode == 11, r.stdout + r.stderr
        reports.append(load_report(rj))
    assert reports[1]["selection"]["jobs"] == 2
    assert stable(reports[0]) == stable(reports[1])
    assert [(c["case"], c["soc"]) for c in reports[0]["cases"]] == [(c, s) for c in SMOKE for s in SOCS]


def test_missing_op_and_op_without_kernel(setup, installed, tmp_path):
    rj = tmp_path / "r.json"
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--report-json", rj,
               opdefs=setup.opdefs_more)
    assert r.returncode == 14, r.stdout + r.stderr
    rep = load_report(rj)
    validate(rep)
    ops = {o["name"]: o["status"] for o in rep["ops"]}
    assert ops == {"fixture_axpy": "verified", "fixture_axpy_b": "missing", "fixture_nokernel": "no_kernel"}
    assert rep["summary"]["passed"] == 6
    lines = r.stdout.splitlines()
    assert any(ln.split()[:2] == ["fixture_nokernel", "-"] and "NO KERNEL" in ln for ln in lines)
    assert any(ln.split()[:2] == ["fixture_axpy_b", "-"] and "MISSING" in ln for ln in lines)
    # an op without a kernel alone is reported, and does not fail the run
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--ops", "fixture_axpy,fixture_nokernel",
               opdefs=setup.opdefs_more)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no kernel yet" in r.stdout
    # a SoC the package was not built for is missing too
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--soc", "ascend910b")
    assert r.returncode == 0 and "ascend910_93" not in r.stdout.split("case run(s)")[1]


def test_package_op_unknown_to_the_opdefs_cannot_run(setup, installed, tmp_path):
    from dsaops import resources

    (tmp_path / "no_kernels").mkdir()
    rj = tmp_path / "r.json"
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--report-json", rj,
               opdefs=resources.opdefs_dir(), kernels=tmp_path / "no_kernels")
    assert r.returncode == 12, r.stdout + r.stderr
    rep = load_report(rj)
    validate(rep)
    ops = {o["name"]: o["status"] for o in rep["ops"]}
    assert ops.pop("fixture_axpy") == "not_in_opdefs" and rep["cases"] == []
    assert ops and set(ops.values()) == {"no_kernel"}  # every bundled op is listed, none skipped silently


def _copy_install(installed: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "opp"
    shutil.copytree(installed, dest, symlinks=True)
    return dest


@pytest.mark.parametrize("rel", ["dsaops/twin/lib/libfixture_axpy_twin.so", "version.info"])
def test_tampered_installed_file_stops_before_running(setup, installed, tmp_path, rel):
    opp = _copy_install(installed, tmp_path)
    f = opp / "vendors" / "dsaops" / rel
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0x01
    f.write_bytes(bytes(data))
    r = dsaops(setup, "verify", "--golden", "--install-path", opp, "--report-json", tmp_path / "r.json")
    assert r.returncode == 13, r.stdout + r.stderr
    assert f"{rel} (sha256" in r.stderr and "reinstall" in r.stderr
    assert "case run(s)" not in r.stdout and not (tmp_path / "r.json").exists()
    f.unlink()
    r = dsaops(setup, "verify", "--golden", "--install-path", opp)
    assert r.returncode == 13 and f"{rel} (missing)" in r.stderr


def test_unavailable_backend_has_its_own_exit_code(setup, installed):
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--backend", "npu")
    assert r.returncode == 15, r.stdout + r.stderr
    assert "--backend npu is not available" in r.stderr and "--backend twin" in r.stderr


def test_build_dir_verifies_the_built_run(setup, tmp_path):
    r = dsaops(setup, "verify", "--golden", "--build-dir", setup.out, "--cases", "fp16_plain_5x32",
               "--report-json", tmp_path / "r.json")
    assert r.returncode == 0, r.stdout + r.stderr
    rep = load_report(tmp_path / "r.json")
    [run] = setup.out.glob("*.run")
    assert rep["package"]["source"] == "build-dir" and rep["package"]["run_file"] == str(run)
    # a changed byte in the .run: refused as tampered
    out = tmp_path / "out"
    shutil.copytree(setup.out, out, ignore=shutil.ignore_patterns("twin", "op_project", "logs"))
    bad = out / run.name
    data = bytearray(bad.read_bytes())
    data[-100] ^= 0xFF
    bad.write_bytes(bytes(data))
    r = dsaops(setup, "verify", "--golden", "--build-dir", out)
    assert r.returncode == 13, r.stdout + r.stderr


def test_without_a_path_it_verifies_what_dsaops_install_installed_last(setup, installed, tmp_path):
    # the session's installs ran `dsaops install`, which records the vendor folder it wrote
    last = (setup.state / "last_install").read_text().strip()
    rj = tmp_path / "r.json"
    r = dsaops(setup, "verify", "--golden", "--cases", "fp16_plain_5x32", "--report-json", rj, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = load_report(rj)
    assert rep["package"]["source"] == "last-install" and rep["package"]["root"] == last
    assert last.endswith("/vendors/dsaops") and Path(last, "dsaops", "manifest.json").is_file()


def test_case_selection_by_id_and_unknown_id(setup, installed, tmp_path):
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--cases", "fixture_axpy/fp16_bias_40x256",
               "--soc", "ascend910_93", "--seed", "7", "--report-json", tmp_path / "r.json")
    assert r.returncode == 0, r.stdout + r.stderr
    [case] = load_report(tmp_path / "r.json")["cases"]
    assert (case["case"], case["tier"], case["soc"]) == ("fp16_bias_40x256", "full", "ascend910_93")
    import zlib
    assert case["seed"] == zlib.crc32(b"fixture_axpy/fp16_bias_40x256#seed=7")
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--cases", "no_such_case")
    assert r.returncode == 2 and "no_such_case" in r.stderr
    r = dsaops(setup, "verify", "--install-path", installed)
    assert r.returncode == 2 and "--golden" in r.stderr


def test_a_case_that_cannot_run_has_its_own_exit_code(setup, installed, tmp_path):
    rj = tmp_path / "r.json"
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--cases", "n20_cannot_run,fp16_plain_5x32",
               "--soc", "ascend910b", "--report-json", rj)
    assert r.returncode == 12, r.stdout + r.stderr
    rep = load_report(rj)
    validate(rep)
    bad, good = sorted(rep["cases"], key=lambda c: c["case"] != "n20_cannot_run")
    assert bad["status"] == "error" and bad["outputs"] == [] and bad["run"] is None
    assert bad["error"].startswith("ConstraintError: fixture_axpy: N must be a multiple of 16")
    assert good["status"] == "pass" and "ERROR" in r.stdout


def test_exit_codes_are_documented():
    from click.testing import CliRunner

    from dsaops.cli import main

    from dsaops import errors

    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, errors.DsaopsError) and c is not errors.DsaopsError]
    codes = {c.__name__: c.exit_code for c in classes}
    ours = ("VerifyFailed", "VerifyIncomplete", "PackageTampered", "MissingOp", "BackendUnavailable")
    assert [codes[n] for n in ours] == [11, 12, 13, 14, 15]
    others = [code for name, code in codes.items() if name not in ours]
    assert not set(others) & {11, 12, 13, 14, 15} and all(codes[n] in EXIT_CODES for n in ours)
    res = CliRunner().invoke(main, ["verify", "--help"])
    assert res.exit_code == 0
    for code in ("11", "12", "13", "14", "15"):
        assert f"  {code}  " in res.output
    res = CliRunner().invoke(main, ["--help"])
    assert "13  verify: the package is tampered" in res.output


def test_schema_rejects_a_wrong_report(setup, installed, tmp_path):
    r = dsaops(setup, "verify", "--golden", "--install-path", installed, "--cases", "fp16_plain_5x32",
               "--report-json", tmp_path / "r.json")
    assert r.returncode == 0
    rep = load_report(tmp_path / "r.json")
    validate(rep)
    for path, value in ((("cases", 0, "status"), "passed"), (("schema_version",), 2),
                        (("cases", 0, "outputs", 0, "figures", "cosine"), "high")):
        broken = json.loads(json.dumps(rep))
        node = broken
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)
