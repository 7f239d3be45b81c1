"""Names and places shared by the builder, the .run file and the installer.

The installed tree follows CANN's vendor layout: ``<opp>/vendors/<vendor>/`` with op_api, op_impl,
op_proto, framework, scripts/uninstall.sh, version.info and bin/set_env.bash. dsaops adds its own
folder ``dsaops/`` (manifest, twin libraries, the op project sources).
"""

from __future__ import annotations

import platform
import re

from ..errors import UsageError

# A vendor name lands in folder names, config.ini's comma list, JSON, sed patterns and shell
# variables: letters, digits and underscores only, starting with a letter.
_VENDOR = re.compile(r"[a-z][a-z0-9_]{0,47}")

# Folders every package carries, even when a backend leaves some empty (CANN's own installer
# creates the same set).
VENDOR_DIRS = (
    "bin",
    "framework",
    "op_api/include",
    "op_api/lib",
    "op_impl/ai_core/tbe/config",
    "op_impl/ai_core/tbe/kernel",
    "op_impl/ai_core/tbe/op_tiling",
    "op_proto/inc",
    "op_proto/lib",
    "scripts",
)

OWN_DIR = "dsaops"  # dsaops's files inside the vendor folder
MANIFEST_IN_PACKAGE = f"{OWN_DIR}/manifest.json"
INSTALL_RECORD = f"{OWN_DIR}/install.info"  # written at install time: what config.ini looked like before
KNOWN_ARCHES = ("x86_64", "aarch64")


def validate_vendor(name: str) -> str:
    """Return ``name`` or raise a UsageError that says what a vendor name may contain."""
    if not isinstance(name, str) or not _VENDOR.fullmatch(name):
        raise UsageError(f"--vendor: expected lower-case letters, digits and '_' starting with a letter "
                         f"(at most 48 characters; it becomes a folder, a config.ini entry and a shell word), "
                         f"got {name!r}")
    return name


def host_arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def run_file_name(vendor: str, version: str, arch: str) -> str:
    return f"dsaops_{vendor}_{version}_linux-{arch}.run"
