#!/usr/bin/env python3
"""A tiny stand-in for a MISP server, for the nginx demo (scripts/nginx/run-demo.sh).

Answers the sync endpoints the demo uses, on 127.0.0.1 only:
  GET  /servers/getVersion      -> a version document
  POST /events/add[/...]        -> stores the pushed event, answers it back
  POST /events/edit/UUID[/...]  -> same
  GET  /events/view/UUID[/...]  -> a stored event (pushed earlier, or one of two samples)
Everything else: 404. It never judges anything: the guard in front of it does.
"""
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GREEN_UUID = "5d2b3c6e-0000-4000-8000-00000000a11d"
RED_UUID = "5d2b3c6e-0000-4000-8000-0000000000ed"


def sample_event(uuid, info, tag):
    return {
        "Event": {
            "id": "1",
            "uuid": uuid,
            "info": info,
            "date": "2026-01-01",
            "published": True,
            "distribution": "1",
            "sharing_group_id": "0",
            "Tag": [{"name": tag}],
            "Attribute": [
                {
                    "type": "ip-dst",
                    "category": "Network activity",
                    "value": "192.0.2.10",
                    "distribution": "5",
                    "sharing_group_id": "0",
                    "Tag": [],
                }
            ],
            "Object": [],
        }
    }


EVENTS = {
    GREEN_UUID: sample_event(GREEN_UUID, "demo event, shareable", "tlp:green"),
    RED_UUID: sample_event(RED_UUID, "demo event, must stay here", "tlp:red"),
}


class Misp(BaseHTTPRequestHandler):
    server_version = "demo-misp/0.1"

    def answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path == "/servers/getVersion":
            return self.answer(200, {"version": "2.5.0", "perm_sync": True, "perm_sighting": True})
        m = re.match(r"^/events/view/([0-9a-f-]{36})", self.path)
        if m and m.group(1) in EVENTS:
            return self.answer(200, EVENTS[m.group(1)])
        return self.answer(404, {"message": "Not Found"})

    do_HEAD = do_GET

    def do_POST(self):
        if re.match(r"^/events/(add|edit)(/|$)", self.path):
            try:
                event = json.loads(self.body())
                uuid = event["Event"].get("uuid")
            except (ValueError, KeyError, AttributeError):
                return self.answer(400, {"message": "invalid event"})
            if uuid:
                EVENTS[uuid] = event
            sys.stderr.write("demo MISP stored event %s\n" % uuid)
            return self.answer(200, event)
        return self.answer(404, {"message": "Not Found"})


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    ThreadingHTTPServer(("127.0.0.1", port), Misp).serve_forever()
