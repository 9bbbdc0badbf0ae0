#!/usr/bin/env python3
"""Random records for comparing two builds of the detector byte for byte.

Writes NUL-separated records (the scanned texts may hold any other byte) mixing prose words,
digit runs joined by the separators the digit-shaped rows use, entity-like shapes (cards,
phones, IBANs, dates, national IDs, tokens), base64 runs and UTF-8 text, from a fixed seed so
that two runs give the same corpus.

usage: scripts/gen_scan_corpus.py [--records N] [--seed S] > corpus.bin
"""
import argparse
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


def shape(r):
    k = r.randrange(24)
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
    return "".join(r.choice(string.digits + r.choice(SEPS)) for _ in range(r.randrange(1, 30)))


def record(r):
    parts = []
    for _ in range(r.randrange(1, 30)):
        k = r.random()
        if k < 0.35:
            parts.append(r.choice(WORDS))
        elif k < 0.75:
            parts.append(shape(r))
        elif k < 0.85:
            parts.append(r.choice(SEPS))
        elif k < 0.92:
            parts.append(r.choice(UNICODE))
        else:
            parts.append("".join(chr(r.randrange(1, 128)) for _ in range(r.randrange(1, 8))))
    joiner = r.choice([" ", "", " ", "\n", ", "])
    return joiner.join(parts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=20240517)
    args = parser.parse_args()
    r = random.Random(args.seed)
    out = "\0".join(record(r).replace("\0", " ") for _ in range(args.records))
    sys.stdout.buffer.write(out.encode("utf-8", "surrogatepass"))


if __name__ == "__main__":
    main()
