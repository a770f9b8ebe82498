"""``meshslo slo apply FILE`` / ``meshslo slo export``: SLOs as code (SPEC §10)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from application.ports.targets_api import TargetsApi
from application.slo_as_code import EXIT_INVALID, SloAsCode

DEFAULT_MASTER_URL = "http://127.0.0.1:8080"
MASTER_URL_ENV = "MESHSLO_MASTER_URL"
ADMIN_TOKEN_ENV = "MESHSLO_ADMIN_TOKEN"

ApiFactory = Callable[[str, str], TargetsApi]


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--master-url", default=os.environ.get(MASTER_URL_ENV, DEFAULT_MASTER_URL),
                        help=f"the master's base URL [env {MASTER_URL_ENV}; default {DEFAULT_MASTER_URL}]")
    common.add_argument("--admin-token", default=os.environ.get(ADMIN_TOKEN_ENV, ""),
                        help=f"bearer token for the targets API [env {ADMIN_TOKEN_ENV}]")
    parser = argparse.ArgumentParser(prog="meshslo slo", description="SLOs as code: apply or export targets.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{apply,export}")
    apply = commands.add_parser(
        "apply", parents=[common], help="validate a file, then create/update its targets",
        description="Validate the whole file (native target list, YAML or JSON, or OpenSLO v1), "
                    "print the plan, then create or update its targets. Exit 0 ok, 2 invalid file, "
                    "1 master error.")
    apply.add_argument("file", metavar="FILE", help="the SLO file ('-' reads standard input)")
    apply.add_argument("--prune", action="store_true",
                       help="also delete the targets of the file's clusters that the file does not name")
    apply.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    export = commands.add_parser("export", parents=[common], help="print the stored targets",
                                 description="Print the stored targets in a format 'apply' reads.")
    export.add_argument("--format", choices=("native", "openslo"), default="native",
                        help="native target list (YAML) or OpenSLO v1 documents [default native]")
    export.add_argument("--cluster-id", default=None, help="only this cluster's targets [default: all]")
    return parser


def http_api(master_url: str, token: str) -> TargetsApi:
    from adapters.master_client.targets_client import HttpTargetsApi

    return HttpTargetsApi(master_url, token)


def run(argv: list[str], make_api: ApiFactory = http_api) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2), already printed
        return int(stop.code or 0)
    if not args.master_url.startswith(("http://", "https://")):
        print(f"meshslo slo: --master-url must be an http:// or https:// URL, got {args.master_url!r}",
              file=sys.stderr)
        return EXIT_INVALID
    from adapters.slo_files.files import SloFiles

    api = make_api(args.master_url, args.admin_token)
    use_case = SloAsCode(SloFiles(), api, out=print, err=lambda line: print(line, file=sys.stderr))
    try:
        if args.command == "apply":
            return use_case.apply(args.file, prune=args.prune, dry_run=args.dry_run)
        return use_case.export(args.format, args.cluster_id)
    finally:
        close = getattr(api, "close", None)
        if callable(close):
            close()
