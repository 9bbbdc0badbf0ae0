#!/usr/bin/env bash
# Throwaway certificates for the listener TLS tests, made with the openssl command in DIR:
#   ca.crt ca.key                   the test CA (the gateway's tls.client_ca, the client's --cacert)
#   server.crt server.key           CN=localhost, subjectAltName IP:127.0.0.1 and DNS:localhost,
#                                   signed by the test CA
#   client.crt client.key           CN=svc.acme.internal, for client authentication, signed by the
#                                   test CA
#   other-ca.crt other-ca.key       a second CA the gateway does not trust
#   other-client.crt other-client.key
#                                   CN=svc.acme.internal again, signed by the second CA
#   tests/support/test_ca.sh DIR
# DIR must exist. Idempotent: a DIR that already holds a complete set is left as it is. EC P-256
# keys, so a whole set takes a fraction of a second. Nothing goes to stdout.
set -euo pipefail

die() {
  echo "test_ca.sh: $*" >&2
  exit 1
}

[[ $# -eq 1 ]] || die "usage: test_ca.sh DIR"
dir=$1
[[ -d "$dir" ]] || die "$dir is not a directory"
# Written last, so a run interrupted half-way is redone rather than trusted.
readonly done_marker="$dir/.test_ca_complete"
[[ -f "$done_marker" ]] && exit 0

readonly days=30

new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# new_ca NAME SUBJECT: a self-signed CA certificate NAME.crt with key NAME.key.
new_ca() {
  new_key "$dir/$1.key"
  openssl req -x509 -new -key "$dir/$1.key" -subj "$2" -days "$days" -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/$1.crt" 2>/dev/null
}

# new_leaf NAME CA SUBJECT EXTENSIONS: NAME.crt with key NAME.key, signed by CA.crt / CA.key.
new_leaf() {
  local extensions="$dir/$1.ext"
  new_key "$dir/$1.key"
  openssl req -new -key "$dir/$1.key" -subj "$3" -out "$dir/$1.csr" 2>/dev/null
  printf '%s\n' "$4" >"$extensions"
  openssl x509 -req -in "$dir/$1.csr" -CA "$dir/$2.crt" -CAkey "$dir/$2.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days "$days" -sha256 -extfile "$extensions" \
    -out "$dir/$1.crt" 2>/dev/null
  rm -f "$dir/$1.csr" "$extensions"
}

readonly server_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
readonly client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

new_ca ca "/CN=cordon test CA"
new_leaf server ca "/CN=localhost" "$server_ext"
new_leaf client ca "/CN=svc.acme.internal" "$client_ext"
new_ca other-ca "/CN=cordon untrusted test CA"
new_leaf other-client other-ca "/CN=svc.acme.internal" "$client_ext"
chmod 600 "$dir"/*.key
touch "$done_marker"
