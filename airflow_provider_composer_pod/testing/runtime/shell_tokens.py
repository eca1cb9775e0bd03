"""Tokenizer for the built-in runtime's shell subset: words with their quoting and expansions, operators, redirects.

The grammar is described in :mod:`.shell_parse`.
"""

from __future__ import annotations

from typing import List, Optional, Tuple, Union

# A word part: (kind, text, quoted) with kind "lit", "var", "param", "cmd" or "arith".
Part = Tuple[str, str, bool]


class ShellSyntaxError(Exception):
    """Reported as ``sh: syntax error: …`` with exit status 2."""


class Word:
    def __init__(self, parts: List[Part]) -> None:
        self.parts = parts

    @property
    def literal(self) -> Optional[str]:
        """The text if the word is one unquoted literal (reserved words, assignments)."""
        if len(self.parts) == 1 and self.parts[0][0] == "lit" and not self.parts[0][2]:
            return self.parts[0][1]
        return None

    def __repr__(self) -> str:
        return f"Word({self.parts!r})"


class Op:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Op({self.text!r})"


class Redir:
    def __init__(self, fd: int, op: str) -> None:
        self.fd = fd
        self.op = op


Token = Union[Word, Op, Redir]
_SINGLE_VARS = set("?$#@*!0123456789-")


def _matching(text: str, start: int, open_: str, close: str) -> int:
    """Index of the ``close`` matching the ``open_`` just before ``start``, skipping quotes."""
    depth, i = 1, start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "'":
            i = text.index("'", i + 1) + 1 if "'" in text[i + 1 :] else len(text)
            continue
        if char == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if char == open_:
            depth += 1
        elif char == close:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ShellSyntaxError(f"unterminated {open_}")


def _dollar(text: str, i: int, quoted: bool) -> Tuple[Part, int]:
    """Parse an expansion starting at ``text[i] == "$"``."""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if text.startswith("$((", i):
        end = _matching(text, i + 3, "(", ")")
        if end + 1 < len(text) and text[end + 1] == ")":
            return ("arith", text[i + 3 : end], quoted), end + 2
    if nxt == "(":
        end = _matching(text, i + 2, "(", ")")
        return ("cmd", text[i + 2 : end], quoted), end + 1
    if nxt == "{":
        end = text.find("}", i + 2)
        if end < 0:
            raise ShellSyntaxError("bad substitution")
        return ("param", text[i + 2 : end], quoted), end + 1
    if nxt and (nxt.isalpha() or nxt == "_"):
        j = i + 1
        while j < len(text) and (text[j].isalnum() or text[j] == "_"):
            j += 1
        return ("var", text[i + 1 : j], quoted), j
    if nxt in _SINGLE_VARS and nxt:
        return ("var", nxt, quoted), i + 2
    return ("lit", "$", quoted), i + 1


def tokenize(text: str) -> List[Token]:
    tokens: List[Token] = []
    parts: List[Part] = []
    lit: List[str] = []
    started = False
    i = 0

    def flush() -> None:
        if lit:
            parts.append(("lit", "".join(lit), False))
            del lit[:]

    def end_word() -> None:
        nonlocal started
        flush()
        if started:
            tokens.append(Word(list(parts)))
        del parts[:]
        started = False

    while i < len(text):
        char = text[i]
        if char in " \t\r":
            end_word()
            i += 1
        elif char == "\n":
            end_word()
            tokens.append(Op("\n"))
            i += 1
        elif char == "#" and not started:
            while i < len(text) and text[i] != "\n":
                i += 1
        elif char == "\\":
            if text[i + 1 : i + 2] == "\n":
                i += 2
                continue
            flush()
            parts.append(("lit", text[i + 1 : i + 2], True))
            started = True
            i += 2
        elif char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated quoted string")
            flush()
            parts.append(("lit", text[i + 1 : end], True))
            started = True
            i = end + 1
        elif char == '"':
            flush()
            started = True
            i = _double_quoted(text, i + 1, parts)
        elif char == "$":
            flush()
            part, i = _dollar(text, i, False)
            parts.append(part)
            started = True
        elif char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated `")
            flush()
            parts.append(("cmd", text[i + 1 : end], False))
            started = True
            i = end + 1
        elif text.startswith(("&&", "||", ";;"), i):
            end_word()
            tokens.append(Op(text[i : i + 2]))
            i += 2
        elif char in ";|&()":
            end_word()
            tokens.append(Op(char))
            i += 1
        elif char in "<>":
            fd = -1
            if started and not parts and lit and "".join(lit).isdigit():
                fd = int("".join(lit))
                del lit[:]
                started = False
            end_word()
            if text.startswith(">>", i):
                op, i = ">>", i + 2
            elif text.startswith(">&", i):
                op, i = ">&", i + 2
            elif text.startswith(">|", i):
                op, i = ">", i + 2
            else:
                op, i = char, i + 1
            tokens.append(Redir(fd if fd >= 0 else (0 if op == "<" else 1), op))
        else:
            lit.append(char)
            started = True
            i += 1
    end_word()
    return tokens


def _double_quoted(text: str, i: int, parts: List[Part]) -> int:
    buf: List[str] = []

    def flush() -> None:
        parts.append(("lit", "".join(buf), True))
        del buf[:]

    while i < len(text):
        char = text[i]
        if char == '"':
            flush()
            return i + 1
        if char == "\\" and text[i + 1 : i + 2] in ('"', "\\", "$", "`", "\n"):
            if text[i + 1] != "\n":
                buf.append(text[i + 1])
            i += 2
        elif char == "$":
            flush()
            part, i = _dollar(text, i, True)
            parts.append(part)
        elif char == "`":
            end = text.find("`", i + 1)
            flush()
            parts.append(("cmd", text[i + 1 : end], True))
            i = end + 1
        else:
            buf.append(char)
            i += 1
    raise ShellSyntaxError("unterminated quoted string")
