#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each @test runs in its own subshell on purpose
# dr help/usage, dr status and dr preflight against recording stubs.

load test_helper

setup() { setup_normal_phase; }

@test "help prints the commands; no command or an unknown flag is a usage error" {
  run "$DR" help
  [ "$status" -eq 0 ]
  [[ $output == *failover*failback*switchover* ]]
  run "$DR"
  [ "$status" -eq 2 ]
  run "$DR" --bogus failover
  [ "$status" -eq 2 ]
  [[ $output == *'unknown argument: --bogus'* ]]
  [ ! -s "$STUB_LOG" ]
}

@test "status is read-only, writes no timeline and shows the fenced gate after a failover" {
  "$DR" --yes failover >/dev/null 2>&1
  reset_log
  run "$DR" status
  [ "$status" -eq 0 ]
  [ -z "$(mutating)" ]
  [ ! -e "$DR_TIMELINE" ]
  [[ $output == *'HealthThreshold 2: FENCED'* ]]
  [[ $output == *'database.mode=writer'*'dns.fence=true'* ]]
  [[ $output == *'budget 570s of 900s'* ]]
}

@test "status survives an unreachable primary region" {
  export STUB_FAIL_PATTERN='--region eu-west-1' STUB_FAIL_MESSAGE='Could not connect to the endpoint URL'
  run "$DR" status
  [ "$status" -eq 0 ]
  [[ $output == *'taskflow-primary-db-4f2a9c1: unreachable'* ]]
  grep -q -- '--cli-connect-timeout 5' "$STUB_LOG"
}

@test "preflight passes in the normal phase and checks every item" {
  run "$DR" preflight --image-tag v1.4.2
  [ "$status" -eq 0 ]
  [ "$(grep -c '^  PASS ' <<<"$output")" -eq 7 ]
  [[ $output == *'preflight: all checks passed'* ]]
  [ -z "$(mutating)" ]
  [ ! -e "$DR_TIMELINE" ]
  grep -qx 'aws ecr describe-images --region eu-west-1 --repository-name taskflow --image-ids imageTag=v1.4.2 --query imageDetails\[0\].imageDigest --output text' "$STUB_LOG"
  grep -qx 'aws ecr describe-images --region eu-central-1 --repository-name taskflow --image-ids imageTag=v1.4.2 --query imageDetails\[0\].imageDigest --output text' "$STUB_LOG"
  # shellcheck disable=SC2016 # literal backticks of the JMESPath query
  grep -qx 'aws secretsmanager describe-secret --region eu-west-1 --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:taskflow/db-AbCdEf --query ReplicationStatus\[?Region==`eu-central-1`\].Status --output text' "$STUB_LOG"
}

@test "preflight needs --image-tag" {
  run "$DR" preflight
  [ "$status" -eq 2 ]
  [[ $output == *'--image-tag'* ]]
  [ ! -s "$STUB_LOG" ]
}

@test "preflight reports every failing check and exits non-zero" {
  echo 12.0 >"$STUB_STATE/lag/$STANDBY_DB"
  echo sha256:2222222222222222222222222222222222222222222222222222222222222222 >"$STUB_STATE/ecr/eu-central-1"
  echo Failed >"$STUB_STATE/secret-status"
  mkdir -p "$STUB_STATE/k8s/taskflow-standby-eks-3b4c5d6"
  printf 'ip-10-0-1-1.compute.internal   Ready      <none>   9d   v1.30.4\nip-10-0-2-1.compute.internal   NotReady   <none>   9d   v1.30.4\n' \
    >"$STUB_STATE/k8s/taskflow-standby-eks-3b4c5d6/nodes"
  echo '["Failure: HTTP Status Code 503","Failure: HTTP Status Code 503","Failure: HTTP Status Code 503"]' \
    >"$STUB_STATE/hc/66666666-7777-8888-9999-000000000000.status"
  echo 2 >"$STUB_STATE/hc/$GATE.threshold"
  run "$DR" preflight --image-tag v1.4.2
  [ "$status" -eq 1 ]
  [[ $output == *'PASS replica replicating'* ]]
  [[ $output == *'FAIL replica lag under RPO: ReplicaLag 12.0s is not under the RPO objective 10s'* ]]
  [[ $output == *'FAIL release image in both regions: digests differ'* ]]
  [[ $output == *"FAIL secret replica in sync: replica of arn:aws:secretsmanager:eu-west-1:123456789012:secret:taskflow/db-AbCdEf in eu-central-1 is 'Failed', expected InSync"* ]]
  [[ $output == *'FAIL standby nodes Ready: 1 of 2 standby nodes Ready'* ]]
  [[ $output == *'FAIL primary endpoint healthy: only 0 of 3 Route 53 checkers report success'* ]]
  [[ $output == *'FAIL primary not fenced'*'FENCED'* ]]
  [[ $output == *'preflight: 6 check(s) FAILED'* ]]
}

@test "preflight fails when the standby is not replicating or the image is missing" {
  echo None >"$STUB_STATE/rds/$STANDBY_DB.source"
  echo None >"$STUB_STATE/ecr/eu-central-1"
  run "$DR" preflight --image-tag v1.4.2
  [ "$status" -eq 1 ]
  [[ $output == *'FAIL replica replicating'*'not a replica'* ]]
  [[ $output == *'FAIL release image in both regions: no digest for taskflow:v1.4.2 in eu-central-1'* ]]
}

@test "preflight reports an AWS error as the check's reason" {
  export STUB_FAIL_PATTERN='secretsmanager' STUB_FAIL_MESSAGE='An error occurred (AccessDeniedException): not authorized'
  run "$DR" preflight --image-tag v1.4.2
  [ "$status" -eq 1 ]
  [[ $output == *'FAIL secret replica in sync:'*'AccessDeniedException'* ]]
  [ "$(grep -c '^  PASS ' <<<"$output")" -eq 6 ]
}

@test "--dry-run preflight runs nothing but the output reads" {
  run "$DR" --dry-run preflight --image-tag v1.4.2
  [ "$status" -eq 0 ]
  only_output_reads
  [[ $output == *'DRY-RUN (read): aws ecr describe-images --region eu-central-1 --repository-name taskflow --image-ids imageTag=v1.4.2'* ]]
}
