#!/usr/bin/env bash
# zerospark on an NVIDIA GPU: the training path run where it will run, on one device (default cuda:0).
#
#   deploy/gpu/smoke.sh
#
# 1. finds the GPU (nvidia-smi) and a CUDA libtorch that matches DJL's JNI, and points DJL at it;
# 2. bench train-step for 1 step on the GPU, reading a weight row back from the device before and after: the
#    weights must have changed there (not in a host copy);
# 3. verify-training on the fixtures (tiny-gpt2, tiny-llama) in fp32, and in bf16 when this build's verify-training
#    has --precision (else it says SKIP);
# 4. bench train-step on the GPU at its default shape (prints its table).
#
# Exit codes: 0 every check passed; 1 a check failed; 2 bad setup (no CLI, no fixtures); 3 no NVIDIA GPU here
# (nothing was run); 4 no CUDA libtorch that matches DJL's JNI, or the one loaded does not see the GPU.
#
# DJL 0.36 picks its native libtorch like this (ai.djl.pytorch.jni.LibUtils): PYTORCH_LIBRARY_PATH (a folder with
# libtorch.so, with PYTORCH_VERSION and PYTORCH_FLAVOR saying what it is) wins; otherwise the pytorch-native-* jar
# on the classpath (the fat jar bundles the CPU one); otherwise a download into ~/.djl.ai/pytorch/VERSION-FLAVOR-
# linux-x86_64, which ai.djl.offline=true forbids. Its JNI (pytorch-jni 2.7.1-0.36.0) ships for cpu and cu128 only,
# so the CUDA libtorch must be 2.7.1 built for CUDA 12.8, and the driver must support CUDA >= 12.8.
# Where this looks for one, in order: $PYTORCH_LIBRARY_PATH; DJL's cache ~/.djl.ai/pytorch/2.7.1*-cu128-*; the jar
# ai.djl.pytorch:pytorch-native-cu128:2.7.1:linux-x86_64 in ~/.m2 (extracted into DJL's cache); a pip torch
# 2.7.1+cu128 (python3 -c 'import torch'). On an offline GPU host, fetch the jar elsewhere with
#   mvn dependency:get -Dartifact=ai.djl.pytorch:pytorch-native-cu128:2.7.1:jar:linux-x86_64
# and copy ~/.m2/repository/ai/djl/pytorch/pytorch-native-cu128 over.
#
# Environment: ZEROSPARK_SMOKE_DEVICE (default cuda:0); ZEROSPARK_SMOKE_NVIDIA_SMI (default nvidia-smi);
# ZEROSPARK_CLI (default deploy/bin/zerospark; e.g. "java -cp zerospark-all.jar dev.zerospark.cli.ZeroSpark");
# ZEROSPARK_SMOKE_WORLD_SIZES (default "1 2"); ZEROSPARK_SMOKE_STAGES (default "0 1 2").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
device="${ZEROSPARK_SMOKE_DEVICE:-cuda:0}"
nvsmi="${ZEROSPARK_SMOKE_NVIDIA_SMI:-nvidia-smi}"
read -r -a world_sizes <<<"${ZEROSPARK_SMOKE_WORLD_SIZES:-1 2}"
read -r -a stages <<<"${ZEROSPARK_SMOKE_STAGES:-0 1 2}"
read -r -a zs <<<"${ZEROSPARK_CLI:-$root/deploy/bin/zerospark}"
want_version=2.7.1
want_flavor=cu128
want_cuda=12.8
failures=0

say() { printf 'smoke: %s\n' "$*"; }
fail() { say "FAIL: $*"; failures=$((failures + 1)); }

# --- 1. the GPU -------------------------------------------------------------------------------------------------
if ! command -v "$nvsmi" >/dev/null 2>&1; then
  say "no NVIDIA GPU here: '$nvsmi' not found; nothing was run (this script needs a machine with an NVIDIA GPU)"
  exit 3
fi
if ! gpus="$("$nvsmi" --query-gpu=index,name,driver_version,memory.total --format=csv,noheader 2>&1)" || [[ -z "$gpus" ]]; then
  say "no NVIDIA GPU here: '$nvsmi' lists none ($gpus); nothing was run"
  exit 3
fi
say "GPUs: $gpus"
driver_cuda="$("$nvsmi" 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9][0-9.]*\).*/\1/p' | head -n 1)"
if [[ -n "$driver_cuda" ]] && [[ "$(printf '%s\n%s\n' "$want_cuda" "$driver_cuda" | sort -V | head -n 1)" != "$want_cuda" ]]; then
  say "native bundle does not match: the driver supports CUDA $driver_cuda, DJL's $want_flavor JNI needs >= $want_cuda"
  exit 4
fi

# --- the CUDA libtorch --------------------------------------------------------------------------------------------
has_cuda_torch() { [[ -f "$1/libtorch.so" && -f "$1/libtorch_cuda.so" ]]; }
libdir=""
origin=""
if [[ -n "${PYTORCH_LIBRARY_PATH:-}" ]]; then
  libdir="$PYTORCH_LIBRARY_PATH"
  origin="PYTORCH_LIBRARY_PATH"
fi
if [[ -z "$libdir" ]]; then
  for d in "$HOME"/.djl.ai/pytorch/"$want_version"*-"$want_flavor"-linux-x86_64; do
    if has_cuda_torch "$d"; then libdir="$d"; origin="DJL cache"; break; fi
  done
fi
if [[ -z "$libdir" ]]; then
  jar="$(find "$HOME/.m2/repository/ai/djl/pytorch/pytorch-native-$want_flavor" -name "pytorch-native-$want_flavor-$want_version*-linux-x86_64.jar" 2>/dev/null | head -n 1 || true)"
  if [[ -n "$jar" ]]; then
    dest="$HOME/.djl.ai/pytorch/$want_version-$want_flavor-linux-x86_64"
    say "extracting $jar into $dest"
    tmp="$(mktemp -d)"
    (cd "$tmp" && unzip -q "$jar" 'native/lib/*')
    mkdir -p "$dest"
    find "$tmp/native/lib" -type f -name '*.so*' -exec cp {} "$dest/" \;
    rm -rf "$tmp"
    if has_cuda_torch "$dest"; then libdir="$dest"; origin="$jar"; fi
  fi
fi
if [[ -z "$libdir" ]] && command -v python3 >/dev/null 2>&1; then
  if pip_torch="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"), torch.__version__, torch.version.cuda or "none")' 2>/dev/null)"; then
    read -r pip_dir pip_version pip_cuda <<<"$pip_torch"
    if [[ "$pip_version" == "$want_version+$want_flavor" && "$pip_cuda" == "$want_cuda" ]] && has_cuda_torch "$pip_dir"; then
      libdir="$pip_dir"; origin="pip torch $pip_version"
    else
      say "native bundle does not match: python3's torch is $pip_version (CUDA $pip_cuda), DJL's JNI needs $want_version+$want_flavor"
    fi
  fi
fi
if [[ -z "$libdir" ]]; then
  say "no CUDA libtorch $want_version+$want_flavor found (see the header of $0 for where it looks and how to get one)"
  exit 4
fi
if ! has_cuda_torch "$libdir"; then
  say "native bundle does not match: $libdir ($origin) has no libtorch.so + libtorch_cuda.so (a CPU-only libtorch?)"
  exit 4
fi
export PYTORCH_LIBRARY_PATH="$libdir" PYTORCH_VERSION="$want_version" PYTORCH_FLAVOR="$want_flavor"
say "DJL native bundle: $libdir ($origin), PYTORCH_VERSION=$want_version PYTORCH_FLAVOR=$want_flavor"

# --- 2. one step on the device, weights read back -----------------------------------------------------------------
if [[ ! -x "${zs[0]}" ]] && ! command -v "${zs[0]}" >/dev/null 2>&1; then
  say "the CLI '${zs[0]}' is not there; set ZEROSPARK_CLI"
  exit 2
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "${zs[@]}" bench train-step --device "$device" --steps 1 --warmup 0 --no-baseline --layers 1 --d-model 64 \
    --heads 2 --vocab 256 --seq 32 --batch 2 >"$log" 2>&1; then
  cat "$log"
  if grep -q "sees 0 CUDA" "$log"; then
    say "native bundle does not match: DJL loaded a libtorch that sees no CUDA device (see above)"
    exit 4
  fi
  fail "one training step on $device"
else
  grep '^weights read back' "$log" || true
  json="$(grep '^{' "$log" | tail -n 1)"
  if [[ "$json" == *'"weights_on_device":{"device":"gpu('*'"changed":true'* ]]; then
    say "PASS: one step on $device changed the weights read back from the device"
  else
    cat "$log"
    fail "one step on $device: the weights read back from the device did not change, or were not on the GPU"
  fi
fi

# --- 3. verify-training on the fixtures ---------------------------------------------------------------------------
fixtures="$root/src/test/resources/fixtures/hf"
[[ -d "$fixtures/tiny-gpt2" && -d "$fixtures/tiny-llama" ]] || { say "fixtures not found under $fixtures"; exit 2; }
precisions=(fp32)
if "${zs[@]}" verify-training --help 2>/dev/null | grep -q -- '--precision'; then
  precisions+=(bf16)
else
  say "SKIP bf16: this build's verify-training has no --precision flag (mixed precision is not in it yet)"
fi
for precision in "${precisions[@]}"; do
  for model in tiny-gpt2 tiny-llama; do
    for n in "${world_sizes[@]}"; do
      for s in "${stages[@]}"; do
        args=(verify-training --model "$fixtures/$model" --world-size "$n" --zero-stage "$s" --device "$device")
        [[ "$precision" == fp32 ]] || args+=(--precision "$precision")
        if "${zs[@]}" "${args[@]}" >"$log" 2>&1; then
          say "PASS: verify-training $model $precision N=$n S=$s: $(grep -E '^(PASS|FAIL)' "$log" | tail -n 1)"
        else
          cat "$log"
          fail "verify-training $model $precision N=$n S=$s"
        fi
      done
    done
  done
done

# --- 4. bench train-step on the GPU -------------------------------------------------------------------------------
if "${zs[@]}" bench train-step --device "$device" >"$log" 2>&1; then
  cat "$log"
else
  cat "$log"
  fail "bench train-step on $device"
fi

if ((failures > 0)); then
  say "$failures check(s) failed"
  exit 1
fi
say "all checks passed on $device"
