# shellcheck shell=bash
# Stack outputs, the runbook's API (outputs/outputs.go): one
# `pulumi stack output --json -s STACK` per stack, flattened once into an
# associative array ("stack|nodeGroup.name" -> value) so that every later
# read is a lookup. The read runs in a dry run too: the plan names real ids.

declare -gA DR_OUT=()
declare -gA DR_OUT_LOADED=()

# dr::outputs::load STACK : read STACK's outputs (once).
dr::outputs::load() {
  local stack=$1 json k v
  [[ -n ${DR_OUT_LOADED[$stack]:-} ]] && return 0
  if dr::dry; then
    dr::plan "DRY-RUN (read, executed): $(dr::quote pulumi stack output --json -s "$stack")"
  else
    dr::log::info "reading outputs: $(dr::quote pulumi stack output --json -s "$stack")"
  fi
  json=$(dr::exec::_call pulumi stack output --json -s "$stack")
  jq -e 'type == "object"' >/dev/null 2>&1 <<<"$json" \
    || dr::fail "pulumi stack output --json -s $stack did not return a JSON object"
  while IFS= read -r -d '' k && IFS= read -r -d '' v; do
    DR_OUT["$stack|$k"]=$v
  done < <(jq -j 'paths(type != "object" and type != "array") as $p | ($p | map(tostring) | join(".")) + "\u0000" + (getpath($p) | if . == null then "" else tostring end) + "\u0000"' <<<"$json")
  DR_OUT_LOADED[$stack]=1
}

# dr::outputs::reload STACK : read STACK's outputs again (after a replace,
# the database has a new identifier).
dr::outputs::reload() {
  local stack=$1 k
  for k in "${!DR_OUT[@]}"; do [[ $k == "$stack|"* ]] && unset "DR_OUT[$k]"; done
  unset "DR_OUT_LOADED[$stack]"
  dr::outputs::load "$stack"
}

# dr::outputs::get STACK PATH : prints the output (PATH may be nested:
# nodeGroup.name); fails naming it when it is missing or empty.
dr::outputs::get() {
  local v=${DR_OUT["$1|$2"]:-}
  [[ -n $v ]] || dr::fail "stack '$1' has no output '$2' (read with: pulumi stack output --json -s $1); run 'pulumi up -s $1' or check the stack name"
  printf '%s\n' "$v"
}

# dr::outputs::get_opt STACK PATH : prints the output, which may be ""
# (dbBackupWindow, fenceHealthCheckId); fails only when it is absent.
dr::outputs::get_opt() {
  [[ -v DR_OUT["$1|$2"] ]] || dr::fail "stack '$1' has no output '$2' (read with: pulumi stack output --json -s $1)"
  printf '%s\n' "${DR_OUT["$1|$2"]}"
}

# dr::outputs::require STACK PATH... : fail before any change, naming the
# first missing output.
dr::outputs::require() {
  local stack=$1 p
  shift
  for p in "$@"; do
    [[ -n ${DR_OUT["$stack|$p"]:-} ]] || dr::outputs::get "$stack" "$p" >/dev/null
  done
}

# dr::outputs::read_both : the read-outputs step every command starts with.
dr::outputs::read_both() {
  dr::step read-outputs
  dr::outputs::load "$DR_PRIMARY_STACK"
  dr::outputs::load "$DR_STANDBY_STACK"
}
