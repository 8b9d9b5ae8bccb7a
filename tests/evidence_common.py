"""What the evidence-pack checks share (evidence_check.py, evidence_browser.py): the sections, how the pack
shows a number, JSON pointers, and the self-test that runs a check on tampered copies of a pack."""
import os
import shutil
import tempfile

SECTIONS = ["summary", "coverage", "failure-map", "classes", "calibration", "errors", "synthetic", "drift",
            "weaknesses", "trail"]


def pointer(doc, ptr):
    """The value at JSON pointer `ptr` (RFC 6901) of `doc`."""
    v = doc
    for seg in ptr.split("/")[1:]:
        seg = seg.replace("~1", "/").replace("~0", "~")
        v = v[int(seg)] if isinstance(v, list) else v[seg]
    return v


def shown(v):
    """A JSON value as the pack shows it: integers as they are, other numbers printf("%.4g"), null as "-"."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        raise ValueError("a boolean shown as a number")
    if isinstance(v, int):
        return str(v)
    return "%.4g" % v


def self_test(d, tamperings, check, files=("evidence.json", "evidence.md", "evidence.html")):
    """Runs check(dir) -> list of problems on a copy of pack `d` per (what, file name, edit) of `tamperings`
    (edit: text -> tampered text); True when every tampered copy is refused."""
    for what, name, edit in tamperings:
        with tempfile.TemporaryDirectory() as tmp:
            for n in files:
                shutil.copy(os.path.join(d, n), tmp)
            p = os.path.join(tmp, name)
            with open(p, encoding="utf-8") as f:
                text = f.read()
            changed = edit(text)
            if changed == text:
                print(f"self-test: could not tamper: {what}")
                return False
            with open(p, "w", encoding="utf-8") as f:
                f.write(changed)
            errors = check(tmp)
            if not errors:
                print(f"self-test: {what}: the tampered copy passed")
                return False
            print(f"self-test: {what}: refused ({errors[0]})")
    return True
