#!/usr/bin/env python3
"""Decode a binlog range with python-mysql-replication, the peer in benches/binlog_decode.sh.

Reads from FILE:POS to the end of the source's binary log (blocking=False: the server
sends EOF at the end instead of waiting), decodes every row of every WRITE/UPDATE/DELETE
rows event and touches each decoded value, the same work `replicant tail --format none`
does. Prints one line on stdout:

    decoded N row changes in E rows events in S s

Needs `pip install mysql-replication` (it pulls in PyMySQL).
"""

import argparse
import sys
import time

from pymysqlreplication import BinLogStreamReader
from pymysqlreplication.row_event import (
    DeleteRowsEvent,
    UpdateRowsEvent,
    WriteRowsEvent,
)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", default="")
    p.add_argument("--log-file", required=True, help="first binlog file, e.g. mariadb-bin.000001")
    p.add_argument("--log-pos", type=int, default=4)
    p.add_argument("--server-id", type=int, default=4242)
    args = p.parse_args()

    started = time.perf_counter()
    stream = BinLogStreamReader(
        connection_settings={
            "host": args.host,
            "port": args.port,
            "user": args.user,
            "passwd": args.password,
        },
        server_id=args.server_id,
        log_file=args.log_file,
        log_pos=args.log_pos,
        resume_stream=True,
        blocking=False,
        only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent],
    )
    rows = 0
    events = 0
    values = 0
    try:
        for event in stream:
            events += 1
            if isinstance(event, UpdateRowsEvent):
                for row in event.rows:
                    # Touch both images: replicant decodes the before and the after image.
                    values += len(row["before_values"]) + len(row["after_values"])
                    for v in row["after_values"].values():
                        pass
                    rows += 1
            else:
                for row in event.rows:
                    for v in row["values"].values():
                        pass
                    values += len(row["values"])
                    rows += 1
    finally:
        stream.close()
    secs = time.perf_counter() - started
    print(f"decoded {rows} row changes in {events} rows events ({values} values) in {secs:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
