"""Shared test helpers: every CLI run checks its exit code and that no exception escaped.

click's CliRunner catches exceptions and keeps them in `result.exception`; a test that reads
only stdout cannot see a crash. `invoke` fails the test when the exit code differs from the
one expected, or when anything but a clean `sys.exit` ended the command.
"""

from __future__ import annotations

import traceback
from typing import Any

from click.testing import CliRunner, Result

from screener.ui.cli import main


def invoke(args: list[str], *, code: int = 0, input: str | bytes | None = None,
           env: dict[str, str] | None = None, runner: CliRunner | None = None) -> Result:
    """Run `screener ARGS` in-process; assert the exit code and that no exception escaped."""
    result = (runner or CliRunner()).invoke(main, args, input=input, env=env)
    check(result, code)
    return result


def check(result: Result, code: int) -> None:
    """Fail unless the run ended by sys.exit (or returned) with `code`."""
    escaped: Any = result.exception
    if escaped is not None and not isinstance(escaped, SystemExit):
        details = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else repr(escaped)
        raise AssertionError(f"an exception escaped the command:\n{details}\nstderr:\n{result.stderr}")
    assert result.exit_code == code, (
        f"exit code {result.exit_code}, expected {code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")


def typed_lines(answers: dict[str, str]) -> list[str]:
    """The lines a person types to answer `screener ask` in order (blank where `answers` has nothing)."""
    from screener.core.questionnaire import default_questionnaire

    questionnaire = default_questionnaire()
    given: dict = {}
    out = []
    while todo := [q for q in questionnaire.applicable(given) if q.id not in given]:
        question = todo[0]
        text = answers.get(question.id, "")
        out.append(text)
        given = questionnaire.effective({**given, question.id: questionnaire.check(question, text, given).value})
    return out
