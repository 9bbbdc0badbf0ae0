#!/usr/bin/env python3
"""Generates the PERSON / LOCATION gazetteer (a C++ source file) from Debian's miscfiles.

usage: gen_gazetteer.py --dict-dir /usr/share/dict --misc-dir /usr/share/misc --out FILE.cc

Inputs (all shipped by the Debian package `miscfiles`, see docs/detection.md for provenance):
  dict/propernames(.gz)   given names (NetBSD / 4.4BSD, public domain)
  dict/web2               Webster's Second International (1934, copyright expired)
  dict/connectives(.gz)   the 150 most frequent English words (4.4BSD)
  misc/countries(.gz)     ISO 3166 country names and their capitals (UN M49, CIA World Factbook)
  misc/na.postalcodes(.gz) US states and Canadian provinces (USPS, Canada Post)
  misc/cities.dat(.gz)    cities with their population (Rob Hooft's list)

Only names are taken: no arrangement, annotation or other text of the files. The output is
deterministic (sorted, no timestamps) so a rebuild from the same inputs gives the same file.
"""
import argparse
import gzip
import os
import re
import sys

# A city is taken from cities.dat only from this population on: the large cities people name as
# where they live or travel; the many small towns of that list are more often ordinary words.
MIN_CITY_POPULATION = 250000

# Short forms of the formal UN names in countries (Russian Federation, Viet Nam, ...) and the
# parts of the United Kingdom: names, not text, so they are facts anyone may list.
SHORT_FORMS = [
    "Russia", "Vietnam", "Syria", "Laos", "Libya", "Britain", "Great Britain", "England",
    "Scotland", "Wales", "Northern Ireland", "Ivory Coast", "Czechia", "Burma", "Palestine",
    "Macedonia", "North Macedonia", "Eswatini", "Vatican City", "South Korea", "North Korea",
    "Korea", "America", "Holland",
]

# propernames is a 4.4BSD joke list in part: these entries are no given names.
NOT_GIVEN_NAMES = {
    "The", "Those", "Think", "Trying", "No", "Old", "Part", "List", "Case", "Space", "Plastic",
    "Deadly", "Rodent", "Sanity", "Panacea", "Tolerant", "Shatter", "Stagger", "Real", "Purity",
    "Capability", "Chastity", "Liber", "Knapper", "Shadow", "Rogue", "Fuzzy", "Spy", "Pilot",
    "Judge", "Lord", "Sergeant", "Major", "Vice", "Son", "Root", "Tuna", "Tip", "Win", "Revised",
}

NAME_RE = re.compile(r"^[A-Z][a-z]+(?:-[A-Z][a-z]+)?$")
DERIVED_SUFFIXES = ("s", "es", "ed", "ing", "er", "ers", "ly", "ness", "ful", "less", "able")


def read_text(path):
    """The file at path, or at path + '.gz' (Debian compresses some of them)."""
    for candidate in (path, path + ".gz"):
        if os.path.exists(candidate):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(candidate, "rt", encoding="utf-8", errors="replace") as f:
                return f.read()
    sys.exit(f"gen_gazetteer: {path}(.gz) not found: install the Debian package miscfiles")


def ordinary_words(web2_text, connectives):
    """A test: is this lower-case word common vocabulary (web2 + connectives)?"""
    lower = set()
    capitalised = set()
    for word in web2_text.split():
        if word.islower():
            lower.add(word)
        elif word[:1].isupper():
            capitalised.add(word)

    def common(word):
        # A 1934 dictionary lists rare senses of many names ("emma", "henry"): a name is an
        # ordinary word only when it is one of the most frequent words, when web2 also lists an
        # inflected form of it (marked, billing, dawning), or when web2 knows it in lower case only.
        if word in connectives:
            return True
        if word not in lower:
            return False
        if any(word + suffix in lower for suffix in DERIVED_SUFFIXES):
            return True
        return word.capitalize() not in capitalised

    return common


def given_names(dict_dir, common):
    names = {}
    for line in read_text(os.path.join(dict_dir, "propernames")).splitlines():
        name = line.strip()
        if not NAME_RE.match(name) or name in NOT_GIVEN_NAMES or len(name) < 2:
            continue
        names[name] = common(name.lower())
    return names


def split_capitals(field):
    """'Pretoria (official), Cape Town (legislative)' -> ['Pretoria', 'Cape Town']."""
    out = []
    for part in re.sub(r"\([^)]*\)", "", field).split(","):
        part = part.strip()
        if part and part not in ("DC",) and not part.startswith("The "):
            out.append(part)
    return out


def country_names(name):
    """A UN M49 name and the short forms it contains ('Republic of Korea' -> 'Korea')."""
    base = name.split(",")[0].strip()
    out = [base]
    m = re.match(r"^(?:.* )?(?:Republic|States) of (?:the )?(.+)$", base)
    if m and not base.startswith("United States"):
        out.append(m.group(1))
    m = re.match(r"^(.+?) Special Administrative Region", base)
    if m:
        out.append(m.group(1))
    m = re.match(r"^(United (?!Republic)\S+) of ", base)
    if m:
        out.append(m.group(1))
    return out


def places(misc_dir):
    out = set(SHORT_FORMS)
    for line in read_text(os.path.join(misc_dir, "countries")).splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split(":")
        if len(fields) < 5:
            continue
        out.update(country_names(fields[3]))
        out.update(split_capitals(fields[4]))
    section = ""
    for line in read_text(os.path.join(misc_dir, "na.postalcodes")).splitlines():
        if line.startswith("#"):
            section = line
            continue
        if ":" in line and "military" not in section:
            out.add(line.split(":", 1)[1].strip())
    population, name = 0, ""
    for line in read_text(os.path.join(misc_dir, "cities.dat")).splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "Population":
            population = int(value) if value.isdigit() else 0
        elif key == "Name":
            name = value
        elif line.startswith("//"):
            if population >= MIN_CITY_POPULATION and re.match(r"^[^\W\d_][\w' .-]*$", name):
                out.add(name)
            population, name = 0, ""
    # Every word must start upper-case (the scanner matches names case-sensitively).
    return {p for p in out if p and all(w[:1].isupper() or w in ("de", "of", "la", "and", "the")
                                        for w in p.split())}


def cxx_string(s):
    out = []
    for byte in s.encode("utf-8"):
        ch = chr(byte)
        if byte < 0x80 and (ch.isalnum() or ch in " -.,'"):
            out.append(ch)
        else:
            out.append(f"\\x{byte:02x}\" \"")
    return '"' + "".join(out) + '"'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dict-dir", default="/usr/share/dict")
    ap.add_argument("--misc-dir", default="/usr/share/misc")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    web2 = read_text(os.path.join(args.dict_dir, "web2"))
    connectives = set(read_text(os.path.join(args.dict_dir, "connectives")).split())
    common = ordinary_words(web2, connectives)
    given = given_names(args.dict_dir, common)
    place_set = places(args.misc_dir)
    # A place that is also a given name (Jordan, Victoria, Chad) needs a stronger cue than a bare
    # preposition ("send it to Victoria"). Lower-case homographs (china, turkey) do not: after a
    # place preposition the capitalised word is the place.
    place_rows = sorted((p.encode("utf-8"), p, p in given) for p in place_set)
    given_rows = sorted((n.encode("utf-8"), n, amb) for n, amb in given.items())

    lines = [
        "// Generated by scripts/gen_gazetteer.py from the Debian package miscfiles: do not edit.",
        "#include \"classify/gazetteer.h\"",
        "",
        "#include <array>",
        "",
        "namespace cordon::classify {",
        "namespace {",
        "",
        f"constexpr std::array<GazetteerEntry, {len(given_rows)}> kGivenNames{{{{",
    ]
    lines += [f"    {{{cxx_string(n)}, {'true' if a else 'false'}}}," for _, n, a in given_rows]
    lines += ["}};", "", f"constexpr std::array<GazetteerEntry, {len(place_rows)}> kPlaces{{{{"]
    lines += [f"    {{{cxx_string(n)}, {'true' if a else 'false'}}}," for _, n, a in place_rows]
    lines += [
        "}};",
        "",
        "} // namespace",
        "",
        "std::span<const GazetteerEntry> givenNames() noexcept {",
        "  return kGivenNames;",
        "}",
        "",
        "std::span<const GazetteerEntry> placeNames() noexcept {",
        "  return kPlaces;",
        "}",
        "",
        "} // namespace cordon::classify",
        "",
    ]
    text = "\n".join(lines)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.out)
    ambiguous = sum(1 for _, _, a in given_rows if a)
    print(f"gen_gazetteer: {len(given_rows)} given names ({ambiguous} also ordinary words), "
          f"{len(place_rows)} places -> {args.out}")


if __name__ == "__main__":
    main()
