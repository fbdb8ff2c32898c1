"""The `kehu` command: every Django management command, with Kehu's own (serve, demo, …) first
in the help. `kehu serve`, `kehu demo --customers 1000000`, `kehu migrate` …"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "kehu"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
