# shellcheck shell=bash
# dr preflight: is the standby ready to take over, and is the primary
# healthy and unfenced? Every check runs; the summary counts failures.
#
# Globals set by dr::preflight::main for the checks: PF_PR PF_SR (regions).

# dr::preflight::main : the whole command (needs --image-tag).
dr::preflight::main() {
  local P=$DR_PRIMARY_STACK S=$DR_STANDBY_STACK report failed
  [[ -n ${DR_IMAGE_TAG:-} ]] || dr::usage_error "preflight needs --image-tag TAG (the release image that must exist in both regions)"
  dr::outputs::read_both
  dr::outputs::require "$P" region ecrRepositoryName dbSecretArn healthCheckId endpointHealthCheckId
  dr::outputs::get_opt "$P" fenceHealthCheckId >/dev/null
  dr::outputs::require "$S" region dbInstanceId ecrRepositoryName clusterName rpoObjectiveSeconds nodeGroup.name \
    nodeGroup.desiredSize drAgent.statusPath appHost albDnsName fenceSignal.region fenceSignal.alarmName
  PF_PR=$(dr::outputs::get "$P" region)
  PF_SR=$(dr::outputs::get "$S" region)
  dr::step preflight
  dr::log::say "preflight: $P ($PF_PR) -> $S ($PF_SR), release $DR_IMAGE_TAG"
  report=$(dr::preflight::checks)
  dr::log::say "$report"
  failed=$(grep -c '^  FAIL ' <<<"$report" || true)
  if ((failed > 0)); then
    dr::log::say "preflight: $failed check(s) FAILED"
    exit 1
  fi
  dr::dry || dr::log::say "preflight: all checks passed"
}

# dr::preflight::checks : every check, one line each ("  PASS name:
# evidence" or "  FAIL name: reason") on stdout.
dr::preflight::checks() {
  dr::preflight::check "replica replicating" dr::preflight::replicating
  dr::preflight::check "replication delay under RPO (DR agent)" dr::preflight::delay
  dr::preflight::check "release image in both regions" dr::preflight::image
  dr::preflight::check "secret replica in sync" dr::preflight::secret
  dr::preflight::check "standby node group ACTIVE, nodes Ready" dr::preflight::nodes
  dr::preflight::check "standby app answers through its ALB" dr::preflight::standby_app
  dr::preflight::check "primary endpoint healthy" dr::preflight::endpoint
  dr::preflight::check "gate wired with the fence" dr::preflight::gate
  dr::preflight::check "primary not fenced (fence alarm)" dr::preflight::unfenced
}

# dr::preflight::check NAME FUNCTION : run one check, which prints its
# evidence or fails with the reason; print its PASS or FAIL line.
dr::preflight::check() {
  local name=$1 fn=$2 evidence rc
  dr::exec::capture evidence rc "$fn"
  if dr::dry; then
    dr::log::say "  (dry-run) $name"
  elif ((rc == 0)); then
    dr::log::say "  PASS $name: $evidence"
  else
    dr::log::say "  FAIL $name: $(cat "$DR_ERRFILE" 2>/dev/null || true)"
  fi
}

# dr::preflight::replicating : the standby's database is an available replica.
dr::preflight::replicating() {
  local id s st src
  id=$(dr::outputs::get "$DR_STANDBY_STACK" dbInstanceId)
  s=$(dr::db::state "$PF_SR" "$id")
  dr::dry && return 0
  read -r st src <<<"$s"
  [[ $st == available ]] || dr::fail "$id ($PF_SR) status is $st"
  ! dr::db::is_writer "$src" || dr::fail "$id ($PF_SR) has no replication source: it is not a replica"
  printf '%s (%s) available, replicating from %s\n' "$id" "$PF_SR" "$src"
}

# dr::preflight::delay : the standby's DR agent reports a replication delay
# under the RPO objective (its heartbeat, not RDS ReplicaLag, which an idle
# writer keeps high).
dr::preflight::delay() {
  local S=$DR_STANDBY_STACK kc line role seq delay err rpo
  rpo=$(dr::outputs::get "$S" rpoObjectiveSeconds)
  kc=$(dr::k8s::kubeconfig "$S")
  line=$(dr::agent::status "$S" "$kc")
  dr::dry && return 0
  IFS=$'\t' read -r role seq delay err <<<"$line"
  [[ $role == replica ]] || dr::fail "the standby's DR agent reports role '$role', expected replica"
  [[ -z $err ]] || dr::fail "the standby's DR agent reports an error: $err"
  dr::num::is "$delay" || dr::fail "the standby's DR agent reports no delay ('$delay')"
  dr::num::lt "$delay" "$rpo" || dr::fail "replication delay ${delay}s is not under the RPO objective ${rpo}s"
  printf 'delay %ss < RPO objective %ss (heartbeat %s)\n' "$delay" "$rpo" "$seq"
}

# dr::preflight::digest REGION REPOSITORY : prints the release image's
# digest. A missing tag is ImageNotFoundException (exit 254), never an
# empty answer: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
dr::preflight::digest() {
  local out err rc=0
  dr::aws::try out err "$1" ecr describe-images --repository-name "$2" --image-ids "imageTag=$DR_IMAGE_TAG" \
    --query 'imageDetails[0].imageDigest' --output text || rc=$?
  if ((rc == 254)) && [[ $err == *'(ImageNotFoundException)'* ]]; then
    dr::fail "image $2:$DR_IMAGE_TAG not found in $1: ECR replication copies only pushes made after it was configured; push the release again (or re-tag it) so that it replicates ($err)"
  fi
  ((rc == 0)) || dr::fail "describe-images $2:$DR_IMAGE_TAG ($1) exited $rc: $err"
  printf '%s\n' "$out"
}

# dr::preflight::image : the release image has the same digest in both regions.
dr::preflight::image() {
  local prepo srepo dp ds
  prepo=$(dr::outputs::get "$DR_PRIMARY_STACK" ecrRepositoryName)
  srepo=$(dr::outputs::get "$DR_STANDBY_STACK" ecrRepositoryName)
  dp=$(dr::preflight::digest "$PF_PR" "$prepo")
  ds=$(dr::preflight::digest "$PF_SR" "$srepo")
  dr::dry && return 0
  [[ $dp == sha256:* && $ds == sha256:* ]] || dr::fail "no digest for $prepo:$DR_IMAGE_TAG ($PF_PR '$dp', $PF_SR '$ds')"
  [[ $dp == "$ds" ]] || dr::fail "digests differ: $PF_PR $dp, $PF_SR $ds"
  printf '%s:%s %s in %s and %s\n' "$prepo" "$DR_IMAGE_TAG" "$dp" "$PF_PR" "$PF_SR"
}

# dr::preflight::secret : the database secret's replica in the standby
# region is InSync. An unreplicated secret has no ReplicationStatus: the
# query then reads None. A raw-string JMESPath literal ('...'), not the
# deprecated backtick one.
dr::preflight::secret() {
  local arn st
  arn=$(dr::outputs::get "$DR_PRIMARY_STACK" dbSecretArn)
  st=$(dr::aws::query "$PF_PR" secretsmanager describe-secret --secret-id "$arn" \
    --query "ReplicationStatus[?Region=='$PF_SR'].Status | [0]" --output text)
  dr::dry && return 0
  [[ $st != None && -n $st ]] || dr::fail "secret $arn is not replicated to $PF_SR (no replication status for it)"
  [[ $st == InSync ]] || dr::fail "replica of $arn in $PF_SR is '$st', expected InSync"
  printf 'replica of %s in %s is InSync\n' "$arn" "$PF_SR"
}

# dr::preflight::nodes : the standby's node group is ACTIVE and at least its
# desired size of nodes are Ready.
dr::preflight::nodes() {
  local S=$DR_STANDBY_STACK ng s st mn de mx kc ready
  ng=$(dr::outputs::get "$S" nodeGroup.name)
  s=$(dr::nodegroup::state "$PF_SR" "$(dr::outputs::get "$S" clusterName)" "$ng")
  kc=$(dr::k8s::kubeconfig "$S")
  ready=$(dr::k8s::ready_nodes "$kc" "$ng")
  dr::dry && return 0
  read -r st mn de mx <<<"$s"
  [[ $st == ACTIVE ]] || dr::fail "node group $ng ($PF_SR) is $st"
  ((ready >= de)) || dr::fail "$ready nodes of node group $ng Ready, its desired size is $de"
  printf 'node group %s ACTIVE (min %s desired %s max %s), %s nodes Ready\n' "$ng" "$mn" "$de" "$mx" "$ready"
}

# dr::preflight::standby_app : https://<appHost>/healthz answers through
# the standby's ALB, in the standby region (curl --connect-to keeps the
# host name for TLS and routing).
dr::preflight::standby_app() {
  local host alb out err
  host=$(dr::outputs::get "$DR_STANDBY_STACK" appHost)
  alb=$(dr::outputs::get "$DR_STANDBY_STACK" albDnsName)
  dr::exec::try out err curl -fsS --max-time 10 -o /dev/null --connect-to "$host:443:$alb:443" "https://$host/healthz" \
    || dr::fail "https://$host/healthz through $alb: $err"
  printf 'https://%s/healthz answers through %s\n' "$host" "$alb"
}

# dr::preflight::endpoint : Route 53 considers the primary's endpoint healthy.
dr::preflight::endpoint() {
  local ehc s ok total
  ehc=$(dr::outputs::get "$DR_PRIMARY_STACK" endpointHealthCheckId)
  s=$(dr::route53::endpoint "$ehc")
  dr::dry && return 0
  read -r ok total <<<"$s"
  ((total > 0)) || dr::fail "no Route 53 checker reports for $ehc"
  # Route 53 counts an endpoint healthy when more than 18% of its checkers do:
  # https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html
  ((ok * 100 > total * 18)) || dr::fail "only $ok of $total Route 53 checkers report success for $ehc"
  printf '%s of %s Route 53 checkers report success for %s\n' "$ok" "$total" "$ehc"
}

# dr::preflight::gate : the primary's gate is CALCULATED over the endpoint
# check and the fence check, threshold 2 (not fenced by config).
dr::preflight::gate() {
  local hc ehc fhc s type thr children
  hc=$(dr::outputs::get "$DR_PRIMARY_STACK" healthCheckId)
  ehc=$(dr::outputs::get "$DR_PRIMARY_STACK" endpointHealthCheckId)
  fhc=$(dr::outputs::get_opt "$DR_PRIMARY_STACK" fenceHealthCheckId)
  s=$(dr::route53::gate "$hc")
  dr::dry && return 0
  [[ -n $fhc ]] || dr::fail "the primary's output fenceHealthCheckId is empty: deploy the standby, then pulumi up -s $DR_PRIMARY_STACK"
  read -r type thr children <<<"$s"
  [[ $type == CALCULATED ]] || dr::fail "gate $hc is $type, expected CALCULATED"
  [[ ,$children, == *",$ehc,"* && ,$children, == *",$fhc,"* ]] || dr::fail "gate $hc children are $children, expected $ehc and $fhc"
  [[ $thr == 2 ]] || dr::fail "gate $hc HealthThreshold is $thr, expected 2$([[ $thr =~ ^[0-9]+$ ]] && ((thr > 2)) && printf ': the primary is FENCED through config dns.fence')"
  printf 'gate %s CALCULATED, HealthThreshold 2 over %s\n' "$hc" "$children"
}

# dr::preflight::unfenced : the fence alarm is not ALARM (INSUFFICIENT_DATA
# counts as healthy: the fence health check's InsufficientDataHealthStatus).
dr::preflight::unfenced() {
  local st
  st=$(dr::fence::state "$DR_STANDBY_STACK")
  dr::dry && return 0
  [[ $st != ALARM ]] || dr::fail "alarm $(dr::outputs::get "$DR_STANDBY_STACK" fenceSignal.alarmName) is ALARM: the primary is FENCED"
  printf 'alarm %s (%s) is %s\n' "$(dr::outputs::get "$DR_STANDBY_STACK" fenceSignal.alarmName)" "$PF_SR" "$st"
}
