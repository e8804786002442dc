"""mysqlclient (MySQLdb, the C client) against a MySQL-protocol server; JSON out."""
import json
import sys

import MySQLdb

host, port, user, password, db = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
conn = MySQLdb.connect(host=host, port=port, user=user, passwd=password, db=db)
cur = conn.cursor()
out = {}
cur.execute("SELECT id, status, LastUpdated FROM Orders ORDER BY id, status")
out["rows"] = [[str(v) if v is not None else None for v in r] for r in cur.fetchall()]
out["description"] = [[d[0], d[1]] for d in cur.description]
cur.execute("SELECT status, COUNT(*) FROM Orders GROUP BY status ORDER BY status")
out["groups"] = [[r[0], int(r[1])] for r in cur.fetchall()]
cur.execute("SELECT id FROM Orders WHERE id > %s ORDER BY id LIMIT 2", (1,))
out["parameter"] = [int(r[0]) for r in cur.fetchall()]
print(json.dumps(out, sort_keys=True))
