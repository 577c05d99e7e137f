"""The Integrations page's notice cards: an admin sets where a team is told, and sees a failing notice's error."""

from sqlmodel import select

from cxos.journey.map import touchpoint_options
from cxos.models import Team, TeamChannel
from cxos.notify.sender import send_pass
from cxos.store.store import Store
from tests.factories import routed_signal
from tests.notify.conftest import set_channels
from tests.test_pages import open_page

PAGE = "pages/Integrations.py"


def test_an_admin_sets_a_teams_email_on_the_integrations_page(demo_db):
    store = Store.open(demo_db)
    at = open_page(PAGE, name="Dana Kim")
    team_id = next(s for s in at.selectbox if s.label == "Team").value
    next(t for t in at.text_input if t.label == "E-mail address").set_value("owners@example.com")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception
    with store.read() as session:
        row = session.exec(select(TeamChannel).where(TeamChannel.team_id == team_id)).one()
    assert row.email == "owners@example.com" and row.updated_by == "Dana Kim"


def test_a_failing_notice_is_shown_with_its_error(demo_db):
    store = Store.open(demo_db)
    with store.read() as session:
        team_id = session.exec(select(Team.id)).first()
        touchpoint_id = touchpoint_options(session)[0].id
    set_channels(store, team_id, slack="http://127.0.0.1:9/hooks/nobody-listens")
    routed_signal(store, touchpoint_id=touchpoint_id, team_id=team_id)
    assert send_pass(store).failed >= 1  # nothing listens on port 9: at least the week's digest fails
    at = open_page(PAGE, name="Dana Kim")
    assert not at.exception
    failing = next(m for m in at.metric if m.label == "Failing")
    assert failing.value != "0"
    (table,) = [d for d in at.dataframe if "Error" in d.value.columns]
    assert table.value["Error"].str.contains("Slack could not be reached").any()
