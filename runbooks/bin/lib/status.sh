# shellcheck shell=bash
# dr status: a read-only summary of both stacks (outputs, config, live
# database, node group, DR agent) and of the fencing (the standby region's
# fence alarm, the primary's gate) and the RTO budget. Any region may be
# down: every live read says "unreachable" instead of stopping.

# dr::status::main : the whole command.
dr::status::main() {
  local P=$DR_PRIMARY_STACK S=$DR_STANDBY_STACK stack
  dr::outputs::read_both
  dr::step status
  for stack in "$P" "$S"; do dr::status::stack "$stack"; done
  dr::status::fencing
  dr::log::say "rto       writes accepted in $(dr::outputs::get "$S" rtoBudget.writesAcceptedSeconds)s (objective $(dr::outputs::get "$S" rtoBudget.objectiveSeconds)s), full capacity in $(dr::outputs::get "$S" rtoBudget.fullCapacitySeconds)s (objective $(dr::outputs::get "$S" rtoBudget.fullCapacityObjectiveSeconds)s); RPO objective $(dr::outputs::get "$S" rpoObjectiveSeconds)s"
}

# dr::status::live FUNCTION ARGS... : prints FUNCTION's answer, or
# "unreachable (<reason>)" when it fails.
dr::status::live() {
  local out rc
  dr::exec::capture out rc "$@" 2>/dev/null
  if ((rc == 0)); then
    printf '%s\n' "$out"
  else
    printf 'unreachable (%s)\n' "$(tr '\n' ' ' <"$DR_ERRFILE")"
  fi
}

# dr::status::nodegroup STACK : prints "<name>: <status> min <n> desired <n> max <n>".
dr::status::nodegroup() {
  local name s st mn de mx
  name=$(dr::outputs::get "$1" nodeGroup.name)
  s=$(dr::nodegroup::state "$(dr::outputs::get "$1" region)" "$(dr::outputs::get "$1" clusterName)" "$name")
  read -r st mn de mx <<<"$s"
  printf '%s: %s, min %s desired %s max %s\n' "$name" "$st" "$mn" "$de" "$mx"
}

# dr::status::agent STACK : prints the DR agent's role, sequence and delay.
dr::status::agent() {
  local kc line role seq delay err
  kc=$(dr::k8s::kubeconfig "$1")
  line=$(dr::agent::status "$1" "$kc")
  IFS=$'\t' read -r role seq delay err <<<"$line"
  [[ $delay == null ]] && delay="n/a (writer)" || delay="${delay}s"
  printf 'role %s, heartbeat newestSeq %s, replication delay %s, lastError %s\n' "$role" "$seq" "$delay" "${err:-none}"
}

# dr::status::stack STACK : the lines about one stack.
dr::status::stack() {
  local stack=$1 region k cfg=""
  region=$(dr::outputs::get "$stack" region)
  for k in database.mode database.rebuild dns.fence cluster.scale; do
    cfg+="$k=$(dr::pulumi::config_get "$stack" "$k") "
  done
  dr::log::say ""
  dr::log::say "stack $stack: role $(dr::outputs::get "$stack" role), region $region"
  dr::log::say "  outputs   dbMode=$(dr::outputs::get "$stack" dbMode) nodeGroup.scale=$(dr::outputs::get "$stack" nodeGroup.scale) appUrl=$(dr::outputs::get "$stack" appUrl)"
  dr::log::say "  config    ${cfg% }"
  dr::log::say "  database  $(dr::outputs::get "$stack" dbInstanceId): $(dr::status::live dr::db::state "$region" "$(dr::outputs::get "$stack" dbInstanceId)") (status, replication source)"
  dr::log::say "  nodegroup $(dr::status::live dr::status::nodegroup "$stack")"
  dr::log::say "  agent     $(dr::status::live dr::status::agent "$stack")"
}

# dr::status::fencing : the fence alarm (standby region), the gate and the
# endpoint check (Route 53, us-east-1).
dr::status::fencing() {
  local P=$DR_PRIMARY_STACK S=$DR_STANDBY_STACK st gate type thr children hc ehc eh ok total
  st=$(dr::status::live dr::fence::state "$S")
  dr::log::say ""
  case $st in
    ALARM) dr::log::say "fence     alarm $(dr::outputs::get "$S" fenceSignal.alarmName) ($(dr::outputs::get "$S" fenceSignal.region)): ALARM: primary FENCED (its gate is unhealthy)" ;;
    *) dr::log::say "fence     alarm $(dr::outputs::get "$S" fenceSignal.alarmName) ($(dr::outputs::get "$S" fenceSignal.region)): $st: not fenced by the data plane" ;;
  esac
  hc=$(dr::outputs::get "$P" healthCheckId)
  gate=$(dr::status::live dr::route53::gate "$hc")
  read -r type thr children <<<"$gate"
  if [[ $type == unreachable* ]]; then
    dr::log::say "gate      $hc: $gate"
  elif [[ $thr =~ ^[0-9]+$ ]] && ((thr > $(tr ',' '\n' <<<"$children" | grep -c .))); then
    dr::log::say "gate      $hc: $type, HealthThreshold $thr over children $children: FENCED through the control plane (config dns.fence)"
  else
    dr::log::say "gate      $hc: $type, HealthThreshold $thr over children $children"
  fi
  ehc=$(dr::outputs::get "$P" endpointHealthCheckId)
  eh=$(dr::status::live dr::route53::endpoint "$ehc")
  if [[ $eh == unreachable* ]]; then
    dr::log::say "endpoint  $ehc: $eh"
  else
    read -r ok total <<<"$eh"
    dr::log::say "endpoint  $ehc: $ok of $total Route 53 checkers report success"
  fi
}
