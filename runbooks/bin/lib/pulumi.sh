# shellcheck shell=bash
# Pulumi side of the runbook: stack config (the lifecycle phase, DESIGN.md
# §6), refresh and up. Config keys live under the project namespace.

DR_CONFIG_NS=taskflow

# dr::pulumi::config_get STACK KEY : prints the value, or nothing when the
# key is unset. Dry run: nothing.
dr::pulumi::config_get() {
  local out err rc=0
  dr::exec::try out err pulumi config get --path -s "$1" "$DR_CONFIG_NS:$2" || rc=$?
  if ((rc != 0)); then
    # pulumi/pulumi@v3.274.1:pkg/cmd/pulumi/config/config.go ("configuration
    # key '%s' not found for stack '%s'")
    [[ $err == *"not found for stack"* ]] && return 0
    dr::fail "pulumi config get -s $1 $DR_CONFIG_NS:$2 exited $rc: $err"
  fi
  printf '%s\n' "$out"
}

# dr::pulumi::config_ensure STACK KEY VALUE [KEY VALUE...] : set each key
# that does not already hold its value; prints how many were changed.
dr::pulumi::config_ensure() {
  local stack=$1 n=0 key value
  shift
  while (($# >= 2)); do
    key=$1 value=$2
    shift 2
    if ! dr::dry && [[ $(dr::pulumi::config_get "$stack" "$key") == "$value" ]]; then
      dr::log::info "config $stack $DR_CONFIG_NS:$key is already $value"
      continue
    fi
    dr::exec::run pulumi config set --path -s "$stack" "$DR_CONFIG_NS:$key" "$value" >&2
    n=$((n + 1))
  done
  printf '%s\n' "$n"
}

# dr::pulumi::up STACK ARGS... : pulumi up --yes ARGS -s STACK (its
# progress on stderr).
dr::pulumi::up() {
  local stack=$1
  shift
  dr::exec::run pulumi up --yes "$@" -s "$stack" >&2
}

# dr::pulumi::refresh STACK URN... : refresh only these resources' state
# from the cloud. After a command-line promotion the state still holds
# replicateSourceDb, and the provider's update would call PromoteReadReplica
# again, which RDS refuses for an instance that is no longer a replica
# (hashicorp/terraform-provider-aws internal/service/rds/instance.go,
# resourceInstanceUpdate: "Separate request to promote a database").
dr::pulumi::refresh() {
  local stack=$1 urn args=()
  shift
  for urn in "$@"; do args+=(--target "$urn"); done
  dr::exec::run pulumi refresh --yes --skip-preview -s "$stack" "${args[@]}" >&2
}

# dr::pulumi::has_changes STACK : exit status 0 when a preview proposes
# changes (a resumed run after an interrupted up). Dry run: 0.
dr::pulumi::has_changes() {
  local out err
  dr::exec::try out err pulumi preview --expect-no-changes -s "$1" || return 0
  dr::dry
}
