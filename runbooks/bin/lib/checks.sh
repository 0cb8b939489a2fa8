# shellcheck shell=bash
# dr status (read-only summary) and dr preflight (readiness checks before a
# drill or a release). Neither writes the timeline.

STATUS_AWS_OPTS=(--cli-connect-timeout 5 --cli-read-timeout 15)

# live LABEL ARGS... : a read-only call that may fail (region down): prints
# its answer or "unreachable"
live() {
  local v
  if v=$(q_try "$@"); then printf '%s\n' "${v//$'\t'/ }"; else printf 'unreachable\n'; fi
}

cmd_status() {
  local P=$PRIMARY_STACK S=$STANDBY_STACK stack r id
  read_both_outputs
  for stack in "$P" "$S"; do
    r=$(out "$stack" region)
    id=$(out "$stack" dbInstanceId)
    say ""
    say "stack $stack: role $(out "$stack" role), region $r"
    say "  outputs  dbMode=$(out "$stack" dbMode) nodeGroup.scale=$(out "$stack" nodeGroup.scale) appUrl=$(out "$stack" appUrl)"
    say "  config   database.mode=$(cfg_get "$stack" database.mode) database.rebuild=$(cfg_get "$stack" database.rebuild) dns.fence=$(cfg_get "$stack" dns.fence) cluster.scale=$(cfg_get "$stack" cluster.scale)"
    say "  database $id: $(live aws rds describe-db-instances "${STATUS_AWS_OPTS[@]}" --region "$r" --db-instance-identifier "$id" \
      --query 'DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier]' --output text) (status, replication source)"
    say "  nodes    $(out "$stack" nodeGroup.asgName): $(live aws autoscaling describe-auto-scaling-groups "${STATUS_AWS_OPTS[@]}" --region "$r" \
      --auto-scaling-group-names "$(out "$stack" nodeGroup.asgName)" \
      --query 'AutoScalingGroups[0].[MinSize,DesiredCapacity,MaxSize]' --output text) (min desired max)"
  done
  local hc ehc thr
  hc=$(out "$P" healthCheckId)
  ehc=$(out "$P" endpointHealthCheckId)
  thr=$(live aws route53 get-health-check --region "$DR_ROUTE53_REGION" --health-check-id "$hc" \
    --query 'HealthCheck.HealthCheckConfig.HealthThreshold' --output text)
  say ""
  case $thr in
    1) say "gate     $hc HealthThreshold 1: not fenced" ;;
    unreachable) say "gate     $hc: unreachable" ;;
    *) say "gate     $hc HealthThreshold $thr: FENCED (PRIMARY record always unhealthy)" ;;
  esac
  if dry; then
    q aws route53 get-health-check-status --region "$DR_ROUTE53_REGION" --health-check-id "$ehc" \
      --query 'HealthCheckObservations[].StatusReport.Status' --output json
  elif (endpoint_health "$ehc" >"$WORKDIR/eh"); then
    read -r thr r <"$WORKDIR/eh"
    say "endpoint $ehc: $thr of $r Route 53 checkers report success"
  else
    say "endpoint $ehc: unreachable"
  fi
  say "lag      $(out "$S" dbInstanceId): $(live aws cloudwatch get-metric-statistics --region "$(out "$S" region)" --namespace AWS/RDS \
    --metric-name ReplicaLag --dimensions "Name=DBInstanceIdentifier,Value=$(out "$S" dbInstanceId)" \
    --start-time "$(iso_minus 600)" --end-time "$(iso_now)" --period 60 --statistics Maximum \
    --query 'sort_by(Datapoints,&Timestamp)[-1].Maximum' --output text)s (latest ReplicaLag of the standby)"
  say "rto      budget $(out "$S" rtoBudget.totalSeconds)s of $(out "$S" rtoBudget.objectiveSeconds)s; RPO objective $(out "$S" rpoObjectiveSeconds)s"
}

# -------------------------------------------------------------- preflight --
PREFLIGHT_FAILED=0

# check NAME FUNCTION : run one check in a subshell; it prints its evidence
# and calls fail on a problem. Every check runs, the summary counts failures.
check() {
  local name=$1 fn=$2 evidence rc=0
  : >"$WORKDIR/error"
  evidence=$("$fn") || rc=$?
  if dry; then
    say "  (dry-run) $name"
  elif ((rc == 0)); then
    say "  PASS $name: $evidence"
  else
    say "  FAIL $name: $(cat "$WORKDIR/error" 2>/dev/null || true)"
    PREFLIGHT_FAILED=$((PREFLIGHT_FAILED + 1))
  fi
}

pf_replicating() {
  local s st src
  s=$(db_state "$SR" "$SID") || fail "describe failed"
  dry && return 0
  read -r st src <<<"$s"
  [[ $st == available ]] || fail "$SID ($SR) status is $st"
  ! is_writer_source "$src" || fail "$SID ($SR) has no replication source: it is not a replica"
  printf '%s (%s) available, replicating from %s\n' "$SID" "$SR" "$src"
}

pf_lag() {
  local lag
  lag=$(replica_lag "$SR" "$SID") || fail "get-metric-statistics failed"
  dry && return 0
  is_num "$lag" || fail "no ReplicaLag datapoint for $SID in the last 10 minutes (got '$lag')"
  num_lt "$lag" "$RPO" || fail "ReplicaLag ${lag}s is not under the RPO objective ${RPO}s"
  printf 'ReplicaLag %ss < RPO objective %ss\n' "$lag" "$RPO"
}

pf_image() {
  local dp ds
  dp=$(q aws ecr describe-images --region "$PR" --repository-name "$PREPO" --image-ids "imageTag=$IMAGE_TAG" \
    --query 'imageDetails[0].imageDigest' --output text) || fail "image $PREPO:$IMAGE_TAG not found in $PR"
  ds=$(q aws ecr describe-images --region "$SR" --repository-name "$SREPO" --image-ids "imageTag=$IMAGE_TAG" \
    --query 'imageDetails[0].imageDigest' --output text) || fail "image $SREPO:$IMAGE_TAG not found in $SR"
  dry && return 0
  [[ $dp == sha256:* ]] || fail "no digest for $PREPO:$IMAGE_TAG in $PR (got '$dp')"
  [[ $ds == sha256:* ]] || fail "no digest for $SREPO:$IMAGE_TAG in $SR (got '$ds'): ECR replication copies only pushes made after it was configured"
  [[ $dp == "$ds" ]] || fail "digests differ: $PR $dp, $SR $ds"
  printf '%s:%s %s in %s and %s\n' "$PREPO" "$IMAGE_TAG" "$dp" "$PR" "$SR"
}

pf_secret() {
  local st
  st=$(q aws secretsmanager describe-secret --region "$PR" --secret-id "$PSECRET" \
    --query "ReplicationStatus[?Region==\`$SR\`].Status" --output text) || fail "describe-secret failed"
  dry && return 0
  [[ $st == InSync ]] || fail "replica of $PSECRET in $SR is '${st:-absent}', expected InSync"
  printf 'replica of %s in %s is InSync\n' "$PSECRET" "$SR"
}

pf_nodes() {
  local kc lines total ready
  kc=$(kubeconfig_for "$STANDBY_STACK") || fail "update-kubeconfig failed"
  lines=$(q kubectl --kubeconfig "$kc" get nodes --no-headers) || fail "kubectl get nodes failed"
  dry && return 0
  total=$(grep -c . <<<"$lines" || true)
  ready=$(awk '$2 == "Ready" { n++ } END { print n + 0 }' <<<"$lines")
  ((total > 0)) || fail "the standby cluster has no nodes"
  ((ready == total)) || fail "$ready of $total standby nodes Ready"
  ((ready >= SDESIRED)) || fail "$ready nodes Ready, node group desired size is $SDESIRED"
  printf '%s of %s standby nodes Ready\n' "$ready" "$total"
}

pf_endpoint() {
  local s ok total
  s=$(endpoint_health "$EHC") || fail "get-health-check-status failed"
  dry && return 0
  read -r ok total <<<"$s"
  ((total > 0)) || fail "no Route 53 checker reports for $EHC"
  # Route 53 counts an endpoint healthy when more than 18% of checkers do.
  ((ok * 100 > total * 18)) || fail "only $ok of $total Route 53 checkers report success for $EHC"
  printf '%s of %s Route 53 checkers report success for %s\n' "$ok" "$total" "$EHC"
}

pf_unfenced() {
  local thr
  thr=$(gate_threshold "$HC") || fail "get-health-check failed"
  dry && return 0
  [[ $thr == 1 ]] || fail "gate health check $HC HealthThreshold is $thr: the primary is FENCED"
  printf 'gate health check %s HealthThreshold 1 (not fenced)\n' "$HC"
}

cmd_preflight() {
  local P=$PRIMARY_STACK S=$STANDBY_STACK
  [[ -n ${IMAGE_TAG:-} ]] || usage_error "preflight needs --image-tag TAG (the release image that must exist in both regions)"
  read_both_outputs
  require_outputs "$P" region ecrRepositoryName dbSecretArn healthCheckId endpointHealthCheckId
  require_outputs "$S" region dbInstanceId ecrRepositoryName clusterName rpoObjectiveSeconds nodeGroup.desiredSize
  PR=$(out "$P" region)
  SR=$(out "$S" region)
  SID=$(out "$S" dbInstanceId)
  RPO=$(out "$S" rpoObjectiveSeconds)
  PREPO=$(out "$P" ecrRepositoryName)
  SREPO=$(out "$S" ecrRepositoryName)
  PSECRET=$(out "$P" dbSecretArn)
  HC=$(out "$P" healthCheckId)
  EHC=$(out "$P" endpointHealthCheckId)
  SDESIRED=$(out "$S" nodeGroup.desiredSize)

  step preflight
  say "preflight: $P ($PR) -> $S ($SR), release $IMAGE_TAG"
  check "replica replicating" pf_replicating
  check "replica lag under RPO" pf_lag
  check "release image in both regions" pf_image
  check "secret replica in sync" pf_secret
  check "standby nodes Ready" pf_nodes
  check "primary endpoint healthy" pf_endpoint
  check "primary not fenced" pf_unfenced
  if ((PREFLIGHT_FAILED > 0)); then
    say "preflight: $PREFLIGHT_FAILED check(s) FAILED"
    exit 1
  fi
  dry || say "preflight: all checks passed"
}
