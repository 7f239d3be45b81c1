"""The CI workflow parses, triggers as documented, and runs only commands that exist: dsaops commands
with options they accept, and the README commands through .ci/run."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import click
import yaml

from dsaops.cli import main

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "package.yml"


def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def ci_command(name: str) -> str:
    r = subprocess.run(["bash", str(ROOT / ".ci" / "run"), "--print", name], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def dsaops_invocations(script: str) -> list[list[str]]:
    calls = []
    for line in script.replace("\\\n", " ").splitlines():
        for part in line.replace("&&", "\n").replace("|", "\n").replace(";", "\n").splitlines():
            words = shlex.split(part, comments=True)
            if words and words[0] == "dsaops":
                calls.append(words[1:])
    return calls


def check_invocation(args: list[str]) -> None:
    command = main.commands.get(args[0])
    assert command is not None, f"dsaops {args[0]} does not exist"
    if command.context_settings.get("ignore_unknown_options"):
        return  # a reserved command (its issue defines the options)
    known = {opt for p in command.params for opt in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
    for word in args[1:]:
        if word.startswith("-") and word not in ("2>&1",):
            assert word.split("=")[0] in known, f"dsaops {args[0]} has no option {word}"


def test_triggers_jobs_and_publish_only_on_tags():
    wf = workflow()
    assert wf["on"]["push"]["tags"] == ["v*"] and "pull_request" in wf["on"]
    jobs = wf["jobs"]
    assert set(jobs) == {"test", "build", "verify", "publish"}
    assert jobs["publish"]["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert set(jobs["publish"]["needs"]) == {"test", "build", "verify"}
    assert jobs["verify"]["strategy"]["matrix"]["soc"] == ["ascend910b", "ascend910_93"]
    assert wf["permissions"] == {"contents": "read"}  # only publish may write
    for name, job in jobs.items():
        if name != "publish":
            assert "contents" not in job.get("permissions", {}), name


def test_every_command_exists():
    scripts = [step["run"] for job in workflow()["jobs"].values() for step in job["steps"] if "run" in step]
    ci = [s for s in scripts if s.strip().startswith(".ci/run")]
    assert sorted(s.strip() for s in ci) == [".ci/run main", ".ci/run test"]
    calls = [c for s in scripts for c in dsaops_invocations(s)]
    calls += dsaops_invocations(ci_command("main")) + dsaops_invocations(ci_command("test"))
    assert {c[0] for c in calls} >= {"build", "install", "verify"}
    for call in calls:
        check_invocation(call)


def test_the_checker_catches_a_missing_option_and_command():
    import pytest

    with pytest.raises(AssertionError, match="has no option --frobnicate"):
        check_invocation(["build", "--frobnicate"])
    with pytest.raises(AssertionError, match="does not exist"):
        check_invocation(["publishh"])


def test_ci_run_reads_the_readme_commands():
    readme = (ROOT / "README.md").read_text()
    main_cmd = ci_command("main")
    assert main_cmd.startswith("python -m pip install . && dsaops build")
    assert "dsaops install --install-path" in main_cmd and main_cmd in readme
    assert ci_command("test") == "python -m pip install -e '.[test]' && python -m pytest -q"
    r = subprocess.run(["bash", str(ROOT / ".ci" / "run"), "publish"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown command 'publish'" in r.stderr
