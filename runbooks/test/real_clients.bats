#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # each @test runs in its own subshell on purpose
# The stubs are only as good as their agreement with the real clients. A full
# cycle (failover, failback, switchover) plus status, preflight and the
# control-plane fence runs once against the stubs; then every distinct call
# it made is replayed through the real client against a closed port:
# - /usr/bin/aws (AWS CLI v2, 2.9.19) --endpoint-url http://127.0.0.1:9:
#   each call must pass the CLI's own parameter validation and fail only on
#   the connection (exit 255), never as a usage error (252);
# - the stub's renderings of --query/--output go through the real client's
#   jmespath and text formatter (conformance.py);
# - kubectl against https://127.0.0.1:9: a connection error, never a flag
#   error;
# - the Pulumi CLI in an empty directory: no flag error.
# Skipped, with the reason, where the real client is not installed.

load test_helper

REAL_AWS=/usr/bin/aws
REAL_KUBECTL=${REAL_KUBECTL:-/usr/bin/kubectl}
REAL_PULUMI=${REAL_PULUMI:-$TEST_DIR/../../.lab/bin/pulumi}

setup_file() {
  local base="$BATS_FILE_TMPDIR/calls"
  export BATS_TEST_TMPDIR="$BATS_FILE_TMPDIR/run"
  mkdir -p "$BATS_TEST_TMPDIR" "$base"
  setup_normal_phase
  "$DR" --yes failover >/dev/null 2>&1
  "$DR" --yes failback >/dev/null 2>&1
  "$DR" --yes switchover >/dev/null 2>&1
  "$DR" status >/dev/null 2>&1
  "$DR" preflight --image-tag v1.4.2 >/dev/null 2>&1 || true # the rebuilt replica is still catching up
  "$DR" --yes fence --control-plane >/dev/null 2>&1
  rm -f "$STUB_STATE/outputs/primary.json" # a failing read too
  "$DR" status >/dev/null 2>&1 || true
  for tool in aws kubectl pulumi; do sort -u "$STUB_STATE/argv/$tool.log" >"$base/$tool.calls"; done
  cp "$STUB_STATE/aws-queries.jsonl" "$base/"
}

@test "every aws call of a full cycle passes the real AWS CLI's parameter validation" {
  [ -x "$REAL_AWS" ] || skip "$REAL_AWS (AWS CLI v2) is not installed: apt-get install awscli"
  local n=0 bad=0 line rc out
  while IFS= read -r line; do
    eval "local -a args=($line)"
    rc=0
    out=$(env -i PATH=/usr/bin:/bin HOME="$BATS_TEST_TMPDIR" AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_SECRET_ACCESS_KEY=secret \
      AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard \
      AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" \
      "$REAL_AWS" "${args[@]}" --endpoint-url http://127.0.0.1:9 2>&1) || rc=$?
    n=$((n + 1))
    if ((rc != 255)) || [[ $out != *'Could not connect to the endpoint URL'* ]]; then
      bad=$((bad + 1))
      printf 'aws %s\n  -> exit %s: %s\n' "$line" "$rc" "$out" >&2
    fi
  done <"$BATS_FILE_TMPDIR/calls/aws.calls"
  echo "# $n distinct aws calls replayed, $bad refused" >&3
  ((n >= 25))
  ((bad == 0))
}

@test "the aws stub renders --query/--output exactly as the real AWS CLI does" {
  [ -x "$REAL_AWS" ] || skip "$REAL_AWS (AWS CLI v2) is not installed: apt-get install awscli"
  run /usr/bin/python3 "$TEST_DIR/conformance.py" "$BATS_FILE_TMPDIR/calls/aws-queries.jsonl"
  echo "$output" >&2
  [ "$status" -eq 0 ]
  [[ $output =~ ^([0-9]+)\ distinct ]] && ((BASH_REMATCH[1] >= 15))
}

@test "every kubectl call of a full cycle passes the real kubectl's flag parsing" {
  [ -x "$REAL_KUBECTL" ] || skip "$REAL_KUBECTL is not installed"
  local kc="$BATS_TEST_TMPDIR/kubeconfig" n=0 bad=0 line out
  cat >"$kc" <<'KC'
apiVersion: v1
kind: Config
clusters:
- cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}
  name: closed
contexts:
- context: {cluster: closed, user: nobody}
  name: closed
current-context: closed
users:
- name: nobody
  user: {token: not-a-token}
KC
  while IFS= read -r line; do
    eval "local -a args=($line)"
    for i in "${!args[@]}"; do [[ ${args[$i]} != */kubeconfig-* ]] || args[i]=$kc; done
    out=$("$REAL_KUBECTL" "${args[@]}" 2>&1) || true
    n=$((n + 1))
    if [[ $out != *'127.0.0.1:9'*'refused'* ]] || [[ $out == *'unknown flag'* || $out == *'unknown shorthand'* || $out == *'Usage:'* ]]; then
      bad=$((bad + 1))
      printf 'kubectl %s\n  -> %s\n' "$line" "$out" >&2
    fi
  done <"$BATS_FILE_TMPDIR/calls/kubectl.calls"
  echo "# $n distinct kubectl calls replayed, $bad refused" >&3
  ((n >= 10))
  ((bad == 0))
}

@test "every pulumi call of a full cycle passes the real Pulumi CLI's flag parsing" {
  [ -x "$REAL_PULUMI" ] || skip "$REAL_PULUMI (Pulumi CLI) is not installed"
  local dir="$BATS_TEST_TMPDIR/empty" n=0 bad=0 line out
  mkdir -p "$dir"
  while IFS= read -r line; do
    eval "local -a args=($line)"
    out=$(cd "$dir" && env -i PATH=/usr/bin:/bin HOME="$BATS_TEST_TMPDIR" PULUMI_HOME="$BATS_TEST_TMPDIR/.pulumi" \
      PULUMI_SKIP_UPDATE_CHECK=true PULUMI_BACKEND_URL="file://$BATS_TEST_TMPDIR/state" \
      "$REAL_PULUMI" "${args[@]}" 2>&1) || true
    n=$((n + 1))
    if [[ $out == *'unknown flag'* || $out == *'unknown shorthand flag'* || $out == *'accepts '*' arg'* || $out == *'requires at least'* ]]; then
      bad=$((bad + 1))
      printf 'pulumi %s\n  -> %s\n' "$line" "$out" >&2
    fi
  done <"$BATS_FILE_TMPDIR/calls/pulumi.calls"
  echo "# $n distinct pulumi calls replayed, $bad refused" >&3
  ((n >= 10))
  ((bad == 0))
}
