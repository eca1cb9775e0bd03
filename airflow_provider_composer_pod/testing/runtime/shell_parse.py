"""Parser for the POSIX shell subset of the built-in container runtime (tokens come from :mod:`.shell_tokens`).

Supported: words with ``'…'``/``"…"``/backslash quoting, ``$VAR``, ``${VAR}`` (with ``:-``, ``-``, ``:=``, ``#``,
``##``, ``%``, ``%%``, ``#VAR``), ``$(…)``/backticks, ``$((…))``, ``;``, newlines, ``&&``, ``||``, ``|``, ``!``,
``>``, ``>>``, ``<``, ``N>&M``, ``if/elif/else/fi``, ``while``/``until``, ``for … in``, ``( … )`` and ``{ …; }``.
Anything else is a syntax error reported like ``sh`` does.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from airflow_provider_composer_pod.testing.runtime.shell_tokens import (
    Op,
    Redir,
    ShellSyntaxError,
    Token,
    Word,
    tokenize,
)

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
