"""The URL readers (cxos/url_params.py): any string gives a usable value or `Unreadable`, never another error."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxos.url_params import (
    MAX_ID,
    Unreadable,
    read_choice,
    read_choices,
    read_date,
    read_date_range,
    read_flag,
    read_id,
    read_int,
    read_text,
)

LO, HI = date(2000, 1, 1), date(2026, 12, 31)
HOSTILE = [
    "99999999999999999999",
    "²",
    "٣",
    "１２",
    "1\x00",
    "-1",
    "0",
    " 7 ",
    "1e3",
    "0x10",
    "…",
    "x" * 20_000,
]
ANY_TEXT = st.one_of(st.sampled_from(HOSTILE), st.text())


def _usable_or_unreadable(read, raw):
    try:
        return read(raw)
    except Unreadable as why:
        assert str(why), "a refusal says why"
        return None


@given(ANY_TEXT)
def test_an_id_is_a_positive_ascii_number_every_backend_stores(raw):
    value = _usable_or_unreadable(read_id, raw)
    assert value is None or 1 <= value <= MAX_ID


@pytest.mark.parametrize("raw", ["99999999999999999999", "²", "٣", "１２", "1\x00", "-1", "0", "1e3", ""])
def test_numbers_in_other_scripts_or_out_of_range_are_not_ids(raw):
    with pytest.raises(Unreadable):
        read_id(raw)


@given(ANY_TEXT)
def test_a_bounded_int_stays_in_its_bounds(raw):
    value = _usable_or_unreadable(lambda r: read_int(r, lo=-3, hi=6), raw)
    assert value is None or -3 <= value <= 6


@given(ANY_TEXT)
def test_a_choice_is_one_of_the_options(raw):
    assert _usable_or_unreadable(lambda r: read_choice(r, {"new": 1, "Routed": 2}), raw) in {None, 1, 2}


def test_a_choice_ignores_case_and_spaces():
    assert read_choice(" ROUTED ", {"routed": 2}) == 2


@given(ANY_TEXT)
def test_a_list_keeps_known_items_once_and_names_the_rest(raw):
    result = _usable_or_unreadable(lambda r: read_choices(r, {"1": 1, "2": 2}), raw)
    if result is not None:
        chosen, rejected = result
        assert set(chosen) <= {1, 2} and len(chosen) == len(set(chosen))
        assert all(item not in {"1", "2"} for item in rejected)


def test_a_list_of_ids_reads_what_it_knows():
    assert read_choices("2, 2,9,²,1", {"1": 1, "2": 2}) == ([2, 1], ["9", "²"])


@given(st.one_of(ANY_TEXT, st.dates().map(date.isoformat)))
def test_a_date_is_a_real_day_within_bounds(raw):
    value = _usable_or_unreadable(lambda r: read_date(r, lo=LO, hi=HI), raw)
    assert value is None or LO <= value <= HI


@pytest.mark.parametrize(
    "raw", ["0001-01-01", "9999-12-31", "2026-02-30", "20260101", "2026-W01-1", "2026-1-1"]
)
def test_dates_out_of_range_or_not_written_yyyy_mm_dd_are_refused(raw):
    with pytest.raises(Unreadable):
        read_date(raw, lo=LO, hi=HI)


def test_a_range_whose_end_is_before_its_start_is_refused():
    assert read_date_range(date(2026, 1, 1), None) == (date(2026, 1, 1), None)
    with pytest.raises(Unreadable, match="before"):
        read_date_range(date(2026, 2, 1), date(2026, 1, 1))


@given(st.text())
def test_text_is_storable_without_control_characters_and_capped(raw):
    text, _ = read_text(raw, max_chars=50)
    assert len(text) <= 50 and "\x00" not in text


def test_long_text_is_cut_and_says_so():
    assert read_text("a\x00b" + "c" * 60, max_chars=10) == ("ab" + "c" * 8, True)


@given(ANY_TEXT)
def test_a_flag_is_on_off_or_unreadable(raw):
    assert _usable_or_unreadable(read_flag, raw) in {None, True, False}


def test_flag_spellings():
    assert read_flag("1") and read_flag("") and read_flag("Yes")
    assert not read_flag("0") and not read_flag("off")
