#!/usr/bin/env bash
# The Hub's own small certificate authority (openssl), for mutual TLS between agencies and the Hub.
#
#   deploy/pki/hub-ca.sh init   DIR                       create the authority: DIR/ca.pem (give to the Hub:
#                                                          Hub__Auth__ClientCertificates__CaFile) and DIR/ca.key (keep offline)
#   deploy/pki/hub-ca.sh server DIR HOSTNAME [IP]         the Hub's server certificate: DIR/server.pem, DIR/server.key
#   deploy/pki/hub-ca.sh client DIR PRINCIPAL [DAYS]      a client certificate for an agency (COURT-34-1122) or a member of
#                                                          staff (operator:alice): DIR/PRINCIPAL.pem and DIR/PRINCIPAL.key,
#                                                          CN and SAN URI urn:hub:principal:PRINCIPAL, client auth only
#
# Keys are EC P-256, written with mode 600. Certificates are valid 397 days unless DAYS is given; the authority
# 10 years. The Hub checks no revocation list: end an agency's access by removing it from the registry.
set -euo pipefail
umask 077

die() { echo "hub-ca: $*" >&2; exit 2; }
[ $# -ge 2 ] || die "usage: $0 init DIR | server DIR HOSTNAME [IP] | client DIR PRINCIPAL [DAYS]"
cmd=$1 dir=$2
mkdir -p "$dir"

key() { openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -out "$1"; }

sign() { # name subject-cn days extensions-file
  local name=$1 cn=$2 days=$3 ext=$4
  [ -f "$dir/ca.key" ] || die "no authority in $dir: run '$0 init $dir' first"
  key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "/O=The Hub/CN=$cn" -out "$dir/$name.csr"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days "$days" -sha256 -extfile "$ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$ext"
  chmod 644 "$dir/$name.pem"
  echo "$dir/$name.pem"
}

case "$cmd" in
  init)
    [ -f "$dir/ca.key" ] && die "$dir already holds an authority"
    key "$dir/ca.key"
    openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -subj "/O=The Hub/CN=The Hub agency CA" \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$dir/ca.pem"
    chmod 644 "$dir/ca.pem"
    echo "$dir/ca.pem"
    ;;
  server)
    [ $# -ge 3 ] || die "usage: $0 server DIR HOSTNAME [IP]"
    ext=$(mktemp)
    san="DNS:$3"; [ $# -ge 4 ] && san="$san,IP:$4"
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" >"$ext"
    sign server "$3" 397 "$ext"
    ;;
  client)
    [ $# -ge 3 ] || die "usage: $0 client DIR PRINCIPAL [DAYS]"
    principal=$3
    [[ "$principal" =~ ^[A-Za-z0-9:_.-]+$ ]] || die "'$principal' is no agency code or role:name"
    ext=$(mktemp)
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=URI:urn:hub:principal:%s\n' "$principal" >"$ext"
    sign "${principal//:/_}" "$principal" "${4:-397}" "$ext"
    ;;
  *) die "unknown command '$cmd'" ;;
esac
