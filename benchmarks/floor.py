"""W5's floor: the least a status command could do. ``python floor.py sqlite PATH`` or
``python floor.py postgresql CONNINFO``.

A bare script, run by path (not as part of the ``benchmarks`` package, whose import
would count): it starts, fetches every row of the commitments projection with the
bare driver, and writes them to stdout as one JSON array. ``tracker status --format
json`` does that and more (it builds each row's status, overdue days and next
follow-up), so W5 reads as what tracker adds on top of this.
"""

import json
import sys


def main() -> None:
    driver, target = sys.argv[1], sys.argv[2]
    if driver == "sqlite":
        import sqlite3

        conn = sqlite3.connect(target)
    else:
        import psycopg

        conn = psycopg.connect(target)  # type: ignore[assignment]
    cur = conn.execute("SELECT * FROM commitments ORDER BY id")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur]
    sys.stdout.write(json.dumps(rows, default=str))  # one C encoding (json.dump is Python's)
    conn.close()


main()
