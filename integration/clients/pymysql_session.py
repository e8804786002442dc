"""PyMySQL against a MySQL-protocol server: prints what a typical script sees, as JSON,
so the test can compare the replica's answers with the source's."""
import json
import sys

import pymysql

host, port, user, password, db = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
conn = pymysql.connect(host=host, port=port, user=user, password=password, database=db)
out = {}
with conn.cursor() as cur:
    cur.execute("SELECT id, status, LastUpdated FROM Orders ORDER BY id, status")
    out["rows"] = [[str(v) if v is not None else None for v in r] for r in cur.fetchall()]
    out["description"] = [[d[0], d[1]] for d in cur.description]
    cur.execute("SELECT COUNT(*), SUM(id), AVG(id) FROM Orders")
    out["aggregates"] = [str(v) for v in cur.fetchone()]
    cur.execute("SELECT status FROM Orders WHERE status = %s ORDER BY id", ("pending",))
    out["parameter"] = [r[0] for r in cur.fetchall()]
    cur.execute("SHOW TABLES")
    out["tables"] = sorted(r[0] for r in cur.fetchall())
    cur.execute("SELECT DATABASE()")
    out["database"] = cur.fetchone()[0]
print(json.dumps(out, sort_keys=True))
