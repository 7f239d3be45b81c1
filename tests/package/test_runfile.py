"""The self-extracting .run: its options, payload checks before any write, and reproducible bytes."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile

import pytest

from dsaops.errors import PackageError
from dsaops.package.runfile import read_run

from .conftest import make_package, run_sh, snapshot


def test_help_lists_every_option(pkg_v1):
    r = run_sh(pkg_v1, "--help")
    assert r.returncode == 0, r.stderr
    for option in ("--install-path=ABS_DIR", "--quiet", "--uninstall", "--list", "--check", "--help"):
        assert option in r.stdout
    assert "dsaops 1.0.0" in r.stdout


def test_check_and_list(pkg_v1):
    r = run_sh(pkg_v1, "--check")
    assert r.returncode == 0, r.stderr
    facts = read_run(pkg_v1).facts
    assert f"payload OK, {facts['PAYLOAD_SIZE']} bytes, sha256 {facts['PAYLOAD_SHA256']}" in r.stdout
    r = run_sh(pkg_v1, "--list")
    assert r.returncode == 0, r.stderr
    listed = r.stdout.splitlines()
    assert listed[0].startswith("vendor dsaops, version 1.0.0") and "ops: demo" in listed[0]
    manifest = json.loads((pkg_v1.parent / "manifest.json").read_text())
    assert sorted(listed[1:]) == sorted([f"dsaops/{p}" for p in [*manifest["files"], *manifest["links"]]]
                                        + ["dsaops/dsaops/manifest.json"])


def test_unknown_option_is_refused(pkg_v1):
    r = run_sh(pkg_v1, "--frobnicate")
    assert r.returncode == 2 and "unknown option --frobnicate" in r.stderr


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupt_payload_is_refused_before_any_write(pkg_v1, tmp_path, damage):
    data = bytearray(pkg_v1.read_bytes())
    if damage == "truncate":
        data = data[:-100]
    else:
        data[-50] ^= 0xFF
    bad = tmp_path / "bad.run"
    bad.write_bytes(bytes(data))
    target = tmp_path / "opp"
    for args in (["--check"], [f"--install-path={target}"]):
        r = run_sh(bad, *args)
        assert r.returncode == 1
        assert ("truncated" in r.stderr) if damage == "truncate" else ("corrupt" in r.stderr)
    assert not target.exists()
    with pytest.raises(PackageError, match="truncated or corrupt" if damage == "truncate" else "sha256"):
        read_run(bad)


def test_refusals_of_the_sh_installer_write_nothing(pkg_v1, tmp_path):
    r = run_sh(pkg_v1, "--install-path=relative/opp", cwd=tmp_path)
    assert r.returncode == 1 and "expected an absolute path, got 'relative/opp'" in r.stderr
    r = run_sh(pkg_v1, f"--install-path={tmp_path}/a:b")
    assert r.returncode == 1 and "without ':'" in r.stderr
    r = run_sh(pkg_v1)
    assert r.returncode == 1 and "no target" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_other_architecture_is_refused(tmp_path):
    foreign = make_package(tmp_path / "pkg", arch="riscv64")
    target = tmp_path / "opp"
    r = run_sh(foreign, f"--install-path={target}")
    assert r.returncode == 1 and "this package is for riscv64" in r.stderr
    assert not target.exists()


def test_two_builds_in_different_folders_are_byte_identical(tmp_path):
    a = make_package(tmp_path / "one" / "deep" / "out")
    b = make_package(tmp_path / "two")
    assert a.read_bytes() == b.read_bytes()
    assert (a.parent / "manifest.json").read_bytes() == (b.parent / "manifest.json").read_bytes()
    assert (a.parent / "SHA256SUMS").read_bytes() == (b.parent / "SHA256SUMS").read_bytes()
    # and a changed file changes the bytes (the comparison can fail)
    c = make_package(tmp_path / "three", tag="v1b")
    assert c.read_bytes() != a.read_bytes()


def test_payload_is_normalised(pkg_v1):
    payload = read_run(pkg_v1).payload
    assert payload[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip: no name, mtime 0, level 9
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(payload))) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0, 0, "", "", 1700000000)}
    assert {m.mode for m in members if not m.issym()} <= {0o644, 0o755}
    assert [m.name for m in members if not (m.isdir() or m.isfile())] == [
        "dsaops/op_impl/ai_core/tbe/op_tiling/liboptiling.so"]


def test_sha256sums_names_the_run_and_the_manifest(pkg_v1):
    sums = dict(reversed(line.split("  ")) for line in (pkg_v1.parent / "SHA256SUMS").read_text().splitlines())
    assert sums[pkg_v1.name] == hashlib.sha256(pkg_v1.read_bytes()).hexdigest()
    manifest = pkg_v1.parent / "manifest.json"
    assert sums["manifest.json"] == hashlib.sha256(manifest.read_bytes()).hexdigest()
    outer = json.loads(manifest.read_text())
    assert outer["package"]["sha256"] == sums[pkg_v1.name]
    assert outer["vendor"] == "dsaops" and outer["arch"] and outer["backend"] == "twin"
    assert outer["files"]["version.info"] == hashlib.sha256(b"dsaops_version=v1\n").hexdigest()


def test_sh_install_then_sh_uninstall_restores_config_ini(pkg_v1, tmp_path):
    opp = tmp_path / "opp"
    (opp / "vendors" / "other").mkdir(parents=True)
    (opp / "vendors" / "other" / "keep.txt").write_text("mine\n")
    (opp / "vendors" / "config.ini").write_text("load_priority=other,third\n")
    before = snapshot(opp)
    r = run_sh(pkg_v1, "--quiet", env={"ASCEND_OPP_PATH": str(opp)})
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert (opp / "vendors" / "config.ini").read_text() == "load_priority=dsaops,other,third\n"
    root = opp / "vendors" / "dsaops"
    assert (root / "version.info").read_text() == "dsaops_version=v1\n"
    assert (root / "dsaops" / "install.info").read_text() == "target=default\nconfig_ini_existed=yes\n"
    r = run_sh(root / "scripts" / "uninstall.sh")
    assert r.returncode == 0, r.stderr
    assert snapshot(opp) == before


def test_sh_recovers_an_install_killed_between_the_two_renames(pkg_v1, pkg_v2, tmp_path):
    opp = tmp_path / "opp"
    assert run_sh(pkg_v1, f"--install-path={opp}").returncode == 0
    vendors = opp / "vendors"
    # what a kill -9 between "old aside" and "new in place" leaves
    (vendors / "dsaops").rename(vendors / ".dsaops.old.4242")
    (vendors / ".dsaops.staging.4242" / "dsaops").mkdir(parents=True)
    (vendors / ".dsaops.lock").mkdir()
    (vendors / ".dsaops.lock" / "pid").write_text("999999999\n")  # a dead owner
    r = run_sh(pkg_v2, f"--install-path={opp}")
    assert r.returncode == 0, r.stderr
    assert "restored the previous install" in r.stdout
    assert sorted(p.name for p in vendors.iterdir()) == ["dsaops"]
    assert (vendors / "dsaops" / "version.info").read_text() == "dsaops_version=v2\n"


@pytest.mark.parametrize("delay", [0.02, 0.08, 0.15, 0.3])
def test_sh_install_killed_at_any_moment_is_old_or_new_or_recoverable(pkg_v1, pkg_v2, tmp_path, delay):
    import os
    import signal
    import subprocess
    import time

    opp = tmp_path / "opp"
    assert run_sh(pkg_v1, f"--install-path={opp}").returncode == 0
    root = opp / "vendors" / "dsaops"
    old = (root / "version.info").read_text()
    proc = subprocess.Popen(["sh", str(pkg_v2), f"--install-path={opp}", "--quiet"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the installer and its tar/gzip, as kill -9 of a session would
    except ProcessLookupError:
        pass
    proc.wait()
    if root.exists():
        assert (root / "version.info").read_text() in (old, "dsaops_version=v2\n")
    else:
        assert list((opp / "vendors").glob(".dsaops.old.*"))  # between the two renames: the old tree is kept
    r = run_sh(pkg_v2, f"--install-path={opp}", "--quiet")
    assert r.returncode == 0, r.stderr
    assert (root / "version.info").read_text() == "dsaops_version=v2\n"
    assert sorted(p.name for p in (opp / "vendors").iterdir()) == ["dsaops"]
