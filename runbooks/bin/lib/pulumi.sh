# shellcheck shell=bash
# Pulumi side of the runbook: stack config (the lifecycle phase, runbooks/failover.md
# "Lifecycle phases"), refresh and up. Config keys live under the project namespace.

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
  dr::pulumi::_change "$stack" up --yes "$@" -s "$stack"
}

# dr::pulumi::_change STACK ARGS... : `pulumi ARGS` (which name -s STACK), a change
# (logged; planned only in a dry run). A run of dr killed during a `pulumi
# up` or `refresh` leaves the stack locked. The DIY backend's lock names its
# process ("created by USER@HOST (pid N)":
# pulumi/pulumi@v3.274.1:pkg/backend/diy/lock.go:86-106); when every lock is
# of this host and its process is gone, it is that killed run's, and it is
# cleared with `pulumi cancel` (which deletes the lock files:
# pkg/backend/diy/backend.go:1662) and the command run once more. Any other
# lock, or Pulumi Cloud's "update in progress", stops the run naming it: it
# may be a colleague's.
dr::pulumi::_change() {
  local stack=$1 errf rc=0
  shift
  if dr::dry; then
    dr::plan "DRY-RUN: $(dr::quote pulumi "$@")"
    return 0
  fi
  errf="$DR_WORKDIR/pulumi-stderr.$BASHPID"
  dr::log::info "+ $(dr::quote pulumi "$@")"
  pulumi "$@" 2>"$errf" 9>&- >&2 || rc=$?
  if ((rc != 0)) && dr::pulumi::_stale_lock "$errf"; then
    cat "$errf" >&2
    dr::log::say "dr: stack $stack is locked by a pulumi process of a killed run (gone from this host): clearing it"
    dr::exec::run pulumi cancel --yes -s "$stack" >&2
    rc=0
    pulumi "$@" 2>"$errf" 9>&- >&2 || rc=$?
  fi
  if [[ -s $errf ]]; then cat "$errf" >&2; fi
  if ((rc != 0)); then
    local hint=""
    if grep -q "currently locked by\|Another update is currently in progress" "$errf"; then
      hint=" (the stack is locked by another process: if it is a killed run of yours and not a colleague's update, run 'pulumi cancel -s $stack' and re-run)"
    fi
    dr::fail "$(dr::quote pulumi "$@") exited $rc: $(dr::exec::_errtext "$errf")$hint"
  fi
}

# dr::pulumi::_stale_lock ERRFILE : exit status 0 when ERRFILE is the DIY
# backend's "currently locked" error and every lock it names was taken on
# this host by a process that no longer exists.
dr::pulumi::_stale_lock() {
  local line host pid state n=0 re='created by [^@]*@([^ ]+) \(pid ([0-9]+)\)'
  grep -q "the stack is currently locked by" "$1" || return 1
  while IFS= read -r line; do
    [[ $line =~ $re ]] || continue
    host=${BASH_REMATCH[1]} pid=${BASH_REMATCH[2]}
    [[ $host == "$(uname -n)" ]] || return 1
    # alive unless absent or a zombie (killed, not yet reaped)
    state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
    if [[ -n $state && $state != Z* ]]; then return 1; fi
    n=$((n + 1))
  done <"$1"
  ((n > 0))
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
  dr::pulumi::_change "$stack" refresh --yes --skip-preview -s "$stack" "${args[@]}"
}

# dr::pulumi::has_changes STACK : exit status 0 when a preview proposes
# changes (a resumed run after an interrupted up). Dry run: 0.
dr::pulumi::has_changes() {
  local out err
  dr::exec::try out err pulumi preview --expect-no-changes -s "$1" || return 0
  dr::dry
}
