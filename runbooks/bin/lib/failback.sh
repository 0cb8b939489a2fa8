# shellcheck shell=bash
# dr failback (runbooks/failover.md): with the primary region back, make its
# database a replica of the standby's writer. Preconditions; snapshot the
# old, diverged writer; drop its protection (database.rebuild true); replace
# it with a replica (database.mode replica, --replace); restore protection;
# wait until the primary's DR agent reports a delay within the RPO.
# No waits here are independent of each other: RDS modifies an instance only
# when it is available, so protection is dropped after the snapshot.
#
# Globals set by dr::failback::main: FB_PR FB_SR (regions) FB_PID FB_SID
# (databases) FB_PSRC (the primary database's replication source, "None"
# while it is still the old writer).

# dr::failback::main : the whole command.
dr::failback::main() {
  dr::outputs::read_both
  dr::failback::read_inputs
  dr::failback::preconditions
  dr::failback::snapshot
  dr::failback::drop_protection
  dr::failback::rebuild
  dr::failback::catch_up
}

# dr::failback::read_inputs : check the outputs; set FB_PR FB_SR FB_PID FB_SID.
dr::failback::read_inputs() {
  local P=$DR_PRIMARY_STACK S=$DR_STANDBY_STACK
  dr::outputs::require "$P" region dbInstanceId dbInstanceUrn rpoObjectiveSeconds clusterName drAgent.statusPath
  dr::outputs::require "$S" region dbInstanceId dbInstanceArn fenceSignal.region fenceSignal.alarmName
  [[ -v DR_KUBE_ROLE_ARN ]] || dr::outputs::require "$P" operatorRoleArn
  FB_PR=$(dr::outputs::get "$P" region)
  FB_SR=$(dr::outputs::get "$S" region)
  FB_PID=$(dr::outputs::get "$P" dbInstanceId)
  FB_SID=$(dr::outputs::get "$S" dbInstanceId)
}

# dr::failback::preconditions : step preconditions. The primary region
# answers, the primary is fenced (the standby's fence alarm is ALARM, config
# dns.fence true), the standby's database is the writer. Sets FB_PSRC.
dr::failback::preconditions() {
  local P=$DR_PRIMARY_STACK S=$DR_STANDBY_STACK out err pst sst ssrc fence v
  dr::step preconditions
  dr::aws::try out err "$FB_PR" rds describe-db-instances --db-instance-identifier "$FB_PID" \
    --query 'DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier]' --output text \
    || dr::fail "primary region $FB_PR is not reachable (describe $FB_PID): $err"
  read -r pst FB_PSRC <<<"${out:-unknown None}"
  fence=$(dr::fence::state "$S")
  dr::dry || [[ $fence == ALARM ]] \
    || dr::fail "primary is not fenced (alarm $(dr::outputs::get "$S" fenceSignal.alarmName) is $fence): failback starts from the fenced phase (dr failover, or dr fence)"
  v=$(dr::pulumi::config_get "$P" dns.fence)
  dr::dry || [[ $v == true ]] || dr::fail "stack $P config $DR_CONFIG_NS:dns.fence is '$v', expected true (set it before any 'pulumi up -s $P')"
  v=$(dr::db::state "$FB_SR" "$FB_SID")
  read -r sst ssrc <<<"$v"
  dr::dry || dr::db::is_writer "$ssrc" || dr::fail "standby database $FB_SID ($FB_SR) still replicates from $ssrc: it is not the writer, nothing to fail back"
  v=$(dr::pulumi::config_get "$S" database.mode)
  dr::dry || [[ $v == writer ]] || dr::fail "stack $S config $DR_CONFIG_NS:database.mode is '$v', expected writer (finish dr failover first)"
  dr::timeline::event failback-started "$FB_PR reachable ($FB_PID $pst, source $FB_PSRC); fenced (alarm $fence); $FB_SID ($FB_SR) is the writer ($sst)"
}

# dr::failback::snapshot : step snapshot. A manual snapshot of the old
# writer: it holds the writes that never reached the standby, and the
# instance is destroyed by the rebuild.
dr::failback::snapshot() {
  local P=$DR_PRIMARY_STACK
  dr::step snapshot
  if ! dr::dry && ! dr::db::is_writer "$FB_PSRC"; then
    dr::timeline::event snapshot-taken "skipped: $FB_PID already replicates from $FB_PSRC (rebuilt earlier)"
    return 0
  fi
  if ! dr::dry && [[ $(dr::pulumi::config_get "$P" database.rebuild) == true ]]; then
    dr::timeline::event snapshot-taken "skipped: $P config database.rebuild already true (set only after the snapshot)"
    return 0
  fi
  dr::confirm "Fail back: snapshot, then DESTROY the old writer $FB_PID in $FB_PR and rebuild it as a replica of $FB_SID ($FB_SR). Writes made to $FB_PID after the failover survive only in the snapshot."
  dr::snapshot::take snapshot-started snapshot-taken "$FB_PR" "$FB_PID" failback >/dev/null
}

# dr::failback::drop_protection : step drop-protection. database.rebuild
# true and up: the only way the program lifts protect and RDS deletion
# protection. Skipped when already in force.
dr::failback::drop_protection() {
  local P=$DR_PRIMARY_STACK prot
  dr::step drop-protection
  if ! dr::dry && ! dr::db::is_writer "$FB_PSRC"; then
    dr::timeline::event protection-dropped "skipped: $FB_PID already rebuilt"
    return 0
  fi
  if ! dr::dry && [[ $(dr::pulumi::config_get "$P" database.rebuild) == true ]]; then
    prot=$(dr::db::protection "$FB_PR" "$FB_PID")
    if [[ $prot == False ]]; then
      dr::timeline::event protection-dropped "skipped: $P config database.rebuild true and $FB_PID deletion protection off"
      return 0
    fi
  fi
  dr::confirm "Fail back: drop protection on $FB_PID ($FB_PR) so that it can be replaced?"
  dr::pulumi::config_ensure "$P" database.rebuild true >/dev/null
  dr::pulumi::up "$P"
  dr::timeline::event protection-dropped "$P config database.rebuild=true applied: protect and deletion protection off for $FB_PID"
}

# dr::failback::rebuild : step rebuild. database.mode replica and replace
# the database (a cross-region replica of the standby's writer), then
# database.rebuild false and up (protection back). Re-reads the outputs: the
# new instance may have a new identifier.
dr::failback::rebuild() {
  local P=$DR_PRIMARY_STACK n s st src did=""
  dr::step rebuild
  if dr::dry || dr::db::is_writer "$FB_PSRC"; then
    dr::pulumi::config_ensure "$P" database.mode replica >/dev/null
    dr::confirm "Fail back: replace $FB_PID ($FB_PR)?"
    dr::pulumi::up "$P" --replace "$(dr::outputs::get "$P" dbInstanceUrn)"
    dr::dry || dr::outputs::reload "$P"
    FB_PID=$(dr::outputs::get "$P" dbInstanceId)
    did="replaced; "
  fi
  n=$(dr::pulumi::config_ensure "$P" database.rebuild false)
  if ((n > 0)) || dr::pulumi::has_changes "$P"; then
    dr::pulumi::up "$P"
    did+="protection restored; "
  fi
  s=$(dr::db::state "$FB_PR" "$FB_PID")
  read -r st src <<<"$s"
  dr::dry || ! dr::db::is_writer "$src" || dr::fail "$FB_PID ($FB_PR) reports no replication source after the rebuild"
  if [[ -z $did ]]; then
    dr::timeline::event rebuilt "skipped: $FB_PID ($FB_PR) already a replica of $src with database.rebuild=false"
  else
    dr::timeline::event rebuilt "${did}$FB_PID ($FB_PR) is a replica of $src ($st); database.rebuild=false"
  fi
}

# dr::failback::catch_up : step catch-up. The primary's DR agent (now on a
# replica) reports a replication delay within the RPO objective.
dr::failback::catch_up() {
  local P=$DR_PRIMARY_STACK kc rpo line role seq delay err deadline
  dr::step catch-up
  rpo=$(dr::outputs::get "$P" rpoObjectiveSeconds)
  kc=$(dr::k8s::kubeconfig "$P")
  deadline=$(dr::time::deadline "$DR_CATCHUP_TIMEOUT")
  while :; do
    line=$(dr::agent::status "$P" "$kc")
    dr::dry && break
    IFS=$'\t' read -r role seq delay err <<<"$line"
    if [[ $role == replica ]] && dr::num::is "$delay" && dr::num::le "$delay" "$rpo"; then break; fi
    dr::time::before "$deadline" || dr::fail "the DR agent of $P reports role $role, delay ${delay}s (RPO objective ${rpo}s) after ${DR_CATCHUP_TIMEOUT}s; lastError: ${err:-none}"
    dr::log::info "DR agent of $P: role $role, delay ${delay}s (want <= ${rpo}s)"
    dr::time::pause
  done
  dr::timeline::event caught-up "DR agent of $P ($FB_PR): replica, delay ${delay:-?}s <= RPO objective ${rpo}s (heartbeat ${seq:-?})"
  dr::log::say ""
  if dr::dry; then dr::log::say "DRY-RUN complete: nothing was changed."; return 0; fi
  dr::log::say "Failback reseed complete. Next, in a planned window: runbooks/bin/dr switchover"
}
