"""A reader of POSIX sh launch scripts, as far as a QEMU command line needs.

It splits a script into simple commands of words, the way sh would: quotes,
backslashes, line continuations, comments, `;`, `&&`, `|` and newlines, and
redirections such as `exec 3<>/dev/tap12`. It runs nothing. A variable that
an earlier line of the script sets to a plain value (`DISK=/var/a.img`) is
substituted; anything else sh would compute at run time (an unset or
environment variable, `$(...)`, backquotes, `${X:-y}`, `~`, globs) is
recorded as a problem of the word, never guessed. A word that is exactly
"$@" (the script's own arguments) is marked so the caller can drop it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from genqemu.errors import GenqemuError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_SEPARATORS = ";&|()"
_SPECIAL = "@*#?$!-0123456789"


@dataclass
class Word:
    """One word after quote removal, with what could not be resolved in it."""

    text: str
    line: int
    problems: list[str] = field(default_factory=list)
    caller_args: bool = False  # exactly "$@": the script's own arguments
    assignment: bool = False  # NAME=value with an unquoted name


@dataclass
class Redirect:
    """`[fd]OP target`: `3<>/dev/tap12`, `2>&1`, `</dev/null`."""

    fd: int | None
    op: str
    target: str
    line: int


@dataclass
class Command:
    """A simple command: its words and redirections, and the line it starts on."""

    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    line: int = 0


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.variables: dict[str, str | None] = {}  # None: set, but not to a plain value
        self.heredocs: list[tuple[str, bool]] = []  # pending (delimiter, strip tabs)

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + count)
        self.pos += count

    def commands(self) -> list[Command]:
        found: list[Command] = []
        current = Command(line=self.line)
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\" and self.peek(1) == "\n":
                self.advance(2)
            elif char in " \t\r":
                self.advance()
            elif char == "#":
                while self.pos < len(self.text) and self.peek() != "\n":
                    self.advance()
            elif char == "\n" or char in _SEPARATORS:
                self.advance()
                if char == "\n":
                    self.skip_heredocs()
                self.finish(current, found)
                current = Command(line=self.line)
            elif char in "<>" or (char.isdigit() and self.redirect_ahead()):
                current.redirects.append(self.redirect())
            else:
                current.words.append(self.word())
        self.finish(current, found)
        return found

    def finish(self, command: Command, found: list[Command]) -> None:
        if not command.words and not command.redirects:
            return
        found.append(command)
        words = command.words
        while words and words[0].text in ("then", "else", "do", "{", "!"):
            words = words[1:]
        if words and words[0].text in ("export", "readonly"):
            words = words[1:]
        elif not words or not all(w.assignment for w in words):
            return
        for word in words:  # NAME=value on a line of its own
            if "=" in word.text:
                name, _, value = word.text.partition("=")
                # A variable set twice (say in both branches of an if) has no one value.
                known = name not in self.variables and not word.problems
                self.variables[name] = value if known else None

    def redirect_ahead(self) -> bool:
        index = self.pos
        while index < len(self.text) and self.text[index].isdigit():
            index += 1
        return index < len(self.text) and self.text[index] in "<>"

    def redirect(self) -> Redirect:
        line = self.line
        start = self.pos
        while self.peek().isdigit():
            self.advance()
        fd = int(self.text[start : self.pos]) if self.pos > start else None
        op = self.peek()
        self.advance()
        while self.peek() and self.peek() in "<>&|-":
            op += self.peek()
            self.advance()
        while self.peek() and self.peek() in " \t":
            self.advance()
        if op.endswith("&") and (self.peek().isdigit() or self.peek() == "-"):
            start = self.pos
            while self.peek().isdigit() or self.peek() == "-":
                self.advance()
            return Redirect(fd, op, self.text[start : self.pos], line)
        target = self.word()
        if not target.text and not target.problems:
            raise GenqemuError(f"line {line}: the redirection {op} has no target")
        if op.startswith("<<"):
            self.heredocs.append((target.text, op == "<<-"))
        elif target.problems:
            raise GenqemuError(f"line {line}: {target.problems[0]}")
        return Redirect(fd, op, target.text, line)

    def skip_heredocs(self) -> None:
        for delimiter, strip_tabs in self.heredocs:
            while self.pos < len(self.text):
                end = self.text.find("\n", self.pos)
                end = len(self.text) if end < 0 else end
                body = self.text[self.pos : end]
                self.advance(end - self.pos + 1)
                if (body.lstrip("\t") if strip_tabs else body) == delimiter:
                    break
        self.heredocs = []

    def word(self) -> Word:
        word = Word("", self.line)
        out: list[str] = []
        start = self.pos
        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t\r\n" or char in _SEPARATORS or char in "<>":
                break
            if char == "\\":
                if self.peek(1) == "\n":
                    self.advance(2)
                    continue
                out.append(self.peek(1))
                self.advance(2)
            elif char == "'":
                end = self.text.find("'", self.pos + 1)
                if end < 0:
                    raise GenqemuError(f"line {self.line}: a single quote (') is never closed")
                out.append(self.text[self.pos + 1 : end])
                self.advance(end - self.pos + 1)
            elif char == '"':
                if self.text.startswith('"$@"', self.pos):
                    word.caller_args = True
                    self.advance(4)
                    continue
                self.advance()
                self.double_quoted(out, word)
            elif char == "$" and self.pos == start and self.text.startswith("$@", self.pos):
                word.caller_args = True
                self.advance(2)
            elif char == "$":
                self.expansion(out, word, quoted=False)
            elif char == "`":
                self.command_substitution(word)
            else:
                if char in "*?" or (char == "~" and not out and self.pos == start):
                    word.problems.append(
                        f"line {self.line}: {char!r} outside quotes is expanded by the shell "
                        "(a glob or the home directory): quote it or write the result"
                    )
                out.append(char)
                self.advance()
        word.text = "".join(out)
        word.assignment = bool(_ASSIGNMENT.match(self.text, start)) and "=" in word.text
        if word.caller_args and word.text:
            word.problems.append(f'line {word.line}: "$@" inside a word cannot be imported')
        return word

    def double_quoted(self, out: list[str], word: Word) -> None:
        while True:
            char = self.peek()
            if not char:
                raise GenqemuError(f'line {word.line}: a double quote (") is never closed')
            if char == '"':
                self.advance()
                return
            if char == "\\" and self.peek(1) and self.peek(1) in '$`"\\\n':
                if self.peek(1) != "\n":
                    out.append(self.peek(1))
                self.advance(2)
            elif char == "$":
                self.expansion(out, word, quoted=True)
            elif char == "`":
                self.command_substitution(word)
            else:
                out.append(char)
                self.advance()

    def expansion(self, out: list[str], word: Word, *, quoted: bool) -> None:
        line = self.line
        after = self.peek(1)
        if after == "(":
            self.skip_balanced("(", ")")
            word.problems.append(f"line {line}: $(...) runs a command when the script runs")
            return
        if after == "{":
            end = self.text.find("}", self.pos)
            if end < 0:
                raise GenqemuError(f"line {line}: a ${{ is never closed")
            inner = self.text[self.pos + 2 : end]
            self.advance(end - self.pos + 1)
            if _NAME.fullmatch(inner):
                self.substitute(inner, out, word, quoted=quoted, line=line)
            else:
                word.problems.append(f"line {line}: ${{{inner}}} is computed when the script runs")
            return
        match = _NAME.match(self.text, self.pos + 1)
        if match:
            self.advance(match.end() - self.pos)
            self.substitute(match.group(), out, word, quoted=quoted, line=line)
        elif after and after in _SPECIAL:
            self.advance(2)
            word.problems.append(f"line {line}: ${after} is set only when the script runs")
        else:
            out.append("$")
            self.advance()

    def substitute(self, name: str, out: list[str], word: Word, *, quoted: bool, line: int) -> None:
        if name not in self.variables:
            word.problems.append(
                f"line {line}: ${name} is not set by the script (it comes from the "
                "environment): write its value instead"
            )
            return
        value = self.variables[name]
        if value is None:
            word.problems.append(
                f"line {line}: ${name} is set more than once or to something computed at "
                "run time: write its value instead"
            )
        elif not quoted and re.search(r"[\s*?\[]", value):
            word.problems.append(
                f"line {line}: ${name} is not quoted, so the shell would split or glob "
                "its value: quote it"
            )
        else:
            out.append(value)

    def command_substitution(self, word: Word) -> None:
        line = self.line
        end = self.text.find("`", self.pos + 1)
        if end < 0:
            raise GenqemuError(f"line {line}: a backquote (`) is never closed")
        self.advance(end - self.pos + 1)
        word.problems.append(f"line {line}: `...` runs a command when the script runs")

    def skip_balanced(self, opening: str, closing: str) -> None:
        line = self.line
        depth = 0
        while self.pos < len(self.text):
            char = self.peek()
            if char == opening:
                depth += 1
            elif char == closing:
                depth -= 1
                if depth == 0:
                    self.advance()
                    return
            elif char == "'":
                end = self.text.find("'", self.pos + 1)
                if end < 0:
                    break
                self.advance(end - self.pos)
            self.advance()
        raise GenqemuError(f"line {line}: a $( is never closed")


def parse_script(text: str) -> list[Command]:
    """Every simple command of a sh script, in order."""
    return _Lexer(text).commands()
