#!/usr/bin/env python3
"""Prove that the crate's *file* import graph has no cycles.

    python3 scripts/import_graph.py             # exit 0 + one summary line, or exit 1 + the cycles
    python3 scripts/import_graph.py --dot       # the same graph in Graphviz dot (same exit status)
    python3 scripts/import_graph.py --root DIR  # another source tree (default: this repo's src/)
    python3 scripts/import_graph.py --self-test # check the tool itself on synthetic crates

Nodes: every .rs file under the root.

Edge: file A -> file B when A contains a path that resolves, through the crate's module tree, to
the module whose code lives in B, and B != A. A path lands on the deepest prefix that is a module
this file may name: `crate::x::y::Z` is x/y.rs when `y` is a module, else x.rs (or x/mod.rs); a
private module (`mod y;`) stops the walk for code outside its parent. The last segment of an
inline path is the item used, never a module (`queue::insert(..)` is a function even when queue
also has a private `mod insert;`); a `use` leaf may be a module. Paths come from
  * `use` declarations: nested groups, `self` in groups, globs, `as` renames, and `pub use`
    re-exports (a parent's `pub use child::Item;` is an edge parent -> child);
  * paths written inline in code: `crate::db::query(..)`, `super::finisher::write(..)`.
A path may start with `crate::` (or `$crate::` in macros), `self::`, `super::` (chains too),
`taskfleet::` in the binary (main.rs is its own crate root; `taskfleet::` means the library's
root), or a name in scope in that module: a child module it declares (`mod foo;` then `foo::bar()`),
a module it imported (`use crate::db::{self, sql};` then `sql::X`), or a name reached through a
glob import (`use super::*;`). Anything else (std, tokio, sqlx, local types) is not an edge.
Comments and string literals are removed before scanning, so doc text makes no edges.

Why `mod x;` is not an edge: declaring a child only says where the child's code lives; the parent
uses nothing from it. Counting it would put every child that reaches into its parent (`super::`,
`use super::*` in a tests.rs) in a cycle with that parent, and the check would say nothing. A
parent that re-exports or calls its child does depend on it, and that `use`/path is the edge.

Module tree: src/lib.rs and src/main.rs are crate roots. `mod a;` in a mod-rs file (lib.rs,
main.rs, mod.rs, or a file loaded by `#[path]`) is a.rs or a/mod.rs next to it; in x.rs it is
x/a.rs or x/a/mod.rs. `#[path = "..."]` on `mod` is honoured. Inline `mod tests { ... }` blocks
are modules of their own for resolving `self`/`super` (so `use super::*` inside one is the same
file: no edge), but whatever they reference counts as their file's. Name scopes are modules: a
`use` inside a function body counts for its whole module. Paths in `pub(in path)` visibilities
are not references. A .rs file that no `mod` reaches is not compiled: it is a node
without edges, listed on stderr.

Cycle check: Tarjan's strongly connected components, iterative.
"""

import argparse
import contextlib
import io
import os
import re
import sys
import tempfile
from collections import namedtuple

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

DEFAULT_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src")


# --------------------------------------------------------------------------------------------
# Lexing: Rust source -> tokens, without comments; string literals become one "str" token.

Token = namedtuple("Token", "kind text line")  # kind: id, str, char, life, num, punct

RAW_STRING = re.compile(r'(?:b|c)?r(#*)"')
PLAIN_STRING = re.compile(r'(?:b|c)?"')
CHAR_LITERAL = re.compile(r"b?'(?:\\(?:u\{[0-9a-fA-F_]*\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'")
LIFETIME = re.compile(r"'[^\W\d]\w*")
IDENT = re.compile(r"(?:r#)?[^\W\d]\w*")
MACRO_VAR = re.compile(r"\$[^\W\d]\w*")
NUMBER = re.compile(r"\d\w*")


def skip_block_comment(text, i):
    """Index just past the (possibly nested) block comment starting at text[i]."""
    depth, i = 0, i
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return len(text)


def skip_plain_string(text, i):
    """Index just past the "..." literal whose opening quote is text[i]."""
    i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        else:
            i += 1
    return len(text)


def tokenize(text):
    """Tokens of Rust source text. Comments vanish; a string literal is one token holding its
    contents (used only for `#[path = "..."]`); line numbers are kept for reporting."""
    tokens, i, line, n = [], 0, 1, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            line += c == "\n"
            i += 1
            continue
        start = i
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            i = skip_block_comment(text, i)
            line += text.count("\n", start, i)
            continue
        m = RAW_STRING.match(text, i)
        if m:
            close = '"' + m.group(1)
            end = text.find(close, m.end())
            end = n if end < 0 else end
            tokens.append(Token("str", text[m.end():end], line))
            i = min(n, end + len(close))
        elif PLAIN_STRING.match(text, i):
            body = i + text[i:i + 2].index('"')
            i = skip_plain_string(text, body)
            tokens.append(Token("str", text[body + 1:i - 1], line))
        elif CHAR_LITERAL.match(text, i):
            i = CHAR_LITERAL.match(text, i).end()
            tokens.append(Token("char", text[start:i], line))
        elif LIFETIME.match(text, i):
            i = LIFETIME.match(text, i).end()
            tokens.append(Token("life", text[start:i], line))
        elif IDENT.match(text, i):
            i = IDENT.match(text, i).end()
            word = text[start:i]
            tokens.append(Token("id", word[2:] if word.startswith("r#") else word, line))
        elif MACRO_VAR.match(text, i):  # `$crate`, `$name`
            i = MACRO_VAR.match(text, i).end()
            tokens.append(Token("id", text[start:i], line))
        elif NUMBER.match(text, i):
            i = NUMBER.match(text, i).end()
            tokens.append(Token("num", text[start:i], line))
        else:
            i += 2 if text.startswith("::", i) else 1
            tokens.append(Token("punct", text[start:i], line))
        line += text.count("\n", start, i)
    return tokens


def is_punct(tok, text):
    return tok is not None and tok.kind == "punct" and tok.text == text


def is_word(tok, text=None):
    return tok is not None and tok.kind == "id" and (text is None or tok.text == text)


def matching(tokens, i, open_, close, step):
    """Index of the bracket matching tokens[i], scanning in direction step (+1 or -1)."""
    depth = 0
    while 0 <= i < len(tokens):
        if is_punct(tokens[i], open_):
            depth += 1
        elif is_punct(tokens[i], close):
            depth -= 1
            if depth == 0:
                return i
        i += step
    return None


# --------------------------------------------------------------------------------------------
# Module tree.

class Module:
    """One module: a file module, a crate root, or an inline `mod name { ... }` block."""

    def __init__(self, name, parent, file, crate, is_pub=True, child_dir=None, path_dir=None):
        self.name, self.parent, self.file, self.crate, self.is_pub = name, parent, file, crate, is_pub
        self.child_dir = child_dir  # where `mod x;` declared inside looks for x.rs / x/mod.rs
        self.path_dir = path_dir    # what `#[path = "..."]` inside is relative to
        self.children = {}          # name -> Module, from `mod` items
        self.aliases = {}           # name -> (Module, is_pub), from `use` of a module
        self.globs = []             # modules glob-imported with `use path::*`

    def is_within(self, other):
        m = self
        while m is not None and m is not other:
            m = m.parent
        return m is other

    def qualname(self):
        parts, m = [], self
        while m.parent is not None:
            parts.append(m.name)
            m = m.parent
        return "::".join([m.name] + parts[::-1])


def file_module(name, parent, file, crate, is_pub, mod_rs):
    """A module whose code is `file`. mod-rs files keep their children beside them."""
    here = os.path.dirname(file)
    stem = os.path.splitext(os.path.basename(file))[0]
    child_dir = here if mod_rs else os.path.join(here, stem)
    return Module(name, parent, file, crate, is_pub, child_dir=child_dir, path_dir=here)


def inline_module(name, parent, is_pub):
    sub = os.path.join(parent.child_dir, name)
    return Module(name, parent, parent.file, parent.crate, is_pub, child_dir=sub, path_dir=sub)


def child_file(scope, name, path_attr):
    """(file, is_mod_rs) for `mod name;` declared in scope, or (None, False) when missing."""
    if path_attr is not None:
        file = os.path.normpath(os.path.join(scope.path_dir, path_attr))
        return (file, True) if os.path.isfile(file) else (None, False)
    for file in (os.path.join(scope.child_dir, name + ".rs"),
                 os.path.join(scope.child_dir, name, "mod.rs")):
        if os.path.isfile(file):
            return os.path.normpath(file), file.endswith("mod.rs")
    return None, False


# --------------------------------------------------------------------------------------------
# Scanning one file: module items, `use` trees and inline paths.

Ref = namedtuple("Ref", "file scope segments line kind binding glob is_pub")
# kind: "use" or "path"; binding: the name a `use` leaf brings into scope (None if `_` or glob)


class UseSyntaxError(Exception):
    pass


def parse_use_tree(tokens, i, prefix, leaves):
    """Parse one use tree at tokens[i]; append (segments, binding, glob, line) leaves; return
    the index after it."""
    segments, line = [], tokens[i].line if i < len(tokens) else 0
    if is_punct(tokens[i], "::"):  # `use ::name` names an extern crate
        segments.append("::")
        i += 1
    while True:
        tok = tokens[i] if i < len(tokens) else None
        if is_word(tok):
            segments.append(tok.text)
            line = tok.line
            i += 1
            if is_punct(tokens[i], "::"):
                i += 1
                continue
            break
        if is_punct(tok, "{"):
            i += 1
            while not is_punct(tokens[i], "}"):
                i = parse_use_tree(tokens, i, prefix + segments, leaves)
                if is_punct(tokens[i], ","):
                    i += 1
                elif not is_punct(tokens[i], "}"):
                    raise UseSyntaxError(tokens[i])
            return i + 1
        if is_punct(tok, "*"):
            leaves.append((prefix + segments, None, True, tok.line))
            return i + 1
        raise UseSyntaxError(tok)
    path = prefix + segments
    binding = path[-1]
    if is_word(tokens[i], "as"):
        binding = tokens[i + 1].text
        i += 2
    if path[-1] == "self" and len(path) > 1:  # `use a::{self}` imports `a`
        path = path[:-1]
        binding = path[-1] if binding == "self" else binding
    leaves.append((path, None if binding == "_" else binding, False, line))
    return i


def before_visibility(tokens, i):
    """(index of the token before the visibility of the item whose keyword is tokens[i],
    whether there is a `pub`, `pub(crate)`, `pub(super)` or `pub(in ..)` visibility)."""
    j = i - 1
    if j >= 0 and is_punct(tokens[j], ")"):
        j = (matching(tokens, j, ")", "(", -1) or 0) - 1
    if j >= 0 and is_word(tokens[j], "pub"):
        return j - 1, True
    return i - 1, False


def is_visible_pub(tokens, i):
    return before_visibility(tokens, i)[1]


def path_attribute(tokens, i):
    """The value of a `#[path = "..."]` among the attributes before the item at tokens[i]."""
    j = before_visibility(tokens, i)[0]
    while j >= 0 and is_punct(tokens[j], "]"):
        k = matching(tokens, j, "]", "[", -1)
        if k is None or k == 0 or not is_punct(tokens[k - 1], "#"):
            break
        body = tokens[k + 1:j]
        if len(body) == 3 and is_word(body[0], "path") and is_punct(body[1], "=") \
                and body[2].kind == "str":
            return body[2].text
        j = k - 2
    return None


def inline_path_at(tokens, i):
    """Segments of the path starting at tokens[i] (`a::b::c`), or None if none starts here."""
    tok, prev = tokens[i], tokens[i - 1] if i > 0 else None
    if tok.kind != "id" or (tok.text.startswith("$") and tok.text != "$crate"):
        return None
    if is_punct(prev, "::") or is_punct(prev, "."):
        return None
    segments, j = [tok.text], i + 1
    while j + 1 < len(tokens) and is_punct(tokens[j], "::") and is_word(tokens[j + 1]):
        segments.append(tokens[j + 1].text)
        j += 2
    return segments if len(segments) > 1 else None


def scan_file(file, module, tokens, declare_child):
    """Walk one file's tokens. Creates inline modules, calls declare_child(scope, name,
    path_attr, is_pub, line) for each `mod name;`, and returns the file's references."""
    refs, scopes, depth, i, n = [], [(module, None)], 0, 0, len(tokens)
    while i < n:
        tok, scope = tokens[i], scopes[-1][0]
        nxt = tokens[i + 1] if i + 1 < n else None
        if is_punct(tok, "{"):
            depth += 1
        elif is_punct(tok, "}"):
            if scopes[-1][1] == depth:
                scopes.pop()
            depth -= 1
        elif is_word(tok, "pub") and is_punct(nxt, "(") and i + 2 < n \
                and is_word(tokens[i + 2], "in"):
            i = matching(tokens, i + 1, "(", ")", 1) or n  # `pub(in crate::a)`: not a reference
        elif is_word(tok, "mod") and is_word(nxt) and i + 2 < n:
            after, is_pub = tokens[i + 2], is_visible_pub(tokens, i)
            if is_punct(after, ";"):
                declare_child(scope, nxt.text, path_attribute(tokens, i), is_pub, tok.line)
            elif is_punct(after, "{"):
                child = scope.children.setdefault(nxt.text, inline_module(nxt.text, scope, is_pub))
                scopes.append((child, depth + 1))
            i += 1
        elif is_word(tok, "use") and not is_punct(tokens[i - 1] if i else None, "::"):
            is_pub = is_visible_pub(tokens, i)
            leaves = []
            try:
                i = parse_use_tree(tokens, i + 1, [], leaves)
            except (UseSyntaxError, IndexError):
                warn(f"{os.path.relpath(file)}:{tok.line}: cannot parse this `use`; skipped")
                leaves = []
                while i < n and not is_punct(tokens[i], ";"):
                    i += 1
            for segments, binding, glob, line in leaves:
                refs.append(Ref(file, scope, segments, line, "use", binding, glob, is_pub))
            continue
        else:
            segments = inline_path_at(tokens, i)
            if segments:
                refs.append(Ref(file, scope, segments, tok.line, "path", None, False, False))
                i += 2 * len(segments) - 1
                continue
        i += 1
    return refs


# --------------------------------------------------------------------------------------------
# Building the tree of the whole source directory.

class Graph:
    def __init__(self, root):
        self.root = os.path.normpath(os.path.abspath(root))
        self.files = sorted(rust_files(self.root))
        self.crate_roots = {}   # "lib" / "main" -> Module
        self.module_of = {}     # file -> its file Module
        self.refs = []
        self.edges = {}         # (from_file, to_file) -> [Ref, ...] in source order
        self.lib_name = library_name(self.root)

    def display(self, file):
        return os.path.relpath(file, os.path.dirname(self.root))


def warn(message):
    print(f"import_graph: {message}", file=sys.stderr)


def rust_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            if name.endswith(".rs"):
                yield os.path.normpath(os.path.join(dirpath, name))


def library_name(root):
    """The name main.rs uses for the library: [lib] name, else [package] name, from Cargo.toml."""
    cargo = os.path.join(os.path.dirname(root), "Cargo.toml")
    if os.path.isfile(cargo):
        with open(cargo, "rb") as f:
            data = f.read()
        if tomllib is not None:
            manifest = tomllib.loads(data.decode())
            name = manifest.get("lib", {}).get("name") or manifest.get("package", {}).get("name")
        else:
            m = re.search(rb'^\s*name\s*=\s*"([^"]+)"', data, re.M)
            name = m and m.group(1).decode()
        if name:
            return name.replace("-", "_")
    return os.path.basename(os.path.dirname(root)).replace("-", "_")


def load_tokens(file):
    with open(file, encoding="utf-8") as f:
        return tokenize(f.read())


def build_tree(graph):
    """Create every module reachable from the crate roots and collect every file's references."""
    queue = []
    for crate, name in (("lib", "lib.rs"), ("main", "main.rs")):
        file = os.path.join(graph.root, name)
        if os.path.isfile(file):
            module = file_module("crate", None, file, crate, True, mod_rs=True)
            graph.crate_roots[crate] = module
            queue.append(module)

    def declare_child(scope, name, path_attr, is_pub, line):
        file, mod_rs = child_file(scope, name, path_attr)
        if file is None:
            warn(f"{graph.display(scope.file)}:{line}: no file for `mod {name};`")
            return
        if file in graph.module_of:
            warn(f"{graph.display(scope.file)}:{line}: {graph.display(file)} is already "
                 f"{graph.module_of[file].qualname()}; second `mod {name};` ignored")
            return
        child = file_module(name, scope, file, scope.crate, is_pub, mod_rs)
        scope.children[name] = child
        graph.module_of[file] = child
        queue.append(child)

    for module in queue:
        graph.module_of.setdefault(module.file, module)
    while queue:
        module = queue.pop(0)
        graph.refs += scan_file(module.file, module, load_tokens(module.file), declare_child)


# --------------------------------------------------------------------------------------------
# Resolving paths.

def lookup(scope, name):
    """The module `name` denotes as the first segment of a relative path in scope, or None."""
    if name in scope.children:
        return scope.children[name]
    if name in scope.aliases:
        return scope.aliases[name][0]
    seen, pending = {scope}, list(scope.globs)
    while pending:  # names reached through `use path::*`, honouring privacy
        source = pending.pop(0)
        if source in seen:
            continue
        seen.add(source)
        inside = scope.is_within(source)
        child = source.children.get(name)
        if child is not None and (child.is_pub or inside):
            return child
        alias = source.aliases.get(name)
        if alias is not None and (alias[1] or inside):
            return alias[0]
        pending += source.globs
    return None


def resolve(graph, scope, segments):
    """(deepest module the path reaches, whether every segment was a module); (None, False)
    when the path does not start inside this crate."""
    first, rest = segments[0], list(segments[1:])
    if first in ("crate", "$crate"):
        current = graph.crate_roots[scope.crate]
    elif first == graph.lib_name and scope.crate != "lib" and "lib" in graph.crate_roots:
        current = graph.crate_roots["lib"]
    elif first == "self":
        current = scope
    elif first == "super":
        current = scope.parent
    else:
        current = lookup(scope, first)
    while current is not None and rest and rest[0] == "super":
        current = current.parent
        rest.pop(0)
    if current is None:
        return None, False
    for segment in rest:
        child = current.children.get(segment)
        if child is None or not (child.is_pub or scope.is_within(current)):
            return current, False  # not a module, or a private one this scope cannot name
        current = child
    return current, True


def resolve_ref(graph, ref):
    """Where a reference lands. The last segment of an inline path is the item used (a function,
    type, constant or macro), never a module: `queue::insert(..)` is the function queue/mod.rs
    re-exports even though queue also has a module `insert`. A `use` leaf may import a module."""
    segments = ref.segments if ref.kind == "use" else ref.segments[:-1]
    return resolve(graph, ref.scope, segments)


def bind_imports(graph):
    """Record which `use` leaves name modules (so `use crate::db::{self, sql}; sql::X` and
    `use super::*; sibling::f()` resolve). Repeats until stable: imports can build on imports."""
    uses = [r for r in graph.refs if r.kind == "use" and (r.glob or r.binding)]
    for _ in range(len(uses) + 1):
        changed = False
        for ref in uses:
            target, whole = resolve(graph, ref.scope, ref.segments)
            if not whole:
                continue
            if ref.glob and target not in ref.scope.globs:
                ref.scope.globs.append(target)
                changed = True
            elif not ref.glob and ref.binding not in ref.scope.children \
                    and ref.binding not in ref.scope.aliases:  # first binding of a name wins
                ref.scope.aliases[ref.binding] = (target, ref.is_pub)
                changed = True
        if not changed:
            return


def build_edges(graph):
    for ref in graph.refs:
        target, _ = resolve_ref(graph, ref)
        if target is not None and target.file != ref.file:
            graph.edges.setdefault((ref.file, target.file), []).append(ref)


def analyze(root):
    graph = Graph(root)
    build_tree(graph)
    bind_imports(graph)
    build_edges(graph)
    return graph


# --------------------------------------------------------------------------------------------
# Cycles.

def strongly_connected_components(nodes, successors):
    """Tarjan's algorithm with an explicit stack. Returns lists of nodes."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for start in nodes:
        if start in index:
            continue
        visit(start)
        work = [(start, iter(successors.get(start, ())))]
        while work:
            node, pending = work[-1]
            for succ in pending:
                if succ not in index:
                    visit(succ)
                    work.append((succ, iter(successors.get(succ, ()))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def cycles(graph):
    """Strongly connected components with more than one file, each sorted, biggest first."""
    successors = {}
    for a, b in sorted(graph.edges):
        successors.setdefault(a, []).append(b)
    found = [sorted(c) for c in strongly_connected_components(graph.files, successors)
             if len(c) > 1]
    return sorted(found, key=lambda c: (-len(c), c))


# --------------------------------------------------------------------------------------------
# Output.

def describe(graph, ref):
    text = "::".join(ref.segments) + ("::*" if ref.glob else "")
    kind = ("pub use " if ref.is_pub else "use ") if ref.kind == "use" else ""
    return f"{graph.display(ref.file)}:{ref.line}: {kind}{text}"


def unreachable(graph):
    return [f for f in graph.files if f not in graph.module_of]


def print_report(graph, components):
    orphans = unreachable(graph)
    for file in orphans:
        warn(f"{graph.display(file)}: not reachable from a crate root (no `mod` declares it); "
             f"node without edges")
    extra = f" ({len(orphans)} not in the module tree)" if orphans else ""
    head = f"import graph: {len(graph.files)} files{extra}, {len(graph.edges)} edges"
    if not components:
        print(f"{head}, no cycles")
        return
    print(f"{head}, {len(components)} cycle(s) (strongly connected components):")
    for number, component in enumerate(components, 1):
        members = set(component)
        print(f"\ncycle {number}: {len(component)} files")
        for file in component:
            print(f"  {graph.display(file)}")
        print("  edges inside it (one reference each):")
        for (a, b), refs in sorted(graph.edges.items()):
            if a in members and b in members:
                more = f"  (+{len(refs) - 1} more)" if len(refs) > 1 else ""
                print(f"    {graph.display(a)} -> {graph.display(b)}"
                      f"    {describe(graph, refs[0])}{more}")


def print_dot(graph, components):
    in_cycle = {f: n for n, c in enumerate(components, 1) for f in c}
    print("digraph imports {")
    print("  rankdir=LR;")
    print('  node [shape=box, fontname="monospace", fontsize=10];')
    for file in graph.files:
        style = ', color=red' if file in in_cycle else ""
        style += ", style=dashed" if file not in graph.module_of else ""
        print(f'  "{graph.display(file)}" [label="{graph.display(file)}"{style}];')
    for (a, b), refs in sorted(graph.edges.items()):
        same = a in in_cycle and in_cycle.get(a) == in_cycle.get(b)
        attrs = f'tooltip="{describe(graph, refs[0])}"' + (", color=red" if same else "")
        print(f'  "{graph.display(a)}" -> "{graph.display(b)}" [{attrs}];')
    print("}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.normpath(DEFAULT_ROOT),
                        help="source directory holding lib.rs / main.rs (default: src/)")
    parser.add_argument("--dot", action="store_true",
                        help="print the graph in Graphviz dot instead (exit status unchanged)")
    parser.add_argument("--self-test", action="store_true",
                        help="check the tool on synthetic crates")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    if not os.path.isdir(args.root):
        parser.error(f"--root {args.root}: not a directory")
    graph = analyze(args.root)
    if not graph.crate_roots:
        parser.error(f"--root {args.root}: no lib.rs or main.rs")
    components = cycles(graph)
    (print_dot if args.dot else print_report)(graph, components)
    return 1 if components else 0


# --------------------------------------------------------------------------------------------
# Self-test.

ACYCLIC = {
    "Cargo.toml": '[package]\nname = "taskfleet"\n',
    "src/lib.rs": """//! Docs mention crate::c::run and super::x, which are not edges.
pub mod a;
pub mod b;
mod c;
mod d;
pub mod e;
mod g;
pub fn top() {}
pub fn g() {}
pub fn call() { self::g() }
""",
    "src/main.rs": """use std::process::ExitCode;
fn helper() {}
fn main() -> ExitCode { taskfleet::a::f(); crate::helper(); ExitCode::SUCCESS }
""",
    "src/a/mod.rs": """mod inner;
pub use inner::Thing;
pub fn f() { crate::b::g(); }
""",
    "src/a/inner.rs": """use crate::b::{self as bee, G};
pub struct Thing;
// super::f() would be a cycle, but it is only a comment
/* nested /* block */ crate::a::f() */
fn h() -> &'static str { bee::g(); let _q = '"'; "crate::a::f(); \\" super::f()" }
fn l<'a>(x: &'a str) -> &'a str { x }
""",
    "src/b.rs": """pub fn g() {}
pub struct G;
pub fn raw() -> &'static str { r#"crate::c::run() "quoted" super::x"# }
#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn t() { g(); super::g(); }
}
""",
    "src/c.rs": """#[path = "c_impl.rs"]
mod imp;
pub use imp::run;
""",
    "src/c_impl.rs": """use super::super::b::G;
pub fn run() -> G { G }
""",
    "src/d.rs": """use crate::e::make; // e's `mod make;` is private: this is the fn e re-exports
pub fn x() { super::top(); make(); crate::e::make(); }
""",
    "src/e/mod.rs": """mod make;
pub use make::make;
""",
    "src/e/make.rs": """pub fn make() {}
""",
    "src/g.rs": """pub fn inner() {}
""",
    "src/orphan.rs": """use crate::a::f;
""",
}
ACYCLIC_EDGES = {
    ("src/a/mod.rs", "src/a/inner.rs"), ("src/a/mod.rs", "src/b.rs"),
    ("src/a/inner.rs", "src/b.rs"), ("src/c.rs", "src/c_impl.rs"),
    ("src/c_impl.rs", "src/b.rs"), ("src/d.rs", "src/lib.rs"), ("src/main.rs", "src/a/mod.rs"),
    ("src/d.rs", "src/e/mod.rs"), ("src/e/mod.rs", "src/e/make.rs"),
}

SUPER_CYCLE = {
    "src/lib.rs": "mod p;\nmod other;\n",
    "src/p/mod.rs": "mod c;\npub fn f() { c::g() }\n",
    "src/p/c.rs": "pub fn g() {\n    super::f()\n}\n",
    "src/other.rs": "pub fn o() { crate::p::f() }\n",
}

REEXPORT_CYCLE = {
    "src/lib.rs": "pub mod q;\n",
    "src/q/mod.rs": "mod r;\npub use r::Thing;\npub struct Config;\n",
    "src/q/r.rs": "use crate::q::Config;\npub struct Thing(Config);\n",
}


def write_crate(base, files):
    for rel, text in files.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return os.path.join(base, "src")


def run_quietly(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def check_tokenizer():
    kinds = [(t.kind, t.text) for t in tokenize("""a /* x /* y */ z */ 'b' 'c "d\\"e" r##"f"#g"## b'\\'' h""")]
    assert kinds == [("id", "a"), ("char", "'b'"), ("life", "'c"), ("str", 'd\\"e'),
                     ("str", 'f"#g'), ("char", "b'\\''"), ("id", "h")], kinds
    assert [t.line for t in tokenize("a\n/*\n*/ b\n\"\n\" c")] == [1, 3, 4, 5]


def check_acyclic(tmp):
    src = write_crate(os.path.join(tmp, "acyclic"), ACYCLIC)
    graph = analyze(src)
    edges = {(graph.display(a), graph.display(b)) for a, b in graph.edges}
    assert edges == ACYCLIC_EDGES, f"acyclic crate edges: {sorted(edges ^ ACYCLIC_EDGES)}"
    code, out, err = run_quietly(["--root", src])
    assert code == 0 and out.strip() == \
        "import graph: 12 files (1 not in the module tree), 9 edges, no cycles", (code, out)
    assert "src/orphan.rs" in err, err
    code, out, _ = run_quietly(["--root", src, "--dot"])
    assert code == 0 and out.startswith("digraph") and '"src/d.rs" -> "src/lib.rs"' in out, out


def check_cycle(tmp, name, files, members, reference):
    src = write_crate(os.path.join(tmp, name), files)
    code, out, _ = run_quietly(["--root", src])
    assert code == 1, (name, code, out)
    listed = [line.strip() for line in out.splitlines() if line.startswith("  src/")]
    assert listed == members, (name, out)
    assert "cycle 2" not in out and reference in out, (name, out)


def self_test():
    check_tokenizer()
    with tempfile.TemporaryDirectory() as tmp:
        check_acyclic(tmp)
        check_cycle(tmp, "super_cycle", SUPER_CYCLE, ["src/p/c.rs", "src/p/mod.rs"],
                    "src/p/c.rs -> src/p/mod.rs    src/p/c.rs:2: super::f")
        check_cycle(tmp, "reexport_cycle", REEXPORT_CYCLE, ["src/q/mod.rs", "src/q/r.rs"],
                    "src/q/mod.rs -> src/q/r.rs    src/q/mod.rs:2: pub use r::Thing")
    print("import_graph self-test: ok")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `--dot | head`
        sys.stderr.close()
        sys.exit(1)
