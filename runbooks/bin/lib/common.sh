# shellcheck shell=bash
# Shared helpers for runbooks/bin/dr: logging, the timeline, dry-run aware
# command execution, confirmation, failure reporting and stack outputs.
# Sourced by runbooks/bin/dr; not meant to be run on its own.

# ---------------------------------------------------------------- settings --
# Globals are set by runbooks/bin/dr before any helper runs:
#   DRY_RUN (0|1) ASSUME_YES (0|1) TIMELINE (absolute path)
#   PRIMARY_STACK STANDBY_STACK WORKDIR (private temp dir)
#   CURRENT_STEP (name of the step in progress)
: "${DR_POLL_INTERVAL:=15}"       # seconds between polls of a waiting loop
: "${DR_NODES_TIMEOUT:=600}"      # nodes Ready after scaling
: "${DR_APP_TIMEOUT:=600}"        # app answering through app.<domain>
: "${DR_LAG_TIMEOUT:=3600}"       # failback: rebuilt replica catches up
: "${DR_SWITCHOVER_LAG_TIMEOUT:=900}" # switchover: lag reaches 0 with writes paused
: "${DR_PROMOTE_TIMEOUT:=1800}"   # promoted instance reports no source
: "${DR_ROUTE53_REGION:=us-east-1}" # Route 53 is global; its API lives here

CURRENT_STEP=${CURRENT_STEP:-start}
CONFIRMED=0
NO_TIMELINE=0 # status and preflight do not write the timeline

# ------------------------------------------------------------------ output --
say()  { printf '%s\n' "$*"; }
info() { printf 'dr: %s\n' "$*"; }
warn() { printf 'dr: WARNING: %s\n' "$*" >&2; }

# quote_cmd ARGS... : one copy-pasteable line (single quotes only when needed)
quote_cmd() {
  local out="" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then
      out+="$a "
    else
      out+="'${a//\'/\'\\\'\'}' "
    fi
  done
  printf '%s' "${out% }"
}

dry() { [[ ${DRY_RUN:-0} == 1 ]]; }

# plan LINE : dry-run output, always to the script's stdout (fd 7, opened by
# dr), also from inside command substitutions, so the plan reads in order.
plan() { printf '%s\n' "$*" >&7; }

# ---------------------------------------------------------------- timeline --
now_iso_ms() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# timeline EVENT DETAIL : append "<ts>\t<event>\t<detail>" (tabs/newlines in
# the detail are flattened so that one event is always one line).
timeline() {
  local event=$1 detail=${2:-} ts
  detail=${detail//$'\t'/ }
  detail=${detail//$'\n'/ }
  detail=${detail//$'\r'/ }
  ts=$(now_iso_ms)
  if dry; then
    plan "DRY-RUN timeline (not written): ${ts}	${event}	${detail}"
    return 0
  fi
  printf '%s\t%s\t%s\n' "$ts" "$event" "$detail" >>"$TIMELINE"
  info "[$event] $detail"
}

step() {
  CURRENT_STEP=$1
  : >"$WORKDIR/error"
  say ""
  say "==> step: $1"
}

# ----------------------------------------------------------------- failure --
# fail REASON : stop the current step. At top level it records step-failed and
# exits; inside a command substitution it hands the reason to the parent,
# whose ERR trap records it (so the failure is recorded exactly once).
fail() {
  local reason="$*"
  if ((BASH_SUBSHELL > 0)); then
    # the first reason recorded is the root cause; keep it
    [[ -s $WORKDIR/error ]] || printf '%s\n' "$reason" >"$WORKDIR/error"
    exit 1
  fi
  if [[ -s $WORKDIR/error ]]; then reason+=" ($(<"$WORKDIR/error"))"; fi
  report_failure "$reason" 1
}

report_failure() {
  local reason=$1 rc=${2:-1}
  trap - ERR
  printf 'dr: step "%s" failed: %s\n' "$CURRENT_STEP" "$reason" >&2
  if ! dry && ((!NO_TIMELINE)) && [[ -n ${TIMELINE:-} ]]; then
    reason=${reason//$'\t'/ }
    reason=${reason//$'\n'/ }
    printf '%s\tstep-failed\t%s: %s\n' "$(now_iso_ms)" "$CURRENT_STEP" "$reason" >>"$TIMELINE"
  fi
  exit "$rc"
}

on_err() {
  local rc=$1 cmd=$2 reason
  if ((BASH_SUBSHELL > 0)); then
    [[ -s $WORKDIR/error ]] || printf 'command failed (exit %s): %s\n' "$rc" "$cmd" >"$WORKDIR/error"
    exit "$rc"
  fi
  if [[ -s $WORKDIR/error ]]; then
    reason=$(<"$WORKDIR/error")
  else
    reason="command failed (exit $rc): $cmd"
  fi
  report_failure "$reason" "$rc"
}

# ------------------------------------------------------- running commands --
# _exec ARGS... : run, capture stderr, fail with the command and its error.
_exec() {
  local rc=0 errf="$WORKDIR/stderr"
  "$@" 2>"$errf" || rc=$?
  if [[ -s $errf ]]; then cat "$errf" >&2; fi
  if ((rc != 0)); then
    fail "$(quote_cmd "$@") exited $rc: $(tail -n 3 "$errf" | tr '\n\t' '  ')"
  fi
}

# run ARGS... : a command that changes something (cloud, stack config, state).
# Dry-run prints it and runs nothing.
run() {
  if dry; then
    plan "DRY-RUN: $(quote_cmd "$@")"
    return 0
  fi
  say "+ $(quote_cmd "$@")" >&2
  _exec "$@"
}

# q ARGS... : a read-only query whose stdout is the answer. Dry-run prints it,
# runs nothing and answers "" (every step then plans its full action).
q() {
  if dry; then
    plan "DRY-RUN (read): $(quote_cmd "$@")"
    return 0
  fi
  _exec "$@"
}

# q_try ARGS... : like q but returns the command's status instead of failing
# (for probes whose failure is an answer, e.g. an unset config key).
q_try() {
  if dry; then
    plan "DRY-RUN (read): $(quote_cmd "$@")"
    return 1
  fi
  "$@" 2>/dev/null
}

# ------------------------------------------------------------ confirmation --
# confirm_once MESSAGE : ask before the first destructive action of a run.
confirm_once() {
  ((CONFIRMED)) && return 0
  if ((ASSUME_YES)); then CONFIRMED=1; return 0; fi
  if dry; then
    plan "DRY-RUN: would ask for confirmation: $1"
    CONFIRMED=1
    return 0
  fi
  if [[ ! -t 0 ]]; then
    fail "confirmation required ($1) but stdin is not a terminal; re-run with --yes to confirm"
  fi
  local answer=""
  printf '\n%s\nType "yes" to continue: ' "$1" >&2
  read -r answer || true
  [[ $answer == yes ]] || fail "not confirmed by the operator (answered \"$answer\")"
  CONFIRMED=1
}

# ------------------------------------------------------------ stack outputs --
declare -A STACK_JSON=()

# load_outputs STACK : one `pulumi stack output --json -s STACK` per stack.
# Read-only; it runs in dry-run too (printed), so that the plan names real ids.
load_outputs() {
  local stack=$1 json
  [[ -n ${STACK_JSON[$stack]:-} ]] && return 0
  if dry; then
    plan "DRY-RUN (read, executed): $(quote_cmd pulumi stack output --json -s "$stack")"
  else
    say "reading outputs: $(quote_cmd pulumi stack output --json -s "$stack")" >&2
  fi
  json=$(_exec pulumi stack output --json -s "$stack") || return
  jq -e 'type == "object"' >/dev/null 2>&1 <<<"$json" \
    || fail "pulumi stack output --json -s $stack did not return a JSON object"
  STACK_JSON[$stack]=$json
}

# read_both_outputs : the read-outputs step every command starts with.
read_both_outputs() {
  step read-outputs
  load_outputs "$PRIMARY_STACK"
  load_outputs "$STANDBY_STACK"
}

# out STACK PATH : one output (PATH may be nested: nodeGroup.asgName).
out() {
  local stack=$1 path=$2 v
  [[ -n ${STACK_JSON[$stack]:-} ]] || load_outputs "$stack"
  v=$(jq -r --arg p "$path" '
      getpath($p | split(".")) as $v
      | if $v == null or $v == "" then "__DR_MISSING_OUTPUT__" elif ($v | type) == "object" or ($v | type) == "array" then ($v | tojson) else ($v | tostring) end' \
      <<<"${STACK_JSON[$stack]}")
  if [[ $v == __DR_MISSING_OUTPUT__ ]]; then
    fail "stack '$stack' has no output '$path' (read with: pulumi stack output --json -s $stack); run 'pulumi up -s $stack' or check the stack name"
  fi
  printf '%s\n' "$v"
}

# require_outputs STACK PATH... : fail early, before any change, naming the
# first missing output.
require_outputs() {
  local stack=$1 p
  shift
  for p in "$@"; do out "$stack" "$p" >/dev/null; done
}

# ------------------------------------------------------------------- time --
iso_minus() { date -u -d "-$1 seconds" +%Y-%m-%dT%H:%M:%SZ; }
iso_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
epoch() { date -u +%s; }

# num_le A B : A <= B for decimal numbers
num_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !((a + 0) <= (b + 0)) }'; }
num_lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !((a + 0) < (b + 0)) }'; }
is_num() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

pause() {
  if ((DR_POLL_INTERVAL > 0)); then sleep "$DR_POLL_INTERVAL"; fi
}
