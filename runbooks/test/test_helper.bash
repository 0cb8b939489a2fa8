# shellcheck shell=bash
# shellcheck disable=SC2034 # variables used by the .bats files
# Shared setup for the dr bats tests: recording stubs of aws, pulumi, kubectl,
# curl and getent first on PATH, and a stubbed cloud in the "normal" phase
# (primary database writer, standby database its replica, not fenced).

TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DR="$TEST_DIR/../bin/dr"

PRIMARY_DB=taskflow-primary-db-4f2a9c1
STANDBY_DB=taskflow-standby-db-8e31b07
PRIMARY_ARN=arn:aws:rds:eu-west-1:123456789012:db:$PRIMARY_DB
GATE=11111111-2222-3333-4444-555555555555

setup_normal_phase() {
  export STUB_STATE="$BATS_TEST_TMPDIR/state"
  export STUB_LOG="$STUB_STATE/calls.log"
  mkdir -p "$STUB_STATE"/{outputs,rds,hc,asg,lag,ecr,snapshots,k8s,dns} \
    "$STUB_STATE"/config/{primary,standby}
  cp "$TEST_DIR"/fixtures/primary.json "$TEST_DIR"/fixtures/standby.json "$STUB_STATE/outputs/"
  echo available >"$STUB_STATE/rds/$PRIMARY_DB.status"
  echo None >"$STUB_STATE/rds/$PRIMARY_DB.source"
  echo available >"$STUB_STATE/rds/$STANDBY_DB.status"
  echo "$PRIMARY_ARN" >"$STUB_STATE/rds/$STANDBY_DB.source"
  echo 1 >"$STUB_STATE/hc/$GATE.threshold"
  echo "3 6 12" >"$STUB_STATE/asg/eks-taskflow-primary-ng-5e6f7a8b"
  echo "2 2 4" >"$STUB_STATE/asg/eks-taskflow-standby-ng-1a2b3c4d"
  # Pulumi.<stack>.yaml as shipped
  printf 'writer\n' >"$STUB_STATE/config/primary/taskflow:database.mode"
  printf 'false\n' >"$STUB_STATE/config/primary/taskflow:database.rebuild"
  printf 'false\n' >"$STUB_STATE/config/primary/taskflow:dns.fence"
  printf 'normal\n' >"$STUB_STATE/config/primary/taskflow:cluster.scale"
  printf 'replica\n' >"$STUB_STATE/config/standby/taskflow:database.mode"
  printf 'false\n' >"$STUB_STATE/config/standby/taskflow:database.rebuild"
  printf 'normal\n' >"$STUB_STATE/config/standby/taskflow:cluster.scale"
  : >"$STUB_LOG"

  export PATH="$TEST_DIR/stubs:$PATH"
  export TMPDIR="$BATS_TEST_TMPDIR"
  export DR_TIMELINE="$BATS_TEST_TMPDIR/timeline.tsv"
  export DR_PROJECT_DIR="$BATS_TEST_TMPDIR/project"
  mkdir -p "$DR_PROJECT_DIR"
  export DR_POLL_INTERVAL=0 DR_NODES_TIMEOUT=5 DR_APP_TIMEOUT=1 DR_LAG_TIMEOUT=1 \
    DR_SWITCHOVER_LAG_TIMEOUT=1 DR_PROMOTE_TIMEOUT=1
  unset DR_PRIMARY_STACK DR_STANDBY_STACK STUB_FAIL_PATTERN STUB_FAIL_MESSAGE
}

# calls : the calls log with run-specific values replaced by placeholders
calls() {
  sed -E \
    -e 's#[^ ]*/dr\.[A-Za-z0-9]+/#<tmp>/#g' \
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/<time>/g' \
    -e 's/taskflow-(failback|switchover)-[0-9]{8}-[0-9]{6}/taskflow-\1-<ts>/g' \
    "$STUB_LOG"
}

MUTATING='promote-read-replica|update-health-check|update-auto-scaling-group|create-db-snapshot|pulumi config set|pulumi up|kubectl .* (scale|annotate|rollout restart|delete|apply|patch)'

# mutating : the calls that change something
mutating() { calls | grep -E "$MUTATING" || true; }

# only_output_reads : the calls log holds nothing but `pulumi stack output`
only_output_reads() { ! calls | grep -qv '^pulumi stack output --json -s '; }

# events : the event column of the timeline
events() { cut -f2 "$DR_TIMELINE"; }

reset_log() { : >"$STUB_LOG"; rm -f "$DR_TIMELINE"; }

# expect_calls FILE-CONTENT : the normalised calls log equals the heredoc
expect_calls() {
  local expected
  expected=$(cat)
  diff -u <(printf '%s\n' "$expected") <(calls) >&2
}
