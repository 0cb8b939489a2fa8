# shellcheck shell=bash
# dr switchover (runbooks/failover.md): planned return to the primary region with
# RPO 0 proven, after dr failback. Pause writes in both regions; read the
# standby writer's heartbeat written after the pause and wait until the
# primary's replica has replayed it; promote the primary; then, in parallel,
# reconcile the primary stack (refresh, up: writer, unfenced gate), unfence
# (the standby region's signal to 0) and resume writes on the primary; then
# rebuild the standby as the primary's replica, back to its normal size.
#
# Globals set by dr::switchover::main: SO_PR SO_SR (regions) SO_PID SO_SID
# (databases) SO_KP SO_KS (kubeconfigs) SO_PHASE (dr::switchover::phase).

# dr::switchover::main : the whole command.
dr::switchover::main() {
  dr::outputs::read_both
  dr::switchover::read_inputs
  dr::switchover::preconditions
  dr::switchover::pause_writes
  dr::switchover::prove_rpo_zero
  dr::switchover::promote
  dr::par::start reconcile-primary dr::switchover::reconcile_primary
  dr::par::start unfence dr::switchover::unfence
  dr::par::start resume-writes dr::switchover::resume_writes
  dr::par::wait_all
  dr::switchover::rebuild_standby
  dr::switchover::resume_standby
}

# dr::switchover::read_inputs : check the outputs; set SO_PR SO_SR SO_PID SO_SID.
dr::switchover::read_inputs() {
  local P=$DR_PRIMARY_STACK S=$DR_STANDBY_STACK stack
  for stack in "$P" "$S"; do
    dr::outputs::require "$stack" region clusterName dbInstanceId dbInstanceUrn nodeGroup.urn drAgent.statusPath \
      gitops.appNamespace gitops.deployment gitops.replicas
    [[ -v DR_KUBE_ROLE_ARN ]] || dr::outputs::require "$stack" operatorRoleArn
  done
  dr::outputs::require "$P" dbBackupRetentionDays
  dr::outputs::get_opt "$P" dbBackupWindow >/dev/null
  dr::outputs::require "$S" fenceSignal.region fenceSignal.namespace fenceSignal.metricName \
    fenceSignal.dimensionName fenceSignal.dimensionValue fenceSignal.alarmName
  SO_PR=$(dr::outputs::get "$P" region)
  SO_SR=$(dr::outputs::get "$S" region)
  SO_PID=$(dr::outputs::get "$P" dbInstanceId)
  SO_SID=$(dr::outputs::get "$S" dbInstanceId)
}

# dr::switchover::phase : prints where the switchover stands, from the live
# databases and the pause annotations: "ready" (primary a replica of the
# standby's writer), "promoting" (writes paused and the primary's replica no
# longer available: a promotion issued by an interrupted run is under way),
# "promoted" (both writers, writes paused: an interrupted run), "switched"
# (primary writer, standby its replica).
dr::switchover::phase() {
  local s pst psrc sst ssrc pann sann
  s=$(dr::db::state "$SO_PR" "$SO_PID")
  read -r pst psrc <<<"$s"
  s=$(dr::db::state "$SO_SR" "$SO_SID")
  read -r sst ssrc <<<"$s"
  pann=$(dr::app::field "$DR_PRIMARY_STACK" "$SO_KP" "{.metadata.annotations.taskflow\\.dr/replicas-before-pause}")
  sann=$(dr::app::field "$DR_STANDBY_STACK" "$SO_KS" "{.metadata.annotations.taskflow\\.dr/replicas-before-pause}")
  if dr::dry; then printf 'ready\n'; return 0; fi
  if ! dr::db::is_writer "$psrc" && dr::db::is_writer "$ssrc"; then
    if [[ $pst != available && -n $pann ]]; then printf 'promoting\n'; else printf 'ready\n'; fi
  elif dr::db::is_writer "$psrc" && ! dr::db::is_writer "$ssrc"; then printf 'switched\n'
  elif dr::db::is_writer "$psrc" && [[ -n $pann || -n $sann ]]; then printf 'promoted\n'
  elif dr::db::is_writer "$psrc"; then
    dr::fail "$SO_PID ($SO_PR, $pst) and $SO_SID ($SO_SR, $sst) are both writers and no switchover is in progress: run dr failback first"
  else
    dr::fail "$SO_PID ($SO_PR) replicates from $psrc and $SO_SID ($SO_SR) from $ssrc: no writer, stop and investigate"
  fi
}

# dr::switchover::preconditions : step preconditions. Kubeconfigs for both
# clusters; SO_PHASE; record switchover-started.
dr::switchover::preconditions() {
  dr::step preconditions
  SO_KP=$(dr::k8s::kubeconfig "$DR_PRIMARY_STACK")
  SO_KS=$(dr::k8s::kubeconfig "$DR_STANDBY_STACK")
  SO_PHASE=$(dr::switchover::phase)
  dr::timeline::event switchover-started "from $DR_STANDBY_STACK ($SO_SR) back to $DR_PRIMARY_STACK ($SO_PR); phase: $SO_PHASE"
}

# dr::switchover::pause_writes : step pause-writes. TaskFlow to 0 in both
# regions (counts kept in an annotation), then no pod left in either.
dr::switchover::pause_writes() {
  local P=$DR_PRIMARY_STACK S=$DR_STANDBY_STACK pb sb
  dr::step pause-writes
  if [[ $SO_PHASE != ready ]]; then
    dr::timeline::event writes-paused "skipped: the primary is already promoted ($SO_PHASE)"
    return 0
  fi
  dr::confirm "Switch over: pause writes (TaskFlow to 0 replicas in both regions), promote $SO_PID ($SO_PR), unfence, then rebuild $SO_SID ($SO_SR) as its replica. TaskFlow is down until writes resume."
  pb=$(dr::app::pause "$P" "$SO_KP")
  sb=$(dr::app::pause "$S" "$SO_KS")
  dr::app::wait_no_pods "$P" "$SO_KP"
  dr::app::wait_no_pods "$S" "$SO_KS"
  dr::timeline::event writes-paused "TaskFlow primary $pb->0, standby $sb->0 (counts kept in annotation $DR_PAUSE_ANNOTATION); no pod left"
}

# dr::switchover::prove_rpo_zero : step rpo-zero. With writes paused, take
# a heartbeat the standby's (writer) agent wrote after the pause: the first
# sequence newer than the one read once the pods were gone. Wait until the
# primary's (replica) agent reports it replayed: every write made before the
# pause is then on the primary (RPO 0 proven, not inferred from ReplicaLag,
# which an idle writer keeps high). Skipped once proven in this cycle.
dr::switchover::prove_rpo_zero() {
  local P=$DR_PRIMARY_STACK S=$DR_STANDBY_STACK line role seq err first="" target="" deadline
  dr::step rpo-zero
  if [[ $SO_PHASE == promoting ]]; then
    [[ $(dr::timeline::last_of rpo-zero-proven declared) == rpo-zero-proven ]] \
      || dr::fail "$SO_PID ($SO_PR) is being modified with writes paused, and the timeline records no RPO-0 proof in this cycle: wait until it is available and re-run"
    dr::timeline::event rpo-zero-proven "skipped: proven before the promotion under way (timeline); writes still paused"
    return 0
  fi
  if [[ $SO_PHASE != ready ]]; then
    dr::timeline::event rpo-zero-proven "skipped: the primary is already promoted ($SO_PHASE)"
    return 0
  fi
  deadline=$(dr::time::deadline "$DR_RPO_ZERO_TIMEOUT")
  while :; do
    line=$(dr::agent::status "$S" "$SO_KS")
    dr::dry && break
    IFS=$'\t' read -r role seq _ err <<<"$line"
    [[ $role == writer ]] || dr::fail "the DR agent of $S reports role '$role', expected writer (lastError: ${err:-none})"
    if [[ -z $first ]]; then first=$seq; continue; fi
    if ((seq > first)); then target=$seq; break; fi
    dr::time::before "$deadline" || dr::fail "the DR agent of $S wrote no heartbeat after $first in ${DR_RPO_ZERO_TIMEOUT}s (lastError: ${err:-none})"
    dr::time::pause
  done
  while :; do
    line=$(dr::agent::status "$P" "$SO_KP")
    dr::dry && break
    IFS=$'\t' read -r role seq _ err <<<"$line"
    [[ $role == replica ]] || dr::fail "the DR agent of $P reports role '$role', expected replica (lastError: ${err:-none})"
    ((seq >= target)) && break
    dr::time::before "$deadline" || dr::fail "the primary's replica replayed heartbeat $seq, not $target, after ${DR_RPO_ZERO_TIMEOUT}s: not promoting (writes stay paused; resume them by hand to abort, see failover.md S1)"
    dr::log::info "primary replayed heartbeat $seq of $target"
    dr::time::pause
  done
  dr::timeline::event rpo-zero-proven "heartbeat ${target:-?} written by the standby's writer after the pause is replayed on $SO_PID (newestSeq ${seq:-?}): RPO 0"
}

# dr::switchover::promote : step promote. Promote the primary's replica
# with the primary's backup settings; wait for a standalone writer.
dr::switchover::promote() {
  local P=$DR_PRIMARY_STACK s st src retention window
  dr::step promote
  retention=$(dr::outputs::get "$P" dbBackupRetentionDays)
  window=$(dr::outputs::get_opt "$P" dbBackupWindow)
  s=$(dr::db::state "$SO_PR" "$SO_PID")
  read -r st src <<<"$s"
  if ! dr::dry && [[ $st != available ]]; then
    s=$(dr::db::wait_available "$SO_PR" "$SO_PID")
    read -r st src <<<"$s"
  fi
  if ! dr::dry && dr::db::is_writer "$src"; then
    dr::timeline::event switched-over "skipped: $SO_PID ($SO_PR) already a standalone writer"
    return 0
  fi
  dr::timeline::event promote-started "promote-read-replica $SO_PID ($SO_PR) --backup-retention-period $retention${window:+ --preferred-backup-window $window}"
  dr::db::promote "$SO_PR" "$SO_PID" "$retention" "$window"
  dr::db::wait_writer "$SO_PR" "$SO_PID"
  dr::timeline::event switched-over "$SO_PID ($SO_PR) promoted with writes paused after RPO 0 was proven"
}

# dr::switchover::reconcile_primary : step reconcile-primary (parallel
# job). database.mode writer, dns.fence false; refresh the database and the
# node group (the CLI promoted it); up.
dr::switchover::reconcile_primary() {
  local P=$DR_PRIMARY_STACK n
  n=$(dr::pulumi::config_ensure "$P" database.mode writer dns.fence false)
  if ! dr::dry && ((n == 0)) && [[ $(dr::outputs::get "$P" dbMode) == writer && $(dr::outputs::get_opt "$P" fenced) == false ]] \
    && ! dr::pulumi::has_changes "$P"; then
    dr::timeline::event primary-reconciled "skipped: $P already reports dbMode writer, not fenced"
    return 0
  fi
  dr::timeline::event primary-reconcile-started "$P: database.mode=writer dns.fence=false; refresh database and node group; up"
  dr::pulumi::refresh "$P" "$(dr::outputs::get "$P" dbInstanceUrn)" "$(dr::outputs::get "$P" nodeGroup.urn)"
  dr::pulumi::up "$P" --skip-preview
  dr::timeline::event primary-reconciled "$P updated: database.mode=writer, dns.fence=false (gate threshold back to its children)"
}

# dr::switchover::unfence : step unfence (parallel job). The standby
# region's fence signal to 0; wait for its alarm to be OK.
dr::switchover::unfence() {
  local S=$DR_STANDBY_STACK st alarm
  alarm=$(dr::outputs::get "$S" fenceSignal.alarmName)
  st=$(dr::fence::state "$S")
  if ! dr::dry && [[ $st == OK ]]; then
    dr::timeline::event unfenced "skipped: alarm $alarm ($SO_SR) already OK"
    return 0
  fi
  dr::timeline::event unfence-started "put $(dr::outputs::get "$S" fenceSignal.metricName)=0 in $SO_SR (alarm $alarm was $st)"
  dr::fence::set "$S" 0 OK
  dr::timeline::event unfenced "alarm $alarm ($SO_SR) OK: the primary's gate follows its endpoint check again"
}

# dr::switchover::resume_writes : step resume-writes (parallel job). The
# primary's database is the writer: TaskFlow back to its recorded count
# there. The standby's stays at 0 until its database is rebuilt.
dr::switchover::resume_writes() {
  local n
  n=$(dr::app::resume "$DR_PRIMARY_STACK" "$SO_KP")
  if [[ -z $n ]]; then
    dr::timeline::event writes-resumed "skipped: the primary's TaskFlow is not paused"
  else
    dr::timeline::event writes-resumed "primary TaskFlow back to $n replicas against $SO_PID; the standby's stays at 0 until its database is rebuilt"
  fi
}

# dr::switchover::rebuild_standby : step rebuild-standby. Snapshot the
# standby's old writer, drop its protection, replace it with a replica of
# the primary, then database.rebuild false and cluster.scale normal (node
# group back to its normal size) and up.
dr::switchover::rebuild_standby() {
  local S=$DR_STANDBY_STACK n s st src did="" prot
  dr::step rebuild-standby
  if [[ $SO_PHASE != switched ]]; then
    dr::confirm "Switch over: snapshot, then DESTROY $SO_SID ($SO_SR) and rebuild it as a replica of $SO_PID ($SO_PR)?"
    if dr::dry || [[ $(dr::pulumi::config_get "$S" database.rebuild) != true ]]; then
      dr::snapshot::take standby-snapshot-started standby-snapshot-taken "$SO_SR" "$SO_SID" switchover >/dev/null
      did+="snapshot; "
    fi
    prot=$(dr::db::protection "$SO_SR" "$SO_SID")
    if dr::dry || [[ $prot != False ]]; then
      dr::pulumi::config_ensure "$S" database.rebuild true >/dev/null
      dr::pulumi::up "$S"
      did+="protection dropped; "
    fi
    dr::pulumi::config_ensure "$S" database.mode replica >/dev/null
    dr::pulumi::up "$S" --replace "$(dr::outputs::get "$S" dbInstanceUrn)"
    dr::dry || dr::outputs::reload "$S"
    SO_SID=$(dr::outputs::get "$S" dbInstanceId)
    did+="replaced; "
  fi
  n=$(dr::pulumi::config_ensure "$S" database.rebuild false cluster.scale normal)
  if ((n > 0)) || dr::pulumi::has_changes "$S"; then
    dr::pulumi::up "$S"
    did+="protection restored, node group to normal size; "
  fi
  s=$(dr::db::state "$SO_SR" "$SO_SID")
  read -r st src <<<"$s"
  dr::dry || ! dr::db::is_writer "$src" || dr::fail "$SO_SID ($SO_SR) reports no replication source after the rebuild"
  if [[ -z $did ]]; then
    dr::timeline::event standby-rebuilt "skipped: $SO_SID ($SO_SR) already a replica of $src; database.rebuild=false cluster.scale=normal"
  else
    dr::timeline::event standby-rebuilt "${did}$SO_SID ($SO_SR) is a replica of $src ($st)"
  fi
}

# dr::switchover::resume_standby : step resume-standby. The standby's
# TaskFlow back to its normal size (gitops.replicas), not the failover size
# it had when paused.
dr::switchover::resume_standby() {
  local S=$DR_STANDBY_STACK n
  dr::step resume-standby
  n=$(dr::app::resume "$S" "$SO_KS" "$(dr::outputs::get "$S" gitops.replicas)")
  if [[ -z $n ]]; then
    dr::timeline::event standby-resumed "skipped: the standby's TaskFlow is not paused"
  else
    dr::timeline::event standby-resumed "standby TaskFlow at $n replicas (normal size) against its replica $SO_SID"
  fi
  dr::log::say ""
  if dr::dry; then dr::log::say "DRY-RUN complete: nothing was changed."; return 0; fi
  dr::log::say "Switched back: $SO_PID ($SO_PR) is the writer, $SO_SID ($SO_SR) its replica, the primary is unfenced."
  dr::log::say "Commit the changed Pulumi.$DR_PRIMARY_STACK.yaml and Pulumi.$S.yaml."
}
