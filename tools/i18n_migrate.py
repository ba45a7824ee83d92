"""Moves the interface's inline text pairs into the gettext catalogue.

Rewrites each call `tr(lang, "français", "English")` (qmi_metrics.present.vocabulary.tr, imported directly or
through another module) and each session-bound `common.tr("français", "English")` (a dashboard module's
`def tr(fr, en)` returning `…tr(lang(), fr, en)`, called as `module.tr(` or as a bare imported `tr(`) whose
texts are string literals or f-strings into `_(lang, "français", name=value)`:
  - f-string fields become named str.format fields (`{n}` stays `{n}`, `{len(rows)}` becomes `{len_rows}`),
    literal braces are escaped (`{{`, `}}`), conversions and format specs are kept;
  - a French `plural(n, "projet", "projets")` field, or a field `"s" if n != 1 else ""` in either language,
    makes the call `_n(lang, singular, plural, n, …)`: the catalogue's plural rule of each language then chooses;
then writes locales/en/LC_MESSAGES/messages.po from the code's messages (extracted with babel.cfg): msgid the
French text, msgstr the English text of the pairs, or of the catalogue already there; `#:` the locations.
It prints the calls converted, those left unchanged (with why), the French texts that had two different
English texts (the most frequent is kept), and the plurals whose form at 0 changes.
Idempotent: a second run finds nothing to convert and leaves the catalogue as it is.

The tree has no such pair left (vocabulary.tr is gone; `vocabulary.localized` reads a row's own two columns and is
not rewritten): a run converts nothing and refreshes the catalogue from the code (`make catalogue`): messages new to
it with an empty msgstr, listed, to translate by hand; entries of a context (`_p`, `N_p`: msgctxt) on their own.

    python tools/i18n_migrate.py [--root .] [--dry-run]
"""

from __future__ import annotations

import argparse
import ast
import collections
import datetime as dt
import io
import keyword
import re
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages import pofile
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.util import pathmatch

I18N_MODULE = "qmi_metrics.present.i18n"
TARGET_LANGUAGE = "en"  # the second text of every pair
MAX_LINE = 120
IGNORED = "_ignored"
HEADER = ("# The dashboard's English texts. msgid: the French text written in the code; msgstr: its English.\n"
          "# Written by tools/i18n_migrate.py from the code's messages; translations are edited here by hand.")  # new name of a throwaway `_` in a file that now calls the catalogue's `_`


class Unconvertible(Exception):
    """A call left as it is: the reason is reported."""


# --- string literals ------------------------------------------------------------------------------------------

@dataclass
class Field:
    """A replacement field of an f-string: `{expr!r:spec}`."""
    source: str  # the expression as written
    tree: ast.expr
    conversion: str = ""  # "!r", "!s", "!a" or ""
    spec: str = ""  # ":…" or ""


@dataclass
class Choice:
    """A word that agrees with a count: `plural(n, "a", "b")`, `"a" if n == 1 else "b"`."""
    count: ast.expr
    count_source: str
    singular: str
    plural: str
    rule: str  # "fr" (0 and 1 singular), "en" (1 only singular)
    quote: str = '"'  # of the words as written (inside an f-string field, not the f-string's own quote)


@dataclass
class Literal:
    """One string token: its prefix (without f), quote, and body as a list of source text, Field and Choice."""
    prefix: str
    quote: str
    parts: list


@dataclass
class Text:
    """A text argument: its tokens, with the source between them (spaces, newlines, comments)."""
    tokens: list  # Literal | str (the source between two literals)
    column: int  # where it starts on its line (characters)

    def literals(self):
        return [t for t in self.tokens if isinstance(t, Literal)]


STRING_START = re.compile(r"([rRuUfFbB]{0,2})('''|\"\"\"|'|\")")


def scan_strings(source: str) -> list:
    """The string tokens of an implicitly concatenated literal: [(prefix, quote, body), or str between]."""
    tokens, i = [], 0
    while i < len(source):
        start = i
        while i < len(source) and (source[i] in " \t\r\n\\" or source[i] == "#"):
            if source[i] == "#":
                while i < len(source) and source[i] != "\n":
                    i += 1
            else:
                i += 1
        if i > start:
            tokens.append(source[start:i])
            continue
        match = STRING_START.match(source, i)
        if not match:
            raise Unconvertible(f"unexpected text in a string argument: {source[i:i + 20]!r}")
        prefix, quote = match.groups()
        j = match.end()
        raw = "r" in prefix.lower()
        while True:
            if j >= len(source):
                raise Unconvertible("unterminated string")
            if source[j] == "\\":
                j += 2
                continue
            if source.startswith(quote, j):
                break
            j += 1
        tokens.append((prefix, quote, source[match.end():j], raw))
        i = j + len(quote)
    return tokens


def _plain_parts(body: str, raw: bool) -> list:
    """A plain string's body as format-string source: braces doubled, `\\N{…}` escapes left whole."""
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and not raw and body.startswith("N{", i + 1):
            end = body.index("}", i)
            out.append(body[i:end + 1])
            i = end + 1
        elif body[i] == "\\":
            out.append(body[i:i + 2])
            i += 2
        elif body[i] in "{}":
            out.append(body[i] * 2)
            i += 1
        else:
            out.append(body[i])
            i += 1
    return ["".join(out)]


def _fstring_parts(body: str, raw: bool, quote: str) -> list:
    """An f-string's body: literal source (already escaped as a format string) and Fields."""
    parts, text, i = [], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and not raw and body.startswith("N{", i + 1):
            end = body.index("}", i)
            text.append(body[i:end + 1])
            i = end + 1
        elif char == "\\":
            text.append(body[i:i + 2])
            i += 2
        elif body.startswith("{{", i) or body.startswith("}}", i):
            text.append(body[i:i + 2])
            i += 2
        elif char == "{":
            if text:
                parts.append("".join(text))
                text = []
            i, found = _scan_field(body, i + 1)
            parts.append(found)
        elif char == "}":
            raise Unconvertible("single '}' in an f-string")
        else:
            text.append(char)
            i += 1
    if text:
        parts.append("".join(text))
    return parts


def _scan_field(body: str, i: int) -> tuple[int, Field]:
    """The field starting after `{` at i: (index after its `}`, Field)."""
    depth, start, in_string = 0, i, None
    while i < len(body):
        char = body[i]
        if in_string:
            if body.startswith(in_string, i):
                i += len(in_string)
                in_string = None
                continue
            i += 1
            continue
        if char in "'\"":
            in_string = body[i:i + 3] if body[i:i + 3] in ("'''", '"""') else char
            i += len(in_string)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]" or (char == "}" and depth):
            depth -= 1
        elif depth == 0 and (char in "}:" or (char == "!" and body[i + 1:i + 2] != "=")
                             or (char == "=" and body[i + 1:i + 2] != "=" and body[i - 1:i] not in "=!<>")):
            break
        i += 1
    else:
        raise Unconvertible("unterminated f-string field")
    source = body[start:i].strip()
    if body[i] == "=":
        raise Unconvertible("self-documenting f-string field {x=}")
    try:
        tree = ast.parse(f"({source})", mode="eval").body
    except SyntaxError as error:
        raise Unconvertible(f"f-string field {source!r} does not parse: {error}") from None
    conversion = spec = ""
    if body[i] == "!":
        conversion, i = body[i:i + 2], i + 2
    if body[i] == ":":
        end = body.index("}", i)
        spec = body[i:end]
        if "{" in spec:
            raise Unconvertible("nested field in a format spec")
        i = end
    if body[i] != "}":
        raise Unconvertible("malformed f-string field")
    return i + 1, Field(source, tree, conversion, spec)


# --- choices (plural agreement) ------------------------------------------------------------------------------

# (comparison, constant) -> (the branch when true is the singular, the rule it states)
_RULES = {(ast.Eq, 1): (True, "en"), (ast.NotEq, 1): (False, "en"), (ast.Gt, 1): (False, "fr"),
          (ast.GtE, 2): (False, "fr"), (ast.Lt, 2): (True, "fr"), (ast.LtE, 1): (True, "fr")}


def _string(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def as_choice(node: ast.expr, source_of, plural_names: set) -> Choice | None:
    """A plural agreement written inline, or None."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in plural_names
            and len(node.args) == 3 and not node.keywords
            and _string(node.args[1]) is not None and _string(node.args[2]) is not None):
        return Choice(node.args[0], source_of(node.args[0]), node.args[1].value, node.args[2].value, "fr",
                      _quote_of(source_of(node.args[1])))
    if (isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1
            and isinstance(node.test.comparators[0], ast.Constant)
            and _string(node.body) is not None and _string(node.orelse) is not None):
        rule = _RULES.get((type(node.test.ops[0]), node.test.comparators[0].value))
        if rule:
            body_is_singular, stated = rule
            one, many = (node.body.value, node.orelse.value) if body_is_singular else (node.orelse.value, node.body.value)
            return Choice(node.test.left, source_of(node.test.left), one, many, stated, _quote_of(source_of(node.body)))
    return None


def _quote_of(literal: str) -> str:
    match = STRING_START.match(literal or "")
    return match.group(2)[0] if match else '"'


# --- placeholder names ---------------------------------------------------------------------------------------

def _words(node) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Subscript):
        key = node.slice
        if _string(key) is not None:
            return [key.value]
        return _words(node.value) + _words(key)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "join" and node.args:
            return _words(node.args[0])  # ", ".join(names) -> names
        if node.args:
            return _words(func) + _words(node.args[0])  # common.fmt(published.value) -> fmt_value
        if isinstance(func, ast.Attribute):
            return _words(func.value) + [func.attr]  # name.upper() -> name_upper
        return _words(func)
    if isinstance(node, (ast.GeneratorExp, ast.ListComp, ast.SetComp)):
        return _words(node.generators[0].iter)
    if isinstance(node, ast.IfExp):
        return _words(node.body) if not isinstance(node.body, ast.Constant) else _words(node.test)
    if isinstance(node, ast.BoolOp):
        return _words(node.values[0])
    if isinstance(node, ast.BinOp):
        return _words(node.left) + _words(node.right)
    if isinstance(node, ast.UnaryOp):
        return _words(node.operand)
    if isinstance(node, ast.Compare):
        return _words(node.left)
    if isinstance(node, ast.Constant):
        return [str(node.value)]
    return []


def placeholder_name(node: ast.expr) -> str:
    """A readable field name for an expression: row.commune -> commune, len(rows) -> len_rows."""
    words = [w.strip("_").lower() for w in _words(node)]
    name = re.sub(r"\W+", "_", "_".join(w for w in words if w)[:40], flags=re.ASCII).strip("_")
    if not name or name[0].isdigit():
        name = "value" + ("_" + name if name else "")
    return name + "_" if keyword.iskeyword(name) else name


# --- rendering -----------------------------------------------------------------------------------------------

def _escape_into(text: str, quote: str, raw: bool) -> str:
    """`text` written inside a format string's body delimited by `quote`."""
    text = text.replace("{", "{{").replace("}", "}}")
    if raw:
        if "\\" in text or quote[0] in text or "\n" in text:
            raise Unconvertible("a choice's word cannot be written in a raw string")
        return text
    text = text.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0])
    return text if len(quote) == 3 else text.replace("\n", "\\n")


def render(text: Text, names: dict, form: int) -> str:
    """The argument as plain string literals: form 0 singular, 1 plural (for the choices)."""
    out = []
    for token in text.tokens:
        if isinstance(token, str):
            out.append(token)
            continue
        raw = "r" in token.prefix.lower()
        body = []
        for part in token.parts:
            if isinstance(part, str):
                body.append(part)
            elif isinstance(part, Choice):
                body.append(_escape_into(part.plural if form else part.singular, token.quote, raw))
            else:
                body.append("{" + names[ast.dump(part.tree)] + part.conversion + part.spec + "}")
        out.append(f"{token.prefix}{token.quote}{''.join(body)}{token.quote}")
    return "".join(out)


def value_of(rendered: str) -> str:
    return ast.literal_eval(f"({rendered}\n)")


def _shift(source: str, delta: int) -> str:
    """Continuation lines moved right (or left) by delta columns."""
    if delta == 0 or "\n" not in source:
        return source
    first, *rest = source.split("\n")
    moved = []
    for line in rest:
        if delta > 0:
            moved.append(" " * delta + line if line.strip() else line)
        else:
            indent = len(line) - len(line.lstrip(" "))
            moved.append(line[min(-delta, indent):])
    return "\n".join([first, *moved])


# --- one file ------------------------------------------------------------------------------------------------

@dataclass
class Converted:
    path: str
    line: int
    msgid: str | tuple
    english: str | tuple
    zero_changes: list = field(default_factory=list)  # the plurals whose form at 0 differs from before


@dataclass
class Left:
    path: str
    line: int
    reason: str
    source: str


@dataclass
class Pair:
    """How a file's tr calls resolve."""
    kind: str  # "pair" (tr(lang, fr, en)) or "session" (tr(fr, en))
    module: str  # where tr is defined
    lang_function: str = ""  # for "session": the function giving the session's language


class Project:
    """The tree being rewritten: which module defines which tr."""

    def __init__(self, root: Path):
        self.root = root
        self._trees: dict[str, ast.Module | None] = {}
        self.refused_plurals: set[str] = set()  # singulars that are also messages of their own
        self.refused_singles: set[str] = set()  # messages that are already the singular of a plural
        found = self.pair("qmi_metrics.present.vocabulary", "tr")
        self.pair_module = found.module if found else ""  # where tr(lang, fr, en) and plural() are defined

    def module_file(self, module: str) -> Path | None:
        base = self.root / Path(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.exists():
                return candidate
        return None

    def tree(self, module: str) -> ast.Module | None:
        if module not in self._trees:
            path = self.module_file(module)
            self._trees[module] = ast.parse(path.read_text(encoding="utf-8")) if path else None
        return self._trees[module]

    def definition(self, module: str, name: str, seen=()) -> tuple[str, ast.FunctionDef] | None:
        """The module defining `name` as seen from `module` (following imports) and the definition."""
        tree = self.tree(module)
        if tree is None or (module, name) in seen:
            return None
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return module, node
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (alias.asname or alias.name) == name:
                        source = resolve_relative(module, node, self.module_file(module))
                        return self.definition(source, alias.name, (*seen, (module, name)))
        return None

    def pair(self, module: str, name: str) -> Pair | None:
        found = self.definition(module, name)
        if not found:
            return None
        where, node = found
        params = [a.arg for a in node.args.args]
        if len(params) == 3:
            return Pair("pair", where)
        if len(params) == 2:
            for ret in ast.walk(node):
                if (isinstance(ret, ast.Return) and isinstance(ret.value, ast.Call) and len(ret.value.args) == 3
                        and isinstance(ret.value.args[0], ast.Call) and isinstance(ret.value.args[0].func, ast.Name)
                        and not ret.value.args[0].args):
                    return Pair("session", where, ret.value.args[0].func.id)
        return None


def _walk_scope(node):
    """The nodes of `node`'s own scope: the functions and classes defined inside are named, not entered."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)) and child is not node:
                yield child
                if not isinstance(child, ast.Lambda):
                    todo.extend(child.decorator_list)
                continue
            todo.append(child)


def resolve_relative(module: str, node: ast.ImportFrom, path: Path | None) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if path is None or path.name != "__init__.py":
        package = package[:-1]
    package = package[:len(package) - node.level + 1]
    return ".".join([*package, node.module] if node.module else package)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class FileRewrite:
    def __init__(self, project: Project, path: Path):
        self.project = project
        self.path = path
        self.relative = path.relative_to(project.root).as_posix()
        self.module = module_name(project.root, path)
        self.source = path.read_text(encoding="utf-8")
        self.converted: list[Converted] = []
        self.left: dict[tuple[int, int], Left] = {}
        self.needs: set[str] = set()  # "_", "_n"
        self.imports_to_add: dict[str, set[str]] = collections.defaultdict(set)  # module -> names

    # positions
    def _offsets(self):
        lines = self.source.split("\n")
        starts, total = [], 0
        for line in lines:
            starts.append(total)
            total += len(line) + 1
        return lines, starts

    def index(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8"))

    def segment(self, node) -> str:
        return self.source[self.index(node.lineno, node.col_offset):self.index(node.end_lineno, node.end_col_offset)]

    def column(self, node) -> int:
        return self.index(node.lineno, node.col_offset) - self.starts[node.lineno - 1]

    # the file's names
    def _scan(self):
        self.tree = ast.parse(self.source)
        self.lines, self.starts = self._offsets()
        self.parents = {child: parent for parent in ast.walk(self.tree) for child in ast.iter_child_nodes(parent)}
        self.names: dict[str, tuple[str, str]] = {}  # local name -> ("module", M) or ("symbol", M.name)
        for node in self.tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.names[alias.asname] = ("module", alias.name)
                    else:
                        self.names[alias.name.split(".")[0]] = ("module", alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                source = resolve_relative(self.module, node, self.path)
                for alias in node.names:
                    local = alias.asname or alias.name
                    if self.project.module_file(f"{source}.{alias.name}"):
                        self.names[local] = ("module", f"{source}.{alias.name}")
                    else:
                        self.names[local] = ("symbol", source, alias.name)

    def callee(self, call: ast.Call) -> Pair | None:
        func = call.func
        if isinstance(func, ast.Name) and func.id == "tr":
            bound = self.names.get("tr")
            if bound and bound[0] == "symbol":
                return self.project.pair(bound[1], bound[2])
            return self.project.pair(self.module, "tr")
        if isinstance(func, ast.Attribute) and func.attr == "tr" and isinstance(func.value, ast.Name):
            bound = self.names.get(func.value.id)
            if bound and bound[0] == "module":
                return self.project.pair(bound[1], "tr")
        return None

    def plural_names(self, pair_module: str) -> set[str]:
        found = set()
        for local, bound in self.names.items():
            if bound[0] == "symbol" and bound[2] == "plural":
                where = self.project.definition(bound[1], "plural")
                if where and where[0] == pair_module:
                    found.add(local)
        return found

    def bound_names(self, node, own_scope_only: bool = False) -> set[str]:
        """Names bound inside `node` (assignments, parameters, imports, definitions); with own_scope_only,
        not those of the functions defined inside it."""
        bound = set()
        for sub in (_walk_scope(node) if own_scope_only else ast.walk(node)):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                bound.add(sub.id)
            elif isinstance(sub, ast.arg):
                bound.add(sub.arg)
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(sub.name)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).split(".")[0] for a in sub.names)
            elif isinstance(sub, ast.ExceptHandler) and sub.name:
                bound.add(sub.name)
        return bound

    def enclosing_functions(self, node):
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield node

    def shadowed(self, name: str, call: ast.Call) -> bool:
        """`name` is not the module's function at this call: a local of an enclosing function, or rebound at
        module level."""
        if any(name in self.bound_names(f, own_scope_only=True) for f in self.enclosing_functions(call)):
            return True
        module_level = [n for n in self.tree.body if not (isinstance(n, (ast.FunctionDef, ast.Import, ast.ImportFrom))
                                                          and getattr(n, "name", name) == name)]
        return any(name in self.bound_names(n, own_scope_only=True) for n in module_level
                   if not isinstance(n, (ast.Import, ast.ImportFrom)))

    def session_language(self, call: ast.Call, pair: Pair) -> tuple[str, str | None]:
        """The expression giving the session's language at this call, and the name to import for it if any."""
        func, function = call.func, pair.lang_function
        if isinstance(func, ast.Attribute):
            return f"{func.value.id}.{function}()", None
        if pair.module == self.module:
            if self.shadowed(function, call):
                raise Unconvertible(f"{function} is a local name here: the session's language cannot be called")
            return f"{function}()", None
        for local, bound in self.names.items():
            if bound == ("symbol", pair.module, function) and not self.shadowed(local, call):
                return f"{local}()", None
            if bound == ("module", pair.module):
                return f"{local}.{function}()", None
        if function in self.bound_names(self.tree):
            raise Unconvertible(f"{function} is already a name in this file: import the session's language by hand")
        return f"{function}()", function

    # texts
    def text(self, node: ast.expr, plural_names: set) -> Text:
        source_of = self.segment
        choice = as_choice(node, source_of, plural_names)
        if choice:
            return Text([Literal("", choice.quote, [choice])], self.column(node))  # a literal made for it
        if _string(node) is None and not isinstance(node, ast.JoinedStr):
            raise Unconvertible("a text is not a string literal or an f-string")
        tokens = []
        for token in scan_strings(source_of(node)):
            if isinstance(token, str):
                tokens.append(token)
                continue
            prefix, quote, body, raw = token
            if "b" in prefix.lower():
                raise Unconvertible("bytes literal")
            if "f" in prefix.lower():
                parts = []
                for part in _fstring_parts(body, raw, quote):
                    if isinstance(part, Field):
                        wrapped = f"({part.source})"  # what the field's tree was parsed from
                        part = as_choice(part.tree, lambda n, w=wrapped: ast.get_source_segment(w, n),
                                         plural_names) or part
                    parts.append(part)
            else:
                parts = _plain_parts(body, raw)
            tokens.append(Literal(prefix.replace("f", "").replace("F", ""), quote, parts))
        return Text(tokens, self.column(node))

    def convert(self, call: ast.Call, pair: Pair) -> str:
        if call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
            raise Unconvertible("starred or keyword arguments")
        expected = 3 if pair.kind == "pair" else 2
        if len(call.args) != expected:
            raise Unconvertible(f"{len(call.args)} arguments where tr takes {expected}")
        if pair.kind == "pair":
            language, language_import = self.segment(call.args[0]), None
        else:
            language, language_import = self.session_language(call, pair)
        plural_names = self.plural_names(self.project.pair_module)
        french = self.text(call.args[-2], plural_names)
        english = self.text(call.args[-1], plural_names)

        def choices(text):
            return [p for lit in text.literals() for p in lit.parts if isinstance(p, Choice)]

        counts = {ast.dump(c.count): c for c in choices(french) + choices(english)}
        if len(counts) > 1:
            raise Unconvertible("agreements with different counts in one text")
        count = next(iter(counts.values()), None)

        # names: the count is {n} unless another field is named n
        fields = [p for text in (french, english) for lit in text.literals() for p in lit.parts if isinstance(p, Field)]
        names, sources, taken = {}, {}, set()
        bases = {ast.dump(f.tree): placeholder_name(f.tree) for f in fields}
        count_key = ast.dump(count.count) if count else None
        if count_key:
            others_want_n = any(base == "n" and key != count_key for key, base in bases.items())
            names[count_key] = placeholder_name(count.count) if others_want_n else "n"
            if names[count_key] == "n" and others_want_n:
                names[count_key] = "count"
            taken.add(names[count_key])
            sources[count_key] = count.count_source
        for f in fields:
            key = ast.dump(f.tree)
            if key in names:
                continue
            name, suffix = bases[key], 2
            while name in taken:
                name, suffix = f"{bases[key]}_{suffix}", suffix + 1
            names[key], sources[key] = name, f.source
            taken.add(name)

        rendered_fr = [render(french, names, form) for form in ((0, 1) if count else (0,))]
        rendered_en = [render(english, names, form) for form in ((0, 1) if count else (0,))]
        msgid = tuple(value_of(r) for r in rendered_fr) if count else value_of(rendered_fr[0])
        msgstr = tuple(value_of(r) for r in rendered_en) if count else value_of(rendered_en[0])
        for text in (msgid, msgstr):
            for one in (text if isinstance(text, tuple) else (text,)):
                try:
                    list(string.Formatter().parse(one))
                except ValueError as error:
                    raise Unconvertible(f"not a valid format string once converted: {error}") from None

        zero_changes = []
        for language_code, text in (("fr", french), ("en", english)):
            for choice in choices(text):
                if choice.rule != language_code:
                    zero_changes.append(f"{language_code}: {choice.singular!r}/{choice.plural!r} at {choice.count_source} = 0")

        # the new call
        call_start = self.index(call.lineno, call.col_offset)
        line_start = self.starts[call.lineno - 1]
        head = ("_n(" if count else "_(") + language + ", "
        first = call.args[-2]
        between = self.source[self.index(call.args[-3].end_lineno, call.args[-3].end_col_offset) if pair.kind == "pair"
                              else self.index(call.func.end_lineno, call.func.end_col_offset) + 1:
                              self.index(first.lineno, first.col_offset)]
        if "\n" in between:
            head = head.rstrip() + "\n" + between.rsplit("\n", 1)[1]
            column = len(between.rsplit("\n", 1)[1])
        else:
            column = call_start - line_start + len(head)
        delta = column - french.column
        pieces = [_shift(r, delta) for r in rendered_fr]
        arguments = [pieces[0]]
        if count:
            arguments.append(pieces[1])
            arguments.append(count.count_source)
        arguments += [f"{names[k]}={sources[k]}" for k in names if k != count_key or names[k] != "n"]
        # inside an f-string's field (Python 3.11), the call stays on one line
        inside_fstring = any(isinstance(a, ast.JoinedStr) for a in self._ancestors(call))
        if inside_fstring and any("\n" in a for a in arguments + [head]):
            raise Unconvertible("a call inside an f-string field whose text spans lines")
        # Each argument after the text on the same line while it fits; a text of several lines stands alone.
        text, previous = head + arguments[0], arguments[0]
        for argument in arguments[1:]:
            width = len(text.rsplit("\n", 1)[-1]) + (0 if "\n" in text else call_start - line_start)
            alone = "\n" in argument or "\n" in previous
            if not inside_fstring and (alone or width + 2 + len(argument) + 1 > MAX_LINE):
                text += ",\n" + " " * column + argument
            else:
                text += ", " + argument
            previous = argument
        if count and msgid[0] in self.project.refused_plurals:
            raise Unconvertible(f"its singular {msgid[0]!r} is also a message of its own, and a catalogue holds one "
                                "entry per msgid: give this plural a text of its own (e.g. with its count)")
        if not count and msgid in self.project.refused_singles:
            raise Unconvertible(f"{msgid!r} is already the singular of a plural message (one entry per msgid)")
        # committed only now that the call converts
        self.needs.add("_n" if count else "_")
        if language_import:
            self.imports_to_add[pair.module].add(language_import)
        self.converted.append(Converted(self.relative, call.lineno, msgid, msgstr, zero_changes))
        return text + ")"

    # one pass: the innermost calls first; a call holding one converted in this pass waits for the next pass
    def pass_once(self) -> bool:
        self._scan()
        self.left = {}
        candidates = [(node, pair) for node in ast.walk(self.tree) if isinstance(node, ast.Call)
                      for pair in [self.callee(node)] if pair and not self._is_wrapper_body(node, pair)]
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and self.callee(node) is None and (
                    getattr(node.func, "id", None) == "tr" or getattr(node.func, "attr", None) == "tr"):
                self.left[(node.lineno, node.col_offset)] = Left(
                    self.relative, node.lineno, "a tr that is neither vocabulary.tr nor a recognised session wrapper "
                    "(def tr(fr, en): return ….tr(lang(), fr, en))", " ".join(self.segment(node).split())[:110])
        if not candidates:
            return False
        problem, renames = self._free_underscore()
        depth = {id(node): len(list(self._ancestors(node))) for node, _pair in candidates}
        done, edits = [], []
        for node, pair in sorted(candidates, key=lambda c: -depth[id(c[0])]):
            if any(self._contains(node, inner) for inner in done):
                continue
            try:
                if problem:
                    raise Unconvertible(problem)
                new = self.convert(node, pair)
            except Unconvertible as why:
                self.left[(node.lineno, node.col_offset)] = Left(self.relative, node.lineno, str(why),
                                                                 " ".join(self.segment(node).split())[:110])
                continue
            done.append(node)
            edits.append((self.index(node.lineno, node.col_offset), self.index(node.end_lineno, node.end_col_offset), new))
        if not edits:
            return False
        for start, end, new in sorted(edits + renames, reverse=True):
            self.source = self.source[:start] + new + self.source[end:]
        return True

    def _ancestors(self, node):
        while node in self.parents:
            node = self.parents[node]
            yield node

    def _contains(self, outer, inner) -> bool:
        return any(a is outer for a in self._ancestors(inner))

    def _is_wrapper_body(self, node, pair) -> bool:
        """The session wrapper's own body, `vocabulary.tr(lang(), fr, en)`."""
        own = self.project.pair(self.module, "tr")
        return pair.kind == "pair" and own is not None and own.kind == "session" and own.module == self.module and any(
            isinstance(f, ast.FunctionDef) and f.name == "tr" for f in self.enclosing_functions(node))

    def _free_underscore(self) -> tuple[str, list]:
        """The catalogue's `_` and `_n` must not be shadowed: throwaway `_` variables are renamed; any other
        use of those names is the reason this file's calls are left."""
        problem, renames = "", []
        for node in ast.walk(self.tree):
            name = getattr(node, "id", None) or getattr(node, "arg", None) or getattr(node, "name", None)
            if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
                renames.append((self.index(node.lineno, node.col_offset),
                                self.index(node.end_lineno, node.end_col_offset), IGNORED))
            elif isinstance(node, ast.Name) and node.id in ("_", "_n"):
                parent = self.parents.get(node)
                if not (isinstance(parent, ast.Call) and parent.func is node):
                    problem = f"`{node.id}` is read as a variable in this file (line {node.lineno})"
            elif isinstance(node, (ast.arg, ast.ExceptHandler, ast.FunctionDef, ast.ClassDef)) and name in ("_", "_n"):
                problem = f"`{name}` is a parameter or a definition in this file (line {node.lineno})"
            elif isinstance(node, ast.Name) and node.id == "_n" and isinstance(node.ctx, ast.Store):
                problem = f"`_n` is a variable in this file (line {node.lineno})"
            elif isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "module", None) != I18N_MODULE and \
                    any((a.asname or a.name) in ("_", "_n") for a in node.names):
                problem = f"an import named `_` or `_n` (line {node.lineno})"
        return problem, renames

    def run(self) -> bool:
        original = self.source
        while self.pass_once():
            pass
        if self.source != original:
            self._add_imports()
            self.pass_once()  # the calls left, at their final lines
        return self.source != original

    def _add_imports(self):
        self._scan()
        have = {a.name for n in self.tree.body if isinstance(n, ast.ImportFrom) and n.module == I18N_MODULE
                for a in n.names}
        wanted = {I18N_MODULE: self.needs - have, **{m: names for m, names in self.imports_to_add.items()}}
        for module, names in wanted.items():
            if names:
                self._scan()
                self._import(module, names)

    def _import(self, module: str, names: set[str]):
        """`from module import names`: added to the file's import of that module, or as a new line among the
        first-party imports of the file's first import block."""
        def order(name):
            return name.lstrip("_").lower(), name

        for node in self.tree.body:
            if (isinstance(node, ast.ImportFrom) and node.module == module and not node.level
                    and node.lineno == node.end_lineno and not any(a.asname for a in node.names)):
                start, end = self.index(node.lineno, node.col_offset), self.index(node.end_lineno, node.end_col_offset)
                merged = sorted({a.name for a in node.names} | names, key=order)
                self.source = self.source[:start] + f"from {module} import {', '.join(merged)}" + self.source[end:]
                return
        statement = f"from {module} import {', '.join(sorted(names, key=order))}\n"
        block, body = [], list(self.tree.body)
        if body and isinstance(body[0], ast.Expr) and _string(body[0].value) is not None:
            body = body[1:]
        for node in body:
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                break
            block.append(node)
        if not block:
            line = self.tree.body[0].end_lineno if len(body) < len(self.tree.body) else 0
            start = self.starts[line] if line < len(self.starts) else len(self.source)
            self.source = self.source[:start] + ("\n" if line else "") + statement + ("\n" if line else "") \
                + self.source[start:]
            return

        def first_party(node):
            name = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            return (name or "").split(".")[0] in ("qmi_metrics", "dashboard") or bool(getattr(node, "level", 0))

        ours = [n for n in block if first_party(n)]
        before = [n for n in ours if isinstance(n, ast.ImportFrom) and (n.module or "") <= module]
        if before:
            start = self.starts[before[-1].end_lineno]
        elif ours:
            start = self.starts[ours[0].lineno - 1]
        else:
            start = self.starts[block[-1].end_lineno]
            statement = "\n" + statement
        self.source = self.source[:start] + statement + self.source[start:]


# --- imports no longer used ----------------------------------------------------------------------------------

def drop_unused(project: Project, files: list[Path], names=("tr", "plural")) -> list[str]:
    """Removes `tr`/`plural` from imports that nothing uses any more (neither the file nor, as module.tr, another)."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in files}
    used_as_attribute = collections.defaultdict(set)  # module -> attribute names read as module.attr somewhere
    imported_from = collections.defaultdict(set)
    for path, tree in trees.items():
        aliases = {}
        module = module_name(project.root, path)
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                source = resolve_relative(module, node, path)
                for a in node.names:
                    imported_from[source].add(a.name)
                    if project.module_file(f"{source}.{a.name}"):
                        aliases[a.asname or a.name] = f"{source}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    aliases[a.asname or a.name] = a.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                used_as_attribute[aliases[node.value.id]].add(node.attr)
    dropped = []
    for path, tree in trees.items():
        module = module_name(project.root, path)
        read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        source, changed = path.read_text(encoding="utf-8"), False
        for node in sorted((n for n in tree.body if isinstance(n, ast.ImportFrom)), key=lambda n: -n.lineno):
            drop = [a for a in node.names if a.name in names and not a.asname and a.name not in read
                    and a.name not in used_as_attribute[module] and a.name not in imported_from[module]]
            if not drop:
                continue
            lines = source.split("\n")
            if node.lineno != node.end_lineno:
                continue  # a parenthesised import: left for a person
            line = lines[node.lineno - 1]
            code, hash_, comment = line.partition("#")
            keep = [a for a in node.names if a not in drop]
            prefix = code[:len(code) - len(code.lstrip())]
            if keep:
                names_text = ", ".join(a.name if not a.asname else f"{a.name} as {a.asname}" for a in keep)
                new = f"{prefix}from {'.' * node.level}{node.module or ''} import {names_text}"
                for a in drop:  # a comment naming the re-export (`also used as figures.tr`) goes with it
                    comment = re.sub(rf"\s*\b\w+\.{a.name}\b,?", "", comment)
                comment = re.sub(r"\(\s*\)|,\s*\)", lambda m: ")" if m.group(0).startswith(",") else "", comment)
                lines[node.lineno - 1] = new + (("  #" + comment.rstrip()) if hash_ and comment.strip() else "")
            else:
                del lines[node.lineno - 1]
            dropped += [f"{path.relative_to(project.root).as_posix()}:{node.lineno}: {a.name}" for a in drop]
            source, changed = "\n".join(lines), True
        if changed:
            path.write_text(source, encoding="utf-8")
    return dropped


# --- the catalogue -------------------------------------------------------------------------------------------

def read_mapping(root: Path):
    with (root / "babel.cfg").open(encoding="utf-8") as cfg:
        return parse_mapping_cfg(cfg)


def extract(root: Path, keywords) -> list[tuple[str, int, str | tuple]]:
    """(file, line, msgid) of every catalogue call in the files of babel.cfg."""
    return [(filename, lineno, message) for filename, lineno, message, _context in extract_entries(root, keywords)]


def extract_entries(root: Path, keywords) -> list[tuple[str, int, str | tuple, str | None]]:
    """(file, line, msgid, context) of every catalogue call and marker in the files of babel.cfg."""
    method_map, options_map = read_mapping(root)
    found = []
    for filename, lineno, message, _comments, context in extract_from_dir(
            root, method_map, options_map, keywords=keywords, strip_comment_tags=True,
            # folders starting with "_" too, which Babel's default filter skips (app_pages/_ui/ would be one)
            directory_filter=lambda d: not Path(d).name.startswith(".") and Path(d).name != "__pycache__"):
        found.append((Path(filename).as_posix(), lineno, message, context))
    return found


@dataclass
class CatalogueReport:
    written: bool
    disagreements: dict
    untranslated: list
    obsolete: list
    conflicts: list


def write_catalogue(root: Path, keywords, path: Path, pairs: list[Converted], dry_run: bool) -> CatalogueReport:
    existing = None
    if path.exists():
        with path.open("rb") as po:
            existing = pofile.read_po(po, locale=TARGET_LANGUAGE)
    variants = collections.defaultdict(collections.Counter)
    where = collections.defaultdict(list)
    for pair in pairs:
        variants[pair.msgid][pair.english] += 1
        where[(pair.msgid, pair.english)].append(f"{pair.path}:{pair.line}")
    catalogue = Catalog(locale=TARGET_LANGUAGE, domain="messages", project="QMI dashboard", version="1",
                        header_comment=HEADER, fuzzy=False)
    if existing is not None:
        catalogue.creation_date, catalogue.revision_date = existing.creation_date, existing.revision_date
        catalogue.last_translator = existing.last_translator
        catalogue.language_team = existing.language_team
    untranslated, conflicts, disagreements = [], [], {}
    locations = collections.defaultdict(list)
    order = []
    # A context (msgctxt) makes an entry of its own: the same French text with another translation.
    for filename, lineno, message, context in extract_entries(root, keywords):
        if (message, context) not in locations:
            order.append((message, context))
        locations[(message, context)].append((filename, lineno))
    seen_ids = {}
    for message, context in order:
        key = message[0] if isinstance(message, tuple) else message
        if (key, context) in seen_ids and seen_ids[(key, context)] != message:
            conflicts.append(f"{key!r} is both {seen_ids[(key, context)]!r} and {message!r} "
                             "(one catalogue entry per msgid and context)")
            continue
        seen_ids[(key, context)] = message
        counter = variants.get(message, collections.Counter()) if context is None else collections.Counter()
        before = existing.get(key, context) if existing is not None else None
        before_string = None
        if before is not None and isinstance(before.id, tuple) == isinstance(message, tuple):
            before_string = tuple(before.string) if isinstance(message, tuple) else before.string
            if not all(before_string if isinstance(message, tuple) else [before_string]):
                before_string = None
        # The catalogue's translation stands (a translator may have edited it); else the most frequent pair.
        string = before_string or (counter.most_common(1)[0][0] if counter else None)
        if not string:
            untranslated.append(message if context is None else (context, message))
            string = ("", "") if isinstance(message, tuple) else ""
        catalogue.add(message, string, locations=locations[(message, context)], context=context)
        catalogue.get(key, context).flags.discard("python-format")  # brace fields, not %: no printf check applies
    for message, counter in variants.items():
        key = message[0] if isinstance(message, tuple) else message
        before = existing.get(key) if existing is not None else None
        kept = catalogue.get(key)
        kept = (tuple(kept.string) if isinstance(message, tuple) else kept.string) if kept is not None else None
        known = set(counter) | ({tuple(before.string) if isinstance(before.string, (list, tuple)) else before.string}
                                if before is not None and before.string and before.id == message else set())
        if len(known) > 1:
            texts = {text: where.get((message, text), ["(catalogue)"]) for text in known}
            disagreements[message] = dict(sorted(texts.items(), key=lambda item: item[0] != kept))
    obsolete = [m.id for m in existing if m.id and ((m.id[0] if isinstance(m.id, tuple) else m.id), m.context)
                not in seen_ids] if existing is not None else []
    text = _serialise(catalogue)
    previous = path.read_bytes() if path.exists() else None
    written = previous != text
    if written and previous is not None:
        catalogue.revision_date = dt.datetime.now(dt.timezone.utc)
        text = _serialise(catalogue)
    if written and not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)
    return CatalogueReport(written, disagreements, untranslated, obsolete, conflicts)


def _serialise(catalogue: Catalog) -> bytes:
    out = io.BytesIO()
    pofile.write_po(out, catalogue, width=0, sort_output=False, include_previous=False)
    return out.getvalue()


# --- the whole tree ------------------------------------------------------------------------------------------

@dataclass
class Report:
    converted: list
    left: list
    outside: list
    dropped_imports: list
    catalogue: CatalogueReport


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py")
                  if not any(part.startswith(".") or part in ("__pycache__", "node_modules") for part in p.relative_to(root).parts))


def in_mapping(root: Path, path: Path) -> bool:
    method_map, _options = read_mapping(root)
    relative = path.relative_to(root).as_posix()
    return any(pathmatch(pattern, relative) for pattern, _method in method_map)


def migrate(root: Path, dry_run: bool = False) -> Report:
    root = root.resolve()
    sys.path.insert(0, str(root))
    from qmi_metrics.present import i18n

    project = Project(root)
    files = [p for p in python_files(root) if "tr(" in p.read_text(encoding="utf-8")]
    # A catalogue holds one entry per msgid: a plural whose singular is also a message of its own cannot go in.
    # A first run in memory finds them; the real run leaves those calls.
    rewrites = [FileRewrite(project, p) for p in files if in_mapping(root, p)]
    for rewrite in rewrites:
        rewrite.run()
    already = extract(root, i18n.KEYWORDS)
    singles = {m for _f, _l, m in already if isinstance(m, str)} | {
        c.msgid for r in rewrites for c in r.converted if isinstance(c.msgid, str)}
    plural_singulars = {m[0] for _f, _l, m in already if isinstance(m, tuple)}
    project.refused_plurals = singles
    project.refused_singles = plural_singulars

    converted, left, outside, changed = [], [], [], []
    for path in files:
        rewrite = FileRewrite(project, path)
        if not in_mapping(root, path):
            rewrite._scan()
            outside += [f"{rewrite.relative}:{n.lineno}" for n in ast.walk(rewrite.tree)
                        if isinstance(n, ast.Call) and rewrite.callee(n)]
            continue
        if rewrite.run():
            changed.append(path)
            if not dry_run:
                path.write_text(rewrite.source, encoding="utf-8")
        converted += rewrite.converted
        left += rewrite.left.values()
    dropped = []
    while not dry_run:  # an import dropped in one file can free the re-export of another
        more = drop_unused(project, [p for p in python_files(root) if in_mapping(root, p)])
        if not more:
            break
        dropped += more
    if dropped:  # the calls left, at their lines once the imports are gone
        left = [item for path in files if in_mapping(root, path)
                for rewrite in [FileRewrite(project, path)] if not rewrite.pass_once()
                for item in rewrite.left.values()] if left else []
    catalogue = write_catalogue(root, i18n.KEYWORDS, i18n.catalogue_path(TARGET_LANGUAGE, root / "locales"),
                                converted, dry_run)
    return Report(converted, sorted(left, key=lambda x: (x.path, x.line)), outside, dropped, catalogue)


def print_report(report: Report, out=None) -> None:
    def say(*lines):
        print(*lines, sep="\n", file=out or sys.stdout)

    say(f"converted: {len(report.converted)} calls; left unchanged: {len(report.left)}")
    for item in report.left:
        say(f"  left {item.path}:{item.line}: {item.reason}: {item.source}")  # lines after the rewrite
    for item in report.outside:
        say(f"  not in babel.cfg, left: {item}")
    changes = [(c, z) for c in report.converted for z in c.zero_changes]
    if changes:
        say(f"plurals whose form at 0 changes (the catalogue's rule now decides; lines before the rewrite): {len(changes)}")
        for c, z in changes:
            say(f"  {c.path}:{c.line}: {z}")
    cat = report.catalogue
    say(f"French texts with two different English texts (the first is kept; lines before the rewrite): "
        f"{len(cat.disagreements)}")
    for msgid, texts in cat.disagreements.items():
        say(f"  {msgid!r}")
        for text, places in texts.items():
            say(f"      -> {text!r}  ({', '.join(places)})")
    for conflict in cat.conflicts:
        say(f"  conflict: {conflict}")
    for message in cat.untranslated:
        say(f"  no English yet: {message!r}")
    for message in cat.obsolete:
        say(f"  dropped from the catalogue (no longer in the code): {message!r}")
    for item in report.dropped_imports:
        say(f"  import no longer used, removed: {item}")
    say(f"catalogue {'written' if cat.written else 'unchanged'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--dry-run", action="store_true", help="report without writing anything")
    args = parser.parse_args(argv)
    if not (args.root / "babel.cfg").exists():
        parser.error(f"{args.root / 'babel.cfg'} not found: --root must be the repository root")
    print_report(migrate(args.root, args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
