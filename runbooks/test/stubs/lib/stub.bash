# shellcheck shell=bash
# Shared by the recording stubs of the dr tests (aws, pulumi, kubectl, curl,
# getent). Each stub appends "<DR_STEP>\t<argv>" to $STUB_LOG (DR_STEP is the
# runbook step that made the call: the tests read the calls of each step,
# which is deterministic even when steps run in parallel) and keeps its exact
# argv, shell-quoted, in $STUB_STATE/argv/<tool>.log for the tests that
# replay the calls through the real clients. State lives in $STUB_STATE as
# small files of `declare -g name=value` lines (read without any fork: the
# suite makes thousands of calls).
#
# Fault injection (tests):
#   STUB_FAIL_PATTERN  extended regex over "<tool> <argv>": the matching call
#                      fails with STUB_FAIL_MESSAGE and exit STUB_FAIL_RC
#                      (default: the tool's own error status), changing nothing;
#   STUB_KILL_PATTERN  the matching call takes effect, then the whole run (its
#                      session: the tests start dr with setsid) is killed with
#                      SIGKILL, as if the operator's laptop died.

st=${STUB_STATE:?}

# stub::record TOOL ARGS... : log the call.
stub::record() {
  local tool=$1
  shift
  STUB_LINE="$tool $*"
  printf '%s\t%s\n' "${DR_STEP:--}" "$STUB_LINE" >>"${STUB_LOG:?}"
  printf '%q ' "$@" >>"$st/argv/$tool.log"
  printf '\n' >>"$st/argv/$tool.log"
}

# stub::inject DEFAULT_RC : apply STUB_FAIL_PATTERN to the recorded call.
stub::inject() {
  if [[ -n ${STUB_FAIL_PATTERN:-} && $STUB_LINE =~ $STUB_FAIL_PATTERN ]]; then
    printf '%s\n' "${STUB_FAIL_MESSAGE:-stub failure}" >&2
    exit "${STUB_FAIL_RC:-$1}"
  fi
}

# stub::maybe_kill : after the call took effect, kill the run's session when
# STUB_KILL_PATTERN matches (once per test: a marker file).
stub::maybe_kill() {
  if [[ -n ${STUB_KILL_PATTERN:-} && ! -e $st/killed && $STUB_LINE =~ $STUB_KILL_PATTERN ]]; then
    : >"$st/killed"
    local sid
    sid=$(ps -o sid= -p $$ | tr -d ' ')
    # Only a session that dr leads (started with setsid by the test), never
    # the test runner's own.
    if ! tr '\0' ' ' <"/proc/$sid/cmdline" | grep -q 'bin/dr'; then
      echo "stub: STUB_KILL_PATTERN needs dr started with setsid (session $sid is not dr's)" >&2
      exit 99
    fi
    pkill -KILL -s "$sid"
    sleep 5 # not reached
  fi
}

# stub::save FILE NAME... : write the named variables to FILE (atomically).
stub::save() {
  local f=$1 n
  shift
  for n in "$@"; do printf 'declare -g %s=%q\n' "$n" "${!n}"; done >"$f.$$"
  mv "$f.$$" "$f"
}

# stub::json_str VALUE : prints VALUE as a JSON string.
stub::json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\t'/\\t}
  s=${s//$'\n'/\\n}
  printf '"%s"' "$s"
}

# Proof that waits overlap (tests): with STUB_REQUIRE_OVERLAP="name ...",
# the listed changes leave a marker when made (stub::overlap_mark NAME), and
# a poll of a change under way waits up to 10 s until every listed change was
# made (stub::overlap_wait). A runbook that finished one wait before starting
# the next change deadlocks there and fails: a passing run proves that the
# listed changes were all under way at once.
stub::overlap_mark() { [[ -z ${STUB_REQUIRE_OVERLAP:-} ]] || : >"$st/overlap.$1"; }
stub::overlap_wait() {
  [[ " ${STUB_REQUIRE_OVERLAP:-} " == *" $1 "* ]] || return 0
  local o i
  for o in $STUB_REQUIRE_OVERLAP; do
    for ((i = 0; i < 100; i++)); do [[ -e $st/overlap.$o ]] && break; sleep 0.1; done
    [[ -e $st/overlap.$o ]] || { echo "stub: $STUB_LINE waited while '$o' was never made: the waits do not overlap" >&2; exit 255; }
  done
}
