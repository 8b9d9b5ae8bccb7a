#!/usr/bin/env bash
# Installs the Debian packages stratum needs (as root, when any is missing). Idempotent.
set -euo pipefail
pkgs=(build-essential cmake git libeigen3-dev libxsimd-dev libboost-dev libboost-math-dev libsimdjson-dev
      doctest-dev libbenchmark-dev python3 python3-numpy python3-scipy python3-statsmodels
      libopenmpi-dev openmpi-bin)
pkgs+=(python3-sklearn)  # tests/oracles/calibration.py: sklearn calibration_curve, brier_score_loss
pkgs+=(python3-mpmath)   # tests/oracles/{proportion,two_proportions,sample_size}.py: high-precision references
pkgs+=(clang libclang-rt-14-dev)  # scripts/fuzz.sh: libFuzzer targets (fuzz/)
pkgs+=(clang-format)     # tests/format.cmake: the sources follow .clang-format
pkgs+=(python3-jsonschema chromium)  # tests/evidence.cmake: the pack against its schema; the page in a browser
pkgs+=(python3-pil)      # tests/image_size_check.py: image sizes from headers against Pillow
pkgs+=(libexpat1-dev)    # io/voc.hpp: Pascal VOC XML (stratum::xml)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "stratum: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
