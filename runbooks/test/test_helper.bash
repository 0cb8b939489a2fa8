# shellcheck shell=bash
# shellcheck disable=SC2034,SC1090,SC2030,SC2031 # variables used by the .bats files; state files are data; subshells on purpose
# Shared setup of the dr bats tests: the recording stubs of aws, pulumi,
# kubectl, curl and getent first on PATH, and a stubbed cloud in the
# "normal" phase (primary database writer, standby database its replica, not
# fenced, both DR agents running, standby node group at its normal size).

TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DR="$TEST_DIR/../bin/dr"

PRIMARY_DB=taskflow-primary-db-4f2a9c1
STANDBY_DB=taskflow-standby-db-8e31b07
PRIMARY_ARN=arn:aws:rds:eu-west-1:123456789012:db:$PRIMARY_DB
GATE=11111111-2222-3333-4444-555555555555
ENDPOINT_HC=66666666-7777-8888-9999-000000000000
FENCE_HC=77777777-8888-9999-aaaa-bbbbbbbbbbbb
PRIMARY_CLUSTER=taskflow-dr-primary
STANDBY_CLUSTER=taskflow-dr-standby
PRIMARY_NG=taskflow-dr-primary-ng-5e6f7a8b
STANDBY_NG=taskflow-dr-standby-ng-1a2b3c4d
FENCE_ALARM=taskflow-dr-fence-primary
OPERATOR_ROLE=arn:aws:iam::123456789012:role/taskflow-dr-operator

# state FILE NAME=VALUE... : write a stub state file (the stubs read it
# with `source`).
state() {
  local f=$1 kv
  shift
  mkdir -p "$(dirname "$f")"
  for kv in "$@"; do printf 'declare -g %s=%q\n' "${kv%%=*}" "${kv#*=}"; done >"$f"
}

# state_set FILE NAME=VALUE... : change values in a stub state file.
state_set() {
  local f=$1 kv
  shift
  for kv in "$@"; do printf 'declare -g %s=%q\n' "${kv%%=*}" "${kv#*=}"; done >>"$f"
}

# state_get FILE NAME : prints a value of a stub state file.
state_get() { (source "$1" && printf '%s\n' "${!2}"); }

# build_normal_phase DIR : write the stubbed cloud, stacks and clusters.
build_normal_phase() {
  local s=$1 stack path=/api/v1/namespaces/taskflow-dr/services/dr-agent:http/proxy/status
  mkdir -p "$s"/{outputs,argv,dns} "$s"/config/{primary,standby} "$s/rds/eu-west-1/snapshots" "$s/rds/eu-central-1/snapshots"
  cp "$TEST_DIR"/fixtures/primary.json "$TEST_DIR"/fixtures/standby.json "$s/outputs/"
  # Pulumi.<stack>.yaml as shipped
  printf 'writer\n' >"$s/config/primary/taskflow:database.mode"
  printf 'false\n' >"$s/config/primary/taskflow:database.rebuild"
  printf 'false\n' >"$s/config/primary/taskflow:dns.fence"
  printf 'normal\n' >"$s/config/primary/taskflow:cluster.scale"
  printf 'replica\n' >"$s/config/standby/taskflow:database.mode"
  printf 'false\n' >"$s/config/standby/taskflow:database.rebuild"
  printf 'normal\n' >"$s/config/standby/taskflow:cluster.scale"
  state "$s/pstate/primary" dbsource= "ngsizes=3 4 8" "applied=$(cat "$s/config/primary"/* | md5sum)" dbid=$PRIMARY_DB \
    "dburn=$(jq -r .dbInstanceUrn "$s/outputs/primary.json")" ngname=$PRIMARY_NG "ngurn=$(jq -r .nodeGroup.urn "$s/outputs/primary.json")" \
    cluster=$PRIMARY_CLUSTER region=eu-west-1 peer=standby
  state "$s/pstate/standby" dbsource=$PRIMARY_ARN "ngsizes=2 2 4" "applied=$(cat "$s/config/standby"/* | md5sum)" dbid=$STANDBY_DB \
    "dburn=$(jq -r .dbInstanceUrn "$s/outputs/standby.json")" ngname=$STANDBY_NG "ngurn=$(jq -r .nodeGroup.urn "$s/outputs/standby.json")" \
    cluster=$STANDBY_CLUSTER region=eu-central-1 peer=primary
  state "$s/rds/eu-west-1/$PRIMARY_DB" status=available source= protection=true retention=14 window=02:00-02:30 multiaz=true polls=0
  state "$s/rds/eu-central-1/$STANDBY_DB" status=available source=$PRIMARY_ARN protection=true retention=0 window=04:00-04:30 multiaz=false polls=0
  state "$s/eks/$PRIMARY_CLUSTER/cluster" cregion=eu-west-1
  state "$s/eks/$STANDBY_CLUSTER/cluster" cregion=eu-central-1
  state "$s/eks/$PRIMARY_CLUSTER/$PRIMARY_NG" ngstatus=ACTIVE min=3 des=4 max=8 pmin= pdes= pmax= polls=0
  state "$s/eks/$STANDBY_CLUSTER/$STANDBY_NG" ngstatus=ACTIVE min=2 des=2 max=4 pmin= pdes= pmax= polls=0
  state "$s/k8s/$PRIMARY_CLUSTER/deploy" dns=taskflow dname=taskflow replicas=6 sreplicas=6 annotation=
  state "$s/k8s/$STANDBY_CLUSTER/deploy" dns=taskflow dname=taskflow replicas=2 sreplicas=2 annotation=
  state "$s/k8s/$PRIMARY_CLUSTER/nodes" nodegroup=$PRIMARY_NG ready=4 extra=0
  state "$s/k8s/$STANDBY_CLUSTER/nodes" nodegroup=$STANDBY_NG ready=2 extra=0
  state "$s/k8s/$PRIMARY_CLUSTER/agent" path=$path seq=1000 lag=0 stuck=false agentdb=eu-west-1/$PRIMARY_DB
  state "$s/k8s/$STANDBY_CLUSTER/agent" path=$path seq=998 lag=2 stuck=false agentdb=eu-central-1/$STANDBY_DB
  state "$s/cw/eu-central-1/$FENCE_ALARM" state=OK namespace=TaskFlowDR metric=PrimaryFenced dimension=FencedStack=primary threshold=1 pending= polls=0
  state "$s/r53/$GATE" hctype=CALCULATED threshold=2 children=$ENDPOINT_HC,$FENCE_HC observations=
  state "$s/r53/$ENDPOINT_HC" hctype=HTTPS threshold=3 children= \
    "observations=Success: HTTP Status Code 200, OK|Success: HTTP Status Code 200, OK|Success: HTTP Status Code 200, OK"
  mkdir -p "$s/ecr/eu-west-1/taskflow" "$s/ecr/eu-central-1/taskflow"
  echo sha256:1111111111111111111111111111111111111111111111111111111111111111 >"$s/ecr/eu-west-1/taskflow/v1.4.2"
  echo sha256:1111111111111111111111111111111111111111111111111111111111111111 >"$s/ecr/eu-central-1/taskflow/v1.4.2"
  state "$s/secrets/eu-west-1/taskflow-db" arn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:taskflow/db-AbCdEf replicas=eu-central-1=InSync
}

setup_normal_phase() {
  export STUB_STATE="$BATS_TEST_TMPDIR/state"
  export STUB_LOG="$STUB_STATE/calls.log"
  if [[ ! -d $BATS_FILE_TMPDIR/normal ]]; then build_normal_phase "$BATS_FILE_TMPDIR/normal"; fi
  rm -rf "$STUB_STATE"
  cp -r "$BATS_FILE_TMPDIR/normal" "$STUB_STATE"
  : >"$STUB_LOG"
  export PATH="$TEST_DIR/stubs:$PATH"
  export TMPDIR="$BATS_TEST_TMPDIR"
  export DR_TIMELINE="$BATS_TEST_TMPDIR/timeline.tsv"
  export DR_PROJECT_DIR="$BATS_TEST_TMPDIR/project"
  mkdir -p "$DR_PROJECT_DIR"
  # No pause between polls; time limits far above what the stubs need even
  # on a loaded machine (the tests of a limit set their own, small one).
  export DR_POLL_INTERVAL=0 DR_NODEGROUP_TIMEOUT=30 DR_NODES_TIMEOUT=30 DR_APP_TIMEOUT=1 DR_CATCHUP_TIMEOUT=30 \
    DR_RPO_ZERO_TIMEOUT=30 DR_PROMOTE_TIMEOUT=30 DR_FENCE_TIMEOUT=30 DR_WRITES_TIMEOUT=30 DR_PAUSE_TIMEOUT=30 DR_SNAPSHOT_TIMEOUT=30
  unset DR_PRIMARY_STACK DR_STANDBY_STACK DR_KUBE_ROLE_ARN DR_LOG_DIR STUB_FAIL_PATTERN STUB_FAIL_MESSAGE STUB_FAIL_RC \
    STUB_KILL_PATTERN STUB_DOWN_REGIONS
}

# calls : the calls (without their step) with run-specific values replaced
# by placeholders.
calls() { cut -f2- "$STUB_LOG" | normalise; }

# calls_in STEP : the calls made by STEP, in order (parallel steps each run
# in order, interleaved with the others).
calls_in() { awk -F '\t' -v s="$1" '$1 == s { sub(/^[^\t]*\t/, ""); print }' "$STUB_LOG" | normalise; }

# steps_called : the steps that made calls, in order of first call.
steps_called() { cut -f1 "$STUB_LOG" | awk '!seen[$0]++'; }

normalise() {
  sed -E \
    -e 's#[^ ]*/dr\.[A-Za-z0-9]+/#<tmp>/#g' \
    -e 's/taskflow-(failback|switchover)-[0-9]{8}-[0-9]{6}/taskflow-\1-<ts>/g'
}

MUTATING='promote-read-replica|update-nodegroup-config|put-metric-data|update-health-check|create-db-snapshot|pulumi config set|pulumi up|pulumi refresh|kubectl .* (scale|annotate) '

# mutating : the calls that change something
mutating() { calls | grep -E "$MUTATING" || true; }

# count_calls REGEX : how many calls match
count_calls() { calls | grep -cE -- "$1" || true; }

# only_output_reads : the calls log holds nothing but `pulumi stack output`
only_output_reads() { ! calls | grep -qv '^pulumi stack output --json -s '; }

# events : the event column of the timeline, space-separated
events() { cut -f2 "$DR_TIMELINE" | tr '\n' ' '; }

# event_detail EVENT : the detail of the last EVENT
event_detail() { awk -F '\t' -v e="$1" '$2 == e { d = $3 } END { print d }' "$DR_TIMELINE"; }

# before EVENT-A EVENT-B : the first A is recorded before the last B
before() {
  awk -F '\t' -v a="$1" -v b="$2" '$2 == a && !ia { ia = NR } $2 == b { ib = NR } END { exit !(ia && ib && ia < ib) }' "$DR_TIMELINE"
}

reset_log() { : >"$STUB_LOG"; rm -f "$DR_TIMELINE"; }

# expect_calls [STEP] : the normalised calls (of STEP) equal stdin
expect_calls() {
  local expected
  expected=$(cat)
  if (($# > 0)); then
    diff -u <(printf '%s\n' "$expected") <(calls_in "$1") >&2
  else
    diff -u <(printf '%s\n' "$expected") <(calls) >&2
  fi
}

TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z	[a-z-]+	[^	]*$'

# timeline_well_formed : every line is <ts>\t<event>\t<detail>
timeline_well_formed() {
  local line
  while IFS= read -r line; do
    [[ $line =~ $TS_RE ]] || { echo "malformed: $line" >&2; return 1; }
  done <"$DR_TIMELINE"
}

# use_phase NAME [DR-COMMAND...] : start the test from a later phase: the
# stubbed cloud and the timeline as the given dr commands leave them from the
# normal phase (built once per test file, e.g. use_phase failedover failover).
use_phase() {
  local name=$1 base="$BATS_FILE_TMPDIR/phase-$1" cmd
  shift
  if [[ ! -d $base ]]; then
    (
      export STUB_STATE="$base" STUB_LOG="$base/calls.log" DR_TIMELINE="$base/timeline.tsv"
      cp -r "$BATS_FILE_TMPDIR/normal" "$base"
      for cmd in "$@"; do "$DR" --yes "$cmd" >"$base/$cmd.out" 2>&1 || { cat "$base/$cmd.out" >&2; exit 1; }; done
    ) || return 1
  fi
  rm -rf "$STUB_STATE"
  cp -r "$base" "$STUB_STATE"
  cp "$base/timeline.tsv" "$DR_TIMELINE"
  rm -f "$STUB_STATE"/argv/* "$STUB_STATE/aws-queries.jsonl"
  : >"$STUB_LOG"
}
