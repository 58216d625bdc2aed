"""Strings matching a regex, made from a random seed.

Hypothesis's from_regex spends one choice per character, and a config has
many patterned values (UUIDs, property names, ids): drawing them that way
cost more than everything else in the property tests together. Here a value
costs one choice (its seed). Handles the regex subset the models use:
literals, classes (negated too), '.', repeats, groups, alternation, anchors.
"""

from __future__ import annotations

import random
import re
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

MAX_EXTRA = 10  # most repeats beyond the minimum
_DIGITS = "0123456789"


def generate(pattern: re.Pattern[str], rng: random.Random, alphabet: str) -> str:
    """A string that (for the supported subset) matches `pattern` at its start."""
    out: list[str] = []
    _emit(parser.parse(pattern.pattern, pattern.flags), rng, alphabet, out)
    return "".join(out)


def _emit(items: Any, rng: random.Random, alphabet: str, out: list[str]) -> None:
    for op, arg in items:
        if op is c.LITERAL:
            out.append(chr(arg))
        elif op is c.NOT_LITERAL:
            out.append(rng.choice([ch for ch in alphabet if ord(ch) != arg]))
        elif op is c.ANY:
            out.append(rng.choice([ch for ch in alphabet if ch != "\n"]))
        elif op is c.IN:
            out.append(rng.choice(_members(arg, alphabet)))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, high, sub = arg
            top = low + MAX_EXTRA if high is c.MAXREPEAT else min(high, low + MAX_EXTRA)
            for _ in range(rng.randint(low, top)):
                _emit(sub, rng, alphabet, out)
        elif op is c.SUBPATTERN:
            _emit(arg[-1], rng, alphabet, out)
        elif op is c.BRANCH:
            _emit(rng.choice(arg[1]), rng, alphabet, out)
        elif op is c.AT:
            continue  # anchors match where the string ends anyway
        else:
            raise NotImplementedError(f"tests/support/regexgen.py cannot generate {op}")


def _members(items: Any, alphabet: str) -> list[str]:
    """The characters of `alphabet` (and of the class's own ranges) in a class."""
    negate = False
    literals: set[str] = set()
    ranges: list[tuple[int, int]] = []
    for op, arg in items:
        if op is c.NEGATE:
            negate = True
        elif op is c.LITERAL:
            literals.add(chr(arg))
        elif op is c.RANGE:
            ranges.append(arg)
        elif op is c.CATEGORY and arg is c.CATEGORY_DIGIT:
            literals.update(_DIGITS)
        else:
            raise NotImplementedError(f"tests/support/regexgen.py cannot generate class item {op}")

    def inside(ch: str) -> bool:
        return ch in literals or any(low <= ord(ch) <= high for low, high in ranges)

    if negate:
        return [ch for ch in alphabet if not inside(ch)]
    own = {chr(n) for low, high in ranges for n in range(low, min(high, low + 255) + 1)}
    return sorted(literals | own)
