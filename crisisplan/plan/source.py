"""Read a YAML file while remembering where every key and item stands in it.

PyYAML's composer gives each node a start mark; we walk the node tree once to
build the plain data and a map from data path to (line, column), so that every
problem found later, by pydantic or by the cross-reference checks, can name the
file, line and column of the offending text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crisisplan.errors import PlanError, Problem

PathKey = tuple[str | int, ...]


@dataclass
class Located:
    """Parsed YAML data plus the position of every path in it (1-based)."""

    file: str
    data: Any
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def at(self, path: PathKey) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.marks:
                return self.marks[path]
            path = path[:-1]
        return self.marks.get((), (1, 1))

    def problem(self, path: PathKey, message: str, hint: str = "") -> Problem:
        line, column = self.at(path)
        return Problem(self.file, line, column, message, hint)


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.marks: dict[PathKey, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self._scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.marks.setdefault(path, _pos(node))
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, path + ("<key>",))
                if not isinstance(key, str | int | bool) or key is None:
                    self.problems.append(
                        Problem(self.file, *_pos(key_node), "a key must be a plain word")
                    )
                    continue
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    first = self.marks.get(path + (key,), (0, 0))[0]
                    self.problems.append(
                        Problem(
                            self.file,
                            *_pos(key_node),
                            f"duplicate key '{key}'",
                            f"it is already set on line {first}; keep one of them",
                        )
                    )
                    continue
                # The key's own position is the one a reader looks for.
                self.marks[path + (key,)] = _pos(key_node)
                result[key] = self.build(value_node, path + (key,))
            self.marks.pop(path + ("<key>",), None)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self._scalars.construct_object(node)


def parse_yaml(text: str, file: str) -> Located:
    """Parse YAML text; raise PlanError (with the position) when it is not valid YAML."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = error.problem or error.context or "not valid YAML"
        raise PlanError(
            [Problem(file, line, column, f"YAML syntax: {what}", "check indentation and quoting")]
        ) from None
    except yaml.YAMLError as error:
        raise PlanError([Problem(file, 1, 1, f"YAML: {error}")]) from None
    if node is None:
        raise PlanError([Problem(file, 1, 1, "the file is empty", "see the shipped runbooks")])
    builder = _Builder(file)
    try:
        data = builder.build(node, ())
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise PlanError([Problem(file, line, column, f"YAML: {error.problem}")]) from None
    if builder.problems:
        raise PlanError(builder.problems)
    return Located(file, data, builder.marks)


def read_yaml(path: Path, shown_as: str | None = None) -> Located:
    name = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise PlanError([Problem(name, 1, 1, f"not UTF-8 text ({error.reason})")]) from None
    except OSError as error:
        raise PlanError([Problem(name, 1, 1, f"cannot read the file: {error.strerror}")]) from None
    return parse_yaml(text, name)
