#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
"""The nodedns lab: the packet walk of a Kubernetes networking course
(name -> Service -> endpoints -> translation -> conntrack -> pod, then
NetworkPolicy and the DNS failures) on a one-machine cluster of network
namespaces, with nodedns in CoreDNS's place. See README.md beside this file.

  lab.py [--auto]    walk the steps (Enter between steps; --auto: no waiting)
  lab.py --check     run every step, exit 1 when any step's evidence fails
  lab.py --shell     set the cluster up and open a shell with kubectl and
                     `lab-exec POD CMD` until you leave it

Needs root (network namespaces, nftables). Exit 77 when the machine does
not allow it (with the reason)."""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cluster  # noqa: E402
import steps  # noqa: E402

SKIP = 77


def preflight():
    if os.geteuid() != 0:
        return "needs root (network namespaces, nftables, tcpdump)"
    for t in ("ip", "nft", "tcpdump", "conntrack", "dig", "curl", "getent", "nsd", "kubectl",
              "nslookup"):
        if not shutil.which(t):
            return "%s is not installed (setup.sh installs it)" % t
    probe = "ndlprobe%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return "ip netns add is not permitted here: %s" % r.stderr.strip()
    try:
        r = subprocess.run(["ip", "netns", "exec", probe, "nft", "add", "table", "ip", "t"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return "nftables is not usable in a network namespace: %s" % r.stderr.strip()
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--auto", action="store_true", help="do not wait for Enter between steps")
    ap.add_argument("--check", action="store_true",
                    help="run every step non-interactively; exit 1 when evidence fails")
    ap.add_argument("--shell", action="store_true", help="a shell inside the lab after set-up")
    ap.add_argument("--steps", help="only these steps, e.g. 1,2,3 (set-up always runs)")
    ap.add_argument("--builddir", default=os.path.join(HERE, "..", ".."))
    ap.add_argument("--srcdir", default=os.path.join(HERE, "..", ".."))
    ap.add_argument("--prefix", default="ndl%d" % (os.getpid() % 100000),
                    help="names of this run's namespaces and links start with this")
    ap.add_argument("--keep-logs", action="store_true")
    args = ap.parse_args()

    why = preflight()
    if why:
        print("lab: SKIP: %s" % why)
        return SKIP
    for b in ("nodedns", "nodednsctl"):
        if not os.access(os.path.join(args.builddir, b), os.X_OK):
            print("lab: %s is not built in %s (run make)" % (b, args.builddir))
            return 2

    state = tempfile.mkdtemp(prefix="nodedns-lab.%s." % args.prefix)
    c = cluster.Cluster(args.prefix, os.path.abspath(args.builddir),
                        os.path.abspath(args.srcdir), state,
                        lambda m: print("lab: " + m, flush=True))

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rc = 0
    try:
        print("lab: setting up the cluster (prefix %s, state %s)" % (args.prefix, state),
              flush=True)
        c.up()
        walk = steps.Walk(c, interactive=not (args.auto or args.check))
        if args.shell:
            walk.shell()
        else:
            only = set(int(s) for s in args.steps.split(",")) if args.steps else None
            failed = walk.run(only)
            rc = 1 if failed else 0
    except KeyboardInterrupt:
        print("\nlab: interrupted; cleaning up", flush=True)
        rc = 130
    except Exception as e:
        print("lab: ERROR: %s" % e, flush=True)
        rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if rc != 130:
            # nodedns is stopped as a test stops it: exit 0, no sanitizer report
            for problem in c.stop_nodedns():
                print("lab: ERROR: %s" % problem, flush=True)
                rc = rc or 1
        if rc not in (0, 130):
            for f in sorted(os.listdir(state)):
                if f.endswith(".log"):
                    with open(os.path.join(state, f), errors="replace") as fh:
                        tail = fh.read()[-1500:]
                    print("--- %s (end) ---\n%s" % (f, tail))
        gone = c.down()
        print("lab: removed %s" % (", ".join(gone) or "nothing"), flush=True)
        if args.keep_logs:
            print("lab: logs kept in %s" % state)
        else:
            shutil.rmtree(state, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
