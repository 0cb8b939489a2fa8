# shellcheck shell=bash
# AWS calls of the runbook: databases, snapshots, EKS node groups, the fence
# signal and Route 53 reads. Every call names its region and carries short
# timeouts, because the region it reads may be the one that is down
# (runbooks/dr-design.md §6). AWS_PAGER is exported empty by dr (the pager would stop
# the run inside `less`, issue 9.11) and mutating calls are quiet.
#
# Exit statuses of AWS CLI v2: 252 bad parameters, 253 configuration, 254 the
# service answered an error, 255 anything else (connection):
# https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html

DR_AWS_TIMEOUTS=(--cli-connect-timeout 5 --cli-read-timeout 20)

# dr::aws::query REGION SERVICE OPERATION ARGS... : a read; prints its answer.
dr::aws::query() {
  local region=$1 service=$2 operation=$3
  shift 3
  dr::exec::query aws "$service" "$operation" --region "$region" "${DR_AWS_TIMEOUTS[@]}" "$@"
}

# dr::aws::try OUT ERR REGION SERVICE OPERATION ARGS... : a read whose
# failure is an answer; sets the caller's OUT and ERR, returns the status.
dr::aws::try() {
  local _dra_out=$1 _dra_err=$2 _dra_region=$3 _dra_service=$4 _dra_op=$5
  shift 5
  dr::exec::try "$_dra_out" "$_dra_err" aws "$_dra_service" "$_dra_op" --region "$_dra_region" "${DR_AWS_TIMEOUTS[@]}" "$@"
}

# dr::aws::mutate REGION SERVICE OPERATION ARGS... : a change; its JSON
# answer is discarded (nothing floods the terminal).
dr::aws::mutate() {
  local region=$1 service=$2 operation=$3
  shift 3
  dr::exec::run aws "$service" "$operation" --region "$region" "${DR_AWS_TIMEOUTS[@]}" "$@" --output json >/dev/null
}

# ---------------------------------------------------------------- database --
# dr::db::state REGION ID : prints "<status> <source>"; the source is "None"
# for a writer (how `--output text` renders null). Dry run: "unknown unknown".
dr::db::state() {
  local out st src
  out=$(dr::aws::query "$1" rds describe-db-instances --db-instance-identifier "$2" \
    --query 'DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier]' --output text)
  if dr::dry; then printf 'unknown unknown\n'; return 0; fi
  read -r st src <<<"$out"
  printf '%s %s\n' "${st:-unknown}" "${src:-None}"
}

# dr::db::is_writer SOURCE : exit status 0 when SOURCE names no replication
# source (a standalone writer).
dr::db::is_writer() { [[ -z $1 || $1 == None || $1 == null ]]; }

# dr::db::protection REGION ID : prints RDS DeletionProtection (True|False).
dr::db::protection() {
  dr::aws::query "$1" rds describe-db-instances --db-instance-identifier "$2" \
    --query 'DBInstances[0].DeletionProtection' --output text
}

# dr::db::wait_available REGION ID : poll until the instance's status is
# available; prints its final "<status> <source>".
dr::db::wait_available() {
  local region=$1 id=$2 s st src deadline
  deadline=$(dr::time::deadline "$DR_PROMOTE_TIMEOUT")
  while :; do
    s=$(dr::db::state "$region" "$id")
    dr::dry && { printf '%s\n' "$s"; return 0; }
    read -r st src <<<"$s"
    [[ $st == available ]] && break
    dr::time::before "$deadline" || dr::fail "database $id ($region) is still '$st' after ${DR_PROMOTE_TIMEOUT}s"
    dr::log::info "database $id ($region) is $st; waiting for available"
    dr::time::pause
  done
  printf '%s\n' "$s"
}

# dr::db::promote REGION ID RETENTION WINDOW : the promotion call. RDS sets
# a promoted replica's backup retention to 1 day unless told (issue 9.5), so
# the writer's retention and, when set, its backup window are passed:
# https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html
dr::db::promote() {
  local region=$1 id=$2 retention=$3 window=$4 args=()
  [[ $retention =~ ^[0-9]+$ ]] || dr::fail "backup retention '$retention' is not a number of days (output dbBackupRetentionDays)"
  [[ -z $window ]] || args=(--preferred-backup-window "$window")
  dr::aws::mutate "$region" rds promote-read-replica --db-instance-identifier "$id" \
    --backup-retention-period "$retention" "${args[@]}"
}

# dr::db::wait_writer REGION ID : poll until the instance is available with
# no replication source (a promotion reboots it; the describe keeps showing
# the source for a while after the call returns).
dr::db::wait_writer() {
  local region=$1 id=$2 s st src deadline
  dr::dry && { dr::db::state "$region" "$id" >/dev/null; return 0; }
  deadline=$(dr::time::deadline "$DR_PROMOTE_TIMEOUT")
  while :; do
    s=$(dr::db::state "$region" "$id")
    read -r st src <<<"$s"
    if dr::db::is_writer "$src" && [[ $st == available ]]; then return 0; fi
    dr::time::before "$deadline" || dr::fail "database $id ($region) still reports status=$st source=$src after ${DR_PROMOTE_TIMEOUT}s"
    dr::log::info "database $id ($region): status $st, source $src; waiting for a standalone writer"
    dr::time::pause
  done
}

# --------------------------------------------------------------- snapshots --
# dr::snapshot::status REGION SNAPSHOT : prints the snapshot's status
# (creating, available, ...) or NotFound.
dr::snapshot::status() {
  local out err rc=0
  dr::aws::try out err "$1" rds describe-db-snapshots --db-snapshot-identifier "$2" \
    --query 'DBSnapshots[0].Status' --output text || rc=$?
  if ((rc == 254)) && [[ $err == *'(DBSnapshotNotFound)'* ]]; then printf 'NotFound\n'; return 0; fi
  ((rc == 0)) || dr::fail "describe-db-snapshots $2 ($1) exited $rc: $err"
  printf '%s\n' "${out:-unknown}"
}

# dr::snapshot::take STARTED TAKEN REGION DB KIND : a manual snapshot of DB,
# idempotent across runs. Its name is recorded (event STARTED) before it is
# created, so a re-run finds it in the timeline and waits for that one
# instead of taking a second snapshot; polls describe-db-snapshots itself
# (the AWS waiter gives up after 30 min). Records TAKEN; prints the name.
dr::snapshot::take() {
  local started=$1 taken=$2 region=$3 db=$4 kind=$5 snap st deadline
  snap=$(dr::timeline::snapshot_started "$started" "$db")
  if [[ -n $snap ]]; then
    st=$(dr::snapshot::status "$region" "$snap")
    dr::log::info "snapshot $snap of $db recorded in the timeline: $st"
  else
    snap="taskflow-$kind-$(date -u +%Y%m%d-%H%M%S)"
    st=NotFound
    dr::timeline::event "$started" "snapshot $snap of $db ($region)"
  fi
  if [[ $st == NotFound ]]; then
    dr::aws::mutate "$region" rds create-db-snapshot --db-instance-identifier "$db" --db-snapshot-identifier "$snap"
  fi
  if ! dr::dry; then
    deadline=$(dr::time::deadline "$DR_SNAPSHOT_TIMEOUT")
    while :; do
      st=$(dr::snapshot::status "$region" "$snap")
      [[ $st == available ]] && break
      case $st in
        failed | NotFound) dr::fail "snapshot $snap of $db ($region) is '$st'; delete it if it exists (aws rds delete-db-snapshot --region $region --db-snapshot-identifier $snap) and re-run: it is taken again under the same name" ;;
      esac
      dr::time::before "$deadline" || dr::fail "snapshot $snap of $db ($region) is still '$st' after ${DR_SNAPSHOT_TIMEOUT}s; re-run to keep waiting for the same snapshot"
      dr::log::info "snapshot $snap: $st"
      dr::time::pause
    done
  else
    dr::snapshot::status "$region" "$snap" >/dev/null
  fi
  dr::timeline::event "$taken" "snapshot $snap of $db ($region) available"
  printf '%s\n' "$snap"
}

# ------------------------------------------------------- EKS node groups --
# dr::nodegroup::state REGION CLUSTER NAME : prints "<status> <min>
# <desired> <max>" of the managed node group. An unknown name is a named
# failure, never a half-empty answer. Dry run: "unknown ? ? ?".
dr::nodegroup::state() {
  local region=$1 cluster=$2 name=$3 out err rc=0 st mn de mx
  dr::aws::try out err "$region" eks describe-nodegroup --cluster-name "$cluster" --nodegroup-name "$name" \
    --query 'nodegroup.[status,scalingConfig.minSize,scalingConfig.desiredSize,scalingConfig.maxSize]' --output text || rc=$?
  if dr::dry; then printf 'unknown ? ? ?\n'; return 0; fi
  if ((rc == 254)) && [[ $err == *'(ResourceNotFoundException)'* ]]; then
    dr::fail "node group '$name' of cluster $cluster ($region) does not exist: check the output nodeGroup.name (pulumi stack output --json | jq -r .nodeGroup.name); AWS said: $err"
  fi
  ((rc == 0)) || dr::fail "describe-nodegroup $name ($region) exited $rc: $err"
  read -r st mn de mx <<<"$out"
  [[ $mn =~ ^[0-9]+$ && $de =~ ^[0-9]+$ && $mx =~ ^[0-9]+$ ]] \
    || dr::fail "node group '$name' ($region) answered no scaling config: '$out'"
  printf '%s %s %s %s\n' "$st" "$mn" "$de" "$mx"
}

# dr::nodegroup::scale REGION CLUSTER NAME MIN DESIRED MAX : through EKS,
# never the Auto Scaling group underneath (EKS would fight it, issue 9.2).
# EKS refuses it while the group is not ACTIVE (ResourceInUseException):
# https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupConfig.html
dr::nodegroup::scale() {
  dr::aws::mutate "$1" eks update-nodegroup-config --cluster-name "$2" --nodegroup-name "$3" \
    --scaling-config "minSize=$4,maxSize=$6,desiredSize=$5"
}

# dr::nodegroup::wait REGION CLUSTER NAME [MIN DESIRED MAX] : poll until the
# group is ACTIVE (and, when given, reports these sizes); prints its state.
dr::nodegroup::wait() {
  local region=$1 cluster=$2 name=$3 want=${4:+$4 $5 $6} s st rest deadline
  deadline=$(dr::time::deadline "$DR_NODEGROUP_TIMEOUT")
  while :; do
    s=$(dr::nodegroup::state "$region" "$cluster" "$name")
    dr::dry && { printf '%s\n' "$s"; return 0; }
    read -r st rest <<<"$s"
    if [[ $st == ACTIVE && ( -z $want || $rest == "$want" ) ]]; then break; fi
    case $st in
      DELETING | DELETE_FAILED | CREATE_FAILED) dr::fail "node group '$name' ($region) is $st" ;;
    esac
    dr::time::before "$deadline" || dr::fail "node group '$name' ($region) is $st with sizes $rest after ${DR_NODEGROUP_TIMEOUT}s (wanted ACTIVE${want:+ with $want})"
    dr::log::info "node group $name: $st, min/desired/max $rest${want:+ (want $want)}"
    dr::time::pause
  done
  printf '%s\n' "$s"
}

# ------------------------------------------------------------------ fence --
# The fence is a metric in the standby region (runbooks/dr-design.md §6): the standby
# stack's alarm on TaskFlowDR/PrimaryFenced feeds a Route 53 health check that
# is a child of the primary's gate. Flipping it is a CloudWatch data-plane
# call in the standby region; the alarm keeps its state when data stops
# (TreatMissingData=ignore).

# dr::fence::alarm_state REGION ALARM : prints OK, ALARM or INSUFFICIENT_DATA;
# fails when the alarm does not exist (the CLI prints None).
dr::fence::alarm_state() {
  local out
  out=$(dr::aws::query "$1" cloudwatch describe-alarms --alarm-names "$2" \
    --query 'MetricAlarms[0].StateValue' --output text)
  dr::dry && { printf 'unknown\n'; return 0; }
  [[ $out != None && -n $out ]] || dr::fail "alarm $2 does not exist in $1 (deploy the standby stack: it owns the fence alarm)"
  printf '%s\n' "$out"
}

# dr::fence::state STACK : prints the fence alarm's state (the alarm named
# by STACK's fenceSignal output, in its region).
dr::fence::state() {
  dr::fence::alarm_state "$(dr::outputs::get "$1" fenceSignal.region)" "$(dr::outputs::get "$1" fenceSignal.alarmName)"
}

# dr::fence::set STACK VALUE WANT : put VALUE (1 fence, 0 unfence) on the
# fence metric named by STACK's fenceSignal output, then poll the alarm until
# it is WANT, putting the value again every minute (one evaluation period)
# while waiting.
dr::fence::set() {
  local stack=$1 value=$2 want=$3 region ns metric dname dvalue alarm st deadline next=0
  region=$(dr::outputs::get "$stack" fenceSignal.region)
  ns=$(dr::outputs::get "$stack" fenceSignal.namespace)
  metric=$(dr::outputs::get "$stack" fenceSignal.metricName)
  dname=$(dr::outputs::get "$stack" fenceSignal.dimensionName)
  dvalue=$(dr::outputs::get "$stack" fenceSignal.dimensionValue)
  alarm=$(dr::outputs::get "$stack" fenceSignal.alarmName)
  deadline=$(dr::time::deadline "$DR_FENCE_TIMEOUT")
  while :; do
    if (($(dr::time::now) >= next)); then
      dr::aws::mutate "$region" cloudwatch put-metric-data --namespace "$ns" --metric-name "$metric" \
        --dimensions "$dname=$dvalue" --value "$value" --unit Count --storage-resolution 60
      next=$(dr::time::deadline 60)
    fi
    st=$(dr::fence::alarm_state "$region" "$alarm")
    dr::dry && return 0
    [[ $st == "$want" ]] && return 0
    dr::time::before "$deadline" || dr::fail "alarm $alarm ($region) is $st, not $want, ${DR_FENCE_TIMEOUT}s after putting $metric=$value; re-run (it puts the value again), or fence through the control plane: dr fence --control-plane"
    dr::log::info "alarm $alarm: $st (want $want)"
    dr::time::pause
  done
}

# -------------------------------------------------------- Route 53 (reads) --
# Route 53's API lives in us-east-1 only. It is read by status and preflight,
# written only by `dr fence --control-plane`; never by the failover.

# dr::route53::gate ID : prints "<type> <threshold> <child,child,...>" of
# the primary's gate (a CALCULATED health check).
dr::route53::gate() {
  local json
  json=$(dr::aws::query "$DR_ROUTE53_REGION" route53 get-health-check --health-check-id "$1" \
    --query 'HealthCheck.HealthCheckConfig' --output json)
  dr::dry && { printf 'unknown ? -\n'; return 0; }
  jq -r '"\(.Type) \(.HealthThreshold // "None") \((.ChildHealthChecks // []) | join(",") | if . == "" then "-" else . end)"' <<<"$json"
}

# dr::route53::endpoint ID : prints "<healthy> <total>" Route 53 checkers.
dr::route53::endpoint() {
  local json
  json=$(dr::aws::query "$DR_ROUTE53_REGION" route53 get-health-check-status --health-check-id "$1" \
    --query 'HealthCheckObservations[].StatusReport.Status' --output json)
  dr::dry && { printf '0 0\n'; return 0; }
  jq -r '(. // []) | "\(map(select(startswith("Success"))) | length) \(length)"' <<<"$json"
}
