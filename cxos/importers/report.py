"""What an import did: counts that always add up to the rows read, and each reported row with its number."""

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from cxos.routing.decision import Decision
from cxos.signals.export import neutralise
from cxos.vocabulary import Decider

OUTCOMES = ("error", "duplicate", "skipped")
NOTE = "imported with a note"


@dataclass(frozen=True)
class RowProblem:
    row: int
    outcome: str  # error | duplicate | skipped
    message: str
    rows: int = 1  # the rows it stands for: more when the reader gave up on the rest of the file from `row`


@dataclass
class ImportReport:
    kind: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    dry_run: bool = False
    rows_read: int = 0
    imported: int = 0  # in a dry run: would be imported
    routed: int = 0  # of those, owned from the start (by a rule or the owner model)
    routed_by_model: int = 0  # of those, by the owner model
    placed_by_rule: int = 0  # of those imported, placed at a touchpoint by a placement rule (no column said)
    placed_by_model: int = 0  # of those imported, placed by the placement model
    unplaced: int = 0  # held in the Unplaced list for the council to place (stored, not yet signals)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the whole file (a profile's column it lacks)
    # Imported rows with something to say (a date no form reads, stored as the import time): not outcomes,
    # so they are outside the counts that add up to the rows read.
    row_notes: list[RowProblem] = field(default_factory=list)

    def add(self, row: int, outcome: str, message: str, *, rows: int = 1) -> None:
        self.problems.append(RowProblem(row, outcome, message, rows))

    def note_row(self, row: int, message: str) -> None:
        self.row_notes.append(RowProblem(row, NOTE, message))

    def count_imported(self, decision: Decision, placed_by: str = "") -> None:
        self.imported += 1
        self.placed_by_rule += placed_by == "rule"
        self.placed_by_model += placed_by == "model"
        self.routed += decision.team_id is not None
        self.routed_by_model += decision.outcome == Decider.MODEL

    def count_unplaced(self) -> None:
        self.unplaced += 1

    def count(self, outcome: str) -> int:
        return sum(problem.rows for problem in self.problems if problem.outcome == outcome)

    @property
    def unaccounted(self) -> int:
        """Rows read that are neither imported, held unplaced nor reported: always 0, or the importer lost rows."""
        return self.rows_read - self.imported - self.unplaced - sum(problem.rows for problem in self.problems)

    @property
    def balanced(self) -> bool:
        return self.unaccounted == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rows_read": self.rows_read,
            "balanced": self.balanced,
            "imported": self.imported,
            "routed": self.routed,
            "routed_by_model": self.routed_by_model,
            "in_triage": self.imported - self.routed,
            "placed_by_rule": self.placed_by_rule,
            "placed_by_model": self.placed_by_model,
            "unplaced": self.unplaced,
            "notes": self.notes,
            "duplicates": self.count("duplicate"),
            "skipped": self.count("skipped"),
            "errors": self.count("error"),
            "problems": [
                {"row": p.row, "rows": p.rows, "outcome": p.outcome, "message": p.message}
                for p in self.problems
            ],
            "row_notes": [{"row": p.row, "message": p.message} for p in self.row_notes],
        }

    def summary(self) -> str:
        verb = "Would import" if self.dry_run else "Imported"
        summary = (
            f"{verb} {self.imported:,} of {self.rows_read:,} rows ({self.routed - self.routed_by_model:,} routed "
            f"by rules, {self.routed_by_model:,} by the owner model, "
            f"{self.imported - self.routed:,} to triage); {self.count('duplicate'):,} duplicates, "
            f"{self.count('skipped'):,} skipped, {self.count('error'):,} errors."
        )
        if self.row_notes:
            summary += (
                f" {len(self.row_notes):,} imported rows carry the import time: their date could not be read "
                "(see the report)."
            )
        if self.placed_by_rule or self.placed_by_model or self.unplaced:
            summary += (
                f" Placed without a touchpoint column: {self.placed_by_rule:,} by placement rules, "
                f"{self.placed_by_model:,} by the placement model; {self.unplaced:,} wait in the Unplaced list "
                "for the council."
            )
        if not self.balanced:  # the report's own check: every row read has exactly one outcome
            summary += (
                f" The counts do not add up: {self.unaccounted:,} rows unaccounted for (please report this)."
            )
        return summary


def problems_csv(report: ImportReport) -> str:
    """The reported rows (and the imported rows' notes) as CSV, safe to open in a spreadsheet (cells that look like formulas are neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "outcome", "message"])
    for problem in sorted([*report.problems, *report.row_notes], key=lambda p: p.row):
        writer.writerow([problem.row, problem.outcome, neutralise(problem.message)])
    return out.getvalue()
