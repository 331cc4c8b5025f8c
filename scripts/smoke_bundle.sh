#!/usr/bin/env bash
# Smoke test of the whole program as a user runs it: --version, --help, a bad command,
# passphrase, then a relay on 127.0.0.1 with two pipe-mode members, one sending a message
# that the other must receive, and the relay stopped with SIGTERM.
#
# Usage:
#   scripts/smoke_bundle.sh              bundle main.ts into dist/chat.bundle.js with
#                                        `deno bundle` and test `deno run <flags> dist/chat.bundle.js`
#   scripts/smoke_bundle.sh CMD [ARG...] test that command instead, e.g. dist/chat (a compiled binary)
#
# <flags> are the permission flags of the "chat" task in deno.json, exactly.
# Every step runs under `timeout`; background processes are cleaned up on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export NO_COLOR=1 DENO_NO_UPDATE_CHECK=1
unset CHAT_PASSPHRASE

fail() {
  echo "smoke: FAIL: $*" >&2
  exit 1
}
step() { echo "smoke: $*"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/chat-smoke.XXXXXX")"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Keep the program's per-user files (XDG data and config) out of the real home directory.
export XDG_DATA_HOME="$work/xdg-data" XDG_CONFIG_HOME="$work/xdg-config"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$work/relay-data"

if [[ $# -gt 0 ]]; then
  cmd=("$@")
else
  command -v deno >/dev/null 2>&1 || fail "deno is not on PATH"
  # The permission flags of the "chat" task: everything between `deno run` and `main.ts`.
  flags_text="$(
    deno eval --no-config '
      const task = JSON.parse(Deno.readTextFileSync("deno.json"))?.tasks?.chat;
      const match = typeof task === "string" ? task.match(/^\s*deno\s+run\s+(.*?)\s*main\.ts(\s|$)/) : null;
      if (!match) {
        console.error(`deno.json: the "chat" task is not "deno run <flags> main.ts ...": ${task}`);
        Deno.exit(1);
      }
      for (const flag of match[1].split(/\s+/)) if (flag !== "") console.log(flag);
    '
  )" || fail "could not read the permission flags from the chat task in deno.json"
  flags=()
  [[ -z "$flags_text" ]] || mapfile -t flags <<<"$flags_text"

  step "deno bundle --platform deno --packages bundle -o dist/chat.bundle.js main.ts"
  mkdir -p dist
  timeout 300 deno bundle --platform deno --packages bundle -o dist/chat.bundle.js main.ts ||
    fail "deno bundle failed"
  # npm packages must be inside the bundle, not imported from the npm cache at run time.
  if grep -n -E '(from|import\(|require\()[[:space:]]*["'"'"'](npm|jsr|https?):' dist/chat.bundle.js; then
    fail "dist/chat.bundle.js still imports packages (above); they must be bundled in"
  fi
  cmd=(deno run "${flags[@]}" "$root/dist/chat.bundle.js")
fi
step "testing: ${cmd[*]}"

# run SECONDS ARGS...: the program with ARGS under a timeout, stdin from /dev/null, output to
# $work/out and $work/err; sets rc.
run() {
  local limit="$1"
  shift
  rc=0
  timeout -k 5 "$limit" "${cmd[@]}" "$@" </dev/null >"$work/out" 2>"$work/err" || rc=$?
}
show() {
  echo "--- stdout:" >&2
  cat "$work/out" >&2
  echo "--- stderr:" >&2
  cat "$work/err" >&2
}

step "--version"
run 60 --version
[[ $rc -eq 0 ]] || {
  show
  fail "--version exited $rc, expected 0"
}
grep -q '^chat ' "$work/out" || {
  show
  fail "--version did not print \"chat <version>\""
}
step "  $(head -1 "$work/out")"

step "--help"
run 60 --help
[[ $rc -eq 0 ]] || {
  show
  fail "--help exited $rc, expected 0"
}
grep -q -i 'usage' "$work/out" || {
  show
  fail "--help printed no usage"
}

step "a bad command exits 2"
run 60 no-such-command
[[ $rc -eq 2 ]] || {
  show
  fail "a bad command exited $rc, expected 2"
}

step "passphrase"
run 60 passphrase
[[ $rc -eq 0 ]] || {
  show
  fail "passphrase exited $rc, expected 0"
}
passphrase="$(head -1 "$work/out")"
[[ "$passphrase" =~ ^[[:alpha:]]+(-[[:alpha:]]+){7}$ ]] || {
  show
  fail "passphrase printed \"$passphrase\", expected 8 words joined by -"
}

step "serve --host 127.0.0.1 --port 0"
timeout -k 5 180 "${cmd[@]}" serve --host 127.0.0.1 --port 0 --data "$work/relay-data" \
  </dev/null >"$work/serve.out" 2>"$work/serve.err" &
server=$!
pids+=("$server")
first=""
for _ in $(seq 1 300); do # up to 60 s for the first line
  first="$(head -1 "$work/serve.out")"
  [[ -z "$first" ]] || break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.2
done
[[ "$first" =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] || {
  cat "$work/serve.out" "$work/serve.err" >&2
  fail "serve's first line was \"$first\", expected \"listening on 127.0.0.1:PORT\""
}
port="${BASH_REMATCH[1]}"
[[ "$port" -gt 0 ]] || fail "serve listened on port $port"
step "  relay on 127.0.0.1:$port"

# Member b listens in pipe mode, and creates the room (--create: a script must say so): its input stays open (and empty) until a has sent its
# message and b has printed it, or 30 s have passed; then b leaves and exits.
step "join --name b (receiver)"
mkfifo "$work/b.in"
(
  for _ in $(seq 1 150); do
    [[ -e "$work/a.done" ]] && grep -q 'hello-smoke' "$work/b.out" 2>/dev/null && break
    sleep 0.2
  done
  sleep 0.5
) >"$work/b.in" &
pids+=("$!")
CHAT_PASSPHRASE="$passphrase" timeout -k 5 90 "${cmd[@]}" \
  join "127.0.0.1:$port" --name b --json --create <"$work/b.in" >"$work/b.out" 2>"$work/b.err" &
member_b=$!
pids+=("$member_b")
for _ in $(seq 1 300); do # up to 60 s for b to be in the room before a talks
  grep -q '"type":"ready"' "$work/b.out" 2>/dev/null && break
  kill -0 "$member_b" 2>/dev/null || break
  sleep 0.2
done
grep -q '"type":"ready"' "$work/b.out" || {
  cat "$work/b.out" "$work/b.err" >&2
  fail "b never printed a ready event"
}

step "join --name a: sends hello-smoke"
rc_a=0
printf 'hello-smoke\n' | CHAT_PASSPHRASE="$passphrase" timeout -k 5 90 "${cmd[@]}" \
  join "127.0.0.1:$port" --name a --json >"$work/a.out" 2>"$work/a.err" || rc_a=$?
touch "$work/a.done"
[[ $rc_a -eq 0 ]] || {
  cat "$work/a.out" "$work/a.err" >&2
  fail "join --name a exited $rc_a, expected 0"
}
grep -q '"type":"ack"' "$work/a.out" || {
  cat "$work/a.out" "$work/a.err" >&2
  fail "a got no ack for its message"
}

rc_b=0
wait "$member_b" || rc_b=$?
[[ $rc_b -eq 0 ]] || {
  cat "$work/b.out" "$work/b.err" >&2
  fail "join --name b exited $rc_b, expected 0"
}
grep '"type":"message"' "$work/b.out" | grep -q '"text":"hello-smoke"' || {
  cat "$work/b.out" "$work/b.err" >&2
  fail "b did not receive hello-smoke as a \"type\":\"message\" line"
}
step "  b received: $(grep '"text":"hello-smoke"' "$work/b.out" | head -1)"

step "SIGTERM stops the relay with exit 0"
kill -TERM "$server"
for _ in $(seq 1 100); do # up to 20 s
  kill -0 "$server" 2>/dev/null || break
  sleep 0.2
done
rc_s=0
if kill -0 "$server" 2>/dev/null; then
  cat "$work/serve.out" "$work/serve.err" >&2
  fail "the relay was still running 20 s after SIGTERM"
fi
wait "$server" || rc_s=$?
[[ $rc_s -eq 0 ]] || {
  cat "$work/serve.out" "$work/serve.err" >&2
  fail "serve exited $rc_s after SIGTERM, expected 0"
}

step "serve --tls --data :memory: (a certificate made at start, with the bundled X.509 code)"
: >"$work/tls.out"
timeout -k 5 120 "${cmd[@]}" serve --tls --host 127.0.0.1 --port 0 --data :memory: \
  </dev/null >"$work/tls.out" 2>"$work/tls.err" &
tls_server=$!
pids+=("$tls_server")
fingerprint=""
for _ in $(seq 1 300); do # up to 60 s for the fingerprint line
  fingerprint="$(sed -n 's/^TLS certificate fingerprint \(SHA256:[A-Za-z0-9+\/]*\)$/\1/p' "$work/tls.out")"
  [[ -z "$fingerprint" ]] || break
  kill -0 "$tls_server" 2>/dev/null || break
  sleep 0.2
done
[[ -n "$fingerprint" ]] || {
  cat "$work/tls.out" "$work/tls.err" >&2
  fail "serve --tls printed no \"TLS certificate fingerprint SHA256:...\" line"
}
[[ "$(head -1 "$work/tls.out")" =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] ||
  fail "serve --tls's first line was not \"listening on 127.0.0.1:PORT\""
tls_port="${BASH_REMATCH[1]}"

step "join --fingerprint $fingerprint: sends hello-tls"
rc_t=0
printf 'hello-tls\n' | CHAT_PASSPHRASE="$passphrase" timeout -k 5 90 "${cmd[@]}" \
  join "127.0.0.1:$tls_port" --fingerprint "$fingerprint" --name t --json --create \
  >"$work/t.out" 2>"$work/t.err" || rc_t=$?
[[ $rc_t -eq 0 ]] && grep -q '"type":"ack"' "$work/t.out" || {
  cat "$work/t.out" "$work/t.err" >&2
  fail "join over TLS exited $rc_t or got no ack"
}
kill -TERM "$tls_server"
wait "$tls_server" || fail "serve --tls exited non-zero after SIGTERM"

echo "smoke: ok (${cmd[*]})"
