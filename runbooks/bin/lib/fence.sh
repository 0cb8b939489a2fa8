# shellcheck shell=bash
# dr fence: fence the primary on its own (the failover does it too).
# Default: the standby region's data plane (runbooks/dr-design.md §6). With
# --control-plane: the manual fallback through Route 53's control plane in
# us-east-1, persisted in config (primary dns.fence true sets the gate's
# threshold above its children: always unhealthy).

# dr::fencing::main : the whole command.
dr::fencing::main() {
  dr::outputs::read_both
  if ((DR_CONTROL_PLANE)); then dr::fencing::control_plane; else dr::fencing::data_plane; fi
}

# dr::fencing::data_plane : step fence. Signal 1, wait for ALARM.
dr::fencing::data_plane() {
  local S=$DR_STANDBY_STACK st alarm region
  dr::step fence
  alarm=$(dr::outputs::get "$S" fenceSignal.alarmName)
  region=$(dr::outputs::get "$S" fenceSignal.region)
  st=$(dr::fence::state "$S")
  if ! dr::dry && [[ $st == ALARM ]]; then
    dr::timeline::event fenced "skipped: alarm $alarm ($region) already ALARM"
    return 0
  fi
  dr::confirm "Fence the primary: its PRIMARY record becomes unhealthy whatever its state (traffic goes to the standby)?"
  dr::timeline::event fence-started "put $(dr::outputs::get "$S" fenceSignal.metricName)=1 in $region (alarm $alarm was $st)"
  dr::fence::set "$S" 1 ALARM
  dr::timeline::event fenced "alarm $alarm ($region) ALARM: the PRIMARY record is unhealthy whatever the old primary's state"
}

# dr::fencing::control_plane : step fence-control-plane. Config dns.fence
# true (so that no later up undoes it) and the gate's threshold to 3 now.
dr::fencing::control_plane() {
  local P=$DR_PRIMARY_STACK hc s thr children
  dr::step fence-control-plane
  hc=$(dr::outputs::get "$P" healthCheckId)
  dr::confirm "Fence the primary through Route 53's control plane (us-east-1): gate $hc threshold to 3?"
  dr::pulumi::config_ensure "$P" dns.fence true >/dev/null
  s=$(dr::route53::gate "$hc")
  read -r _ thr children <<<"$s"
  if ! dr::dry && [[ $thr =~ ^[0-9]+$ ]] && ((thr >= 3)); then
    dr::timeline::event fenced "skipped: gate $hc HealthThreshold already $thr; $P config dns.fence true"
    return 0
  fi
  dr::aws::mutate "$DR_ROUTE53_REGION" route53 update-health-check --health-check-id "$hc" --health-threshold 3
  s=$(dr::route53::gate "$hc")
  read -r _ thr children <<<"$s"
  dr::dry || [[ $thr == 3 ]] || dr::fail "gate $hc reports HealthThreshold $thr after the update, expected 3"
  dr::timeline::event fenced "control plane: gate $hc HealthThreshold -> 3 over children $children (always unhealthy); $P config dns.fence true"
}
