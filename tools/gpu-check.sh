#!/usr/bin/env bash
# The GPU check (issue #9, "Speed"): installs onnxruntime-node's CUDA execution provider,
# imports a full-size random BLIP-Diffusion checkpoint at fp16 and times the UNet (batch 2,
# 512²) and a whole 512² image at 50 PNDM steps with guidance, against onnxruntime's published
# SD 1.5 figure (A100, CUDA EP, ≈ 1.1 s per image). Budget: ≤ 8 minutes on a fresh GPU machine
# after `npm ci`; every phase prints its elapsed time.
#
#   tools/gpu-check.sh                  the check on the GPU (needs nvidia-smi, CUDA 12, cuDNN 9)
#   tools/gpu-check.sh --install-only   only install the CUDA provider into node_modules
#   tools/gpu-check.sh --cpu            the same code path on the CPU with a tiny checkpoint (seconds)
# Extra arguments go to the driver, bench/gpu.ts (e.g. --steps 50 --unet-runs 10 --work <dir>).
#
# Offline machines: onnxruntime-node downloads the CUDA provider from NuGet
# (Microsoft.ML.OnnxRuntime.Gpu.Linux, the same version as onnxruntime-node). Where there is no
# internet, download that .nupkg elsewhere, unzip it, and point INFIX_ORT_CUDA_DIR at the unzipped
# folder (or at runtimes/linux-x64/native inside it). Needed: libonnxruntime_providers_cuda.so and
# libonnxruntime_providers_shared.so (libonnxruntime_providers_tensorrt.so is copied if present).
# The CUDA 12 runtime, cuBLAS and cuDNN 9 must be loadable too (ldconfig, LD_LIBRARY_PATH, or
# PyTorch's nvidia-*-cu12 pip wheels, which this script finds); CUDA 13 libraries do not serve.
# Such a machine also needs Node.js ≥ 20.19 and the repository's node_modules (`npm ci` made
# elsewhere on x86-64 Linux and copied over: about 0.5 GB, 0.3 GB of it onnxruntime-node).
set -euo pipefail

cd "$(dirname "$0")/.."
started=$SECONDS
phase() { echo "== $1 ($((SECONDS - started)) s elapsed)"; }
fail() {
  echo "gpu-check: $*" >&2
  exit 2
}

mode=gpu
if [[ ${1:-} == --cpu ]]; then mode=cpu && shift; elif [[ ${1:-} == --install-only ]]; then mode=install && shift; fi

ort_dir=node_modules/onnxruntime-node
[[ -f $ort_dir/package.json ]] || fail "no $ort_dir: run npm ci first"
ort_version=$(node -p "require('./$ort_dir/package.json').version")
bin_dir=$ort_dir/bin/napi-v6/linux/x64
needed=(libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so)

have_provider() {
  local file
  for file in "${needed[@]}"; do [[ -f $bin_dir/$file ]] || return 1; done
}

install_provider() {
  phase "onnxruntime-node $ort_version: CUDA execution provider"
  if have_provider; then
    echo "already installed in $bin_dir"
    return
  fi
  if [[ -n ${INFIX_ORT_CUDA_DIR:-} ]]; then
    local from=$INFIX_ORT_CUDA_DIR file
    [[ -d $from/runtimes/linux-x64/native ]] && from=$from/runtimes/linux-x64/native
    for file in "${needed[@]}"; do
      [[ -f $from/$file ]] || fail "INFIX_ORT_CUDA_DIR=$INFIX_ORT_CUDA_DIR has no $file; it needs ${needed[*]} from the unzipped Microsoft.ML.OnnxRuntime.Gpu.Linux $ort_version .nupkg (runtimes/linux-x64/native)"
    done
    cp "$from"/libonnxruntime_providers_*.so "$bin_dir"/
    echo "copied from $from"
    return
  fi
  # The same postinstall `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` would run;
  # run directly, it needs no npm 11 install-script approval (`npm approve-scripts onnxruntime-node`
  # is what a user's own `npm install` needs). The repository's .npmrc skips it during `npm ci`.
  if ! ONNXRUNTIME_NODE_INSTALL=cuda12 timeout 240 node "$ort_dir/script/install.js" || ! have_provider; then
    fail "could not download the CUDA provider from NuGet (no internet?). Offline: unzip Microsoft.ML.OnnxRuntime.Gpu.Linux $ort_version from nuget.org elsewhere and rerun with INFIX_ORT_CUDA_DIR=<that folder>; it needs ${needed[*]}"
  fi
}

in_path() {
  local dir
  IFS=: read -ra dirs <<<"${LD_LIBRARY_PATH:-}"
  for dir in "${dirs[@]}"; do [[ -n $dir && -e $dir/$1 ]] && return 0; done
  return 1
}

# PyTorch's CUDA wheels (nvidia-cudnn-cu12, nvidia-cublas-cu12, ...) keep their libraries in
# site-packages/nvidia/*/lib, where the loader does not look; offer them to onnxruntime too.
add_python_cuda_libraries() {
  local dirs
  dirs=$(python3 -c 'import glob, nvidia; print(":".join(d for p in nvidia.__path__ for d in glob.glob(p + "/*/lib")))' 2>/dev/null) || return 0
  [[ -n $dirs ]] && export LD_LIBRARY_PATH=$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  return 0
}

check_cuda_libraries() {
  local lib missing=()
  add_python_cuda_libraries
  for lib in libcudart.so.12 libcublas.so.12 libcublasLt.so.12 libcudnn.so.9 libcufft.so.11 libcurand.so.10; do
    ldconfig -p 2>/dev/null | grep -q "$lib" && continue
    in_path "$lib" || missing+=("$lib")
  done
  # A warning, not a failure: the libraries may sit where the loader finds them some other way;
  # if they do not, session creation fails loudly in the driver (no CPU fallback there).
  ((${#missing[@]} == 0)) ||
    echo "warning: not found by ldconfig or LD_LIBRARY_PATH: ${missing[*]}. onnxruntime-node $ort_version's CUDA provider is built for CUDA 12 and cuDNN 9; a machine with only CUDA 13 needs the CUDA 12 runtime, cuBLAS and cuDNN 9 for CUDA 12 (e.g. the nvidia-*-cu12 pip wheels) on LD_LIBRARY_PATH"
}

case $mode in
  install)
    install_provider
    check_cuda_libraries
    exit 0
    ;;
  cpu)
    phase "driver on the CPU, tiny random checkpoint"
    exec node --import tsx bench/gpu.ts --cpu --size tiny "$@"
    ;;
esac

phase "GPU"
command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: this check needs an NVIDIA GPU and its driver (use --cpu for the dry run)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || fail "nvidia-smi sees no GPU"
install_provider
check_cuda_libraries
phase "driver: full-size random checkpoint, fp16, CUDA"
# The whole check must stay within 8 minutes; the driver prints its own phases.
timeout --kill-after=10 $((480 - (SECONDS - started))) node --import tsx bench/gpu.ts --size full --precision fp16 "$@"
phase "done"
