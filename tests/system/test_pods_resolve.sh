#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/system/test_pods_resolve.sh - every kind of Service resolved as a pod
# resolves it, by real stub resolvers: pods are network namespaces with
# kubelet's resolv.conf (search <ns>.svc.cluster.local svc.cluster.local
# cluster.local, options ndots:5, nameserver nodedns in the node netns);
# the clients are glibc (getent ahosts, ahostsv4, ahostsv6) and musl (a
# getaddrinfo program built here with musl-gcc -static; a failure
# when musl-gcc is missing, as ./setup.sh installs it). The cluster is a --kube-snapshot this
# test writes; the outside names come from unbound (lib_netns's upstream),
# the forward zone corp.internal from a second unbound. Each check compares
# the set of addresses a client printed with the set the Service should
# give; a summary table (kind x client) ends the run.
. "$(dirname "$0")/lib.sh"
NN_CLUSTER="$ND_TMP/cluster.json"
# the outside names, in lib_netns's upstream (its example.com is static)
NN_UP_EXTRA='	local-data: "ext.example.com. 300 IN A 192.0.2.80"
	local-data: "ext.example.com. 300 IN AAAA 2001:db8::80"'
. "$(dirname "$0")/lib_netns.sh"
need unbound

SHOP_IP=169.254.30.2  # a pod in namespace shop
FRONT_IP=169.254.30.3 # a pod in namespace front
T_START=$(now_ms)

# --- the cluster --------------------------------------------------------------

# write_cluster FILE: `kubectl get namespaces,services,endpointslices -A -o
# json` of the cluster below (shop/big60 and shop/big120: 60 and 120 ready
# endpoints, big120 in two slices of 100 and 20 as the controller cuts them)
write_cluster() {
	"$ND_PY" - "$1" <<'EOF'
import json, sys

items = []
uid = [0]

def meta(name, ns=None, labels=None):
    uid[0] += 1
    m = {"name": name, "uid": "7b000000-0000-4000-8000-%012d" % uid[0],
         "resourceVersion": str(100 + uid[0])}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    return m

def namespace(name):
    items.append({"kind": "Namespace", "apiVersion": "v1", "metadata": meta(name)})

def service(ns, name, spec):
    items.append({"kind": "Service", "apiVersion": "v1",
                  "metadata": meta(name, ns), "spec": spec})

def clusterip(ns, name, ips):
    fams = ["IPv6" if ":" in ip else "IPv4" for ip in ips]
    service(ns, name, {
        "type": "ClusterIP", "clusterIP": ips[0], "clusterIPs": ips,
        "ipFamilies": fams,
        "ipFamilyPolicy": "RequireDualStack" if len(ips) > 1 else "SingleStack",
        "selector": {"app": name},
        "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}]})

def headless(ns, name):
    service(ns, name, {
        "type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"],
        "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
        "selector": {"app": name},
        "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}]})

def external(ns, name, target):
    service(ns, name, {"type": "ExternalName", "externalName": target,
                       "sessionAffinity": "None"})

def slice_(ns, svc, suffix, eps, is_headless=False):
    labels = {"kubernetes.io/service-name": svc,
              "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    if is_headless:
        labels["service.kubernetes.io/headless"] = ""
    endpoints = []
    for i, (addr, ready, hostname) in enumerate(eps):
        e = {"addresses": [addr],
             "conditions": {"ready": ready, "serving": ready, "terminating": False},
             "nodeName": "node-1",
             "targetRef": {"kind": "Pod", "name": "%s-%s-%d" % (svc, suffix, i),
                           "namespace": ns}}
        if hostname:
            e["hostname"] = hostname
        endpoints.append(e)
    items.append({"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                  "metadata": meta("%s-%s" % (svc, suffix), ns, labels),
                  "addressType": "IPv4", "endpoints": endpoints,
                  "ports": [{"name": "http", "protocol": "TCP", "port": 8080}]})

for ns in ("default", "shop", "front"):
    namespace(ns)

clusterip("shop", "web", ["10.96.0.20"])
slice_("shop", "web", "a1b2c", [("10.244.1.10", True, None), ("10.244.2.11", True, None)])
clusterip("shop", "dual", ["10.96.0.40", "fd00:10:96::40"])
headless("shop", "db")
slice_("shop", "db", "q7z9k", [("10.244.1.20", True, "db-0"), ("10.244.2.21", True, "db-1"),
                               ("10.244.3.22", False, "db-2")], True)
external("shop", "ext", "ext.example.com")
external("shop", "alias", "web.shop.svc.cluster.local")
external("shop", "dotted", "ext.example.com.")
external("shop", "literal", "192.0.2.99")
headless("shop", "big60")
slice_("shop", "big60", "s0", [("10.245.0.%d" % i, True, None) for i in range(1, 61)], True)
headless("shop", "big120")
slice_("shop", "big120", "s0", [("10.246.0.%d" % i, True, None) for i in range(1, 101)], True)
slice_("shop", "big120", "s1", [("10.246.0.%d" % i, True, None) for i in range(101, 121)], True)

with open(sys.argv[1], "w") as f:
    json.dump({"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": ""},
               "items": items}, f, indent=1)
EOF
}

# --- the clients ----------------------------------------------------------------

GAI=
if command -v musl-gcc >/dev/null 2>&1; then
	if musl-gcc -static -O1 -o "$ND_TMP/getaddrinfo-musl" \
		"$ND_SRCDIR/tests/system/getaddrinfo.c" >"$ND_TMP/musl-gcc.out" 2>&1; then
		GAI="$ND_TMP/getaddrinfo-musl"
	else
		sed 's/^/    /' "$ND_TMP/musl-gcc.out"
		die "musl-gcc -static could not build tests/system/getaddrinfo.c"
	fi
else
	# ./setup.sh installs it: a missing one is a failure, not a pass
	# with half the checks
	fail "musl-gcc not found (Debian package musl-tools, ./setup.sh installs it): no musl checks"
fi
CLIENTS="glibc${GAI:+ musl}"

# resolve CLIENT POD FAMILY NAME: run the client in the pod's netns;
# FAMILY is any, 4 or 6. Sets RC (its exit status), OUT (what it printed)
# and ADDRS (the distinct addresses printed, sorted, space-separated).
resolve() {
	local client=$1 pod=$2 fam=$3 name=$4 db=ahosts flag=()
	case $client in
	glibc)
		case $fam in 4) db=ahostsv4 ;; 6) db=ahostsv6 ;; esac
		OUT=$(nn_pod "$pod" timeout 20 getent "$db" "$name" 2>&1)
		RC=$?
		;;
	musl)
		case $fam in 4) flag=(-4) ;; 6) flag=(-6) ;; esac
		OUT=$(nn_pod "$pod" timeout 20 "$GAI" "${flag[@]}" "$name" 2>&1)
		RC=$?
		;;
	esac
	ADDRS=
	[ "$RC" = 0 ] && ADDRS=$(printf '%s\n' "$OUT" | awk 'NF { print $1 }' | sort -u | xargs)
	return 0
}

# set_of ADDR...: the addresses sorted as resolve sorts them
set_of() { printf '%s\n' "$@" | sort -u | xargs; }

declare -A RESULT # "KIND|CLIENT" -> ok / FAIL / -
KINDS=()

# note KIND CLIENT ok|FAIL: a cell of the summary table (FAIL sticks)
note() {
	local k="$1|$2"
	case " ${KINDS[*]-} " in *" $1 "*) ;; *) KINDS+=("$1") ;; esac
	[ "${RESULT[$k]:-}" = FAIL ] || RESULT[$k]=$3
}

# expect KIND POD FAMILY NAME ADDR...: every client gets exactly ADDR...
expect() {
	local kind=$1 pod=$2 fam=$3 name=$4 c want
	shift 4
	want=$(set_of "$@")
	for c in $CLIENTS; do
		resolve "$c" "$pod" "$fam" "$name"
		if [ "$RC" = 0 ] && [ "$ADDRS" = "$want" ]; then
			pass "$kind: $c ($fam) $name from pod $pod: $ADDRS"
			note "$kind" "$c" ok
		else
			fail "$kind: $c ($fam) $name from pod $pod: expected exit 0 and '$want', got exit $RC:"
			printf '%s\n' "$OUT" | sed 's/^/    | /' | head -n 20
			note "$kind" "$c" FAIL
		fi
	done
}

# --- the node, its pods, the upstreams, nodedns ---------------------------------

write_cluster "$NN_CLUSTER"
nn_setup
nn_add_pod shop shop "$SHOP_IP"
nn_add_pod front front "$FRONT_IP"
# getent asks getaddrinfo with AI_ADDRCONFIG: glibc sends AAAA queries (and
# keeps IPv6 results) only when the pod has an IPv6 address. Its eth0's
# fe80:: link-local address is one (even while tentative); a machine with
# IPv6 disabled has none, and the glibc IPv6 checks would fail for that.
pod_has_ipv6() { [ -n "$(ip -n "$NN_TAG-$1" -6 addr show dev eth0 scope link 2>/dev/null)" ]; }
for p in shop front; do
	poll_until 2000 pod_has_ipv6 "$p" ||
		die "pod $p: eth0 has no IPv6 link-local address (IPv6 disabled?): glibc would not ask AAAA"
done
nn_start_upstream
UNBOUND_WRAP="ip netns exec $NN_NODE" start_unbound_auth corp.internal \
	'git.corp.internal. 300 IN A 198.51.100.7' \
	'git.corp.internal. 300 IN AAAA 2001:db8:c0::7' \
	'corp.internal. 300 IN SOA ns.corp.internal. h.corp.internal. 1 3600 600 86400 60'
nn_start_nodedns --forward-zone "corp.internal=127.0.0.1:$UNBOUND_PORT"
log "clients: $CLIENTS"

# --- ClusterIP ------------------------------------------------------------------
log "=== ClusterIP shop/web"
expect "ClusterIP short name" shop any web 10.96.0.20
expect "ClusterIP short name" shop 4 web 10.96.0.20
expect "ClusterIP across namespaces" front any web.shop 10.96.0.20
expect "ClusterIP across namespaces" front 4 web.shop 10.96.0.20
expect "ClusterIP FQDN" front any web.shop.svc.cluster.local 10.96.0.20
expect "ClusterIP FQDN" front any web.shop.svc.cluster.local. 10.96.0.20

log "=== dual stack shop/dual"
expect "ClusterIP dual stack" shop any dual 10.96.0.40 fd00:10:96::40
expect "ClusterIP dual stack" shop 4 dual 10.96.0.40
expect "ClusterIP dual stack" shop 6 dual fd00:10:96::40
expect "ClusterIP dual stack" front any dual.shop.svc.cluster.local 10.96.0.40 fd00:10:96::40

# --- headless -------------------------------------------------------------------
log "=== headless shop/db: the ready endpoints only, and per-pod names"
expect "headless (ready endpoints)" shop any db 10.244.1.20 10.244.2.21
expect "headless (ready endpoints)" front 4 db.shop 10.244.1.20 10.244.2.21
expect "headless per-pod hostname" shop any db-0.db 10.244.1.20
expect "headless per-pod hostname" front 4 db-1.db.shop 10.244.2.21
expect "headless per-pod hostname" front any db-0.db.shop.svc.cluster.local. 10.244.1.20

# --- ExternalName ---------------------------------------------------------------
log "=== ExternalName to an outside name (the CNAME chain completed by nodedns)"
expect "ExternalName to an outside name" shop any ext 192.0.2.80 2001:db8::80
expect "ExternalName to an outside name" shop 4 ext 192.0.2.80
expect "ExternalName to an outside name" shop 6 ext 2001:db8::80
expect "ExternalName to an outside name" front any ext.shop 192.0.2.80 2001:db8::80

log "=== ExternalName to another Service of the cluster"
expect "ExternalName to a cluster Service" shop any alias 10.96.0.20
expect "ExternalName to a cluster Service" front 4 alias.shop.svc.cluster.local 10.96.0.20

log "=== ExternalName with a trailing dot"
expect "ExternalName with a trailing dot" shop any dotted 192.0.2.80 2001:db8::80
expect "ExternalName with a trailing dot" shop 6 dotted 2001:db8::80

log "=== ExternalName holding an IP literal"
expect "ExternalName IP literal" shop any literal 192.0.2.99
expect "ExternalName IP literal" front 4 literal.shop 192.0.2.99

# --- large headless -------------------------------------------------------------
# big N: 60 or 120 A records do not fit 512 bytes: the UDP answer is
# truncated (TC) with the whole records that fit. glibc asks again over TCP
# and must get every address; musl 1.2.3 and older use the records of the
# truncated answer: at least one, and only addresses of the Service.
big() {
	local n=$1 prefix=$2 fam kind="large headless ($1 endpoints)" want got extra i all=()
	for i in $(seq 1 "$n"); do all+=("$prefix.$i"); done
	want=$(set_of "${all[@]}")
	for fam in any 4; do
		resolve glibc shop "$fam" "big$n"
		got=$(printf '%s\n' $ADDRS | grep -c . || true)
		if [ "$RC" = 0 ] && [ "$ADDRS" = "$want" ]; then
			pass "$kind: glibc ($fam) big$n: all $got addresses"
			note "$kind" glibc ok
		else
			fail "$kind: glibc ($fam) big$n: expected exit 0 and all $n addresses, got exit $RC and $got:"
			printf '%s\n' "$OUT" | sed 's/^/    | /' | head -n 10
			note "$kind" glibc FAIL
		fi
		[ -n "$GAI" ] || continue
		resolve musl shop "$fam" "big$n"
		got=$(printf '%s\n' $ADDRS | grep -c . || true)
		extra=$(comm -23 <(printf '%s\n' $ADDRS | sort) <(printf '%s\n' $want | sort) | xargs)
		if [ "$RC" = 0 ] && [ "$got" -ge 1 ] && [ -z "$extra" ]; then
			pass "$kind: musl ($fam) big$n: $got of $n addresses (the records of the truncated answer)"
			note "$kind" musl ok
		else
			fail "$kind: musl ($fam) big$n: expected exit 0 and 1..$n of the Service's addresses," \
				"got exit $RC, $got, not the Service's: '$extra':"
			printf '%s\n' "$OUT" | sed 's/^/    | /' | head -n 10
			note "$kind" musl FAIL
		fi
	done
}
log "=== large headless Services: 60 and 120 ready endpoints"
tc0=$(metric nodedns_dns_truncated_total)
tcp0=$(metric_l nodedns_dns_requests_total 'proto="tcp"')
big 60 10.245.0
big 120 10.246.0
assert_cmp "large headless: nodedns_dns_truncated_total rose" \
	"$(($(metric nodedns_dns_truncated_total) - tc0))" -ge 4
assert_cmp "large headless: glibc asked over TCP (nodedns_dns_requests_total{proto=tcp})" \
	"$(($(metric_l nodedns_dns_requests_total 'proto="tcp"') - tcp0))" -ge 4

# --- outside names, the forward zone ---------------------------------------------
log "=== an outside name: through the search list, and with a trailing dot"
expect "outside name via the search list" shop any ext.example.com 192.0.2.80 2001:db8::80
expect "outside name via the search list" front 4 ext.example.com 192.0.2.80
expect "outside name with a trailing dot" shop any ext.example.com. 192.0.2.80 2001:db8::80
expect "outside name with a trailing dot" front 6 ext.example.com. 2001:db8::80

log "=== a name of the forward zone corp.internal (its own unbound)"
expect "forward zone" shop any git.corp.internal 198.51.100.7 2001:db8:c0::7
expect "forward zone" front 4 git.corp.internal. 198.51.100.7
assert_cmp "forward zone: its unbound was asked git.corp.internal A" \
	"$(unbound_count git.corp.internal A)" -ge 1
assert_eq "forward zone: the default upstream never saw it" 0 "$(nn_up_count git.corp.internal)"

# --- a missing name -------------------------------------------------------------
log "=== a missing name: every candidate NXDOMAIN, both clients fail"
kind="missing name"
for name in nothere nothere.shop nothere.example.com.; do
	resolve glibc shop any "$name"
	if [ "$RC" = 2 ] && [ -z "$OUT" ]; then
		pass "$kind: glibc getent ahosts $name: exit 2, nothing printed"
		note "$kind" glibc ok
	else
		fail "$kind: glibc getent ahosts $name: expected exit 2 and no output, got exit $RC:"
		printf '%s\n' "$OUT" | sed 's/^/    | /' | head -n 10
		note "$kind" glibc FAIL
	fi
	[ -n "$GAI" ] || continue
	resolve musl shop any "$name"
	if [ "$RC" != 0 ] && printf '%s' "$OUT" | grep -q 'Name does not resolve'; then
		pass "$kind: musl $name: exit $RC, '$OUT'"
		note "$kind" musl ok
	else
		fail "$kind: musl $name: expected a failure 'Name does not resolve', got exit $RC:"
		printf '%s\n' "$OUT" | sed 's/^/    | /' | head -n 10
		note "$kind" musl FAIL
	fi
done
# what the clients were told: NXDOMAIN (not a timeout, not SERVFAIL)
out=$(nn_pod shop dig @"$NN_NODE_IP" +tries=1 +time=3 nothere.shop.svc.cluster.local A 2>&1)
assert_eq "missing name: nothere.shop.svc.cluster.local" NXDOMAIN "$(rcode_of "$out")"
out=$(nn_pod shop dig @"$NN_NODE_IP" +tries=1 +time=3 nothere. A 2>&1)
assert_eq "missing name: nothere. (forwarded)" NXDOMAIN "$(rcode_of "$out")"

# --- summary --------------------------------------------------------------------
log "=== summary (Service kind x client; ok = every check of that cell passed)"
printf '    %-36s %-6s %-6s\n' "kind" glibc musl
for k in "${KINDS[@]}"; do
	printf '    %-36s %-6s %-6s\n' "$k" "${RESULT[$k|glibc]:--}" "${RESULT[$k|musl]:--}"
done
[ -n "$GAI" ] || log "musl: SKIPPED (no musl-gcc)"
log "took $(($(now_ms) - T_START)) ms"

nd_done
