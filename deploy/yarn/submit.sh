#!/usr/bin/env bash
# Submits a zerospark command to YARN with one GPU per rank:
#
#   deploy/yarn/submit.sh [OPTIONS] [--] ZEROSPARK_ARGS...
#   deploy/yarn/submit.sh train --config s3a://bucket/conf/train.yaml --world-size 8
#   deploy/yarn/submit.sh pipeline run --config pipeline.yaml --run-id nightly-20261130
#
# Options (before the zerospark command):
#   --dry-run            print the spark-submit command, one argument per line, and run nothing
#   --master URL         another master (spark://host:7077, local[4]); the YARN-only settings are then left out,
#                        so a standalone test submits with exactly these settings "minus YARN"
#   --deploy-mode MODE   cluster (default) or client. In cluster mode spark-submit exits 1 for any failed run; the
#                        zerospark exit code (2 config, 3 nothing new, ...) reaches the caller only in client mode
#   --jar PATH           the fat jar (default deploy/target/zerospark-*-all.jar next to this script)
#   --conf KEY=VALUE     extra Spark settings, after (so overriding) the ones below; repeatable
#
# Sizing comes from the environment (defaults in brackets):
#   ZS_EXECUTORS [2]  ZS_EXECUTOR_CORES [4]  ZS_EXECUTOR_MEMORY [32g]  ZS_DRIVER_MEMORY [8g]
#   ZS_GPUS_PER_EXECUTOR [1]: 0 runs CPU ranks (no GPU settings at all)
#   ZS_GPU_DISCOVERY_SCRIPT: the discovery script as executors see it [YARN: ./gpu-discovery.sh, shipped with
#   --files; other masters: this folder's gpu-discovery.sh, which must then exist on every node]
#   ZS_QUEUE: the YARN queue   SPARK_SUBMIT [spark-submit]: the spark-submit to run
#
# One rank = one barrier task = one GPU: spark.task.resource.gpu.amount=1 and
# spark.executor.resource.gpu.amount=ZS_GPUS_PER_EXECUTOR, so each executor runs that many ranks and
# world_size must be at most ZS_EXECUTORS x ZS_GPUS_PER_EXECUTOR (`zerospark doctor --for train` checks it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

dry_run=0
master=yarn
deploy_mode=cluster
jar=""
extra_conf=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) dry_run=1; shift ;;
    --master) master="${2:?--master needs a URL}"; shift 2 ;;
    --deploy-mode) deploy_mode="${2:?--deploy-mode needs cluster or client}"; shift 2 ;;
    --jar) jar="${2:?--jar needs a path}"; shift 2 ;;
    --conf) extra_conf+=(--conf "${2:?--conf needs KEY=VALUE}"); shift 2 ;;
    --) shift; break ;;
    -*) echo "submit.sh: unknown option '$1' (options come before the zerospark command; see the header of $0)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || { echo "submit.sh: no zerospark command given (e.g. '$0 train --config train.yaml')" >&2; exit 2; }
[[ "$deploy_mode" == cluster || "$deploy_mode" == client ]] || { echo "submit.sh: --deploy-mode must be cluster or client, got '$deploy_mode'" >&2; exit 2; }

if [[ -z "$jar" ]]; then
  for j in "$root"/deploy/target/zerospark-*-all.jar; do [[ -f "$j" ]] && jar="$j"; done
  [[ -n "$jar" ]] || jar="$root/deploy/target/zerospark-0.1.0-SNAPSHOT-all.jar"
fi
if [[ "$dry_run" == 0 && ! -f "$jar" ]]; then
  echo "submit.sh: fat jar $jar not found: build it with 'mvn -DskipTests package' or pass --jar" >&2
  exit 2
fi

gpus="${ZS_GPUS_PER_EXECUTOR:-1}"
[[ "$gpus" =~ ^[0-9]+$ ]] || { echo "submit.sh: ZS_GPUS_PER_EXECUTOR must be a whole number, got '$gpus'" >&2; exit 2; }

# Settings every master gets: what a zerospark run needs from Spark, whatever the cluster manager.
common_conf=(
  # Barrier stages (train, the pipeline's train stage) refuse dynamic allocation: Spark fails them at submit.
  --conf spark.dynamicAllocation.enabled=false
  # Executors must never reach for the network to fetch libtorch (README "GPUs (CUDA)").
  --conf spark.driver.extraJavaOptions=-Dai.djl.offline=true
  --conf spark.executor.extraJavaOptions=-Dai.djl.offline=true
  --conf spark.executor.cores="${ZS_EXECUTOR_CORES:-4}"
  --conf spark.executor.memory="${ZS_EXECUTOR_MEMORY:-32g}"
  --conf spark.driver.memory="${ZS_DRIVER_MEMORY:-8g}"
)
if [[ "$gpus" -gt 0 ]]; then
  # Executors run the discovery script when they start, before any file a job ships reaches them, except on YARN,
  # which localizes --files into the container (executable) first. Elsewhere the script must already be on every
  # node: this checkout's copy by default (a local standalone cluster), or ZS_GPU_DISCOVERY_SCRIPT.
  if [[ "$master" == yarn ]]; then
    discovery="${ZS_GPU_DISCOVERY_SCRIPT:-./gpu-discovery.sh}"
    common_conf+=(--files "$here/gpu-discovery.sh")
  else
    discovery="${ZS_GPU_DISCOVERY_SCRIPT:-$here/gpu-discovery.sh}"
  fi
  common_conf+=(
    --conf spark.executor.resource.gpu.amount="$gpus"
    --conf spark.task.resource.gpu.amount=1
    --conf spark.executor.resource.gpu.discoveryScript="$discovery"
  )
fi

# YARN only: executor count, the queue, one application attempt (a scheduler such as Airflow retries the whole
# run, which resumes from its checkpoint; a second YARN attempt would race the first's cleanup), and RPC
# authentication and encryption, which YARN sets up by itself (README "Secrets in transit").
yarn_conf=(
  --deploy-mode "$deploy_mode"
  --num-executors "${ZS_EXECUTORS:-2}"
  --conf spark.yarn.maxAppAttempts=1
  --conf spark.authenticate=true
  --conf spark.network.crypto.enabled=true
  --conf spark.io.encryption.enabled=true
)
[[ -n "${ZS_QUEUE:-}" ]] && yarn_conf+=(--queue "$ZS_QUEUE")

cmd=("${SPARK_SUBMIT:-spark-submit}" --master "$master")
[[ "$master" == yarn ]] && cmd+=("${yarn_conf[@]}")
cmd+=("${common_conf[@]}" "${extra_conf[@]}" --class dev.zerospark.cli.ZeroSpark "$jar" "$@")

if [[ "$dry_run" == 1 ]]; then
  printf '%s\n' "${cmd[@]}"
  exit 0
fi
exec "${cmd[@]}"
