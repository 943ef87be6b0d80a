"""moto's DynamoDB-API server, applying one write at a time.

    .tools/bin/python3 tests/moto_server.py -H 127.0.0.1 -p 8000

Same options as `moto_server`. Real DynamoDB applies each conditional write
and each transaction atomically. moto's threaded server does not: it checks
a condition and then writes, so two racing writes can both pass
`attribute_not_exists` (measured: 3 of 60 rounds of 8 racing
TransactWriteItems had two winners). Holding one lock around each write
request gives moto DynamoDB's atomicity, which the race tests rely on;
reads and connections are still served concurrently.
"""
import threading

import moto.server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

WRITES = {
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
}


class OneWriteAtATime(DomainDispatcherApplication):
    _lock = threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.rpartition(".")[2] not in WRITES:
            return super().__call__(environ, start_response)
        with self._lock:
            return list(super().__call__(environ, start_response))


moto.server.DomainDispatcherApplication = OneWriteAtATime

if __name__ == "__main__":
    moto.server.main()
