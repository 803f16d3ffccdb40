#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# setup.sh - make a fresh Debian 12 machine ready to build, run and test
# nodedns: install the Debian packages, stop the nsd/unbound services those
# packages start, run autoreconf and ./configure (arguments passed through).
# Safe to run again: apt is skipped when every package is installed.
set -euo pipefail

cd "$(dirname "$0")"

PACKAGES=(
	# build
	build-essential autoconf automake libtool pkg-config
	libevent-dev libldns-dev libcurl4-openssl-dev libcjson-dev
	libcmocka-dev libyaml-dev liburcu-dev
	libcap-ng-dev libcap2-bin
	# node set-up: netlink and nftables
	libmnl-dev libnftables-dev
	# run and test: DNS clients, upstream servers, load generator, HTTP
	dnsutils knot-dnsutils nsd unbound dnsperf curl iproute2 python3
	procps openssl
	# the diagnostics tests: pods as network namespaces, real drops,
	# an independent count of the queries
	tcpdump nftables
	# the pods test: a musl getaddrinfo (musl-gcc -static) next to glibc's
	musl-tools
	# make fuzz (./configure --enable-fuzzing): clang's libFuzzer
	clang libclang-rt-dev
	# the lab (deploy/lab): conntrack -L of a Service's flow
	conntrack
	# an upstream that answers DNS cookies (test_cookies: unbound 1.17
	# and nsd 4.6 of Debian 12 do not)
	knot
	# the monitoring tests: promtool checks the shipped rules, a real
	# Prometheus scrapes nodedns and evaluates them
	prometheus
	# the manifests test: objects checked against the Kubernetes API types
	python3-kubernetes python3-yaml
	# make image: a root file system from Debian packages, an OCI archive
	mmdebstrap umoci
	# the install test: man pages rendered and linted, the systemd unit
	# verified (systemd-analyze), col for plain text
	mandoc man-db systemd bsdextrautils
)
# The benchmarks' peers and the profiler (make peers): best effort, a
# benchmark skips a peer that is missing and no test needs them.
OPTIONAL=(knot-resolver pdns-recursor linux-perf)
# The real Kubernetes client checks the test API server. Debian's package
# is kubernetes-client; a machine that already has a kubectl keeps it (the
# two packages would fight over /usr/bin/kubectl).
command -v kubectl >/dev/null 2>&1 || PACKAGES+=(kubernetes-client)

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "setup.sh: not root and no sudo: install ${PACKAGES[*]} by hand" >&2
		exit 1
	}
	SUDO=sudo
fi

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
else
	echo "setup.sh: all ${#PACKAGES[@]} Debian packages already installed"
fi
opt_missing=()
for p in "${OPTIONAL[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || opt_missing+=("$p")
done
if [ ${#opt_missing[@]} -gt 0 ]; then
	echo "setup.sh: installing the benchmark peers ${opt_missing[*]} (optional)"
	[ ${#missing[@]} -gt 0 ] || $SUDO apt-get update -q || true
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${opt_missing[@]}" ||
		echo "setup.sh: warning: could not install ${opt_missing[*]}; make peers will skip them"
	missing+=("${opt_missing[@]}")
fi

# Debian starts nsd, unbound and prometheus as system services when it
# installs them; the tests run their own instances on loopback ports, and a
# system resolver on port 53 would only confuse. Disable the packaged services, and
# stop them through their init system (never by process name). Without
# systemd, the init scripts stop whatever their pidfile names, so they are
# only asked when this run installed the package (and so started it).
for svc in nsd unbound pdns-recursor kresd@1 knot prometheus; do
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		$SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
		continue
	fi
	if command -v update-rc.d >/dev/null 2>&1; then
		$SUDO update-rc.d "$svc" disable >/dev/null 2>&1 || true
	fi
	case " ${missing[*]-} " in
	*" $svc "*)
		if [ -x "/etc/init.d/$svc" ]; then
			$SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
		fi
		;;
	esac
done

autoreconf -fi
./configure "$@"

echo
echo "setup.sh: done. Next: make -j2 (build), make -j2 check (all tests), make bench (nodedns vs unbound)"
