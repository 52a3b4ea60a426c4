"""``python -m arignote.cache {info,list,clear}``: inspect or empty the compile cache."""

from .runtime.cache import main

if __name__ == "__main__":
    raise SystemExit(main())
