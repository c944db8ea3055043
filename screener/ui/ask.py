"""`screener ask`: the questionnaire in a terminal, then the report on screen.

The person may type `back` (previous question), `?` or `help` (why we ask), `unsure`, `skip`
or Enter (skip, or keep the current answer). A review screen lists every answer and lets any
be changed before scoring. Ctrl-C (or the end of piped input) saves the answers so far to a
progress file, written atomically; `--resume FILE` continues from it.

When stdin is not a terminal the same dialogue runs on plain lines, one answer per line, so it
can be scripted; each answer read is echoed so that a transcript reads like the session.

Answers are shown only where they belong (the current answer, the review table, the report);
a rejected answer or a warning is explained by its reason alone, and every problem with a
progress file or an output file names the file, the field and the reason, never a value.
Everything printed passes through `printable`, so no answer can send escape sequences.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .cli_common import fail, load_rulebook_or_exit, read_json
from ..core.questionnaire import AnswerError, Question, Questionnaire, default_questionnaire
from .safe_text import printable

PROGRESS_FORMAT = "screener-ask-progress"
PROGRESS_VERSION = 1
DEFAULT_PROGRESS = "screener-progress.json"
BACK = object()
EXIT_INTERRUPTED = 130


class Stop(Exception):
    """The person stopped (Ctrl-C) or the input ended before the questionnaire was done."""

    def __init__(self, why: str):
        self.why = why  # "interrupt" or "eof"
        super().__init__(why)


# ---------------------------------------------------------------------------------------------
# Files

def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path` (mode 0600), then rename it over `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_progress(path: Path, questionnaire: Questionnaire, answers: dict[str, Any]) -> None:
    data = {"format": PROGRESS_FORMAT, "version": PROGRESS_VERSION, "questionnaire": questionnaire.id,
            "answers": questionnaire.effective(answers)}
    write_atomic(path, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")


def load_progress(path: Path, questionnaire: Questionnaire) -> dict[str, Any]:
    """The answers of a progress file that apply; exits 1 naming each problem (never a value).

    The file may have been edited by hand (or by anyone): nothing read from it is echoed.
    """
    data = read_json(path, "a progress file written by screener ask")
    if not isinstance(data, dict) or data.get("format") != PROGRESS_FORMAT:
        fail(f"{path}: not a progress file written by screener ask")
    if data.get("questionnaire") != questionnaire.id:
        fail(f"{path}: progress of another questionnaire, not of {questionnaire.id!r}")
    answers = data.get("answers")
    problems = questionnaire.check_all(answers)
    if problems:
        fail([f"{path}: {problem.redacted}" for problem in problems])
    return questionnaire.effective(answers)  # answers to questions that do not apply were never checked


def progress_path(resume: Path | None) -> Path:
    """Where to save progress: the resumed file, else a new file in the current folder."""
    if resume is not None:
        return Path(resume)
    path, n = Path(DEFAULT_PROGRESS), 1
    while path.exists():
        n += 1
        path = Path(f"screener-progress-{n}.json")
    return path


# ---------------------------------------------------------------------------------------------
# The dialogue

class Screen:
    """Output through rich (plain when not a terminal or NO_COLOR), input one line at a time."""

    def __init__(self, interactive: bool):
        self.interactive = interactive
        self.console = Console(highlight=False)
        self.console.soft_wrap = not self.console.is_terminal  # piped output: one line per line
        if interactive:
            try:
                import readline  # noqa: F401 - line editing for input()
            except ImportError:  # pragma: no cover - platforms without readline
                pass

    def say(self, text: str = "", style: str | None = None) -> None:
        self.console.print(Text(printable(text), style=style or ""))

    def read(self, prompt: str = "> ") -> str:
        try:
            text = input(prompt)
        except EOFError:
            raise Stop("eof") from None
        except KeyboardInterrupt:
            raise Stop("interrupt") from None
        if not self.interactive:  # the transcript shows the answer, as a terminal would (minus escapes)
            print(printable(text), flush=True)
        return text


@dataclass
class Session:
    questionnaire: Questionnaire
    screen: Screen
    answers: dict[str, Any]

    def run(self) -> dict[str, Any]:
        """Ask until the review is confirmed; returns the answers that apply.

        Walking forward shows every question in turn (answered ones with their current answer).
        A change chosen at the review asks only what it newly opens up, then the review again.
        """
        q = self.questionnaire
        index = self._first_unanswered(after=-1)
        chosen_at_review = filling = False
        while True:
            if index is None:
                chosen = self.review()
                if chosen is None:
                    return q.effective(self.answers)
                index, chosen_at_review, filling = q.index[chosen], True, True
            question = q.questions[index]
            result = self.ask(question)
            if result is BACK:
                if chosen_at_review:
                    index, chosen_at_review = None, False
                    continue
                previous = self._previous(index)
                if previous is None:
                    self.screen.say("This is the first question.", "yellow")
                else:
                    index = previous
                continue
            self.answers = q.effective({**self.answers, question.id: result})
            chosen_at_review = False
            index = self._first_unanswered(after=index) if filling else self._next(index)

    # -- navigation ----------------------------------------------------------------------------

    def _applicable(self) -> list[int]:
        return [self.questionnaire.index[x.id] for x in self.questionnaire.applicable(self.answers)]

    def _next(self, index: int) -> int | None:
        """The next question that applies (answered or not), else any unanswered one."""
        later = [i for i in self._applicable() if i > index]
        return later[0] if later else self._first_unanswered(after=-1)

    def _first_unanswered(self, after: int) -> int | None:
        questions = self.questionnaire.questions
        todo = [i for i in self._applicable() if questions[i].id not in self.answers]
        later = [i for i in todo if i > after]
        return (later or todo or [None])[0]

    def _previous(self, index: int) -> int | None:
        earlier = [i for i in self._applicable() if i < index]
        return earlier[-1] if earlier else None

    # -- one question --------------------------------------------------------------------------

    def ask(self, question: Question) -> Any:
        """Show a question and read answers until one is accepted; BACK to go back."""
        q, say = self.questionnaire, self.screen.say
        applicable = [x.id for x in q.applicable(self.answers)]
        number = applicable.index(question.id) + 1 if question.id in applicable else len(applicable)
        say()
        say(f"Question {number} of {len(applicable)} · {q.sections.get(question.section, question.section)}", "dim")
        say(question.text, "bold")
        say(f"({question.hint()}; ? for help, back to go back)", "dim")
        if question.id in self.answers:
            say(f"Current answer: {question.show(self.answers[question.id])} (Enter keeps it)", "cyan")
        while True:
            text = self.screen.read()
            token = text.strip().lower()
            if token in ("?", "help"):
                say(f"Why we ask: {question.help}", "green")
                continue
            if token == "back":
                return BACK
            if not token and question.id in self.answers:
                return self.answers[question.id]
            try:
                checked = q.check(question, text, self.answers)
            except AnswerError as exc:  # the reason only: the answer is on the line above
                say(f"Not accepted: {exc.reason}. Please answer again ({question.hint()}).", "red")
                continue
            for warning in checked.warnings:
                reason = (warning.reason or warning.message).removesuffix("; please check")
                say(f"Please check: {reason} (type back to change it)", "yellow")
            return checked.value

    # -- review --------------------------------------------------------------------------------

    def review(self) -> str | None:
        """List every answer; returns the id of a question to change, or None to score."""
        applicable = self.questionnaire.applicable(self.answers)
        table = Table(title="Your answers", show_lines=False, expand=False)
        table.add_column("No.", justify="right")
        table.add_column("Question")
        table.add_column("Answer")
        for number, question in enumerate(applicable, 1):
            shown = question.show(self.answers.get(question.id))  # Text: an answer is never read as markup
            table.add_row(str(number), Text(question.spec.title), Text(printable(shown)))
        self.screen.say()
        self.screen.console.print(table)
        numbers = {str(n): question.id for n, question in enumerate(applicable, 1)}
        while True:
            self.screen.say("Type a number to change that answer, or press Enter to see the report.", "bold")
            text = self.screen.read().strip().lower()
            if text in ("", "done", "ok"):
                return None
            if text in numbers:
                return numbers[text]
            self.screen.say(f"Not accepted: type a number from 1 to {len(applicable)}, or press Enter.", "red")


# ---------------------------------------------------------------------------------------------
# The command

def run_ask(answers_out: Path | None, report_out: Path | None, resume: Path | None, pager: bool = True) -> None:
    """The whole `screener ask`: questions, review, report on screen (paged when long), optional files."""
    for out in (answers_out, report_out):
        if out is not None and not Path(out).resolve().parent.is_dir():
            fail(f"{out}: the folder {Path(out).resolve().parent} does not exist", 2)
    questionnaire = default_questionnaire()
    answers = load_progress(resume, questionnaire) if resume else {}
    screen = Screen(interactive=sys.stdin.isatty())
    screen.say(questionnaire.title, "bold")
    if resume:
        screen.say(f"Continuing from {resume} ({len(answers)} answers so far).")
    else:
        screen.say("Answer each question and press Enter. Type ? for why we ask, back to go back; "
                   "Ctrl-C saves your answers so you can continue later.")
    session = Session(questionnaire, screen, answers)
    try:
        final = session.run()
    except Stop as stop:
        screen.say()
        if not session.answers:
            fail("Stopped before any answer was given; nothing saved.", EXIT_INTERRUPTED if stop.why == "interrupt" else 1)
        path = progress_path(resume)
        save_progress(path, questionnaire, session.answers)
        why = "Stopped" if stop.why == "interrupt" else "The input ended before the questionnaire was finished"
        fail([f"{why}. Progress saved to {path}.", f"Continue with: screener ask --resume {path}"],
             EXIT_INTERRUPTED if stop.why == "interrupt" else 1)
    given = {k: v for k, v in final.items() if v is not None}
    if answers_out:
        try:
            _write(answers_out, orjson.dumps(given, option=orjson.OPT_INDENT_2) + b"\n", screen)
        except OSError as exc:  # the answers must not be lost with the file
            path = progress_path(resume)
            save_progress(path, questionnaire, final)
            fail([f"{answers_out}: cannot write: {exc.strerror or exc}",
                  f"The answers are saved to {path}; continue with: screener ask --resume {path}"])
    from .report_out import format_for, report_bytes, stamped
    from .terminal import show_report

    report = stamped(_score(given))
    screen.say()
    show_report(report, screen.console, pager)
    if report_out:
        try:
            _write(report_out, report_bytes(report, format_for(report_out) or "json"), screen)
        except OSError as exc:
            fail(f"{report_out}: cannot write: {exc.strerror or exc}")


def _score(given: dict[str, Any]):
    from ..core.parse import parse_intake
    from ..core.screening import Screener

    parsed = parse_intake(given)
    if parsed.intake is None:  # cannot happen: every answer was checked against all the others
        fail([problem.redacted for problem in parsed.errors])
    with Screener(load_rulebook_or_exit()) as screener:
        return screener.screen_parsed(parsed)


def _write(path: Path, data: bytes, screen: Screen) -> None:
    write_atomic(Path(path), data)
    screen.say(f"Wrote {path}", "dim")
