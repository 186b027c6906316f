#!/usr/bin/env bash
# A simulated multi-host network on one Linux host: each rank gets its own network namespace (its own stack,
# like a separate host), joined by a veth link into a bridge that lives in a dedicated "switch" namespace. Every
# link is shaped to RATE Gbit/s in both directions with tc tbf, like a full-duplex NIC. Nothing is added to the
# root namespace, so the host's own interfaces and firewall are untouched, and traffic can only reach the
# addresses created here.
#
#   deploy/cluster/netsim.sh up N RATE    ranks PREFIX0..PREFIX{N-1} at 10.213.0.1..N/24, RATE in Gbit/s (e.g. 1, 0.2)
#   deploy/cluster/netsim.sh down         removes every namespace this script created (and with them their links)
#   deploy/cluster/netsim.sh check        exits 0 when up/down can run here
#
# `up` runs `down` first, so it is idempotent; if it fails half-way it removes what it made. Needs root and
# iproute2 (`ip netns`, `tc`). Exit codes: 0 ok, 1 failed, 2 cannot run here (not root, no `ip netns`) or bad usage.
# Environment: NETSIM_PREFIX (default zs) names the namespaces; NETSIM_IP / NETSIM_TC the commands to use.
# Run a command in rank K's namespace: ip netns exec zsK COMMAND.
set -euo pipefail

prefix="${NETSIM_PREFIX:-zs}"
ip_cmd="${NETSIM_IP:-ip}"
tc_cmd="${NETSIM_TC:-tc}"
# Non-root shells often lack /usr/sbin on PATH, where iproute2 lives.
PATH="$PATH:/usr/sbin:/sbin"
switch="${prefix}sw"
subnet="10.213.0"

usage() { echo "usage: $0 up N RATE_GBIT | down | check" >&2; exit 2; }

[[ "$prefix" =~ ^[a-z][a-z0-9]{0,7}$ ]] || { echo "netsim: NETSIM_PREFIX '$prefix' must be 1-8 lowercase letters/digits, starting with a letter" >&2; exit 2; }

check() {
  if [[ "$(id -u)" != 0 ]]; then
    echo "netsim: needs root (network namespaces and tc); running as uid $(id -u)" >&2; exit 2
  fi
  if ! command -v "$ip_cmd" >/dev/null 2>&1 || ! "$ip_cmd" netns list >/dev/null 2>&1; then
    echo "netsim: needs iproute2 with network namespaces: '$ip_cmd netns list' does not run" >&2; exit 2
  fi
  if ! command -v "$tc_cmd" >/dev/null 2>&1; then
    echo "netsim: needs tc (iproute2) to shape links: '$tc_cmd' not found" >&2; exit 2
  fi
}

# Namespaces named PREFIX<digits> or PREFIXsw: exactly the ones `up` creates.
ours() {
  "$ip_cmd" netns list | awk '{print $1}' | grep -E "^${prefix}([0-9]+|sw)\$" || true
}

down() {
  local ns
  for ns in $(ours); do
    # Deleting a namespace destroys its veth ends, and the peer end with them.
    "$ip_cmd" netns del "$ns"
  done
}

# tbf shaping: the bucket holds ~1 ms of traffic (at least 64 KiB so one GSO segment fits) and the queue ~20 ms.
shape() {
  local ns="$1" dev="$2" rate="$3" burst
  burst="$(awk -v r="$rate" 'BEGIN { b = r * 1e9 / 8 / 1000; if (b < 65536) b = 65536; printf "%d", b }')"
  "$ip_cmd" netns exec "$ns" "$tc_cmd" qdisc replace dev "$dev" root tbf rate "${rate}gbit" burst "$burst" latency 20ms
}

up() {
  local n="$1" rate="$2" k
  [[ "$n" =~ ^[0-9]+$ ]] && (( n >= 1 && n <= 250 )) || { echo "netsim: N must be an integer in [1, 250], got '$n'" >&2; exit 2; }
  [[ "$rate" =~ ^[0-9]*\.?[0-9]+$ ]] && awk -v r="$rate" 'BEGIN { exit !(r > 0 && r <= 400) }' \
    || { echo "netsim: RATE must be a number of Gbit/s in (0, 400], got '$rate'" >&2; exit 2; }
  down
  trap 'status=$?; if (( status != 0 )); then echo "netsim: up failed (exit $status); removing what it created" >&2; down; fi' EXIT
  "$ip_cmd" netns add "$switch"
  "$ip_cmd" -n "$switch" link add br0 type bridge
  "$ip_cmd" -n "$switch" link set br0 up
  for ((k = 0; k < n; k++)); do
    local ns="${prefix}${k}"
    "$ip_cmd" netns add "$ns"
    "$ip_cmd" -n "$switch" link add "p$k" type veth peer name eth0 netns "$ns"
    "$ip_cmd" -n "$switch" link set "p$k" master br0 up
    "$ip_cmd" -n "$ns" link set lo up
    "$ip_cmd" -n "$ns" addr add "$subnet.$((k + 1))/24" dev eth0
    "$ip_cmd" -n "$ns" link set eth0 up
    shape "$ns" eth0 "$rate"       # what the rank sends
    shape "$switch" "p$k" "$rate"  # what the rank receives
  done
  trap - EXIT
  echo "netsim: $n namespaces ${prefix}0..${prefix}$((n - 1)) at $subnet.1..$subnet.$n, links shaped to $rate Gbit/s"
}

case "${1:-}" in
  up) [[ $# == 3 ]] || usage; check; up "$2" "$3" ;;
  down) [[ $# == 1 ]] || usage; check; down ;;
  check) [[ $# == 1 ]] || usage; check ;;
  *) usage ;;
esac
