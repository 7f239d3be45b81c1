"""Typed errors of dsaops. Library code raises these; the CLI maps each class to an exit code."""

from __future__ import annotations

from dataclasses import dataclass


class DsaopsError(Exception):
    """Base of every error dsaops raises on purpose (never a bug)."""

    exit_code = 1


@dataclass(frozen=True)
class Location:
    """A place in a source file (1-based line; 0 when unknown)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class OpdefIssue:
    """One problem found in an opdef file."""

    location: Location
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text


class OpdefError(DsaopsError):
    """One or more opdef files are invalid; carries every issue found in the run.

    The message lists the first ``MAX_SHOWN`` issues and counts the rest, so a badly broken
    file cannot flood the terminal; ``issues`` keeps what was collected, ``count`` the total.
    """

    exit_code = 3
    MAX_SHOWN = 50

    def __init__(self, issues: list[OpdefIssue] | tuple[OpdefIssue, ...], dropped: int = 0):
        self.issues = tuple(issues)
        self.count = len(self.issues) + dropped
        head = f"{self.count} error{'s' if self.count != 1 else ''} in op definitions"
        shown = [str(i) for i in self.issues[: self.MAX_SHOWN]]
        if self.count > len(shown):
            shown.append(f"... and {self.count - len(shown)} more")
        super().__init__(head + ":\n" + "\n".join(shown))


class ConstraintError(DsaopsError, ValueError):
    """Arguments given to an op violate its declared constraints."""

    exit_code = 4


class CaseError(DsaopsError, ValueError):
    """A test case is unknown or its parameters are invalid."""

    exit_code = 4


class TemplateError(DsaopsError):
    """A template failed to render (missing variable, syntax error)."""

    exit_code = 5


class GenerationError(DsaopsError):
    """Generated output is inconsistent (duplicate output path, stale files under --check)."""

    exit_code = 6


class UsageError(DsaopsError):
    """The command line asked for something that does not exist (unknown op, bad glob)."""

    exit_code = 2


class NotAvailable(DsaopsError):
    """The command exists but its capability is not built yet."""

    exit_code = 7


class OutOfDate(DsaopsError):
    """A --check run found generated files that would change."""

    exit_code = 8


class BuildError(DsaopsError):
    """A configure, compile or packaging step failed; the message names the op, the file and the log."""

    exit_code = 9


class PackageError(DsaopsError):
    """A package is refused (corrupt, unsafe, another architecture) or cannot be installed or removed."""

    exit_code = 10


# exit code -> error class, for the CLI's documentation and tests
EXIT_CODES = {
    0: "success",
    1: "internal error (a bug in dsaops: please report it with the traceback)",
    2: "usage error (unknown op, bad option or folder)",
    3: "invalid op definition",
    4: "invalid arguments or case parameters for an op",
    5: "template error",
    6: "inconsistent generated output",
    7: "command not available yet",
    8: "generated files are out of date (--check)",
    9: "build failed (the message names the op, the file and the log)",
    10: "package refused or install/uninstall failed (nothing was written)",
    130: "interrupted (Ctrl-C); an interrupted export leaves no partial case",
    143: "terminated (SIGTERM); cleaned up like an interrupt",
}
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
