"""W5's floor: the least a status command could do. ``python floor.py sqlite PATH`` or
``python floor.py postgresql CONNINFO``.

A bare script, run by path (not as part of the ``benchmarks`` package, whose import
would count): it starts, fetches every row of the commitments projection with the
bare driver, and writes them to stdout as one JSON array. It reads the columns a
listing shows (id, title, status, the dates, owner, version), not the folded state
nor tracker's own pre-encoded status row: reading less would not be the same rows,
reading tracker's precomputation would make the floor tracker. ``tracker status
--format json`` does that and more (overdue days, the next follow-up), so W5 reads as
what tracker adds on top of this.
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
    cur = conn.execute(
        "SELECT id, title, status, made_on, due_start, due_end, due_label, owner,"
        " last_evidence_on, version FROM commitments ORDER BY id"
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur]
    sys.stdout.write(json.dumps(rows, default=str))  # one C encoding (json.dump is Python's)
    conn.close()


main()
