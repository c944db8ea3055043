"""The loader refuses an inconsistent rulebook, naming the file and the rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from screener.core.paths import rules_dir
from screener.core.rulebook import RulebookError, load_rulebook

GOOD_RULE = {
    "id": "TEST-001",
    "code": "iron_deficiency",
    "kind": "contributor",
    "title": "A test rule",
    "when": {"ferritin_ng_ml": {"le": 75}},
    "why": "Because the test says so, at length.",
    "advice": "Nothing to do; this is a test.",
    "evidence": "strong",
    "sources": ["aasm-2025"],
    "examples": {"fires": [{"ferritin_ng_ml": 10}], "silent": [{"ferritin_ng_ml": 100}]},
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(rules_dir(), target)
    return target


def write_rule(folder: Path, **changes) -> None:
    rule = {**GOOD_RULE, **changes}
    rule = {k: v for k, v in rule.items() if v is not None}
    (folder / "zz_test.yaml").write_text(yaml.safe_dump({"rules": [rule]}))


def problems(folder: Path) -> list[str]:
    with pytest.raises(RulebookError) as exc:
        load_rulebook(folder)
    return exc.value.problems


def test_the_good_rule_loads(folder):
    write_rule(folder)
    assert "TEST-001" in {rule.id for rule in load_rulebook(folder).rules}


@pytest.mark.parametrize("changes, expected", [
    ({"sources": []}, "sources: List should have at least 1 item"),
    ({"sources": None}, "sources: Field required"),
    ({"sources": ["no-such-source"]}, "unknown source id 'no-such-source'"),
    ({"when": {"shoe_size": {"gt": 40}}}, "condition on unknown field 'shoe_size'"),
    ({"when": {"ferritin_ng_ml": {"le": "low"}}}, "expected a number"),
    ({"when": {"ferritin_ng_ml": {"le": 200000}}}, "outside the field's range"),
    ({"when": {"pregnant": "yes"}}, "expected true or false"),
    ({"when": {"kidney_disease": {"in": ["dialysis", "kidney stones"]}}}, "expected one of none, ckd"),
    ({"when": {"medication_classes": {"contains": "herbal"}}}, "unknown medication class 'herbal'"),
    ({"when": {"ferritin_ng_ml": {"around": 3}}}, "unknown operator 'around'"),
    ({"code": "restless_arms"}, "code 'restless_arms' is not in the vocabulary"),
    ({"kind": "mimic"}, "kind 'mimic' does not match code 'iron_deficiency' (a contributor)"),
    ({"examples": {"fires": [{"ferritin_ng_ml": 10}]}}, "examples.silent: Field required"),
    ({"id": "iron-1"}, "id: String should match pattern"),
    ({"colour": "red"}, "colour: Extra inputs are not permitted"),
])
def test_refusals_name_file_rule_and_reason(folder, changes, expected):
    write_rule(folder, **changes)
    found = problems(folder)
    rule_id = changes.get("id", "TEST-001")
    assert any(p.startswith(f"zz_test.yaml: rule {rule_id}") and expected in p for p in found), found


def test_duplicate_rule_id(folder):
    write_rule(folder, id="IRON-001")
    assert any("rule IRON-001: duplicate rule id (also in iron.yaml)" in p for p in problems(folder))


def test_unknown_source_in_the_lexicon(folder):
    path = folder / "medications.yaml"
    data = yaml.safe_load(path.read_text())
    data["classes"]["ssri"]["sources"] = ["nobody-2099"]
    path.write_text(yaml.safe_dump(data))
    assert any("medications.yaml: class ssri: unknown source id 'nobody-2099'" in p for p in problems(folder))


def test_unreadable_yaml_and_wrong_shape(folder):
    (folder / "broken.yaml").write_text("rules: [unclosed")
    (folder / "shape.yaml").write_text("- just a list\n")
    found = problems(folder)
    assert any(p.startswith("broken.yaml: cannot be read as YAML") for p in found)
    assert any(p == "shape.yaml: expected a top-level 'rules:' list" for p in found)


def test_every_problem_is_listed_at_once(folder):
    write_rule(folder, sources=["no-such-source"], when={"shoe_size": {"gt": 1}})
    assert len([p for p in problems(folder) if p.startswith("zz_test.yaml")]) == 2


def test_sha256_changes_with_any_rule_file(folder):
    before = load_rulebook(folder).sha256
    write_rule(folder)
    assert load_rulebook(folder).sha256 != before


@pytest.mark.parametrize("name, text, expected", [
    ("rulebook.yaml", "- 0.1.0\n", "rulebook.yaml: expected a mapping at the top level, not a list"),
    ("rulebook.yaml", "version: 1\ncodes: [a, b]\n", "rulebook.yaml: 'codes' must map each kind to a list"),
    ("sources.yaml", "- id: x\n", "sources.yaml: expected a mapping at the top level, not a list"),
    ("medications.yaml", "just text\n", "medications.yaml: expected a mapping at the top level, not a str"),
    ("iron.yaml", "rules: [\n  {id: \n", "iron.yaml: cannot be read as YAML: "),
])
def test_a_malformed_registry_file_is_named_not_a_crash(folder, name, text, expected):
    (folder / name).write_text(text)
    with pytest.raises(RulebookError) as exc:
        load_rulebook(folder)
    assert any(p.startswith(expected) for p in exc.value.problems), exc.value.problems[:3]
    assert all("\n" not in p for p in exc.value.problems)  # one line per problem


@pytest.mark.parametrize("changes, expected", [
    ({"advice": "Ferritin {ferritin_ng_ml} ng/mL is low."}, None),
    ({"advice": "TSAT {tsat_percent}% is low, see a clinician."},
     "advice: {tsat_percent} may be unanswered when this advice applies"),
    ({"advice": "Shoe size {shoe_size} does not matter here."}, "advice: {shoe_size} is not an answer"),
    ({"advice": [{"when": {"tsat_percent": {"present": True}}, "text": "TSAT {tsat_percent}% is known."},
                 {"text": "TSAT was not given; measure it."}]}, None),
    ({"advice": [{"text": "A default that comes first."}, {"text": "And a second default."}]},
     "advice[0]: only the last advice variant may omit 'when'"),
    ({"advice": [{"when": {"taking_iron": True}, "text": "Already taking iron, review."}]},
     "advice[0]: the last advice variant is the default and takes no 'when'"),
    ({"advice": [{"when": {"shoe_size": {"gt": 40}}, "text": "Big feet, no advice."},
                 {"text": "The default advice here."}]}, "condition on unknown field 'shoe_size'"),
    ({"when": {"use": "no_such_definition"}}, "unknown named condition 'no_such_definition'"),
    ({"when": {"all": [{"use": "anaemia"}, {"ferritin_ng_ml": {"le": 75}}]}}, None),
])
def test_advice_and_named_conditions_are_checked(folder, changes, expected):
    write_rule(folder, **changes)
    if expected is None:
        assert "TEST-001" in {rule.id for rule in load_rulebook(folder).rules}
    else:
        found = problems(folder)
        assert any(p.startswith("zz_test.yaml: rule TEST-001") and expected in p for p in found), found


def test_a_definition_is_checked_like_a_rule_condition(folder):
    data = yaml.safe_load((folder / "definitions.yaml").read_text())
    data["definitions"].append({"id": "big_feet", "title": "Big feet", "when": {"shoe_size": {"gt": 44}},
                                "why": "Because the test says so.", "sources": ["no-such-source"],
                                "examples": {"fires": [{"age_years": 30}], "silent": [{"age_years": 31}]}})
    (folder / "definitions.yaml").write_text(yaml.safe_dump(data))
    found = problems(folder)
    assert "definitions.yaml: definition big_feet: unknown source id 'no-such-source'" in found
    assert "definitions.yaml: definition big_feet: condition on unknown field 'shoe_size'" in found
