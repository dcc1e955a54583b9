#!/usr/bin/env bash
# Starts the servers the test suite needs as local processes, when they are not running already:
#  - RabbitMQ from Debian's rabbitmq-server package (installed with apt-get when missing and root),
#    with the management plugin, on 127.0.0.1:5672 / :15672, and with TLS on 127.0.0.1:5671 under a test CA
#    of its own (made once with openssl in $HUB_TEST_PKI, default /var/lib/hub-test-pki; the tests trust ca.pem);
#  - the PostgreSQL cluster already on the machine, with a `hub` role that may create databases;
#  - Debian's python3-pika for /usr/bin/python3 (installed with apt-get when missing and root), which the sample
#    subscriber in samples/subscriber/ and its test use;
#  - Debian's chromium (installed with apt-get when missing and root), the headless browser of the console's test.
# Idempotent: safe to run again. Prints what it did; exits non-zero with a reason when it cannot.
set -euo pipefail

log() { printf 'start-services: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 what=$2 tries=${3:-90}
  for _ in $(seq "$tries"); do port_open "$port" && return 0; sleep 1; done
  log "$what did not open port $port"; return 1
}

PKI=${HUB_TEST_PKI:-/var/lib/hub-test-pki}
TLS_CONF=/etc/rabbitmq/conf.d/20-hub-test-tls.conf

# A test CA and a server certificate for localhost/127.0.0.1 signed by it, made once. The CA's key stays root's;
# the server key is readable by the broker's user only.
make_test_pki() {
  [ -s "$PKI/ca.pem" ] && [ -s "$PKI/server.pem" ] && [ -s "$PKI/server.key" ] && return 0
  log "making a test CA and a server certificate for localhost in $PKI"
  mkdir -p "$PKI"
  chmod 755 "$PKI"
  local tmp
  tmp=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Hub test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$tmp/server.ext"
  openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -days 3650 \
    -extfile "$tmp/server.ext" -out "$tmp/server.pem" 2>/dev/null
  install -m 600 "$tmp/ca.key" "$PKI/ca.key"
  install -m 644 "$tmp/ca.pem" "$PKI/ca.pem"
  install -m 644 "$tmp/server.pem" "$PKI/server.pem"
  install -m 640 -g rabbitmq "$tmp/server.key" "$PKI/server.key"
  rm -rf "$tmp"
}

# TLS on loopback only; clients authenticate with user name and password, so the broker asks for no client certificate.
write_tls_config() {
  local want
  want=$(printf '%s\n' "# written by deploy/local/start-services.sh: TLS for the Hub's tests" \
    "listeners.ssl.1 = 127.0.0.1:5671" \
    "ssl_options.cacertfile = $PKI/ca.pem" \
    "ssl_options.certfile = $PKI/server.pem" \
    "ssl_options.keyfile = $PKI/server.key" \
    "ssl_options.verify = verify_none" \
    "ssl_options.fail_if_no_peer_cert = false")
  [ -f "$TLS_CONF" ] && [ "$(cat "$TLS_CONF")" = "$want" ] && return 0
  log "writing $TLS_CONF"
  mkdir -p "$(dirname "$TLS_CONF")"
  printf '%s\n' "$want" >"$TLS_CONF"
  chmod 644 "$TLS_CONF"
}

start_rabbitmq() {
  if port_open 5672 && port_open 15672 && port_open 5671; then log "RabbitMQ already running (with TLS on 5671)"; return; fi
  if ! command -v rabbitmq-server >/dev/null; then
    [ "$(id -u)" = 0 ] || { log "rabbitmq-server is not installed and this is not root: apt-get install rabbitmq-server"; exit 1; }
    log "installing rabbitmq-server from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  rabbitmq-plugins --offline enable rabbitmq_management >/dev/null
  if [ "$(id -u)" = 0 ]; then
    make_test_pki
    write_tls_config
    if port_open 5672 && ! port_open 5671; then
      # the configuration is read at start only: a broker already running without the TLS listener is restarted
      log "RabbitMQ runs without TLS on 5671: restarting it to take $TLS_CONF"
      rabbitmqctl stop >/dev/null 2>&1 || true
      for _ in $(seq 60); do port_open 5672 || break; sleep 1; done
    fi
  elif ! port_open 5671; then
    log "not root: cannot configure RabbitMQ's TLS listener on 5671; the tests that connect over amqps:// will fail"
  fi
  if ! port_open 5672; then
    log "starting RabbitMQ"
    if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then
      # as the package's own user, so its data and cookie stay where the package put them
      su rabbitmq -s /bin/sh -c 'rabbitmq-server -detached' || true
    else
      rabbitmq-server -detached || true
    fi
  fi
  wait_port 5672 "RabbitMQ (AMQP)"
  wait_port 15672 "RabbitMQ (management)"
  if [ "$(id -u)" = 0 ]; then wait_port 5671 "RabbitMQ (AMQP over TLS)"; fi
  log "RabbitMQ up"
}

start_postgres() {
  if ! port_open 5432; then
    if command -v pg_lsclusters >/dev/null && [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
      read -r ver name _ < <(pg_lsclusters -h | head -n1)
      log "starting PostgreSQL cluster $ver/$name"
      pg_ctlcluster "$ver" "$name" start
    else
      log "no PostgreSQL cluster on this machine (pg_lsclusters found none)"; exit 1
    fi
    wait_port 5432 "PostgreSQL"
  fi
  # the role the tests and the local server mode use; created once
  if [ "$(id -u)" = 0 ]; then
    su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='hub'\"" | grep -q 1 ||
      su postgres -c "psql -qc \"CREATE ROLE hub LOGIN CREATEDB PASSWORD 'hub'\""
  fi
  size_postgres
  log "PostgreSQL up"
}

# Opt-in, for the index benchmarks: HUB_PG_SHARED_BUFFERS=10GB sizes PostgreSQL's own cache (shared_buffers; 25% of
# memory is PostgreSQL's advice for a dedicated server) and restarts the cluster when it changes. A database server
# holds its index's hot pages there; on a VM that pages out page-cache pages untouched for a minute (DAMON reclaim,
# as this kind of machine does), the default 128 MB leaves lookups waiting on the disk. The tests do not need it.
size_postgres() {
  [ -n "${HUB_PG_SHARED_BUFFERS:-}" ] || return 0
  if [ "$(id -u)" != 0 ]; then log "HUB_PG_SHARED_BUFFERS needs root (ALTER SYSTEM as postgres, and a restart)"; return 0; fi
  local now
  now=$(su postgres -c "psql -qtAc 'SHOW shared_buffers'")
  [ "$now" = "$HUB_PG_SHARED_BUFFERS" ] && return 0
  log "PostgreSQL shared_buffers $now -> $HUB_PG_SHARED_BUFFERS (restarting the cluster)"
  su postgres -c "psql -qc \"ALTER SYSTEM SET shared_buffers = '$HUB_PG_SHARED_BUFFERS'\""
  read -r ver name _ < <(pg_lsclusters -h | head -n1)
  pg_ctlcluster "$ver" "$name" restart
  wait_port 5432 "PostgreSQL"
}

# The sample subscriber runs on the system's Python with Debian's pika (not a pyenv or virtualenv python3 on PATH).
install_pika() {
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pika' 2>/dev/null && return 0
  if [ "$(id -u)" != 0 ]; then
    log "python3-pika is not installed and this is not root: apt-get install python3-pika (the sample subscriber's test will fail)"
    return 0
  fi
  log "installing python3-pika from Debian"
  export DEBIAN_FRONTEND=noninteractive
  # only the sample subscriber's test needs it: a failure here does not stop the servers from starting
  if ! { apt-get update -qq && apt-get install -y -qq python3-pika >/dev/null; }; then
    log "could not install python3-pika (the sample subscriber's test will fail)"
  fi
}

# The operator console's browser test drives Debian's chromium with Playwright (no browser download).
install_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "chromium is not installed and this is not root: apt-get install chromium (the console's browser test will fail)"
    return 0
  fi
  log "installing chromium from Debian"
  export DEBIAN_FRONTEND=noninteractive
  # only the browser test needs it: a failure here does not stop the servers from starting
  if ! { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; then
    log "could not install chromium (the console's browser test will fail)"
  fi
}

install_pika
install_chromium
start_rabbitmq
start_postgres
