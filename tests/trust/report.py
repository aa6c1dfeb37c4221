"""Print the trust figures as a short table: `python -m tests.trust.report`."""

from __future__ import annotations

import json
import sys

from tests.trust.figures import PATH, REQUIRED


def main() -> int:
    if not PATH.exists():
        print(f"no figures at {PATH}: run the trust tests first", file=sys.stderr)
        return 1
    data = json.loads(PATH.read_text(encoding="utf-8"))
    bad = 0
    print(f"{'section':<28} {'figure':<34} {'value':>12}  check")
    print("-" * 84)
    for section, values in data.items():
        for name, value in values.items():
            want = REQUIRED.get(name)
            mark = ""
            if want is not None:
                ok = value == want
                bad += not ok
                mark = "ok" if ok else f"FAIL (must be {want})"
            print(f"{section:<28} {name:<34} {value!s:>12}  {mark}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
