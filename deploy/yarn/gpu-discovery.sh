#!/usr/bin/env bash
# Spark resource discovery script for GPUs (spark.executor.resource.gpu.discoveryScript,
# spark.driver.resource.gpu.discoveryScript). Spark runs it when an executor starts and reads one JSON object from
# stdout: {"name": "gpu", "addresses": ["0","1"]}, the indices nvidia-smi reports. YARN does not tell Spark which
# GPUs it gave a container, so on YARN this script is required; with YARN's GPU isolation (cgroups) nvidia-smi in the
# container sees only the container's GPUs.
#
# Exit status: 0 with the JSON on stdout; 1 with one line on stderr when nvidia-smi is missing, fails or prints
# something that is not a GPU index (Spark then fails the executor naming this script, rather than starting one
# with no GPUs that training tasks would wait on).
set -uo pipefail

name="${SPARK_GPU_RESOURCE_NAME:-gpu}"
smi="${NVIDIA_SMI:-nvidia-smi}"

if ! command -v "$smi" >/dev/null 2>&1; then
  echo "gpu-discovery.sh: '$smi' not found on PATH ($PATH): no NVIDIA driver on this node?" >&2
  exit 1
fi
if ! out="$("$smi" --query-gpu=index --format=csv,noheader 2>&1)"; then
  echo "gpu-discovery.sh: '$smi --query-gpu=index --format=csv,noheader' failed: $(printf '%s' "$out" | head -n 1)" >&2
  exit 1
fi

addresses=""
while IFS= read -r line; do
  index="$(printf '%s' "$line" | tr -d '[:space:]')"
  [[ -z "$index" ]] && continue
  if ! [[ "$index" =~ ^[0-9]+$ ]]; then
    echo "gpu-discovery.sh: '$smi' printed '$line', not a GPU index" >&2
    exit 1
  fi
  addresses="${addresses:+$addresses,}\"$index\""
done <<<"$out"

printf '{"name": "%s", "addresses": [%s]}\n' "$name" "$addresses"
