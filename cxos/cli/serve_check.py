"""`python -m cxos serve-check ADDRESS`: refuse to serve local mode beyond this computer without protection."""

import argparse
import sys

from cxos.access import access_code, is_loopback_host, oidc_configured, serving_refusal


def serve_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "address", nargs="?", default="127.0.0.1", help="the address the app will listen on (server.address)"
    )


def serve_check(args: argparse.Namespace) -> int:
    """Exit 2 with the reason when the address is unsafe as configured; else say who can reach the app."""
    oidc = oidc_configured()
    refusal = serving_refusal(args.address, oidc=oidc, code=access_code())
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    if is_loopback_host(args.address):
        reach = "this computer only"
    else:
        reach = "your network, behind " + ("single sign-on" if oidc else "the access code")
    print(f"CX OS listens on {args.address}: {reach}. To serve others: README, 'Serving it to others'.")
    return 0
