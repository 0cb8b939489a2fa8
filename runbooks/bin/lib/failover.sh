# shellcheck shell=bash
# dr failover (runbooks/failover.md): declare; then, in parallel, scale the
# standby up, fence the old primary and promote the replica; then verify
# writes, reconcile the standby stack (refresh, up) and verify the app.
# It calls only the standby region (eu-central-1) and the state backend:
# never eu-west-1, never Route 53's control plane in us-east-1.
#
# Globals set by dr::failover::main (read by the step functions, also in
# their parallel jobs): FO_PR FO_SR (regions) FO_CLUSTER FO_SID (standby
# database) FO_NG (node group name) FO_FMIN FO_FDES FO_FMAX FO_REPLICAS.

# dr::failover::main : the whole command.
dr::failover::main() {
  dr::outputs::read_both
  dr::failover::read_inputs
  dr::failover::declare
  if [[ ${DR_SEQUENTIAL:-0} == 1 ]]; then
    # The waits one after another, in the order of the runbook before
    # issue 14 (fence, promote, then scale): the lab's baseline for the
    # parallel run. Never used in an incident.
    dr::par::start fence dr::failover::fence
    dr::par::start promote dr::failover::promote
    dr::par::start scale dr::failover::scale
  else
    dr::par::start scale dr::failover::scale
    dr::par::start fence dr::failover::fence
    dr::par::start promote dr::failover::promote
  fi
  dr::par::wait_all
  dr::failover::verify_writes
  dr::failover::reconcile
  dr::failover::verify_app
}

# dr::failover::read_inputs : check every output the failover needs before
# changing anything; set the FO_* globals.
dr::failover::read_inputs() {
  local P=$DR_PRIMARY_STACK S=$DR_STANDBY_STACK
  dr::outputs::require "$P" region
  dr::outputs::require "$S" region clusterName dbInstanceId dbInstanceUrn dbBackupRetentionDays dbMode \
    nodeGroup.name nodeGroup.urn nodeGroup.scale nodeGroup.failoverMinSize nodeGroup.failoverDesiredSize \
    nodeGroup.failoverMaxSize fenceSignal.region fenceSignal.namespace fenceSignal.metricName \
    fenceSignal.dimensionName fenceSignal.dimensionValue fenceSignal.alarmName drAgent.statusPath \
    gitops.appNamespace gitops.deployment gitops.failoverReplicas appHost albDnsName \
    rtoBudget.writesAcceptedSeconds rtoBudget.objectiveSeconds
  [[ -v DR_KUBE_ROLE_ARN ]] || dr::outputs::require "$S" operatorRoleArn
  dr::outputs::get_opt "$S" dbBackupWindow >/dev/null
  FO_PR=$(dr::outputs::get "$P" region)
  FO_SR=$(dr::outputs::get "$S" region)
  [[ $FO_PR != "$FO_SR" ]] || dr::fail "stacks '$P' and '$S' both report region $FO_PR"
  [[ $(dr::outputs::get "$S" fenceSignal.region) == "$FO_SR" ]] \
    || dr::fail "the fence signal of stack '$S' is not in its region $FO_SR: the failover must not depend on another region"
  FO_CLUSTER=$(dr::outputs::get "$S" clusterName)
  FO_SID=$(dr::outputs::get "$S" dbInstanceId)
  FO_NG=$(dr::outputs::get "$S" nodeGroup.name)
  FO_FMIN=$(dr::outputs::get "$S" nodeGroup.failoverMinSize)
  FO_FDES=$(dr::outputs::get "$S" nodeGroup.failoverDesiredSize)
  FO_FMAX=$(dr::outputs::get "$S" nodeGroup.failoverMaxSize)
  FO_REPLICAS=$(dr::outputs::get "$S" gitops.failoverReplicas)
}

# dr::failover::declare : confirm, then record "declared" (or "resumed" when
# the timeline holds a failover declared and not yet verified).
dr::failover::declare() {
  dr::step declare
  dr::confirm "Fail over TaskFlow from $DR_PRIMARY_STACK ($FO_PR) to $DR_STANDBY_STACK ($FO_SR): fence the old primary, promote $FO_SID (irreversible) and scale the standby up?"
  if [[ $(dr::timeline::last_of declared app-verified) == declared ]]; then
    dr::timeline::event resumed "failover to $DR_STANDBY_STACK ($FO_SR) resumed by ${USER:-unknown}; finished steps are skipped"
  else
    dr::timeline::event declared "failover from $DR_PRIMARY_STACK ($FO_PR) to $DR_STANDBY_STACK ($FO_SR) declared by ${USER:-unknown}"
  fi
  dr::log::say "    scale, fence and promote run in parallel (logs in $DR_LOG_DIR)"
}

# dr::failover::scale : step scale (parallel job). Node group to the
# failover sizes through EKS, wait ACTIVE, wait until at least the failover
# desired size of its nodes are Ready, then TaskFlow to gitops.failoverReplicas.
dr::failover::scale() {
  local S=$DR_STANDBY_STACK s st mn de mx kc ready cur sized=1 detail
  s=$(dr::nodegroup::state "$FO_SR" "$FO_CLUSTER" "$FO_NG")
  read -r st mn de mx <<<"$s"
  if ! dr::dry && [[ $st != ACTIVE ]]; then
    # An update under way (an interrupted run's, or anyone's): EKS refuses
    # another one until the group is ACTIVE (ResourceInUseException), and
    # it may be ours already.
    s=$(dr::nodegroup::wait "$FO_SR" "$FO_CLUSTER" "$FO_NG")
    read -r st mn de mx <<<"$s"
  fi
  if dr::dry || ((mn < FO_FMIN || de < FO_FDES || mx < FO_FMAX)); then sized=0; fi
  kc=$(dr::k8s::kubeconfig "$S")
  if ((sized)) && [[ $st == ACTIVE ]]; then
    ready=$(dr::k8s::ready_nodes "$kc" "$FO_NG")
    cur=$(dr::app::field "$S" "$kc" '{.spec.replicas}')
    if ((ready >= FO_FDES)) && [[ $cur =~ ^[0-9]+$ ]] && ((cur >= FO_REPLICAS)); then
      dr::timeline::event scaled "skipped: node group $FO_NG already ACTIVE at min $mn desired $de max $mx, $ready nodes Ready, TaskFlow at $cur replicas"
      return 0
    fi
  fi
  dr::timeline::event scale-started "node group $FO_NG ($FO_SR) $st min $mn desired $de max $mx -> min $FO_FMIN desired $FO_FDES max $FO_FMAX; TaskFlow -> $FO_REPLICAS replicas"
  if ((!sized)); then
    dr::nodegroup::scale "$FO_SR" "$FO_CLUSTER" "$FO_NG" "$FO_FMIN" "$FO_FDES" "$FO_FMAX"
    dr::nodegroup::wait "$FO_SR" "$FO_CLUSTER" "$FO_NG" "$FO_FMIN" "$FO_FDES" "$FO_FMAX" >/dev/null
  fi
  ready=$(dr::k8s::wait_ready_nodes "$kc" "$FO_NG" "$FO_FDES")
  cur=$(dr::app::field "$S" "$kc" '{.spec.replicas}')
  detail="TaskFlow already at $cur replicas"
  if dr::dry || ! [[ $cur =~ ^[0-9]+$ ]] || ((cur < FO_REPLICAS)); then
    dr::app::scale "$S" "$kc" "$FO_REPLICAS"
    detail="TaskFlow ${cur:-?} -> $FO_REPLICAS replicas"
  fi
  dr::timeline::event scaled "node group $FO_NG ACTIVE at min $FO_FMIN desired $FO_FDES max $FO_FMAX; $ready nodes Ready; $detail"
}

# dr::failover::fence : step fence (parallel job). The standby region's
# fence signal to 1; wait for its alarm to be ALARM: from then on the
# primary's gate is unhealthy whatever the old primary does.
dr::failover::fence() {
  local S=$DR_STANDBY_STACK st alarm
  alarm=$(dr::outputs::get "$S" fenceSignal.alarmName)
  st=$(dr::fence::state "$S")
  if ! dr::dry && [[ $st == ALARM ]]; then
    dr::timeline::event fenced "skipped: alarm $alarm ($FO_SR) already ALARM"
    return 0
  fi
  dr::timeline::event fence-started "put $(dr::outputs::get "$S" fenceSignal.metricName)=1 in $FO_SR (alarm $alarm was $st)"
  dr::fence::set "$S" 1 ALARM
  dr::timeline::event fenced "alarm $alarm ($FO_SR) ALARM: the PRIMARY record is unhealthy whatever the old primary's state"
}

# dr::failover::promote : step promote (parallel job). Promote the standby's
# replica with the writer's backup settings; wait for a standalone writer. A
# promotion issued by an interrupted run is waited for, never issued twice.
dr::failover::promote() {
  local S=$DR_STANDBY_STACK s st src retention window
  retention=$(dr::outputs::get "$S" dbBackupRetentionDays)
  window=$(dr::outputs::get_opt "$S" dbBackupWindow)
  s=$(dr::db::state "$FO_SR" "$FO_SID")
  read -r st src <<<"$s"
  if ! dr::dry && [[ $st != available ]]; then
    dr::timeline::event promote-started "resuming: $FO_SID ($FO_SR) is $st (source $src); waiting until available"
    s=$(dr::db::wait_available "$FO_SR" "$FO_SID")
    read -r st src <<<"$s"
  fi
  if ! dr::dry && dr::db::is_writer "$src"; then
    dr::timeline::event promoted "skipped: $FO_SID ($FO_SR) already a standalone writer"
    return 0
  fi
  dr::timeline::event promote-started "promote-read-replica $FO_SID ($FO_SR) --backup-retention-period $retention${window:+ --preferred-backup-window $window}"
  dr::db::promote "$FO_SR" "$FO_SID" "$retention" "$window"
  dr::db::wait_writer "$FO_SR" "$FO_SID"
  dr::timeline::event promoted "$FO_SID ($FO_SR) is a standalone writer (available, no replication source)"
}

# dr::failover::verify_writes : step verify-writes. The standby's DR agent
# reports role writer and its heartbeat sequence advances: the promoted
# database accepts writes (the agent writes a row every interval).
dr::failover::verify_writes() {
  local S=$DR_STANDBY_STACK kc line role seq err first="" deadline
  dr::step verify-writes
  kc=$(dr::k8s::kubeconfig "$S")
  deadline=$(dr::time::deadline "$DR_WRITES_TIMEOUT")
  while :; do
    line=$(dr::agent::status "$S" "$kc")
    dr::dry && break
    IFS=$'\t' read -r role seq _ err <<<"$line"
    if [[ $role == writer ]]; then
      if [[ -z $first ]]; then first=$seq; continue; fi
      ((seq > first)) && break
    fi
    dr::time::before "$deadline" || dr::fail "the DR agent of $S reports role '$role', newestSeq $seq (first seen ${first:-none}) after ${DR_WRITES_TIMEOUT}s; lastError: ${err:-none}"
    dr::log::info "DR agent of $S: role $role, newestSeq $seq${err:+, lastError: $err}"
    dr::time::pause
  done
  dr::timeline::event writes-verified "DR agent of $S ($FO_SR): role writer, heartbeat newestSeq ${first:-?} -> ${seq:-?}: the promoted database accepts writes"
}

# dr::failover::reconcile : step reconcile. Config to the failed-over phase
# (standby database.mode writer, cluster.scale failover; primary dns.fence
# true, config only: its region is down), then refresh the database and the
# node group from the cloud (the CLI promoted and scaled them) and up.
dr::failover::reconcile() {
  local P=$DR_PRIMARY_STACK S=$DR_STANDBY_STACK n
  dr::step reconcile
  n=$(dr::pulumi::config_ensure "$S" database.mode writer cluster.scale failover)
  dr::pulumi::config_ensure "$P" dns.fence true >/dev/null
  if ! dr::dry && ((n == 0)) && [[ $(dr::outputs::get "$S" dbMode) == writer && $(dr::outputs::get "$S" nodeGroup.scale) == failover ]]; then
    dr::timeline::event reconciled "skipped: $S already reports dbMode writer and nodeGroup.scale failover; $P config dns.fence true"
    return 0
  fi
  dr::pulumi::refresh "$S" "$(dr::outputs::get "$S" dbInstanceUrn)" "$(dr::outputs::get "$S" nodeGroup.urn)"
  dr::pulumi::up "$S" --skip-preview
  if ! dr::dry; then
    dr::outputs::reload "$S"
    [[ $(dr::outputs::get "$S" dbMode) == writer ]] || dr::fail "after pulumi up, stack $S reports dbMode $(dr::outputs::get "$S" dbMode), expected writer"
  fi
  dr::timeline::event reconciled "$S refreshed (database, node group) and updated: database.mode=writer cluster.scale=failover; $P config dns.fence=true (not applied: its region is down)"
}

# dr::failover::verify_app : step verify-app. Rollout done; app.<domain>
# resolves to the standby ALB and https://app.<domain>/healthz answers.
dr::failover::verify_app() {
  local S=$DR_STANDBY_STACK kc host alb objective budget
  dr::step verify-app
  kc=$(dr::k8s::kubeconfig "$S")
  dr::app::rollout "$S" "$kc"
  host=$(dr::outputs::get "$S" appHost)
  alb=$(dr::outputs::get "$S" albDnsName)
  dr::failover::wait_dns_and_health "$host" "$alb"
  objective=$(dr::outputs::get "$S" rtoBudget.objectiveSeconds)
  budget=$(dr::outputs::get "$S" rtoBudget.writesAcceptedSeconds)
  dr::timeline::event app-verified "https://$host/healthz answers through the standby ALB $alb (RTO budget ${budget}s, objective ${objective}s)"
  dr::log::say ""
  if dr::dry; then dr::log::say "DRY-RUN complete: nothing was changed."; return 0; fi
  dr::log::say "Failover complete. Timeline: $DR_TIMELINE"
  dr::log::say "Commit the changed Pulumi.$S.yaml and Pulumi.$DR_PRIMARY_STACK.yaml so that no one's next 'pulumi up' undoes it."
}

# dr::failover::wait_dns_and_health HOST ALB : until DR_APP_TIMEOUT, HOST
# resolves to one of ALB's addresses and https://HOST/healthz answers 2xx.
dr::failover::wait_dns_and_health() {
  local host=$1 alb=$2 deadline app alb_ips err common
  if dr::dry; then
    dr::exec::query getent ahostsv4 "$host"
    dr::exec::query getent ahostsv4 "$alb"
    dr::exec::query curl -fsS --max-time 5 -o /dev/null "https://$host/healthz"
    return 0
  fi
  deadline=$(dr::time::deadline "$DR_APP_TIMEOUT")
  while :; do
    dr::exec::try app err getent ahostsv4 "$host" || true
    dr::exec::try alb_ips err getent ahostsv4 "$alb" || true
    common=$(comm -12 <(awk '{ print $1 }' <<<"$app" | sort -u) <(awk '{ print $1 }' <<<"$alb_ips" | sort -u) | grep -c . || true)
    if ((common > 0)); then
      if dr::exec::try app err curl -fsS --max-time 5 -o /dev/null "https://$host/healthz"; then return 0; fi
      dr::log::info "$host resolves to the standby ALB but /healthz does not answer yet: $err"
    else
      dr::log::info "$host does not resolve to the standby ALB $alb yet (DNS TTL, resolver cache)"
    fi
    dr::time::before "$deadline" || dr::fail "https://$host/healthz not answering through the standby ALB $alb after ${DR_APP_TIMEOUT}s"
    dr::time::pause
  done
}
