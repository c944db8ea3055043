"""Write the REDCap examples in examples/redcap/ from the synthetic generator (benchmarks/synthetic.py):

- dictionary.csv: the data dictionary `screener export --format redcap` writes;
- export-raw.csv and export-labels.csv: what REDCap's "CSV (raw data)" and "CSV (labels)" exports
  of that dictionary hold for the same synthetic respondents (fields hidden by branching logic
  blank, the form's completion column included);
- answers.jsonl: the same respondents' answers as JSON Lines, which `screener batch` scores to
  the same output as either export.

Seeded, so the files are the same on every run (a test checks that the committed files are):

    python examples/make_redcap_examples.py
    screener batch examples/redcap/export-raw.csv --redcap-dictionary examples/redcap/dictionary.csv
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "benchmarks"))

from synthetic import cohort  # noqa: E402

from screener.core.parse import parse_intake  # noqa: E402
from screener.core.questionnaire import default_questionnaire  # noqa: E402
from screener.io.redcap import dictionary_csv, records_csv  # noqa: E402

ROWS, SEED = 40, 11


def answers() -> list[dict]:
    """The synthetic respondents' answers as the questionnaire keeps them (questions that do not
    apply dropped, as REDCap's branching logic hides them), with a few "don't know" answers."""
    questionnaire = default_questionnaire()
    people = []
    for number, raw in enumerate(cohort(ROWS, SEED)):
        if number % 5 == 2:  # some "don't know" answers, which the generator does not give
            raw = {**raw, "family_history_rls": "unknown", "kidney_disease": "unknown"}
        intake = parse_intake(raw).intake
        assert intake is not None
        people.append(questionnaire.effective(intake.answers()))
    return people


def files() -> dict[str, str]:
    """Each example file's name and text."""
    questionnaire = default_questionnaire()
    people = answers()
    return {
        "dictionary.csv": dictionary_csv(questionnaire),
        "export-raw.csv": records_csv(people, questionnaire),
        "export-labels.csv": records_csv(people, questionnaire, labels=True),
        "answers.jsonl": "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in people),
    }


def main() -> None:
    folder = HERE / "redcap"
    folder.mkdir(exist_ok=True)
    for name, text in files().items():
        (folder / name).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {folder / name}")


if __name__ == "__main__":
    main()
