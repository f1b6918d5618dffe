#!/usr/bin/python3
"""equiv-norm.py - what a milter changed in one message, in a form that two
milters can be compared by: IN is the message sent, OUT the message passed
on (or "-" when the milter did not accept it), VERDICT mclient's verdict.

Prints one line per added DKIM-Signature ("sig d= s= a= c= h= x=": c with
RFC 6376's defaults filled in, h as the sorted list of field names, lower
case, repeats kept, x as present or absent) and one per dkim result in an
added Authentication-Results field ("ar dkim=RESULT d= s="; other methods as
"ar METHOD=RESULT"), one per other field added ("field NAME") or removed
("removed NAME"), sorted; the authserv-id, comments, header.b, header.i and
header.a are left out on purpose.

usage: equiv-norm.py VERDICT IN OUT
"""
import re
import sys


def fields(path):
    data = open(path, "rb").read().replace(b"\r\n", b"\n")
    head = data.split(b"\n\n", 1)[0].decode("utf-8", "replace")
    out = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and out:
            out[-1] += " " + line.strip()
        elif ":" in line:
            name, val = line.split(":", 1)
            out.append(name.strip().lower() + ":" + val.strip())
    return out


def tags(val):
    t = {}
    for part in val.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            t[k.strip()] = re.sub(r"\s+", "", v)
    return t


def comments_out(s):
    # Drop RFC 5322 comments (one level of nesting is all A-R writers use).
    prev = None
    while prev != s:
        prev = s
        s = re.sub(r"\([^()]*\)", "", s)
    return s


verdict, inp, outp = sys.argv[1:4]
lines = ["verdict " + verdict]
if outp != "-":
    before = fields(inp)
    for f in fields(outp):
        if f in before:
            before.remove(f)
            continue
        name, val = f.split(":", 1)
        if name == "dkim-signature":
            t = tags(val)
            c = t.get("c", "simple/simple")
            if "/" not in c:
                c += "/simple"
            h = sorted(x.strip().lower() for x in t.get("h", "").split(":"))
            lines.append("sig d=%s s=%s a=%s c=%s h=%s x=%s" % (
                t.get("d", "").lower(), t.get("s", ""), t.get("a", ""), c,
                ":".join(h), "yes" if "x" in t else "no"))
        elif name == "authentication-results":
            body = comments_out(val).split(";")[1:]
            for res in body:
                m = re.match(r"\s*([a-z0-9-]+)\s*=\s*([a-z]+)", res)
                if not m:
                    continue
                if m.group(1) != "dkim":
                    lines.append("ar %s=%s" % (m.group(1), m.group(2)))
                    continue
                d = re.search(r"header\.d\s*=\s*([^\s;]+)", res)
                s = re.search(r"header\.s\s*=\s*([^\s;]+)", res)
                lines.append("ar dkim=%s d=%s s=%s" % (m.group(2),
                             d.group(1).lower() if d else "-", s.group(1) if s else "-"))
        else:
            lines.append("field " + name)
    # Fields the milter removed.
    after = fields(outp)
    for f in fields(inp):
        if f in after:
            after.remove(f)
        else:
            lines.append("removed " + f.split(":", 1)[0])
print("\n".join(sorted(lines)))
