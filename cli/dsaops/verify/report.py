"""The verification report: JSON (a versioned schema), JUnit XML and the final table.

JSON report, ``"schema": "dsaops-verify-report"``, ``"schema_version": 1`` (:data:`SCHEMA` is its JSON
Schema; a change that removes or retypes a field raises the version):

* ``dsaops_version``, ``started_at`` (UTC, ISO 8601), ``seconds`` (wall time), ``exit_code``;
* ``selection``: ``ops`` (glob or null), ``cases`` (smoke / full / ids), ``socs`` (null: every SoC the
  package holds), ``seed`` (null: the catalog's seeds), ``backend`` (asked) and ``backend_used``, ``jobs``;
* ``package``: ``root``, ``source`` (how it was found: install-path, build-dir, ASCEND_CUSTOM_OPP_PATH,
  config.ini, last-install, build-output), ``run_file``, ``vendor``, ``version``, ``arch``, ``backend``
  (the package's build backend), ``source_revision``, ``manifest_sha256``, ``files_checked``;
* ``environment``: ``python``, ``numpy``, ``platform``, ``machine``, ``cpu_count``;
* ``summary``: ``cases``, ``passed``, ``failed``, ``errors`` and the op names per op status;
* ``ops``: per selected op ``name``, ``status`` (verified, no_kernel, missing, no_golden, no_cases,
  not_in_opdefs), ``socs``, ``detail``;
* ``cases``: per case ``op``, ``case``, ``tier``, ``soc``, ``seed``, ``params``, ``status`` (pass, fail,
  error), ``error`` (why it could not run), ``outputs`` (per output: ``name``, ``rule``, ``passed``,
  ``figures`` (the rule's numbers; non-finite as "inf" / "-inf" / "nan"), ``reason``,
  ``first_mismatch``), ``key_figure``, ``run`` (``backend``, ``variant``, ``block_dim``, ``tiling_key``,
  ``tiling``, ``counters``: the twin's nonzero work counters), ``model`` (``modelled_s``: the cost
  model's device time, ``bound``, ``floor_s``, ``gm_bytes``) and ``times`` (``inputs_s``, ``golden_s``,
  ``exact_s``, ``backend_s``: seconds on this machine; the only fields that differ between two runs).
"""

from __future__ import annotations

import os
import platform
from xml.etree import ElementTree as ET

SCHEMA_ID = "dsaops-verify-report"
SCHEMA_VERSION = 1

_NUM = {"type": "number"}
_NUM_OR_NULL = {"type": ["number", "null"]}
_STR_OR_NULL = {"type": ["string", "null"]}
_FIGURE = {"oneOf": [{"type": "number"}, {"type": "boolean"}, {"enum": ["inf", "-inf", "nan"]}]}


def _obj(props: dict, required: list | None = None, extra: bool = False) -> dict:
    return {"type": "object", "properties": props, "required": list(props) if required is None else required,
            "additionalProperties": extra}


SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"https://dsaops.invalid/schemas/{SCHEMA_ID}-{SCHEMA_VERSION}.json",
    "title": "dsaops verify --golden report",
    **_obj({
        "schema": {"const": SCHEMA_ID},
        "schema_version": {"const": SCHEMA_VERSION},
        "dsaops_version": {"type": "string"},
        "started_at": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"},
        "seconds": _NUM,
        "exit_code": {"type": "integer", "enum": [0, 11, 12, 14]},
        "selection": _obj({
            "ops": _STR_OR_NULL, "cases": {"type": "string"},
            "socs": {"type": ["array", "null"], "items": {"type": "string"}},
            "seed": {"type": ["integer", "null"]}, "backend": {"enum": ["auto", "twin", "npu"]},
            "backend_used": {"enum": ["twin", "npu"]}, "jobs": {"type": "integer", "minimum": 1},
        }),
        "package": _obj({
            "root": {"type": "string"},
            "source": {"enum": ["install-path", "build-dir", "ASCEND_CUSTOM_OPP_PATH", "config.ini", "last-install",
                                "build-output"]},
            "run_file": _STR_OR_NULL, "vendor": {"type": "string"}, "version": {"type": "string"},
            "arch": {"type": "string"}, "backend": {"type": "string"}, "source_revision": _STR_OR_NULL,
            "manifest_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "files_checked": {"type": "integer", "minimum": 0},
        }),
        "environment": _obj({
            "python": {"type": "string"}, "numpy": {"type": "string"}, "platform": {"type": "string"},
            "machine": {"type": "string"}, "cpu_count": {"type": ["integer", "null"]},
        }),
        "summary": _obj({
            "cases": {"type": "integer"}, "passed": {"type": "integer"}, "failed": {"type": "integer"},
            "errors": {"type": "integer"},
            "ops_by_status": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        }),
        "ops": {"type": "array", "items": _obj({
            "name": {"type": "string"},
            "status": {"enum": ["verified", "no_kernel", "missing", "no_golden", "no_cases", "not_in_opdefs"]},
            "socs": {"type": "array", "items": {"type": "string"}}, "detail": {"type": "string"},
        })},
        "cases": {"type": "array", "items": _obj({
            "op": {"type": "string"}, "case": {"type": "string"}, "tier": {"enum": ["smoke", "full"]},
            "soc": {"type": "string"}, "seed": {"type": "integer", "minimum": 0}, "params": {"type": "object"},
            "status": {"enum": ["pass", "fail", "error"]}, "error": _STR_OR_NULL,
            "outputs": {"type": "array", "items": _obj({
                "name": {"type": "string"}, "rule": {"type": "string"}, "passed": {"type": "boolean"},
                "figures": {"type": "object", "additionalProperties": _FIGURE}, "reason": {"type": "string"},
                "first_mismatch": _STR_OR_NULL,
            })},
            "key_figure": {"type": "string"},
            "run": {"oneOf": [{"type": "null"}, _obj({
                "backend": {"type": "string"}, "variant": {"type": "string"}, "block_dim": {"type": "integer"},
                "tiling_key": {"type": "integer"}, "tiling": {"type": "object"},
                "counters": {"type": "object", "additionalProperties": {"type": "integer"}},
            })]},
            "model": {"oneOf": [{"type": "null"}, _obj({
                "modelled_s": _NUM, "bound": {"type": "string"}, "floor_s": _NUM_OR_NULL, "gm_bytes": {"type": "integer"},
            })]},
            "times": _obj({"inputs_s": _NUM_OR_NULL, "golden_s": _NUM_OR_NULL, "exact_s": _NUM_OR_NULL,
                           "backend_s": _NUM_OR_NULL}),
        })},
    }),
}


def environment() -> dict:
    import numpy

    return {"python": platform.python_version(), "numpy": numpy.__version__,
            "platform": f"{platform.system()} {platform.release()}", "machine": platform.machine(),
            "cpu_count": os.cpu_count()}


def summary(op_rows: list[dict], records: list[dict]) -> dict:
    by_status: dict[str, list[str]] = {}
    for row in op_rows:
        by_status.setdefault(row["status"], []).append(row["name"])
    return {"cases": len(records), "passed": sum(r["status"] == "pass" for r in records),
            "failed": sum(r["status"] == "fail" for r in records),
            "errors": sum(r["status"] == "error" for r in records), "ops_by_status": by_status}


# ---- JUnit -----------------------------------------------------------------------------------------

def junit_xml(report: dict) -> bytes:
    """One <testsuite> per op; a case per (case, SoC); ops that could not be verified are testcases too
    (missing / no golden: error; no kernel: skipped with the reason), so nothing vanishes from a dashboard."""
    suites = ET.Element("testsuites", name="dsaops verify --golden", time=f"{report['seconds']:.3f}")
    by_op: dict[str, list[dict]] = {}
    for c in report["cases"]:
        by_op.setdefault(c["op"], []).append(c)
    for row in report["ops"]:
        cases = by_op.get(row["name"], [])
        suite = ET.SubElement(suites, "testsuite", name=row["name"])
        n = fail = err = skip = 0
        total = 0.0
        for c in cases:
            t = sum(v for v in c["times"].values() if v is not None)
            total += t
            n += 1
            tc = ET.SubElement(suite, "testcase", classname=f"dsaops.verify.{c['op']}", name=f"{c['case']}[{c['soc']}]",
                               time=f"{t:.3f}")
            if c["status"] == "fail":
                fail += 1
                f = ET.SubElement(tc, "failure", message=c["key_figure"], type="comparison")
                f.text = "\n".join(f"{o['name']} {o['rule']}: {'PASS' if o['passed'] else 'FAIL'} {o['figures']}"
                                   + (f" ({o['reason']}); first {o['first_mismatch']}" if not o["passed"] else "")
                                   for o in c["outputs"])
            elif c["status"] == "error":
                err += 1
                e = ET.SubElement(tc, "error", message=(c["error"] or "")[:200], type="could-not-run")
                e.text = c["error"]
            out = ET.SubElement(tc, "system-out")
            out.text = f"seed {c['seed']} params {c['params']} key {c['key_figure']}"
        if row["status"] != "verified":
            n += 1
            tc = ET.SubElement(suite, "testcase", classname=f"dsaops.verify.{row['name']}", name=f"<{row['status']}>",
                               time="0")
            if row["status"] in ("no_kernel", "no_cases"):
                skip += 1
                ET.SubElement(tc, "skipped", message=row["detail"])
            else:
                err += 1
                e = ET.SubElement(tc, "error", message=row["detail"], type=row["status"])
                e.text = row["detail"]
        suite.set("tests", str(n))
        suite.set("failures", str(fail))
        suite.set("errors", str(err))
        suite.set("skipped", str(skip))
        suite.set("time", f"{total:.3f}")
    ET.indent(suites)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="utf-8") + b"\n"


# ---- text ------------------------------------------------------------------------------------------

def fmt_s(seconds) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f}ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.1f}us"
    return f"{seconds * 1e9:.0f}ns"


def table(report: dict) -> str:
    head = ("op", "case", "soc", "result", "key figure", "golden", "backend", "modelled")
    rows = []
    for c in report["cases"]:
        result = {"pass": "pass", "fail": "FAIL", "error": "ERROR"}[c["status"]]
        key = c["key_figure"] if c["status"] != "error" else (c["error"] or "")[:90]
        golden = (c["times"]["golden_s"] or 0) + (c["times"]["exact_s"] or 0) if c["times"]["golden_s"] else None
        rows.append((c["op"], c["case"], c["soc"], result, key, fmt_s(golden), fmt_s(c["times"]["backend_s"]),
                     fmt_s(c["model"]["modelled_s"]) if c["model"] else "-"))
    for o in report["ops"]:
        if o["status"] != "verified":
            rows.append((o["name"], "-", ",".join(o["socs"]) or "-", o["status"].upper().replace("_", " "),
                         o["detail"], "-", "-", "-"))
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.ljust(w) if i < 5 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    s = report["summary"]
    tail = f"{s['cases']} case(s): {s['passed']} passed, {s['failed']} failed, {s['errors']} could not run"
    others = {k: v for k, v in s["ops_by_status"].items() if k != "verified"}
    if others:
        tail += "; ops " + "; ".join(f"{k.replace('_', ' ')}: {', '.join(v)}" for k, v in sorted(others.items()))
    return "\n".join([line(head)] + [line(r) for r in rows] + [tail])


def progress_line(done: int, total: int, elapsed: float, text: str, width: int = 20) -> str:
    filled = int(width * done / total) if total else width
    eta = "--:--" if done == 0 else _clock(elapsed / done * (total - done))
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} ETA {eta}  {text}"


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds // 60 % 60:02d}m"
