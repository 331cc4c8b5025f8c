#!/usr/bin/env bash
# Compiles main.ts into one self-contained executable named `chat` with `deno compile`.
#
# Exit codes: 0 built; 1 the compile failed; 2 usage error; 3 the Deno runtime (denort) that
# `deno compile` embeds could not be had (it is downloaded from dl.deno.land unless DENORT_BIN
# names a local denort binary), so nothing was built. .ci/run treats 3 as "skipped".
set -euo pipefail

TARGETS=(
  x86_64-unknown-linux-gnu
  aarch64-unknown-linux-gnu
  x86_64-apple-darwin
  aarch64-apple-darwin
  x86_64-pc-windows-msvc
)

usage() {
  cat <<EOF
Usage: scripts/compile.sh [--target TRIPLE] [--output PATH]

Compiles main.ts into a single executable named chat, with exactly the permission flags of
the "chat" task in deno.json (the ones "deno task serve" and "deno task join" use).

Options:
  --target TRIPLE   build for another platform (default: this machine's). One of:
                      ${TARGETS[*]}
  --output PATH     where to write the executable
                    (default: dist/chat, or dist/chat.exe for a Windows target)
  -h, --help        show this help

Environment:
  DENORT_BIN        a local denort binary (the runtime deno compile embeds) for the target;
                    without it deno compile downloads denort from dl.deno.land.

Exit codes: 0 built, 1 compile failed, 2 usage error, 3 denort runtime unavailable.
EOF
}

die_usage() {
  echo "compile: $1" >&2
  echo "Try: scripts/compile.sh --help" >&2
  exit 2
}

target=""
output=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --target)
      [[ $# -ge 2 ]] || die_usage "--target needs a value"
      target="$2"
      shift 2
      ;;
    --target=*)
      target="${1#--target=}"
      shift
      ;;
    --output | -o)
      [[ $# -ge 2 ]] || die_usage "$1 needs a value"
      output="$2"
      shift 2
      ;;
    --output=*)
      output="${1#--output=}"
      shift
      ;;
    *) die_usage "unknown argument \"$1\"" ;;
  esac
done

if ! command -v deno >/dev/null 2>&1; then
  echo "compile: deno is not on PATH" >&2
  exit 1
fi

# Resolve a relative --output against the caller's directory before moving to the project root.
if [[ -n "$output" && "$output" != /* ]]; then
  output="$PWD/$output"
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

host_target="$(deno eval --no-config 'console.log(Deno.build.target)')"
if [[ -z "$target" ]]; then
  target="$host_target"
else
  known=0
  for t in "${TARGETS[@]}"; do [[ "$t" == "$target" ]] && known=1; done
  [[ $known -eq 1 ]] || die_usage "unsupported target \"$target\" (supported: ${TARGETS[*]})"
fi

if [[ -z "$output" ]]; then
  case "$target" in
    *windows*) output="$root/dist/chat.exe" ;;
    *) output="$root/dist/chat" ;;
  esac
fi

# The permission flags come from the "chat" task in deno.json, everything between `deno run` and
# `main.ts`, so the compiled binary gets exactly the permissions `deno task serve` and
# `deno task join` run with (deno compile bakes them into the executable). One flag per line.
flags_text="$(
  deno eval --no-config '
    const task = JSON.parse(Deno.readTextFileSync("deno.json"))?.tasks?.chat;
    const match = typeof task === "string" ? task.match(/^\s*deno\s+run\s+(.*?)\s*main\.ts(\s|$)/) : null;
    if (!match) {
      console.error(`deno.json: the "chat" task is not "deno run <flags> main.ts ...": ${task}`);
      Deno.exit(1);
    }
    const flags = match[1].split(/\s+/).filter((flag) => flag !== "");
    const odd = flags.find((flag) => !flag.startsWith("-") || /["'"'"'\\$`]/.test(flag));
    if (odd !== undefined) {
      console.error(`deno.json: cannot pass on the "chat" task flag ${odd}`);
      Deno.exit(1);
    }
    for (const flag of flags) console.log(flag);
  '
)" || {
  echo "compile: could not read the permission flags from the chat task in deno.json" >&2
  exit 1
}
flags=()
if [[ -n "$flags_text" ]]; then
  mapfile -t flags <<<"$flags_text"
fi

# deno compile itself reads DENORT_BIN (the path of the runtime to embed instead of downloading
# denort-TARGET.zip; see get_base_binary in the deno CLI's standalone binary writer). It is not
# listed in `deno compile --help`, so check it here and pass it on through the environment.
if [[ -n "${DENORT_BIN:-}" ]]; then
  if [[ ! -f "$DENORT_BIN" || ! -r "$DENORT_BIN" ]]; then
    echo "compile: DENORT_BIN=$DENORT_BIN is not a readable file" >&2
    exit 1
  fi
  export DENORT_BIN
  if [[ "$target" != "$host_target" ]]; then
    echo "compile: note: DENORT_BIN is used as is for every target; it must be a denort for $target" >&2
  fi
fi

mkdir -p "$(dirname "$output")"
log="$(mktemp "${TMPDIR:-/tmp}/chat-compile.XXXXXX")"
trap 'rm -f "$log"' EXIT

echo "compile: deno compile --target $target --output $output ${flags[*]} main.ts" >&2
status=0
NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 timeout 900 deno compile \
  --target "$target" --output "$output" "${flags[@]}" main.ts 2>"$log" || status=$?
cat "$log" >&2

if [[ $status -eq 0 ]]; then
  built="$output"
  [[ -f "$built" || ! -f "$built.exe" ]] || built="$built.exe"
  echo "compile: built $built for $target" >&2
  exit 0
fi

# The runtime could not be downloaded: no DENORT_BIN, and the error deno reported names denort
# and is a network failure (DNS, connect, TLS, HTTP status), or the download timed out.
error_text="$(sed -n '/^error:/,$p' "$log")"
if [[ -z "${DENORT_BIN:-}" ]] &&
  { [[ $status -eq 124 ]] && grep -q -i 'denort' "$log" ||
    grep -q -i 'denort' <<<"$error_text" &&
    grep -q -i -E 'error sending request|dns error|failed to lookup|client error|connect|timed out|tls|certificate|bad response|status code|network|unreachable' <<<"$error_text"; }; then
  echo "compile: cannot download the Deno runtime (denort) for $target; set DENORT_BIN to a local denort binary or run where dl.deno.land is reachable" >&2
  exit 3
fi

echo "compile: deno compile failed (exit $status)" >&2
exit 1
