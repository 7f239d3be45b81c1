"""Which package dsaops verify checks when none is named (dsaops.verify.target.resolve), on small packages
made by the real packaging code (tests/package/conftest.make_package) and installed by the real installer."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsaops.errors import PackageTampered, UsageError
from dsaops.package.installer import install
from dsaops.verify.target import check_integrity, remember_install, resolve, state_file

from dsaops.package.archive import Entry
from dsaops.package.builder import write_package
from dsaops.package.layout import host_arch


@pytest.fixture(scope="module")
def pkg(tmp_path_factory) -> Path:
    """A small package (no compile) with a file, a link and a stand-in twin library."""
    out = tmp_path_factory.mktemp("pkg")
    entries = [Entry("version.info", b"dsaops_version=1\n"), Entry("op_api/include/aclnn_demo.h", b"// demo\n"),
               Entry("op_impl/ai_core/tbe/op_tiling/lib/linux/x86_64/libcust_opmaster_rt2.0.so", b"T"),
               Entry("op_impl/ai_core/tbe/op_tiling/liboptiling.so", b"",
                     link="lib/linux/x86_64/libcust_opmaster_rt2.0.so"),
               Entry("dsaops/twin/lib/libdemo_twin.so", b"ELF" * 100, executable=True)]
    run, *_ = write_package(entries, out=out, vendor="dsaops", version="1.0.0", arch=host_arch(), backend="twin",
                            socs=["ascend910b"], ops=[{"name": "demo", "op_type": "Demo", "socs": ["ascend910b"],
                                                       "twin_library": "dsaops/twin/lib/libdemo_twin.so"}],
                            cann_version=None, source_revision="test", epoch=1700000000)
    return run


def _install(pkg: Path, opp: Path, env: dict | None = None) -> Path:
    return install(pkg, opp, env=env or {}).root


def test_explicit_install_path_accepts_the_opp_or_the_vendor_folder(pkg, tmp_path):
    root = _install(pkg, tmp_path / "opp")
    for given in (tmp_path / "opp", root):
        with resolve(install_path=given, env={}) as p:
            assert p.root == root and p.source == "install-path" and list(p.ops) == ["demo"]
            assert check_integrity(p) == len(p.manifest["files"]) + len(p.manifest["links"])
    with pytest.raises(UsageError, match="--install-path: expected an OPP folder"):
        resolve(install_path=tmp_path / "empty", env={})
    with pytest.raises(UsageError, match="at most one"):
        resolve(install_path=tmp_path, build_dir=tmp_path, env={})


def test_default_order(pkg, tmp_path):
    state = {"DSAOPS_STATE_HOME": str(tmp_path / "state")}
    custom = _install(pkg, tmp_path / "custom")
    opp = tmp_path / "cann_opp"
    default_root = _install(pkg, None, env={"ASCEND_OPP_PATH": str(opp)})
    (opp / "vendors" / "config.ini").write_text("load_priority=other,dsaops\n")
    last = _install(pkg, tmp_path / "last")
    remember_install(last, state)
    assert state_file(state).read_text().strip() == str(last.resolve())
    cwd = tmp_path / "work"
    build = cwd / "build" / "dsaops"
    build.mkdir(parents=True)
    (build / pkg.name).write_bytes(pkg.read_bytes())

    env = {**state, "ASCEND_CUSTOM_OPP_PATH": f"{tmp_path / 'nothing'}:{custom}", "ASCEND_OPP_PATH": str(opp)}
    with resolve(env=env, cwd=cwd) as p:
        assert (p.source, p.root) == ("ASCEND_CUSTOM_OPP_PATH", custom)
    env.pop("ASCEND_CUSTOM_OPP_PATH")
    with resolve(env=env, cwd=cwd) as p:
        assert (p.source, p.root) == ("config.ini", default_root)
    env.pop("ASCEND_OPP_PATH")
    with resolve(env=env, cwd=cwd) as p:
        assert (p.source, p.root) == ("last-install", last)
    state_file(state).unlink()
    with resolve(env=env, cwd=cwd) as p:
        assert p.source == "build-output" and p.run_file == build / pkg.name
        unpacked = p.root
        assert (unpacked / "dsaops" / "manifest.json").is_file() and check_integrity(p) > 0
    assert not unpacked.exists()  # the private unpacked copy is removed
    (build / pkg.name).unlink()
    with pytest.raises(UsageError, match="nothing to verify.*ASCEND_CUSTOM_OPP_PATH|nothing to verify"):
        resolve(env=env, cwd=cwd)


def test_integrity_names_changed_missing_and_relinked_entries(pkg, tmp_path):
    root = _install(pkg, tmp_path / "opp")
    (root / "op_api/include/aclnn_demo.h").write_text("// changed\n")
    (root / "version.info").unlink()
    link = root / "op_impl/ai_core/tbe/op_tiling/liboptiling.so"
    link.unlink()
    link.symlink_to("elsewhere.so")
    with resolve(install_path=root, env={}) as p, pytest.raises(PackageTampered) as err:
        check_integrity(p)
    text = str(err.value)
    assert "3 installed file(s) differ" in text
    assert "op_api/include/aclnn_demo.h (sha256" in text and "version.info (missing)" in text
    assert "liboptiling.so (link changed)" in text


def test_an_unreadable_manifest_is_tampering(pkg, tmp_path):
    root = _install(pkg, tmp_path / "opp")
    (root / "dsaops" / "manifest.json").write_text("{not json")
    with pytest.raises(PackageTampered, match="manifest is unreadable"):
        resolve(install_path=root, env={})
