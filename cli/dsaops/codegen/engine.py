"""The jinja2 environment: strict, whitespace-predictable, no logic beyond loops and holes."""

from __future__ import annotations

from pathlib import Path

import jinja2

from ..errors import TemplateError


def _cpp_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _upper(name: str) -> str:
    return name.upper()


class Engine:
    """Renders ``*.j2`` templates from one folder; a missing variable is an error naming it."""

    def __init__(self, root: Path):
        self.root = root
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(root)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
        )
        self.env.filters.update(cpp_string=_cpp_string, camel=_camel, upper=_upper)

    def render_text(self, text: str, context: dict, where: str) -> str:
        """Render a small template string (used for templated file names)."""
        try:
            return self.env.from_string(text).render(**context)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{where}: {exc}") from None

    def render(self, rel: str, context: dict) -> str:
        try:
            return self.env.get_template(rel).render(**context)
        except jinja2.UndefinedError as exc:
            line = _template_line(exc, rel)
            raise TemplateError(f"templates/{rel}:{line}: undefined variable: {exc.message}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"templates/{rel}:{exc.lineno}: template syntax error: {exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"template not found: {exc.name}") from None


def _template_line(exc: BaseException, rel: str) -> int:
    """Line in the template where rendering failed (from the traceback jinja rewrites)."""
    tb = exc.__traceback__
    line = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(rel):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
