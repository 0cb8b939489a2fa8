# shellcheck shell=bash
# shellcheck disable=SC2034 # globals shared by the sourced libraries of dr
# dr failback: preconditions -> snapshot the old (diverged) writer -> drop its
# protection -> rebuild it as a replica of the standby -> wait for lag.
# dr switchover: pause writes -> promote the primary -> unfence -> resume
# writes -> rebuild the standby's replica.

snapshot_id() { printf 'taskflow-%s-%s\n' "$1" "$(date -u +%Y%m%d-%H%M%S)"; }

# reload_outputs STACK : after a replace the database has a new identifier
reload_outputs() {
  STACK_JSON[$1]=""
  load_outputs "$1"
}

cmd_failback() {
  local P=$PRIMARY_STACK S=$STANDBY_STACK
  local pr sr pid sid sarn purn hc rpo s pst psrc sst ssrc thr p_replica=0 snap lag

  read_both_outputs
  require_outputs "$P" region dbInstanceId dbInstanceUrn healthCheckId rpoObjectiveSeconds
  require_outputs "$S" region dbInstanceId dbInstanceArn
  pr=$(out "$P" region)
  sr=$(out "$S" region)
  pid=$(out "$P" dbInstanceId)
  purn=$(out "$P" dbInstanceUrn)
  hc=$(out "$P" healthCheckId)
  rpo=$(out "$P" rpoObjectiveSeconds)
  sid=$(out "$S" dbInstanceId)
  sarn=$(out "$S" dbInstanceArn)

  # ------------------------------------------------------ preconditions --
  step preconditions
  s=$(db_state "$pr" "$pid") || fail "primary region $pr is not reachable (describe $pid)"
  read -r pst psrc <<<"$s"
  thr=$(gate_threshold "$hc")
  if ! dry; then
    if ! [[ $thr =~ ^[0-9]+$ ]] || ((thr < 2)); then
      fail "primary is not fenced (gate health check $hc HealthThreshold is $thr): failback starts from the fenced phase (dr failover)"
    fi
  fi
  s=$(cfg_get "$P" dns.fence)
  dry || [[ $s == true ]] || fail "stack $P config taskflow:dns.fence is '$s', expected true (set it before any 'pulumi up -s $P')"
  s=$(db_state "$sr" "$sid")
  read -r sst ssrc <<<"$s"
  dry || is_writer_source "$ssrc" || fail "standby database $sid ($sr) still replicates from $ssrc: it is not the writer, nothing to fail back"
  s=$(cfg_get "$S" database.mode)
  dry || [[ $s == writer ]] || fail "stack $S config taskflow:database.mode is '$s', expected writer (finish dr failover first)"
  if ! dry && ! is_writer_source "$psrc"; then p_replica=1; fi
  timeline failback-started "$pr reachable ($pid status $pst); fenced (HealthThreshold $thr); $sid ($sr) is the writer"

  # ----------------------------------------------------------- snapshot --
  step snapshot
  if ((p_replica)); then
    timeline snapshot-taken "skipped: $pid already replicates from $psrc (rebuilt earlier)"
  elif ! dry && [[ $(cfg_get "$P" database.rebuild) == true ]]; then
    timeline snapshot-taken "skipped: $P config database.rebuild already true (the final snapshot precedes it)"
  else
    confirm_once "Fail back: snapshot, then DESTROY the old writer $pid in $pr and rebuild it as a replica of $sid ($sr). Writes made to $pid after the failover are lost except in the snapshot."
    snap=$(snapshot_id failback)
    run aws rds create-db-snapshot --region "$pr" --db-instance-identifier "$pid" --db-snapshot-identifier "$snap"
    q aws rds wait db-snapshot-available --region "$pr" --db-snapshot-identifier "$snap"
    timeline snapshot-taken "$snap of $pid ($pr)"
  fi

  # --------------------------------------------------- drop protection --
  step drop-protection
  if ((p_replica)); then
    timeline protection-dropped "skipped: $pid already rebuilt"
  else
    confirm_once "Fail back: drop protection on $pid ($pr) so that it can be replaced?"
    drop_protection "$P" "$pr" "$pid"
    if ((DROP_SKIPPED)); then
      timeline protection-dropped "skipped: $P config database.rebuild already true and $pid deletion protection off"
    else
      timeline protection-dropped "$P config database.rebuild=true applied: protect and deletion protection off for $pid"
    fi
  fi

  # ------------------------------------------------------------ rebuild --
  step rebuild
  if ((p_replica)); then
    info "$pid already replicates from $psrc: not replacing"
  else
    CFG_CHANGED=0
    cfg_ensure "$P" database.mode replica
    confirm_once "Fail back: replace $pid ($pr)?"
    run pulumi up --yes -s "$P" --replace "$purn"
    reload_outputs "$P"
    pid=$(out "$P" dbInstanceId)
  fi
  CFG_CHANGED=0
  cfg_ensure "$P" database.rebuild false
  up_if_needed "$P" "$CFG_CHANGED"
  s=$(db_state "$pr" "$pid")
  read -r pst psrc <<<"$s"
  dry || ! is_writer_source "$psrc" || fail "$pid ($pr) reports no replication source after the rebuild"
  timeline rebuilt "$pid ($pr) is a replica of $sarn; protection restored (database.rebuild=false)"

  # ----------------------------------------------------------- catch up --
  step catch-up
  lag=$(wait_lag "$pr" "$pid" "$rpo" "$DR_LAG_TIMEOUT")
  timeline caught-up "ReplicaLag of $pid ($pr) ${lag}s <= RPO objective ${rpo}s"
  say ""
  if dry; then say "DRY-RUN complete: nothing was changed."; return 0; fi
  say "Failback reseed complete. Next, in a planned window: runbooks/bin/dr switchover"
}

# pause_app LABEL KUBECONFIG : record the replica count in an annotation on
# the deployment (survives an interrupted run), then scale to 0 and wait.
pause_app() {
  local label=$1 kc=$2 cur ann n deadline
  cur=$(deploy_field "$kc" '{.spec.replicas}')
  ann=$(deploy_field "$kc" "{.metadata.annotations.taskflow\\.dr/replicas-before-pause}")
  if [[ -z $ann ]]; then
    run kubectl --kubeconfig "$kc" -n "$APP_NS" annotate "$APP_DEPLOY" "$PAUSE_ANNOTATION=${cur:-<current>}" --overwrite
    ann=$cur
  fi
  if dry || [[ $cur != 0 ]]; then
    run kubectl --kubeconfig "$kc" -n "$APP_NS" scale "$APP_DEPLOY" --replicas=0
  fi
  if ! dry; then
    deadline=$(($(epoch) + DR_NODES_TIMEOUT))
    while :; do
      n=$(deploy_field "$kc" '{.status.replicas}')
      [[ -z $n || $n == 0 ]] && break
      (($(epoch) < deadline)) || fail "$label app still has $n pods after ${DR_NODES_TIMEOUT}s"
      pause
    done
  fi
  PAUSED_DETAIL+="$label ${ann:-?}->0 "
}

# resume_app LABEL KUBECONFIG : restore the recorded count (no-op when not
# paused); sets RESUMED to the count or "".
resume_app() {
  local label=$1 kc=$2 ann
  RESUMED=""
  ann=$(deploy_field "$kc" "{.metadata.annotations.taskflow\\.dr/replicas-before-pause}")
  if ! dry && [[ -z $ann ]]; then
    info "$label app is not paused"
    return 0
  fi
  run kubectl --kubeconfig "$kc" -n "$APP_NS" scale "$APP_DEPLOY" "--replicas=${ann:-<recorded>}"
  q kubectl --kubeconfig "$kc" -n "$APP_NS" rollout status "$APP_DEPLOY" --timeout=300s >/dev/null
  run kubectl --kubeconfig "$kc" -n "$APP_NS" annotate "$APP_DEPLOY" "$PAUSE_ANNOTATION-"
  RESUMED=${ann:-<recorded>}
}

cmd_switchover() {
  local P=$PRIMARY_STACK S=$STANDBY_STACK
  local pr sr pid sid surn hc s pst psrc sst ssrc kp ks pann sann thr lag snap
  local p_replica=0 s_replica=0 did

  read_both_outputs
  require_outputs "$P" region dbInstanceId healthCheckId clusterName
  require_outputs "$S" region dbInstanceId dbInstanceUrn clusterName
  pr=$(out "$P" region)
  sr=$(out "$S" region)
  pid=$(out "$P" dbInstanceId)
  hc=$(out "$P" healthCheckId)
  sid=$(out "$S" dbInstanceId)
  surn=$(out "$S" dbInstanceUrn)

  # ------------------------------------------------------ preconditions --
  step preconditions
  kp=$(kubeconfig_for "$P")
  ks=$(kubeconfig_for "$S")
  s=$(db_state "$pr" "$pid") || fail "primary region $pr is not reachable (describe $pid)"
  read -r pst psrc <<<"$s"
  s=$(db_state "$sr" "$sid")
  read -r sst ssrc <<<"$s"
  pann=$(deploy_field "$kp" "{.metadata.annotations.taskflow\\.dr/replicas-before-pause}")
  sann=$(deploy_field "$ks" "{.metadata.annotations.taskflow\\.dr/replicas-before-pause}")
  if dry; then
    p_replica=1
  else
    is_writer_source "$psrc" || p_replica=1
    is_writer_source "$ssrc" || s_replica=1
    if ((p_replica)); then
      info "$pid ($pr, $pst) replicates from $psrc: ready to switch over"
    elif ((s_replica)); then
      info "already switched back: $pid is the writer and $sid replicates from $ssrc"
    elif [[ -n $pann || -n $sann ]]; then
      info "resuming an interrupted switchover"
    else
      fail "$pid ($pr) and $sid ($sr) are both writers and no switchover is in progress: run dr failback first"
    fi
  fi

  # ------------------------------------------------------- pause writes --
  step pause-writes
  if ((!p_replica)); then
    timeline writes-paused "skipped: $pid already promoted (past this point)"
  else
    confirm_once "Switch over: pause writes (TaskFlow to 0 replicas in both regions), promote $pid ($pr), unfence, then rebuild $sid ($sr) as its replica. TaskFlow is down until writes resume."
    PAUSED_DETAIL=""
    pause_app primary "$kp"
    pause_app standby "$ks"
    timeline writes-paused "replicas ${PAUSED_DETAIL% } (previous counts kept in annotation $PAUSE_ANNOTATION)"
  fi

  # -------------------------------------------------------- switch over --
  step switch-over
  if ((!p_replica)); then
    timeline switched-over "skipped: $pid ($pr) already a writer"
  else
    lag=$(wait_lag "$pr" "$pid" 0 "$DR_SWITCHOVER_LAG_TIMEOUT")
    promote_db "$pr" "$pid"
    timeline switched-over "$pid ($pr) promoted with writes paused after ReplicaLag reached ${lag}s (RPO 0)"
  fi

  # ------------------------------------------------------------ unfence --
  step unfence
  did=""
  thr=$(gate_threshold "$hc")
  if ! dry && [[ $thr == 1 ]]; then
    info "gate health check $hc is not fenced (HealthThreshold 1)"
  else
    set_gate_threshold "$hc" 1
    did="gate health check $hc HealthThreshold ${thr:-2}->1; "
  fi
  CFG_CHANGED=0
  cfg_ensure "$P" dns.fence false
  cfg_ensure "$P" database.mode writer
  up_if_needed "$P" "$CFG_CHANGED"
  timeline unfenced "${did:-skipped: gate check already HealthThreshold 1; }$P config dns.fence=false database.mode=writer applied"

  # ------------------------------------------------------ resume writes --
  step resume-writes
  resume_app primary "$kp"
  if [[ -n $RESUMED ]]; then
    timeline writes-resumed "primary app restored to $RESUMED replicas; standby app stays at 0 until its database is rebuilt"
  else
    timeline writes-resumed "skipped: primary app not paused"
  fi

  # -------------------------------------------------- rebuild standby --
  step rebuild-standby
  did=""
  if ((s_replica)); then
    info "$sid already replicates from $ssrc: not replacing"
  else
    confirm_once "Switch over: snapshot, then DESTROY $sid ($sr) and rebuild it as a replica of $pid ($pr)?"
    if dry || [[ $(cfg_get "$S" database.rebuild) != true ]]; then
      snap=$(snapshot_id switchover)
      run aws rds create-db-snapshot --region "$sr" --db-instance-identifier "$sid" --db-snapshot-identifier "$snap"
      q aws rds wait db-snapshot-available --region "$sr" --db-snapshot-identifier "$snap"
      did+="snapshot $snap; "
    fi
    drop_protection "$S" "$sr" "$sid"
    ((DROP_SKIPPED)) || did+="protection dropped; "
    CFG_CHANGED=0
    cfg_ensure "$S" database.mode replica
    run pulumi up --yes -s "$S" --replace "$surn"
    reload_outputs "$S"
    sid=$(out "$S" dbInstanceId)
    did+="replaced; "
  fi
  CFG_CHANGED=0
  cfg_ensure "$S" database.rebuild false
  cfg_ensure "$S" cluster.scale normal
  up_if_needed "$S" "$CFG_CHANGED"
  s=$(db_state "$sr" "$sid")
  read -r sst ssrc <<<"$s"
  dry || ! is_writer_source "$ssrc" || fail "$sid ($sr) reports no replication source after the rebuild"
  resume_app standby "$ks"
  if [[ -n $RESUMED ]]; then did+="standby app restored to $RESUMED replicas; "; fi
  if [[ -z $did ]]; then
    timeline standby-rebuilt "skipped: $sid ($sr) already a replica of $pid; config database.rebuild=false cluster.scale=normal"
  else
    timeline standby-rebuilt "${did}$sid ($sr) is a replica of $pid; config database.rebuild=false cluster.scale=normal applied"
  fi
  say ""
  if dry; then say "DRY-RUN complete: nothing was changed."; return 0; fi
  say "Switched back: $pid ($pr) is the writer, $sid ($sr) its replica, the primary is unfenced."
  say "Commit the changed Pulumi.$P.yaml and Pulumi.$S.yaml."
}
