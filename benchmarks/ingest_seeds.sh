#!/usr/bin/env bash
# Ingest time of the seeds and the store's triple count, with and without Prefect.
#   bash benchmarks/ingest_seeds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PREFECT_HOME="$tmp/prefect" PREFECT_SERVER_ANALYTICS_ENABLED=false PREFECT_LOGGING_LEVEL=WARNING
count() { .venv/bin/claimgraph query --store "$1" --format csv 'SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }' | tail -1; }
for mode in "flow (cold Prefect home)" "flow (warm)" "no Prefect"; do
  args=()
  [ "$mode" = "no Prefect" ] && args=(--no-prefect)
  store="$tmp/store-$RANDOM"
  start=$(date +%s.%N)
  .venv/bin/claimgraph ingest seeds --store "$store" "${args[@]}" > "$tmp/out.txt"
  end=$(date +%s.%N)
  printf '%-26s %6.2f s wall (%s), %s triples in the store\n' "$mode" "$(python3 -c "print($end - $start)")" \
    "$(grep -o 'ingest took [0-9.]* s' "$tmp/out.txt")" "$(count "$store")"
done
