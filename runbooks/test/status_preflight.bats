#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each @test runs in its own subshell on purpose
# dr help/usage, dr status, dr preflight and dr fence against the recording
# stubs.

load test_helper

setup() { setup_normal_phase; }

T='--cli-connect-timeout 5 --cli-read-timeout 20'
TO=(--cli-connect-timeout 5 --cli-read-timeout 20)

@test "help prints the commands; no command or an unknown flag is a usage error" {
  run "$DR" help
  [ "$status" -eq 0 ]
  [[ $output == *status*preflight*failover*failback*switchover*fence* ]]
  run "$DR"
  [ "$status" -eq 2 ]
  run "$DR" --bogus failover
  [ "$status" -eq 2 ]
  [[ $output == *'unknown argument: --bogus'* ]]
  run "$DR" --control-plane failover
  [ "$status" -eq 2 ]
  [ ! -s "$STUB_LOG" ]
}

@test "status shows both stacks: databases, node groups, DR agents, the fence alarm, the gate, the budget" {
  run "$DR" status
  [ "$status" -eq 0 ]
  [ -z "$(mutating)" ]
  [ ! -e "$DR_TIMELINE" ]
  [[ $output == *"nodegroup $STANDBY_NG: ACTIVE, min 2 desired 2 max 4"* ]]
  [[ $output == *"agent     role replica, heartbeat newestSeq "*", replication delay 1.42s, lastError none"* ]]
  [[ $output == *"agent     role writer, heartbeat newestSeq "*", replication delay n/a (writer)"* ]]
  [[ $output == *"fence     alarm taskflow-dr-fence-primary (eu-central-1): OK: not fenced"* ]]
  [[ $output == *"gate      $GATE: CALCULATED, HealthThreshold 2 over children $ENDPOINT_HC,$FENCE_HC"* ]]
  [[ $output == *'writes accepted in 810s (objective 900s), full capacity in 1230s (objective 1800s)'* ]]
  # every AWS call has timeouts; status reads Route 53 (us-east-1) but changes nothing
  [ "$(calls | grep -c '^aws ')" -eq "$(calls | grep -c -- "^aws .* $T ")" ]
}

@test "status after a failover and failback shows the fence and the config-fenced gate" {
  use_phase failedback failover failback
  run "$DR" status
  [ "$status" -eq 0 ]
  [[ $output == *'alarm taskflow-dr-fence-primary (eu-central-1): ALARM: primary FENCED'* ]]
  [[ $output == *'HealthThreshold 3 over children'*'FENCED through the control plane (config dns.fence)'* ]]
  [[ $output == *'database.mode=writer database.rebuild=false dns.fence= cluster.scale=failover'* ]]
  [[ $output == *"nodegroup $STANDBY_NG: ACTIVE, min 3 desired 4 max 8"* ]]
}

@test "status survives an unreachable primary region and names why" {
  export STUB_DOWN_REGIONS=eu-west-1
  run "$DR" status
  [ "$status" -eq 0 ]
  [[ $output == *"database  $PRIMARY_DB: unreachable (aws rds describe-db-instances --region eu-west-1"*'exited 255: Could not connect to the endpoint URL'* ]]
  [[ $output == *"nodegroup unreachable (describe-nodegroup $PRIMARY_NG (eu-west-1) exited 255"* ]]
  [[ $output == *"agent     unreachable ("* ]]
  [[ $output == *"stack standby"*"agent     role replica"* ]]
}

@test "preflight passes in the normal phase, checks every item, changes nothing" {
  run "$DR" preflight --image-tag v1.4.2
  [ "$status" -eq 0 ]
  [ "$(grep -c '^  PASS ' <<<"$output")" -eq 9 ]
  [[ $output == *'preflight: all checks passed'* ]]
  [ -z "$(mutating)" ]
  [ ! -e "$DR_TIMELINE" ]
  calls | grep -qx "aws ecr describe-images --region eu-west-1 $T --repository-name taskflow --image-ids imageTag=v1.4.2 --query imageDetails\\[0\\].imageDigest --output text"
  calls | grep -qx "aws ecr describe-images --region eu-central-1 $T --repository-name taskflow --image-ids imageTag=v1.4.2 --query imageDetails\\[0\\].imageDigest --output text"
  # a raw-string JMESPath literal, not the deprecated backtick one
  calls | grep -qxF "aws secretsmanager describe-secret --region eu-west-1 $T --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:taskflow/db-AbCdEf --query ReplicationStatus[?Region=='eu-central-1'].Status | [0] --output text"
  ! grep -q '`' "$STUB_STATE/argv/aws.log" || false
  calls | grep -qx 'curl -fsS --max-time 10 -o /dev/null --connect-to app.taskflow.example.com:443:taskflow-standby-alb-0987654321.eu-central-1.elb.amazonaws.com:443 https://app.taskflow.example.com/healthz'
  calls | grep -q "kubectl --kubeconfig <tmp>/kubeconfig-standby --request-timeout=20s get --raw /api/v1/namespaces/taskflow-dr/services/dr-agent:http/proxy/status"
  ! calls | grep -q 'get-metric-statistics' || false
}

@test "preflight needs --image-tag" {
  run "$DR" preflight
  [ "$status" -eq 2 ]
  [[ $output == *'--image-tag'* ]]
  [ ! -s "$STUB_LOG" ]
}

@test "preflight reports every failing check and exits non-zero" {
  state_set "$STUB_STATE/k8s/$STANDBY_CLUSTER/agent" lag=14 stuck=true
  echo sha256:2222222222222222222222222222222222222222222222222222222222222222 >"$STUB_STATE/ecr/eu-central-1/taskflow/v1.4.2"
  state_set "$STUB_STATE/secrets/eu-west-1/taskflow-db" replicas=eu-central-1=Failed
  state_set "$STUB_STATE/eks/$STANDBY_CLUSTER/$STANDBY_NG" ngstatus=DEGRADED
  state_set "$STUB_STATE/k8s/$STANDBY_CLUSTER/nodes" ready=0 nodegroup=other
  touch "$STUB_STATE/curl-fail"
  state_set "$STUB_STATE/r53/$ENDPOINT_HC" "observations=Failure: HTTP Status Code 503|Failure: HTTP Status Code 503|Failure: HTTP Status Code 503"
  state_set "$STUB_STATE/r53/$GATE" threshold=3
  state_set "$STUB_STATE/cw/eu-central-1/$FENCE_ALARM" state=ALARM
  run "$DR" preflight --image-tag v1.4.2
  [ "$status" -eq 1 ]
  [[ $output == *'PASS replica replicating'* ]]
  [[ $output == *'FAIL replication delay under RPO (DR agent): replication delay 14.42s is not under the RPO objective 10s'* ]]
  [[ $output == *'FAIL release image in both regions: digests differ'* ]]
  [[ $output == *"FAIL secret replica in sync: replica of arn:aws:secretsmanager:eu-west-1:123456789012:secret:taskflow/db-AbCdEf in eu-central-1 is 'Failed', expected InSync"* ]]
  [[ $output == *"FAIL standby node group ACTIVE, nodes Ready: node group $STANDBY_NG (eu-central-1) is DEGRADED"* ]]
  [[ $output == *'FAIL standby app answers through its ALB: https://app.taskflow.example.com/healthz through taskflow-standby-alb-0987654321.eu-central-1.elb.amazonaws.com: curl: (22)'* ]]
  [[ $output == *'FAIL primary endpoint healthy: only 0 of 3 Route 53 checkers report success'* ]]
  [[ $output == *"FAIL gate wired with the fence: gate $GATE HealthThreshold is 3, expected 2: the primary is FENCED through config dns.fence"* ]]
  [[ $output == *'FAIL primary not fenced (fence alarm): alarm taskflow-dr-fence-primary is ALARM'* ]]
  [[ $output == *'preflight: 8 check(s) FAILED'* ]]
}

@test "preflight: a missing release tag is ImageNotFoundException (exit 254) and shows the replication hint" {
  rm "$STUB_STATE/ecr/eu-central-1/taskflow/v1.4.2"
  run "$DR" preflight --image-tag v1.4.2
  [ "$status" -eq 1 ]
  [[ $output == *"FAIL release image in both regions: image taskflow:v1.4.2 not found in eu-central-1: ECR replication copies only pushes made after it was configured"*"(An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageDigest:'null', imageTag:'v1.4.2'} does not exist"* ]]
  # the stub answers as ECR does: an error, never an empty digest
  run aws ecr describe-images --region eu-central-1 "${TO[@]}" --repository-name taskflow --image-ids imageTag=v1.4.2 --query 'imageDetails[0].imageDigest' --output text
  [ "$status" -eq 254 ]
  [ "${lines[0]}" = "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageDigest:'null', imageTag:'v1.4.2'} does not exist within the repository with name 'taskflow' in the registry with id '123456789012'" ]
}

@test "preflight: a secret with no replication at all reads None and fails naming it" {
  state_set "$STUB_STATE/secrets/eu-west-1/taskflow-db" replicas=
  run "$DR" preflight --image-tag v1.4.2
  [ "$status" -eq 1 ]
  [[ $output == *'FAIL secret replica in sync: secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:taskflow/db-AbCdEf is not replicated to eu-central-1'* ]]
  run aws secretsmanager describe-secret --region eu-west-1 "${TO[@]}" --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:taskflow/db-AbCdEf \
    --query "ReplicationStatus[?Region=='eu-central-1'].Status | [0]" --output text
  [ "$output" = None ]
}

@test "preflight: the standby not replicating, an unknown node group and an unwired gate are named" {
  state_set "$STUB_STATE/rds/eu-central-1/$STANDBY_DB" source=
  jq '.nodeGroup.name = "nope"' "$TEST_DIR/fixtures/standby.json" >"$STUB_STATE/outputs/standby.json"
  jq '.fenceHealthCheckId = ""' "$TEST_DIR/fixtures/primary.json" >"$STUB_STATE/outputs/primary.json"
  run "$DR" preflight --image-tag v1.4.2
  [ "$status" -eq 1 ]
  [[ $output == *'FAIL replica replicating'*'not a replica'* ]]
  [[ $output == *"FAIL standby node group ACTIVE, nodes Ready: node group 'nope' of cluster taskflow-dr-standby (eu-central-1) does not exist"* ]]
  [[ $output == *"FAIL gate wired with the fence: the primary's output fenceHealthCheckId is empty"* ]]
}

@test "preflight reports an AWS error as the check's reason" {
  export STUB_FAIL_PATTERN='secretsmanager' STUB_FAIL_RC=254 \
    STUB_FAIL_MESSAGE=$'\nAn error occurred (AccessDeniedException) when calling the DescribeSecret operation: not authorized'
  run "$DR" preflight --image-tag v1.4.2
  [ "$status" -eq 1 ]
  [[ $output == *'FAIL secret replica in sync:'*'exited 254: An error occurred (AccessDeniedException)'* ]]
  [ "$(grep -c '^  PASS ' <<<"$output")" -eq 8 ]
}

@test "--dry-run preflight runs nothing but the output reads" {
  run "$DR" --dry-run preflight --image-tag v1.4.2
  [ "$status" -eq 0 ]
  only_output_reads
  [[ $output == *"DRY-RUN (read): aws ecr describe-images --region eu-central-1 $T --repository-name taskflow --image-ids imageTag=v1.4.2"* ]]
}

@test "fence (data plane) flips the standby region's signal and waits for ALARM; again, it changes nothing" {
  run "$DR" --yes fence
  [ "$status" -eq 0 ]
  [ "$(state_get "$STUB_STATE/cw/eu-central-1/$FENCE_ALARM" state)" = ALARM ]
  ! calls | grep -qE 'eu-west-1|us-east-1' || false
  [ "$(events)" = "fence-started fenced " ]
  : >"$STUB_LOG"
  run "$DR" --yes fence
  [ "$status" -eq 0 ]
  [ -z "$(mutating)" ]
}

@test "fence --control-plane: config dns.fence true and the gate's threshold to 3 through us-east-1" {
  run "$DR" --yes fence --control-plane
  [ "$status" -eq 0 ]
  expect_calls fence-control-plane <<EOF2
pulumi config get --path -s primary taskflow:dns.fence
pulumi config set --path -s primary taskflow:dns.fence true
aws route53 get-health-check --region us-east-1 $T --health-check-id $GATE --query HealthCheck.HealthCheckConfig --output json
aws route53 update-health-check --region us-east-1 $T --health-check-id $GATE --health-threshold 3 --output json
aws route53 get-health-check --region us-east-1 $T --health-check-id $GATE --query HealthCheck.HealthCheckConfig --output json
EOF2
  [ "$(state_get "$STUB_STATE/r53/$GATE" threshold)" = 3 ]
  [[ $(event_detail fenced) == "control plane: gate $GATE HealthThreshold -> 3"* ]]
}
