"""dsaops install / uninstall / doctor as a user runs them (a subprocess in another folder)."""

from __future__ import annotations

import shutil

from dsaops.package.layout import host_arch

from .conftest import make_package, snapshot
from .test_build import dsaops


def test_install_newest_from_build_output_then_uninstall(tmp_path):
    out = tmp_path / "build" / "dsaops"
    make_package(out)
    opp = tmp_path / "opp"
    r = dsaops("install", "--install-path", str(opp), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"installed: dsaops_dsaops_1.0.0_linux-{host_arch()}.run -> {opp}/vendors/dsaops"
    assert lines[1] == f"before running: source {opp}/vendors/dsaops/bin/set_env.bash"
    assert lines[3].split() == ["demo", "Demo", "ascend910b", "twin"]
    assert lines[-1] == "7 file(s) and 1 link(s) verified against the manifest"
    r = dsaops("install", "--install-path", str(opp), cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("unchanged: ")
    r = dsaops("doctor", "--install-path", str(opp), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "cmake" in r.stdout and "ninja" in r.stdout and "CANN" in r.stdout
    assert f"installed: {opp}/vendors/dsaops: 1.0.0 twin [demo]" in r.stdout
    assert "build:     backend auto = twin" in r.stdout
    r = dsaops("uninstall", "--install-path", str(opp), cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"uninstalled {opp}/vendors/dsaops"
    assert snapshot(opp) == {"vendors": ("dir", None, snapshot(opp)["vendors"][2])}
    r = dsaops("uninstall", "--install-path", str(opp), cwd=tmp_path)
    assert r.returncode == 0 and "nothing to uninstall" in r.stdout


def test_install_errors_have_exit_codes_and_no_traceback(tmp_path):
    r = dsaops("install", "--install-path", str(tmp_path / "opp"), cwd=tmp_path)
    assert r.returncode == 2 and "no .run package in build/dsaops" in r.stderr
    pkg = make_package(tmp_path / "pkg")
    bad = tmp_path / "bad.run"
    shutil.copy(pkg, bad)
    bad.write_bytes(bad.read_bytes()[:-1])
    r = dsaops("install", str(bad), "--install-path", str(tmp_path / "opp"), cwd=tmp_path)
    assert r.returncode == 10 and "truncated" in r.stderr and "Traceback" not in r.stderr
    r = dsaops("install", str(pkg), "--install-path", "rel", cwd=tmp_path)
    assert r.returncode == 10 and "expected an absolute path, got 'rel'" in r.stderr
    assert not (tmp_path / "opp").exists() and not (tmp_path / "rel").exists()


def test_doctor_reports_a_cann_toolkit_and_what_build_would_do(tmp_path):
    from .conftest import STANDIN

    r = dsaops("doctor", cwd=tmp_path, env={"ASCEND_HOME_PATH": str(STANDIN), "ASCEND_OPP_PATH": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert f"ok  CANN           8.5.0 at {STANDIN} ($ASCEND_HOME_PATH)" in r.stdout
    assert "build:     backend auto = cann (CANN 8.5.0)" in r.stdout
    assert f"install:   into {tmp_path}/vendors/<vendor> (config.ini load_priority)" in r.stdout
    r = dsaops("doctor", cwd=tmp_path)
    assert "--  CANN           none" in r.stdout and "install:   needs a target" in r.stdout
