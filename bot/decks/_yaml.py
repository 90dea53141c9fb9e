"""Safe YAML reading for deck files: a node tree with line numbers, and plain data.

Deck files come from server operators and contributors, so they are treated as
untrusted input:

- ``SafeLoader`` only: no Python object construction.
- Scalars are kept as the text written (only ``null``/``~``/empty stay ``None``):
  every leaf of a deck is text, and YAML 1.1 would otherwise turn an option
  ``no`` into ``False`` or ``3.10`` into ``3.1``. SPEC: deck text is shown as written.
- Aliases are refused. They are never needed in a deck, and an alias bomb
  ("billion laughs") is small on disk but expands exponentially for anything that
  walks the data, such as validation. The file size cap bounds the rest.
- Nesting is capped, since PyYAML's composer recurses once per level.
- The number of nodes is capped, so that building the tree, validating it and
  locating its problems stays bounded whatever fits in the size cap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.decks import limits

Loc = tuple[str | int, ...]
"""A path into the data, like pydantic's error ``loc``: ``("cards", 2, "front")``."""


class YamlError(Exception):
    """The text is not a YAML document Recall accepts; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


try:
    # libyaml's parser is about 20 times faster than the pure-Python one, which
    # matters for a reload that reads a large deck file.
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _DeckYamlLoader(_SafeLoader):
    # Start from no implicit resolvers at all (see the module docstring), then
    # re-add null so that an empty value is recognisably empty.
    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 (PyYAML's own class attribute)


_DeckYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


def _line(mark: Any) -> int:
    # Marks are 0-based; PyYAML has two Mark classes (Python and libyaml).
    return int(mark.line) + 1 if mark is not None else 1


def _check_events(text: str) -> None:
    """Refuse aliases, deep nesting and too many nodes from the event stream.

    This runs before any node is built. The event parser is not recursive, so
    this is safe on any input; the composer that runs afterwards recurses once
    per nesting level, and its time and memory grow with the number of nodes.
    """
    depth = 0
    nodes = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > limits.NODES_MAX:
                message = f"more than {limits.NODES_MAX:,} YAML values; a deck needs far fewer"
                raise YamlError(_line(event.start_mark), message)
        if isinstance(event, yaml.AliasEvent):
            raise YamlError(
                _line(event.start_mark), "YAML aliases (*name) are not allowed in deck files"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limits.NESTING_MAX:
                message = f"nested more than {limits.NESTING_MAX} levels deep"
                raise YamlError(_line(event.start_mark), message)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


@dataclass(frozen=True)
class Document:
    """A parsed deck file: the node tree (for line numbers) and the plain data."""

    root: Node | None
    data: object


def parse(text: str) -> Document:
    """Parse one YAML document, raising ``YamlError`` with a line number when it is not valid."""
    loader: _DeckYamlLoader | None = None
    try:
        _check_events(text)
        loader = _DeckYamlLoader(text)
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        line = _line(error.problem_mark or error.context_mark)
        what = error.problem or error.context or "unreadable YAML"
        raise YamlError(line, f"invalid YAML: {what}") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, max(error.position, 0)) + 1
        message = f"invalid YAML: unacceptable character #x{error.character:04x}"
        raise YamlError(line, message) from None
    except yaml.YAMLError as error:
        raise YamlError(1, f"invalid YAML: {error}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(root, data)


class LineIndex:
    """Lines of the nodes of one tree, found in one walk and then looked up in constant time.

    A file with many problems is located in one pass: searching the tree again for
    every problem cost problems × keys (minutes for a file of 200,000 unknown keys).
    """

    def __init__(self, root: Node | None) -> None:
        # loc -> (line of the key, line of the value); a list item's key line is its own.
        self._lines: dict[Loc, tuple[int, int]] = {}
        if root is None:
            return
        root_line = int(root.start_mark.line) + 1
        self._lines[()] = (root_line, root_line)
        stack: list[tuple[Node, Loc]] = [(root, ())]
        while stack:
            node, loc = stack.pop()
            if isinstance(node, MappingNode):
                for key_node, value_node in node.value:
                    if not isinstance(key_node, ScalarNode):
                        continue
                    child = (*loc, key_node.value)
                    # The first of repeated keys wins, as a search from the top would find it.
                    if child not in self._lines:
                        key_line = int(key_node.start_mark.line) + 1
                        self._lines[child] = (key_line, int(value_node.start_mark.line) + 1)
                        stack.append((value_node, child))
            elif isinstance(node, SequenceNode):
                for index, item in enumerate(node.value):
                    child = (*loc, index)
                    line = int(item.start_mark.line) + 1
                    self._lines[child] = (line, line)
                    stack.append((item, child))

    def line(self, loc: Loc, *, at_key: bool = False) -> int:
        """The 1-based line of the node at ``loc``, or of its deepest existing ancestor.

        With ``at_key``, a final mapping key resolves to the key's own line (where an
        unknown or duplicate key is written) rather than its value's.
        """
        found = self._lines.get(loc)
        if found is not None:
            return found[0] if at_key else found[1]
        for end in range(len(loc) - 1, -1, -1):
            found = self._lines.get(loc[:end])
            if found is not None:
                return found[1]
        return 1


@dataclass(frozen=True)
class DuplicateKey:
    """A key written twice in one mapping; YAML keeps only the last value."""

    loc: Loc
    line: int
    first_line: int


def duplicate_keys(node: Node | None, loc: Loc = ()) -> Iterator[DuplicateKey]:
    """Every repeated key in the tree, at the repeat's line."""
    if isinstance(node, MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                key = str(key_node.value)
                line = int(key_node.start_mark.line) + 1
                if key in first:
                    yield DuplicateKey((*loc, key), line, first[key])
                else:
                    first[key] = line
                yield from duplicate_keys(value_node, (*loc, key))
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from duplicate_keys(item, (*loc, index))
