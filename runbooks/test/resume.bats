#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each @test runs in its own subshell on purpose
# dr failover killed (SIGKILL to its whole session: the main process and its
# parallel jobs, as when the operator's laptop dies) right after a call at
# each step took effect, then run again: the second run must finish the
# failover, skip what is done, and never repeat a change that must happen
# once (one promotion, one node-group update).

load test_helper

setup() { setup_normal_phase; }

# kill_then_resume PATTERN : the failover killed after the first call that
# matches PATTERN, then re-run to completion; checks the end state.
kill_then_resume() {
  STUB_KILL_PATTERN=$1 run setsid "$DR" --yes failover
  [ "$status" -eq 137 ] || { echo "first run: status $status, output: $output" >&2; return 1; }
  [ -e "$STUB_STATE/killed" ]
  run "$DR" --yes failover
  [ "$status" -eq 0 ] || { echo "resumed run: status $status, output: $output" >&2; return 1; }
  # one promotion and one node-group update over both runs
  [ "$(count_calls promote-read-replica)" -eq 1 ]
  [ "$(count_calls update-nodegroup-config)" -eq 1 ]
  # the failed-over phase
  [ "$(state_get "$STUB_STATE/rds/eu-central-1/$STANDBY_DB" source)" = "" ]
  [ "$(state_get "$STUB_STATE/rds/eu-central-1/$STANDBY_DB" retention)" = 14 ]
  [ "$(state_get "$STUB_STATE/cw/eu-central-1/$FENCE_ALARM" state)" = ALARM ]
  [ "$(state_get "$STUB_STATE/eks/$STANDBY_CLUSTER/$STANDBY_NG" des)" = 4 ]
  [ "$(state_get "$STUB_STATE/k8s/$STANDBY_CLUSTER/deploy" replicas)" = 6 ]
  [ "$(jq -r '"\(.dbMode) \(.nodeGroup.scale)"' "$STUB_STATE/outputs/standby.json")" = "writer failover" ]
  [ "$(cat "$STUB_STATE/config/primary/taskflow:dns.fence")" = true ]
  [ "$(cut -f2 "$DR_TIMELINE" | tail -n 1)" = app-verified ]
  [ "$(grep -c $'\tdeclared\t' "$DR_TIMELINE")" -eq 1 ]
  timeline_well_formed
  ! calls | grep -qE 'eu-west-1|us-east-1' || false
}

@test "resume after a kill in read-outputs" {
  kill_then_resume '^pulumi stack output --json -s standby'
  ! grep -q $'\tresumed\t' "$DR_TIMELINE" || false
}

@test "resume after a kill right after the declaration (first calls of the parallel steps)" {
  kill_then_resume 'describe-alarms'
  grep -q $'\tresumed\t' "$DR_TIMELINE"
}

@test "resume after a kill in scale, after update-nodegroup-config" {
  kill_then_resume 'update-nodegroup-config'
}

@test "resume after a kill in scale, while waiting for nodes" {
  kill_then_resume 'get nodes'
}

@test "resume after a kill in scale, after kubectl scale" {
  kill_then_resume 'scale deployment/taskflow --replicas=6'
  grep -q $'\tscaled\tskipped: ' "$DR_TIMELINE"
}

@test "resume after a kill in fence, after put-metric-data" {
  kill_then_resume 'put-metric-data'
}

@test "resume after a kill in promote, after promote-read-replica" {
  kill_then_resume 'promote-read-replica'
  grep -q $'\tpromote-started\tresuming: ' "$DR_TIMELINE" || grep -q $'\tpromoted\tskipped: ' "$DR_TIMELINE"
}

@test "resume after a kill in verify-writes" {
  kill_then_resume 'get --raw'
  [ "$(grep -c $'\tpromoted\t' "$DR_TIMELINE")" -eq 2 ]
  grep -q $'\tpromoted\tskipped: ' "$DR_TIMELINE"
}

@test "resume after a kill in reconcile, after the config" {
  kill_then_resume 'config set --path -s standby taskflow:cluster.scale'
  calls_in reconcile | grep -q '^pulumi refresh'
}

@test "resume after a kill in reconcile, after the refresh" {
  kill_then_resume '^pulumi refresh'
  # the killed refresh left the stack locked; its process is gone from this
  # host, so the resumed run clears the lock and refreshes again
  [ "$(count_calls '^pulumi cancel --yes -s standby')" -eq 1 ]
  [ "$(count_calls '^pulumi refresh')" -eq 3 ]
  [ "$(count_calls '^pulumi up')" -eq 1 ]
}

@test "a stack locked by a live process stops the run naming it, and nothing is cancelled" {
  sleep 300 &
  local holder=$!
  mkdir -p "$STUB_STATE/plocks/standby"
  printf '%s@%s (pid %d)' "$(id -un)" "$(uname -n)" "$holder" >"$STUB_STATE/plocks/standby/$holder.json"
  run "$DR" --yes failover
  kill "$holder"
  [ "$status" -ne 0 ]
  [[ $output == *"currently locked by 1 lock(s)"* ]]
  [[ $output == *"pid $holder"* ]]
  [[ $output == *"if it is a killed run of yours and not a colleague's update, run 'pulumi cancel -s standby'"* ]]
  [ "$(count_calls '^pulumi cancel')" -eq 0 ]
  [ -e "$STUB_STATE/plocks/standby/$holder.json" ]
}

@test "resume after a kill in reconcile, after the up" {
  kill_then_resume '^pulumi up'
  [ "$(count_calls '^pulumi up')" -eq 1 ]
  grep -q $'\treconciled\tskipped: ' "$DR_TIMELINE"
}

@test "resume after a kill in verify-app" {
  kill_then_resume '^curl'
  [ -z "$(calls | awk 'found && /promote-read-replica|update-nodegroup-config|pulumi up/; /^curl/ { found = 1 }')" ]
}
