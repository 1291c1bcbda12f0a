"""`python -m crisisplan.cli`: the same as the `crisisplan` command."""

from crisisplan.cli import main

if __name__ == "__main__":
    main()
