"""The persistent compile cache of twin programs (harness/build.py on dsaops.compile_cache): keyed by
content and flags, shared by builders and threads through atomic renames, compile errors never cached,
background prebuilds joined by build()."""

from __future__ import annotations

import os
import sys

import pytest

from dsaops import compile_cache

TwinBuilder = sys.modules["dsaops_twin_harness_build"].TwinBuilder  # loaded by conftest.py

TINY = "#include <cstdio>\nint main() { std::printf(\"%d\\n\", TWIN_TEST_VALUE); return 0; }\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DSAOPS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "compiled"


def _entries(cache):
    return sorted(p for p in cache.rglob("*") if p.is_file() and p.parent.parent.parent.name == "twin-programs")


def test_second_builder_reuses_the_binary(cache):
    r1 = TwinBuilder().compile(TINY, ("-DTWIN_TEST_VALUE=1",))
    assert r1.ok and r1.binary.is_relative_to(cache)
    stamp = r1.binary.stat().st_mtime_ns
    r2 = TwinBuilder().compile(TINY, ("-DTWIN_TEST_VALUE=1",))  # a new session: same key, nothing compiled
    assert r2.binary == r1.binary and r2.binary.stat().st_mtime_ns == stamp
    r3 = TwinBuilder().run(TINY, extra_flags=("-DTWIN_TEST_VALUE=2",))  # other flags: another entry
    assert r3.binary != r1.binary and r3.stdout == "2\n"
    assert len(_entries(cache)) == 2


def test_source_text_is_part_of_the_key(cache):
    a = TwinBuilder().run(TINY, extra_flags=("-DTWIN_TEST_VALUE=3",))
    b = TwinBuilder().run(TINY.replace("%d\\n", "v%d\\n"), extra_flags=("-DTWIN_TEST_VALUE=3",))
    assert (a.stdout, b.stdout) == ("3\n", "v3\n") and a.binary != b.binary


def test_compile_errors_are_not_cached(cache):
    res = TwinBuilder().compile(TINY)  # TWIN_TEST_VALUE undefined
    assert not res.ok and "TWIN_TEST_VALUE" in res.output
    assert _entries(cache) == []
    assert TwinBuilder().compile(TINY, ("-DTWIN_TEST_VALUE=4",)).ok


def test_concurrent_builders_share_one_entry(cache):
    results = compile_cache.parallel_map(lambda _: TwinBuilder().compile(TINY, ("-DTWIN_TEST_VALUE=5",)), range(4), 4)
    assert all(r.ok for r in results) and len({r.binary for r in results}) == 1
    [entry] = _entries(cache)  # no temporary file left behind
    assert entry == results[0].binary and os.access(entry, os.X_OK)


def test_prebuild_then_build_waits(cache):
    b = TwinBuilder(jobs=2)
    try:
        progs = [(TINY, (f"-DTWIN_TEST_VALUE={v}",)) for v in (6, 7, 8)]
        assert b.prebuild(progs) == 3
        assert b.prebuild(progs) == 0  # already pending
        outs = [b.run(TINY, extra_flags=(f"-DTWIN_TEST_VALUE={v}",)).stdout for v in (6, 7, 8)]
        assert outs == ["6\n", "7\n", "8\n"]
    finally:
        b.close()
    assert TwinBuilder().prebuild(progs) == 0  # cached now


def test_parallel_map_keeps_order_and_raises():
    assert compile_cache.parallel_map(lambda x: x * x, range(7), 3) == [x * x for x in range(7)]

    def boom(x):
        if x == 2:
            raise ValueError("item 2")
        return x

    with pytest.raises(ValueError, match="item 2"):
        compile_cache.parallel_map(boom, range(5), 2)


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DSAOPS_CACHE", str(tmp_path / "a"))
    assert compile_cache.cache_root() == tmp_path / "a" / "compiled"
    monkeypatch.delenv("DSAOPS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert compile_cache.cache_root() == tmp_path / "x" / "dsaops" / "compiled"


def test_tree_digest_covers_sources_only(tmp_path):
    (tmp_path / "a.h").write_text("int a;\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.cpp").write_text("int b;\n")

    def digest():
        return compile_cache.Hasher("t").add_tree(tmp_path).hexdigest()

    d0 = digest()
    (tmp_path / "notes.txt").write_text("not a source\n")
    assert digest() == d0
    (tmp_path / "sub" / "b.cpp").write_text("int b2;\n")
    d1 = digest()
    assert d1 != d0
    (tmp_path / "sub" / "b.cpp").rename(tmp_path / "b.cpp")  # same bytes, another path
    assert digest() != d1
