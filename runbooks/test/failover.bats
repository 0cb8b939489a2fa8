#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each @test runs in its own subshell on purpose
# dr failover against recording stubs: the exact command sequence, the
# timeline, idempotency, resume after a failure, dry-run, confirmation,
# missing outputs, and that nothing calls the primary region.

load test_helper

setup() { setup_normal_phase; }

TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z	[a-z-]+	[^	]*$'

@test "failover runs the exact command sequence" {
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  expect_calls <<'EOF2'
pulumi stack output --json -s primary
pulumi stack output --json -s standby
aws route53 get-health-check --region us-east-1 --health-check-id 11111111-2222-3333-4444-555555555555 --query HealthCheck.HealthCheckConfig.HealthThreshold --output text
aws route53 update-health-check --region us-east-1 --health-check-id 11111111-2222-3333-4444-555555555555 --health-threshold 2
aws route53 get-health-check --region us-east-1 --health-check-id 11111111-2222-3333-4444-555555555555 --query HealthCheck.HealthCheckConfig.HealthThreshold --output text
aws rds describe-db-instances --region eu-central-1 --db-instance-identifier taskflow-standby-db-8e31b07 --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
aws rds promote-read-replica --region eu-central-1 --db-instance-identifier taskflow-standby-db-8e31b07
aws rds wait db-instance-available --region eu-central-1 --db-instance-identifier taskflow-standby-db-8e31b07
aws rds describe-db-instances --region eu-central-1 --db-instance-identifier taskflow-standby-db-8e31b07 --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
aws rds describe-db-instances --region eu-central-1 --db-instance-identifier taskflow-standby-db-8e31b07 --query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text
aws autoscaling describe-auto-scaling-groups --region eu-central-1 --auto-scaling-group-names eks-taskflow-standby-ng-1a2b3c4d --query AutoScalingGroups[0].[MinSize,DesiredCapacity,MaxSize] --output text
aws autoscaling update-auto-scaling-group --region eu-central-1 --auto-scaling-group-name eks-taskflow-standby-ng-1a2b3c4d --min-size 3 --max-size 12 --desired-capacity 6
aws eks update-kubeconfig --region eu-central-1 --name taskflow-standby-eks-3b4c5d6 --kubeconfig <tmp>/kubeconfig-standby
kubectl --kubeconfig <tmp>/kubeconfig-standby get nodes --no-headers
kubectl --kubeconfig <tmp>/kubeconfig-standby wait --for=condition=Ready nodes --all --timeout=5s
pulumi config get --path -s standby taskflow:database.mode
pulumi config set --path -s standby taskflow:database.mode writer
pulumi config get --path -s standby taskflow:cluster.scale
pulumi config set --path -s standby taskflow:cluster.scale failover
pulumi config get --path -s primary taskflow:dns.fence
pulumi config set --path -s primary taskflow:dns.fence true
pulumi up --yes --skip-preview -s standby
kubectl --kubeconfig <tmp>/kubeconfig-standby -n taskflow rollout status deployment/taskflow --timeout=300s
getent ahostsv4 app.example.com
getent ahostsv4 taskflow-standby-alb-0987654321.eu-central-1.elb.amazonaws.com
curl -fsS --max-time 5 -o /dev/null https://app.example.com/healthz
EOF2
}

@test "failover never calls the primary region and names a region on every AWS call" {
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  ! grep -q 'eu-west-1' "$STUB_LOG" || false
  ! grep '^aws ' "$STUB_LOG" | grep -v -- '--region ' || false
}

@test "failover writes one well-formed timeline line per step, in order" {
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  [ "$(events | tr '\n' ' ')" = "declared fenced promoted writes-verified scaled reconciled app-verified " ]
  while IFS= read -r line; do
    [[ $line =~ $TS_RE ]] || { echo "malformed: $line" >&2; false; }
  done <"$DR_TIMELINE"
}

@test "a second failover after a complete one changes nothing" {
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  reset_log
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  [ -z "$(mutating)" ]
  [ "$(events | tr '\n' ' ')" = "declared fenced promoted writes-verified scaled reconciled app-verified " ]
  [ "$(grep -c $'\tskipped: ' "$DR_TIMELINE")" -eq 4 ]  # fenced promoted scaled reconciled
}

@test "a failing step stops the run, names the step and the reason" {
  export STUB_FAIL_PATTERN='promote-read-replica' STUB_FAIL_MESSAGE='An error occurred (InvalidDBInstanceState): replica is not in the available state'
  run "$DR" --yes failover
  [ "$status" -ne 0 ]
  [[ $output == *'step "promote" failed'* ]]
  [[ $output == *'InvalidDBInstanceState'* ]]
  ! grep -q 'update-auto-scaling-group\|pulumi up\|config set' "$STUB_LOG" || false
  tail -n 1 "$DR_TIMELINE" | grep -Eq $'^[0-9T:.Z-]+\tstep-failed\tpromote: .*promote-read-replica.*InvalidDBInstanceState'
  [ "$(events | tr '\n' ' ')" = "declared fenced step-failed " ]
}

@test "a run resumed after a failure in the scale step skips the steps before it" {
  export STUB_FAIL_PATTERN='update-auto-scaling-group' STUB_FAIL_MESSAGE='An error occurred (ScalingActivityInProgress): scaling activity in progress'
  run "$DR" --yes failover
  [ "$status" -ne 0 ]
  [[ $output == *'step "scale" failed'* ]]
  [[ $output == *'ScalingActivityInProgress'* ]]
  unset STUB_FAIL_PATTERN STUB_FAIL_MESSAGE
  reset_log
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  mutating | grep -q 'update-auto-scaling-group'
  mutating | grep -q 'pulumi up --yes --skip-preview -s standby'
  ! mutating | grep -q 'update-health-check\|promote-read-replica' || false
  grep -q $'\tfenced\tskipped: ' "$DR_TIMELINE"
  grep -q $'\tpromoted\tskipped: ' "$DR_TIMELINE"
  ! grep -q $'\tscaled\tskipped: ' "$DR_TIMELINE" || false
}

@test "a run resumed after a failed pulumi up re-runs only the up" {
  export STUB_FAIL_PATTERN='^pulumi up' STUB_FAIL_MESSAGE='error: update failed'
  run "$DR" --yes failover
  [ "$status" -ne 0 ]
  [[ $output == *'step "reconcile" failed'* ]]
  unset STUB_FAIL_PATTERN STUB_FAIL_MESSAGE
  reset_log
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  [ "$(mutating)" = "pulumi up --yes --skip-preview -s standby" ]
}

@test "--dry-run prints the commands and runs nothing but the output reads" {
  run "$DR" --dry-run failover
  [ "$status" -eq 0 ]
  [ "$(calls)" = "$(printf 'pulumi stack output --json -s primary\npulumi stack output --json -s standby')" ]
  [ ! -e "$DR_TIMELINE" ]
  [[ $output == *'DRY-RUN: aws route53 update-health-check --region us-east-1 --health-check-id 11111111-2222-3333-4444-555555555555 --health-threshold 2'* ]]
  [[ $output == *'DRY-RUN: aws rds promote-read-replica --region eu-central-1 --db-instance-identifier taskflow-standby-db-8e31b07'* ]]
  [[ $output == *'DRY-RUN: aws autoscaling update-auto-scaling-group --region eu-central-1 --auto-scaling-group-name eks-taskflow-standby-ng-1a2b3c4d --min-size 3 --max-size 12 --desired-capacity 6'* ]]
  [[ $output == *'DRY-RUN: pulumi config set --path -s primary taskflow:dns.fence true'* ]]
  [[ $output == *'DRY-RUN: pulumi up --yes --skip-preview -s standby'* ]]
  [[ $output == *'DRY-RUN (read): curl -fsS --max-time 5 -o /dev/null https://app.example.com/healthz'* ]]
}

@test "without --yes and without a terminal the failover aborts before changing anything" {
  run "$DR" failover </dev/null
  [ "$status" -ne 0 ]
  [[ $output == *'step "fence" failed'* ]]
  [[ $output == *'stdin is not a terminal'*'--yes'* ]]
  [ -z "$(mutating)" ]
}

@test "a missing stack output is a clear error naming the stack and the output" {
  jq 'del(.dbInstanceId)' "$TEST_DIR/fixtures/standby.json" >"$STUB_STATE/outputs/standby.json"
  run "$DR" --yes failover
  [ "$status" -ne 0 ]
  [[ $output == *"stack 'standby' has no output 'dbInstanceId'"* ]]
  [ -z "$(mutating)" ]
  grep -q $'\tstep-failed\tread-outputs: stack \'standby\' has no output \'dbInstanceId\'' "$DR_TIMELINE"
}

@test "a missing nested output (nodeGroup.failoverDesiredSize) is named too" {
  jq 'del(.nodeGroup.failoverDesiredSize)' "$TEST_DIR/fixtures/standby.json" >"$STUB_STATE/outputs/standby.json"
  run "$DR" --yes failover
  [ "$status" -ne 0 ]
  [[ $output == *"stack 'standby' has no output 'nodeGroup.failoverDesiredSize'"* ]]
}

@test "a stack that cannot be read stops with pulumi's error" {
  rm "$STUB_STATE/outputs/primary.json"
  run "$DR" --yes failover
  [ "$status" -ne 0 ]
  [[ $output == *"no stack named 'primary' found"* ]]
}

@test "stack names come from flags and the environment" {
  cp "$STUB_STATE/outputs/primary.json" "$STUB_STATE/outputs/prod-euw1.json"
  cp "$STUB_STATE/outputs/standby.json" "$STUB_STATE/outputs/prod-euc1.json"
  cp -r "$STUB_STATE/config/primary" "$STUB_STATE/config/prod-euw1"
  cp -r "$STUB_STATE/config/standby" "$STUB_STATE/config/prod-euc1"
  DR_STANDBY_STACK=prod-euc1 run "$DR" --yes --primary-stack prod-euw1 --dry-run failover
  [ "$status" -eq 0 ]
  [ "$(calls)" = "$(printf 'pulumi stack output --json -s prod-euw1\npulumi stack output --json -s prod-euc1')" ]
  [[ $output == *'pulumi up --yes --skip-preview -s prod-euc1'* ]]
}

@test "the app check fails the verify-app step when /healthz never answers" {
  touch "$STUB_STATE/curl-fail"
  run "$DR" --yes failover
  [ "$status" -ne 0 ]
  [[ $output == *'step "verify-app" failed'*'https://app.example.com/healthz not answering'* ]]
  tail -n 1 "$DR_TIMELINE" | grep -q $'\tstep-failed\tverify-app: '
}

@test "the app check waits for app.<domain> to resolve to the standby ALB" {
  echo 198.51.100.7 >"$STUB_STATE/dns/app.example.com"   # still the old primary
  run "$DR" --yes failover
  [ "$status" -ne 0 ]
  [[ $output == *'does not resolve to the standby ALB'* ]]
  ! grep -q '^curl' "$STUB_LOG" || false
}

@test "--timeline FILE is honoured and appended to" {
  run "$DR" --yes --timeline "$BATS_TEST_TMPDIR/t/custom.tsv" failover
  [ "$status" -eq 0 ]
  [ "$(wc -l <"$BATS_TEST_TMPDIR/t/custom.tsv")" -eq 7 ]
  run "$DR" --yes --timeline "$BATS_TEST_TMPDIR/t/custom.tsv" failover
  [ "$(wc -l <"$BATS_TEST_TMPDIR/t/custom.tsv")" -eq 14 ]
  [ ! -e "$DR_TIMELINE" ]
}
