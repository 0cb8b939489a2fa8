#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each @test runs in its own subshell on purpose
# dr switchover against the recording stubs, from the failed-back phase
# (primary a replica of the standby's writer): exact calls, RPO 0 proven by
# the DR agents' heartbeat (also with an idle writer), the parallel
# reconcile/unfence/resume, resume after failures and kills, the normal
# phase at the end.

load test_helper

setup() {
  setup_normal_phase
  use_phase failedback failover failback
}

T='--cli-connect-timeout 5 --cli-read-timeout 20'
DB_Q='--query DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier] --output text'
KP='<tmp>/kubeconfig-primary'
KS='<tmp>/kubeconfig-standby'
RAW='get --raw /api/v1/namespaces/taskflow-dr/services/dr-agent:http/proxy/status'
ANN='jsonpath={.metadata.annotations.taskflow\.dr/replicas-before-pause}'

@test "switchover: the exact calls of each step" {
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  expect_calls preconditions <<EOF2
aws eks update-kubeconfig --region eu-west-1 $T --name taskflow-dr-primary --kubeconfig $KP --role-arn $OPERATOR_ROLE
aws eks update-kubeconfig --region eu-central-1 $T --name taskflow-dr-standby --kubeconfig $KS --role-arn $OPERATOR_ROLE
aws rds describe-db-instances --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB-r $DB_Q
aws rds describe-db-instances --region eu-central-1 $T --db-instance-identifier $STANDBY_DB $DB_Q
kubectl --kubeconfig $KP --request-timeout=20s -n taskflow get deployment/taskflow -o $ANN
kubectl --kubeconfig $KS --request-timeout=20s -n taskflow get deployment/taskflow -o $ANN
EOF2
  expect_calls pause-writes <<EOF2
kubectl --kubeconfig $KP --request-timeout=20s -n taskflow get deployment/taskflow -o jsonpath={.spec.replicas}
kubectl --kubeconfig $KP --request-timeout=20s -n taskflow get deployment/taskflow -o $ANN
kubectl --kubeconfig $KP --request-timeout=20s -n taskflow annotate deployment/taskflow taskflow.dr/replicas-before-pause=6 --overwrite
kubectl --kubeconfig $KP --request-timeout=20s -n taskflow scale deployment/taskflow --replicas=0
kubectl --kubeconfig $KS --request-timeout=20s -n taskflow get deployment/taskflow -o jsonpath={.spec.replicas}
kubectl --kubeconfig $KS --request-timeout=20s -n taskflow get deployment/taskflow -o $ANN
kubectl --kubeconfig $KS --request-timeout=20s -n taskflow annotate deployment/taskflow taskflow.dr/replicas-before-pause=6 --overwrite
kubectl --kubeconfig $KS --request-timeout=20s -n taskflow scale deployment/taskflow --replicas=0
kubectl --kubeconfig $KP --request-timeout=20s -n taskflow get deployment/taskflow -o jsonpath={.status.replicas}
kubectl --kubeconfig $KP --request-timeout=20s -n taskflow get deployment/taskflow -o jsonpath={.status.replicas}
kubectl --kubeconfig $KS --request-timeout=20s -n taskflow get deployment/taskflow -o jsonpath={.status.replicas}
kubectl --kubeconfig $KS --request-timeout=20s -n taskflow get deployment/taskflow -o jsonpath={.status.replicas}
EOF2
  # the standby's (writer) agent twice: a heartbeat newer than the first read
  # after the pause; then the primary's (replica) agent until it replayed it
  [ "$(calls_in rpo-zero | head -2 | sort -u)" = "kubectl --kubeconfig $KS --request-timeout=20s $RAW" ]
  [ "$(calls_in rpo-zero | tail -n +3 | sort -u)" = "kubectl --kubeconfig $KP --request-timeout=20s $RAW" ]
  expect_calls promote <<EOF2
aws rds describe-db-instances --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB-r $DB_Q
aws rds promote-read-replica --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB-r --backup-retention-period 14 --preferred-backup-window 02:00-02:30 --output json
aws rds describe-db-instances --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB-r $DB_Q
aws rds describe-db-instances --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB-r $DB_Q
aws rds describe-db-instances --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB-r $DB_Q
EOF2
  expect_calls reconcile-primary <<'EOF2'
pulumi config get --path -s primary taskflow:database.mode
pulumi config set --path -s primary taskflow:database.mode writer
pulumi config get --path -s primary taskflow:dns.fence
pulumi config set --path -s primary taskflow:dns.fence false
pulumi refresh --yes --skip-preview -s primary --target urn:pulumi:primary::taskflow-dr::taskflow:dr:Region$aws:rds/instance:Instance::primary-db --target urn:pulumi:primary::taskflow-dr::taskflow:dr:Region$eks:index:ManagedNodeGroup$aws:eks/nodeGroup:NodeGroup::primary-ng
pulumi up --yes --skip-preview -s primary
EOF2
  expect_calls unfence <<EOF2
aws cloudwatch describe-alarms --region eu-central-1 $T --alarm-names $FENCE_ALARM --query MetricAlarms[0].StateValue --output text
aws cloudwatch put-metric-data --region eu-central-1 $T --namespace TaskFlowDR --metric-name PrimaryFenced --dimensions FencedStack=primary --value 0 --unit Count --storage-resolution 60 --output json
aws cloudwatch describe-alarms --region eu-central-1 $T --alarm-names $FENCE_ALARM --query MetricAlarms[0].StateValue --output text
aws cloudwatch describe-alarms --region eu-central-1 $T --alarm-names $FENCE_ALARM --query MetricAlarms[0].StateValue --output text
EOF2
  expect_calls resume-writes <<EOF2
kubectl --kubeconfig $KP --request-timeout=20s -n taskflow get deployment/taskflow -o $ANN
kubectl --kubeconfig $KP --request-timeout=20s -n taskflow scale deployment/taskflow --replicas=6
kubectl --kubeconfig $KP -n taskflow rollout status deployment/taskflow --timeout=300s
kubectl --kubeconfig $KP --request-timeout=20s -n taskflow annotate deployment/taskflow taskflow.dr/replicas-before-pause-
EOF2
  expect_calls rebuild-standby <<EOF2
pulumi config get --path -s standby taskflow:database.rebuild
aws rds create-db-snapshot --region eu-central-1 $T --db-instance-identifier $STANDBY_DB --db-snapshot-identifier taskflow-switchover-<ts> --output json
aws rds describe-db-snapshots --region eu-central-1 $T --db-snapshot-identifier taskflow-switchover-<ts> --query DBSnapshots[0].Status --output text
aws rds describe-db-snapshots --region eu-central-1 $T --db-snapshot-identifier taskflow-switchover-<ts> --query DBSnapshots[0].Status --output text
aws rds describe-db-snapshots --region eu-central-1 $T --db-snapshot-identifier taskflow-switchover-<ts> --query DBSnapshots[0].Status --output text
aws rds describe-db-instances --region eu-central-1 $T --db-instance-identifier $STANDBY_DB --query DBInstances[0].DeletionProtection --output text
pulumi config get --path -s standby taskflow:database.rebuild
pulumi config set --path -s standby taskflow:database.rebuild true
pulumi up --yes -s standby
pulumi config get --path -s standby taskflow:database.mode
pulumi config set --path -s standby taskflow:database.mode replica
pulumi up --yes --replace urn:pulumi:standby::taskflow-dr::taskflow:dr:Region\$aws:rds/instance:Instance::standby-db -s standby
pulumi stack output --json -s standby
pulumi config get --path -s standby taskflow:database.rebuild
pulumi config set --path -s standby taskflow:database.rebuild false
pulumi config get --path -s standby taskflow:cluster.scale
pulumi config set --path -s standby taskflow:cluster.scale normal
pulumi up --yes -s standby
aws rds describe-db-instances --region eu-central-1 $T --db-instance-identifier $STANDBY_DB-r $DB_Q
EOF2
  expect_calls resume-standby <<EOF2
kubectl --kubeconfig $KS --request-timeout=20s -n taskflow get deployment/taskflow -o $ANN
kubectl --kubeconfig $KS --request-timeout=20s -n taskflow scale deployment/taskflow --replicas=2
kubectl --kubeconfig $KS -n taskflow rollout status deployment/taskflow --timeout=300s
kubectl --kubeconfig $KS --request-timeout=20s -n taskflow annotate deployment/taskflow taskflow.dr/replicas-before-pause-
EOF2
  [ "$(steps_called | grep -vxE 'reconcile-primary|unfence|resume-writes' | tr '\n' ' ')" = "read-outputs preconditions pause-writes rpo-zero promote rebuild-standby resume-standby " ]
}

@test "switchover: the timeline, and the normal phase at the end" {
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  timeline_well_formed
  from=$(grep -n $'\tswitchover-started\t' "$DR_TIMELINE" | cut -d: -f1)
  [ "$(tail -n +"$from" "$DR_TIMELINE" | cut -f2 | sed -n '1,5p' | tr '\n' ' ')" = "switchover-started writes-paused rpo-zero-proven promote-started switched-over " ]
  [ "$(tail -n +"$from" "$DR_TIMELINE" | cut -f2 | sed -n '6,11p' | sort | tr '\n' ' ')" = "primary-reconcile-started primary-reconciled unfence-started unfenced writes-resumed " ] \
    || [ "$(tail -n +"$from" "$DR_TIMELINE" | cut -f2 | sed -n '6,10p' | sort | tr '\n' ' ')" = "primary-reconcile-started primary-reconciled unfence-started unfenced writes-resumed " ]
  [ "$(tail -n 4 "$DR_TIMELINE" | cut -f2 | tr '\n' ' ')" = "standby-snapshot-started standby-snapshot-taken standby-rebuilt standby-resumed " ]
  before switched-over writes-resumed
  before rpo-zero-proven promote-started
  # normal phase
  [ "$(state_get "$STUB_STATE/cw/eu-central-1/$FENCE_ALARM" state)" = OK ]
  [ "$(state_get "$STUB_STATE/r53/$GATE" threshold)" = 2 ]
  [ "$(cat "$STUB_STATE/config/primary/taskflow:database.mode")" = writer ]
  [ "$(cat "$STUB_STATE/config/primary/taskflow:dns.fence")" = false ]
  [ "$(cat "$STUB_STATE/config/primary/taskflow:database.rebuild")" = false ]
  [ "$(cat "$STUB_STATE/config/standby/taskflow:database.mode")" = replica ]
  [ "$(cat "$STUB_STATE/config/standby/taskflow:database.rebuild")" = false ]
  [ "$(cat "$STUB_STATE/config/standby/taskflow:cluster.scale")" = normal ]
  [ "$(state_get "$STUB_STATE/rds/eu-west-1/$PRIMARY_DB-r" source)" = "" ]
  [ "$(state_get "$STUB_STATE/rds/eu-west-1/$PRIMARY_DB-r" retention)" = 14 ]
  [ "$(state_get "$STUB_STATE/rds/eu-central-1/$STANDBY_DB-r" source)" = "arn:aws:rds:eu-west-1:123456789012:db:$PRIMARY_DB-r" ]
  [ "$(state_get "$STUB_STATE/rds/eu-west-1/$PRIMARY_DB-r" protection)" = true ]
  [ "$(state_get "$STUB_STATE/rds/eu-central-1/$STANDBY_DB-r" protection)" = true ]
  [ "$(state_get "$STUB_STATE/eks/$STANDBY_CLUSTER/$STANDBY_NG" des)" = 2 ]
  [ "$(state_get "$STUB_STATE/k8s/$PRIMARY_CLUSTER/deploy" replicas)" = 6 ]
  [ "$(state_get "$STUB_STATE/k8s/$STANDBY_CLUSTER/deploy" replicas)" = 2 ]
  [ "$(state_get "$STUB_STATE/k8s/$PRIMARY_CLUSTER/deploy" annotation)" = "" ]
  [ "$(state_get "$STUB_STATE/k8s/$STANDBY_CLUSTER/deploy" annotation)" = "" ]
  [ "$(jq -r .dbMode "$STUB_STATE/outputs/primary.json") $(jq -r .dbMode "$STUB_STATE/outputs/standby.json")" = "writer replica" ]
}

@test "switchover: reconcile-primary, unfence and resume-writes are under way at the same time" {
  export STUB_REQUIRE_OVERLAP="put-metric-data pulumi-up kubectl-scale-up"
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  before unfence-started writes-resumed
  before writes-resumed unfenced || before unfence-started writes-resumed
}

@test "switchover: an idle writer (no app writes at all) still proves RPO 0 through the agents' own heartbeat" {
  # No writes from TaskFlow: during the whole switchover only the agents'
  # heartbeat moves. RDS ReplicaLag would read minutes for such an idle
  # writer; the runbook never asks for it (the stub would refuse the call).
  state_set "$STUB_STATE/k8s/$STANDBY_CLUSTER/deploy" replicas=0 sreplicas=0
  state_set "$STUB_STATE/k8s/$PRIMARY_CLUSTER/agent" lag=5
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  [ "$(count_calls 'get-metric-statistics|ReplicaLag')" -eq 0 ]
  [[ $(event_detail rpo-zero-proven) =~ ^heartbeat\ ([0-9]+)\ written\ by\ the\ standby.s\ writer\ after\ the\ pause\ is\ replayed\ on\ .*\(newestSeq\ ([0-9]+)\) ]]
  (( BASH_REMATCH[2] >= BASH_REMATCH[1] ))
  # the primary was read until it had replayed it: once per heartbeat behind
  [ "$(calls_in rpo-zero | grep -c kubeconfig-primary)" -ge 5 ]
}

@test "switchover: RPO 0 not proven (replication stuck) means no promotion and writes stay paused" {
  state_set "$STUB_STATE/k8s/$PRIMARY_CLUSTER/agent" lag=3 stuck=true
  export DR_RPO_ZERO_TIMEOUT=2
  run "$DR" --yes switchover
  [ "$status" -eq 1 ]
  [[ $output == *'step "rpo-zero" failed: the primary'"'"'s replica replayed heartbeat'*'not promoting'* ]]
  [ "$(count_calls promote-read-replica)" -eq 0 ]
  [ "$(state_get "$STUB_STATE/k8s/$PRIMARY_CLUSTER/deploy" replicas)" = 0 ]
  [ "$(state_get "$STUB_STATE/k8s/$STANDBY_CLUSTER/deploy" replicas)" = 0 ]
}

@test "switchover: a writer agent that reports another role stops before the promotion" {
  state_set "$STUB_STATE/rds/eu-central-1/$STANDBY_DB" status=modifying
  run "$DR" --yes switchover
  [ "$status" -eq 1 ]
  [[ $output == *'step "rpo-zero" failed: the DR agent of standby reports role '"'unknown'"', expected writer'* ]]
  [ "$(count_calls promote-read-replica)" -eq 0 ]
}

@test "switchover: a run resumed after a failed promotion keeps the recorded replica counts" {
  export STUB_FAIL_PATTERN='promote-read-replica' STUB_FAIL_RC=254 \
    STUB_FAIL_MESSAGE=$'\nAn error occurred (Throttling) when calling the PromoteReadReplica operation: Rate exceeded'
  run "$DR" --yes switchover
  [ "$status" -eq 1 ]
  [[ $output == *'step "promote" failed'*'Throttling'* ]]
  [ "$(state_get "$STUB_STATE/k8s/$PRIMARY_CLUSTER/deploy" replicas)" = 0 ]
  unset STUB_FAIL_PATTERN STUB_FAIL_MESSAGE STUB_FAIL_RC
  : >"$STUB_LOG"
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  ! mutating | grep -q 'annotate deployment/taskflow taskflow.dr/replicas-before-pause=' || false
  mutating | grep -q 'kubeconfig-primary --request-timeout=20s -n taskflow scale deployment/taskflow --replicas=6'
  mutating | grep -q 'kubeconfig-standby --request-timeout=20s -n taskflow scale deployment/taskflow --replicas=2'
}

@test "switchover: a run killed right after the promotion call waits for it, never promotes twice, never re-proves" {
  export STUB_KILL_PATTERN='promote-read-replica'
  run setsid "$DR" --yes switchover
  [ "$status" -eq 137 ]
  unset STUB_KILL_PATTERN
  : >"$STUB_LOG"
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  [ "$(count_calls promote-read-replica)" -eq 0 ]
  [[ $(tail -n +2 <<<"$(grep $'\trpo-zero-proven\t' "$DR_TIMELINE")" | cut -f3) == skipped:* ]]
  [ -z "$(calls_in rpo-zero)" ]
  [ "$(state_get "$STUB_STATE/rds/eu-west-1/$PRIMARY_DB-r" source)" = "" ]
}

@test "switchover: a second run after a complete one changes nothing" {
  "$DR" --yes switchover >/dev/null 2>&1
  : >"$STUB_LOG"
  run "$DR" --yes switchover
  [ "$status" -eq 0 ]
  [ -z "$(mutating)" ]
  [ "$(tail -n 8 "$DR_TIMELINE" | grep -c $'\tskipped: ')" -eq 8 ]
}

@test "switchover: refuses to start before failback (both writers, no switchover in progress)" {
  use_phase failedover failover
  run "$DR" --yes switchover
  [ "$status" -eq 1 ]
  [[ $output == *'both writers and no switchover is in progress: run dr failback first'* ]]
  [ -z "$(mutating)" ]
}

@test "switchover --dry-run runs nothing but the output reads" {
  run "$DR" --dry-run switchover
  [ "$status" -eq 0 ]
  only_output_reads
  [[ $output == *"DRY-RUN: aws rds promote-read-replica --region eu-west-1 $T --db-instance-identifier $PRIMARY_DB-r --backup-retention-period 14 --preferred-backup-window 02:00-02:30 --output json"* ]]
  [[ $output == *"DRY-RUN: aws cloudwatch put-metric-data --region eu-central-1 $T --namespace TaskFlowDR --metric-name PrimaryFenced --dimensions FencedStack=primary --value 0"* ]]
  [[ $output == *"DRY-RUN: pulumi refresh --yes --skip-preview -s primary --target"* ]]
}
