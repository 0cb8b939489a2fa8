# shellcheck shell=bash
# dr failover: declare -> fence -> promote -> verify writes -> scale ->
# reconcile -> verify the app. Touches only Route 53, the standby region and
# the state backend: nothing here calls the primary region.

cmd_failover() {
  local P=$PRIMARY_STACK S=$STANDBY_STACK
  local pr sr hc sid asg fmin fdes fmax host alb thr st src min des max kc started s

  read_both_outputs
  require_outputs "$P" region healthCheckId
  require_outputs "$S" region dbInstanceId clusterName appHost albDnsName dbMode \
    nodeGroup.asgName nodeGroup.scale nodeGroup.failoverMinSize nodeGroup.failoverDesiredSize \
    nodeGroup.failoverMaxSize rtoBudget.objectiveSeconds
  pr=$(out "$P" region)
  sr=$(out "$S" region)
  hc=$(out "$P" healthCheckId)
  sid=$(out "$S" dbInstanceId)
  asg=$(out "$S" nodeGroup.asgName)
  fmin=$(out "$S" nodeGroup.failoverMinSize)
  fdes=$(out "$S" nodeGroup.failoverDesiredSize)
  fmax=$(out "$S" nodeGroup.failoverMaxSize)
  host=$(out "$S" appHost)
  alb=$(out "$S" albDnsName)
  [[ $pr != "$sr" ]] || fail "stacks '$P' and '$S' both report region $pr"

  # ------------------------------------------------------------ declare --
  step declare
  started=$(epoch)
  timeline declared "failover from $P ($pr) to $S ($sr) declared by ${USER:-unknown}"

  # -------------------------------------------------------------- fence --
  step fence
  thr=$(gate_threshold "$hc")
  if ! dry && [[ $thr =~ ^[0-9]+$ ]] && ((thr >= 2)); then
    info "gate health check $hc is already fenced (HealthThreshold $thr)"
    timeline fenced "skipped: gate health check $hc already fenced (HealthThreshold $thr)"
  else
    confirm_once "Fail over TaskFlow from $P ($pr) to $S ($sr): fence the old primary and promote $sid?"
    set_gate_threshold "$hc" 2
    if ! dry; then
      thr=$(gate_threshold "$hc")
      [[ $thr == 2 ]] || fail "gate health check $hc reports HealthThreshold $thr after fencing, expected 2"
    fi
    timeline fenced "gate health check $hc HealthThreshold 1->2: PRIMARY record unhealthy whatever the old primary's state"
  fi

  # ------------------------------------------------------------ promote --
  step promote
  promote_db "$sr" "$sid"
  if ((PROMOTE_SKIPPED)); then
    timeline promoted "skipped: $sid ($sr) already a standalone writer"
  else
    timeline promoted "$sid ($sr) promoted to a standalone writer"
  fi

  # ------------------------------------------------------ verify writes --
  # Evidence from RDS: available and no replication source means the engine
  # left recovery and accepts writes. The data-plane proof is the app check
  # below and the game-day lab's real write (see failover.md).
  step verify-writes
  s=$(db_state "$sr" "$sid")
  read -r st src <<<"$s"
  if ! dry; then
    [[ $st == available ]] || fail "database $sid ($sr) status is $st, expected available"
    is_writer_source "$src" || fail "database $sid ($sr) still replicates from $src"
  fi
  timeline writes-verified "RDS reports $sid ($sr) available with no replication source (writer)"

  # -------------------------------------------------------------- scale --
  step scale
  s=$(asg_sizes "$sr" "$asg")
  read -r min des max <<<"$s"
  if ! dry && ((min >= fmin && des >= fdes && max >= fmax)); then
    info "node group $asg already at failover size (min $min desired $des max $max)"
    kc=$(kubeconfig_for "$S")
    wait_nodes "$kc" "$fdes"
    timeline scaled "skipped: $asg already at min $min desired $des max $max; nodes Ready"
  else
    run aws autoscaling update-auto-scaling-group --region "$sr" --auto-scaling-group-name "$asg" \
      --min-size "$fmin" --max-size "$fmax" --desired-capacity "$fdes"
    kc=$(kubeconfig_for "$S")
    wait_nodes "$kc" "$fdes"
    timeline scaled "$asg min $min->$fmin desired $des->$fdes max $max->$fmax; $fdes nodes Ready"
  fi

  # ---------------------------------------------------------- reconcile --
  step reconcile
  local s_changed
  CFG_CHANGED=0
  cfg_ensure "$S" database.mode writer
  cfg_ensure "$S" cluster.scale failover
  s_changed=$CFG_CHANGED
  # Config only: the primary region is down, its stack is not updated now.
  # This keeps any later `pulumi up -s primary` from unfencing.
  cfg_ensure "$P" dns.fence true
  if ! dry && ((s_changed == 0)) && [[ $(out "$S" dbMode) == writer && $(out "$S" nodeGroup.scale) == failover ]]; then
    info "stack $S already reconciled (dbMode writer, nodeGroup.scale failover)"
    timeline reconciled "skipped: $S already reports dbMode writer and scale failover; $P config dns.fence true"
  else
    run pulumi up --yes --skip-preview -s "$S"
    timeline reconciled "$S config database.mode=writer cluster.scale=failover applied (pulumi up); $P config dns.fence=true (not applied: region down)"
  fi

  # --------------------------------------------------------- verify app --
  step verify-app
  kc=$(kubeconfig_for "$S")
  q kubectl --kubeconfig "$kc" -n "$APP_NS" rollout status "$APP_DEPLOY" --timeout=300s >/dev/null
  verify_app_via_dns "$host" "$alb"
  local elapsed=$(($(epoch) - started)) objective
  objective=$(out "$S" rtoBudget.objectiveSeconds)
  timeline app-verified "https://$host/healthz answers through the standby ALB $alb; ${elapsed}s since declared (objective ${objective}s)"
  say ""
  if dry; then say "DRY-RUN complete: nothing was changed."; return 0; fi
  say "Failover complete: ${elapsed}s from declared to app-verified (RTO objective ${objective}s; the"
  say "game-day record measures from the fault). Timeline: $TIMELINE"
  say "Commit the changed Pulumi.$S.yaml and Pulumi.$P.yaml so no one's next 'pulumi up' undoes the failover."
}

# verify_app_via_dns HOST ALB : HOST resolves to the standby ALB's addresses
# and https://HOST/healthz answers 2xx, retried until DR_APP_TIMEOUT.
verify_app_via_dns() {
  local host=$1 alb=$2 deadline app_ips alb_ips common
  if dry; then
    q getent ahostsv4 "$host"
    q getent ahostsv4 "$alb"
    q curl -fsS --max-time 5 -o /dev/null "https://$host/healthz"
    return 0
  fi
  deadline=$(($(epoch) + DR_APP_TIMEOUT))
  while :; do
    app_ips=$(q_try getent ahostsv4 "$host" | awk '{ print $1 }' | sort -u || true)
    alb_ips=$(q_try getent ahostsv4 "$alb" | awk '{ print $1 }' | sort -u || true)
    common=$(comm -12 <(printf '%s\n' "$app_ips") <(printf '%s\n' "$alb_ips") | grep -c . || true)
    if ((common > 0)); then
      if q_try curl -fsS --max-time 5 -o /dev/null "https://$host/healthz"; then
        return 0
      fi
      info "$host resolves to the standby ALB but /healthz does not answer yet"
    else
      info "$host does not resolve to the standby ALB $alb yet (DNS TTL, resolver cache)"
    fi
    (($(epoch) < deadline)) || fail "https://$host/healthz not answering through the standby ALB $alb after ${DR_APP_TIMEOUT}s"
    pause
  done
}
