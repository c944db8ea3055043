"""`screener report`: the cohort report of a `screener batch` output, as one self-contained HTML
page (templates/cohort.html.j2: inline CSS, inline SVG plots, no script, nothing loaded from
elsewhere) or as JSON with the same numbers.

The same input gives the same bytes: no time is stamped unless `--date` (or
`SOURCE_DATE_EPOCH`) gives one, and the plots' SVG ids are fixed (`cohort_plots`).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .cli_common import fail, load_rulebook_or_exit

if TYPE_CHECKING:
    from jinja2 import Environment

FORMAT_WORDS = {"jsonl": "JSON Lines reports of screener batch", "csv": "CSV of screener batch"}
KIND_HEADINGS = {"alert": "Alerts", "contributor": "Plausible secondary contributors",
                 "primary_indicator": "Pointers to primary RLS", "mimic": "Mimics to exclude", "data_gap": "Data gaps"}
LEVEL_WORDS = {"female": "Female", "male": "Male", "other": "Other", "not given": "Not given",
               "pregnant": "Pregnant", "not pregnant": "Not pregnant",
               "not asked or not given": "Not asked or not given"}
REASON_HEADINGS = (("invalid", "Most frequent reasons for invalid rows"),
                   ("error", "Most frequent reasons for error rows"),
                   ("warning", "Most frequent warnings on scored rows"))
HISTOGRAMS = (("ferritin_ng_ml", "Serum ferritin (log scale; dashed lines at 75 and 100 ng/mL)"),
              ("tsat_percent", "Transferrin saturation (dashed line at 20 %)"))
NO_ANSWERS = ("Not available: the batch CSV holds the finding codes but not the answers. Make the report from "
              "the JSON Lines output (screener batch --format jsonl) for missing data, subgroups and distributions.")


def run_report(results: str, output: str | None, fmt: str | None, date: str | None) -> None:
    """Read the results, write the report; exits 2 when the results cannot be read (naming the
    line) or the report cannot be written."""
    from ..io.batch_output import OutputError, write_atomically
    from .cohort import Cohort
    from .cohort_read import Results, ResultsError

    fmt = fmt or ("json" if output and Path(output).suffix.lower() == ".json" else "html")
    date = _date(date)
    rulebook = load_rulebook_or_exit()
    try:
        with Results(results) as source:
            cohort = Cohort(rulebook, with_answers=source.format == "jsonl")
            for result in source:
                cohort.add(result)
    except ResultsError as exc:
        fail(str(exc), 2)
    from ..core.models import Report

    summary = cohort.summary(source, Report().tool, date)
    if fmt == "json":
        import orjson

        text = orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        from . import cohort_plots

        plots = cohort_plots.draw(summary) if cohort_plots.available() else None
        if plots is None:
            click.echo(f"note: plots need matplotlib ({cohort_plots.INSTALL_HINT}); the tables are written", err=True)
        text = to_html(summary, plots)
    try:
        write_atomically(text, output, [] if results == "-" else [results])
    except OutputError as exc:
        fail(str(exc), 2)
    except BrokenPipeError:  # the reader of stdout went away: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if output not in (None, "-"):
        stages = summary["stages"]
        respondents = stages["respondents"]
        click.echo(f"{output}: {respondents} respondent{'' if respondents == 1 else 's'}, {stages['scored']} scored",
                   err=True)


def _date(date: str | None) -> str | None:
    """The report's date: --date (YYYY-MM-DD), else SOURCE_DATE_EPOCH's day (UTC), else none."""
    if date:
        try:
            return dt.date.fromisoformat(date).isoformat()
        except ValueError:
            raise click.BadParameter("expected a date as YYYY-MM-DD", param_hint="--date") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date().isoformat() if epoch.isdigit() else None


# -- the page -----------------------------------------------------------------------------------

def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from ..core.paths import templates_dir

    env = Environment(loader=FileSystemLoader(templates_dir()), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(count=_count, pct=_pct, ci=_ci, share=_share, quartiles=_quartiles,
                       level_word=lambda level: LEVEL_WORDS.get(level, level))
    return env


def to_html(summary: dict[str, Any], plots: dict[str, str] | None) -> str:
    """The page; `plots` are SVG elements by name, or None when matplotlib is not installed."""
    from markupsafe import Markup

    from .cohort_plots import INSTALL_HINT

    findings = summary["findings"]
    kinds = [(kind, heading, [f for f in findings if f["kind"] == kind]) for kind, heading in KIND_HEADINGS.items()]
    numbers = {name: i for i, name in enumerate((n for n in ("prevalence", "sets", "ferritin_ng_ml", "tsat_percent")
                                                 if plots and n in plots), 1)}
    page = _environment().get_template("cohort.html.j2").render(
        s=summary, kinds=[k for k in kinds if k[2]], strata_tables=_strata_tables(summary),
        plots={name: Markup(svg) for name, svg in (plots or {}).items()}, figure_numbers=numbers,
        plots_missing=None if plots is not None else f"Plots need matplotlib: {INSTALL_HINT}. The tables hold "
                                                     "every number.",
        formats=FORMAT_WORDS, reason_headings=REASON_HEADINGS, histograms=HISTOGRAMS, no_answers=NO_ANSWERS)
    return page


def _strata_tables(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One table per subgroup variable: a row per finding that some respondent had."""
    if not summary["strata"]:
        return []
    shown = [f for f in summary["findings"] if f["n"]]
    tables = []
    for name, stratum in summary["strata"].items():
        used = [i for i, level in enumerate(stratum["levels"]) if level["n"]]  # subgroups with respondents

        def cells(finding: dict[str, Any], name: str = name, used: list[int] = used) -> list[dict[str, Any]]:
            return [finding["by"][name][i] for i in used]

        groups = [(kind, heading, rows) for kind, heading in KIND_HEADINGS.items()
                  if (rows := [{"code": f["code"], "cells": cells(f)} for f in shown if f["kind"] == kind])]
        tables.append({"heading": stratum["heading"], "levels": [stratum["levels"][i] for i in used], "groups": groups})
    return tables


def _count(n: int | None) -> str:
    return "–" if n is None else f"{n:,}"


def _pct(p: float | None) -> str:
    return "–" if p is None else f"{p * 100:.1f}"


def _ci(interval: list[float] | None) -> str:
    return "–" if not interval else f"{interval[0] * 100:.1f}–{interval[1] * 100:.1f}"


def _share(n: int | None, total: int | None) -> str:
    return "–" if n is None or not total else f"{n / total * 100:.1f}"


def _quartiles(q: dict[str, Any]) -> str:
    if None in (q["q1"], q["median"], q["q3"]):
        return "–"
    return f"{q['median']:g} ({q['q1']:g}–{q['q3']:g})"
