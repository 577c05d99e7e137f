"""Safe by default on a network: local mode serves this computer only; others need the access code or sign-on."""

import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from components.common import access as access_door
from cxos.access import (
    GuessLimiter,
    code_matches,
    is_loopback_host,
    oidc_configured,
    request_is_local,
    serving_refusal,
)
from cxos.cli.main import main as cli
from cxos.identity import RoleMap
from cxos.vocabulary import Role
from tests.test_pages import open_page

ROOT = Path(__file__).resolve().parent.parent
CODE = "correct horse battery"
ROLES = RoleMap(Role.CONTRIBUTOR, {"dana kim": Role.ADMIN, "priya shah": Role.COUNCIL})


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.8.9.1", "::1", "[::1]:8501", "localhost", "LOCALHOST:8501"]
)
def test_loopback_names_and_addresses(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.0.2.2", "cxos.example.com", "localhost.evil.com"])
def test_every_other_address_serves_beyond_this_computer(host):
    assert not is_loopback_host(host)


def test_a_browser_on_this_computer_is_local():
    assert request_is_local(True, {"Host": "localhost:8501"})
    assert request_is_local(True, {})


@pytest.mark.parametrize(
    "headers",
    [
        {
            "Host": "127.0.0.1:8501",
            "X-Forwarded-For": "203.0.113.9",
        },  # a proxy on this computer relays someone
        {"Host": "127.0.0.1:8501", "Forwarded": "for=203.0.113.9"},
        {"Host": "127.0.0.1:8501", "X-Real-IP": "203.0.113.9"},
        {"Host": "evil.example.com:8501"},  # a page that rebound its name to 127.0.0.1
    ],
)
def test_a_relayed_or_rebound_request_is_not_local(headers):
    assert not request_is_local(True, headers)


def test_a_peer_on_another_computer_is_not_local():
    assert not request_is_local(False, {"Host": "localhost:8501"})


def test_the_access_code_is_compared_whole():
    assert code_matches(f" {CODE} ", CODE)
    assert not code_matches(CODE[:-1], CODE) and not code_matches("", CODE)
    assert not code_matches("ça" * 4, CODE)  # non-ASCII input is compared, not an error


def test_serving_beyond_this_computer_needs_a_code_or_sign_on():
    assert serving_refusal("127.0.0.1", oidc=False, code=None) is None
    assert "CXOS_ACCESS_CODE" in serving_refusal("0.0.0.0", oidc=False, code=None)
    assert serving_refusal("0.0.0.0", oidc=False, code=CODE) is None
    assert serving_refusal("0.0.0.0", oidc=True, code=None) is None


def test_sign_on_is_configured_by_an_auth_table(tmp_path):
    secrets = tmp_path / "secrets.toml"
    assert not oidc_configured((secrets,))
    secrets.write_text('[smtp]\nhost = "x"\n')
    assert not oidc_configured((secrets,))
    secrets.write_text('[auth]\nredirect_uri = "https://cxos.example.com/oauth2callback"\n')
    assert oidc_configured((secrets,))


def test_serve_check_refuses_a_network_address_without_protection(monkeypatch, capsys):
    monkeypatch.delenv("CXOS_ACCESS_CODE", raising=False)
    monkeypatch.setattr("cxos.cli.serve_check.oidc_configured", lambda: False)
    assert cli(["serve-check", "127.0.0.1"]) == 0
    assert "this computer only" in capsys.readouterr().out
    assert cli(["serve-check", "0.0.0.0"]) == 2
    assert "Refusing to serve" in capsys.readouterr().err
    monkeypatch.setenv("CXOS_ACCESS_CODE", "short")  # too short to count as protection
    assert cli(["serve-check", "0.0.0.0"]) == 2
    monkeypatch.setenv("CXOS_ACCESS_CODE", CODE)
    assert cli(["serve-check", "0.0.0.0"]) == 0


# Who is admin when a typed name is all there is.


def test_an_admin_name_is_admin_only_from_a_trusted_session():
    assert ROLES.role_for_typed_name("Dana Kim", trusted=True) is Role.ADMIN
    assert ROLES.role_for_typed_name("Dana Kim", trusted=False) is Role.CONTRIBUTOR


def test_other_listed_names_keep_their_role_anywhere():
    assert ROLES.role_for_typed_name("priya shah", trusted=False) is Role.COUNCIL
    assert ROLES.role_for_typed_name("Someone New", trusted=True) is Role.CONTRIBUTOR


def test_a_default_role_of_admin_never_makes_an_unlisted_name_admin():
    everyone_admin = RoleMap(Role.ADMIN, {"dana kim": Role.ADMIN})
    assert everyone_admin.role_for_typed_name("Anybody", trusted=True) is Role.COUNCIL
    assert everyone_admin.role_for_typed_name("Dana Kim", trusted=True) is Role.ADMIN


# The pages: a session from another computer.


@pytest.fixture
def from_elsewhere(monkeypatch):
    """Every session in this test arrives from another computer; wrong guesses are counted afresh."""
    monkeypatch.setattr(access_door, "request_from_this_computer", lambda: False)
    monkeypatch.setattr(access_door, "GUESSES", GuessLimiter())


def test_from_elsewhere_without_an_access_code_nobody_gets_in(demo_db, from_elsewhere, monkeypatch):
    monkeypatch.delenv("CXOS_ACCESS_CODE", raising=False)
    at = open_page("app.py", name=None)
    assert not at.text_input and not at.metric
    assert "serves only the computer it runs on" in at.error[0].value


def test_from_elsewhere_the_access_code_is_asked_once_then_the_name(demo_db, from_elsewhere, monkeypatch):
    monkeypatch.setenv("CXOS_ACCESS_CODE", CODE)
    monkeypatch.setattr(access_door, "WRONG_CODE_PAUSE_S", 0)
    at = open_page("app.py", name=None)
    assert [t.label for t in at.text_input] == ["Access code"]
    at.text_input[0].input("guess")
    at.button[0].click().run()
    assert at.error[0].value == "That is not the access code."
    at.text_input[0].input(CODE)
    at.button[0].click().run()
    assert [t.label for t in at.text_input] == ["Display name"]
    at.text_input[0].input("Dana Kim")
    at.button[0].click().run()
    assert "Dana Kim · admin" in [
        t.value for t in at.sidebar.text
    ]  # the access code makes the session trusted


def test_a_name_given_in_the_url_or_state_does_not_skip_the_code(demo_db, from_elsewhere, monkeypatch):
    monkeypatch.setenv("CXOS_ACCESS_CODE", CODE)
    at = open_page("app.py", name="Dana Kim")
    assert [t.label for t in at.text_input] == ["Access code"] and not at.sidebar.text


def test_on_this_computer_the_roles_file_decides(demo_db):
    at = open_page("app.py", name="Dana Kim")
    assert "Dana Kim · admin" in [t.value for t in at.sidebar.text]


# The real server, started the way `make run` starts it.


def _non_loopback_ipv4() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: no packet is sent, the kernel only picks a route
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if is_loopback_host(address) else address


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _make_run_streamlit_command(port: int) -> list[str]:
    """The `streamlit run` line of `make run`, as make would run it (make -n prints it without running)."""
    printed = subprocess.run(
        ["make", "-n", "-s", "run", f"PORT={port}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in printed.splitlines() if "streamlit run" in line)
    command = shlex.split(line)
    command[0] = str(Path(sys.executable).parent / "streamlit")
    return command


def test_make_run_is_not_reachable_from_another_computer(tmp_path):
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with socket.socket() as control:  # the address itself takes connections: only the app's binding refuses
        control.bind((address, 0))
        control.listen()
        socket.create_connection(control.getsockname(), timeout=5).close()

    port = _free_port()
    env = os.environ | {"CXOS_DATABASE_URL": f"sqlite:///{tmp_path / 'cxos.db'}"}
    env.pop("CXOS_ACCESS_CODE", None)
    with (tmp_path / "streamlit.log").open("wb") as log:
        server = subprocess.Popen(
            _make_run_streamlit_command(port), cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "streamlit.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                    assert reply.read() == b"ok"
                    break
            except OSError:
                assert time.monotonic() < deadline, "streamlit did not start"
                time.sleep(0.25)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=5).close()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_wrong_guesses_are_limited_per_address_and_overall_until_the_window_passes():
    now = [0.0]
    limiter = GuessLimiter(per_address=3, overall=5, window_s=600, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.wait_s("203.0.113.7") == 0
        limiter.wrong_guess("203.0.113.7")
    assert limiter.wait_s("203.0.113.7") == 600 and limiter.wait_s("198.51.100.1") == 0
    limiter.wrong_guess("198.51.100.1")
    limiter.wrong_guess("198.51.100.2")
    assert limiter.wait_s("192.0.2.99") == 600  # five wrong from everyone: a fresh address waits too
    now[0] = 601.0
    assert limiter.wait_s("203.0.113.7") == 0 and limiter.wait_s("192.0.2.99") == 0


def test_guessing_from_new_sessions_stops_at_the_limit_even_with_the_right_code(
    demo_db, from_elsewhere, monkeypatch
):
    monkeypatch.setenv("CXOS_ACCESS_CODE", CODE)
    monkeypatch.setattr(access_door, "WRONG_CODE_PAUSE_S", 0)
    limit = access_door.GUESSES.per_address
    for _ in range(limit):  # a script opens a new session per guess
        at = open_page("app.py", name=None)
        at.text_input[0].input("guess")
        at.button[0].click().run()
        assert at.error[0].value == "That is not the access code."
    at = open_page("app.py", name=None)
    at.text_input[0].input(CODE)
    at.button[0].click().run()
    assert "Too many wrong access codes" in at.error[0].value
    assert [t.label for t in at.text_input] == ["Access code"]
