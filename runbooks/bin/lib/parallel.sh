# shellcheck shell=bash
# Independent waits run together (issue 14.2): each is a background job in
# its own process group, with its own log, as its own step. The parent waits
# for all; the first failure stops the others and the run, naming the step.
# A dry run plans them one after the other instead, and DR_SEQUENTIAL=1
# runs them one after the other (the lab's sequential baseline).

declare -ga DR_JOBS=() # "pid step log" of the running jobs

# dr::par::start STEP FUNCTION ARGS... : run FUNCTION ARGS in the
# background as step STEP; its output goes to DR_LOG_DIR/<command>-STEP.log.
dr::par::start() {
  local step=$1 log
  shift
  if dr::dry || [[ ${DR_SEQUENTIAL:-0} == 1 ]]; then
    dr::step "$step"
    "$@"
    return 0
  fi
  log="$DR_LOG_DIR/$DR_COMMAND-$step.log"
  printf '\n==== %s dr %s, step %s\n' "$(dr::timeline::now)" "$DR_COMMAND" "$step" >>"$log"
  set -m # a process group per job: stopping one stops its children too
  (
    # shellcheck disable=SC2034 # DR_STEP is exported (common.sh)
    DR_STEP=$step
    DR_ERRFILE="$DR_WORKDIR/error.$step"
    : >"$DR_ERRFILE"
    trap - INT TERM EXIT
    "$@"
  ) >>"$log" 2>&1 </dev/null &
  set +m
  DR_JOBS+=("$! $step $log")
  dr::log::say "    $step: started in parallel (log: $log)"
}

# dr::par::wait_all : wait for every job started by dr::par::start. The
# first one that fails stops the others; its step is recorded as failed with
# its reason and the end of its log is shown. Returns when all succeeded.
dr::par::wait_all() {
  local j pid step log rc running failed flog reason
  while ((${#DR_JOBS[@]} > 0)); do
    running=() failed="" flog=""
    for j in "${DR_JOBS[@]}"; do
      read -r pid step log <<<"$j"
      if [[ -z $failed ]] && ! kill -0 "$pid" 2>/dev/null; then
        rc=0
        wait "$pid" || rc=$?
        if ((rc == 0)); then
          dr::log::say "    $step: done"
        else
          failed=$step flog=$log
        fi
        continue
      fi
      running+=("$j")
    done
    DR_JOBS=("${running[@]}")
    if [[ -n $failed ]]; then
      reason=$(cat "$DR_WORKDIR/error.$failed" 2>/dev/null || true)
      [[ -n $reason ]] || reason="exited $rc (see $flog)"
      dr::log::say "    $failed: FAILED; end of its log ($flog):"
      tail -n 15 "$flog" | sed 's/^/      | /'
      dr::fail::report "$failed" "$reason" 1
    fi
    ((${#DR_JOBS[@]} == 0)) || sleep 0.2
  done
}

# dr::par::stop_all : stop every job still running (TERM to its process
# group) and wait for it. Their steps resume on the next run.
dr::par::stop_all() {
  local j pid step log
  for j in "${DR_JOBS[@]:-}"; do
    [[ -n $j ]] || continue
    read -r pid step log <<<"$j"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      printf 'dr: step "%s" stopped (it resumes on the next run)\n' "$step" >&2
    fi
  done
  DR_JOBS=()
}
