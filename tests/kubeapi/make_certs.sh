#!/bin/bash
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 the nodedns authors
# tests/kubeapi/make_certs.sh DIR - a throwaway CA and a server certificate
# for 127.0.0.1, ::1 and localhost, for kubeapi.py --tls-cert/--tls-key.
#
# Writes DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key (and
# DIR/other-ca.crt, a second CA that did not sign anything, for tests that
# expect verification to fail). Valid for 2 days; EC P-256 keys.
set -eu
dir=${1:?usage: make_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
command -v openssl >/dev/null || { echo "make_certs.sh: openssl not found" >&2; exit 77; }

openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-keyout ca.key -out ca.crt -days 2 -subj "/CN=nodedns-test-ca" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-keyout server.key -out server.csr -subj "/CN=kubeapi-test" 2>/dev/null
cat >server.ext <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
EXT
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	-out server.crt -days 2 -extfile server.ext 2>/dev/null

openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-keyout other-ca.key -out other-ca.crt -days 2 -subj "/CN=nodedns-other-ca" 2>/dev/null
rm -f server.csr server.ext ca.srl other-ca.key
chmod 600 ca.key server.key
echo "$dir: ca.crt server.crt server.key other-ca.crt"
