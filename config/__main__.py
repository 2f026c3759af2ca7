"""`python -m config schema` prints the JSON Schema; `python -m config reference` the reference table
(docs/configuration.md); `python -m config diagram FILE` the Mermaid picture (docs/ARCHITECTURE.md);
`python -m config check [FILE] [--since OLD_FILE]` validates a file without synthesizing, and with
`--since` also refuses changes from OLD_FILE that a live service cannot take (config/changes.py)."""

import sys
from pathlib import Path

from config.changes import data_notes, unsafe_changes
from config.loader import ConfigError, load_config, resolve_config_path
from config.reference import json_schema, markdown_reference

USAGE = "usage: python -m config {schema|reference|diagram FILE|check [FILE] [--since OLD_FILE]}"


def main(argv: list[str]) -> int:
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    command, *rest = argv
    if command == "schema":
        sys.stdout.write(json_schema())
        return 0
    if command == "reference":
        sys.stdout.write(markdown_reference())
        return 0
    if command == "diagram":
        from config.diagram import mermaid

        if len(rest) != 1:
            print(USAGE, file=sys.stderr)
            return 2
        try:
            sys.stdout.write(mermaid(load_config(Path(rest[0]).absolute())))
        except ConfigError as error:
            print(error, file=sys.stderr)
            return 2
        return 0
    if command == "check":
        since = None
        if "--since" in rest:
            index = rest.index("--since")
            if index + 1 >= len(rest):
                print(USAGE, file=sys.stderr)
                return 2
            since = rest[index + 1]
            rest = rest[:index] + rest[index + 2 :]
        if len(rest) > 1:
            print(USAGE, file=sys.stderr)
            return 2
        # A file named on the command line wins over $SERVING_CONFIG.
        path = Path(rest[0]).absolute() if rest else resolve_config_path()
        try:
            config = load_config(path)
            old = load_config(Path(since).absolute()) if since else None
        except ConfigError as error:
            print(error, file=sys.stderr)
            return 2
        problems = unsafe_changes(old, config) if old is not None else []
        if problems:
            print(
                f"error: {path}: {len(problems)} change(s) since {since} that the live service "
                "cannot take",
                file=sys.stderr,
            )
            for problem in problems:
                print(f"{path}: {problem}", file=sys.stderr)
            return 2
        served = ", ".join(config.regions) or "none: every region retired"
        print(f"{path}: valid ({config.name}, regions {served})")
        # What the change does to stored data: informational, the change is allowed.
        for note in data_notes(old, config) if old is not None else []:
            print(f"{path}: data kept: {note}")
        return 0
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
