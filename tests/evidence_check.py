#!/usr/bin/env python3
"""Checks an evidence pack (stratum report -o DIR) without a browser:

- evidence.json validates against docs/evidence.schema.json (python3-jsonschema, Draft 2020-12);
- every number the HTML shows (each element with data-ref, a JSON pointer) is the JSON's value at that pointer,
  formatted as the pack formats numbers (printf %.4g; null as "-");
- the Markdown's tables are the HTML's tables, cell by cell, in the same order;
- every section is present in both, the HTML refers to nothing outside itself, and the pack is under 2 MB;
- the verdict counts in the summary are the criteria's.

Usage: evidence_check.py DIR SCHEMA [--self-test]
       evidence_check.py --same DIR1 DIR2   (two packs of the same data hold the same evidence)
--self-test: first checks that the checks fail on tampered copies of the pack (a number changed in the HTML, in
the Markdown, in the JSON against its schema; a section removed; an external image; a table row dropped).
"""
import html.parser
import json
import os
import re
import sys

import jsonschema

from evidence_common import SECTIONS, pointer, self_test, shown


class Tables(html.parser.HTMLParser):
    """The tables of an HTML document (cell texts), its section ids, data-ref cells and outside references."""

    def __init__(self):
        super().__init__()
        self.tables, self.sections, self.refs, self.outside = [], [], [], []
        self.cell = None
        self.ref = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            if k in ("src", "href") and v and not v.startswith("#"):
                self.outside.append(f"<{tag} {k}={v}>")
        if tag == "link":
            self.outside.append("<link>")
        if tag == "section":
            self.sections.append(a.get("id"))
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = ""
            self.ref = a.get("data-ref")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append(self.cell)
            if self.ref:
                self.refs.append((self.ref, self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def markdown_tables(md):
    tables, cur = [], None
    for line in md.splitlines():
        if line.startswith("|"):
            if re.fullmatch(r"\|(---\|)+", line):
                continue
            cells = [re.sub(r"\\(.)", r"\1", c.strip()) for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if cur is None:
                cur = []
                tables.append(cur)
            cur.append(cells)
        else:
            cur = None
    return tables


def check(d, schema_path):
    errors = []
    with open(os.path.join(d, "evidence.json")) as f:
        doc = json.load(f)
    with open(schema_path) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    for e in jsonschema.Draft202012Validator(schema).iter_errors(doc):
        errors.append(f"schema: {'/'.join(map(str, e.absolute_path))}: {e.message}")
    with open(os.path.join(d, "evidence.html"), encoding="utf-8") as f:
        page = f.read()
    with open(os.path.join(d, "evidence.md"), encoding="utf-8") as f:
        md = f.read()
    t = Tables()
    t.feed(page)
    for s in SECTIONS:
        if s not in t.sections:
            errors.append(f"html: section {s} missing")
    titles = re.findall(r"^## (.+)$", md, re.M)
    if len(titles) != len(SECTIONS):
        errors.append(f"markdown: {len(titles)} sections, expected {len(SECTIONS)}")
    for ptr, text in t.refs:
        try:
            want = shown(pointer(doc, ptr))
        except (KeyError, IndexError, ValueError) as e:
            errors.append(f"html: data-ref {ptr} does not point at a number of evidence.json ({e})")
            continue
        if text != want:
            errors.append(f"html: {ptr} shows {text!r}, evidence.json holds {want!r}")
    mt = markdown_tables(md)
    if len(mt) != len(t.tables):
        errors.append(f"markdown has {len(mt)} tables, html {len(t.tables)}")
    for i, (a, b) in enumerate(zip(mt, t.tables)):
        if a != b:
            for r, (ra, rb) in enumerate(zip(a, b)):
                if ra != rb:
                    errors.append(f"table {i} row {r}: markdown {ra} != html {rb}")
                    break
            else:
                errors.append(f"table {i}: {len(a)} markdown rows, {len(b)} html rows")
    if t.outside:
        errors.append(f"html refers outside itself: {t.outside[:5]}")
    for bad in ("http://", "https://", "@import", "url("):
        if bad in page:
            errors.append(f"html contains {bad!r}")
    if "default-src 'none'" not in page:
        errors.append("html: no Content-Security-Policy forbidding fetches")
    size = sum(os.path.getsize(os.path.join(d, n)) for n in ("evidence.json", "evidence.md", "evidence.html"))
    if size >= 2 * 1024 * 1024:
        errors.append(f"the pack is {size} bytes, not under 2 MB")
    counts = {"PASS": 0, "FAIL": 0, "INCONCLUSIVE": 0}
    for c in doc["criteria"]:
        counts[c["verdict"]] += 1
    if counts != doc["summary"]["verdicts"]:
        errors.append(f"summary verdicts {doc['summary']['verdicts']} != the criteria's {counts}")
    return errors, len(t.refs), len(mt), size


TAMPER = [
    ("a number in the HTML", "evidence.html", lambda t: re.sub(r'(data-ref="/criteria/0/n">)(\d+)<',
                                                             lambda m: m.group(1) + str(int(m.group(2)) + 1) + "<", t, 1)),
    ("a number in the Markdown", "evidence.md", lambda t: re.sub(r"^(\| 0 \| [^|]+\|[^|]+\|[^|]+\|[^|]+\| )([0-9.]+)",
                                                                 r"\g<1>0.123", t, 1, re.M)),
    ("a section removed", "evidence.html", lambda t: re.sub(r'<section id="drift">.*?</section>', "", t, 1, re.S)),
    ("an external image", "evidence.html", lambda t: t.replace("<h1>", '<img src="http://127.0.0.1:9/x.png"><h1>', 1)),
    ("a table row dropped", "evidence.md", lambda t: re.sub(r"^\| all \|.*\n", "", t, 1, re.M)),
    ("the JSON against its schema", "evidence.json", lambda t: t.replace('"schema_version": 1', '"schema_version": 2', 1)),
    ("a verdict count", "evidence.json", lambda t: re.sub(r'"PASS": (\d+)', lambda m: f'"PASS": {int(m.group(1)) + 1}', t, 1)),
]


def same(a, b):
    """Two packs of the same data (batch and stream): the same document but for the trail's inputs and command."""
    docs = []
    for d in (a, b):
        with open(os.path.join(d, "evidence.json")) as f:
            doc = json.load(f)
        for k in ("inputs", "command", "created", "criteria_file"):
            doc["trail"].pop(k)
        docs.append(doc)
    if docs[0] != docs[1]:
        for k in docs[0]:
            if docs[0][k] != docs[1].get(k):
                print(f"evidence_check --same: {k} differs")
        return 1
    print(f"evidence_check --same: {a} and {b} hold the same evidence")
    return 0


def main():
    if len(sys.argv) < 3 or (sys.argv[1] == "--same" and len(sys.argv) < 4):
        print("usage: evidence_check.py PACK_DIR SCHEMA.json [--self-test] | --same PACK_A PACK_B", file=sys.stderr)
        return 2
    if sys.argv[1] == "--same":
        return same(sys.argv[2], sys.argv[3])
    d, schema = sys.argv[1], sys.argv[2]
    if "--self-test" in sys.argv[3:] and not self_test(d, TAMPER, lambda tmp: check(tmp, schema)[0]):
        return 1
    errors, refs, tables, size = check(d, schema)
    for e in errors[:20]:
        print(e)
    if errors:
        print(f"evidence_check: {len(errors)} problems")
        return 1
    print(f"evidence_check: schema valid; {refs} numbers shown in the HTML equal evidence.json; {tables} Markdown "
          f"tables equal the HTML's; {len(SECTIONS)} sections; self-contained; {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
