#!/usr/bin/env python3
"""Walk one demo ticket through Clearance's whole workflow by the panel API, as the people in the demo would.

Run `cargo run --release -- demo` first, then (in another terminal):

    python3 scripts/demo_walkthrough.py            # DATA-2, the marketing e-mail request
    python3 scripts/demo_walkthrough.py --issue DATA-3 --id-list   # the one with customer_ids.csv attached

Ana (analyst) claims the request, saves an extraction plan and dry-runs it, submits it as containing personal data;
Pia (privacy officer) approves that exact plan; Ana starts the extraction. The script then waits for the delivery
and prints where to look: the encrypted file and Clearance's comment on the issue page, the requester's Slack inbox
with the one-time "Reveal the password" button, the team channel. Only Python's standard library is used; context
tokens come from the simulated Jira (`POST /_sandbox/context-token`), exactly as the panel iframe would get them.
"""

import argparse
import hashlib
import json
import re
import sys
import time
import urllib.error
import urllib.request

ANALYST = "557058:ana-analyst"
PRIVACY_OFFICER = "557058:pia-privacy"
REQUESTER = "557058:riley-requester"


def call(method, url, body=None, token=None):
    """One HTTP call; returns (status, parsed JSON or text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "JWT " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


class Demo:
    def __init__(self, sandbox, key):
        self.sandbox = sandbox.rstrip("/")
        self.key = key
        status, page = call("GET", f"{self.sandbox}/browse/{key}?as={ANALYST}")
        if status != 200:
            sys.exit(f"{key} is not on the simulated Jira at {self.sandbox} (HTTP {status}); is the demo running?")
        frame = re.search(r'id="app-frame" src="([^"]+)"', page)
        if not frame:
            sys.exit(f"{key} shows no Clearance panel: is it labelled data-request and the app installed?")
        src = frame.group(1).replace("&#38;", "&").replace("&amp;", "&")
        self.issue_id = re.search(r"issueId=(\d+)", src).group(1)
        self.app = src.split("/panel?")[0]

    def token(self, who):
        context = {"jira": {"issue": {"id": self.issue_id, "key": self.key}}}
        status, body = call("POST", f"{self.sandbox}/_sandbox/context-token", {"accountId": who, "context": context})
        if status != 200:
            sys.exit(f"no context token for {who}: {body}")
        return body["token"]

    def api(self, who, method, path="", body=None):
        url = f"{self.app}/api/panel/requests/{self.issue_id}{path}"
        return call(method, url, body, self.token(who))

    def command(self, who, body):
        status, answer = self.api(who, "POST", "/commands", body)
        if status != 200:
            sys.exit(f"{body['command']} as {who} was refused (HTTP {status}): {answer}")
        request = answer["request"]
        print(f"  {body['command']:<9} by {who.split(':')[1]:<16} -> {request['state']}")
        return request


def plan_for(args, demo):
    plan = {
        "source": "demo-warehouse",
        "sql": "SELECT id, first_name, last_name, email, country FROM customers WHERE marketing_consent "
        "ORDER BY country, id",
        "masking": {"last_name": "drop"},
        "max_rows": 1_000_000,
        "max_bytes": 100_000_000,
        "format": args.format,
        "encryption": args.encryption,
    }
    if args.id_list:
        _, view = demo.api(ANALYST, "GET")
        files = [a for a in view["request"]["attachments"] if a["filename"].endswith(".csv")]
        if not files:
            sys.exit(f"{demo.key} has no CSV attached for --id-list")
        name = files[0]["filename"]
        _, page = call("GET", f"{demo.sandbox}/browse/{demo.key}?as={ANALYST}")
        link = re.search(r'<a href="([^"]+)">' + re.escape(name) + "</a>", page)
        if not link:
            sys.exit(f"cannot find {name} on the issue page")
        with urllib.request.urlopen(demo.sandbox + link.group(1).replace("&amp;", "&"), timeout=60) as resp:
            content = resp.read()
        plan["sql"] = "SELECT id, first_name, email, country FROM customers WHERE id IN (:ids) ORDER BY id"
        plan["masking"] = {"email": "mask"}
        plan["id_list"] = {"attachment_id": str(files[0]["id"]), "file_name": name,
                           "sha256": hashlib.sha256(content).hexdigest(), "column": "customer_id",
                           "parameter": "ids"}
    return plan


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sandbox", default="http://127.0.0.1:8081", help="the simulated Jira (demo --sandbox-port)")
    p.add_argument("--issue", default="DATA-2", help="a demo ticket labelled data-request")
    p.add_argument("--format", default="csv", choices=["csv", "xlsx"])
    p.add_argument("--encryption", default="age", choices=["age", "zip_aes"])
    p.add_argument("--id-list", action="store_true", help="drive the query by the CSV attached to the issue")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for the delivery")
    args = p.parse_args()

    demo = Demo(args.sandbox, args.issue)
    print(f"{demo.key} (issue {demo.issue_id}) on {demo.sandbox}, Clearance at {demo.app}")
    deadline = time.monotonic() + 60
    while True:  # a demo that just started may still be syncing its tickets
        status, view = demo.api(ANALYST, "GET")
        if status == 200 and isinstance(view, dict) and view.get("request"):
            break
        if time.monotonic() > deadline:
            sys.exit(f"{demo.key} is not a data request in Clearance (HTTP {status}): {view}")
        time.sleep(0.5)
    state = view["request"]["state"]
    if state not in ("new", "in_review"):
        sys.exit(f"{demo.key} is already {state}; pick another ticket or delete the demo's data folder")
    if state == "new":
        demo.command(ANALYST, {"command": "claim"})
    request = demo.command(ANALYST, {"command": "save_plan", "plan": plan_for(args, demo)})
    digest = request["planDigest"]
    status, run = demo.api(ANALYST, "POST", "/dry-run")
    if status != 200:
        sys.exit(f"the dry run failed (HTTP {status}): {run}")
    flagged = [f"{f['column']} ({', '.join(c['category'] for c in f['categories'])})" for f in run["findings"]]
    print(f"  dry run   {len(run['rows'])} sample rows; personal data in: {', '.join(flagged) or 'nothing'}")
    demo.command(ANALYST, {"command": "submit", "personal_data": True})
    demo.command(PRIVACY_OFFICER, {"command": "approve", "digest": digest})
    demo.command(ANALYST, {"command": "extract"})

    deadline = time.monotonic() + args.timeout
    while True:
        _, view = demo.api(ANALYST, "GET")
        request = view["request"]
        if request["state"] in ("delivered", "awaiting_delivery", "failed"):
            break
        if time.monotonic() > deadline:
            sys.exit(f"still {request['state']} after {args.timeout:.0f} s")
        time.sleep(0.5)
    print(f"  delivery  -> {request['state']}" + (f": {request['reason']}" if request.get("reason") else ""))
    if request["state"] == "failed":
        sys.exit(1)
    print(f"""
Now look:
  The issue, with the encrypted file and Clearance's comment (how to open it, never the password):
    {demo.sandbox}/browse/{demo.key}?as={REQUESTER}
  Riley's Slack inbox: the DM with the one-time "Reveal the password" button (Pia got one too):
    {demo.sandbox}/slack/inbox
  Then decrypt the downloaded file:  age -d -o data.zip FILE.zip.age   (or open a .zip with 7-Zip)""")
    return 0 if request["state"] == "delivered" else 2


if __name__ == "__main__":
    sys.exit(main())
