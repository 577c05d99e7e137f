"""Google Sheets requests per 100 signal updates: sent as one batch (a council's bulk triage) vs one write each.

    python bench/sheets_requests.py
    python bench/sheets_requests.py --updates 500 --json

Runs the real Sheets store and the real gspread client against the in-process fake of the Sheets v4
endpoints (cxos/store/sheets/fake_api.py), which counts every HTTP request it answers. Google's quota is 60 write
and 60 read requests a minute per user, so requests, not milliseconds, are what limits a sheet; the
seconds printed are the fake's, not Google's (a real request takes ~100–500 ms more).
Each update is an owner change (`assign_owner`): the signal row is rewritten and an event row is appended.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

QUOTA_PER_MINUTE = 60


def measure(updates: int) -> dict:
    from cxos.council.triage import bulk_triage
    from cxos.identity import Actor
    from cxos.journey.map import load_journey_template, teams, touchpoint_options
    from cxos.signals.writes import assign_owner, create_signal
    from cxos.store.sheets.fake_api import FakeSheetsServer, service_account_info
    from cxos.store.sheets.store import open_sheets_store
    from cxos.vocabulary import Role

    admin, council, contributor = (
        Actor("Bench Admin", Role.ADMIN),
        Actor("Bench Council", Role.COUNCIL),
        Actor("Bench Contributor", Role.CONTRIBUTOR),
    )

    server = FakeSheetsServer(quota_per_minute=10**9)  # count requests; the quota itself is tested elsewhere
    server.create_spreadsheet("bench")
    with tempfile.TemporaryDirectory() as folder:
        store = open_sheets_store(
            "gsheets://bench",
            service_account=service_account_info(),
            transport=server,
            cache_path=Path(folder) / "working.db",
            ttl_s=3600,
        )
        load_journey_template(store, actor=admin)
        with store.read() as session:
            touchpoint = touchpoint_options(session)[0].id
            team = teams(session)[0].id
        common.log(f"logging {2 * updates} signals…")
        with store.batched():
            made = [
                create_signal(
                    store,
                    signal_in={"title": f"Bench signal {n}", "source": "ticket", "touchpoint_id": touchpoint},
                    actor=contributor,
                )
                for n in range(2 * updates)
            ]
        one_by_one, batch = made[:updates], made[updates:]

        def counted(action) -> dict:
            reads, writes, started = server.count("read"), server.count("write"), time.perf_counter()
            action()
            return {
                "reads": server.count("read") - reads,
                "writes": server.count("write") - writes,
                "seconds": time.perf_counter() - started,
            }

        common.log(f"{updates} updates, one write each…")
        single = counted(
            lambda: [
                assign_owner(store, signal_id=s.id, expected_version=s.version, team_id=team, actor=council)
                for s in one_by_one
            ]
        )
        common.log(f"{updates} updates as one bulk triage…")
        batched = counted(
            lambda: bulk_triage(
                store, items=[(s.id, s.version) for s in batch], action="correct", team_id=team, actor=council
            )
        )
        assert store.status.queued == 0 and store.status.conflicts == 0
        store.dispose()
    for case in (single, batched):
        case["requests"] = case["reads"] + case["writes"]
        case["per_100"] = round(case["requests"] * 100 / updates)
        case["quota_minutes"] = max(case["reads"], case["writes"]) / QUOTA_PER_MINUTE
    return {
        "machine": common.machine_info(),
        "updates": updates,
        "one_write_each": single,
        "batched": batched,
    }


def render(result: dict) -> str:
    rows = [
        (
            name,
            result[key]["requests"],
            result[key]["reads"],
            result[key]["writes"],
            result[key]["per_100"],
            result[key]["quota_minutes"],
            result[key]["seconds"],
        )
        for name, key in (("one write per update", "one_write_each"), ("one batch (bulk triage)", "batched"))
    ]
    table = common.format_table(
        ["case", "requests", "reads", "writes", "per 100 updates", "quota minutes", "seconds (fake)"],
        rows,
        title=f"Google Sheets requests for {result['updates']} signal updates",
    )
    return f"{common.render_machine(result['machine'])}\n{table}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    common.ensure_repo_on_path()
    common.emit(measure(args.updates), as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
