#!/usr/bin/python3
"""vectors.py - the verification test messages of postdkim-vectors.sh.

  vectors.py gen DIR     make keys, the zone for tests/dns/hostile-dns.py
                         (DIR/zone), the messages (DIR/NAME.eml) and the list
                         of cases with their verdicts (DIR/cases)
  vectors.py check DIR   compare what the milter and postdkim -t made of each
                         message (files written by postdkim-vectors.sh) with
                         the verdicts; one line per case, exit 1 on any failure

Every key is made here, at test time. Messages are signed by dkimpy where it
can express the case, otherwise by own_sign() below: hashlib for the
canonicalized data and openssl pkeyutl for the signature, so that tags can
be left out, repeated, misspelt or contradict each other. Each case names
the result word (RFC 8601 section 2.7.1) it must get, signature by
signature top down, and the RFC text that allows it.
"""
import base64
import hashlib
import re
import subprocess
import sys
import time

import dkim

D = "sender.example"
ID = "mx.vectors.example"
NOW = int(time.time())


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, capture_output=True,
                          check=True).stdout


def b64(data):
    return base64.b64encode(data).decode()


class Keys:
    """The senders' keys, made now, and their p= values."""

    def __init__(self, t):
        self.t = t
        self.path = {}
        for bits in (2048, 1024, 768, 512):
            p = "%s/rsa%d.pem" % (t, bits)
            openssl("genrsa", "-traditional", "-out", p, str(bits))
            self.path["rsa%d" % bits] = p
        p = t + "/ed.pem"
        openssl("genpkey", "-algorithm", "ED25519", "-out", p)
        self.path["ed"] = p

    def pem(self, name):
        return open(self.path[name], "rb").read()

    def spki(self, name):
        """p= for an RSA key: SubjectPublicKeyInfo, what everyone publishes."""
        return b64(openssl("rsa", "-in", self.path[name], "-pubout", "-outform", "DER"))

    def pkcs1(self, name):
        """p= as RFC 6376 3.6.1 words it: a bare RSAPublicKey (PKCS#1)."""
        return b64(openssl("rsa", "-in", self.path[name], "-RSAPublicKey_out",
                           "-outform", "DER"))

    def ed_public(self):
        """p= for Ed25519 (RFC 8463 4.2): the raw 32-byte public key."""
        return b64(openssl("pkey", "-in", self.path["ed"], "-pubout", "-outform", "DER")[-32:])

    def ed_seed(self):
        """The private key as dkimpy takes it: the base64 32-byte seed."""
        return base64.b64encode(openssl("pkey", "-in", self.path["ed"], "-outform", "DER")[-32:])


def split(msg):
    """The header fields (name, raw field with its CRLF) and the body."""
    head, _, body = msg.partition(b"\r\n\r\n")
    fields = []
    for line in (head + b"\r\n").split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += line + b"\r\n"
        else:
            fields.append([line.split(b":", 1)[0].strip().lower(), line + b"\r\n"])
    return fields, body


def canon_header(raw, relaxed):
    """One field in the header canonicalization (RFC 6376 3.4.1, 3.4.2)."""
    if not relaxed:
        return raw
    name, _, value = raw.partition(b":")
    value = re.sub(rb"[ \t]+", b" ", value.replace(b"\r\n", b"")).strip(b" ")
    return name.strip().lower() + b":" + value + b"\r\n"


def canon_body(body, relaxed):
    """The body canonicalization (RFC 6376 3.4.3, 3.4.4)."""
    lines = body.split(b"\r\n")
    if body.endswith(b"\r\n"):
        lines.pop()
    if relaxed:
        lines = [re.sub(rb"[ \t]+", b" ", x).rstrip(b" ") for x in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    out = b"".join(x + b"\r\n" for x in lines)
    return out if out or relaxed else b"\r\n"


def own_sign(keys, msg, key="rsa2048", alg="rsa-sha256", tags=None, canon="relaxed/relaxed",
             sep=b"; ", drop=(), extra=()):
    """
    A DKIM-Signature field for msg, tags in this order: v a c d s t h
    (overridden or added through tags, left out through drop, extra ones
    appended), then bh and b. alg says how the signature is really made
    (rsa-sha256, rsa-sha1, ed25519-sha256), whatever a= says.
    """
    t = {"v": "1", "a": alg, "c": canon, "d": D, "s": "rsa", "t": str(NOW),
         "h": "from:to:subject:date"}
    t.update(tags or {})
    hc, _, bc = t["c"].partition("/") if "c" in t else ("simple", "", "simple")
    fields, body = split(msg)
    cbody = canon_body(body, (bc or "simple") == "relaxed")
    if "l" in t:
        cbody = cbody[:int(t["l"])]
    bh = b64(hashlib.sha256(cbody).digest())
    pairs = [(k, t[k]) for k in ("v", "a", "c", "d", "s", "t", "x", "i", "l", "q", "h")
             if k in t and k not in drop] + list(extra) + [("bh", bh)]
    value = sep.join(("%s=%s" % kv).encode() for kv in pairs) + sep + b"b="
    field = b"DKIM-Signature: " + value
    # h=: each name takes the last instance not yet taken (RFC 6376 5.4.2).
    data, used = b"", set()
    for name in t["h"].split(":"):
        name = name.strip().lower().encode()
        for i in range(len(fields) - 1, -1, -1):
            if fields[i][0] == name and i not in used:
                used.add(i)
                data += canon_header(fields[i][1], hc == "relaxed")
                break
    data += canon_header(field + b"\r\n", hc == "relaxed")[:-2]
    if alg == "rsa-sha1":
        sig = openssl("pkeyutl", "-sign", "-inkey", keys.path[key], "-pkeyopt", "digest:sha1",
                      data=hashlib.sha1(data).digest())
    elif alg == "rsa-sha256":
        sig = openssl("pkeyutl", "-sign", "-inkey", keys.path[key], "-pkeyopt",
                      "digest:sha256", data=hashlib.sha256(data).digest())
    else:	# RFC 8463 3: PureEdDSA over the SHA-256 hash (from a file: one shot)
        tmp = keys.t + "/ed.in"
        open(tmp, "wb").write(hashlib.sha256(data).digest())
        sig = openssl("pkeyutl", "-sign", "-rawin", "-inkey", keys.path["ed"], "-in", tmp)
    b = b64(sig)
    # b= folded with CRLF and a tab: FWS inside b= is not signed (RFC 6376 3.5).
    folded = "\r\n\t".join(b[i:i + 64] for i in range(0, len(b), 64)).encode()
    return field + folded + b"\r\n" + msg


def py_sign(keys, msg, sel="rsa", key="rsa2048", domain=D, **kw):
    """A signature made by dkimpy."""
    if kw.get("signature_algorithm") == b"ed25519-sha256":
        priv = keys.ed_seed()
    else:
        priv = keys.pem(key)
    kw.setdefault("canonicalize", (b"relaxed", b"relaxed"))
    return dkim.sign(msg, sel.encode(), domain.encode(), priv, **kw) + msg


BASE = (b"Received: from relay.example by mx.example; Mon, 23 Nov 2026 19:00:00 +0000\r\n"
        b"From: Sam <sam@sender.example>\r\nTo: bob@ours.example\r\n"
        b"Subject: quarterly  numbers\r\nDate: Mon, 23 Nov 2026 19:00:00 +0000\r\n"
        b"Message-ID: <v1@sender.example>\r\n\r\n"
        b"Hello Bob,\r\n\r\nthe  numbers \t are in.\r\n\r\n")


def gen(t):
    k = Keys(t)
    rsa, ed = k.spki("rsa2048"), k.ed_public()
    zone = {
        "rsa": "v=DKIM1; k=rsa; p=" + rsa,
        "ed": "v=DKIM1; k=ed25519; p=" + ed,
        "r1024": "v=DKIM1; k=rsa; p=" + k.spki("rsa1024"),
        "r768": "v=DKIM1; k=rsa; p=" + k.spki("rsa768"),
        "r512": "v=DKIM1; k=rsa; p=" + k.spki("rsa512"),
        "pkcs1": "v=DKIM1; k=rsa; p=" + k.pkcs1("rsa2048"),
        "implicitk": "p=" + rsa,
        "strict": "v=DKIM1; t=s; p=" + rsa,
        "gtag": "v=DKIM1; g=jl*g; p=" + rsa,
        "gempty": "v=DKIM1; g=; p=" + rsa,
        "extra": "v=DKIM1; s=email:web; h=md5:sha256; n=a note; x1 = extra ; p=" + rsa + " ;",
        "testing": "v=DKIM1; t=y; p=" + rsa,
        "nop": "v=DKIM1; k=rsa",
        "revoked": "v=DKIM1; k=rsa; p=",
        "kmis": "v=DKIM1; k=ed25519; p=" + rsa,
        "edasrsa": "v=DKIM1; p=" + ed,
        "kfoo": "v=DKIM1; k=foobar; p=" + rsa,
        "keyv": "v=DKIM3; p=" + rsa,
        "keyvlate": "k=rsa; v=DKIM1; p=" + rsa,
        "keyh": "v=DKIM1; h=sha1; p=" + rsa,
        "keys": "v=DKIM1; s=chat; p=" + rsa,
        "keysyntax": "v=DKIM1; k=rsa; t; p=" + rsa,
        "badb64": "v=DKIM1; k=rsa; p=" + rsa[:40] + "!!" + rsa[42:],
        "edshort": "v=DKIM1; k=ed25519; p=" + b64(base64.b64decode(ed)[:31]),
        "edrevoked": "v=DKIM1; k=ed25519; p=",
    }
    with open(t + "/zone", "w") as z:
        for sel, rec in zone.items():
            z.write("%s._domainkey.%s %s\n" % (sel, D, rec))
        # A d= that is no domain name (dkimpy's test_invalid_domain): the name
        # it makes in DNS lies under attacker.example, which publishes a key.
        z.write("rsa._domainkey.legitimate.example\\(.attacker.example %s\n" % zone["rsa"])
    m = BASE
    cases = []

    def case(name, data, expect, note, action=None):
        open("%s/%s.eml" % (t, name), "wb").write(data)
        cases.append((name, expect, action, note))

    def alter(x):
        return x.replace(b"are in.", b"are out.")

    good = py_sign(k, m)
    # The signers themselves, and the four canonicalizations (RFC 6376 3.4).
    case("py-rsa", good, "rsa:pass", "dkimpy, rsa-sha256, relaxed/relaxed")
    case("py-simple", py_sign(k, m, canonicalize=(b"simple", b"simple")), "rsa:pass",
         "dkimpy, simple/simple")
    case("py-relaxed-simple", py_sign(k, m, canonicalize=(b"relaxed", b"simple")), "rsa:pass",
         "dkimpy, relaxed/simple")
    case("py-simple-relaxed", py_sign(k, m, canonicalize=(b"simple", b"relaxed")), "rsa:pass",
         "dkimpy, simple/relaxed")
    case("py-ed", py_sign(k, m, "ed", signature_algorithm=b"ed25519-sha256"), "ed:pass",
         "RFC 8463: ed25519-sha256 by dkimpy")
    case("dual", py_sign(k, py_sign(k, m), "ed", signature_algorithm=b"ed25519-sha256"),
         "ed:pass rsa:pass", "RFC 8463 6: one Ed25519 and one RSA signature")
    case("own-rsa", own_sign(k, m), "rsa:pass", "own signer (checked against dkimpy below)")
    case("own-simple", own_sign(k, m, canon="simple/simple"), "rsa:pass",
         "own signer, simple/simple")
    case("own-ed", own_sign(k, m, alg="ed25519-sha256", tags={"s": "ed"}), "ed:pass",
         "RFC 8463 3: PureEdDSA over the SHA-256 hash, own signer")
    case("own-fws", own_sign(k, m, sep=b" ;\r\n\t ", tags={"h": "From : To :\r\n\tSubject"}),
         "rsa:pass", "RFC 6376 3.2: FWS around tags and in h=; names in any case")
    case("no-c", own_sign(k, m, canon="simple/simple", drop=("c",)), "rsa:pass",
         "RFC 6376 3.5: c= defaults to simple/simple")
    case("unsigned", m, "", "no signature: dkim=none (AlwaysAddARHeader)")
    # The signature field (RFC 6376 3.5, 6.1.1).
    case("no-v", own_sign(k, m, drop=("v",)), "rsa:permerror", "RFC 6376 3.5: v= is REQUIRED")
    case("v05", own_sign(k, m, tags={"v": "0.5"}), "rsa:permerror",
         "RFC 6376 6.1.1: PERMFAIL (incompatible version)")
    case("no-bh", own_sign(k, m).replace(b"; bh=", b"; xh="), "rsa:permerror",
         "RFC 6376 3.5: bh= is REQUIRED")
    case("dup-tag", own_sign(k, m, extra=[("d", D)]), "-:permerror",
         "RFC 6376 3.2: a tag twice makes the whole tag-list invalid (so no s= is shown)")
    case("unknown-tag", own_sign(k, m, extra=[("foo", "bar")]), "rsa:pass",
         "RFC 6376 3.2: unrecognized tags MUST be ignored")
    case("a-md5", own_sign(k, m, tags={"a": "rsa-md5"}), "rsa:permerror",
         "RFC 6376 6.1.1: an unknown a= is a syntax error")
    case("c-future", own_sign(k, m, tags={"c": "future"}), "rsa:permerror",
         "RFC 6376 3.5: an unknown c= is an error")
    case("q-http", own_sign(k, m, tags={"q": "http"}), "rsa:permerror",
         "RFC 6376 3.5: only recognized query methods are used; q=http leaves none")
    case("q-special", own_sign(k, m, tags={"q": "dns/special"}), "rsa:permerror",
         "RFC 6376 3.5: dns takes only the option txt")
    case("q-dns", own_sign(k, m, tags={"q": "dns/txt"}), "rsa:pass", "RFC 6376 3.5: q=dns/txt")
    case("no-from", own_sign(k, m, tags={"h": "to:subject:date"}), "rsa:permerror",
         "RFC 6376 6.1.1: PERMFAIL (From field not signed)")
    case("absent-h", own_sign(k, m, tags={"h": "from:to:reply-to"}), "rsa:pass",
         "RFC 6376 5.4: a name in h= with no such field hashes as nothing")
    case("i-outside", own_sign(k, m, tags={"i": "@other.example"}), "rsa:permerror",
         "RFC 6376 6.1.1: PERMFAIL (domain mismatch)")
    case("i-subdomain", own_sign(k, m, tags={"i": "sam@mail.sender.example"}), "rsa:pass",
         "RFC 6376 3.5: i= may be a subdomain of d=")
    case("i-qp", own_sign(k, m, tags={"i": "s=61m@sender.example"}), "rsa:pass",
         "RFC 6376 3.5: i= is dkim-quoted-printable")
    case("d-case", own_sign(k, m, tags={"d": "Sender.EXAMPLE"}), "rsa:pass",
         "domain names are not case-sensitive (RFC 4343)")
    case("d-invalid", py_sign(k, m, domain="legitimate.example(.attacker.example"),
         "rsa:permerror", "RFC 6376 3.5: d= is a domain-name; '(' is no part of one")
    case("expired", own_sign(k, m, tags={"t": str(NOW - 7200), "x": str(NOW - 3600)}),
         "rsa:neutral", "RFC 6376 6.1.1: PERMFAIL (signature expired); RFC 8601 "
         "2.7.1 neutral: a signature that could not be processed")
    case("x-future", own_sign(k, m, tags={"x": str(NOW + 86400)}), "rsa:pass",
         "RFC 6376 3.5: x= in the future")
    case("x-before-t", own_sign(k, m, tags={"t": str(NOW + 600), "x": str(NOW + 300)}),
         "rsa:permerror", "RFC 6376 3.5: x= MUST be greater than t=")
    case("sha1", py_sign(k, m, signature_algorithm=b"rsa-sha1"), "rsa:policy",
         "RFC 8301 3.1: rsa-sha1 MUST NOT be used for verifying")
    # The message after signing.
    case("body-altered", alter(good), "rsa:fail", "RFC 6376 6.1.3: body hash mismatch")
    case("header-altered", good.replace(b"quarterly  numbers", b"quarterly  results"),
         "rsa:fail", "RFC 6376 6.1.3: signature does not verify")
    case("b-altered", re.sub(rb"b=([A-Za-z0-9+/]{10})", rb"b=AAAAAAAAAA", good, count=1),
         "rsa:fail", "RFC 6376 6.1.3: b= does not verify")
    case("ed-header", py_sign(k, m, "ed", signature_algorithm=b"ed25519-sha256")
         .replace(b"quarterly  numbers", b"quarterly  results"), "ed:fail",
         "RFC 8463: header changed after signing")
    case("ed-body", alter(py_sign(k, m, "ed", signature_algorithm=b"ed25519-sha256")),
         "ed:fail", "RFC 8463: body changed after signing")
    lsig = py_sign(k, m, length=True)
    case("l-exact", lsig, "rsa:pass", "RFC 6376 3.5 l=: the whole body")
    case("l-extra", lsig + b"P.S. added in transit\r\n", "rsa:pass",
         "RFC 6376 3.5 l=: content after the signed length is not covered, the "
         "signature verifies (8.2: a known risk)")
    once = py_sign(k, m, include_headers=[b"from", b"to", b"subject"])
    case("added-from", b"From: Mallory <ceo@sender.example>\r\n" + once, "rsa:policy",
         "RFC 6376 8.15: a From added above a From signed once")
    case("from-below", once.replace(b"\r\n\r\n", b"\r\nFrom: Mallory <ceo@sender.example>"
                                    b"\r\n\r\n", 1), "rsa:fail",
         "RFC 6376 5.4.2: h= takes the last From, the one added below")
    empty = m.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    case("no-body", py_sign(k, empty, canonicalize=(b"simple", b"simple")), "rsa:pass",
         "RFC 6376 3.4.3: an empty body is CRLF")
    # Several signatures: one good one is enough (RFC 6376 4, 6.1).
    several = py_sign(k, m, "nx")
    several = py_sign(k, several)
    several = re.sub(rb"b=([A-Za-z0-9+/]{10})", rb"b=AAAAAAAAAA",
                     py_sign(k, several, "ed", signature_algorithm=b"ed25519-sha256"), count=1)
    case("several", several, "ed:fail rsa:pass nx:permerror",
         "RFC 6376 6.1: each signature on its own; one pass is a pass")
    both_bad = alter(py_sign(k, py_sign(k, m, "nx")))
    case("several-bad", both_bad, "rsa:fail nx:permerror", "no signature verifies")
    # Key records (RFC 6376 3.6.1, 6.1.2).
    for bits, word, note in ((1024, "pass", "RFC 8301 3.2: verifiers MUST validate 1024 bits"),
                             (768, "policy", "RFC 8301 3.2: under 1024 bits MUST NOT be valid"),
                             (512, "policy", "RFC 8301 3.2: under 1024 bits MUST NOT be valid")):
        case("rsa%d" % bits, py_sign(k, m, "r%d" % bits, key="rsa%d" % bits),
             "r%d:%s" % (bits, word), note)
    case("pkcs1", py_sign(k, m, "pkcs1"), "pkcs1:pass",
         "RFC 6376 3.6.1 k=rsa: p= is an RSAPublicKey; erratum 3017: which MAY be in a "
         "SubjectPublicKeyInfo. Both forms pass")
    case("implicit-k", py_sign(k, m, "implicitk"), "implicitk:pass",
         "RFC 6376 3.6.1: v= optional, k= defaults to rsa")
    case("strict-sub", py_sign(k, m, "strict", identity=b"@mail.sender.example"),
         "strict:permerror", "RFC 6376 3.6.1 t=s: i= MUST have the same domain as d=")
    case("strict-same", py_sign(k, m, "strict", identity=b"sam@sender.example"), "strict:pass",
         "RFC 6376 3.6.1 t=s: i= in d= itself")
    case("g-tag", py_sign(k, m, "gtag", identity=b"sam@sender.example"), "gtag:pass",
         "RFC 6376 removed g= (RFC 4871's granularity); 3.6.1: unknown tags ignored")
    case("g-empty", py_sign(k, m, "gempty"), "gempty:pass",
         "RFC 6376: g= is ignored, even empty (RFC 4871 matched nothing)")
    case("key-extra", py_sign(k, m, "extra"), "extra:pass",
         "RFC 6376 3.6.1: s=email among others, h= with sha256, unknown tags")
    case("testing", alter(py_sign(k, m, "testing")), "testing:fail",
         "RFC 6376 3.6.1 t=y: treated like unsigned mail, even failing", action="accept")
    case("no-p", py_sign(k, m, "nop"), "nop:permerror", "RFC 6376 3.6.1: p= is REQUIRED")
    case("revoked", py_sign(k, m, "revoked"), "revoked:permerror",
         "RFC 6376 6.1.2 step 7: PERMFAIL (key revoked)")
    case("k-mismatch", py_sign(k, m, "kmis"), "kmis:permerror",
         "RFC 6376 6.1.2 step 8: PERMFAIL (inappropriate key algorithm)")
    case("ed-as-rsa", py_sign(k, m, "edasrsa", signature_algorithm=b"ed25519-sha256"),
         "edasrsa:permerror", "RFC 6376 3.6.1: no k= is k=rsa; an ed25519-sha256 signature")
    case("k-unknown", py_sign(k, m, "kfoo"), "kfoo:permerror",
         "RFC 6376 3.6.1: unrecognized key types MUST be ignored: no key")
    case("key-v", py_sign(k, m, "keyv"), "keyv:permerror",
         "RFC 6376 3.6.1: a record whose v= is not DKIM1 MUST be discarded")
    case("key-v-late", py_sign(k, m, "keyvlate"), "keyvlate:permerror",
         "RFC 6376 3.6.1: v= MUST be the first tag")
    case("key-h", py_sign(k, m, "keyh"), "keyh:permerror",
         "RFC 6376 6.1.2 step 6: PERMFAIL (inappropriate hash algorithm)")
    case("key-s", py_sign(k, m, "keys"), "keys:permerror",
         "RFC 6376 3.6.1 s=: a key not for email")
    case("key-syntax", py_sign(k, m, "keysyntax"), "keysyntax:permerror",
         "RFC 6376 6.1.2 step 5: PERMFAIL (key syntax error)")
    case("key-base64", py_sign(k, m, "badb64"), "badb64:permerror",
         "RFC 6376 6.1.2 step 5: p= is not base64")
    case("ed-short", py_sign(k, m, "edshort", signature_algorithm=b"ed25519-sha256"),
         "edshort:permerror", "RFC 8463 4.2: an Ed25519 key is 32 bytes")
    case("ed-revoked", py_sign(k, m, "edrevoked", signature_algorithm=b"ed25519-sha256"),
         "edrevoked:permerror", "RFC 6376 6.1.2 step 7: PERMFAIL (key revoked)")
    # DNS (RFC 6376 6.1.2 steps 2 and 3; RFC 8601 2.7.1).
    case("dns-servfail", py_sign(k, m, "servfail"), "servfail:temperror",
         "RFC 6376 6.1.2 step 2: no answer: TEMPFAIL; RFC 8601: temperror")
    case("dns-nxdomain", py_sign(k, m, "nx"), "nx:permerror",
         "RFC 6376 6.1.2 step 3: the record does not exist: PERMFAIL (no key for "
         "signature); RFC 8601: permerror, a later attempt is unlikely to differ")
    case("dns-nodata", py_sign(k, m, "nodata"), "nodata:permerror",
         "RFC 6376 6.1.2 step 3: no TXT record at the name: PERMFAIL")
    case("dns-two", py_sign(k, m, "two"), "two:permerror",
         "RFC 6376 6.1.2 step 4: two records, either may be taken; neither is a key")
    # Forged Authentication-Results (RFC 8601 5): ours is removed, others kept.
    ar = (b"Authentication-Results: " + ID.encode() + b"; dkim=pass header.d=paypal.com\r\n"
          b"Authentication-Results: other.example; dkim=fail\r\n")
    case("forged-ar", ar + good, "rsa:pass", "RFC 8601 5: fields with our authserv-id go")
    # Last: a server that did not answer may be asked less eagerly for a while.
    case("dns-timeout", py_sign(k, m, "slow"), "slow:temperror",
         "RFC 6376 6.1.2 step 2: no answer: TEMPFAIL; RFC 8601: temperror")
    with open(t + "/cases", "w") as f:
        for name, expect, action, note in cases:
            f.write("%s\t%s\t%s\t%s\n" % (name, expect, action or "-", note))
    # The own signer must agree with dkimpy.
    dns = dict(("%s._domainkey.%s." % (s, D), r.encode()) for s, r in zone.items())
    for name in ("own-rsa", "own-simple", "own-ed", "own-fws", "no-c", "unknown-tag"):
        msg = open("%s/%s.eml" % (t, name), "rb").read()
        if not dkim.verify(msg, dnsfunc=lambda n, timeout=5: dns.get(n.decode())):
            sys.exit("vectors.py: dkimpy does not verify the own signer's %s" % name)


def results(path):
    """(authserv-id, [(selector, result)]) of the first field of a message."""
    import authres
    data = open(path, "rb").read().decode("utf-8", "replace")
    lines = data.split("\r\n\r\n", 1)[0].split("\r\n")
    if not lines[0].lower().startswith("authentication-results:"):
        return None, []
    field = lines[0]
    for line in lines[1:]:
        if line[:1] not in (" ", "\t"):
            break
        field += "\r\n" + line
    h = authres.AuthenticationResultsHeader.parse(field)
    out = []
    for r in h.results:
        p = dict((x.name, x.value) for x in r.properties)
        out.append((p.get("s", "-"), r.result))
    return h.authserv_id, out


def action_of(path):
    """The action postdkim -t printed on stderr (accept when not verified)."""
    m = re.search(r"action (accept|reject|tempfail)\)?$", open(path).read(), re.M)
    return m.group(1) if m else "accept"


def verdict_of(path):
    """mclient's verdict for the message."""
    m = re.search(r"^1 (\S+) ", open(path).read(), re.M)
    return m.group(1) if m else "?"


def check(t):
    bad = 0
    for line in open(t + "/cases"):
        name, expect, action, note = line.rstrip("\n").split("\t")
        want = [tuple(x.split(":")) for x in expect.split()] or [("-", "none")]
        problems = []
        try:
            aid, got = results("%s/a-%s/1.eml" % (t, name))
        except Exception as e:  # the field does not parse: that is a failure
            aid, got = "?", [("?", "unparsable A-R: %s" % e)]
        if aid != ID or got != want:
            problems.append("milter: %s, want %s" % (
                " ".join("%s:%s" % x for x in got) or "no A-R", expect or "none"))
        milter = open("%s/a-%s/1.eml" % (t, name), "rb").read()
        # Ours only: a field that claims our authserv-id is forged (RFC 8601 5).
        head = milter.split(b"\r\n\r\n", 1)[0].lower()
        if head.count(b"\r\nauthentication-results: " + ID.encode() + b";") > 0:
            problems.append("milter: a forged Authentication-Results field is left")
        offline = open("%s/%s.ta" % (t, name), "rb").read()
        if milter != offline:
            problems.append("-t printed another message than the milter passed on")
        # The action under the On-* settings of daemon B: the documented
        # order (doc/verification.md), or the case's own.
        if action == "-":
            words = [w for _, w in want]
            action = ("accept" if "pass" in words or words == ["none"] else
                      "tempfail" if "temperror" in words else "reject")
        got_b, got_tb = verdict_of("%s/b-%s.log" % (t, name)), action_of("%s/%s.tbe" % (t, name))
        if got_b != action or got_tb != action:
            problems.append("action: milter %s, -t %s, want %s" % (got_b, got_tb, action))
        if problems:
            bad += 1
            print("FAIL %s: %s [%s]" % (name, "; ".join(problems), note))
        else:
            print("ok   %s: %s, %s [%s]" % (name, expect or "none", action, note))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "check"):
        sys.exit("usage: vectors.py gen|check DIR")
    (gen if sys.argv[1] == "gen" else check)(sys.argv[2])
