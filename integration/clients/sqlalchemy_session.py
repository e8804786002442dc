"""SQLAlchemy reflection (inspect(): SHOW CREATE TABLE, columns, keys) and a query,
against a MySQL-protocol server; JSON out."""
import json
import sys

import sqlalchemy as sa

host, port, user, password, db = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
engine = sa.create_engine(f"mysql+pymysql://{user}:{password}@{host}:{port}/{db}")
insp = sa.inspect(engine)
out = {"tables": sorted(insp.get_table_names())}
for t in out["tables"]:
    out[t] = {
        "columns": [[c["name"], str(c["type"]), c["nullable"]] for c in insp.get_columns(t)],
        "pk": insp.get_pk_constraint(t)["constrained_columns"],
        "indexes": sorted([i["name"], i["column_names"], bool(i["unique"])] for i in insp.get_indexes(t)),
    }
meta = sa.MetaData()
items = sa.Table("items", meta, autoload_with=engine)
with engine.connect() as conn:
    rows = conn.execute(sa.select(items.c.id, items.c.name).where(items.c.id >= 2).order_by(items.c.id)).fetchall()
    out["query"] = [[r[0], r[1]] for r in rows]
print(json.dumps(out, sort_keys=True))
