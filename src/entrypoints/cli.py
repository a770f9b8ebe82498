"""The ``meshslo`` command: ``agent``, ``master``, ``demo`` and ``simulate``.

Each subcommand lives in its own module and is imported only when chosen, so
that ``meshslo agent`` never loads the web or database stack.
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import PackageNotFoundError, version

COMMANDS = {
    "agent": ("entrypoints.agent_cmd", "scrape the metrics endpoint and ship snapshots to the master"),
    "master": ("entrypoints.master_cmd", "store snapshots, evaluate SLOs, serve the API and dashboard"),
    "demo": ("entrypoints.demo_cmd", "run a master, a simulated cluster and an agent locally"),
    "simulate": ("entrypoints.simulate_cmd", "serve a simulated cluster's metrics endpoint"),
    "slo": ("entrypoints.slo_cmd", "SLOs as code: apply a file of targets, or export them"),
}


def package_version() -> str:
    try:
        return version("meshslo")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def usage() -> str:
    lines = ["usage: meshslo COMMAND [options]", "       meshslo --version", "", "commands:"]
    lines += [f"  {name:<9} {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "Run 'meshslo COMMAND --help' for the options of a command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] in ("-V", "--version"):
        print(f"meshslo {package_version()}")
        return 0
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        print(f"meshslo: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    return int(module.run(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
