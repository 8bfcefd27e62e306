#!/usr/bin/env bash
# Publishes AotClassifier with NativeAOT, runs it and the JIT build, and checks that
#  - the publish printed no warning (AOT analysis, trimming, or any other), and
#  - both builds print identical results (every line up to and including "output sha256").
# Usage: Samples/AotClassifier/check.sh [output folder]   (default: a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"

dotnet build Samples/AotClassifier -c Release -o "$out/jit" -tl:off -v:q -nologo > "$out/jit-build.log" 2>&1 \
  || { cat "$out/jit-build.log"; exit 1; }
start=$(date +%s)
dotnet publish Samples/AotClassifier -c Release -r linux-x64 -o "$out/aot" -tl:off -nologo > "$out/publish.log" 2>&1 \
  || { cat "$out/publish.log"; exit 1; }
echo "NativeAOT publish: $(( $(date +%s) - start )) s, executable $(stat -c %s "$out/aot/AotClassifier") bytes"
if grep -E "warning [A-Z]+[0-9]+" "$out/publish.log"; then
  echo "FAIL: the NativeAOT publish printed warnings (above)"; exit 1
fi

"$out/jit/AotClassifier" | tee "$out/jit.txt"
"$out/aot/AotClassifier" | tee "$out/aot.txt"
results() { sed '/^output sha256/q' "$1"; }
if diff <(results "$out/jit.txt") <(results "$out/aot.txt"); then
  echo "OK: NativeAOT and JIT print identical results; no publish warnings"
else
  echo "FAIL: NativeAOT and JIT results differ (diff above)"; exit 1
fi
