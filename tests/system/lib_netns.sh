# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/lib_netns.sh - a node and its pods in network namespaces, for
# the diagnostics tests and test_pods_resolve.sh (sourced after lib.sh,
# bash, root only).
#
#   node netns ("$NN_NODE"): bridge br0 with 169.254.20.10/16; nodedns on
#       169.254.20.10:53 (UDP+TCP), http 169.254.20.10:9153 and the debug
#       listener ${NN_DEBUG:-169.254.20.10:9154}; the upstream
#       (unbound, log-queries) on 127.0.0.1:$NN_UP_PORT of that netns.
#   pod netns ("$NN_TAG-<pod>"): eth0 (a veth whose peer is a port of br0)
#       with 169.254.30.x/16, and /etc/netns/<netns>/resolv.conf as kubelet
#       writes it: search <ns>.svc.cluster.local svc.cluster.local
#       cluster.local, nameserver 169.254.20.10, options ndots:5.
#
# Nothing leaves these namespaces: the node netns has no route but
# 169.254.0.0/16 and loopback, and the upstream is authoritative for every
# name it is asked (local-zone "." static), so it never recurses.
#
# Functions:
#   nn_setup                  the node netns and its bridge
#   nn_add_pod POD NS IP      a pod netns in Kubernetes namespace NS
#   nn_pod POD CMD...         run CMD in the pod's netns (its resolv.conf)
#   nn_node CMD...            run CMD in the node netns
#   nn_start_upstream         unbound serving the test zone (below)
#   nn_start_nodedns ARGS...  nodedns in the node netns (--kube-snapshot of
#                             NN_CLUSTER, --allow NN_ALLOW..., --listen
#                             NN_LISTEN... or 169.254.20.10:53), healthy
#   nn_capture_start / nn_capture_stop
#                             tcpdump on br0 (DNS, UDP and TCP) to $NN_PCAP
#   nn_dns_summary SRC_IP     the capture's UDP DNS exchanges of SRC_IP,
#                             one per line "QTYPE QNAME RCODE ANCOUNT" (in
#                             the order the queries were sent; RCODE
#                             "none" when no reply was captured)
#   nn_chain_counts SRC_IP    "queries wasted answered_by" computed from
#                             the capture, as the tracker should count them
#   nn_nft NETNS RULES        load an nft ruleset (text) into a netns
#   nn_up_count NAME [TYPE]   queries the upstream received for NAME
#   ND_LOG, ND_PID, nd_http, nd_http_code, nd_debug, nd_debug_code, metric,
#   metric_l work as in lib.sh
#
# Upstream zone (unbound local-data; NN_UP_EXTRA: more "server:" lines):
#   api.example.com.     A 192.0.2.10 (no AAAA: NODATA)
#   big.example.com.     TXT of ~1500 bytes (over 1232: TC on UDP)
#   stale.example.com.   A 192.0.2.30, TTL 1
#   race.example.com.    A 192.0.2.40, AAAA 2001:db8::40
#   retx.example.com.    A 192.0.2.50
#   drop.example.com.    A 192.0.2.60
#   *.refused.test.      REFUSED (local-zone refuse)
#   anything else        NXDOMAIN

[ -z "${ND_TARGET:-}" ] || skip "ND_TARGET is not supported by the network-namespace tests"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, nftables, tcpdump)"
need ip nft tcpdump getent

NN_TAG="nd$$"
NN_NODE="$NN_TAG-node"
NN_NODE_IP=169.254.20.10
NN_HTTP="$NN_NODE_IP:9153"
NN_DEBUG=${NN_DEBUG:-$NN_NODE_IP:9154}
NN_UP_PORT=5300
NN_CLUSTER=${NN_CLUSTER:-$ND_SRCDIR/deploy/demo/cluster.json}
NN_ALLOW=${NN_ALLOW:-"169.254.30.0/24 127.0.0.0/8"}
NN_NETNS=()   # netns we created
NN_ETC=()     # /etc/netns/<netns> dirs we created
NN_VETHS=()   # veths we created (in case one is left in the root netns)
NN_NPODS=0
NN_ETC_MADE=0
[ -d /etc/netns ] || NN_ETC_MADE=1
NN_PCAP=
NN_TCPDUMP_PID=
NN_UP_PID=
NN_UP_LOG=
declare -A NN_POD_IP NN_POD_NS

# Probe: may we create a netns at all (a container without CAP_SYS_ADMIN
# may not)?
if ! ip netns add "$NN_TAG-probe" 2>/dev/null; then
	skip "ip netns add is not permitted here"
fi
ip netns del "$NN_TAG-probe" 2>/dev/null

nn_teardown() {
	local ns d v p
	# our processes first (all of them run inside our namespaces), so the
	# namespaces and their veths go away with the last reference
	for p in "${ND_PIDS[@]+"${ND_PIDS[@]}"}"; do
		[ "$p" = "${ND_PID:-}" ] && continue
		nd_kill "$p"
	done
	for ns in "${NN_NETNS[@]+"${NN_NETNS[@]}"}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for v in "${NN_VETHS[@]+"${NN_VETHS[@]}"}"; do
		ip link del "$v" 2>/dev/null
	done
	for d in "${NN_ETC[@]+"${NN_ETC[@]}"}"; do
		case $d in /etc/netns/"$NN_TAG"-*) rm -rf -- "$d" ;; esac
	done
	# /etc/netns itself only when it was not there before us (and is empty)
	[ "$NN_ETC_MADE" = 1 ] && rmdir /etc/netns 2>/dev/null
	return 0
}

nn_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	# the daemon first (lib.sh checks its exit status and log)
	if [ -n "${ND_PID:-}" ] && [ "$rc" != 77 ]; then
		local fails=$ND_FAILS
		stop_nodedns
		[ "$ND_FAILS" != "$fails" ] && [ "$rc" = 0 ] && rc=1
	fi
	nn_teardown
	(exit "$rc")
	nd_cleanup
}
trap nn_cleanup EXIT

nn_node() { ip netns exec "$NN_NODE" "$@"; }
nn_pod() {
	local pod=$1
	shift
	ip netns exec "$NN_TAG-$pod" "$@"
}

nn_setup() {
	ip netns add "$NN_NODE" || die "cannot create netns $NN_NODE"
	NN_NETNS+=("$NN_NODE")
	ip -n "$NN_NODE" link set lo up
	ip -n "$NN_NODE" link add br0 type bridge
	ip -n "$NN_NODE" addr add "$NN_NODE_IP/16" dev br0
	ip -n "$NN_NODE" link set br0 up
	log "node netns $NN_NODE: br0 $NN_NODE_IP/16"
}

# nn_add_pod POD NAMESPACE IP
nn_add_pod() {
	local pod=$1 kns=$2 ip=$3 ns="$NN_TAG-$1" i
	NN_NPODS=$((NN_NPODS + 1))
	i=$NN_NPODS
	ip netns add "$ns" || die "cannot create netns $ns"
	NN_NETNS+=("$ns")
	ip link add "${NN_TAG}v$i" type veth peer name "${NN_TAG}c$i" || die "veth"
	NN_VETHS+=("${NN_TAG}v$i" "${NN_TAG}c$i")
	ip link set "${NN_TAG}v$i" netns "$NN_NODE"
	ip link set "${NN_TAG}c$i" netns "$ns"
	ip -n "$NN_NODE" link set "${NN_TAG}v$i" master br0 up
	ip -n "$ns" link set "${NN_TAG}c$i" name eth0
	ip -n "$ns" addr add "$ip/16" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	mkdir -p "/etc/netns/$ns"
	NN_ETC+=("/etc/netns/$ns")
	cat >"/etc/netns/$ns/resolv.conf" <<EOF
search $kns.svc.cluster.local svc.cluster.local cluster.local
nameserver $NN_NODE_IP
options ndots:5
EOF
	NN_POD_IP[$pod]=$ip
	NN_POD_NS[$pod]=$kns
	log "pod netns $ns: $ip, namespace $kns"
}

# nn_nft NETNS RULESET_TEXT: flush our table "ndtest" there and load RULES
# (a full "table inet ndtest { ... }" text).
nn_nft() {
	local ns=$1 rules=$2
	ip netns exec "$ns" nft delete table inet ndtest 2>/dev/null
	printf '%s\n' "$rules" | ip netns exec "$ns" nft -f - || fail "nft in $ns refused: $rules"
}
nn_nft_flush() { ip netns exec "$1" nft delete table inet ndtest 2>/dev/null || true; }

# --- the upstream --------------------------------------------------------------

nn_big_txt() {
	local c s=""
	for c in a b c d e f g; do # 7 strings of 200: ~1450 bytes of rdata
		s+=" \"$(printf '%0200d' 0 | tr 0 "$c")\""
	done
	printf '%s' "$s"
}

nn_start_upstream() {
	local dir="$ND_TMP/unbound"
	mkdir -p "$dir"
	NN_UP_LOG="$dir/unbound.log"
	unbound_server_head "$NN_UP_PORT" "$dir" "$NN_UP_LOG" >"$dir/unbound.conf"
	cat >>"$dir/unbound.conf" <<EOF
	verbosity: 1
	log-queries: yes
	num-threads: 1
	module-config: "iterator"
	access-control: 127.0.0.0/8 allow
	local-zone: "." static
	local-zone: "example.com." static
	local-zone: "refused.test." refuse
	local-data: "example.com. 300 IN SOA ns.example.com. host.example.com. 1 3600 600 86400 60"
	local-data: "api.example.com. 300 IN A 192.0.2.10"
	local-data: 'big.example.com. 300 IN TXT $(nn_big_txt)'
	local-data: "stale.example.com. 1 IN A 192.0.2.30"
	local-data: "race.example.com. 300 IN A 192.0.2.40"
	local-data: "race.example.com. 300 IN AAAA 2001:db8::40"
	local-data: "retx.example.com. 300 IN A 192.0.2.50"
	local-data: "drop.example.com. 300 IN A 192.0.2.60"
${NN_UP_EXTRA:-}
remote-control:
	control-enable: no
EOF
	ip netns exec "$NN_NODE" unbound -d -c "$dir/unbound.conf" >>"$dir/unbound.out" 2>&1 &
	NN_UP_PID=$!
	nd_track "$NN_UP_PID"
	if poll_until 5000 nn_up_answers_or_gone && nn_up_answers; then
		log "unbound (upstream) on 127.0.0.1:$NN_UP_PORT in $NN_NODE (pid $NN_UP_PID)"
		: >"$NN_UP_LOG"
		return 0
	fi
	sed 's/^/    /' "$dir/unbound.out" "$NN_UP_LOG" 2>/dev/null | tail -n 20
	die "cannot start unbound in $NN_NODE"
}

# nn_up_answers: the upstream answers api.example.com A with NOERROR.
nn_up_answers() {
	nn_node dig @127.0.0.1 -p "$NN_UP_PORT" +tries=1 +time=1 api.example.com A 2>/dev/null |
		grep -q 'status: NOERROR'
}
# nn_up_answers_or_gone: it answers, or its process exited (no use waiting).
nn_up_answers_or_gone() { nn_up_answers || pid_gone "$NN_UP_PID"; }

# nn_up_count NAME [TYPE]: queries the upstream received for NAME (TYPE).
nn_up_count() {
	local name=${1%.}. type=${2:-}
	grep -ciE "info: [0-9.]+ ${name//./\\.} ${type:-[A-Z0-9]+} IN" "$NN_UP_LOG" || true
}

# --- nodedns ---------------------------------------------------------------------

nd_http() { nn_node curl -sS --max-time 3 "http://$NN_HTTP$1"; }
nd_http_code() { nn_node curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$NN_HTTP$1"; }
nd_debug() { nn_node curl -sS --max-time 10 "http://$NN_DEBUG$1"; }
nd_debug_code() { nn_node curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$NN_DEBUG$1"; }

nn_is_ready() { [ "$(nd_http_code /ready 2>/dev/null)" = 200 ]; }

# nn_start_nodedns ARGS...
nn_start_nodedns() {
	local bin="$ND_BUILDDIR/nodedns" a allow=() listen=()
	[ -x "$bin" ] || die "$bin not found (build first; ND_BUILDDIR=$ND_BUILDDIR)"
	for a in $NN_ALLOW; do allow+=(--allow "$a"); done
	for a in ${NN_LISTEN:-$NN_NODE_IP:53}; do listen+=(--listen "$a"); done
	# no search line: the chain is exactly the three cluster forms + absolute
	printf 'nameserver 127.0.0.1\n' >"$ND_TMP/node-resolv.conf"
	ND_LOG="$ND_TMP/nodedns.log"
	ND_PORT=53
	ND_CMD="$bin ${listen[*]} --http-listen $NN_HTTP --debug-listen $NN_DEBUG --resolv-conf $ND_TMP/node-resolv.conf --threads ${ND_THREADS:-2} --upstream 127.0.0.1:$NN_UP_PORT --kube-snapshot $NN_CLUSTER ${allow[*]} $*"
	log "starting in $NN_NODE: $ND_CMD"
	ip netns exec "$NN_NODE" "$bin" "${listen[@]}" --http-listen "$NN_HTTP" \
		--debug-listen "$NN_DEBUG" \
		--resolv-conf "$ND_TMP/node-resolv.conf" --threads "${ND_THREADS:-2}" \
		--upstream "127.0.0.1:$NN_UP_PORT" --kube-snapshot "$NN_CLUSTER" \
		"${allow[@]}" "$@" >"$ND_LOG" 2>&1 </dev/null &
	ND_PID=$!
	nd_track "$ND_PID"
	if ! wait_health 10000; then
		sed 's/^/    /' "$ND_LOG" | tail -n 30
		die "nodedns did not become healthy in $NN_NODE"
	fi
	poll_until 10000 nn_is_ready || fail "nodedns /ready not 200 within 10 s"
	log "nodedns in $NN_NODE on ${listen[*]}, http $NN_HTTP, debug $NN_DEBUG (pid $ND_PID)"
}

# --- capture -------------------------------------------------------------------

# nn_capture_start [FILTER]: tcpdump on br0 into a new $NN_PCAP.
nn_capture_start() {
	local filter=${1:-port 53}
	NN_PCAP="$ND_TMP/cap.$RANDOM.pcap"
	ip netns exec "$NN_NODE" tcpdump -i br0 -n -U --immediate-mode -s 0 -Z root -w "$NN_PCAP" "$filter" \
		>"$NN_PCAP.err" 2>&1 &
	NN_TCPDUMP_PID=$!
	nd_track "$NN_TCPDUMP_PID"
	poll_until 5000 nn_capture_listening_or_gone
	grep -q 'listening on' "$NN_PCAP.err" 2>/dev/null && return 0
	cat "$NN_PCAP.err" >&2
	die "tcpdump did not start"
}

# nn_capture_listening_or_gone: tcpdump said it listens, or it exited.
nn_capture_listening_or_gone() {
	grep -q 'listening on' "$NN_PCAP.err" 2>/dev/null || pid_gone "$NN_TCPDUMP_PID"
}

# nn_capture_stats_count: how many statistics reports tcpdump printed.
nn_capture_stats_count() { grep -c 'received by filter' "$NN_PCAP.err" 2>/dev/null || true; }

# nn_capture_drained: tcpdump has written every packet the kernel passed
# it. SIGUSR1 makes tcpdump print "N packets captured" (handled, and with
# -U flushed to the file) and "M packets received by filter" (queued by
# the kernel); a report printed after the signal with N = M means the
# file holds every packet seen on br0 so far, such as the reply a client
# just received. (On lo the two differ: libpcap drops the outgoing copy.)
nn_capture_drained() {
	local n cap rcv
	n=$(nn_capture_stats_count)
	kill -USR1 "$NN_TCPDUMP_PID" 2>/dev/null || return 0 # gone: nothing more comes
	poll_until 2000 nn_capture_stats_more "$n" || return 1
	cap=$(grep -oE '[0-9]+ packets? captured' "$NN_PCAP.err" | tail -n 1)
	rcv=$(grep -oE '[0-9]+ packets? received by filter' "$NN_PCAP.err" | tail -n 1)
	[ -n "$cap" ] && [ "${cap%% *}" = "${rcv%% *}" ]
}
nn_capture_stats_more() { [ "$(nn_capture_stats_count)" -gt "$1" ]; }

nn_capture_stop() {
	poll_until 3000 nn_capture_drained ||
		log "tcpdump: not every packet written after 3 s: $(tail -n 3 "$NN_PCAP.err" | tr '\n' ' ')"
	nd_kill "$NN_TCPDUMP_PID"
	NN_TCPDUMP_PID=
}

# nn_dns_summary SRC_IP: one line per UDP query from SRC_IP to the node:
# "QTYPE QNAME RCODE ANCOUNT SPORT ID TIME" (RCODE none: no reply seen).
nn_dns_summary() {
	tcpdump -r "$NN_PCAP" -n -tt -vv udp port 53 2>/dev/null |
		"$ND_PY" -c '
import re, sys
src, node = sys.argv[1], sys.argv[2]
lines, cur = [], ""
for l in sys.stdin:
    if re.match(r"^\d+\.\d+ ", l):
        if cur:
            lines.append(cur)
        cur = l.rstrip("\n")
    else:
        cur += " " + l.strip()
if cur:
    lines.append(cur)
qs, order = {}, []
for l in lines:
    m = re.search(r"^(\S+) IP .*? (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): \[[^\]]*\] (\d+)(.*)$", l)
    if not m:
        m = re.search(r"^(\S+) IP .*?(\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): (?:\[[^\]]*\] )?(\d+)(.*)$", l)
    if not m:
        continue
    t, s, sp, d, dp, qid, rest = m.groups()
    if s == src and d == node and dp == "53":
        q = re.search(r"\s([A-Z0-9]+)\? (\S+)", rest)
        if not q:
            continue
        key = (sp, qid, len(order))
        order.append([q.group(1), q.group(2).lower(), "none", "-", sp, qid, t])
        qs.setdefault((sp, qid), []).append(len(order) - 1)
    elif s == node and sp == "53" and d == src:
        idx = qs.get((dp, qid))
        if not idx:
            continue
        # the oldest query of that (port, ID) without a reply yet
        for i in idx:
            if order[i][2] == "none":
                break
        else:
            i = idx[-1]
        rc = "NOERROR"
        for name in ("NXDomain", "ServFail", "Refused", "FormErr", "NotImp"):
            if re.search(r"\b" + name + r"\b", rest):
                rc = name.upper()
        a = re.search(r" (\d+)/(\d+)/(\d+)", rest)
        order[i][2] = rc
        order[i][3] = a.group(1) if a else "?"
for o in order:
    print(" ".join(o))
' "$1" "$NN_NODE_IP"
}

# nn_chain_counts SRC_IP BASE: "QUERIES WASTED ANSWERED_BY_NAME" of the
# capture, for the queries of BASE and BASE.<suffix>: every query counts;
# wasted = negative answers (NXDOMAIN, or NOERROR with no answer) to
# candidates other than the first with a positive answer.
nn_chain_counts() {
	nn_dns_summary "$1" | awk -v b="${2%.}" '
		{ nm = tolower($2) }
		nm != tolower(b) "." && substr(nm, 1, length(b) + 1) != tolower(b) "." { next }
		{ n++; q[n] = $2; rc[n] = $3; an[n] = $4 }
		$3 == "NOERROR" && $4 > 0 && ans == "" { ans = $2 }
		END {
			for (i = 1; i <= n; i++)
				if (q[i] != ans && (rc[i] == "NXDOMAIN" || (rc[i] == "NOERROR" && an[i] == 0)))
					w++
			printf "%d %d %s\n", n, w, (ans == "" ? "none" : ans)
		}'
}

# nn_log_wait MAX_MS ERE: until the nodedns log has a line matching ERE;
# the line(s) in NN_LINE.
nn_log_wait() {
	local max=$1 re=$2
	NN_LINE=
	poll_until "$max" grep -qE -- "$re" "$ND_LOG" || true
	NN_LINE=$(grep -E -- "$re" "$ND_LOG" | tail -n 1)
}

