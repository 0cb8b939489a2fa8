# shellcheck shell=bash
# Shared helpers of runbooks/bin/dr: output, steps, failure reporting,
# dry-run aware command execution, confirmation, time and numbers.
# Sourced by runbooks/bin/dr; not meant to be run on its own.
#
# Globals set by runbooks/bin/dr before any helper runs:
#   DR_DRY_RUN (0|1) DR_ASSUME_YES (0|1) DR_TIMELINE (absolute path)
#   DR_PRIMARY_STACK DR_STANDBY_STACK DR_COMMAND DR_WORKDIR (private, 0700)
#   DR_LOG_DIR (per-step logs of parallel jobs)
# Exported to every child process: DR_STEP (the step in progress; the test
# stubs record it beside each call).

# Waits poll with short calls; none of them relies on an AWS waiter (the RDS
# snapshot waiter gives up after 30 min, issue 9.11).
: "${DR_POLL_INTERVAL:=15}"        # seconds between two polls of a wait
: "${DR_PROMOTE_TIMEOUT:=1800}"    # replica promoted: available, no source
: "${DR_NODEGROUP_TIMEOUT:=900}"   # node group ACTIVE with the wanted sizes
: "${DR_NODES_TIMEOUT:=900}"       # nodes Ready after a scale-up
: "${DR_FENCE_TIMEOUT:=600}"       # fence alarm ALARM / OK
: "${DR_WRITES_TIMEOUT:=300}"      # promoted writer's agent writes heartbeats
: "${DR_APP_TIMEOUT:=600}"         # app answering through app.<domain>
: "${DR_ROLLOUT_TIMEOUT:=300}"     # kubectl rollout status
: "${DR_PAUSE_TIMEOUT:=300}"       # paused app has no pods left
: "${DR_SNAPSHOT_TIMEOUT:=14400}"  # manual snapshot available
: "${DR_CATCHUP_TIMEOUT:=3600}"    # failback: rebuilt replica's delay <= RPO
: "${DR_RPO_ZERO_TIMEOUT:=600}"    # switchover: replica replayed the writer's heartbeat
: "${DR_ROUTE53_REGION:=us-east-1}" # Route 53's control plane (never in failover)

DR_CONFIRMED=0
DR_NO_TIMELINE=0 # status and preflight do not write the timeline
DR_STEP=${DR_STEP:-start}
export DR_STEP

# ------------------------------------------------------------------ output --
# dr::log::say TEXT... : a line of the run's report, on stdout.
dr::log::say() { printf '%s\n' "$*"; }
# dr::log::info TEXT... : progress, on stderr (never mixed into a result).
dr::log::info() { printf 'dr: %s\n' "$*" >&2; }
# dr::log::warn TEXT... : a warning, on stderr.
dr::log::warn() { printf 'dr: WARNING: %s\n' "$*" >&2; }

# dr::quote ARGS... : prints ARGS as one copy-pasteable shell line.
dr::quote() {
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

# dr::dry : exit status 0 in a dry run.
dr::dry() { [[ ${DR_DRY_RUN:-0} == 1 ]]; }

# dr::plan LINE : dry-run output, on fd 7 (the script's stdout, opened by
# dr) so that it also escapes command substitutions and reads in order.
dr::plan() { printf '%s\n' "$*" >&7; }

# dr::step NAME : enter step NAME (exported as DR_STEP, named by failures).
dr::step() {
  DR_STEP=$1
  : >"$DR_ERRFILE"
  dr::log::say ""
  dr::log::say "==> step: $1"
}

# ----------------------------------------------------------------- failure --
# dr::fail REASON... : stop the current step. At the top level it records
# step-failed and exits. In a subshell (command substitution, parallel job)
# it hands the reason to its parent through DR_ERRFILE (first cause wins)
# and exits 1; the parent's ERR trap or dr::par::wait records it once.
dr::fail() {
  local reason="$*"
  if ((BASH_SUBSHELL > 0)); then
    [[ -s $DR_ERRFILE ]] || printf '%s\n' "$reason" >"$DR_ERRFILE"
    exit 1
  fi
  if [[ -s $DR_ERRFILE ]]; then reason+=" ($(<"$DR_ERRFILE"))"; fi
  dr::fail::report "$DR_STEP" "$reason" 1
}

# dr::fail::report STEP REASON RC : print, record step-failed (not in a dry
# run, status or preflight), stop any parallel job, exit RC.
dr::fail::report() {
  local step=$1 reason=$2 rc=${3:-1}
  trap - ERR
  printf 'dr: step "%s" failed: %s\n' "$step" "$reason" >&2
  if ! dr::dry && ((!DR_NO_TIMELINE)) && [[ -n ${DR_TIMELINE:-} ]]; then
    dr::timeline::write step-failed "$step: $reason"
  fi
  dr::par::stop_all
  exit "$rc"
}

# dr::fail::on_err RC COMMAND : the ERR trap (a command failed under set -e).
dr::fail::on_err() {
  local rc=$1 cmd=$2 reason
  if ((BASH_SUBSHELL > 0)); then
    [[ -s $DR_ERRFILE ]] || printf 'command failed (exit %s): %s\n' "$rc" "$cmd" >"$DR_ERRFILE"
    exit "$rc"
  fi
  if [[ -s $DR_ERRFILE ]]; then reason=$(<"$DR_ERRFILE"); else reason="command failed (exit $rc): $cmd"; fi
  dr::fail::report "$DR_STEP" "$reason" "$rc"
}

# dr::fail::on_signal SIGNAL : Ctrl-C or TERM: stop the jobs, record, exit.
dr::fail::on_signal() {
  dr::fail::report "$DR_STEP" "interrupted by SIG$1; re-run the same command to resume" 130
}

# ------------------------------------------------------- running commands --
# dr::exec::_errtext FILE : prints the non-blank lines of FILE, last 3, on one line.
dr::exec::_errtext() {
  local line out=() i
  while IFS= read -r line; do [[ -n ${line//[[:space:]]/} ]] && out+=("$line"); done <"$1"
  i=$((${#out[@]} > 3 ? ${#out[@]} - 3 : 0))
  printf '%s' "${out[*]:i}"
}

# dr::exec::_call ARGS... : run ARGS; stderr is shown and kept; a non-zero
# exit fails the step with the command, its status and its error text.
dr::exec::_call() {
  local rc=0 errf="$DR_WORKDIR/stderr.$BASHPID"
  # 9>&-: the command does not inherit the run's lock (dr::main::lock). The
  # Pulumi CLI starts its plugins in process groups of their own, which a
  # kill of this run does not reach; holding the lock, they would block the
  # resumption until they exited.
  "$@" 2>"$errf" 9>&- || rc=$?
  if [[ -s $errf ]]; then cat "$errf" >&2; fi
  if ((rc != 0)); then
    dr::fail "$(dr::quote "$@") exited $rc: $(dr::exec::_errtext "$errf")"
  fi
}

# dr::exec::run ARGS... : a command that changes something (cloud, stack
# config, state). Its stdout passes through. Dry run: printed, not run.
dr::exec::run() {
  if dr::dry; then
    dr::plan "DRY-RUN: $(dr::quote "$@")"
    return 0
  fi
  dr::log::info "+ $(dr::quote "$@")"
  dr::exec::_call "$@"
}

# dr::exec::query ARGS... : a read; its stdout is the answer. Dry run:
# printed, not run, answers "" (each step then plans its full action).
dr::exec::query() {
  if dr::dry; then
    dr::plan "DRY-RUN (read): $(dr::quote "$@")"
    return 0
  fi
  dr::exec::_call "$@"
}

# dr::exec::try OUT ERR ARGS... : a read whose failure is an answer (a
# missing image, an unreachable region). Sets the caller's variables OUT
# (stdout) and ERR (error text); returns the command's exit status. Dry
# run: printed, OUT and ERR empty, status 0.
dr::exec::try() {
  local -n _dr_out=$1 _dr_err=$2
  shift 2
  local rc=0 errf="$DR_WORKDIR/stderr.$BASHPID"
  _dr_out="" _dr_err=""
  if dr::dry; then
    dr::plan "DRY-RUN (read): $(dr::quote "$@")"
    return 0
  fi
  _dr_out=$("$@" 2>"$errf" 9>&-) || rc=$?
  _dr_err=$(dr::exec::_errtext "$errf")
  return "$rc"
}

# dr::exec::capture OUT RC FUNCTION ARGS... : run FUNCTION in a subshell
# that stops at its first failure, as everywhere else, and set the caller's
# OUT to its stdout and RC to its exit status (its reason is in DR_ERRFILE);
# always returns 0. For checks that must all run (preflight) and reads that
# may fail (status). Never call it (or anything) as `if f` or `f || ...`
# when f must stop at a failure: bash then ignores errexit in f and in
# every subshell it starts, even one that sets -e again.
dr::exec::capture() {
  local -n _dr_cap=$1 _dr_rc=$2
  shift 2
  : >"$DR_ERRFILE"
  trap - ERR
  set +e
  _dr_cap=$(
    set -e
    trap 'dr::fail::on_err $? "$BASH_COMMAND"' ERR
    "$@"
  )
  _dr_rc=$?
  set -e
  trap 'dr::fail::on_err $? "$BASH_COMMAND"' ERR
}

# ------------------------------------------------------------ confirmation --
# dr::confirm MESSAGE : ask once per run, before the first destructive action.
dr::confirm() {
  ((DR_CONFIRMED)) && return 0
  if ((DR_ASSUME_YES)); then DR_CONFIRMED=1; return 0; fi
  if dr::dry; then
    dr::plan "DRY-RUN: would ask for confirmation: $1"
    DR_CONFIRMED=1
    return 0
  fi
  [[ -t 0 ]] || dr::fail "confirmation required ($1) but stdin is not a terminal; re-run with --yes to confirm"
  local answer=""
  printf '\n%s\nType "yes" to continue: ' "$1" >&2
  read -r answer || true
  [[ $answer == yes ]] || dr::fail "not confirmed by the operator (answered \"$answer\")"
  DR_CONFIRMED=1
}

# ------------------------------------------------------------- time, numbers --
# dr::time::now : prints the Unix time in seconds.
dr::time::now() { printf '%(%s)T\n' -1; }

# dr::time::deadline SECONDS : prints now + SECONDS.
dr::time::deadline() { printf '%s\n' "$(($(printf '%(%s)T' -1) + $1))"; }

# dr::time::before DEADLINE : exit status 0 while now < DEADLINE.
dr::time::before() { (($(printf '%(%s)T' -1) < $1)); }

# dr::time::pause : sleep one poll interval.
dr::time::pause() { if ((DR_POLL_INTERVAL > 0)); then sleep "$DR_POLL_INTERVAL"; fi; }

# dr::num::le A B : exit status 0 when decimal A <= B.
dr::num::le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !((a + 0) <= (b + 0)) }'; }
# dr::num::lt A B : exit status 0 when decimal A < B.
dr::num::lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !((a + 0) < (b + 0)) }'; }
# dr::num::is NUMBER : exit status 0 for a non-negative decimal.
dr::num::is() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
