#!/usr/bin/env bash
# Packs Ringmaster as a user gets it (`npm pack`), installs the tarball into a temporary copy of each example
# project with that project's own devDependencies — no build step, none of Ringmaster's devDependencies —
# and runs its tests. Used by .ci/run; runnable by hand from anywhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# CI has just built dist/ (npm ci runs `prepare`) and says so with RINGMASTER_BUILT=1; otherwise pack builds.
npm pack --silent ${RINGMASTER_BUILT:+--ignore-scripts} --pack-destination "$work" --prefix "$root" "$root" >/dev/null
tarball="$(ls "$work"/ringmaster-*.tgz)"

# better-sqlite3 downloads a prebuilt binary when it is installed, or compiles SQLite (minutes) when it
# cannot reach GitHub. The repository's own install already holds the binary for this Node, so offer it
# as a local prebuild: same version, same ABI, and no network or compiler needed.
sqlite="$root/node_modules/better-sqlite3"
if [[ -f "$sqlite/build/Release/better_sqlite3.node" ]]; then
  name="$(cd "$root" && node -p "const v = require('better-sqlite3/package.json').version;
    \`better-sqlite3-v\${v}-node-v\${process.versions.modules}-\${process.platform}-\${process.arch}.tar.gz\`")"
  mkdir -p "$work/prebuilds"
  tar -czf "$work/prebuilds/$name" -C "$sqlite" build/Release/better_sqlite3.node
  export npm_config_better_sqlite3_local_prebuilds="$work/prebuilds"
fi

for example in "${@:-node-test vitest}"; do
  for name in $example; do
    printf '\n--- examples/%s\n' "$name"
    cp -R "$root/examples/$name" "$work/$name"
    (cd "$work/$name" && npm install --prefer-offline --no-audit --no-fund --loglevel=error "$tarball" && npm test)
  done
done
