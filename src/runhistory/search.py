"""MLflow's search syntax: filters such as ``metrics.loss < 0.5 AND params.lr = '0.1'`` and
order-by clauses such as ``metrics.loss DESC``, parsed into plain data and evaluated over values.

The grammar (MLflow's, written down)::

    filter      := comparison ("AND" comparison)*
    comparison  := identifier operator value
    identifier  := [entity "."] key          entity: metrics, params, tags, attributes (and
                                             their singular forms, "attr", "run")
    key         := word | `back quoted` | "double quoted"
    operator    := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value       := 'string' | "string" | number | "(" string ("," string)* ")"

A key without an entity is an attribute. Errors are ``SearchSyntaxError`` naming the position.

>>> parse_filter("metrics.loss < 0.5 and params.lr = '0.1'")
[Comparison(entity='metric', key='loss', operator='<', value=0.5), Comparison(entity='param', key='lr', operator='=', value='0.1')]
>>> parse_order_by(["metrics.loss DESC"])
[OrderKey(entity='metric', key='loss', ascending=False)]
>>> matches(Comparison("tag", "team", "LIKE", "vi%"), "vision")
True
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from typing import Any

from runhistory.errors import SearchSyntaxError

ENTITIES = {
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
    "dataset": "dataset",
    "datasets": "dataset",
}
STRING_OPERATORS = frozenset({"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"})
NUMBER_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">="})

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<operator><=|>=|!=|<>|=|<|>)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
  | (?P<backquoted>`[^`]*`)
  | (?P<number>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))(?![\w.])
  | (?P<word>[A-Za-z_][\w.\-/:]*)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<comma>,)
    """,
    re.VERBOSE,
)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One ``entity.key operator value`` term of a filter."""

    entity: str
    key: str
    operator: str
    value: Any  # a str, a float, or a tuple of str for IN


@dataclasses.dataclass(frozen=True)
class OrderKey:
    entity: str
    key: str
    ascending: bool = True


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise SearchSyntaxError(
                f"search filter {text!r}: unexpected {text[position]!r} at position {position}; "
                "write terms like metrics.loss < 0.5 or params.lr = '0.1' joined by AND"
            )
        kind = match.lastgroup or ""
        if kind != "space":
            found.append(_Token(kind, match.group(), position))
        position = match.end()
    return found


class _Parser:
    def __init__(self, text: str, what: str) -> None:
        self.text = text
        self.what = what
        self.tokens = _tokens(text)
        self.index = 0

    def fail(self, message: str, token: _Token | None = None) -> SearchSyntaxError:
        where = f"position {token.position if token is not None else len(self.text)}"
        return SearchSyntaxError(f"{self.what} {self.text!r}: {message} at {where}")

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected: str) -> _Token:
        token = self.peek()
        if token is None:
            raise self.fail(f"expected {expected} but the text ends")  # at len(text)
        self.index += 1
        return token

    def keyword(self, token: _Token | None, word: str) -> bool:
        return token is not None and token.kind == "word" and token.text.upper() == word

    def identifier(self) -> tuple[str, str]:
        token = self.take("an identifier such as metrics.loss")
        if token.kind == "backquoted":
            return "attribute", token.text[1:-1]
        if token.kind != "word":
            raise self.fail(
                f"expected an identifier such as metrics.loss, got {token.text!r}", token
            )
        entity_word, dot, key = token.text.partition(".")
        if not dot:
            return "attribute", token.text
        entity = ENTITIES.get(entity_word.lower())
        if entity is None:
            raise self.fail(
                f"unknown entity {entity_word!r}; use one of metrics, params, tags, attributes",
                token,
            )
        if not key:  # metrics.`my key` or metrics."my key"
            quoted = self.take("a key after the '.'")
            if quoted.kind == "backquoted" or (
                quoted.kind == "string" and quoted.text.startswith('"')
            ):
                key = quoted.text[1:-1]
            else:
                raise self.fail(f"expected a key after {token.text!r}", quoted)
        return entity, key

    def operator(self) -> str:
        token = self.take("an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN)")
        if token.kind == "operator":
            return "!=" if token.text == "<>" else token.text
        word = token.text.upper() if token.kind == "word" else ""
        if word in ("LIKE", "ILIKE", "IN"):
            return word
        if word == "NOT" and self.keyword(self.peek(), "IN"):
            self.index += 1
            return "NOT IN"
        raise self.fail(
            f"expected an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN), got {token.text!r}",
            token,
        )

    def value(self, operator: str) -> Any:
        token = self.take("a value")
        if operator in ("IN", "NOT IN"):
            if token.kind != "open":
                raise self.fail(
                    f"{operator} needs a list such as ('a', 'b'), got {token.text!r}", token
                )
            items = [self.string(self.take("a quoted string"))]
            while True:
                after = self.take("',' or ')'")
                if after.kind == "close":
                    return tuple(items)
                if after.kind != "comma":
                    raise self.fail(f"expected ',' or ')', got {after.text!r}", after)
                items.append(self.string(self.take("a quoted string")))
        if token.kind == "string":
            return self.string(token)
        if token.kind == "number":
            return float(token.text)
        if token.kind == "word" and token.text.lower() in ("nan", "inf", "infinity", "-inf"):
            return float(token.text)
        raise self.fail(f"expected a quoted string or a number, got {token.text!r}", token)

    def string(self, token: _Token) -> str:
        if token.kind != "string":
            raise self.fail(f"expected a quoted string, got {token.text!r}", token)
        body = token.text[1:-1]
        if token.text[0] == "'":
            body = body.replace("''", "'")
        return re.sub(r"\\(.)", r"\1", body)


def parse_filter(text: str | None) -> list[Comparison]:
    """The comparisons of ``text`` (all must hold); an empty filter is an empty list."""
    if text is None or not text.strip():
        return []
    parser = _Parser(text, "search filter")
    terms: list[Comparison] = []
    while True:
        entity, key = parser.identifier()
        operator = parser.operator()
        value = parser.value(operator)
        terms.append(_checked(parser, Comparison(entity, key, operator, value)))
        token = parser.peek()
        if token is None:
            return terms
        if not parser.keyword(token, "AND"):
            hint = "; OR is not supported" if parser.keyword(token, "OR") else ""
            raise parser.fail(f"expected AND between terms, got {token.text!r}{hint}", token)
        parser.index += 1


def _checked(parser: _Parser, term: Comparison) -> Comparison:
    if term.entity == "metric":
        allowed = NUMBER_OPERATORS
        if not isinstance(term.value, float):
            raise parser.fail(f"metric {term.key!r} is compared with a number, not {term.value!r}")
    elif term.entity in ("param", "tag", "dataset"):
        allowed = STRING_OPERATORS
        if not isinstance(term.value, (str, tuple)):
            raise parser.fail(
                f"{term.entity} {term.key!r} is compared with a quoted string, not {term.value!r}"
            )
    else:
        allowed = NUMBER_OPERATORS | STRING_OPERATORS
    if term.operator not in allowed:
        raise parser.fail(
            f"operator {term.operator} cannot compare {term.entity} {term.key!r}; "
            f"use one of {', '.join(sorted(allowed))}"
        )
    return term


def parse_order_by(clauses: Sequence[str] | None) -> list[OrderKey]:
    """Order keys such as ``metrics.loss DESC`` or ``attributes.start_time`` (ascending)."""
    keys: list[OrderKey] = []
    for clause in clauses or ():
        parser = _Parser(clause, "order_by clause")
        entity, key = parser.identifier()
        ascending = True
        token = parser.peek()
        if token is not None:
            if token.kind != "word" or token.text.upper() not in ("ASC", "DESC"):
                raise parser.fail(f"expected ASC or DESC, got {token.text!r}", token)
            ascending = token.text.upper() == "ASC"
            parser.index += 1
        if parser.peek() is not None:
            raise parser.fail("unexpected text after the order", parser.peek())
        keys.append(OrderKey(entity, key, ascending))
    return keys


def matches(term: Comparison, value: Any) -> bool:
    """Whether ``value`` (None when the run lacks it) satisfies ``term``."""
    if value is None:
        return False
    operator, wanted = term.operator, term.value
    if operator in ("IN", "NOT IN"):
        return (str(value) in wanted) == (operator == "IN")
    if operator in ("LIKE", "ILIKE"):
        return like_pattern(wanted, operator == "ILIKE").fullmatch(str(value)) is not None
    if isinstance(wanted, float):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        return _compare(operator, number, wanted)
    return _compare(operator, str(value), wanted)


def _compare(operator: str, left: Any, right: Any) -> bool:
    if operator == "=":
        return bool(left == right)
    if operator == "!=":
        return bool(left != right)
    if isinstance(left, float) and (math.isnan(left) or math.isnan(right)):
        return False
    if operator == "<":
        return bool(left < right)
    if operator == "<=":
        return bool(left <= right)
    if operator == ">":
        return bool(left > right)
    return bool(left >= right)


def like_pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """SQL LIKE as a regular expression: ``%`` any run of characters, ``_`` one character."""
    parts = ("." * (c == "_") + ".*" * (c == "%") or re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)
