"""Malformed journey files and metrics files: a line-numbered reason each, never a Python error."""

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxos.cli.main import main
from cxos.errors import ValidationFailed
from cxos.inputs import text_file
from cxos.journey.map import parse_spec
from cxos.journey.yaml_files import import_journey_yaml
from tests.conftest import ADMIN

TOUCHPOINT = "{name: Kickoff, component: onboarding_activation}"
MALFORMED = {
    "empty": ("", 1, "the file is empty"),
    "only a comment": ("# nothing yet\n", 1, "the file is empty"),
    "a list at the top": ("- Onboard\n- Adopt\n", 1, "must be a mapping"),
    "a word at the top": ("journey\n", 1, "must be a mapping"),
    "no stages": ("teams: []\n", 1, "needs stages"),
    "stages as a mapping": ("stages:\n  Onboard: {}\n", 2, "stages must be a list"),
    "a stage that is a word": ("stages:\n  - Onboard\n", 2, "a stage must be a mapping"),
    "a stage without a name": ("stages:\n  - touchpoints: []\n", 2, "a stage needs name"),
    "a name that is a list": ("stages:\n  - name: [Onboard]\n", 2, "name must be text"),
    "a name that is yes": ("stages:\n  - name: yes\n", 2, "put it in quotes"),
    "touchpoints as a word": (
        "stages:\n  - name: A\n    touchpoints: Kickoff\n",
        3,
        "touchpoints must be a list",
    ),
    "a touchpoint that is a word": (
        "stages:\n  - name: A\n    touchpoints:\n      - Kickoff\n",
        4,
        "mapping",
    ),
    "a touchpoint without a component": (
        "stages:\n  - name: A\n    touchpoints:\n      - {name: Kickoff}\n",
        4,
        "needs component",
    ),
    "a team that is a word": (
        f"teams:\n  - Product\nstages:\n  - name: A\n    touchpoints: [{TOUCHPOINT}]\n",
        2,
        "team",
    ),
    "teams as a mapping": ("teams: {Product: Makes it}\nstages:\n  - name: A\n", 1, "teams must be a list"),
    "layers as a word": ("root_cause_layers: Policy\nstages:\n  - name: A\n", 1, "must be a list"),
    "an unknown key": ("stages:\n  - name: A\n    owner: Product\n", 3, "has no key 'owner'"),
    "archived as text": ("stages:\n  - name: A\n    archived: 'no'\n", 3, "true or false"),
    "a stage twice": ("stages:\n  - name: A\n  - name: A\n", 3, "listed twice"),
    "two documents": ("stages: []\n---\nstages: []\n", 2, "not valid YAML"),
    "a tab for indentation": ("stages:\n\t- name: A\n", 2, "not valid YAML"),
    "a NUL byte": ("stages:\n  - name: A\x00\n", 2, "U+0000"),
    "a python tag": ("stages: !!python/object/apply:os.system [ls]\n", 1, "a stage must be a mapping"),
    "a recursive alias": ("stages: &loop [*loop]\n", 1, "a stage must be a mapping"),
}


@pytest.mark.parametrize(("text", "line", "why"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_journey_file_is_refused_at_its_line(text, line, why):
    with pytest.raises(ValidationFailed) as refused:
        parse_spec(text)
    assert why in refused.value.problems[f"line {line}"]


def test_a_malformed_file_changes_nothing_in_the_store(journey_store):
    text = "stages:\n  - name: New stage\n  - 42\n"
    with pytest.raises(ValidationFailed, match="(?i)line 3"):
        import_journey_yaml(journey_store, text=text, actor=ADMIN)


SPEC = "teams:\n  - {name: Product}\nstages:\n  - name: Ünboard\n    touchpoints:\n      - {name: K, team: Product, component: onboarding_activation}\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_journey_file_saved_as_utf8_or_utf16_reads_the_same(encoding):
    assert parse_spec(text_file(SPEC.encode(encoding)))["stages"][0]["name"] == "Ünboard"


@pytest.mark.parametrize(
    "data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"PK\x03\x04\x14\x00\x06\x00", bytes(range(256))]
)
def test_a_binary_file_is_refused_as_not_text(data):
    with pytest.raises(ValidationFailed, match="not text|not a text file"):
        text_file(data, name="journey.yaml")


# Any YAML value under any of the journey's keys, at any depth the schema reads.
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(["teams", "stages", "root_cause_layers", "touchpoints", "name", "component", "team"])
SHAPES = st.recursive(
    VALUES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=16,
)


def _parses_or_says_where(text: str) -> None:
    try:
        spec = parse_spec(text)
    except ValidationFailed as refused:
        assert refused.problems
        assert all(where.startswith("line ") and why for where, why in refused.problems.items())
        return
    assert spec["stages"] and all(isinstance(stage["name"], str) for stage in spec["stages"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.dictionaries(KEYS, SHAPES, max_size=3) | SHAPES)
def test_any_yaml_shape_parses_or_is_refused_with_lines(shape):
    _parses_or_says_where(yaml.safe_dump(shape, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("stages:- name{}[],&*!|>'\"\n\t #x\x00\ufeff")), max_size=60)
)
def test_any_yaml_text_parses_or_is_refused_with_lines(text):
    _parses_or_says_where(text)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=64))
def test_any_bytes_are_text_or_refused(data):
    try:
        text = text_file(data)
    except ValidationFailed as refused:
        assert refused.problems["file"]
        return
    _parses_or_says_where(text)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
        (b"a\x00b\x00c\x00\x00\x00\x00", "binary"),
        (bytes(range(128, 256)), "not a text file"),
        ("period,metric,value\n2026-01,nps,40\n".encode("utf-16"), "unknown metric 'nps'"),
    ],
    ids=["png", "nul bytes", "undecodable", "utf-16"],
)
def test_the_metrics_command_reads_utf16_and_refuses_binary_without_a_traceback(
    store, tmp_path, capsys, data, why
):
    path = tmp_path / "metrics.csv"
    path.write_bytes(data)
    assert main(["--database-url", store.url, "metrics", "import", str(path)]) == 2
    assert why in capsys.readouterr().err
