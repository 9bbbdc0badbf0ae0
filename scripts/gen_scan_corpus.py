#!/usr/bin/env python3
"""Random records for comparing two builds of the detector byte for byte.

Writes NUL-separated records (the scanned texts may hold any other byte) mixing prose words,
digit runs joined by the separators the digit-shaped rows use, entity-like shapes (cards,
phones, IBANs, dates, national IDs, tokens), base64 runs, hex hashes, UUIDs, versions and UTF-8
text, from a fixed seed so that two runs give the same corpus. --classic leaves out the shapes
added later (hex, UUIDs, versions, secret-key base64, dotted tokens) and so gives the first
version's corpus for a seed.

--fragments writes short records of entity fragments glued to single bytes and to each other.

usage: scripts/gen_scan_corpus.py [--records N] [--seed S] [--classic | --fragments] > corpus.bin
"""
import argparse
import base64
import random
import string
import sys

WORDS = ("the a of to in and for on at from by with is was card ssn phone tel iban bank account "
         "date due order invoice ticket ref version build passport licence plate vehicle nhs npi "
         "aadhaar nric pan tax steuer kimlik personnummer routing aba ip host server Mr Dr Frau "
         "Anna John Smith Berlin Paris London in near regards am pm May June Jan Dec").split()
SEPS = [" ", "-", ".", "/", ":", "+", "(", ")", "  ", " - ", ", ", "\n", "\t", "x", "ext. ", ""]
UPPER = string.ascii_uppercase
B64 = string.ascii_letters + string.digits + "+/"
HEX = string.digits + "abcdef"
HEX_UPPER = string.digits + "ABCDEF"
UNICODE = ["München", "ñ", "é", "Ç", "Ö", "電話", "주민번호", "ß", "\u00a0", "\u2019s", "ı", "Ł"]


def digits(r, n):
    return "".join(r.choice(string.digits) for _ in range(n))


def luhn_fix(r, body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def shape(r, kinds):
    k = r.randrange(kinds)
    if k == 0:
        card = luhn_fix(r, r.choice(["4", "51", "37", "6011"]) + digits(r, 11))
        sep = r.choice([" ", "-", ""])
        return sep.join(card[i:i + 4] for i in range(0, len(card), 4))
    if k == 1:
        return r.choice(UPPER) + r.choice(UPPER) + digits(r, 2) + r.choice([" ", ""]) + \
            "".join(r.choice(UPPER + string.digits) for _ in range(r.randrange(4, 26)))
    if k == 2:
        return digits(r, 3) + r.choice("- ") + digits(r, 2) + r.choice("- ") + digits(r, 4)
    if k == 3:
        return "+" + digits(r, r.randrange(1, 4)) + r.choice(SEPS[:4]) + \
            r.choice(["", "(" + digits(r, r.randrange(1, 5)) + ") "]) + \
            r.choice(SEPS[:3]).join(digits(r, r.randrange(1, 5)) for _ in range(r.randrange(1, 6)))
    if k == 4:
        return ".".join(str(r.randrange(0, 300)) for _ in range(r.randrange(3, 6)))
    if k == 5:
        return "%04d-%02d-%02d" % (r.randrange(1900, 2100), r.randrange(0, 14), r.randrange(0, 33)) + \
            r.choice(["", "T%02d:%02d" % (r.randrange(25), r.randrange(61)),
                      "T12:30:45.123Z", "T01:02:03+05:30", "T1"])
    if k == 6:
        sep = r.choice("/-.")
        return "%d%s%d%s%s" % (r.randrange(0, 40), sep, r.randrange(0, 40), sep,
                               r.choice([str(r.randrange(1900, 2100)), digits(r, 2), ""]))
    if k == 7:
        return "%d%s%s" % (r.randrange(0, 15), r.choice(["", ":%02d" % r.randrange(70)]),
                           r.choice([" am", "pm", " PM", "\tam", " a m", ""]))
    if k == 8:
        return digits(r, 6) + r.choice("-+ADFUY") + digits(r, 3) + r.choice(string.digits + UPPER)
    if k == 9:
        return digits(r, r.choice([6, 8])) + r.choice("-+") + digits(r, 4)
    if k == 10:
        return digits(r, 6) + "-" + digits(r, 7)
    if k == 11:
        return digits(r, r.randrange(7, 9)) + r.choice(["-", ""]) + r.choice(UPPER + "xyz")
    if k == 12:
        return r.choice("XYZSTFGM") + digits(r, 7) + r.choice(UPPER)
    if k == 13:
        return "".join(r.choice(UPPER) for _ in range(r.randrange(1, 4))) + \
            r.choice(["", " ", "-"]) + digits(r, r.randrange(1, 4)) + r.choice(["", " "]) + \
            "".join(r.choice(UPPER) for _ in range(r.randrange(0, 4)))
    if k == 14:
        return "%02d %s %d" % (r.randrange(0, 90), "".join(r.choice(UPPER) for _ in range(r.randrange(1, 4))),
                               r.randrange(0, 10000))
    if k == 15:
        return r.choice(["0", "0 ", "0-", ""]) + r.choice(["(", ""]) + digits(r, 3) + \
            r.choice([") ", " ", "-", "."]) + digits(r, 3) + r.choice(" -.") + digits(r, 2) + \
            r.choice(" -.") + digits(r, 2)
    if k == 16:
        return "".join(r.choice(B64) for _ in range(r.randrange(20, 100))) + r.choice(["", "=", "=="])
    if k == 17:
        return r.choice(["1", "3"]) + "".join(r.choice(B64[:-2]) for _ in range(r.randrange(20, 40)))
    if k == 18:
        return digits(r, r.randrange(1, 20))
    if k == 19:
        return r.choice("123456789") + "".join(r.choice(UPPER + string.digits) for _ in range(10))
    if k == 20:
        return "/" * r.randrange(0, 2) + digits(r, r.randrange(2, 4)) + "/" + digits(r, r.randrange(3, 5)) + \
            "/" + digits(r, r.randrange(4, 6))
    if k == 21:
        return digits(r, r.randrange(5, 12)) + ":A" + "".join(r.choice(B64) for _ in range(34))
    if k == 22:
        return "".join(r.choice(string.hexdigits) for _ in range(r.randrange(1, 5))) + \
            "".join(":" + "".join(r.choice(string.hexdigits) for _ in range(r.randrange(0, 5)))
                    for _ in range(r.randrange(1, 8)))
    if k == 23:
        return "".join(r.choice(string.digits + r.choice(SEPS)) for _ in range(r.randrange(1, 30)))
    return extra_shape(r, k)


def hexes(r, n, alphabet=HEX):
    return "".join(r.choice(alphabet) for _ in range(n))


def extra_shape(r, k):
    """The shapes of technical prose that open digit-row windows without being entities: commit
    hashes, UUIDs, versions, base64 runs (alone or after a secret's key name), Discord-like
    dotted tokens and prefixed hashes."""
    if k == 24:
        return hexes(r, r.choice([7, 8, 12, 32, 40, 64, r.randrange(4, 70)]), r.choice([HEX, HEX_UPPER]))
    if k == 25:
        if r.random() < 0.8:
            return "-".join(hexes(r, n) for n in (8, 4, 4, 4, 12))
        return "-".join(hexes(r, r.randrange(1, 14)) for _ in range(r.randrange(2, 7)))
    if k == 26:
        return r.choice(["v", "", "", "V", "version "]) + ".".join(
            str(r.randrange(0, r.choice([10, 100, 3000]))) for _ in range(r.randrange(2, 5))) + \
            r.choice(["", "", "-rc1", "-beta.2", "+build.77", ".Final", "b3"])
    if k == 27:
        n = r.choice([40, 40, 86, 88, r.randrange(20, 120)])
        body = "".join(r.choice(B64) for _ in range(n)) + r.choice(["", "=", "=="])
        return r.choice(["", "", "aws_secret_access_key=", "AccountKey=", "secret key: ", "jfrog ",
                         "aws secret ", "x"]) + body
    if k == 28:
        alphabet = B64[:-2] + "_-"
        if r.random() < 0.5:  # the base64 of a decimal user id, as a real token's first part
            head = base64.b64encode(digits(r, r.randrange(17, 21)).encode()).decode().rstrip("=")
        else:
            head = r.choice("MNOmZ") + hexes(r, r.randrange(21, 30), alphabet)
        return head + "." + \
            hexes(r, r.randrange(5, 8), alphabet) + "." + hexes(r, r.randrange(25, 40), alphabet)
    return r.choice(["sha256:", "#", "0x", "commit ", "id=", ""]) + hexes(r, r.randrange(6, 66)) + \
        r.choice(["", "", ".", "-us" + str(r.randrange(0, 30)), "/", digits(r, 3)])


def record(r, kinds):
    parts = []
    for _ in range(r.randrange(1, 30)):
        k = r.random()
        if k < 0.35:
            parts.append(r.choice(WORDS))
        elif k < 0.75:
            parts.append(shape(r, kinds))
        elif k < 0.85:
            parts.append(r.choice(SEPS))
        elif k < 0.92:
            parts.append(r.choice(UNICODE))
        else:
            parts.append("".join(chr(r.randrange(1, 128)) for _ in range(r.randrange(1, 8))))
    joiner = r.choice([" ", "", " ", "\n", ", "])
    return joiner.join(parts)


# Fragments the rows key on, glued to each other without spaces: --fragments builds short records
# of these and single bytes, where the edges of one row's match are another row's anchor.
FRAGMENTS = ["DE", "HRB ", "+90 ", "+44 ", "+1 ", "0 (", "ext ", " am", "pm", "T", "Z", "GB", "NL",
             "2024-05-17T12:30:45.123Z", "111-22-3333", "4111 1111 1111 1111", "192.168.1.1",
             "12/05/2024", "1.2.3.4.5", "1234-5678-9", "SSN ", "card ", "passport ", "tax id ",
             "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "123e4567-e89b-12d3-a456-426614174000",
             "v3.14.2", "1.0.0-rc1", "aws_secret_access_key=", "AccountKey=", "AKIA", "ghp_",
             "Anna", "Schmidt", "van", "de", "O'Brien", "Jean-Luc", "Kate's", "Will", "Mr.", "Dr",
             "my name is ", "Best regards,\n", "Berlin", " in ", "moved to ", "Victoria", "Street",
             "GmbH", "May", "K.", "\u00c9mile", "\u0141ukasz", "\u2019s"]
FRAGMENT_BYTES = "0123456789" * 6 + "abcdefABCDEF+/=_" + "  --..//::++()\n,T Z ampmxHRBDGKMSXYZ@#'"


def fragment_record(r):
    parts = []
    for _ in range(r.randrange(1, 24)):
        parts.append(r.choice(FRAGMENTS) if r.random() < 0.3 else r.choice(FRAGMENT_BYTES))
        if r.random() < 0.05:
            parts.append("".join(r.choice(B64) for _ in range(r.randrange(30, 100))))
    return "".join(parts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=20240517)
    parser.add_argument("--classic", action="store_true",
                        help="only the shapes of the first version (its corpus for a given seed)")
    parser.add_argument("--fragments", action="store_true",
                        help="short records of entity fragments and single bytes glued together")
    args = parser.parse_args()
    r = random.Random(args.seed)
    kinds = 24 if args.classic else 30
    make = (lambda: fragment_record(r)) if args.fragments else (lambda: record(r, kinds))
    out = "\0".join(make().replace("\0", " ") for _ in range(args.records))
    sys.stdout.buffer.write(out.encode("utf-8", "surrogatepass"))


if __name__ == "__main__":
    main()
