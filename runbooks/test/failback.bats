#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each @test runs in its own subshell on purpose
# dr failback against the recording stubs, from the failed-over, fenced
# phase (the primary region is back; its database is the old, diverged
# writer): exact calls, preconditions, snapshot reuse across runs, resume,
# catch-up on the DR agent's delay, dry-run, confirmation.

load test_helper

setup() {
  setup_normal_phase
  use_phase failedover failover
}

T='--cli-connect-timeout 5 --cli-read-timeout 20'
TO=(--cli-connect-timeout 5 --cli-read-timeout 20)
DB_Q='--query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text'
# shellcheck disable=SC2016 # a literal $ in the URN
PURN='urn:pulumi:primary::taskflow-dr::taskflow:dr:Region$aws:rds/instance:Instance::primary-db'
STATUS_PATH=/api/v1/namespaces/taskflow-dr/services/dr-agent:http/proxy/status

@test "failback: the exact calls of each step and the timeline" {
  run "$DR" --yes failback
  [ "$status" -eq 0 ]
  expect_calls preconditions <<EOF2
aws rds describe-db-instances --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB $DB_Q
aws cloudwatch describe-alarms --region eu-central-1 $T --alarm-names $FENCE_ALARM --query MetricAlarms[0].StateValue --output text
pulumi config get --path -s primary taskflow:dns.fence
aws rds describe-db-instances --region eu-central-1 $T --db-instance-identifier $STANDBY_DB $DB_Q
pulumi config get --path -s standby taskflow:database.mode
EOF2
  expect_calls snapshot <<EOF2
pulumi config get --path -s primary taskflow:database.rebuild
aws rds create-db-snapshot --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB --db-snapshot-identifier taskflow-failback-<ts> --output json
aws rds describe-db-snapshots --region eu-west-1 $T --db-snapshot-identifier taskflow-failback-<ts> --query DBSnapshots[0].Status --output text
aws rds describe-db-snapshots --region eu-west-1 $T --db-snapshot-identifier taskflow-failback-<ts> --query DBSnapshots[0].Status --output text
aws rds describe-db-snapshots --region eu-west-1 $T --db-snapshot-identifier taskflow-failback-<ts> --query DBSnapshots[0].Status --output text
EOF2
  expect_calls drop-protection <<'EOF2'
pulumi config get --path -s primary taskflow:database.rebuild
pulumi config get --path -s primary taskflow:database.rebuild
pulumi config set --path -s primary taskflow:database.rebuild true
pulumi up --yes -s primary
EOF2
  expect_calls rebuild <<EOF2
pulumi config get --path -s primary taskflow:database.mode
pulumi config set --path -s primary taskflow:database.mode replica
pulumi up --yes --replace $PURN -s primary
pulumi stack output --json -s primary
pulumi config get --path -s primary taskflow:database.rebuild
pulumi config set --path -s primary taskflow:database.rebuild false
pulumi up --yes -s primary
aws rds describe-db-instances --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB-r $DB_Q
EOF2
  expect_calls catch-up <<EOF2
aws eks update-kubeconfig --region eu-west-1 $T --name taskflow-dr-primary --kubeconfig <tmp>/kubeconfig-primary --role-arn $OPERATOR_ROLE
kubectl --kubeconfig <tmp>/kubeconfig-primary --request-timeout=20s get --raw $STATUS_PATH
kubectl --kubeconfig <tmp>/kubeconfig-primary --request-timeout=20s get --raw $STATUS_PATH
kubectl --kubeconfig <tmp>/kubeconfig-primary --request-timeout=20s get --raw $STATUS_PATH
EOF2
  [ "$(steps_called | tr '\n' ' ')" = "read-outputs preconditions snapshot drop-protection rebuild catch-up " ]
  [ "$(cut -f2 "$DR_TIMELINE" | tail -7 | tr '\n' ' ')" = "failback-started snapshot-started snapshot-taken protection-dropped rebuilt caught-up " ] \
    || [ "$(cut -f2 "$DR_TIMELINE" | tail -6 | tr '\n' ' ')" = "failback-started snapshot-started snapshot-taken protection-dropped rebuilt caught-up " ]
  timeline_well_formed
  # the snapshot recorded before it was taken is the one that exists
  snap=$(event_detail snapshot-started | cut -d' ' -f2)
  [ -f "$STUB_STATE/rds/eu-west-1/snapshots/$snap" ]
  [[ $(event_detail caught-up) == *'replica, delay 9.42s <= RPO objective 10s'* ]]
  # the primary is a protected replica of the standby's writer; the gate is
  # now fenced by config too (dns.fence true applied: threshold 3)
  [ "$(state_get "$STUB_STATE/rds/eu-west-1/$PRIMARY_DB-r" source)" = "arn:aws:rds:eu-central-1:123456789012:db:$STANDBY_DB" ]
  [ "$(state_get "$STUB_STATE/rds/eu-west-1/$PRIMARY_DB-r" protection)" = true ]
  [ "$(state_get "$STUB_STATE/r53/$GATE" threshold)" = 3 ]
}

@test "failback: a second run after a complete one changes nothing" {
  "$DR" --yes failback >/dev/null 2>&1
  : >"$STUB_LOG"
  run "$DR" --yes failback
  [ "$status" -eq 0 ]
  [ -z "$(mutating)" ]
  [ "$(tail -n 5 "$DR_TIMELINE" | grep -c $'\tskipped: ')" -eq 3 ] # snapshot-taken protection-dropped rebuilt
}

@test "failback: refuses to start when the primary is not fenced (fence alarm OK)" {
  state_set "$STUB_STATE/cw/eu-central-1/$FENCE_ALARM" state=OK
  run "$DR" --yes failback
  [ "$status" -eq 1 ]
  [[ $output == *'step "preconditions" failed: primary is not fenced (alarm taskflow-dr-fence-primary is OK)'* ]]
  [ -z "$(mutating)" ]
}

@test "failback: refuses to start while the primary region does not answer" {
  export STUB_DOWN_REGIONS=eu-west-1
  run "$DR" --yes failback
  [ "$status" -eq 1 ]
  [[ $output == *'step "preconditions" failed: primary region eu-west-1 is not reachable'*'Could not connect to the endpoint URL'* ]]
  [ -z "$(mutating)" ]
}

@test "failback: refuses to start in the normal phase (standby still a replica)" {
  setup_normal_phase
  state_set "$STUB_STATE/cw/eu-central-1/$FENCE_ALARM" state=ALARM
  printf 'true\n' >"$STUB_STATE/config/primary/taskflow:dns.fence"
  run "$DR" --yes failback
  [ "$status" -eq 1 ]
  [[ $output == *'still replicates from'*'nothing to fail back'* ]]
  [ -z "$(mutating)" ]
}

@test "failback: a run killed after the snapshot call reuses that snapshot, never takes a second one" {
  export STUB_KILL_PATTERN='create-db-snapshot'
  run setsid "$DR" --yes failback
  [ "$status" -eq 137 ]
  unset STUB_KILL_PATTERN
  snap=$(event_detail snapshot-started | cut -d' ' -f2)
  [ -f "$STUB_STATE/rds/eu-west-1/snapshots/$snap" ]
  : >"$STUB_LOG"
  run "$DR" --yes failback
  [ "$status" -eq 0 ]
  [ "$(count_calls create-db-snapshot)" -eq 0 ]
  grep -q -- $'^snapshot\taws rds describe-db-snapshots .* --db-snapshot-identifier '"$snap " "$STUB_LOG"
  [ "$(find "$STUB_STATE/rds/eu-west-1/snapshots" -type f | wc -l)" -eq 1 ]
  [ "$(grep -c $'\tsnapshot-started\t' "$DR_TIMELINE")" -eq 1 ]
}

@test "failback: a snapshot recorded but never created (killed in between) is created under its recorded name" {
  printf '%s\tsnapshot-started\tsnapshot taskflow-failback-20261127-000000 of %s (eu-west-1)\n' "2026-11-27T00:00:00.000Z" "$PRIMARY_DB" >>"$DR_TIMELINE"
  run "$DR" --yes failback
  [ "$status" -eq 0 ]
  grep -q -- $'^snapshot\taws rds create-db-snapshot .* --db-snapshot-identifier taskflow-failback-20261127-000000 --output json' "$STUB_LOG"
  [ "$(count_calls create-db-snapshot)" -eq 1 ]
}

@test "failback: a name already taken is refused by RDS (DBSnapshotAlreadyExists), named in the step" {
  printf '%s\tsnapshot-started\tsnapshot taskflow-failback-20261127-000000 of %s (eu-west-1)\n' "2026-11-27T00:00:00.000Z" "$PRIMARY_DB" >>"$DR_TIMELINE"
  export STUB_FAIL_PATTERN='describe-db-snapshots' STUB_FAIL_RC=254 \
    STUB_FAIL_MESSAGE=$'\nAn error occurred (Throttling) when calling the DescribeDBSnapshots operation: Rate exceeded'
  run "$DR" --yes failback
  [ "$status" -eq 1 ]
  [[ $output == *'step "snapshot" failed: describe-db-snapshots taskflow-failback-20261127-000000 (eu-west-1) exited 254: An error occurred (Throttling)'* ]]
  unset STUB_FAIL_PATTERN
  # the stub refuses a second snapshot under a taken name, as RDS does
  run aws rds create-db-snapshot --region eu-west-1 "${TO[@]}" --db-instance-identifier "$PRIMARY_DB" --db-snapshot-identifier x1 --output json
  [ "$status" -eq 0 ]
  run aws rds create-db-snapshot --region eu-west-1 "${TO[@]}" --db-instance-identifier "$PRIMARY_DB" --db-snapshot-identifier x1 --output json
  [ "$status" -eq 254 ]
  [[ $output == *'An error occurred (DBSnapshotAlreadyExists) when calling the CreateDBSnapshot operation: Cannot create the snapshot because a snapshot with the identifier x1 already exists.'* ]]
}

@test "failback: a run resumed after a failed replace does not snapshot or drop protection again" {
  export STUB_FAIL_PATTERN='--replace' \
    STUB_FAIL_MESSAGE='error: creating RDS DB Instance (read replica): InsufficientDBInstanceCapacity'
  run "$DR" --yes failback
  [ "$status" -eq 1 ]
  [[ $output == *'step "rebuild" failed'*'InsufficientDBInstanceCapacity'* ]]
  tail -n 1 "$DR_TIMELINE" | grep -q $'\tstep-failed\trebuild: '
  unset STUB_FAIL_PATTERN STUB_FAIL_MESSAGE
  : >"$STUB_LOG"
  run "$DR" --yes failback
  [ "$status" -eq 0 ]
  [ "$(mutating | sed 's/ --replace [^ ]* / --replace URN /')" = "$(printf '%s\n' \
    'pulumi up --yes --replace URN -s primary' \
    'pulumi config set --path -s primary taskflow:database.rebuild false' \
    'pulumi up --yes -s primary')" ]
  [[ $(event_detail snapshot-taken) == skipped:* ]]
  [[ $(event_detail protection-dropped) == skipped:* ]]
}

@test "failback: catch-up waits for the DR agent's delay under the RPO, and fails naming it if replication is stuck" {
  export STUB_REBUILD_LAG=30 DR_CATCHUP_TIMEOUT=0
  state_set "$STUB_STATE/k8s/$PRIMARY_CLUSTER/agent" stuck=true
  run "$DR" --yes failback
  [ "$status" -eq 1 ]
  [[ $output == *'step "catch-up" failed: the DR agent of primary reports role replica, delay 30.42s (RPO objective 10s)'* ]]
  ! calls | grep -q 'get-metric-statistics' || false
}

@test "failback --dry-run runs nothing but the output reads" {
  run "$DR" --dry-run failback
  [ "$status" -eq 0 ]
  only_output_reads
  [[ $output == *"DRY-RUN: aws rds create-db-snapshot --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB --db-snapshot-identifier taskflow-failback-"* ]]
  [[ $output == *"DRY-RUN: pulumi up --yes --replace '$PURN' -s primary"* ]]
  [ "$(wc -l <"$DR_TIMELINE")" -eq "$(wc -l <"$BATS_FILE_TMPDIR/phase-failedover/timeline.tsv")" ]
}

@test "failback without --yes and without a terminal aborts before the snapshot" {
  run "$DR" failback </dev/null
  [ "$status" -eq 1 ]
  [[ $output == *'step "snapshot" failed'*'stdin is not a terminal'* ]]
  [ -z "$(mutating)" ]
}
