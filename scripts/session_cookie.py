"""Print the session cookie of a signed-in user, for tools that take one (check_pages.py's
--cookie). Embedded demo users sign in with one click; others with --password-stdin.

usage: python scripts/session_cookie.py [--url http://127.0.0.1:8050] USERNAME [--password-stdin]
prints: onescreen_session=<value>"""

from __future__ import annotations

import argparse
import re
import sys

import requests

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("username")
    parser.add_argument("--url", default="http://127.0.0.1:8050")
    parser.add_argument("--password-stdin", action="store_true")
    args = parser.parse_args()
    with requests.Session() as session:
        page = session.get(f"{args.url}/login", timeout=30)
        match = CSRF_FIELD.search(page.text)
        if not match:
            print(f"no sign-in form at {args.url}/login", file=sys.stderr)
            return 1
        form = {"csrf": match.group(1), "username": args.username}
        if args.password_stdin:
            form["password"] = sys.stdin.readline().rstrip("\n")
            answer = session.post(f"{args.url}/login", data=form, allow_redirects=False, timeout=30)
        else:
            answer = session.post(f"{args.url}/login/demo", data=form, allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            print(f"sign-in refused ({answer.status_code})", file=sys.stderr)
            return 1
        print(f"onescreen_session={session.cookies['onescreen_session']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
