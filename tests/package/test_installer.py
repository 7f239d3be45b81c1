"""dsaops install / uninstall: layout, config.ini, set_env.bash, refusals without writes, idempotence,
interruption at every stage (kill -9), concurrent installs."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from dsaops.errors import PackageError
from dsaops.package.archive import tar_gz, Entry
from dsaops.package.installer import install, installed, set_priority, uninstall
from dsaops.package.layout import VENDOR_DIRS, host_arch
from dsaops.package import runfile
from dsaops.package.runfile import make_run

from .conftest import run_sh, snapshot

NO_ENV: dict = {}


def test_install_layout_manifest_and_uninstall_restores(pkg_v1, tmp_path):
    opp = tmp_path / "opp"
    (opp / "vendors" / "other").mkdir(parents=True)
    (opp / "vendors" / "other" / "op_api").mkdir()
    (opp / "vendors" / "config.ini").write_text("# kept\nload_priority=other\n")
    before = snapshot(opp)
    result = install(pkg_v1, env={"ASCEND_OPP_PATH": str(opp)})
    root = opp / "vendors" / "dsaops"
    assert result.action == "installed" and result.root == root and result.kind == "default"
    for d in VENDOR_DIRS:
        assert (root / d).is_dir(), d
    manifest = json.loads((root / "dsaops" / "manifest.json").read_text())
    outer = json.loads((pkg_v1.parent / "manifest.json").read_text())
    outer.pop("package")
    assert manifest == outer
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest
    assert (opp / "vendors" / "config.ini").read_text() == "# kept\nload_priority=dsaops,other\n"
    set_env = (root / "bin" / "set_env.bash").read_text()
    assert f"export LD_LIBRARY_PATH='{root}/op_api/lib'" in set_env and "ASCEND_CUSTOM_OPP_PATH" not in set_env
    link = root / "op_impl/ai_core/tbe/op_tiling/liboptiling.so"
    assert os.readlink(link) == manifest["links"]["op_impl/ai_core/tbe/op_tiling/liboptiling.so"]
    assert link.read_bytes() == b"T-v1"  # CANN's tiling library link resolves inside the vendor folder
    for p in root.rglob("*"):
        if not p.is_symlink():  # a link's own mode means nothing on Linux
            assert not p.lstat().st_mode & (stat.S_IWGRP | stat.S_IWOTH), p
    assert [i["vendor"] for i in installed(opp)] == ["dsaops"]
    assert uninstall("dsaops", env={"ASCEND_OPP_PATH": str(opp)}) == root
    assert snapshot(opp) == before
    assert uninstall("dsaops", env={"ASCEND_OPP_PATH": str(opp)}) is None  # idempotent


def test_custom_path_writes_set_env_and_leaves_config_ini_alone(pkg_v1, tmp_path):
    opp = tmp_path / "custom"
    result = install(pkg_v1, str(opp), env=NO_ENV)
    root = opp / "vendors" / "dsaops"
    assert result.kind == "custom"
    assert not (opp / "vendors" / "config.ini").exists()
    text = (root / "bin" / "set_env.bash").read_text()
    assert f"export ASCEND_CUSTOM_OPP_PATH='{root}'${{ASCEND_CUSTOM_OPP_PATH:+:$ASCEND_CUSTOM_OPP_PATH}}" in text
    env = {"PATH": os.environ["PATH"], "ASCEND_CUSTOM_OPP_PATH": "/x/vendors/y", "LD_LIBRARY_PATH": "/z"}
    out = subprocess.run(["bash", "-c", f"source '{root}/bin/set_env.bash' && echo $ASCEND_CUSTOM_OPP_PATH "
                                        "&& echo $LD_LIBRARY_PATH"], capture_output=True, text=True, env=env)
    assert out.stdout.split() == [f"{root}:/x/vendors/y", f"{root}/op_api/lib:{root}/dsaops/twin/lib:/z"]
    uninstall("dsaops", str(opp), env=NO_ENV)
    assert list((opp / "vendors").iterdir()) == []


def test_config_ini_created_by_install_is_removed_by_uninstall(pkg_v1, tmp_path):
    opp = tmp_path / "opp"
    install(pkg_v1, env={"ASCEND_CUSTOM_OPP_PATH": str(opp)})
    assert (opp / "vendors" / "config.ini").read_text() == "load_priority=dsaops\n"
    uninstall("dsaops", env={"ASCEND_CUSTOM_OPP_PATH": str(opp)})
    assert list((opp / "vendors").iterdir()) == []


def test_python_and_sh_installers_give_the_same_tree(pkg_v1, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    install(pkg_v1, str(a), env=NO_ENV)
    r = run_sh(pkg_v1, f"--install-path={b}")
    assert r.returncode == 0, r.stderr
    sa, sb = snapshot(a), snapshot(b)
    env_a = sa.pop("vendors/dsaops/bin/set_env.bash")[1].replace(str(a).encode(), b"<opp>")
    env_b = sb.pop("vendors/dsaops/bin/set_env.bash")[1].replace(str(b).encode(), b"<opp>")
    assert env_a == env_b
    assert sa == sb


def test_idempotent_and_upgrade(pkg_v1, pkg_v2, tmp_path):
    env = {"ASCEND_OPP_PATH": str(tmp_path / "opp")}
    assert install(pkg_v1, env=env).action == "installed"
    first = snapshot(tmp_path / "opp")
    assert install(pkg_v1, env=env).action == "unchanged"
    assert snapshot(tmp_path / "opp") == first
    assert install(pkg_v1, env=env, force=True).action == "upgraded"
    assert snapshot(tmp_path / "opp") == first
    assert install(pkg_v2, env=env).action == "upgraded"
    root = tmp_path / "opp" / "vendors" / "dsaops"
    assert (root / "version.info").read_text() == "dsaops_version=v2\n"
    assert (root / "dsaops" / "install.info").read_text() == "target=default\nconfig_ini_existed=no\n"
    assert (tmp_path / "opp" / "vendors" / "config.ini").read_text() == "load_priority=dsaops\n"
    # a damaged installed file makes the same package install again
    (root / "version.info").chmod(0o644)
    (root / "version.info").write_text("tampered\n")
    assert install(pkg_v2, env=env).action == "upgraded"
    assert (root / "version.info").read_text() == "dsaops_version=v2\n"


def _evil_package(tmp_path, member: tarfile.TarInfo, data: bytes = b"") -> os.PathLike:
    good = tar_gz([Entry("dsaops/manifest.json", b'{"files": {}}\n')], "dsaops", 0)
    raw = io.BytesIO(gzip.decompress(good))
    with tarfile.open(fileobj=raw, mode="a") as tar:
        member.size = len(data) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    payload = gzip.compress(raw.getvalue())
    path = tmp_path / "evil.run"
    path.write_bytes(make_run(payload, vendor="dsaops", version="1", arch=host_arch(), backend="twin", ops=["x"],
                              socs=["ascend910b"]))
    return path


def _sym(name, target):
    m = tarfile.TarInfo(name)
    m.type = tarfile.SYMTYPE
    m.linkname = target
    return m


@pytest.mark.parametrize("member, message", [
    (tarfile.TarInfo("/etc/evil"), "absolute path"),
    (tarfile.TarInfo("dsaops/../../evil"), "contains '..'"),
    (tarfile.TarInfo("elsewhere/evil"), "outside dsaops/"),
    (_sym("dsaops/op_api/lib/libx.so", "../../../../../etc/passwd"), "links to"),
    (_sym("dsaops/op_api/lib/liby.so", "/usr/lib/liby.so"), "links to"),
])
def test_unsafe_members_are_refused_without_writes(tmp_path, member, message):
    evil = _evil_package(tmp_path, member, b"x")
    target = tmp_path / "opp"
    with pytest.raises(PackageError, match=message):
        install(evil, str(target), env=NO_ENV)
    assert not target.exists()
    r = run_sh(evil, f"--install-path={target}")
    assert r.returncode == 1 and not target.exists()


@pytest.mark.parametrize("path, message", [
    ("relative/opp", "expected an absolute path, got 'relative/opp'"),
    ("/tmp/a:b", "without ':'"),
])
def test_bad_install_paths_are_refused(pkg_v1, tmp_path, monkeypatch, path, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PackageError, match=message):
        install(pkg_v1, path, env=NO_ENV)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_truncated_and_foreign_packages_are_refused(pkg_v1, tmp_path):
    from .conftest import make_package

    cases = {
        "truncated": (pkg_v1.read_bytes()[:-10], "truncated"),
        "flipped": (pkg_v1.read_bytes()[:-20] + b"X" + pkg_v1.read_bytes()[-19:], "sha256"),
        "not a package": (b"#!/bin/sh\necho hi\n", "not a dsaops .run"),
    }
    target = tmp_path / "opp"
    for name, (data, message) in cases.items():
        bad = tmp_path / f"{name}.run"
        bad.write_bytes(data)
        with pytest.raises(PackageError, match=message):
            install(bad, str(target), env=NO_ENV)
    foreign = make_package(tmp_path / "foreign", arch="riscv64")
    with pytest.raises(PackageError, match="is for riscv64"):
        install(foreign, str(target), env=NO_ENV)
    assert not target.exists()


KILLER = textwrap.dedent("""
    import os, signal, sys
    from dsaops.package.installer import install, uninstall
    stage, action, pkg, opp, exchange = sys.argv[1:6]
    def checkpoint(s):
        if s == stage:
            os.kill(os.getpid(), signal.SIGKILL)
    if action == "install":
        install(pkg, opp, env={}, checkpoint=checkpoint, atomic_exchange=exchange == "1")
    else:
        uninstall("dsaops", opp, env={}, checkpoint=checkpoint)
""")


def _killed(stage, action, pkg, opp, exchange=True):
    r = subprocess.run([sys.executable, "-c", KILLER, stage, action, str(pkg), str(opp), "1" if exchange else "0"],
                       capture_output=True, text=True)
    return r.returncode


def _vendor_tree(opp):
    root = opp / "vendors" / "dsaops"
    snap = snapshot(root) if root.is_dir() else None
    if snap:
        snap.pop("bin/set_env.bash", None)
    return snap


@pytest.mark.parametrize("exchange, stages", [
    (True, ["locked", "extracted", "staged", "swapped", "cleaned", "configured"]),
    (False, ["moved-aside", "swapped"]),
])
def test_install_killed_at_each_stage_leaves_old_or_new(pkg_v1, pkg_v2, tmp_path, exchange, stages):
    old_opp, new_opp = tmp_path / "ref_old", tmp_path / "ref_new"
    install(pkg_v1, str(old_opp), env=NO_ENV)
    install(pkg_v2, str(new_opp), env=NO_ENV)
    old, new = _vendor_tree(old_opp), _vendor_tree(new_opp)
    for stage in stages:
        opp = tmp_path / f"opp_{stage}"
        install(pkg_v1, str(opp), env=NO_ENV)
        assert _killed(stage, "install", pkg_v2, opp, exchange) == -9
        tree = _vendor_tree(opp)
        if stage == "moved-aside":
            assert tree is None  # between the renames: recovery below puts the old one back
        else:
            assert tree in (old, new), stage
        # the next run recovers (breaks the dead owner's lock, clears leftovers) and completes
        assert install(pkg_v2, str(opp), env=NO_ENV).action in ("installed", "upgraded", "unchanged")
        assert _vendor_tree(opp) == new
        assert sorted(p.name for p in (opp / "vendors").iterdir()) == ["dsaops"], stage


def test_uninstall_killed_midway_is_completed_by_the_next_run(pkg_v1, tmp_path):
    for stage in ("configured", "moved-aside"):
        opp = tmp_path / stage
        (opp / "vendors").mkdir(parents=True)
        (opp / "vendors" / "config.ini").write_text("load_priority=other\n")
        install(pkg_v1, env={"ASCEND_OPP_PATH": str(opp)})
        assert subprocess.run([sys.executable, "-c", KILLER.replace('uninstall("dsaops", opp, env={}',
                                                                    'uninstall("dsaops", None, env={"ASCEND_OPP_PATH": opp}'),
                               stage, "uninstall", "-", str(opp), "1"]).returncode == -9
        assert (opp / "vendors" / "config.ini").read_text() == "load_priority=other\n"
        assert (opp / "vendors" / "dsaops").exists() == (stage == "configured")
        uninstall("dsaops", env={"ASCEND_OPP_PATH": str(opp)})
        assert sorted(p.name for p in (opp / "vendors").iterdir()) == ["config.ini"]
        assert (opp / "vendors" / "config.ini").read_text() == "load_priority=other\n"


CONCURRENT = textwrap.dedent("""
    import sys
    from dsaops.package.installer import install
    for _ in range(3):
        install(sys.argv[1], sys.argv[2], env={}, force=True)
""")


def test_concurrent_installs_are_serialised(pkg_v1, pkg_v2, tmp_path):
    opp = tmp_path / "opp"
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(pkg), str(opp)], stderr=subprocess.PIPE, text=True)
             for pkg in (pkg_v1, pkg_v2, pkg_v1, pkg_v2)]
    procs.append(subprocess.Popen(["sh", str(pkg_v2), f"--install-path={opp}", "--quiet"], stderr=subprocess.PIPE,
                                  text=True))
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, errors
    assert sorted(p.name for p in (opp / "vendors").iterdir()) == ["dsaops"]
    tree = _vendor_tree(opp)
    refs = []
    for pkg in (pkg_v1, pkg_v2):
        ref = tmp_path / f"ref_{pkg.parent.name}"
        install(pkg, str(ref), env=NO_ENV)
        refs.append(_vendor_tree(ref))
    assert tree in refs


def test_lock_held_by_a_live_install_times_out_and_an_abandoned_one_is_broken(pkg_v1, tmp_path):
    opp = tmp_path / "opp"
    lock = opp / "vendors" / ".dsaops.lock"
    lock.mkdir(parents=True)
    (lock / "pid").write_text(f"{os.getpid()}\n")  # alive: this test process
    with pytest.raises(PackageError, match=r"another install holds .*\.dsaops\.lock \(pid \d+\)"):
        install(pkg_v1, str(opp), env=NO_ENV, lock_timeout=0.3)
    assert not (opp / "vendors" / "dsaops").exists()
    (lock / "pid").unlink()  # killed between mkdir and writing its pid, a minute ago
    os.utime(lock, (os.path.getatime(lock) - 60, os.path.getmtime(lock) - 60))
    assert install(pkg_v1, str(opp), env=NO_ENV, lock_timeout=5).action == "installed"
    assert not lock.exists()


COMMON_SH = Path(runfile.__file__).with_name("sh") / "common.sh"


@pytest.mark.parametrize("before", [None, "", "load_priority=a,b\n", "x=1\nload_priority=dsaops,a\n# end\n",
                                    "load_priority=\n", "load_priority=a,dsaops,b\nother=2\n", "# only a comment\n"])
@pytest.mark.parametrize("add, existed", [(True, True), (False, True), (False, False)])
def test_config_ini_edits_are_the_same_in_sh_and_python(tmp_path, before, add, existed):
    results = []
    for tool in ("sh", "python"):
        vendors = tmp_path / tool / "vendors"
        vendors.mkdir(parents=True)
        if before is not None:
            (vendors / "config.ini").write_text(before)
        if tool == "python":
            set_priority(vendors, "dsaops", add=add, config_existed=existed)
        else:
            script = (f'VENDOR=dsaops; VENDORS="{vendors}"; RECORD_CONFIG_EXISTED={"yes" if existed else "no"}; '
                      f'. "{COMMON_SH}"; set_priority {"add" if add else "remove"}')
            r = subprocess.run(["sh", "-c", script], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
        cfg = vendors / "config.ini"
        results.append(cfg.read_text() if cfg.exists() else None)
        assert sorted(p.name for p in vendors.iterdir()) == (["config.ini"] if cfg.exists() else [])
    assert results[0] == results[1]
    if add:
        assert sum(ln.startswith("load_priority=dsaops") for ln in results[0].splitlines()) == 1
    elif results[0] is not None:
        assert "dsaops" not in results[0]


def test_uninstall_refuses_a_vendor_dsaops_did_not_install(tmp_path):
    foreign = tmp_path / "opp" / "vendors" / "customize"
    (foreign / "op_api").mkdir(parents=True)
    with pytest.raises(PackageError, match="was not installed by dsaops"):
        uninstall("customize", str(tmp_path / "opp"), env=NO_ENV)
    assert (foreign / "op_api").is_dir()


def test_default_install_killed_before_config_ini_is_completed_by_the_next_run(pkg_v1, pkg_v2, tmp_path):
    opp = tmp_path / "opp"
    (opp / "vendors").mkdir(parents=True)
    (opp / "vendors" / "config.ini").write_text("load_priority=other\n")
    script = KILLER.replace('install(pkg, opp, env={}', 'install(pkg, None, env={"ASCEND_OPP_PATH": opp}')
    r = subprocess.run([sys.executable, "-c", script, "cleaned", "install", str(pkg_v2), str(opp), "1"])
    assert r.returncode == -9
    assert (opp / "vendors" / "config.ini").read_text() == "load_priority=other\n"  # killed before the edit
    assert install(pkg_v2, env={"ASCEND_OPP_PATH": str(opp)}).action == "upgraded"  # not "unchanged"
    assert (opp / "vendors" / "config.ini").read_text() == "load_priority=dsaops,other\n"
    assert sorted(p.name for p in (opp / "vendors").iterdir()) == ["config.ini", "dsaops"]
