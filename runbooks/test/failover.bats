#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each @test runs in its own subshell on purpose
# dr failover against the recording stubs: the exact calls of every step,
# scale/fence/promote running together, the timeline, idempotency, failures
# named by step, dry-run, confirmation, missing outputs, and that nothing
# calls the primary region nor Route 53's control plane.

load test_helper

setup() { setup_normal_phase; }

K='<tmp>/kubeconfig-standby'
NG_Q='--query nodegroup.[status,scalingConfig.minSize,scalingConfig.desiredSize,scalingConfig.maxSize] --output text'
DB_Q='--query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text'
T='--cli-connect-timeout 5 --cli-read-timeout 20'

@test "failover: the exact calls of each step" {
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  expect_calls read-outputs <<EOF2
pulumi stack output --json -s primary
pulumi stack output --json -s standby
EOF2
  expect_calls scale <<EOF2
aws eks describe-nodegroup --region eu-central-1 $T --cluster-name taskflow-dr-standby --nodegroup-name $STANDBY_NG $NG_Q
aws eks update-kubeconfig --region eu-central-1 $T --name taskflow-dr-standby --kubeconfig $K --role-arn $OPERATOR_ROLE
aws eks update-nodegroup-config --region eu-central-1 $T --cluster-name taskflow-dr-standby --nodegroup-name $STANDBY_NG --scaling-config minSize=3,maxSize=8,desiredSize=4 --output json
aws eks describe-nodegroup --region eu-central-1 $T --cluster-name taskflow-dr-standby --nodegroup-name $STANDBY_NG $NG_Q
aws eks describe-nodegroup --region eu-central-1 $T --cluster-name taskflow-dr-standby --nodegroup-name $STANDBY_NG $NG_Q
aws eks describe-nodegroup --region eu-central-1 $T --cluster-name taskflow-dr-standby --nodegroup-name $STANDBY_NG $NG_Q
kubectl --kubeconfig $K --request-timeout=20s get nodes -l eks.amazonaws.com/nodegroup=$STANDBY_NG --no-headers
kubectl --kubeconfig $K --request-timeout=20s get nodes -l eks.amazonaws.com/nodegroup=$STANDBY_NG --no-headers
kubectl --kubeconfig $K --request-timeout=20s -n taskflow get deployment/taskflow -o jsonpath={.spec.replicas}
kubectl --kubeconfig $K --request-timeout=20s -n taskflow scale deployment/taskflow --replicas=6
EOF2
  expect_calls fence <<EOF2
aws cloudwatch describe-alarms --region eu-central-1 $T --alarm-names $FENCE_ALARM --query MetricAlarms[0].StateValue --output text
aws cloudwatch put-metric-data --region eu-central-1 $T --namespace TaskFlowDR --metric-name PrimaryFenced --dimensions FencedStack=primary --value 1 --unit Count --storage-resolution 60 --output json
aws cloudwatch describe-alarms --region eu-central-1 $T --alarm-names $FENCE_ALARM --query MetricAlarms[0].StateValue --output text
aws cloudwatch describe-alarms --region eu-central-1 $T --alarm-names $FENCE_ALARM --query MetricAlarms[0].StateValue --output text
EOF2
  expect_calls promote <<EOF2
aws rds describe-db-instances --region eu-central-1 $T --db-instance-identifier $STANDBY_DB $DB_Q
aws rds promote-read-replica --region eu-central-1 $T --db-instance-identifier $STANDBY_DB --backup-retention-period 14 --output json
aws rds describe-db-instances --region eu-central-1 $T --db-instance-identifier $STANDBY_DB $DB_Q
aws rds describe-db-instances --region eu-central-1 $T --db-instance-identifier $STANDBY_DB $DB_Q
aws rds describe-db-instances --region eu-central-1 $T --db-instance-identifier $STANDBY_DB $DB_Q
EOF2
  expect_calls verify-writes <<EOF2
kubectl --kubeconfig $K --request-timeout=20s get --raw /api/v1/namespaces/taskflow-dr/services/dr-agent:http/proxy/status
kubectl --kubeconfig $K --request-timeout=20s get --raw /api/v1/namespaces/taskflow-dr/services/dr-agent:http/proxy/status
EOF2
  expect_calls reconcile <<'EOF2'
pulumi config get --path -s standby taskflow:database.mode
pulumi config set --path -s standby taskflow:database.mode writer
pulumi config get --path -s standby taskflow:cluster.scale
pulumi config set --path -s standby taskflow:cluster.scale failover
pulumi config get --path -s primary taskflow:dns.fence
pulumi config set --path -s primary taskflow:dns.fence true
pulumi refresh --yes --skip-preview -s standby --target urn:pulumi:standby::taskflow-dr::taskflow:dr:Region$aws:rds/instance:Instance::standby-db --target urn:pulumi:standby::taskflow-dr::taskflow:dr:Region$eks:index:ManagedNodeGroup$aws:eks/nodeGroup:NodeGroup::standby-ng
pulumi up --yes --skip-preview -s standby
pulumi stack output --json -s standby
EOF2
  expect_calls verify-app <<EOF2
kubectl --kubeconfig $K -n taskflow rollout status deployment/taskflow --timeout=300s
getent ahostsv4 app.taskflow.example.com
getent ahostsv4 taskflow-standby-alb-0987654321.eu-central-1.elb.amazonaws.com
curl -fsS --max-time 5 -o /dev/null https://app.taskflow.example.com/healthz
EOF2
  # every call belongs to a step; the steps after the parallel ones come in order
  [ "$(steps_called | grep -vxE 'scale|fence|promote' | tr '\n' ' ')" = "read-outputs verify-writes reconcile verify-app " ]
  [ "$(steps_called | sed -n '2,4p' | sort | tr '\n' ' ')" = "fence promote scale " ]
}

@test "failover: scale, fence and promote are under way at the same time" {
  # Each poll of one change waits until all three changes were made: a
  # failover that waited for one before starting the next deadlocks.
  export STUB_REQUIRE_OVERLAP="promote-read-replica update-nodegroup-config put-metric-data"
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  before scale-started promoted
  before promote-started scaled
  before fence-started promoted
  before promote-started fenced
  before scale-started fenced
  before fence-started scaled
}

@test "failover: never calls eu-west-1 nor Route 53 (us-east-1), never the primary cluster" {
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  ! grep -E 'eu-west-1|us-east-1|route53|kubeconfig-primary' <(calls) || false
  [ "$(calls | grep -c '^aws ')" -eq "$(calls | grep -c '^aws .* --region eu-central-1 --cli-connect-timeout 5 --cli-read-timeout 20 ')" ]
  # the primary stack is touched in config only
  [ "$(calls | grep -E -- '-s primary' | grep -vE '^pulumi (stack output|config (get|set))' || true)" = "" ]
}

@test "failover: the timeline records when each parallel step began and ended, then the rest in order" {
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  timeline_well_formed
  [ "$(cut -f2 "$DR_TIMELINE" | head -1)" = declared ]
  [ "$(cut -f2 "$DR_TIMELINE" | sed -n '2,7p' | sort | tr '\n' ' ')" = "fence-started fenced promote-started promoted scale-started scaled " ]
  [ "$(cut -f2 "$DR_TIMELINE" | tail -3 | tr '\n' ' ')" = "writes-verified reconciled app-verified " ]
  before scale-started scaled
  before fence-started fenced
  before promote-started promoted
  [[ $(event_detail scaled) == *"min 3 desired 4 max 8; 4 nodes Ready; TaskFlow 2 -> 6 replicas"* ]]
  [[ $(event_detail promote-started) == *"--backup-retention-period 14" ]]
  [[ $(event_detail writes-verified) == *"role writer, heartbeat newestSeq 999 -> 1000"* ]]
}

@test "failover: the promoted writer keeps the writer's backup retention and, when set, its window" {
  jq '.dbBackupWindow = "01:00-01:30" | .dbBackupRetentionDays = 21' "$TEST_DIR/fixtures/standby.json" >"$STUB_STATE/outputs/standby.json"
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  calls_in promote | grep -qx "aws rds promote-read-replica --region eu-central-1 $T --db-instance-identifier $STANDBY_DB --backup-retention-period 21 --preferred-backup-window 01:00-01:30 --output json"
  [ "$(state_get "$STUB_STATE/rds/eu-central-1/$STANDBY_DB" retention)" = 21 ]
  [ "$(state_get "$STUB_STATE/rds/eu-central-1/$STANDBY_DB" window)" = 01:00-01:30 ]
}

@test "failover: the reconcile's up fails without a refresh after the CLI promotion; dr refreshes first" {
  # What the refresh prevents: the state still holds replicateSourceDb, the
  # provider promotes again and RDS refuses (the stub is as strict).
  state_set "$STUB_STATE/rds/eu-central-1/$STANDBY_DB" source=
  printf 'writer\n' >"$STUB_STATE/config/standby/taskflow:database.mode"
  run pulumi up --yes --skip-preview -s standby
  [ "$status" -eq 255 ]
  [[ $output == *'promoting RDS DB Instance (taskflow-standby-db-8e31b07): InvalidDBInstanceState: DB Instance is not a read replica.'* ]]
  # dr's reconcile after its own promotion: refresh, then up, which succeeds.
  setup_normal_phase
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  [ "$(calls_in reconcile | grep -E '^pulumi (refresh|up)' | cut -d' ' -f1-2 | tr '\n' ' ')" = "pulumi refresh pulumi up " ]
  [ "$(jq -r .dbMode "$STUB_STATE/outputs/standby.json")" = writer ]
  [ "$(jq -r .nodeGroup.scale "$STUB_STATE/outputs/standby.json")" = failover ]
}

@test "failover: a second run after a complete one changes nothing" {
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  reset_log
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  [ -z "$(mutating)" ]
  [ "$(events)" = "declared scaled fenced promoted writes-verified reconciled app-verified " ] \
    || [ "$(cut -f2 "$DR_TIMELINE" | sed -n '2,4p' | sort | tr '\n' ' ')" = "fenced promoted scaled " ]
  [ "$(grep -c $'\tskipped: ' "$DR_TIMELINE")" -eq 4 ]
  ! grep -qE $'\t(scale|fence|promote)-started\t' "$DR_TIMELINE" || false
}

@test "failover: a failing promotion stops the run naming the step; the other steps are stopped; nothing is reconciled" {
  export STUB_FAIL_PATTERN='promote-read-replica' STUB_FAIL_RC=254 \
    STUB_FAIL_MESSAGE=$'\nAn error occurred (InvalidDBInstanceState) when calling the PromoteReadReplica operation: DB instance taskflow-standby-db-8e31b07 is not in available state.'
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *'step "promote" failed: aws rds promote-read-replica'*'exited 254: An error occurred (InvalidDBInstanceState)'* ]]
  [[ $output == *'promote: FAILED; end of its log'* ]]
  tail -n 1 "$DR_TIMELINE" | grep -Eq $'\tstep-failed\tpromote: aws rds promote-read-replica .* exited 254: An error occurred \\(InvalidDBInstanceState\\)'
  [ -z "$(calls_in reconcile)" ]
  [ -z "$(calls_in verify-writes)" ]
  ! grep -q $'\tpromoted\t' "$DR_TIMELINE" || false
}

@test "failover: an unknown node group is a named failure of the scale step" {
  jq '.nodeGroup.name = "taskflow-dr-standby-ng-gone"' "$TEST_DIR/fixtures/standby.json" >"$STUB_STATE/outputs/standby.json"
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *"step \"scale\" failed: node group 'taskflow-dr-standby-ng-gone' of cluster taskflow-dr-standby (eu-central-1) does not exist"*'No node group found for name: taskflow-dr-standby-ng-gone.'* ]]
  grep -q $'\tstep-failed\tscale: node group' "$DR_TIMELINE"
}

@test "failover: a node group that is still UPDATING is waited for before it is scaled (EKS refuses otherwise)" {
  state_set "$STUB_STATE/eks/$STANDBY_CLUSTER/$STANDBY_NG" ngstatus=UPDATING pmin=2 pdes=2 pmax=4 polls=1
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  [ "$(calls_in scale | grep -oE 'describe-nodegroup|update-nodegroup-config' | head -4 | tr '\n' ' ')" = "describe-nodegroup describe-nodegroup update-nodegroup-config describe-nodegroup " ]
}

@test "failover: EKS's refusal to update a group that is not ACTIVE is a named failure" {
  export STUB_FAIL_PATTERN='update-nodegroup-config' STUB_FAIL_RC=254 \
    STUB_FAIL_MESSAGE=$'\nAn error occurred (ResourceInUseException) when calling the UpdateNodegroupConfig operation: Nodegroup cannot be updated as it is currently not in Active State'
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *'step "scale" failed'*'ResourceInUseException'* ]]
}

@test "failover: NotReady extra nodes are ignored; fewer Ready nodes than the failover size is a named failure" {
  state_set "$STUB_STATE/k8s/$STANDBY_CLUSTER/nodes" extra=2
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  [[ $(event_detail scaled) == *"4 nodes Ready"* ]]
  ! calls | grep -q 'kubectl .* wait' || false
  setup_normal_phase
  state_set "$STUB_STATE/eks/$STANDBY_CLUSTER/$STANDBY_NG" ngstatus=ACTIVE min=3 des=4 max=8
  state_set "$STUB_STATE/k8s/$STANDBY_CLUSTER/nodes" ready=1 nodegroup=elsewhere
  export DR_NODES_TIMEOUT=0
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *'step "scale" failed: only 0 of 4 nodes of node group '"$STANDBY_NG"' Ready'* ]]
}

@test "failover: a promotion already under way (an interrupted run) is waited for, never issued twice" {
  state_set "$STUB_STATE/rds/eu-central-1/$STANDBY_DB" status=modifying polls=2
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  [ "$(count_calls promote-read-replica)" -eq 0 ]
  [[ $(event_detail promote-started) == 'resuming: taskflow-standby-db-8e31b07 (eu-central-1) is '*'; waiting until available' ]]
}

@test "failover: a missing fence alarm fails the fence step (the standby stack owns it)" {
  rm "$STUB_STATE/cw/eu-central-1/$FENCE_ALARM"
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *'step "fence" failed: alarm taskflow-dr-fence-primary does not exist in eu-central-1'* ]]
}

@test "failover: writes are verified by the DR agent; a silent agent fails verify-writes" {
  touch "$STUB_STATE/k8s/$STANDBY_CLUSTER/agent-down"
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *'step "verify-writes" failed'*'no endpoints available for service "dr-agent"'* ]]
  [ -z "$(calls_in reconcile)" ]
}

@test "failover: a run resumed after a failed up refreshes, then re-runs only the up" {
  export STUB_FAIL_PATTERN='^pulumi up' STUB_FAIL_MESSAGE='error: update failed'
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *'step "reconcile" failed: pulumi up --yes --skip-preview -s standby exited 255: error: update failed'* ]]
  unset STUB_FAIL_PATTERN STUB_FAIL_MESSAGE
  : >"$STUB_LOG"
  run "$DR" --yes failover
  [ "$status" -eq 0 ]
  [ "$(mutating | cut -d' ' -f1-2 | tr '\n' ' ')" = "pulumi refresh pulumi up " ]
  [ "$(grep -c $'\tdeclared\t' "$DR_TIMELINE")" -eq 1 ]
  [ "$(grep -c $'\tresumed\t' "$DR_TIMELINE")" -eq 1 ]
  before step-failed resumed
}

@test "failover: kubeconfigs use the operator role; DR_KUBE_ROLE_ARN overrides it, empty means the caller's identity" {
  DR_KUBE_ROLE_ARN=arn:aws:iam::123456789012:role/oncall run "$DR" --yes failover
  [ "$status" -eq 0 ]
  calls | grep 'eks update-kubeconfig' | grep -q -- '--role-arn arn:aws:iam::123456789012:role/oncall$'
  setup_normal_phase
  DR_KUBE_ROLE_ARN='' run "$DR" --yes failover
  [ "$status" -eq 0 ]
  ! calls | grep 'eks update-kubeconfig' | grep -q -- '--role-arn' || false
}

@test "failover --dry-run prints the commands and runs nothing but the output reads" {
  run "$DR" --dry-run failover
  [ "$status" -eq 0 ]
  [ "$(calls)" = "$(printf 'pulumi stack output --json -s primary\npulumi stack output --json -s standby')" ]
  [ ! -e "$DR_TIMELINE" ]
  [[ $output == *"DRY-RUN: aws eks update-nodegroup-config --region eu-central-1 $T --cluster-name taskflow-dr-standby --nodegroup-name $STANDBY_NG --scaling-config minSize=3,maxSize=8,desiredSize=4 --output json"* ]]
  [[ $output == *"DRY-RUN: aws cloudwatch put-metric-data --region eu-central-1 $T --namespace TaskFlowDR --metric-name PrimaryFenced --dimensions FencedStack=primary --value 1 --unit Count --storage-resolution 60 --output json"* ]]
  [[ $output == *"DRY-RUN: aws rds promote-read-replica --region eu-central-1 $T --db-instance-identifier $STANDBY_DB --backup-retention-period 14 --output json"* ]]
  [[ $output == *"DRY-RUN: pulumi config set --path -s primary taskflow:dns.fence true"* ]]
  [[ $output == *"DRY-RUN: pulumi refresh --yes --skip-preview -s standby --target"* ]]
  [[ $output == *"DRY-RUN: pulumi up --yes --skip-preview -s standby"* ]]
  [[ $output == *"DRY-RUN: kubectl --kubeconfig"*"scale deployment/taskflow --replicas=6"* ]]
  [[ $output == *'DRY-RUN (read): curl -fsS --max-time 5 -o /dev/null https://app.taskflow.example.com/healthz'* ]]
}

@test "failover without --yes and without a terminal aborts before changing anything" {
  run "$DR" failover </dev/null
  [ "$status" -eq 1 ]
  [[ $output == *'step "declare" failed'*'stdin is not a terminal'*'--yes'* ]]
  [ -z "$(mutating)" ]
  [ "$(calls | grep -vc '^pulumi stack output')" -eq 0 ]
}

@test "failover: a missing output is named before any change (top-level and nested)" {
  jq 'del(.dbInstanceId)' "$TEST_DIR/fixtures/standby.json" >"$STUB_STATE/outputs/standby.json"
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *"stack 'standby' has no output 'dbInstanceId'"* ]]
  [ -z "$(mutating)" ]
  grep -q $'\tstep-failed\tread-outputs: stack \'standby\' has no output \'dbInstanceId\'' "$DR_TIMELINE"
  jq 'del(.fenceSignal.alarmName)' "$TEST_DIR/fixtures/standby.json" >"$STUB_STATE/outputs/standby.json"
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *"stack 'standby' has no output 'fenceSignal.alarmName'"* ]]
}

@test "failover: a stack that cannot be read stops with pulumi's error" {
  rm "$STUB_STATE/outputs/primary.json"
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *"no stack named 'primary' found"* ]]
}

@test "failover: stack names come from flags and the environment" {
  for f in outputs/primary.json outputs/standby.json pstate/primary pstate/standby; do
    cp "$STUB_STATE/$f" "$STUB_STATE/${f/primary/prod-euw1}" 2>/dev/null || cp "$STUB_STATE/$f" "$STUB_STATE/${f/standby/prod-euc1}"
  done
  DR_STANDBY_STACK=prod-euc1 run "$DR" --yes --primary-stack prod-euw1 --dry-run failover
  [ "$status" -eq 0 ]
  [ "$(calls)" = "$(printf 'pulumi stack output --json -s prod-euw1\npulumi stack output --json -s prod-euc1')" ]
  [[ $output == *'pulumi up --yes --skip-preview -s prod-euc1'* ]]
}

@test "failover: the app check fails verify-app when /healthz never answers" {
  touch "$STUB_STATE/curl-fail"
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *'step "verify-app" failed: https://app.taskflow.example.com/healthz not answering'* ]]
  tail -n 1 "$DR_TIMELINE" | grep -q $'\tstep-failed\tverify-app: '
}

@test "failover: the app check waits for app.<domain> to resolve to the standby ALB" {
  echo 198.51.100.7 >"$STUB_STATE/dns/app.taskflow.example.com" # still the old primary
  run "$DR" --yes failover
  [ "$status" -eq 1 ]
  [[ $output == *'does not resolve to the standby ALB'* ]]
  ! calls | grep -q '^curl' || false
}

@test "failover: --timeline FILE is honoured and appended to; parallel steps log beside it" {
  run "$DR" --yes --timeline "$BATS_TEST_TMPDIR/t/custom.tsv" failover
  [ "$status" -eq 0 ]
  [ "$(wc -l <"$BATS_TEST_TMPDIR/t/custom.tsv")" -eq 10 ]
  grep -q 'update-nodegroup-config' "$BATS_TEST_TMPDIR/t/dr-logs/failover-scale.log"
  grep -q 'promote-read-replica' "$BATS_TEST_TMPDIR/t/dr-logs/failover-promote.log"
  run "$DR" --yes --timeline "$BATS_TEST_TMPDIR/t/custom.tsv" failover
  [ "$(wc -l <"$BATS_TEST_TMPDIR/t/custom.tsv")" -eq 17 ]
  [ ! -e "$DR_TIMELINE" ]
}
