#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_node_setup.sh - node set-up as NodeLocal DNSCache does
# it, on a node built from network namespaces: the node netns (a bridge
# br0 169.254.1.1/16, no node-local address yet) and two pods on veths.
# A kube-proxy-style nftables DNAT sends the kube-dns ClusterIP
# 169.254.99.10:53 to the cluster DNS (a second unbound, the fallback, on
# 169.254.99.53, answering api.example.com with 192.0.2.99 where nodedns's
# upstream says 192.0.2.10). Pod "a" has kubelet's resolv.conf with
# nameserver 169.254.20.10, pod "b" with the ClusterIP.
#
# nodedns starts with --node-local-ip 169.254.20.10 --node-local-ip
# 169.254.99.10 and fd00:a9fe::a on lo (this kernel may lack the dummy driver; a dummy is
# tested too when it exists). Checked: the addresses (ip -j addr) and the
# 36 rules of table inet nodedns (nft -j, decoded here independently of
# nodedns); UDP and TCP queries (dig, getent) of both pods answered by
# nodedns, the ClusterIP ones too because NOTRACK skips the DNAT; the
# rules and an address put back after someone deletes them; after SIGTERM
# nothing left and pod b's queries reach the fallback behind the ClusterIP.
# Bad input: a --node-local-ip that is no address (option and FILE:LINE),
# an existing interface that is not a dummy without
# --node-interface-shared, a missing interface without the dummy driver,
# nftables refused (no CAP_NET_ADMIN: nodedns still serves), and a listen
# address that does not exist without node set-up.
. "$(dirname "$0")/lib.sh"
NN_UP_EXTRA='	local-data: "tcp.example.com. 300 IN A 192.0.2.11"'
NN_ALLOW="169.254.30.0/24 127.0.0.0/8 fd00:a9fe::/32"
. "$(dirname "$0")/lib_netns.sh"
need unbound dig getent setpriv

LOCAL_IP=169.254.20.10
CLUSTER_IP=169.254.99.10
LOCAL_IP6=fd00:a9fe::a # an IPv6 node-local address (asked from the node)
FALLBACK_IP=169.254.99.53
NN_HTTP=127.0.0.1:9153 # nodedns's HTTP inside the node netns
NN_LISTEN=127.0.0.1:53 # plus the node-local addresses, at port 53
FB_PID=

# The checks read as "what, expected, why" here: ACTUAL EXPECTED DESC.
t_eq() { assert_eq "$3" "$2" "$1"; }
t_has() { assert_contains "$3" "$1" "$2"; }
t_cmp() { assert_cmp "$4" "$1" "$2" "$3"; }

# --- the node ------------------------------------------------------------------

ip netns add "$NN_NODE" || die "cannot create netns $NN_NODE"
NN_NETNS+=("$NN_NODE")
ip -n "$NN_NODE" link set lo up
ip -n "$NN_NODE" link add br0 type bridge
ip -n "$NN_NODE" addr add 169.254.1.1/16 dev br0
ip -n "$NN_NODE" link set br0 up
ip -n "$NN_NODE" addr add "$FALLBACK_IP/32" dev lo
nn_add_pod a default 169.254.30.2
nn_add_pod b default 169.254.30.3
for p in a b; do
	# Services are behind the node, as the pod's default route has them
	nn_pod "$p" ip route add 169.254.99.0/24 via 169.254.1.1
done
printf 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver %s\noptions ndots:5\n' \
	"$CLUSTER_IP" >"/etc/netns/$NN_TAG-b/resolv.conf"

# kube-proxy's DNAT of the kube-dns Service (nat hooks, as its nftables
# mode has them)
nn_nft "$NN_NODE" "table inet ndtest {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $CLUSTER_IP udp dport 53 dnat ip to $FALLBACK_IP:53
		ip daddr $CLUSTER_IP tcp dport 53 dnat ip to $FALLBACK_IP:53
	}
	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr $CLUSTER_IP udp dport 53 dnat ip to $FALLBACK_IP:53
		ip daddr $CLUSTER_IP tcp dport 53 dnat ip to $FALLBACK_IP:53
	}
}"

# The cluster DNS behind the ClusterIP: where pods go without nodedns.
start_fallback() {
	local dir="$ND_TMP/fallback"
	mkdir -p "$dir"
	cat >"$dir/unbound.conf" <<EOF
server:
	interface: $FALLBACK_IP@53
	port: 53
	do-ip6: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$dir"
	pidfile: "$dir/unbound.pid"
	logfile: "$dir/unbound.log"
	use-syslog: no
	num-threads: 1
	module-config: "iterator"
	access-control: 169.254.0.0/16 allow
	local-zone: "." static
	local-data: "api.example.com. 300 IN A 192.0.2.99"
	local-data: "tcp.example.com. 300 IN A 192.0.2.98"
remote-control:
	control-enable: no
EOF
	nn_node unbound -d -c "$dir/unbound.conf" >"$dir/unbound.out" 2>&1 &
	FB_PID=$!
	nd_track "$FB_PID"
	poll_until 5000 fb_answers_or_gone
	fb_answers || die "cannot start the fallback unbound: $(tail -n 5 "$dir/unbound.out" "$dir/unbound.log" 2>/dev/null)"
	log "fallback (cluster DNS) unbound on $FALLBACK_IP:53 (pid $FB_PID)"
}
fb_answers() { [ "$(nn_node dig @$FALLBACK_IP +short +tries=1 +time=1 api.example.com A 2>/dev/null)" = 192.0.2.99 ]; }
fb_answers_or_gone() { fb_answers || pid_gone "$FB_PID"; }

# pod_dig POD SERVER NAME [+tcp]: the A records the pod got, one line
pod_dig() {
	nn_pod "$1" dig @"$2" +short +tries=1 +time=2 ${4:-} "$3" A 2>/dev/null |
		grep -E '^[0-9.]+$' | tr '\n' ' ' | sed 's/ $//'
}
# pod_getent POD NAME: glibc's answer with the pod's resolv.conf
pod_getent() { nn_pod "$1" getent ahostsv4 "$2" 2>/dev/null | awk '{ print $1 }' | sort -u | tr '\n' ' ' | sed 's/ $//'; }

# lo_addrs: the addresses of lo in the node netns (ip -j addr)
lo_addrs() {
	ip -n "$NN_NODE" -j addr show dev lo | "$ND_PY" -c '
import json, sys
print(" ".join(sorted(a["local"] for i in json.load(sys.stdin) for a in i.get("addr_info", []))))'
}
lo_has() { lo_addrs | tr ' ' '\n' | grep -qxF "$1"; }
lo_lacks() { ! lo_has "$1"; }

# nft_rules: the rules of table inet nodedns as nft lists them, decoded
# here ("chain l3field addr proto l4field port verdict" per line, sorted),
# or "absent"
nft_rules() {
	local j
	j=$(nn_node nft -j list table inet nodedns 2>/dev/null) || { echo absent; return 0; }
	printf '%s' "$j" | "$ND_PY" -c '
import json, sys
out = []
chains = {}
for o in json.load(sys.stdin)["nftables"]:
    if "chain" in o:
        c = o["chain"]
        chains[c["name"]] = "%s/%s/%s" % (c.get("type"), c.get("hook"), c.get("prio"))
    if "rule" not in o:
        continue
    r = o["rule"]
    e = r["expr"]
    try:
        m3, m4 = e[0]["match"], e[1]["match"]
        verdict = [k for k in e[2]][0]
        out.append(" ".join([r["chain"] + "(" + chains.get(r["chain"], "?") + ")",
            m3["left"]["payload"]["field"], m3["right"],
            m4["left"]["payload"]["protocol"], m4["left"]["payload"]["field"],
            str(m4["right"]), verdict]))
    except (KeyError, IndexError, TypeError):
        out.append("other " + json.dumps(e))
print("\n".join(sorted(out)))'
}

# want_rules: the 24 rules the issue asks for (NodeLocal DNSCache's)
want_rules() {
	local ip pr
	for ip in $LOCAL_IP $CLUSTER_IP $LOCAL_IP6; do
		for pr in udp tcp; do
			echo "raw_prerouting(filter/prerouting/-300) daddr $ip $pr dport 53 notrack"
			echo "raw_prerouting(filter/prerouting/-300) saddr $ip $pr sport 53 notrack"
			echo "raw_output(filter/output/-300) daddr $ip $pr dport 53 notrack"
			echo "raw_output(filter/output/-300) saddr $ip $pr sport 53 notrack"
			echo "filter_input(filter/input/0) daddr $ip $pr dport 53 accept"
			echo "filter_output(filter/output/0) saddr $ip $pr sport 53 accept"
		done
	done | sort
}
rules_as_wanted() { [ "$(nft_rules)" = "$(want_rules)" ]; }
rules_absent() { [ "$(nft_rules)" = absent ]; }

nn_start_upstream
start_fallback

# --- before nodedns: the ClusterIP reaches the fallback ------------------------

t_eq "$(pod_dig b $CLUSTER_IP api.example.com)" 192.0.2.99 \
	"before nodedns: pod b's query to the ClusterIP reaches the fallback through the DNAT"
t_eq "$(pod_dig a $LOCAL_IP api.example.com)" "" \
	"before nodedns: nothing answers on $LOCAL_IP"

# --- bad input -----------------------------------------------------------------

# run_bad ARGS...: nodedns in the node netns that must exit; its status in
# BAD_RC, its output in BAD_OUT
run_bad() {
	BAD_OUT=$(timeout 10 ip netns exec "$NN_NODE" "$ND_BUILDDIR/nodedns" \
		--resolv-conf "$ND_TMP/bad-resolv.conf" --upstream "127.0.0.1:$NN_UP_PORT" \
		--http-listen 127.0.0.1:9153 --threads 1 "$@" 2>&1 </dev/null)
	BAD_RC=$?
}
printf 'nameserver 127.0.0.1\n' >"$ND_TMP/bad-resolv.conf"

run_bad --node-local-ip 169.254.20
t_eq "$BAD_RC" 2 "--node-local-ip 169.254.20: exit status 2"
t_has "$BAD_OUT" "option --node-local-ip: bad address '169.254.20' (want an IPv4 or IPv6 address, without port or prefix)" \
	"--node-local-ip 169.254.20: the option and the reason"
printf 'threads 1\nnode-local-ip 169.254.20.10/32\n' >"$ND_TMP/bad.conf"
run_bad -c "$ND_TMP/bad.conf"
t_eq "$BAD_RC" 2 "node-local-ip in a file: exit status 2"
t_has "$BAD_OUT" "$ND_TMP/bad.conf:2: bad address '169.254.20.10/32' for node-local-ip" \
	"node-local-ip in a file: FILE:LINE and the reason"

run_bad --node-local-ip $LOCAL_IP --node-interface lo
t_eq "$BAD_RC" 1 "--node-interface lo without --node-interface-shared: exit status 1"
t_has "$BAD_OUT" "interface lo exists and is another kind, not a dummy: nodedns adds its addresses to such an interface only with --node-interface-shared on" \
	"--node-interface lo alone: refused, and it says how to allow it"
t_eq "$(lo_has $LOCAL_IP && echo added)" "" "the refused start left no address on lo"

if ip -n "$NN_NODE" link add "nd$$probe" type dummy 2>/dev/null; then
	HAS_DUMMY=1
	ip -n "$NN_NODE" link del "nd$$probe"
else
	HAS_DUMMY=0
	run_bad --node-local-ip $LOCAL_IP --node-interface "nd$$x"
	t_eq "$BAD_RC" 1 "no dummy driver and no interface nd$$x: exit status 1"
	t_has "$BAD_OUT" "cannot create the dummy interface nd$$x: this kernel has no dummy driver (Unknown device type); name an existing interface instead: --node-interface lo --node-interface-shared on" \
		"no dummy driver: it says so and what to do"
fi

run_bad --listen $LOCAL_IP:53
t_eq "$BAD_RC" 1 "--listen on a missing address without node set-up: exit status 1"
t_has "$BAD_OUT" "udp $LOCAL_IP:53: bind: Cannot assign requested address (no interface of this node has that address yet: add it first, or let nodedns put it on the node with --node-local-ip)" \
	"--listen on a missing address: a clear error"

# --- nodedns with node set-up --------------------------------------------------

nn_start_nodedns --node-local-ip $LOCAL_IP --node-local-ip $CLUSTER_IP --node-local-ip $LOCAL_IP6 \
	--node-interface lo --node-interface-shared on --node-setup-interval 1
t_has "$(cat "$ND_LOG")" "adding the node-local addresses to the existing interface lo" \
	"the log says which interface took the addresses"
lo_has $LOCAL_IP && lo_has $CLUSTER_IP && lo_has $LOCAL_IP6 && pass "ip -j addr: $LOCAL_IP, $CLUSTER_IP and $LOCAL_IP6 on lo" ||
	fail "ip -j addr: lo has $(lo_addrs)"
poll_until 5000 rules_as_wanted || fail "nft -j list table inet nodedns: $(nft_rules | head -n 30)"
t_eq "$(nft_rules | wc -l)" 36 "nft -j: the 36 NOTRACK and ACCEPT rules (UDP, TCP; to and from the three addresses)"
t_eq "$(metric nodedns_node_setup_rules_installed)" 1 "metric nodedns_node_setup_rules_installed 1"
dbg=$(nd_debug /debug/node)
t_has "$dbg" '"mode":	"shared"' "/debug/node: mode shared"
t_has "$dbg" '"installed":	true' "/debug/node: rules installed"

# Pod a's neighbour entry of $LOCAL_IP is still being resolved from the
# probe "before nodedns" (nothing had the address then): a query now would
# queue behind it and be dropped when it fails; start the pod afresh.
nn_pod a ip neigh flush all
t_eq "$(pod_dig a $LOCAL_IP api.example.com)" 192.0.2.10 "pod a, UDP to $LOCAL_IP: nodedns answers"
t_eq "$(pod_dig a $LOCAL_IP tcp.example.com +tcp)" 192.0.2.11 "pod a, TCP to $LOCAL_IP: nodedns answers"
t_eq "$(pod_getent a api.example.com)" 192.0.2.10 "pod a, getent with kubelet's resolv.conf (nameserver $LOCAL_IP)"
t_eq "$(pod_dig b $CLUSTER_IP api.example.com)" 192.0.2.10 \
	"pod b, UDP to the ClusterIP: nodedns answers (NOTRACK skipped the DNAT)"
t_eq "$(pod_dig b $CLUSTER_IP tcp.example.com +tcp)" 192.0.2.11 "pod b, TCP to the ClusterIP: nodedns answers"
t_eq "$(pod_getent b tcp.example.com)" 192.0.2.11 "pod b, getent with nameserver $CLUSTER_IP: nodedns answers"
t_eq "$(nn_node dig @$LOCAL_IP6 +short +tries=1 +time=2 api.example.com A)" 192.0.2.10 "the node, UDP to $LOCAL_IP6: nodedns answers"
t_eq "$(nn_node dig @$LOCAL_IP6 +short +tries=1 +time=2 +tcp tcp.example.com A)" 192.0.2.11 "the node, TCP to $LOCAL_IP6: nodedns answers"

# --- repairs -----------------------------------------------------------------------

nn_node nft delete table inet nodedns
poll_until 5000 metric_ge 'nodedns_node_setup_repairs_total{kind="nftables"}' 1 ||
	fail "no nftables repair counted after the table was deleted"
poll_until 5000 rules_as_wanted && pass "the deleted table is back, as wanted" || fail "after the repair: $(nft_rules | head -n 5)"
h=$(nn_node nft -a list chain inet nodedns raw_prerouting | grep "daddr $CLUSTER_IP udp dport 53" | grep -oE 'handle [0-9]+' | head -n 1)
[ -n "$h" ] || fail "no handle for a rule of raw_prerouting"
nn_node nft delete rule inet nodedns raw_prerouting $h
t_eq "$(nft_rules | wc -l)" 35 "one rule deleted by hand"
poll_until 5000 metric_ge 'nodedns_node_setup_repairs_total{kind="nftables"}' 2 ||
	fail "no nftables repair counted after one rule was deleted"
poll_until 5000 rules_as_wanted && pass "the deleted rule is back" || fail "after the repair: $(nft_rules | wc -l) rules"
ip -n "$NN_NODE" addr del $LOCAL_IP/32 dev lo
poll_until 5000 lo_has $LOCAL_IP && pass "the deleted address $LOCAL_IP is back on lo" || fail "$LOCAL_IP not put back: $(lo_addrs)"
t_cmp "$(metric 'nodedns_node_setup_repairs_total{kind="address"}')" -ge 1 "address repair counted"
t_eq "$(pod_dig a $LOCAL_IP api.example.com)" 192.0.2.10 "after the repair, pod a's query is answered again"
t_eq "$(metric nodedns_node_setup_errors_total)" 0 "no node set-up errors"

# --- SIGTERM: everything gone, pods fall back --------------------------------------

stop_nodedns
t_eq "$(lo_has $LOCAL_IP || lo_has $CLUSTER_IP || lo_has $LOCAL_IP6 || echo gone)" gone "after SIGTERM: no node-local address on lo ($(lo_addrs))"
rules_absent && pass "after SIGTERM: table inet nodedns is gone" || fail "after SIGTERM: $(nft_rules | head -n 3)"
t_eq "$(pod_dig b $CLUSTER_IP api.example.com)" 192.0.2.99 \
	"after SIGTERM: pod b's UDP query to the ClusterIP reaches the fallback"
t_eq "$(pod_dig b $CLUSTER_IP tcp.example.com +tcp)" 192.0.2.98 \
	"after SIGTERM: pod b's TCP query to the ClusterIP reaches the fallback"
t_eq "$(pod_getent b api.example.com)" 192.0.2.99 "after SIGTERM: pod b's getent reaches the fallback"

# --- nftables refused: nodedns still serves ---------------------------------------

# The addresses are there already (as a previous run with
# --node-keep-setup leaves them), so only nftables needs CAP_NET_ADMIN.
ip -n "$NN_NODE" addr add $LOCAL_IP/32 dev lo
ND_LOG="$ND_TMP/nodedns-nocap.log"
ip netns exec "$NN_NODE" setpriv --inh-caps -net_admin --bounding-set -net_admin \
	"$ND_BUILDDIR/nodedns" --listen 127.0.0.1:53 --http-listen "$NN_HTTP" \
	--debug-listen "$NN_DEBUG" --resolv-conf "$ND_TMP/bad-resolv.conf" --upstream "127.0.0.1:$NN_UP_PORT" --threads 1 \
	--node-local-ip $LOCAL_IP --node-interface lo --node-interface-shared on \
	--node-setup-interval 1 >"$ND_LOG" 2>&1 </dev/null &
ND_PID=$!
nd_track "$ND_PID"
wait_health 10000 || die "nodedns without CAP_NET_ADMIN did not start: $(tail -n 5 "$ND_LOG")"
poll_until 5000 metric_ge 'nodedns_node_setup_errors_total{kind="nftables"}' 1 ||
	fail "without CAP_NET_ADMIN: no nftables error counted"
t_has "$(cat "$ND_LOG")" "nftables: cannot read table inet nodedns: cache initialization failed: Operation not permitted (node set-up needs CAP_NET_ADMIN); nodedns serves on its addresses without the NOTRACK rules" \
	"without CAP_NET_ADMIN: a clear nftables error"
t_has "$(nd_debug /debug/node)" "Operation not permitted" "/debug/node shows the nftables error"
t_eq "$(pod_dig a $LOCAL_IP api.example.com)" 192.0.2.10 "without CAP_NET_ADMIN: nodedns still answers pod a"
stop_nodedns
ip -n "$NN_NODE" addr del $LOCAL_IP/32 dev lo 2>/dev/null # it had no right to

# --- a dummy interface, where the kernel has the driver ---------------------------

if [ "$HAS_DUMMY" = 1 ]; then
	IFN="nd$$d"
	nn_start_nodedns --node-local-ip $LOCAL_IP --node-interface "$IFN" --node-setup-interval 1
	t_eq "$(ip -n "$NN_NODE" -j -d link show "$IFN" | "$ND_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["linkinfo"]["info_kind"])')" dummy \
		"dummy interface $IFN created"
	t_eq "$(pod_dig a $LOCAL_IP api.example.com)" 192.0.2.10 "on the dummy: nodedns answers pod a"
	stop_nodedns
	t_eq "$(ip -n "$NN_NODE" link show "$IFN" 2>/dev/null)" "" "after SIGTERM: the dummy interface is deleted"
else
	log "this kernel has no dummy driver: the dummy interface itself is not tested here"
fi

nd_done
