"""Every write service in cxos/ is versioned (a two-writer test in its room) or append-only (said why, here).

A write service is a public function of cxos/ that opens a write transaction (`store.write()`, `editing`,
`versioned_write`), itself, through a private helper of its module, or by calling another one. A new one
fails this test until it either takes the version the person saw and gets a `WritePath` in its room's
stale test, or is listed below with the reason it cannot overwrite anyone's change.
"""

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The rooms' two-writer tests (tests/stale_pairs.py): each module's PATHS name the services they race on.
STALE_TESTS = [
    "tests.signals.test_stale_signals",
    "tests.store.test_stale_settings",
    "tests.fixes.test_stale_fixes",
    "tests.failure_modes.test_stale_failure_modes",
    "tests.routing.test_stale_rules",
    "tests.journey.test_stale_journey",
    "tests.importers.test_stale_profiles",
    "tests.importers.test_stale_unplaced",
    "tests.council.test_stale_council",
    "tests.notify.test_stale_channels",
]

# Writes with no stale copy to refuse, and why.
NOT_VERSIONED = {
    # Append-only: a new row (or a new entry) overwrites nobody's copy.
    "cxos.signals.writes.create_signal": "append-only: a new signal (a repeated client token returns the first)",
    "cxos.council.sessions.start_session": "append-only: opens a session, or returns the one someone opened",
    "cxos.council.sessions.add_decision": "append-only: appended under a row lock, both people's decisions kept",
    "cxos.council.sessions.add_action": "append-only: a new action row",
    "cxos.council.sessions.set_attendees": "merges the person's additions and removals into the list as it is now",
    "cxos.council.room.join": "append-only: adds the person to the attendees under a row lock, once",
    "cxos.council.room.move_to_step": "the room's pointer, not anyone's copy: the step moves for everyone",
    "cxos.council.room.present": "the room's pointer, not anyone's copy: whoever asks presents from now",
    "cxos.council.closing.close_council": "closes the session as stored at the close (every decision in the "
    "minutes); refused only when someone closed it already",
    "cxos.fixes.lifecycle.plan_fix": "append-only: a new fix row",
    "cxos.fixes.loops.draft_notices": "append-only: only recipients without a notice get one (unique per fix)",
    "cxos.journey.editor.add_stage": "append-only: a new stage at the end (a name taken is refused)",
    "cxos.journey.editor.add_touchpoint": "append-only: a new touchpoint at the end of its stage",
    "cxos.routing.rules.create_rule": "append-only: a new rule at the end (a move next to it checks neighbours)",
    "cxos.kpis.fit_score.record_self_assessment": "append-only: each rating a new row, history kept",
    "cxos.importers.batch.import_file": "append-only: new signals; a row already imported is a duplicate",
    "cxos.importers.batch.import_table": "append-only: new signals; a row already imported is a duplicate",
    "cxos.importers.sheet_source.import_sheet": "append-only: new signals; a row already imported is a duplicate",
    "cxos.importers.unplaced.place_rows": "each row through place_row with the version seen (its two-writer "
    "test is in tests/importers/test_stale_unplaced.py); a refusal stops only its row",
    # The intake: integrations' own rows, no person's copy of them to be stale against.
    "cxos.intake.tokens.create_token": "append-only: a new token row (a name taken is refused)",
    "cxos.intake.tokens.revoke_token": "one-way: a revoked token stays revoked, whoever revoked it first",
    "cxos.intake.tokens.note_used": "a timestamp of use, moved forward; nobody edits it",
    "cxos.intake.inbox.receive": "append-only: a new inbox row (a repeated Idempotency-Key returns the first)",
    "cxos.intake.inbox.process": "compare-and-set: a processed item stays processed; its one signal by client token",
    "cxos.intake.inbox.process_left_behind": "processes each pending item through inbox.process",
    "cxos.intake.inbox.retry": "compare-and-set: moves only an item still failed back to pending, then processes it",
    # The notice outbox: rows added by the writes that cause them, then sent by whoever claims them first.
    "cxos.notify.sender.send_pass": "compare-and-set: claims only unsent, unclaimed notices, then records them",
    "cxos.notify.sender.enqueue_due_notices": "append-only: new notices; a dedupe key already stored is skipped",
    "cxos.cli.notices.notices_output": "command line: calls send_pass",
    # Acting on the rows as they are now, by design (no person's copy is sent back).
    "cxos.routing.router.route_unrouted": "compare-and-set: routes only rows still new and unowned, skips locked",
    "cxos.journey.editor.move_signals": "empties a touchpoint as it is now; each signal only gets its new place",
    "cxos.kpis.metrics.import_metrics": "outside figures: the newest import of a month wins, old value in event",
    "cxos.fixes.notice_export.send_notices": "marks each notice sent through mark_sent with the version seen",
    # The stored owner model: each training a new row; the claim is a compare-and-set on the state.
    "cxos.routing.model_records.request_training": "append-only: a new request row (one pending at a time)",
    "cxos.routing.model_records.claim_training": "compare-and-set: claims only a row still requested (or stale)",
    "cxos.routing.model_records.finish_training": "writes the row this process claimed; nobody else edits it",
    "cxos.routing.model_training.train_and_store": "trains and stores a new model row (append-only)",
    "cxos.routing.placement_model.train_and_store": "trains and stores a new placement model row (append-only)",
    "cxos.routing.model_training.train_claimed": "stores how a claimed training ended: the claim makes it one writer",
    "cxos.cli.train.train_output": "command line: calls train_and_store",
    "cxos.cli.summaries.summaries_output": "command line: rebuilds the derived summary from the events",
    # Setting up a store, not editing one.
    "cxos.journey.map.load_journey_template": "seeds the journey of an empty store",
    "cxos.routing.rule_files.load_default_rules": "seeds the default rules of an empty store",
    "cxos.demo.build.build_demo": "builds a demo database",
    "cxos.demo.loops.add_demo_loops": "adds the demo's fixes and notices while building it",
    "cxos.store.sync.sync_stores": "copies one whole store into another (the Sheets backend checks its sheet)",
    # The write paths themselves and their command-line callers.
    "cxos.store.audit.editing": "the version check itself",
    "cxos.store.audit.versioned_write": "the version check itself",
    "cxos.cli.imports.import_output": "command line: calls the importer (append-only)",
    "cxos.cli.metrics.metrics_output": "command line: calls import_metrics",
    "cxos.cli.route.route_output": "command line: calls route_unrouted",
    "cxos.cli.route.rules_output": "command line: calls import_rules, replacing with the versions it just read",
    "cxos.cli.sync.sync_output": "command line: calls sync_stores",
}


def _opens_a_write(node: ast.AST) -> bool:
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "write"
            and getattr(func.value, "id", None) == "store"
        ):
            return True
        if isinstance(func, ast.Name) and func.id in {"editing", "versioned_write"}:
            return True
    return False


# Methods of the built-in types: `", ".join(...)` is not a call of cxos.council.room.join.
BUILTIN_METHODS = set(dir(str)) | set(dir(dict)) | set(dir(list)) | set(dir(set))


def _called_names(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Name):
            names.add(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.attr not in BUILTIN_METHODS:  # module.function(...); a value's method is not a service
                names.add(func.attr)
    return names


def write_services() -> set[str]:
    """The dotted name of every public function in cxos/ that writes, directly or through a callee."""
    functions: dict[str, ast.FunctionDef] = {}
    for path in sorted((ROOT / "cxos").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                functions[f"{module}.{node.name}"] = node
    writing = {name for name, node in functions.items() if _opens_a_write(node)}
    while True:  # a function that calls a writing one writes too
        called = {name.rsplit(".", 1)[1] for name in writing}
        more = {
            name for name, node in functions.items() if name not in writing and _called_names(node) & called
        }
        if not more:
            break
        writing |= more
    return {name for name in writing if not name.rsplit(".", 1)[1].startswith("_")}


def versioned_services() -> set[str]:
    return {path.service for module in STALE_TESTS for path in importlib.import_module(module).PATHS}


def test_every_write_service_is_versioned_or_says_why_not():
    unlisted = write_services() - versioned_services() - set(NOT_VERSIONED)
    assert not unlisted, (
        "write services with neither a two-writer test (tests/stale_pairs.py, in their room) nor a reason "
        f"they cannot overwrite anyone's change (NOT_VERSIONED here): {sorted(unlisted)}"
    )


def test_the_lists_name_only_services_that_exist_and_write():
    services = write_services()
    assert not (versioned_services() | set(NOT_VERSIONED)) - services
    assert not versioned_services() & set(NOT_VERSIONED), "a service is either versioned or append-only"
