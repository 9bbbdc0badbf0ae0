"""Rewrites the generated part of a markdown document: the text between two marker comments.

Used by bench/load.py and tests/eval/*.sh, so that hand-written prose around the markers survives
every regeneration.
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
