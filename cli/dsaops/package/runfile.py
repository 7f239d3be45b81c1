"""The self-extracting ``.run``: a POSIX sh header followed by a reproducible tar.gz payload.

Header facts are plain ``NAME=value`` lines that both the shell and ``read_run`` parse; the payload
starts on line ``HEADER_LINES + 1``. The installer scripts live in ``sh/`` beside this module.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError, PackageError

_SH = Path(__file__).with_name("sh")
_FACT = re.compile(r"([A-Z][A-Z0-9_]*)=(.*)")
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_.,+-]*")
FACTS = ("VENDOR", "VERSION", "ARCH", "BACKEND", "OPS", "SOCS", "PAYLOAD_SIZE", "PAYLOAD_SHA256", "HEADER_LINES")
_END = "# --- end of header: the payload follows ---"


def _script(name: str) -> str:
    return (_SH / name).read_text(encoding="utf-8")


def _facts_block(facts: dict[str, str]) -> str:
    lines = []
    for key, value in facts.items():
        if not _SAFE_VALUE.fullmatch(value):
            raise BuildError(f"package fact {key}: expected letters, digits and _.,+- only, got {value!r}")
        lines.append(f"{key}={value}")
    return "\n".join(lines) + "\n"


def uninstall_script(vendor: str) -> str:
    """scripts/uninstall.sh of the installed vendor folder."""
    return ("#!/bin/sh\n# Removes the " + vendor + " vendor package of dsaops and restores vendors/config.ini.\n"
            + _facts_block({"VENDOR": vendor}) + _script("common.sh") + _script("uninstall_main.sh"))


def make_run(payload: bytes, *, vendor: str, version: str, arch: str, backend: str,
             ops: list[str], socs: list[str]) -> bytes:
    facts = {
        "VENDOR": vendor, "VERSION": version, "ARCH": arch, "BACKEND": backend,
        "OPS": ",".join(ops), "SOCS": ",".join(socs),
        "PAYLOAD_SIZE": str(len(payload)), "PAYLOAD_SHA256": hashlib.sha256(payload).hexdigest(),
        "HEADER_LINES": "0",
    }
    body = _script("common.sh") + _script("run_main.sh") + _END + "\n"
    head = "#!/bin/sh\n# dsaops self-extracting CANN vendor package; run with --help\n"
    text = head + _facts_block(facts) + body
    lines = text.count("\n")
    text = text.replace("\nHEADER_LINES=0\n", f"\nHEADER_LINES={lines}\n", 1)  # the line count stays
    return text.encode("utf-8") + payload


@dataclass(frozen=True)
class RunFile:
    path: Path
    facts: dict[str, str]
    payload: bytes

    @property
    def vendor(self) -> str:
        return self.facts["VENDOR"]

    @property
    def arch(self) -> str:
        return self.facts["ARCH"]


def read_run(path: Path) -> RunFile:
    """Parse and verify a .run: its header facts, payload size and sha256. Raises PackageError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PackageError(f"{path}: cannot read the package ({exc.strerror})") from None
    if not data.startswith(b"#!/bin/sh\n# dsaops self-extracting"):
        raise PackageError(f"{path}: not a dsaops .run package (its first lines are not a dsaops header)")
    facts: dict[str, str] = {}
    offset = 0
    lines_seen = 0
    while True:
        end = data.find(b"\n", offset)
        if end < 0:
            raise PackageError(f"{path}: the package is truncated (its header has no end)")
        line = data[offset:end].decode("utf-8", "replace")
        offset = end + 1
        lines_seen += 1
        m = _FACT.fullmatch(line)
        if m and m.group(1) in FACTS and m.group(1) not in facts:
            facts[m.group(1)] = m.group(2)
        if line == _END:
            break
    missing = [k for k in FACTS if k not in facts]
    if missing:
        raise PackageError(f"{path}: the package header lacks {', '.join(missing)}")
    if int(facts["HEADER_LINES"]) != lines_seen:
        raise PackageError(f"{path}: the package header is damaged: HEADER_LINES says {int(facts['HEADER_LINES'])}, "
                           f"it has {lines_seen}")
    payload = data[offset:]
    if len(payload) != int(facts["PAYLOAD_SIZE"]):
        raise PackageError(f"{path}: the package is truncated or corrupt: payload has {len(payload)} bytes, "
                           f"expected {facts['PAYLOAD_SIZE']}")
    digest = hashlib.sha256(payload).hexdigest()
    if digest != facts["PAYLOAD_SHA256"]:
        raise PackageError(f"{path}: the package is corrupt: payload sha256 is {digest}, "
                           f"expected {facts['PAYLOAD_SHA256']}")
    return RunFile(path, facts, payload)
