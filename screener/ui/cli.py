"""The `screener` command line. Heavy modules are imported inside commands, so --help is quick.

Exit codes: 0 success; 1 input problems; 2 usage errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_common import fail, load_rulebook_or_exit, read_answers  # shared with `ask` (no import circle)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="screener")
def main() -> None:
    """Screen answers about restless legs syndrome (RLS) for plausible contributors,
    mimics to exclude and data gaps, each with its reasons and sources.

    A screening aid for clinicians, never a diagnosis.
    """


@main.command()
@click.argument("answers", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]),
              help="Report format [default: that of the -o file's extension, else text].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--no-pager", is_flag=True, help="Never page the report on a terminal.")
@click.option("--engine", type=click.Choice(["durable", "reference"]), default="durable", show_default=True,
              help="Rule engine (the reference evaluator gives identical findings).")
def score(answers: str, fmt: str | None, output: str | None, no_pager: bool, engine: str) -> None:
    """Score one respondent's ANSWERS (a JSON object of field: answer pairs, or a FHIR R4
    QuestionnaireResponse of the exported questionnaire; '-' reads stdin).

    The report starts with a summary (alerts first), then the details, the answers and the
    references; html is a self-contained page to print or attach to a record.
    """
    from ..io.interrupts import held

    with held():  # Ctrl-C waits until the modules are loaded (see screener/io/interrupts.py)
        import orjson  # noqa: F401 (read_answers uses it)

        from ..core.parse import parse_intake
        from .report_out import format_for, print_report, stamped, write_report
        from ..core.screening import Screener

    to_file = output not in (None, "-")
    fmt = fmt or (format_for(output) if to_file else "text")
    if fmt is None:
        raise click.BadParameter("cannot tell the format from the extension: give --format", param_hint="-o")

    data = read_answers(answers)
    name = "stdin" if answers == "-" else answers
    if isinstance(data, dict) and "resourceType" in data:  # a FHIR QuestionnaireResponse
        data = _response_answers(data, name)
    parsed = parse_intake(data)
    if parsed.intake is None:  # field and reason only: stderr may end up in a log
        fail([f"{name}: {problem.redacted}" for problem in parsed.errors])
    rulebook = load_rulebook_or_exit()
    with Screener(rulebook, engine) as screener:  # type: ignore[arg-type]
        report = screener.screen_parsed(parsed)
    for warning in parsed.warnings:
        click.echo(f"warning: {warning.redacted}", err=True)
    report = stamped(report)
    if not to_file:
        print_report(report, fmt, pager=not no_pager)
        return
    from ..io.batch_output import OutputError

    try:
        write_report(report, fmt, output, protected=[] if answers == "-" else [answers])  # type: ignore[arg-type]
    except OutputError as exc:
        fail(str(exc), 2)


def _response_answers(resource: dict, name: str) -> dict:
    """A FHIR QuestionnaireResponse's answers; exits 1 naming each problem (linkId and reason)."""
    from ..core.questionnaire import default_questionnaire
    from ..io.fhir_response import response_answers

    if resource.get("resourceType") != "QuestionnaireResponse":
        fail(f"{name}: a FHIR {resource.get('resourceType')!s:.40} is not answers; give one QuestionnaireResponse "
             "(a Bundle of them goes to `screener batch`)")
    answers, problems = response_answers(resource, default_questionnaire())
    if problems:
        fail([f"{name}: {field}: {reason}" for field, reason in problems])
    return answers


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Catalogue format (markdown is the reviewer's catalogue).")
def rules(fmt: str) -> None:
    """List every rule with its code, kind, evidence and sources."""
    from .catalogue import FORMATS

    click.echo(FORMATS[fmt](load_rulebook_or_exit()), nl=False)


@main.command()
def check() -> None:
    """Load the rulebook, lexicon and questionnaire and run every rule's examples in every engine; exit 1 on any problem."""
    from ..core.examples import check_all

    rulebook = load_rulebook_or_exit()
    count, problems = check_all(rulebook)
    if problems:
        fail([*problems, f"{len(problems)} problem(s) in {count} examples"])
    click.echo(f"ok: {len(rulebook.rules)} rules, {len(rulebook.sources)} sources, "
               f"{len(rulebook.lexicon.index)} medication names, {count} examples pass in all three engines (durable, reference, columnar)")
    from ..core.questionnaire import QuestionnaireError, default_questionnaire

    try:
        questionnaire = default_questionnaire()
    except QuestionnaireError as exc:
        fail(["The questionnaire has problems:", *[f"  {p}" for p in exc.problems]])
    click.echo(f"ok: questionnaire {questionnaire.id} asks every intake field ({len(questionnaire.questions)} questions)")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["fhir", "redcap"]), required=True,
              help="fhir: an R4 Questionnaire (JSON); redcap: a REDCap data dictionary (CSV).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write to this file (atomically) instead of stdout.")
def export(fmt: str, output: str | None) -> None:
    """Write the questionnaire as a FHIR R4 Questionnaire or a REDCap data dictionary, generated
    from questionnaires/rls_intake.yaml (the same file gives the same bytes)."""
    from ..core.questionnaire import QuestionnaireError, default_questionnaire
    from ..io.batch_output import OutputError, write_atomically

    try:
        questionnaire = default_questionnaire()
    except QuestionnaireError as exc:
        fail(["The questionnaire has problems:", *[f"  {p}" for p in exc.problems]])
    if fmt == "fhir":
        import json

        from ..io.fhir import questionnaire_resource

        text = json.dumps(questionnaire_resource(questionnaire), indent=2, ensure_ascii=False) + "\n"
    else:
        from ..io.redcap import dictionary_csv

        text = dictionary_csv(questionnaire)
    try:
        write_atomically(text, None if output == "-" else output)
    except OutputError as exc:
        fail(str(exc), 2)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "csv"]), default="text",
              show_default=True, help="markdown is docs/fields.md; csv is a blank template with the headers.")
def fields(fmt: str) -> None:
    """List the intake fields: id, label, type, unit and accepted units, range, choices and accepted
    spellings, when each is asked, its FHIR linkId and LOINC code and its REDCap variable name."""
    from ..core.fields_ref import render
    from ..core.questionnaire import QuestionnaireError, default_questionnaire

    try:
        questionnaire = default_questionnaire()
    except QuestionnaireError as exc:
        fail(["The questionnaire has problems:", *[f"  {p}" for p in exc.problems]])
    click.echo(render(questionnaire, fmt), nl=False)


def _report_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .render import EXTENSIONS

    if value and Path(value).suffix.lower() not in EXTENSIONS:
        raise click.BadParameter(f"the format follows the extension: use {', '.join(EXTENSIONS)}")
    return value


@main.command()
@click.option("--answers-out", type=click.Path(dir_okay=False, writable=True),
              help="Also write the answers as JSON that `screener score` accepts.")
@click.option("--report-out", type=click.Path(dir_okay=False, writable=True), callback=_report_path,
              help="Also write the report: JSON (.json), Markdown (.md), HTML (.html) or text (.txt).")
@click.option("--resume", type=click.Path(dir_okay=False, exists=True),
              help="Continue from a progress file saved when the questionnaire was interrupted.")
@click.option("--no-pager", is_flag=True, help="Never page the report on a terminal.")
def ask(answers_out: str | None, report_out: str | None, resume: str | None, no_pager: bool) -> None:
    """Ask the questionnaire in the terminal, review the answers, show the report.

    Type ? for why a question is asked, back to go back, unsure or skip where allowed.
    Ctrl-C saves progress; answers can also be piped in, one per line.
    """
    from ..io.interrupts import held

    with held():  # Ctrl-C waits until the modules are loaded (see screener/io/interrupts.py)
        from .ask import run_ask

    run_ask(*(Path(p) if p else None for p in (answers_out, report_out, resume)), pager=not no_pager)


@main.command()
@click.argument("name", type=click.Choice(["report"]))
def schema(name: str) -> None:
    """Print the JSON Schema of a JSON output: report (`score --format json`, `ask --report-out
    FILE.json`, each line of `batch --format jsonl`)."""
    from ..core.paths import schemas_dir

    click.echo((schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8"), nl=False)


@main.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Output file, written atomically ('-' or none: stdout).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True,
              help="CSV with finding codes per kind, or JSON Lines with full reports.")
@click.option("--mapping", type=click.Path(dir_okay=False, exists=True),
              help="YAML file mapping other headers, answer labels and missing-data codes onto the intake.")
@click.option("--redcap-dictionary", type=click.Path(dir_okay=False, exists=True),
              help="A REDCap data dictionary (`screener export --format redcap`, or a site's copy): read REDCap "
                   "raw or label exports by it.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes [default: the number of cores].")
@click.option("--strict", is_flag=True, help="Exit 1 when any row is invalid or could not be scored.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--delimiter", type=click.Choice([",", ";", "tab", "|"]),
              help="CSV delimiter [default: detected from the header].")
@click.option("--engine", type=click.Choice(["durable", "reference", "columnar"]),
              help="Rule engine: columnar (compiled column expressions, proven equal to durable-rules), durable "
                   "(durable-rules, the engine of record) or reference (plain Python) [default: columnar for CSV "
                   "output of CSV inputs over 1 MB, else durable; the output is the same].")
@click.option("--worker-timeout", type=click.FloatRange(min=0.1), default=300, show_default=True, metavar="SECONDS",
              help="A worker process that makes no progress on a chunk for this long is stopped; its rows are "
                   "retried one by one.")
@click.option("--verify-sample", type=click.IntRange(min=0), default=0, metavar="N",
              help="Score about N random rows again with durable-rules during a columnar run, and stop without "
                   "output on any difference.")
@click.option("--cluster", metavar="local[N]|dask://HOST:PORT",
              help="Score on a Dask cluster: local[N] starts N workers here; dask://HOST:PORT joins a scheduler "
                   "(pip install 'screener[dask]').")
def batch(inputs: tuple[str, ...], output: str | None, fmt: str, mapping: str | None, redcap_dictionary: str | None,
          jobs: int | None, strict: bool, quiet: bool, delimiter: str | None, engine: str | None, worker_timeout: float,
          verify_sample: int, cluster: str | None) -> None:
    """Score every row of each INPUT (CSV, JSON Lines or Parquet; FHIR QuestionnaireResponses as
    JSON Lines or a .json Bundle; a glob; '-' reads stdin), one output row per input row; several
    inputs are read as one, row numbers running on.

    Rows that fail validation are kept with status invalid and their errors; a summary goes
    to stderr. Exit 0, or 1 with --strict when any row is not ok; 2 when the file cannot be read
    or the output cannot be written; 130 on Ctrl-C, 143 on SIGTERM, 129 on SIGHUP.
    """
    import os

    from ..io.interrupts import Stopped, held, stop_on_signals

    if mapping and redcap_dictionary:
        raise click.UsageError("give --mapping or --redcap-dictionary, not both: the dictionary is the mapping")

    streamed = output in (None, "-") or str(output).startswith("/dev/")  # written as it goes, not at the end
    unwritten = "the output is incomplete" if streamed else "no output written"

    try:  # Ctrl-C, SIGTERM or SIGHUP, even while the modules load, end the run the same way
        with stop_on_signals():
            with held():
                from ..io.mapping import load_mapping  # noqa: F401 (loaded here, where a signal waits)
                from ..core.rulebook import default_rulebook  # noqa: F401
                from ..io.batch import BatchOptions, VerifyFailed, default_engine, run_batch
                from ..io.csv_input import InputError
                from ..io.cluster import ClusterFailed
                from ..io.workers import WorkersFailed

            options = BatchOptions(list(inputs), output, fmt, mapping, jobs, "\t" if delimiter == "tab" else delimiter,
                                   engine, progress=not quiet and sys.stderr.isatty(), worker_timeout=worker_timeout,
                                   cluster=cluster, redcap_dictionary=redcap_dictionary, verify_sample=verify_sample)
            if verify_sample and default_engine(options, None) != "columnar":
                raise click.UsageError("--verify-sample checks the columnar engine: use it with --engine columnar "
                                       "(the default for CSV output without --cluster)")
            try:
                tally = run_batch(options, lambda line: click.echo(f"note: {line}", err=True))
            except InputError as exc:
                fail(str(exc), 2)
            except (WorkersFailed, ClusterFailed, VerifyFailed) as exc:
                fail(f"stopped: {exc}; {unwritten}", 1)
    except Stopped as exc:
        fail(f"stopped by {exc.name}: {unwritten}", 128 + exc.signum)
    except KeyboardInterrupt:
        fail(f"interrupted: {unwritten}", 130)
    except BrokenPipeError:  # the reader of stdout went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if not quiet:
        for line in tally.lines():
            click.echo(line, err=True)
    if strict and (tally.invalid or tally.error):
        sys.exit(1)


@main.command()
@click.argument("results", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["html", "json"]),
              help="Report format [default: json for a .json file, else html].")
@click.option("--date", metavar="YYYY-MM-DD", help="Date to print on the report [default: none, so that the same "
                                                    "input gives the same bytes; SOURCE_DATE_EPOCH when set].")
def report(results: str, output: str | None, fmt: str | None, date: str | None) -> None:
    """Summarise a cohort from the output of `screener batch` (RESULTS: its JSON Lines, or its
    CSV; '-' reads stdin): counts at each stage, missing data, each finding as n/N with a Wilson
    95 % interval overall and by sex, age band and pregnancy, contributors found together, and
    ferritin and TSAT plots, as one self-contained HTML page (or JSON). Exit 2 when the results
    cannot be read or the report cannot be written.
    """
    from .cohort_html import run_report

    run_report(results, output, fmt, date)


if __name__ == "__main__":  # pragma: no cover
    main()
