#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each @test runs in its own subshell on purpose
# dr failback and dr switchover against recording stubs: exact sequences,
# preconditions, idempotency, resume, dry-run, confirmation.

load test_helper

# The failed-over, fenced phase: the primary region is back, its database is
# still the old (diverged) writer.
setup() {
  setup_normal_phase
  "$DR" --yes failover >/dev/null 2>&1
  reset_log
}

failed_back() {
  "$DR" --yes failback >/dev/null 2>&1
  reset_log
}

@test "failback runs the exact command sequence" {
  run "$DR" --yes failback
  [ "$status" -eq 0 ]
  expect_calls <<'EOF2'
pulumi stack output --json -s primary
pulumi stack output --json -s standby
aws rds describe-db-instances --region eu-west-1 --db-instance-identifier taskflow-primary-db-4f2a9c1 --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
aws route53 get-health-check --region us-east-1 --health-check-id 11111111-2222-3333-4444-555555555555 --query HealthCheck.HealthCheckConfig.HealthThreshold --output text
pulumi config get --path -s primary taskflow:dns.fence
aws rds describe-db-instances --region eu-central-1 --db-instance-identifier taskflow-standby-db-8e31b07 --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
pulumi config get --path -s standby taskflow:database.mode
pulumi config get --path -s primary taskflow:database.rebuild
aws rds create-db-snapshot --region eu-west-1 --db-instance-identifier taskflow-primary-db-4f2a9c1 --db-snapshot-identifier taskflow-failback-<ts>
aws rds wait db-snapshot-available --region eu-west-1 --db-snapshot-identifier taskflow-failback-<ts>
pulumi config get --path -s primary taskflow:database.rebuild
pulumi config get --path -s primary taskflow:database.rebuild
pulumi config set --path -s primary taskflow:database.rebuild true
pulumi up --yes -s primary
pulumi config get --path -s primary taskflow:database.mode
pulumi config set --path -s primary taskflow:database.mode replica
pulumi up --yes -s primary --replace urn:pulumi:primary::taskflow-dr::taskflow:dr:Region$aws:rds/instance:Instance::primary-db
pulumi stack output --json -s primary
pulumi config get --path -s primary taskflow:database.rebuild
pulumi config set --path -s primary taskflow:database.rebuild false
pulumi up --yes -s primary
aws rds describe-db-instances --region eu-west-1 --db-instance-identifier taskflow-primary-db-4f2a9c1-r --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
aws cloudwatch get-metric-statistics --region eu-west-1 --namespace AWS/RDS --metric-name ReplicaLag --dimensions Name=DBInstanceIdentifier,Value=taskflow-primary-db-4f2a9c1-r --start-time <time> --end-time <time> --period 60 --statistics Maximum --query sort_by(Datapoints,&Timestamp)[-1].Maximum --output text
EOF2
  [ "$(events | tr '\n' ' ')" = "failback-started snapshot-taken protection-dropped rebuilt caught-up " ]
  [ -e "$STUB_STATE/snapshots/$(ls "$STUB_STATE/snapshots")" ]
}

@test "switchover runs the exact command sequence" {
  failed_back
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  expect_calls <<'EOF2'
pulumi stack output --json -s primary
pulumi stack output --json -s standby
aws eks update-kubeconfig --region eu-west-1 --name taskflow-primary-eks-7c1d2e3 --kubeconfig <tmp>/kubeconfig-primary
aws eks update-kubeconfig --region eu-central-1 --name taskflow-standby-eks-3b4c5d6 --kubeconfig <tmp>/kubeconfig-standby
aws rds describe-db-instances --region eu-west-1 --db-instance-identifier taskflow-primary-db-4f2a9c1-r --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
aws rds describe-db-instances --region eu-central-1 --db-instance-identifier taskflow-standby-db-8e31b07 --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
kubectl --kubeconfig <tmp>/kubeconfig-primary -n taskflow get deployment/taskflow -o jsonpath={.metadata.annotations.taskflow\.dr/replicas-before-pause}
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow get deployment/taskflow -o jsonpath={.metadata.annotations.taskflow\.dr/replicas-before-pause}
kubectl --kubeconfig <tmp>/kubeconfig-primary -n taskflow get deployment/taskflow -o jsonpath={.spec.replicas}
kubectl --kubeconfig <tmp>/kubeconfig-primary -n taskflow get deployment/taskflow -o jsonpath={.metadata.annotations.taskflow\.dr/replicas-before-pause}
kubectl --kubeconfig <tmp>/kubeconfig-primary -n taskflow annotate deployment/taskflow taskflow.dr/replicas-before-pause=3 --overwrite
kubectl --kubeconfig <tmp>/kubeconfig-primary -n taskflow scale deployment/taskflow --replicas=0
kubectl --kubeconfig <tmp>/kubeconfig-primary -n taskflow get deployment/taskflow -o jsonpath={.status.replicas}
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow get deployment/taskflow -o jsonpath={.spec.replicas}
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow get deployment/taskflow -o jsonpath={.metadata.annotations.taskflow\.dr/replicas-before-pause}
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow annotate deployment/taskflow taskflow.dr/replicas-before-pause=3 --overwrite
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow scale deployment/taskflow --replicas=0
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow get deployment/taskflow -o jsonpath={.status.replicas}
aws cloudwatch get-metric-statistics --region eu-west-1 --namespace AWS/RDS --metric-name ReplicaLag --dimensions Name=DBInstanceIdentifier,Value=taskflow-primary-db-4f2a9c1-r --start-time <time> --end-time <time> --period 60 --statistics Maximum --query sort_by(Datapoints,&Timestamp)[-1].Maximum --output text
aws rds describe-db-instances --region eu-west-1 --db-instance-identifier taskflow-primary-db-4f2a9c1-r --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
aws rds promote-read-replica --region eu-west-1 --db-instance-identifier taskflow-primary-db-4f2a9c1-r
aws rds wait db-instance-available --region eu-west-1 --db-instance-identifier taskflow-primary-db-4f2a9c1-r
aws rds describe-db-instances --region eu-west-1 --db-instance-identifier taskflow-primary-db-4f2a9c1-r --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
aws route53 get-health-check --region us-east-1 --health-check-id 11111111-2222-3333-4444-555555555555 --query HealthCheck.HealthCheckConfig.HealthThreshold --output text
aws route53 update-health-check --region us-east-1 --health-check-id 11111111-2222-3333-4444-555555555555 --health-threshold 1
pulumi config get --path -s primary taskflow:dns.fence
pulumi config set --path -s primary taskflow:dns.fence false
pulumi config get --path -s primary taskflow:database.mode
pulumi config set --path -s primary taskflow:database.mode writer
pulumi up --yes -s primary
kubectl --kubeconfig <tmp>/kubeconfig-primary -n taskflow get deployment/taskflow -o jsonpath={.metadata.annotations.taskflow\.dr/replicas-before-pause}
kubectl --kubeconfig <tmp>/kubeconfig-primary -n taskflow scale deployment/taskflow --replicas=3
kubectl --kubeconfig <tmp>/kubeconfig-primary -n taskflow rollout status deployment/taskflow --timeout=300s
kubectl --kubeconfig <tmp>/kubeconfig-primary -n taskflow annotate deployment/taskflow taskflow.dr/replicas-before-pause-
pulumi config get --path -s standby taskflow:database.rebuild
aws rds create-db-snapshot --region eu-central-1 --db-instance-identifier taskflow-standby-db-8e31b07 --db-snapshot-identifier taskflow-switchover-<ts>
aws rds wait db-snapshot-available --region eu-central-1 --db-snapshot-identifier taskflow-switchover-<ts>
pulumi config get --path -s standby taskflow:database.rebuild
pulumi config get --path -s standby taskflow:database.rebuild
pulumi config set --path -s standby taskflow:database.rebuild true
pulumi up --yes -s standby
pulumi config get --path -s standby taskflow:database.mode
pulumi config set --path -s standby taskflow:database.mode replica
pulumi up --yes -s standby --replace urn:pulumi:standby::taskflow-dr::taskflow:dr:Region$aws:rds/instance:Instance::standby-db
pulumi stack output --json -s standby
pulumi config get --path -s standby taskflow:database.rebuild
pulumi config set --path -s standby taskflow:database.rebuild false
pulumi config get --path -s standby taskflow:cluster.scale
pulumi config set --path -s standby taskflow:cluster.scale normal
pulumi up --yes -s standby
aws rds describe-db-instances --region eu-central-1 --db-instance-identifier taskflow-standby-db-8e31b07-r --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow get deployment/taskflow -o jsonpath={.metadata.annotations.taskflow\.dr/replicas-before-pause}
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow scale deployment/taskflow --replicas=3
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow rollout status deployment/taskflow --timeout=300s
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow annotate deployment/taskflow taskflow.dr/replicas-before-pause-
EOF2
  [ "$(events | tr '\n' ' ')" = "writes-paused switched-over unfenced writes-resumed standby-rebuilt " ]
}

@test "after failback and switchover both stacks are back in the normal phase" {
  failed_back
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  [ "$(cat "$STUB_STATE/hc/$GATE.threshold")" = 1 ]
  [ "$(cat "$STUB_STATE/config/primary/taskflow:database.mode")" = writer ]
  [ "$(cat "$STUB_STATE/config/primary/taskflow:dns.fence")" = false ]
  [ "$(cat "$STUB_STATE/config/primary/taskflow:database.rebuild")" = false ]
  [ "$(cat "$STUB_STATE/config/standby/taskflow:database.mode")" = replica ]
  [ "$(cat "$STUB_STATE/config/standby/taskflow:database.rebuild")" = false ]
  [ "$(cat "$STUB_STATE/config/standby/taskflow:cluster.scale")" = normal ]
  [ "$(cat "$STUB_STATE/rds/$PRIMARY_DB-r.source")" = None ]
  [ "$(cat "$STUB_STATE/rds/$STANDBY_DB-r.source")" = "arn:aws:rds:eu-west-1:123456789012:db:$PRIMARY_DB-r" ]
  [ "$(cat "$STUB_STATE/rds/$PRIMARY_DB-r.protection")" = True ]
  [ "$(cat "$STUB_STATE/rds/$STANDBY_DB-r.protection")" = True ]
  [ "$(cat "$STUB_STATE/k8s/taskflow-primary-eks-7c1d2e3/replicas")" = 3 ]
  [ "$(cat "$STUB_STATE/k8s/taskflow-standby-eks-3b4c5d6/replicas")" = 3 ]
  [ ! -e "$STUB_STATE/k8s/taskflow-primary-eks-7c1d2e3/annotation" ]
}

@test "the timeline lines of failback and switchover are well-formed" {
  "$DR" --yes failback >/dev/null 2>&1
  "$DR" --yes switchover >/dev/null 2>&1
  [ "$(events | tr '\n' ' ')" = "failback-started snapshot-taken protection-dropped rebuilt caught-up writes-paused switched-over unfenced writes-resumed standby-rebuilt " ]
  while IFS= read -r line; do
    [[ $line =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'\t'[a-z-]+$'\t'[^$'\t']*$ ]] || { echo "malformed: $line" >&2; false; }
  done <"$DR_TIMELINE"
}

@test "a second failback after a complete one changes nothing" {
  failed_back
  run "$DR" --yes failback
  [ "$status" -eq 0 ]
  [ -z "$(mutating)" ]
  [ "$(grep -c $'\tskipped: ' "$DR_TIMELINE")" -eq 2 ]   # snapshot-taken protection-dropped
}

@test "a second switchover after a complete one changes nothing" {
  failed_back
  "$DR" --yes switchover >/dev/null 2>&1
  reset_log
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  [ -z "$(mutating)" ]
  [ "$(events | tr '\n' ' ')" = "writes-paused switched-over unfenced writes-resumed standby-rebuilt " ]
  [ "$(grep -c $'\tskipped: ' "$DR_TIMELINE")" -eq 5 ]
}

@test "failback refuses to start when the primary is not fenced" {
  echo 1 >"$STUB_STATE/hc/$GATE.threshold"
  run "$DR" --yes failback
  [ "$status" -ne 0 ]
  [[ $output == *'step "preconditions" failed'*'primary is not fenced'* ]]
  [ -z "$(mutating)" ]
}

@test "failback refuses to start when the primary region is unreachable" {
  export STUB_FAIL_PATTERN='describe-db-instances --region eu-west-1' STUB_FAIL_MESSAGE='Could not connect to the endpoint URL: "https://rds.eu-west-1.amazonaws.com/"'
  run "$DR" --yes failback
  [ "$status" -ne 0 ]
  [[ $output == *'step "preconditions" failed: primary region eu-west-1 is not reachable'*'Could not connect'* ]]
  [ -z "$(mutating)" ]
}

@test "failback refuses to start in the normal phase (standby still a replica)" {
  setup_normal_phase
  echo 2 >"$STUB_STATE/hc/$GATE.threshold"
  printf 'true\n' >"$STUB_STATE/config/primary/taskflow:dns.fence"
  run "$DR" --yes failback
  [ "$status" -ne 0 ]
  [[ $output == *'still replicates from'*'nothing to fail back'* ]]
}

@test "switchover refuses to start before failback" {
  run "$DR" --yes switchover
  [ "$status" -ne 0 ]
  [[ $output == *'both writers'*'run dr failback first'* ]]
  [ -z "$(mutating)" ]
}

@test "a failback resumed after a failed replace does not snapshot or drop protection again" {
  export STUB_FAIL_PATTERN='--replace' STUB_FAIL_MESSAGE='error: creating RDS DB Instance (read replica): InsufficientDBInstanceCapacity'
  run "$DR" --yes failback
  [ "$status" -ne 0 ]
  [[ $output == *'step "rebuild" failed'*'InsufficientDBInstanceCapacity'* ]]
  tail -n 1 "$DR_TIMELINE" | grep -q $'\tstep-failed\trebuild: '
  unset STUB_FAIL_PATTERN STUB_FAIL_MESSAGE
  reset_log
  run "$DR" --yes failback
  [ "$status" -eq 0 ]
  [ "$(mutating | sed 's/ --replace .*/ --replace URN/')" = "$(printf '%s\n' \
    'pulumi up --yes -s primary --replace URN' \
    'pulumi config set --path -s primary taskflow:database.rebuild false' \
    'pulumi up --yes -s primary')" ]
  grep -q $'\tsnapshot-taken\tskipped: ' "$DR_TIMELINE"
  grep -q $'\tprotection-dropped\tskipped: ' "$DR_TIMELINE"
}

@test "a switchover resumed after a failed promotion keeps the recorded replica counts" {
  failed_back
  export STUB_FAIL_PATTERN='promote-read-replica' STUB_FAIL_MESSAGE='An error occurred (Throttling): Rate exceeded'
  run "$DR" --yes switchover
  [ "$status" -ne 0 ]
  [[ $output == *'step "switch-over" failed'*'Throttling'* ]]
  [ "$(cat "$STUB_STATE/k8s/taskflow-primary-eks-7c1d2e3/replicas")" = 0 ]
  unset STUB_FAIL_PATTERN STUB_FAIL_MESSAGE
  reset_log
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  ! mutating | grep -q 'annotate deployment/taskflow taskflow.dr/replicas-before-pause=' || false
  ! mutating | grep -q 'replicas=0' || false
  mutating | grep -q 'kubeconfig-primary -n taskflow scale deployment/taskflow --replicas=3'
  mutating | grep -q 'kubeconfig-standby -n taskflow scale deployment/taskflow --replicas=3'
}

@test "switchover waits for ReplicaLag 0 with writes paused, and fails if it never gets there" {
  failed_back
  echo 4.0 >"$STUB_STATE/lag/$PRIMARY_DB-r"
  run "$DR" --yes switchover
  [ "$status" -ne 0 ]
  [[ $output == *'step "switch-over" failed'*'ReplicaLag'*'is 4.0, not <= 0s'* ]]
  ! grep -q promote-read-replica "$STUB_LOG" || false
}

@test "failback waits for the rebuilt replica to catch up under the RPO objective" {
  echo 42.0 >"$STUB_STATE/lag/$PRIMARY_DB-r"
  run "$DR" --yes failback
  [ "$status" -ne 0 ]
  [[ $output == *'step "catch-up" failed'*'is 42.0, not <= 10s'* ]]
}

@test "--dry-run failback and switchover run nothing but the output reads" {
  run "$DR" --dry-run failback
  [ "$status" -eq 0 ]
  only_output_reads
  [[ $output == *'DRY-RUN: aws rds create-db-snapshot --region eu-west-1 --db-instance-identifier taskflow-primary-db-4f2a9c1 --db-snapshot-identifier taskflow-failback-'* ]]
  [[ $output == *"DRY-RUN: pulumi up --yes -s primary --replace 'urn:pulumi:primary::taskflow-dr::taskflow:dr:Region\$aws:rds/instance:Instance::primary-db'"* ]]
  run "$DR" --dry-run switchover
  [ "$status" -eq 0 ]
  only_output_reads
  [[ $output == *'DRY-RUN: aws rds promote-read-replica --region eu-west-1'* ]]
  [[ $output == *'DRY-RUN: aws route53 update-health-check --region us-east-1 --health-check-id 11111111-2222-3333-4444-555555555555 --health-threshold 1'* ]]
  [ ! -e "$DR_TIMELINE" ]
}

@test "without --yes and without a terminal failback aborts before the snapshot" {
  run "$DR" failback </dev/null
  [ "$status" -ne 0 ]
  [[ $output == *'step "snapshot" failed'*'stdin is not a terminal'* ]]
  [ -z "$(mutating)" ]
}
