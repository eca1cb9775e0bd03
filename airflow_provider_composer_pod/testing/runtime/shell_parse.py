"""Tokenizer and parser for the POSIX shell subset of the built-in container runtime.

Supported: words with ``'…'``/``"…"``/backslash quoting, ``$VAR``, ``${VAR}`` (with ``:-``, ``-``, ``:=``, ``#``,
``##``, ``%``, ``%%``, ``#VAR``), ``$(…)``/backticks, ``$((…))``, ``;``, newlines, ``&&``, ``||``, ``|``, ``!``,
``>``, ``>>``, ``<``, ``N>&M``, ``if/elif/else/fi``, ``while``/``until``, ``for … in``, ``( … )`` and ``{ …; }``.
Anything else is a syntax error reported like ``sh`` does.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple, Union

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


# ------------------------------------------------------------------------------------------------- parser
# AST nodes are tuples: ("list", [node]), ("andor", first, [(op, node)]), ("pipe", negate, [node]),
# ("simple", [(name, Word)], [Word], [(fd, op, Word)]), ("if", [(cond, body)], else_body, redirs),
# ("while", cond, body, until), ("for", name, [Word] | None, body), ("group", body, subshell, redirs).
Node = Tuple[Any, ...]
_RESERVED_END = {"then", "elif", "else", "fi", "do", "done", "}", "esac"}


class Parser:
    def __init__(self, tokens: List[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Optional[Token]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _is_word(self, token: Optional[Token], text: str) -> bool:
        return isinstance(token, Word) and token.literal == text

    def _is_op(self, token: Optional[Token], *texts: str) -> bool:
        return isinstance(token, Op) and token.text in texts

    def skip_newlines(self) -> None:
        while self._is_op(self.peek(), "\n"):
            self.pos += 1

    def expect_word(self, text: str) -> None:
        self.skip_newlines()
        if not self._is_word(self.peek(), text):
            raise ShellSyntaxError(f'unexpected {self._describe()} (expecting "{text}")')
        self.pos += 1

    def _describe(self) -> str:
        token = self.peek()
        if token is None:
            return "end of file"
        if isinstance(token, Op):
            return "newline" if token.text == "\n" else f'"{token.text}"'
        if isinstance(token, Word):
            return 'word "%s"' % (token.literal or "…")
        return "redirection"

    def parse(self) -> Node:
        node = self.parse_list()
        if self.peek() is not None:
            raise ShellSyntaxError(f"unexpected {self._describe()}")
        return node

    def parse_list(self) -> Node:
        items: List[Node] = []
        while True:
            self.skip_newlines()
            token = self.peek()
            if token is None or self._is_op(token, ")") or (isinstance(token, Word) and token.literal in _RESERVED_END):
                break
            items.append(self.parse_and_or())
            if self._is_op(self.peek(), ";", "\n", "&"):
                self.pos += 1
            else:
                break
        return ("list", items)

    def parse_and_or(self) -> Node:
        first = self.parse_pipeline()
        rest: List[Tuple[str, Node]] = []
        while self._is_op(self.peek(), "&&", "||"):
            op = self.tokens[self.pos].text  # type: ignore[union-attr]
            self.pos += 1
            self.skip_newlines()
            rest.append((op, self.parse_pipeline()))
        return ("andor", first, rest)

    def parse_pipeline(self) -> Node:
        negate = False
        if self._is_word(self.peek(), "!"):
            negate = True
            self.pos += 1
        commands = [self.parse_command()]
        while self._is_op(self.peek(), "|"):
            self.pos += 1
            self.skip_newlines()
            commands.append(self.parse_command())
        return ("pipe", negate, commands)

    def parse_command(self) -> Node:
        token = self.peek()
        if isinstance(token, Word):
            word = token.literal
            if word == "if":
                return self.parse_if()
            if word in ("while", "until"):
                self.pos += 1
                cond = self.parse_list()
                self.expect_word("do")
                body = self.parse_list()
                self.expect_word("done")
                return ("while", cond, body, word == "until")
            if word == "for":
                return self.parse_for()
            if word == "{":
                self.pos += 1
                body = self.parse_list()
                self.expect_word("}")
                return ("group", body, False, self.parse_redirs())
        if self._is_op(token, "("):
            self.pos += 1
            body = self.parse_list()
            if not self._is_op(self.peek(), ")"):
                raise ShellSyntaxError(f'unexpected {self._describe()} (expecting ")")')
            self.pos += 1
            return ("group", body, True, self.parse_redirs())
        return self.parse_simple()

    def parse_redirs(self) -> List[Tuple[int, str, Word]]:
        redirs = []
        while isinstance(self.peek(), Redir):
            redir = self.tokens[self.pos]
            self.pos += 1
            target = self.peek()
            if not isinstance(target, Word):
                raise ShellSyntaxError(f"unexpected {self._describe()}")
            self.pos += 1
            redirs.append((redir.fd, redir.op, target))  # type: ignore[union-attr]
        return redirs

    def parse_if(self) -> Node:
        self.pos += 1
        branches = []
        cond = self.parse_list()
        self.expect_word("then")
        branches.append((cond, self.parse_list()))
        else_body = None
        while True:
            self.skip_newlines()
            if self._is_word(self.peek(), "elif"):
                self.pos += 1
                cond = self.parse_list()
                self.expect_word("then")
                branches.append((cond, self.parse_list()))
            elif self._is_word(self.peek(), "else"):
                self.pos += 1
                else_body = self.parse_list()
            else:
                break
        self.expect_word("fi")
        return ("if", branches, else_body, self.parse_redirs())

    def parse_for(self) -> Node:
        self.pos += 1
        token = self.peek()
        if not isinstance(token, Word) or not token.literal:
            raise ShellSyntaxError("bad for loop variable")
        name = token.literal
        self.pos += 1
        words: Optional[List[Word]] = None
        self.skip_newlines()
        if self._is_word(self.peek(), "in"):
            self.pos += 1
            words = []
            while isinstance(self.peek(), Word) and not self._is_word(self.peek(), "do"):
                words.append(self.tokens[self.pos])  # type: ignore[arg-type]
                self.pos += 1
        if self._is_op(self.peek(), ";", "\n"):
            self.pos += 1
        self.expect_word("do")
        body = self.parse_list()
        self.expect_word("done")
        return ("for", name, words, body)

    def parse_simple(self) -> Node:
        assigns: List[Tuple[str, Word]] = []
        words: List[Word] = []
        redirs: List[Tuple[int, str, Word]] = []
        while True:
            token = self.peek()
            if isinstance(token, Redir):
                redirs.extend(self.parse_redirs())
            elif isinstance(token, Word):
                first = token.parts[0] if token.parts else None
                if (
                    not words
                    and first is not None
                    and first[0] == "lit"
                    and not first[2]
                    and "=" in first[1]
                    and first[1].split("=", 1)[0].replace("_", "a").isalnum()
                    and not first[1][0].isdigit()
                ):
                    name, rest = first[1].split("=", 1)
                    assigns.append((name, Word([("lit", rest, True)] + token.parts[1:])))
                else:
                    words.append(token)
                self.pos += 1
            else:
                break
        if not words and not assigns and not redirs:
            raise ShellSyntaxError(f"unexpected {self._describe()}")
        return ("simple", assigns, words, redirs)


def parse(text: str) -> Node:
    return Parser(tokenize(text)).parse()
