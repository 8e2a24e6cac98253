#!/usr/bin/env bash
# Size limits of the code base (issue 15): no file in src/ over 900 lines of non-test code and no
# function over 100 lines. Non-test code is every line outside `#[cfg(test)]` items (test
# modules may live in sibling `tests.rs` files, which are not counted at all). A function is
# measured from its `fn` line to its closing brace, found by counting braces after comments,
# strings and character literals are blanked out.
# Usage: scripts/check-sizes.sh [PATH...]   (default: src/). Lists offenders; exit status 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import os
import re
import sys

MAX_FILE_LINES = 900
MAX_FN_LINES = 100


def blank_literals(text):
    """Replaces comments, string and char literals by spaces, keeping newlines (line numbers)."""
    out = []
    i, n = 0, len(text)
    keep = lambda s: re.sub(r"[^\n]", " ", s)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(keep(text[i:j]))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(keep(text[i:j]))
            i = j
        elif (m := re.match(r'(?:b|c)?r(#*)"', text[i:i + 300])) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(keep(text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(keep(text[i:j + 1]))
            i = j + 1
        elif c == "'" and (m := re.match(r"'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'])'", text[i:i + 16])):
            out.append(keep(m.group(0)))
            i += m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def closing_brace(code, open_at):
    depth = 0
    for j in range(open_at, len(code)):
        if code[j] == "{":
            depth += 1
        elif code[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(code) - 1


def line_of(code, pos):
    return code.count("\n", 0, pos) + 1


def measure(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    code = blank_literals(text)
    total = text.count("\n") + (0 if text.endswith("\n") else 1)
    test_lines = set()
    for m in re.finditer(r"#\[cfg\(test\)\]", code):
        # The item the attribute applies to: up to its `;` (e.g. `mod tests;`) or its block.
        k = m.end()
        while k < len(code) and code[k] not in "{;":
            k += 1
        end = k if k < len(code) and code[k] == ";" else closing_brace(code, k)
        test_lines.update(range(line_of(code, m.start()), line_of(code, end) + 1))
    long_fns = []
    for m in re.finditer(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)", code):
        k = m.end()
        while k < len(code) and code[k] not in "{;":
            k += 1
        if k >= len(code) or code[k] == ";":
            continue  # a declaration without a body
        start, end = line_of(code, m.start()), line_of(code, closing_brace(code, k))
        if start in test_lines:
            continue
        if end - start + 1 > MAX_FN_LINES:
            long_fns.append((m.group(1), start, end - start + 1))
    return total - len(test_lines), long_fns


def rust_files(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
        for root, _, files in os.walk(p):
            for name in sorted(files):
                # Sibling test files (`#[cfg(test)] #[path = "tests.rs"] mod tests;`) are test code.
                if name.endswith(".rs") and name != "tests.rs" and not name.endswith("_tests.rs"):
                    yield os.path.join(root, name)


offenders = 0
for path in sorted(set(rust_files(sys.argv[1:] or ["src"]))):
    lines, long_fns = measure(path)
    if lines > MAX_FILE_LINES:
        offenders += 1
        print(f"{path}: {lines} lines of non-test code (limit {MAX_FILE_LINES})")
    for name, start, length in long_fns:
        offenders += 1
        print(f"{path}:{start}: fn {name} is {length} lines (limit {MAX_FN_LINES})")
if offenders:
    print(f"{offenders} over the limits")
    sys.exit(1)
print("sizes ok: no file over %d non-test lines, no function over %d lines" % (MAX_FILE_LINES, MAX_FN_LINES))
PY
