"""No code reads the calendar except cxos/clock.py, so the suite passes on any date (CXOS_TEST_NOW moves it)."""

import re
from datetime import timedelta
from pathlib import Path

from cxos import clock
from tests.conftest import TEST_NOW

ROOT = Path(__file__).resolve().parent.parent
CALENDAR_READS = re.compile(r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|datetime\.today\(")


def test_only_the_clock_module_reads_the_calendar():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("cxos", "components", "pages", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if path.name not in ("clock.py", "test_clock.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if CALENDAR_READS.search(line)
    ]
    offenders += [
        f"app.py:{n}"
        for n, line in enumerate((ROOT / "app.py").read_text().splitlines(), 1)
        if CALENDAR_READS.search(line)
    ]
    assert not offenders, f"read the time through cxos.clock instead: {offenders}"


def test_the_suite_runs_on_its_fixed_clock_at_real_speed():
    first = clock.utcnow()
    assert TEST_NOW <= first < TEST_NOW + timedelta(hours=6), "the suite's clock starts at TEST_NOW"
    assert clock.today() == first.date()
    assert first.tzinfo is not None and first.microsecond == 0
