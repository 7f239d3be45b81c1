"""Mutation testing of the modules where a silent change does the most harm (run on demand, not in CI).

    python -m pip install -e '.[test,mutation]'
    python tools/mutate.py                 # every target of [tool.dsaops.mutation] in pyproject.toml
    python tools/mutate.py compare views   # some of them
    python tools/mutate.py --list          # the targets, their files and tests
    python tools/mutate.py opdef --resume --names 'dsaops.opdef.build.*'   # part of a target

Each target names the files mutated and the tests run against them (pyproject.toml,
``[tool.dsaops.mutation.<target>]``); mutmut's own settings are ``[tool.mutmut]``. mutmut expects
the package under ``src/``: each target runs in ``build/mutation/<target>/``, where ``src`` is a
link to ``cli`` and the bundled folders (opdefs, templates, ascendc) and ``tests`` are links to the
repository's, so the mutated copy finds them as an editable install does. The end is a table of
killed / survived mutants and the kill rate per target, and the survivors (``mutmut show NAME`` in
the target's folder prints one).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutation"
LINKS = {"src": "cli", "tests": "tests", "opdefs": "opdefs", "templates": "templates", "ascendc": "ascendc"}
KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # mutmut's exit codes for killed, timeout and type-check kills
SURVIVED = {0}
NO_TESTS = {5, 33}  # no selected test runs the mutated code: counted as surviving


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _table(name: str, values: dict) -> str:
    return "\n".join([f"[{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]) + "\n"


def load_targets(pyproject: dict) -> dict[str, dict]:
    targets = pyproject.get("tool", {}).get("dsaops", {}).get("mutation", {})
    if not targets:
        raise SystemExit("pyproject.toml has no [tool.dsaops.mutation.<target>] tables")
    return targets


def prepare(name: str, target: dict, pyproject: dict, fresh: bool) -> Path:
    """The target's folder: links to the sources and a pyproject.toml with its mutmut settings."""
    folder = WORK / name
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for link, real in LINKS.items():
        path = folder / link
        if not path.is_symlink():
            path.symlink_to(os.path.relpath(ROOT / real, folder))
    mutmut = dict(pyproject["tool"].get("mutmut", {}))
    mutmut["only_mutate"] = ["src/" + f for f in target["files"]]
    mutmut["pytest_add_cli_args_test_selection"] = list(target["tests"])
    mutmut["pytest_add_cli_args"] = list(mutmut.get("pytest_add_cli_args", [])) + list(target.get("pytest_args", []))
    pytest_ini = dict(pyproject["tool"]["pytest"]["ini_options"])
    text = _table("tool.pytest.ini_options", pytest_ini) + "\n" + _table("tool.mutmut", mutmut)
    (folder / "pyproject.toml").write_text(text)
    return folder


def tally(folder: Path) -> dict[str, tuple[int, int, int, list[str]]]:
    """Per mutated file: (killed, survived, not run, survivor names) from mutmut's results; a mutant no
    selected test reaches counts as surviving (its name ends with ' (no tests)')."""
    out = {}
    for meta in sorted((folder / "mutants" / "src").rglob("*.py.meta")):
        killed = survived = other = 0
        survivors: list[str] = []
        for mutant, code in json.loads(meta.read_text()).get("exit_code_by_key", {}).items():
            if code in KILLED:
                killed += 1
            elif code in SURVIVED or code in NO_TESTS:
                survived += 1
                survivors.append(mutant + (" (no tests)" if code in NO_TESTS else ""))
            else:
                other += 1
        rel = meta.relative_to(folder / "mutants" / "src").as_posix()[: -len(".meta")]
        out[rel] = (killed, survived, other, survivors)
    return out


def forget_survivors(folder: Path) -> None:
    """Mark surviving mutants unchecked, so the next run tests them again (mutmut keeps other results)."""
    for meta in (folder / "mutants" / "src").rglob("*.py.meta"):
        data = json.loads(meta.read_text())
        codes = data.get("exit_code_by_key", {})
        for mutant, code in codes.items():
            if code in SURVIVED or code in NO_TESTS:
                codes[mutant] = None
        meta.write_text(json.dumps(data))


def report(rows: list[tuple[str, dict]]) -> None:
    print("\n| target | file | killed | survived | not run | kill rate |\n|---|---|---|---|---|---|")
    for name, files in rows:
        for rel, (killed, survived, other, _) in files.items():
            rate = f"{killed / (killed + survived):.1%}" if killed + survived else "-"
            print(f"| {name} | {rel} | {killed} | {survived} | {other} | {rate} |")
    for name, files in rows:
        for _, (*_, survivors) in files.items():
            for mutant in survivors:
                print(f"survived ({name}): {mutant}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="targets of [tool.dsaops.mutation] (default: all)")
    parser.add_argument("--list", action="store_true", help="print the targets and exit")
    parser.add_argument("--resume", action="store_true", help="keep earlier results (mutmut reruns what changed)")
    parser.add_argument("--report", action="store_true", help="print the results of earlier runs, run nothing")
    parser.add_argument("--retest-survivors", action="store_true",
                        help="with --resume: run the surviving mutants again (after adding tests), keep the kills")
    parser.add_argument("--max-children", type=int, default=None, help="parallel mutmut workers")
    parser.add_argument("--names", nargs="+", default=[], metavar="GLOB",
                        help="only the mutants whose names match (e.g. 'dsaops.opdef.build.*'); the others stay unchecked")
    args = parser.parse_args(argv)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    targets = load_targets(pyproject)
    unknown = [t for t in args.targets if t not in targets]
    if unknown:
        raise SystemExit(f"unknown target(s) {unknown}; known: {sorted(targets)}")
    chosen = args.targets or list(targets)
    if args.list:
        for name in chosen:
            print(f"{name}: mutates {', '.join(targets[name]['files'])}; tests {' '.join(targets[name]['tests'])}")
        return 0
    rows = []
    if args.report:
        report([(name, tally(WORK / name)) for name in chosen if (WORK / name / "mutants").is_dir()])
        return 0
    for name in chosen:
        folder = prepare(name, targets[name], pyproject, fresh=not args.resume)
        if args.resume and args.retest_survivors:
            forget_survivors(folder)
        cmd = [sys.executable, "-m", "mutmut", "run"]
        if args.max_children:
            cmd += ["--max-children", str(args.max_children)]
        cmd += args.names
        print(f"== {name}: {' '.join(cmd)} (in {folder.relative_to(ROOT)})", flush=True)
        env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_DATABASE"}
        done = subprocess.run(cmd, cwd=folder, env=env)
        if done.returncode != 0:
            print(f"mutmut failed on {name} (exit {done.returncode})", file=sys.stderr)
            return done.returncode
        rows.append((name, tally(folder)))
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
