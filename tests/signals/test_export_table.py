"""The friction log's own CSV of the rows on screen: formula-safe, empty cells empty."""

import csv
import io
from datetime import UTC, datetime

from cxos.signals.export import table_csv


def test_a_shown_table_downloads_with_every_formula_cell_inert():
    formulas = [
        '=HYPERLINK("http://x","y")',
        "+1",
        "-2",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "=1+1",
        "=cmd|' /C calc'!A0",
    ]
    rows = [
        (n, datetime(2026, 11, 30, 9, 5, tzinfo=UTC), text, text, None, float("nan"))
        for n, text in enumerate(formulas)
    ]
    out = list(
        csv.reader(io.StringIO(table_csv(["#", "Logged", "What happened", "Owner", "Account", "ARR"], rows)))
    )
    assert out[0] == ["#", "Logged", "What happened", "Owner", "Account", "ARR"]
    for (_, logged, title, owner, account, arr), typed in zip(out[1:], formulas, strict=True):
        assert title == owner == "'" + typed
        assert (logged, account, arr) == ("2026-11-30T09:05:00+00:00", "", "")


def test_the_grids_own_csv_download_is_off_for_the_whole_app():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
