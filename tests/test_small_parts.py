"""Small pieces: markdown escaping, chart builders, the roles file, migrations matching the models."""

import pytest
from alembic import command

from components.common.charts import week_comparison, weekly_trend
from components.common.safe import md_escape
from cxos.identity import load_role_map
from cxos.store.db import alembic_config
from cxos.store.store import Store
from cxos.vocabulary import Role


@pytest.mark.parametrize(
    "typed",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "![img](http://e/x.png)",
        "**bold** _it_ `code`",
        "$x^2$",
        ":smile:",
        "# heading",
        "a@b.com www.example.com http://example.com",
        "1. list\n- item",
    ],
)
def test_markdown_escaping_leaves_no_active_character(typed):
    escaped = md_escape(typed)
    unescaped = escaped.replace("\\\\", "")
    for special in "<>[]()!*_`$:#@/.-":
        assert all(unescaped[i - 1] == "\\" for i, ch in enumerate(unescaped) if ch == special and i > 0)
    assert not escaped.startswith(tuple("<[!*_`$:#@/-"))


def test_week_comparison_chart_carries_the_counts():
    chart = week_comparison({"Onboard": (5, 2), "Adopt": (1, 4)}, category="stage")
    data = chart.data.to_dict("records")
    assert {(r["stage"], r["window"], r["signals"]) for r in data} == {
        ("Onboard", "Last 7 days", 5),
        ("Onboard", "7 days before", 2),
        ("Adopt", "Last 7 days", 1),
        ("Adopt", "7 days before", 4),
    }


def test_weekly_trend_marks_only_the_current_week():
    chart = weekly_trend([("2026-11-02", 3), ("2026-11-09", 4), ("2026-11-16", 9)])
    assert list(chart.data["signals"]) == [3, 4, 9] and list(chart.data["current"]) == [False, False, True]


def test_roles_file_maps_names_case_insensitively_with_a_default(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text("default_role: viewer\nusers:\n  Priya@Example.com: council\n")
    roles = load_role_map(path)
    assert roles.role_for("priya@example.com") is Role.COUNCIL
    assert roles.role_for("someone") is Role.VIEWER
    assert load_role_map(tmp_path / "missing.yaml").role_for("anyone") is Role.CONTRIBUTOR


def test_a_bad_role_in_the_roles_file_is_named(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text("users:\n  bob: superuser\n")
    with pytest.raises(ValueError, match="superuser"):
        load_role_map(path)


def test_migrations_match_the_models(tmp_path):
    url = f"sqlite:///{tmp_path}/schema.db"
    Store.open(url, create=True).dispose()
    command.check(alembic_config(url))  # raises when a model changed without a migration
