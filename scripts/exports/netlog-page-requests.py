#!/usr/bin/env python3
"""Print the requests a page made, from a Chromium net log (--log-net-log, capture mode
Everything): URL requests whose initiator is an origin (a page's; the browser's own service
requests have "not an origin"), other than file: URLs. Exit 1 when there is one.
Usage: netlog-page-requests.py NETLOG.json"""
import json, sys
d = json.load(open(sys.argv[1]))
types = {v: k for k, v in d["constants"]["logEventTypes"].items()}
page = [e["params"].get("url", "") for e in d["events"]
        if types[e["type"]] == "URL_REQUEST_START_JOB"
        and e.get("params", {}).get("initiator") != "not an origin"
        and "url" in e["params"] and not e["params"]["url"].startswith("file:")]
for u in page:
    print(u)
sys.exit(1 if page else 0)
