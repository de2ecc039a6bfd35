#!/usr/bin/env python3
"""Debian's testssl.sh against examples/event_toggle over HTTPS, with a
certificate made here: fails on any finding of severity HIGH or CRITICAL
except those the self-signed test chain causes (no chain of trust, no
revocation URI), which no server setting can change.

usage: test_testssl.py EVENT_TOGGLE
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from e2e_support import check, make_certificate, start_example, summary

# Caused by a self-signed certificate, not by the server.
TEST_CHAIN = {"cert_chain_of_trust", "cert_revocation"}
# Everything testssl.sh runs by default but its client simulation, which
# reports only INFO (which of 35 clients would connect, with what) and
# takes a third of the scan's time: each cipher (-e), the standard cipher
# lists (-s), forward secrecy (-f), protocols (-p), the server's cipher
# order (-P), its defaults and certificate (-S), HTTP headers (-h) and
# every vulnerability (-U). 99 findings, the same ids as the default scan
# without the 35 clientsimulation-* ones (testssl.sh 3.0.8).
CHECKS = ["-e", "-s", "-f", "-p", "-P", "-S", "-h", "-U"]


def main():
    binary = sys.argv[1]
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    workdir = tempfile.mkdtemp(prefix="bareasio-testssl-")
    cert, key = make_certificate(workdir, days=365)  # testssl.sh flags one that expires soon
    server, port = start_example(binary, "--tls-cert", cert, "--tls-key", key)
    try:
        report = os.path.join(workdir, "testssl.json")
        scan = subprocess.run([testssl, "--quiet", "--color", "0", "--warnings", "batch",
                               *CHECKS, "--jsonfile", report, f"https://127.0.0.1:{port}/"],
                              capture_output=True, text=True, timeout=600)
        check(os.path.exists(report), f"testssl.sh wrote its report ({scan.stderr[-500:]})")
        findings = json.load(open(report)) if os.path.exists(report) else []
        serious = [f for f in findings
                   if f.get("severity") in ("HIGH", "CRITICAL") and f.get("id") not in TEST_CHAIN]
        for f in serious:
            print(f"finding: {f['severity']} {f['id']}: {f['finding']}", file=sys.stderr)
        check(not serious, f"no HIGH or CRITICAL finding beyond the test chain ({len(serious)})")
        print(f"testssl.sh: {len(findings)} results; HIGH/CRITICAL from the test chain only: "
              + ", ".join(sorted({f['id'] for f in findings if f.get('severity') in ('HIGH', 'CRITICAL')})))
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
