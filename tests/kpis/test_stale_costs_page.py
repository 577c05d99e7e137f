"""The KPI page saves the costs against the versions it drew: a cost someone saved meanwhile is not overwritten."""

from components.common import pages
from cxos.store.settings import read_setting, setting_version, write_setting
from cxos.store.store import Store
from tests.stale_pairs import SOMEONE_ELSE, behind_the_page
from tests.test_pages import open_page


def test_saving_the_costs_over_someone_elses_is_refused_and_changes_none(demo_db):
    store = Store(demo_db)
    at = open_page(pages.KPIS.path, name="Dana Kim")  # an admin of the demo
    with store.read() as session:
        seen = setting_version(session, "cost_per_ticket")
    behind_the_page(
        lambda: write_setting(
            store, key="cost_per_ticket", value="12.00", expected_version=seen, actor=SOMEONE_ELSE
        )
    )
    next(n for n in at.number_input if n.label.startswith("Cost per live contact")).set_value(9.5)
    at = next(b for b in at.button if b.label == "Save the costs").click().run()
    assert any(f"cost per ticket was changed by {SOMEONE_ELSE.name}" in e.value for e in at.error)
    with store.read() as session:
        assert read_setting(session, "cost_per_ticket") == "12.00"
        assert read_setting(session, "cost_live_contact") in (None, "8.01")  # untouched: all or nothing
