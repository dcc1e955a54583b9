#!/usr/bin/env bash
# Starts the servers the test suite needs as local processes, when they are not running already:
#  - RabbitMQ from Debian's rabbitmq-server package (installed with apt-get when missing and root),
#    with the management plugin, on 127.0.0.1:5672 / :15672;
#  - the PostgreSQL cluster already on the machine, with a `hub` role that may create databases.
# Idempotent: safe to run again. Prints what it did; exits non-zero with a reason when it cannot.
set -euo pipefail

log() { printf 'start-services: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 what=$2 tries=${3:-90}
  for _ in $(seq "$tries"); do port_open "$port" && return 0; sleep 1; done
  log "$what did not open port $port"; return 1
}

start_rabbitmq() {
  if port_open 5672 && port_open 15672; then log "RabbitMQ already running"; return; fi
  if ! command -v rabbitmq-server >/dev/null; then
    [ "$(id -u)" = 0 ] || { log "rabbitmq-server is not installed and this is not root: apt-get install rabbitmq-server"; exit 1; }
    log "installing rabbitmq-server from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  rabbitmq-plugins --offline enable rabbitmq_management >/dev/null
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
  log "PostgreSQL up"
}

start_rabbitmq
start_postgres
