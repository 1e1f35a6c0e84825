#!/usr/bin/env bash
# Fuzzes the SMTP command parser and the DATA/BDAT reader with AFL++ and SharpFuzz for a bounded time.
#   scripts/fuzz.sh [command|data|bdat|all] [seconds per target]      (defaults: all, 60)
# Installs afl++ (apt) and the sharpfuzz tool (.tools/) when missing, publishes the fuzz project, instruments
# EmailPipeline.Smtp.dll, runs afl-fuzz once per target and exits non-zero when any crash or hang was saved.
# Findings go to artifacts/fuzz/<target>/ (ignored by git); copy a crash to fuzz/regressions/<target>/ to keep it.
# FUZZ_MEMORY_MB caps the managed heap of the target (default 512): going over it is an OutOfMemoryException,
# which AFL saves as a crash, so unbounded growth is found like any other failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

target=${1:-all}
seconds=${2:-60}
memory_mb=${FUZZ_MEMORY_MB:-512}
case "$target" in
  all) targets=(command data bdat) ;;
  command|data|bdat) targets=("$target") ;;
  *) echo "usage: scripts/fuzz.sh [command|data|bdat|all] [seconds]" >&2; exit 2 ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || { echo "fuzz.sh: seconds must be a positive integer" >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v afl-fuzz >/dev/null; then
  echo "== installing afl++"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi

sharpfuzz="$root/.tools/sharpfuzz"
if [ ! -x "$sharpfuzz" ]; then
  echo "== installing SharpFuzz.CommandLine"
  dotnet tool install --tool-path "$root/.tools" SharpFuzz.CommandLine --version '2.3.*' >/dev/null
fi

out="$root/artifacts/fuzz"
bin="$out/bin"
echo "== publishing and instrumenting"
# A clean folder every time: publish skips files that look up to date, and instrumenting twice fails.
rm -rf "$bin"
dotnet publish fuzz/EmailPipeline.Smtp.Fuzz -c Release -o "$bin" -nologo -v q >"$out.publish.log" 2>&1 \
  || { grep -E 'error|warn' "$out.publish.log" | sort -u | head -n 20; exit 1; }
"$sharpfuzz" "$bin/EmailPipeline.Smtp.dll"
# Crashes are replayed through the uninstrumented build: instrumented code needs AFL's shared memory.
dotnet build fuzz/EmailPipeline.Smtp.Fuzz -c Release -nologo -v q >/dev/null
replay="$root/fuzz/EmailPipeline.Smtp.Fuzz/bin/Release/net10.0/EmailPipeline.Smtp.Fuzz.dll"

# The container has no CPU governor to tune and no core_pattern to own; AFL only needs to be told so.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
# The target is `dotnet`, not an AFL-compiled binary; SharpFuzz speaks the fork-server protocol itself.
export AFL_SKIP_BIN_CHECK=1
# The runtime takes a few seconds to start before the fork server answers.
export AFL_FORKSRV_INIT_TMOUT=30000
export DOTNET_GCHeapHardLimit=$(printf '0x%x' $((memory_mb * 1024 * 1024)))

status=0
summary=()
for t in "${targets[@]}"; do
  findings="$out/$t"
  rm -rf "$findings"
  echo "== afl-fuzz $t for ${seconds}s (heap limit ${memory_mb} MB)"
  # -m none: the .NET runtime reserves far more address space than it uses, so AFL's rlimit would stop it
  # starting; the GC heap limit above bounds memory instead. -t: one input may take at most 2 s.
  # -x: SMTP keywords and line endings, which byte-level mutation alone rarely assembles.
  # timeout is only a backstop should afl-fuzz itself not stop at -V.
  timeout $((seconds + 180)) afl-fuzz -i "fuzz/corpus/$t" -o "$findings" -x fuzz/smtp.dict -V "$seconds" -t 2000 -m none \
    -- dotnet "$bin/EmailPipeline.Smtp.Fuzz.dll" "$t" >"$findings.log" 2>&1 || {
      echo "afl-fuzz $t failed:"; tail -n 30 "$findings.log"; status=1; continue; }

  stats="$findings/default/fuzzer_stats"
  stat() { sed -n "s/^$1 *: *//p" "$stats"; }
  crashes=$(find "$findings/default/crashes" -type f -name 'id:*' 2>/dev/null | sort || true)
  hangs=$(find "$findings/default/hangs" -type f -name 'id:*' 2>/dev/null | sort || true)
  line="$t: $(stat run_time) s, $(stat execs_done) execs, $(stat execs_per_sec) execs/s, $(stat corpus_count) corpus entries ($(stat corpus_found) new), coverage $(stat bitmap_cvg), $(stat saved_crashes) crashes, $(stat saved_hangs) hangs"
  echo "$line"
  summary+=("$line")
  if [ -n "$crashes" ] || [ -n "$hangs" ]; then
    status=1
    for f in $crashes; do
      echo "crash: $f"
      { dotnet "$replay" "$t" --replay "$f" 2>&1 || true; } | head -n 3 | sed 's/^/  /'
    done
    for f in $hangs; do echo "hang: $f"; done
  fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
