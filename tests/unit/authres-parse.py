#!/usr/bin/python3
"""authres-parse.py - parse an Authentication-Results value with Debian's
python3-authres (an independent RFC 8601 parser) and print what it read:
the authserv-id on the first line, then one line per result,
"method=result name=value name=value ...". check_authres compares.

usage: authres-parse.py < value
"""
import sys

import authres


def main():
    value = sys.stdin.buffer.read().decode("utf-8")
    h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    print(h.authserv_id)
    for r in h.results:
        props = " ".join("%s.%s=%s" % (p.type, p.name, p.value) for p in r.properties)
        print(("%s=%s %s" % (r.method, r.result, props)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
