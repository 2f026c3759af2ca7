"""`python -m config schema` prints the JSON Schema; `python -m config reference` the README table;
`python -m config check [FILE]` validates a file without synthesizing."""

import sys
from pathlib import Path

from config.loader import ConfigError, load_config, resolve_config_path
from config.reference import json_schema, markdown_reference

USAGE = "usage: python -m config {schema|reference|check [FILE]}"


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
    if command == "check":
        # A file named on the command line is the one checked, whatever SERVING_CONFIG says.
        path = Path(rest[0]) if rest else resolve_config_path()
        try:
            config = load_config(path)
        except ConfigError as error:
            print(error, file=sys.stderr)
            return 2
        print(f"{path}: valid ({config.name}, regions {', '.join(config.regions)})")
        return 0
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
