#!/usr/bin/env bash
# Runs every test of the Hub. Starts RabbitMQ and PostgreSQL as local processes when they are not running
# (deploy/local/start-services.sh), then `dotnet test` over the solution, and ends with the line
# `N passed, N failed` (NUnit's counts, summed over all test projects). Extra arguments go to `dotnet test`,
# e.g. ./test.sh --filter "FullyQualifiedName~Storage".
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! bash deploy/local/start-services.sh; then
  echo "test.sh: the test servers could not be started (see above); the tests that need them would fail" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
dotnet test Hub.sln --logger "trx" --results-directory "$results" "$@"
rc=$?

passed=0 failed=0 files=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
done
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # the build failed or a test host crashed before reporting: count it, so the line never reads green
  echo "test.sh: dotnet test exited $rc with $files result file(s) and no failed test counted" >&2
  failed=1
fi
echo "$passed passed, $failed failed"
exit "$rc"
