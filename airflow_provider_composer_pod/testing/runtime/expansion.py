"""Word expansion for the shell: parameters, arithmetic and command substitution, then field splitting."""

from __future__ import annotations

import fnmatch
import re
from typing import Dict, List, Optional

from airflow_provider_composer_pod.testing.runtime.shell_tokens import Word
from airflow_provider_composer_pod.testing.runtime.shell_types import ShellExit


class WordExpansion:
    """Expands a :class:`~.shell_tokens.Word` against the shell's variables; :class:`~.shell.Shell` mixes it in."""

    vars: Dict[str, str]
    positional: List[str]
    name: str
    status: int

    async def _command_substitution(self, text: str) -> str:
        """``$(…)``: the output of ``text`` run in a child shell (the shell provides it)."""
        raise NotImplementedError

    async def _expand_words(self, words: List[Word]) -> List[str]:
        result: List[str] = []
        for word in words:
            result.extend(await self._expand_word(word))
        return result

    async def _expand_word(self, word: Word, split: bool = True) -> List[str]:
        fields: List[str] = []
        current: Optional[str] = None
        for kind, text, quoted in word.parts:
            if kind == "lit":
                value = text
            elif kind == "var":
                value = self._var(text)
            elif kind == "param":
                value = self._param(text)
            elif kind == "arith":
                value = str(self._arith(text))
            else:
                value = await self._command_substitution(text)
            if kind == "lit" or quoted or not split:
                current = (current or "") + value
                continue
            pieces = value.split()
            if not pieces:
                if value and current is not None:
                    fields.append(current)
                    current = None
                continue
            if value[:1].isspace() and current is not None:
                fields.append(current)
                current = None
            current = (current or "") + pieces[0]
            for piece in pieces[1:]:
                fields.append(current)
                current = piece
            if value[-1:].isspace():
                fields.append(current)
                current = None
        if current is not None:
            fields.append(current)
        return fields

    def _var(self, name: str) -> str:
        if name == "?":
            return str(self.status)
        if name == "$":
            return "1"
        if name == "#":
            return str(len(self.positional))
        if name in ("@", "*"):
            return " ".join(self.positional)
        if name == "0":
            return self.name
        if name.isdigit():
            index = int(name) - 1
            return self.positional[index] if index < len(self.positional) else ""
        return self.vars.get(name, "")

    def _param(self, text: str) -> str:
        if text.startswith("#") and len(text) > 1:
            return str(len(self._var(text[1:])))
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*|[0-9?#$@*])(.*)$", text, re.S)
        if not match:
            raise ShellExit(2)
        name, op = match.groups()
        value = self._var(name)
        is_set = name in self.vars or not name.isidentifier()
        for prefix in (":-", "-", ":=", "=", ":+", "+"):
            if op.startswith(prefix):
                word = op[len(prefix) :]
                empty = (not value) if prefix.startswith(":") else not is_set
                if prefix.endswith("-"):
                    return word if empty else value
                if prefix.endswith("="):
                    if empty:
                        self.vars[name] = word
                        return word
                    return value
                return "" if empty else word
        for prefix in ("##", "#", "%%", "%"):
            if op.startswith(prefix):
                return _strip(value, op[len(prefix) :], prefix)
        return value

    def _arith(self, expr: str) -> int:
        def lookup(match: re.Match[str]) -> str:
            raw = self.vars.get(match.group(1), "0") or "0"
            return raw if raw.lstrip("-").isdigit() else "0"

        expr = re.sub(r"\$?([A-Za-z_][A-Za-z0-9_]*)", lookup, expr)
        if not re.match(r"^[\d\s+\-*/%()<>=!&|]*$", expr):
            raise ShellExit(2)
        expr = expr.replace("/", "//").replace("&&", " and ").replace("||", " or ")
        try:
            return int(eval(expr, {"__builtins__": {}}, {}))
        except Exception:
            raise ShellExit(2) from None


def _strip(value: str, pattern: str, op: str) -> str:
    """``${v#p}`` family: shortest/longest prefix or suffix matching a glob."""
    indices = range(len(value) + 1)
    if op in ("#", "##"):
        order = reversed(indices) if op == "##" else indices
        for i in order:
            if fnmatch.fnmatchcase(value[:i], pattern):
                return value[i:]
    else:
        order = indices if op == "%%" else reversed(indices)
        for i in order:
            if fnmatch.fnmatchcase(value[i:], pattern):
                return value[:i]
    return value
