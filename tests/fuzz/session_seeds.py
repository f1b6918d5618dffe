#!/usr/bin/python3
"""session_seeds.py - write the seed inputs of fuzz_session from messages.

  session_seeds.py OUTDIR [MESSAGE...]

Each message (the fuzz corpus of the verifier, and a few built in here:
several mailboxes, internationalized, obsolete syntax, a missing key,
two From fields) becomes one input in fuzz_session's event encoding:
configuration and facts, its header fields, EOH, its body in chunks, EOM;
some twice on one connection, some with an abort in between.
"""
import os
import sys

BUILTIN = {
    "plain": b"From: Alice <alice@example.com>\nTo: bob@example.org\nSubject: hi\n\nbody\n",
    "mailboxes": b"From: Alice <alice@example.com>, Carol <carol@example.com>\n"
                 b"Sender: alice@example.com\nTo: x@example.org\n\nboth\n",
    "mixed-domains": b"From: a@example.com, b@x.example.net\nSender: a@example.com\n\nmixed\n",
    "idn": "From: \"Jörg\" <jörg@bücher.example>\nSubject: Grüße\n\nGrüße ☃\n".encode(),
    "subdomain": b"From: x@a.example.net\n\nsub\n",
    "user": b"From: alice@example.net\n\nuser\n",
    "missing-key": b"From: x@example.org\n\nno key\n",
    "two-from": b"From: a@example.com\nFrom: b@example.com\n\ntwo\n",
    "obsolete": b"From : a@example.com\nSubject\t: x\n\nobs\n",
}


def fields(head):
    """Split a header section into (name, value) as a milter gets them."""
    out = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and out:
            out[-1][1] += b"\n" + line
        elif b":" in line:
            name, value = line.split(b":", 1)
            out.append([name.rstrip(b" \t"), value])
    return out


def encode(msg, conf, facts):
    msg = msg.replace(b"\r\n", b"\n")
    head, _, body = msg.partition(b"\n\n")
    ev = bytearray([conf, facts])
    for name, value in fields(head):
        value = value[1:] if value[:1] == b" " and conf & 1 == 0 else value
        ev += bytes([2, 0xc0 | len(name[:31])]) + name[:31]
        value = value[:65535]
        ev += bytes([len(value) >> 8, len(value) & 255]) + value
    ev.append(4)
    body = body.replace(b"\n", b"\r\n")
    for i in range(0, len(body), 1000):
        chunk = body[i:i + 1000]
        ev += bytes([5, len(chunk) >> 8, len(chunk) & 255]) + chunk
    ev += bytes([7, 1])
    return bytes(ev)


def main():
    out = sys.argv[1]
    msgs = dict(BUILTIN)
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            msgs["msg-" + os.path.basename(path)] = f.read()
    os.makedirs(out, exist_ok=True)
    # facts 0x08: localhost 127.0.0.1, no daemon name; 0x51: 192.0.2.7, ORIGINATING, SASL.
    for name, msg in sorted(msgs.items()):
        for conf in (0, 3):
            data = encode(msg, conf, 0x08 if conf == 0 else 0x51)
            if name in ("plain", "mailboxes"):
                data += data[2:]            # a second message on the connection
                data += bytes([2, 0]) + b"\x00\x05 x@y" + bytes([7, 0])  # then an abort
            with open(os.path.join(out, "%s-%d" % (name, conf)), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
