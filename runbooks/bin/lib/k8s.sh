# shellcheck shell=bash
# Kubernetes side of the runbook: kubeconfigs, nodes, the TaskFlow
# deployment and the DR agent. Every kubectl names a private --kubeconfig
# (never the operator's ~/.kube/config) and, except for rollout waits, a
# request timeout: the cluster may be in the region that is down.

DR_KUBECTL_TIMEOUT=(--request-timeout=20s)
DR_PAUSE_ANNOTATION=taskflow.dr/replicas-before-pause

# dr::k8s::kubeconfig STACK : prints the path of a private kubeconfig for
# STACK's cluster, written once per run. It authenticates as the operator
# role of the EKS access entries (output operatorRoleArn; env
# DR_KUBE_ROLE_ARN overrides it, empty means the caller's own identity), so
# any on-call engineer who can assume that role gets in (issue 9.3).
dr::k8s::kubeconfig() {
  local stack=$1 kc="$DR_WORKDIR/kubeconfig-$1" region name role args=()
  if [[ ! -e $kc.done ]]; then
    region=$(dr::outputs::get "$stack" region)
    name=$(dr::outputs::get "$stack" clusterName)
    if [[ -v DR_KUBE_ROLE_ARN ]]; then role=$DR_KUBE_ROLE_ARN; else role=$(dr::outputs::get "$stack" operatorRoleArn); fi
    [[ -z $role ]] || args=(--role-arn "$role")
    dr::exec::run aws eks update-kubeconfig --region "$region" "${DR_AWS_TIMEOUTS[@]}" \
      --name "$name" --kubeconfig "$kc" "${args[@]}" >&2
    : >"$kc.done"
  fi
  printf '%s\n' "$kc"
}

# dr::k8s::ready_nodes KUBECONFIG NODEGROUP : prints the number of nodes of
# the managed node group (label eks.amazonaws.com/nodegroup, set by EKS:
# https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html)
# whose STATUS is exactly Ready. NotReady nodes (booting, being replaced) and
# cordoned ones (Ready,SchedulingDisabled) do not count. Never
# `kubectl wait --for=condition=Ready nodes --all`: one NotReady node fails
# it while enough are Ready (issue 9.11).
dr::k8s::ready_nodes() {
  local lines
  lines=$(dr::exec::query kubectl --kubeconfig "$1" "${DR_KUBECTL_TIMEOUT[@]}" get nodes \
    -l "eks.amazonaws.com/nodegroup=$2" --no-headers)
  awk '$2 == "Ready" { n++ } END { print n + 0 }' <<<"$lines"
}

# dr::k8s::wait_ready_nodes KUBECONFIG NODEGROUP WANT : poll until at least
# WANT nodes of NODEGROUP are Ready; prints how many are.
dr::k8s::wait_ready_nodes() {
  local kc=$1 ng=$2 want=$3 have deadline
  deadline=$(dr::time::deadline "$DR_NODES_TIMEOUT")
  while :; do
    have=$(dr::k8s::ready_nodes "$kc" "$ng")
    dr::dry && break
    ((have >= want)) && break
    dr::time::before "$deadline" || dr::fail "only $have of $want nodes of node group $ng Ready after ${DR_NODES_TIMEOUT}s"
    dr::log::info "nodes of $ng: $have of $want Ready"
    dr::time::pause
  done
  printf '%s\n' "$have"
}

# ------------------------------------------------------------- TaskFlow app --
# The deployment is Argo CD's, but Argo CD ignores its replica count
# (runbooks/dr-design.md §8), so the runbook scales it with kubectl and neither
# self-heal nor a later sync undoes it.

# dr::app::_ns STACK : prints STACK's app namespace (output gitops.appNamespace).
dr::app::_ns() { dr::outputs::get "$1" gitops.appNamespace; }
# dr::app::_deploy STACK : prints "deployment/<gitops.deployment>".
dr::app::_deploy() { printf 'deployment/%s\n' "$(dr::outputs::get "$1" gitops.deployment)"; }

# dr::app::field STACK KUBECONFIG JSONPATH : prints the deployment's field.
dr::app::field() {
  dr::exec::query kubectl --kubeconfig "$2" "${DR_KUBECTL_TIMEOUT[@]}" -n "$(dr::app::_ns "$1")" \
    get "$(dr::app::_deploy "$1")" -o "jsonpath=$3"
}

# dr::app::scale STACK KUBECONFIG REPLICAS : kubectl scale.
dr::app::scale() {
  dr::exec::run kubectl --kubeconfig "$2" "${DR_KUBECTL_TIMEOUT[@]}" -n "$(dr::app::_ns "$1")" \
    scale "$(dr::app::_deploy "$1")" "--replicas=$3" >&2
}

# dr::app::rollout STACK KUBECONFIG : wait for the deployment's rollout.
dr::app::rollout() {
  dr::exec::query kubectl --kubeconfig "$2" -n "$(dr::app::_ns "$1")" \
    rollout status "$(dr::app::_deploy "$1")" "--timeout=${DR_ROLLOUT_TIMEOUT}s" >&2
}

# dr::app::pause STACK KUBECONFIG : record the replica count in the
# annotation taskflow.dr/replicas-before-pause (it survives an interrupted
# run), scale to 0. Prints "<recorded count>"; an earlier pause's record is
# kept.
dr::app::pause() {
  local stack=$1 kc=$2 cur ann
  cur=$(dr::app::field "$stack" "$kc" '{.spec.replicas}')
  ann=$(dr::app::field "$stack" "$kc" "{.metadata.annotations.taskflow\\.dr/replicas-before-pause}")
  if [[ -z $ann ]]; then
    dr::exec::run kubectl --kubeconfig "$kc" "${DR_KUBECTL_TIMEOUT[@]}" -n "$(dr::app::_ns "$stack")" \
      annotate "$(dr::app::_deploy "$stack")" "$DR_PAUSE_ANNOTATION=${cur:-<current>}" --overwrite >&2
    ann=$cur
  fi
  if dr::dry || [[ $cur != 0 ]]; then dr::app::scale "$stack" "$kc" 0; fi
  printf '%s\n' "${ann:-?}"
}

# dr::app::wait_no_pods STACK KUBECONFIG : poll until the deployment reports
# no replicas (its pods terminated: no more writes from this region).
dr::app::wait_no_pods() {
  local stack=$1 kc=$2 n deadline
  deadline=$(dr::time::deadline "$DR_PAUSE_TIMEOUT")
  while :; do
    n=$(dr::app::field "$stack" "$kc" '{.status.replicas}')
    dr::dry && return 0
    [[ -z $n || $n == 0 ]] && return 0
    dr::time::before "$deadline" || dr::fail "stack $stack: TaskFlow still has $n pods ${DR_PAUSE_TIMEOUT}s after scaling to 0"
    dr::log::info "stack $stack: TaskFlow has $n pods left"
    dr::time::pause
  done
}

# dr::app::resume STACK KUBECONFIG [REPLICAS] : scale back to REPLICAS (by
# default the count recorded by dr::app::pause), wait for the rollout, drop
# the annotation. Prints the count, or nothing when the app was not paused.
dr::app::resume() {
  local stack=$1 kc=$2 want=${3:-} ann
  ann=$(dr::app::field "$stack" "$kc" "{.metadata.annotations.taskflow\\.dr/replicas-before-pause}")
  if ! dr::dry && [[ -z $ann ]]; then return 0; fi
  want=${want:-${ann:-<recorded>}}
  dr::app::scale "$stack" "$kc" "$want"
  dr::app::rollout "$stack" "$kc"
  dr::exec::run kubectl --kubeconfig "$kc" "${DR_KUBECTL_TIMEOUT[@]}" -n "$(dr::app::_ns "$stack")" \
    annotate "$(dr::app::_deploy "$stack")" "$DR_PAUSE_ANNOTATION-" >&2
  printf '%s\n' "$want"
}

# ---------------------------------------------------------------- DR agent --
# Each region's DR agent measures replication with a heartbeat (issue 11).
# The runbook reaches it through the API server's service proxy (output
# drAgent.statusPath): no database port, no port-forward.

# dr::agent::status STACK KUBECONFIG : prints one line "<role> <newestSeq>
# <delaySeconds> <lastError>" (tab-separated; null delay as "null").
dr::agent::status() {
  local json
  json=$(dr::exec::query kubectl --kubeconfig "$2" "${DR_KUBECTL_TIMEOUT[@]}" get --raw "$(dr::outputs::get "$1" drAgent.statusPath)")
  dr::dry && { printf 'unknown\t0\tnull\t\n'; return 0; }
  jq -r '[(.role // "unknown"), (.newestSeq // 0 | tostring), (.delaySeconds | if . == null then "null" else tostring end), (.lastError // "")] | @tsv' <<<"$json" \
    || dr::fail "the DR agent of stack $1 answered no JSON: $json"
}
