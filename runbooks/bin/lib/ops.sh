# shellcheck shell=bash
# shellcheck disable=SC2034 # globals shared by the sourced libraries of dr
# Building blocks shared by the dr subcommands: database state and promotion,
# the fencing gate, Auto Scaling, kubeconfig/kubectl, Pulumi config and up,
# CloudWatch replica lag. Every AWS call names its region explicitly.

# ---------------------------------------------------------------- database --
# db_state REGION ID : prints "<status> <source>"; source is "None" for a
# writer (the AWS CLI's text rendering of null).
db_state() {
  local region=$1 id=$2 s
  s=$(q aws rds describe-db-instances --region "$region" --db-instance-identifier "$id" \
    --query 'DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier]' --output text) || return
  if dry; then printf 'unknown unknown\n'; return 0; fi
  # shellcheck disable=SC2086 # split the tab-separated pair
  set -- $s
  printf '%s %s\n' "${1:-unknown}" "${2:-None}"
}

# db_protection REGION ID : "True" or "False" (RDS DeletionProtection)
db_protection() {
  q aws rds describe-db-instances --region "$1" --db-instance-identifier "$2" \
    --query 'DBInstances[0].DeletionProtection' --output text
}

# drop_protection STACK REGION ID : config database.rebuild=true applied.
# Skipped when already in force (config true and RDS reports deletion
# protection off), so a resumed run never re-applies it after database.mode
# has moved on to replica.
drop_protection() {
  local stack=$1 region=$2 id=$3 prot
  if ! dry && [[ $(cfg_get "$stack" database.rebuild) == true ]]; then
    prot=$(db_protection "$region" "$id") || return
    if [[ $prot == False ]]; then
      info "protection of $id already dropped (config database.rebuild true, DeletionProtection False)"
      DROP_SKIPPED=1
      return 0
    fi
  fi
  DROP_SKIPPED=0
  CFG_CHANGED=0
  cfg_ensure "$stack" database.rebuild true
  run pulumi up --yes -s "$stack"
}

is_writer_source() { [[ -z $1 || $1 == None || $1 == null ]]; }

# promote_db REGION ID : promote a read replica; a no-op when it has no source.
# Returns after the instance is available and reports no source.
promote_db() {
  local region=$1 id=$2 st src deadline s
  s=$(db_state "$region" "$id") || return
  read -r st src <<<"$s"
  if ! dry && is_writer_source "$src"; then
    info "database $id ($region) is already a writer (status $st): not promoting"
    q aws rds wait db-instance-available --region "$region" --db-instance-identifier "$id"
    PROMOTE_SKIPPED=1
    return 0
  fi
  PROMOTE_SKIPPED=0
  confirm_once "Promote $id in $region to a standalone writer? This breaks replication and cannot be undone."
  run aws rds promote-read-replica --region "$region" --db-instance-identifier "$id"
  q aws rds wait db-instance-available --region "$region" --db-instance-identifier "$id"
  dry && return 0
  # The waiter can return before the promotion has started; wait until RDS
  # reports no replication source (promotion reboots the instance).
  deadline=$(($(epoch) + DR_PROMOTE_TIMEOUT))
  while :; do
    s=$(db_state "$region" "$id") || return
    read -r st src <<<"$s"
    if is_writer_source "$src" && [[ $st == available ]]; then break; fi
    (($(epoch) < deadline)) || fail "database $id ($region) still reports status=$st source=$src after ${DR_PROMOTE_TIMEOUT}s"
    pause
  done
}

# --------------------------------------------------------- fencing (gate) --
# The PRIMARY record's health check is a CALCULATED gate with one child (the
# HTTPS check). Threshold 1 = follows the child; threshold 2 (> children) =
# always unhealthy = fenced, whatever the old primary's state.
gate_threshold() {
  q aws route53 get-health-check --region "$DR_ROUTE53_REGION" --health-check-id "$1" \
    --query 'HealthCheck.HealthCheckConfig.HealthThreshold' --output text
}

set_gate_threshold() {
  run aws route53 update-health-check --region "$DR_ROUTE53_REGION" --health-check-id "$1" --health-threshold "$2"
}

# endpoint_health ID : prints "<healthy> <total>" Route 53 checker reports
endpoint_health() {
  local json
  json=$(q aws route53 get-health-check-status --region "$DR_ROUTE53_REGION" --health-check-id "$1" \
    --query 'HealthCheckObservations[].StatusReport.Status' --output json) || return
  dry && { printf '0 0\n'; return 0; }
  jq -r '[length, (map(select(startswith("Success"))) | length)] | "\(.[1]) \(.[0])"' <<<"$json"
}

# --------------------------------------------------------------- clusters --
# kubeconfig_for STACK : a private kubeconfig for the stack's cluster
# (never the operator's ~/.kube/config).
kubeconfig_for() {
  local stack=$1 kc="$WORKDIR/kubeconfig-$1" region name
  if [[ ! -e $kc.done ]]; then
    region=$(out "$stack" region) || return
    name=$(out "$stack" clusterName) || return
    run aws eks update-kubeconfig --region "$region" --name "$name" --kubeconfig "$kc" >&2 || return
    : >"$kc.done"
  fi
  printf '%s\n' "$kc"
}

# ready_nodes KUBECONFIG : number of nodes whose STATUS is exactly Ready
ready_nodes() {
  local lines
  lines=$(q kubectl --kubeconfig "$1" get nodes --no-headers) || return
  awk '$2 == "Ready" { n++ } END { print n + 0 }' <<<"$lines"
}

# wait_nodes KUBECONFIG MIN : at least MIN Ready nodes, then all Ready.
wait_nodes() {
  local kc=$1 want=$2 have deadline
  if ! dry; then
    deadline=$(($(epoch) + DR_NODES_TIMEOUT))
    while :; do
      have=$(ready_nodes "$kc") || return
      ((have >= want)) && break
      (($(epoch) < deadline)) || fail "only $have of $want nodes Ready after ${DR_NODES_TIMEOUT}s"
      info "waiting for nodes: $have/$want Ready"
      pause
    done
  else
    q kubectl --kubeconfig "$kc" get nodes --no-headers
  fi
  q kubectl --kubeconfig "$kc" wait --for=condition=Ready nodes --all "--timeout=${DR_NODES_TIMEOUT}s" >/dev/null
}

# asg_sizes REGION ASG : prints "<min> <desired> <max>"
asg_sizes() {
  local s
  s=$(q aws autoscaling describe-auto-scaling-groups --region "$1" --auto-scaling-group-names "$2" \
    --query 'AutoScalingGroups[0].[MinSize,DesiredCapacity,MaxSize]' --output text) || return
  dry && { printf '? ? ?\n'; return 0; }
  # shellcheck disable=SC2086
  set -- $s
  printf '%s %s %s\n' "${1:-0}" "${2:-0}" "${3:-0}"
}

# ------------------------------------------------------------- app (k8s) --
APP_NS=taskflow
APP_DEPLOY=deployment/taskflow
PAUSE_ANNOTATION=taskflow.dr/replicas-before-pause

deploy_field() { # KUBECONFIG JSONPATH
  q kubectl --kubeconfig "$1" -n "$APP_NS" get "$APP_DEPLOY" -o "jsonpath=$2"
}

# ----------------------------------------------------------- pulumi config --
# cfg_get STACK KEY : the value, or "" when unset
cfg_get() {
  q_try pulumi config get --path -s "$1" "taskflow:$2" || true
}

# cfg_ensure STACK KEY VALUE : set unless already set; sets CFG_CHANGED=1
cfg_ensure() {
  local stack=$1 key=$2 value=$3 cur
  cur=$(cfg_get "$stack" "$key")
  if ! dry && [[ $cur == "$value" ]]; then
    info "config $stack taskflow:$key is already $value"
    return 0
  fi
  run pulumi config set --path -s "$stack" "taskflow:$key" "$value"
  CFG_CHANGED=1
}

# up_if_needed STACK CHANGED [pulumi up args...] : `pulumi up` when this run
# changed the stack's config; otherwise only when a preview shows changes
# (a resumed run after an interrupted up).
up_if_needed() {
  local stack=$1 changed=$2
  shift 2
  if [[ $changed == 0 ]] && ! dry; then
    if q_try pulumi preview --expect-no-changes -s "$stack" >/dev/null; then
      info "stack $stack has no pending changes: not running pulumi up"
      return 0
    fi
  fi
  run pulumi up --yes -s "$stack" "$@"
}

# ------------------------------------------------------------ replica lag --
# replica_lag REGION ID : latest ReplicaLag datapoint (seconds) or "None"
replica_lag() {
  local v
  v=$(q aws cloudwatch get-metric-statistics --region "$1" --namespace AWS/RDS --metric-name ReplicaLag \
    --dimensions "Name=DBInstanceIdentifier,Value=$2" \
    --start-time "$(iso_minus 600)" --end-time "$(iso_now)" --period 60 --statistics Maximum \
    --query 'sort_by(Datapoints,&Timestamp)[-1].Maximum' --output text) || return
  printf '%s\n' "${v:-None}"
}

# wait_lag REGION ID MAX TIMEOUT : until the latest lag <= MAX (prints it)
wait_lag() {
  local region=$1 id=$2 max=$3 timeout=$4 lag deadline
  if dry; then replica_lag "$region" "$id" >/dev/null; printf '?\n'; return 0; fi
  deadline=$(($(epoch) + timeout))
  while :; do
    lag=$(replica_lag "$region" "$id") || return
    if is_num "$lag" && num_le "$lag" "$max"; then printf '%s\n' "$lag"; return 0; fi
    (($(epoch) < deadline)) || fail "ReplicaLag of $id ($region) is $lag, not <= ${max}s after ${timeout}s"
    info "ReplicaLag of $id is $lag (want <= ${max}s)" >&2
    pause
  done
}
