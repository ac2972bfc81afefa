#!/usr/bin/env bash
# Install YASGUI and Swagger UI from the npm registry (pinned in ui/package-lock.json) and
# copy their built assets where the app serves them from. Skips when they are present.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=src/claimgraph/static/yasgui
swagger=src/claimgraph/static/swagger
if [ -f "$dest/yasgui.min.js" ] && [ "$dest/yasgui.min.js" -nt ui/package-lock.json ] \
   && [ -f "$swagger/swagger-ui-bundle.js" ] && [ "$swagger/swagger-ui-bundle.js" -nt ui/package-lock.json ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm not found; the web UI falls back to a plain query form (install Node.js for YASGUI)" >&2
  exit 0
fi
(cd ui && npm ci --no-audit --no-fund --loglevel=error)
mkdir -p "$dest"
cp ui/node_modules/@zazuko/yasgui/build/yasgui.min.js ui/node_modules/@zazuko/yasgui/build/yasgui.min.css "$dest/"
mkdir -p "$swagger"  # the API docs page (/docs)
cp ui/node_modules/swagger-ui-dist/swagger-ui-bundle.js ui/node_modules/swagger-ui-dist/swagger-ui.css "$swagger/"
echo "setup: YASGUI $(node -p "require('./ui/node_modules/@zazuko/yasgui/package.json').version") installed in $dest," \
     "Swagger UI $(node -p "require('./ui/node_modules/swagger-ui-dist/package.json').version") in $swagger"
