"""The README documents every setting, command, option and permission the code has (datasette's test_docs idea).

A setting nobody can find is a setting nobody can use: each test reads the names from the code itself, so
adding a `CXOS_*` variable, a CLI command or option, or a permission without a line in the README fails here.
"""

import argparse
import re
from pathlib import Path

import pytest

from cxos import config
from cxos.cli.main import COMMANDS
from cxos.identity import PERMISSIONS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SETTING = re.compile(r"\bCXOS_[A-Z][A-Z0-9_]*\b")
CODE_FOLDERS = ("cxos", "components", "pages", "tests", "bench")


def _settings_in_code() -> set[str]:
    files = [path for folder in CODE_FOLDERS for path in (ROOT / folder).rglob("*.py")]
    files += [ROOT / "app.py", ROOT / "Makefile", ROOT / ".ci" / "run"]
    return {name for path in files for name in SETTING.findall(path.read_text(encoding="utf-8"))}


def _options(command) -> list[str]:
    parser = argparse.ArgumentParser(add_help=False)
    command.add_arguments(parser)
    return [
        option for action in parser._actions for option in action.option_strings if option.startswith("--")
    ]


def _subcommand_choices(command) -> list[str]:
    parser = argparse.ArgumentParser(add_help=False)
    command.add_arguments(parser)
    return [
        str(choice)
        for action in parser._actions
        if not action.option_strings
        for choice in action.choices or ()
    ]


def test_the_scan_finds_the_settings_it_should():
    """Guards the guard: the scan sees settings in cxos/, in the tests and in CI."""
    assert {"CXOS_DATABASE_URL", "CXOS_ROLES_FILE", "CXOS_TEST_POSTGRES_URL", "CXOS_REQUIRE_BROWSER"} <= (
        _settings_in_code()
    )


@pytest.mark.parametrize("setting", sorted(_settings_in_code()))
def test_every_setting_is_in_the_readme(setting):
    assert f"`{setting}`" in README, f"{setting} is read by the code but not documented in README.md"


def test_the_default_database_in_the_readme_is_the_one_the_code_opens():
    default = config.DEFAULT_DATABASE_URL.replace(str(config.PROJECT_ROOT) + "/", "")
    assert f"`{default}`" in README


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_every_command_and_option_is_in_the_readme(command):
    assert f"python -m cxos {command.name}" in README
    missing = [option for option in _options(command) if option not in README]
    assert not missing, f"`python -m cxos {command.name}` options missing from README.md: {missing}"
    for choice in _subcommand_choices(command):
        assert re.search(rf"python -m cxos {command.name} [^\n]*\b{choice}\b", README), (
            f"`python -m cxos {command.name} {choice}` is not in README.md"
        )


@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_every_permission_is_in_the_readme_with_its_role(permission):
    row = re.search(rf"^\| `{permission}` \| ([a-z]+) \|", README, flags=re.M)
    assert row, f"permission {permission!r} has no row in the README's permissions table"
    assert row.group(1) == PERMISSIONS[permission].value, f"README gives {permission!r} the wrong role"


def test_every_package_is_on_the_where_to_change_map():
    packages = [
        path.parent.relative_to(ROOT).as_posix() + "/"
        for folder in ("cxos", "components")
        for path in (ROOT / folder).glob("*/__init__.py")
        if "migrations" not in path.parts
    ]
    missing = [package for package in packages if f"`{package}" not in README]
    assert not missing, f"README's 'Where to change…' map does not name {missing}"
