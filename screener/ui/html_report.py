"""The printable one-person report: a self-contained HTML page (templates/report.html.j2).

Inline CSS (templates/report.css, with print rules for A4 and Letter), no script and no
resource from elsewhere, so it opens offline, prints cleanly and can be attached to a record.
jinja2 escapes every value (autoescape), so an answer holding markup shows as written.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from ..core.models import Report
from ..core.paths import templates_dir
from .layout import build_layout, cite, texts

if TYPE_CHECKING:
    from jinja2 import Environment


@cache
def environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(templates_dir()), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def to_html(report: Report) -> str:
    layout = build_layout(report)
    kinds = {kind: words["one"] for kind, words in texts()["kinds"].items()}
    return environment().get_template("report.html.j2").render(layout=layout, kinds=kinds, cite=cite)
