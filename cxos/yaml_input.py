"""YAML a person hands in, checked against a schema by its nodes, so every problem is 'line N: what is wrong'."""

from collections.abc import Callable, Iterator
from typing import Any

import yaml

from cxos.errors import ValidationFailed

Problems = dict[str, str]


class Document:
    """One YAML document's node tree and the loader that turns a scalar node into its value."""

    def __init__(self, text: str):
        try:
            loader = yaml.SafeLoader(text)
            self.root: yaml.Node | None = loader.get_single_node()
        except yaml.YAMLError as error:
            raise not_yaml(error, text) from None
        loader.dispose()
        self._loader = loader

    def scalar(self, node: yaml.Node) -> Any:
        """The value of a scalar node (text, number, bool, null, date) as yaml.safe_load gives it."""
        try:
            return self._loader.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            raise ValidationFailed({line(node): f"not valid YAML: {_reason(error)}"}) from None


def line(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}"


def not_yaml(error: yaml.YAMLError, text: str) -> ValidationFailed:
    """The refusal of text PyYAML could not read, at the line where it stopped."""
    return ValidationFailed({_error_line(error, text): f"not valid YAML: {_reason(error)}"})


def _error_line(error: yaml.YAMLError, text: str) -> str:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}"
    position = getattr(error, "position", None)  # a ReaderError (a NUL or control character) has only this
    if isinstance(position, int):
        return f"line {text.count(chr(10), 0, position) + 1}"
    return "file"


def _reason(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.reader.ReaderError):
        character = error.character if isinstance(error.character, int) else ord(error.character)
        return f"it holds the character U+{character:04X}, which a text file cannot (is it a binary file?)"
    return str(getattr(error, "problem", None) or getattr(error, "context", None) or error)


def kind(node: yaml.Node) -> str:
    """What a node is, in words a person reads: 'a list', 'a mapping', 'the text 'x''."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    return f"{node.value!r:.60}" if node.value else "nothing"


def entries(doc: Document, node: yaml.MappingNode, problems: Problems) -> Iterator[tuple[str, yaml.Node]]:
    """A mapping's (key, value node) pairs; a key that is not plain text is a problem at its line."""
    for key_node, value_node in node.value:
        plain = isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:str"
        key = doc.scalar(key_node) if plain else None
        if not isinstance(key, str):
            problems.setdefault(line(key_node), "keys are plain words such as name or touchpoints")
            continue
        yield key, value_node


Field = Callable[[Document, yaml.Node, Problems, str], Any]  # (…, the key's name)


def text_field(*, required: bool = False) -> Field:
    """A text value (a number is read as its text); null or absent is "" unless required."""

    def read(doc: Document, node: yaml.Node, problems: Problems, what: str) -> Any:
        value = doc.scalar(node) if isinstance(node, yaml.ScalarNode) else node
        if value is None and not required:
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or (required and not value.strip()):
            quotes = " (put it in quotes)" if isinstance(node, yaml.ScalarNode) and node.value else ""
            empty = " (and not empty)" if required else ""
            problems.setdefault(line(node), f"{what} must be text{empty}, not {kind(node)}{quotes}")
            return None
        return value.strip()

    return read


def flag_field(doc: Document, node: yaml.Node, problems: Problems, what: str) -> Any:
    value = doc.scalar(node) if isinstance(node, yaml.ScalarNode) else node
    if value is None:
        return False
    if not isinstance(value, bool):
        problems.setdefault(line(node), f"{what} must be true or false, not {kind(node)}")
        return None
    return value


def version_field(doc: Document, node: yaml.Node, problems: Problems, what: str) -> Any:
    """The version an exported row carried (a whole number from 1), or None when the file does not say."""
    value = doc.scalar(node) if isinstance(node, yaml.ScalarNode) else node
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        problems.setdefault(
            line(node), f"{what} must be a whole number from 1 (as exported), not {kind(node)}"
        )
        return None
    return value


def mapping(
    doc: Document,
    node: yaml.Node,
    fields: dict[str, Field],
    required: set[str],
    what: str,
    problems: Problems,
) -> dict[str, Any] | None:
    """A mapping checked key by key: unknown keys, missing keys and wrong values are each a line's problem."""
    if not isinstance(node, yaml.MappingNode):
        problems.setdefault(line(node), f"{what} must be a mapping ({', '.join(fields)}), not {kind(node)}")
        return None
    values: dict[str, Any] = {}
    wrong, before = False, len(problems)
    for key, value_node in entries(doc, node, problems):
        if key not in fields:
            problems.setdefault(
                line(value_node), f"{what} has no key {key!r}; its keys are {', '.join(fields)}"
            )
            wrong = True
            continue
        value = fields[key](doc, value_node, problems, key)
        wrong = wrong or value is None
        values[key] = value
    missing = sorted(required - set(values))
    if missing:
        problems.setdefault(line(node), f"{what} needs {', '.join(missing)}")
    return None if wrong or missing or len(problems) > before else values


def sequence(doc: Document, node: yaml.Node, what: str, problems: Problems) -> list[yaml.Node] | None:
    """A list's item nodes; null is an empty list."""
    if isinstance(node, yaml.ScalarNode) and doc.scalar(node) is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.setdefault(line(node), f"{what} must be a list (lines starting with '- '), not {kind(node)}")
        return None
    return list(node.value)
