#!/usr/bin/env bash
# Rebuilds server/static/graphiql/ (GraphiQL served with no internet) from the npm packages
# pinned in package.json and package-lock.json beside this script. Needs node and npm.
#
#   tools/graphiql/build.sh            # same versions: the files come out byte for byte
#   (cd tools/graphiql && npm install --package-lock-only --omit-lockfile-registry-resolved \
#       graphiql@X react@18.Y react-dom@18.Y) && tools/graphiql/build.sh   # to upgrade
#
# graphiql 4 is the last major with a browser (UMD) build; react 18 the last with UMD builds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../.." && pwd)/server/static/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
nm=$work/node_modules
mkdir -p "$out"
cp "$nm/react/umd/react.production.min.js" "$out/react.production.min.js"
cp "$nm/react-dom/umd/react-dom.production.min.js" "$out/react-dom.production.min.js"
cp "$nm/graphiql/graphiql.min.js" "$out/graphiql.min.js"
cp "$nm/graphiql/graphiql.min.css" "$out/graphiql.min.css"
python3 "$here/licences.py" "$nm" > "$out/LICENSES.txt"
(cd "$out" && sha256sum ./*.js ./*.css > SHA256SUMS)
echo "built $out:"
ls -l "$out"
