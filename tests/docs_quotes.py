#!/usr/bin/env python3
"""Checks that the code the docs quote from example programs is still in those programs.

    docs_quotes.py SOURCE_DIR

In every docs/**/*.md, a ```cpp block that follows a link to examples/<name>.cpp within the same section
(since the last heading) quotes that file: each of its lines, blank lines and "..." elisions aside, must
appear in the file, whitespace folded; consecutive quoted lines may match one wrapped line of the file or the
other way round. Exit 1 with the doc, its line number and the missing text otherwise.
"""
import pathlib
import re
import sys

LINK = re.compile(r"\((?:\.\./)*(examples/[\w/]+\.cpp)\)")


def fold(s):
    return " ".join(s.split())


def main():
    root = pathlib.Path(sys.argv[1])
    failures, blocks, quoted = [], 0, 0
    for doc in sorted((root / "docs").rglob("*.md")):
        lines = doc.read_text().splitlines()
        source, i = None, 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("#"):
                source = None
            for m in LINK.finditer(line):
                source = m.group(1)
            if line.strip() == "```cpp" and source is not None:
                j = i + 1
                body = []
                while j < len(lines) and lines[j].strip() != "```":
                    body.append((j + 1, lines[j]))
                    j += 1
                path = root / source
                if not path.exists():
                    failures.append(f"{doc.relative_to(root)}:{i + 1}: quotes {source}, which does not exist")
                else:
                    text = fold(path.read_text())
                    blocks += 1
                    for n, q in body:
                        q = fold(q)
                        if not q or q == "...":
                            continue
                        quoted += 1
                        if q not in text:
                            failures.append(f"{doc.relative_to(root)}:{n}: not in {source}: {q}")
                i = j
            i += 1
    for f in failures:
        print("FAIL:", f)
    print(f"{blocks} quoted blocks, {quoted} lines checked, {len(failures)} missing")
    if blocks == 0:
        print("FAIL: no quoted blocks found: the check found nothing to check")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
