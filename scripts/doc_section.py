"""Rewrites the generated part of a markdown document: the text between two marker comments.

Used by bench/load.py, bench/ttft.py, bench/soak.py, bench/slow_clients.py and tests/eval/*.sh, so
that hand-written prose around the markers survives every regeneration.
"""
import os


def replace_section(path, begin, end, body):
    """Puts `body` between the `begin` and `end` markers of the file at `path`, appending both
    markers when neither is there, and replaces the file atomically. Raises ValueError when only
    one marker is present or they are out of order."""
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    i, j = doc.find(begin), doc.find(end)
    if i >= 0 and j > i:
        doc = doc[: i + len(begin)] + "\n" + body + "\n" + doc[j:]
    elif i < 0 and j < 0:
        doc = doc.rstrip("\n") + "\n\n" + begin + "\n" + body + "\n" + end + "\n"
    else:
        raise ValueError(f"{path}: markers {begin} / {end} are malformed")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(doc)
    os.replace(tmp, path)


def replace_subsection(path, outer_begin, outer_end, begin, end, body):
    """Like replace_section, for a pair of markers that lives inside an outer pair (several
    generated sections sharing one region, each rewritten on its own). When the inner markers are
    missing they are added just before `outer_end` (the outer markers are appended first when
    neither of them is there either)."""
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    if begin not in doc and end not in doc:
        if outer_begin not in doc and outer_end not in doc:
            doc = doc.rstrip("\n") + "\n\n" + outer_begin + "\n" + outer_end + "\n"
        i, j = doc.find(outer_begin), doc.find(outer_end)
        if i < 0 or j < i:
            raise ValueError(f"{path}: markers {outer_begin} / {outer_end} are malformed")
        doc = doc[:j] + begin + "\n" + end + "\n" + doc[j:]
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(doc)
        os.replace(tmp, path)
    replace_section(path, begin, end, body)
