#!/bin/sh
# Prepare a Virtuoso for ClaimGraph (docker-compose's `virtuoso-init`, or by hand):
#   VIRTUOSO_SQL=virtuoso:1111 VIRTUOSO_DBA_PASSWORD=... VIRTUOSO_PASSWORD_FILE=... sh scripts/virtuoso-setup.sh
# Waits until the server takes SQL, runs scripts/virtuoso-init.sql (its system graphs made
# private: the default graph of a query is then the union of ClaimGraph's graphs), and makes
# the user `claimgraph` (VIRTUOSO_USER) with the password in VIRTUOSO_PASSWORD_FILE, allowed to
# run SPARQL updates and write graphs. Every step may run again.
set -eu
here=$(dirname "$0")
sql_at=${VIRTUOSO_SQL:-virtuoso:1111}
user=${VIRTUOSO_USER:-claimgraph}
: "${VIRTUOSO_DBA_PASSWORD:?set VIRTUOSO_DBA_PASSWORD (the DBA_PASSWORD the Virtuoso container was created with)}"
password=$(head -n 1 "${VIRTUOSO_PASSWORD_FILE:?set VIRTUOSO_PASSWORD_FILE}")
[ -n "$password" ] || { echo "virtuoso-setup: $VIRTUOSO_PASSWORD_FILE is empty" >&2; exit 2; }
isql=$(command -v isql-vt || command -v isql-v || command -v isql || echo /opt/virtuoso-opensource/bin/isql)
tries=0
until "$isql" "$sql_at" dba "$VIRTUOSO_DBA_PASSWORD" "exec=SELECT 1;" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "virtuoso-setup: no SQL answer at $sql_at after 120 s" >&2; exit 1; }
  sleep 2
done
run() {  # one statement; the output is searched for errors, which isql does not report by exit status;
         # an error saying what is asked for is there already ($2) is no error
  out=$("$isql" "$sql_at" dba "$VIRTUOSO_DBA_PASSWORD" "exec=$1" 2>&1) || { echo "$out" >&2; exit 1; }
  case "$out" in
    *"*** Error"*) if [ -n "${2:-}" ] && echo "$out" | grep -q "$2"; then return 0; fi
                   echo "virtuoso-setup: $1: $out" >&2; exit 1 ;;
  esac
}
grep -v '^[[:space:]]*--' "$here/virtuoso-init.sql" | grep -v '^[[:space:]]*$' | while IFS= read -r statement; do
  run "$statement"
done
escaped=$(printf "%s" "$password" | sed "s/'/''/g")
run "DB.DBA.USER_CREATE('$user', '$escaped');" "already exists"
run "USER_SET_PASSWORD('$user', '$escaped');"
run "GRANT SPARQL_UPDATE TO \"$user\";" "already have role"
run "DB.DBA.RDF_DEFAULT_USER_PERMS_SET('$user', 7);"
echo "virtuoso-setup: $sql_at is ready for ClaimGraph (user $user)"
