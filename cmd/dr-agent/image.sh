#!/usr/bin/env bash
# Builds the DR agent's container image from this repository without a
# Docker engine: a static linux/amd64 binary, appended as one layer onto a
# base pinned by digest, with go-containerregistry's crane (v0.22.1, from
# the Go module proxy). The image is assembled in crane's in-memory
# registry on loopback, then pushed to the region's ECR repository
# (taskflow-dr-agent) or written as a tarball.
#
# Usage:
#   cmd/dr-agent/image.sh --push REGION [--tag TAG]       # ECR in REGION
#   cmd/dr-agent/image.sh --tar OUT.tar [--base scratch]  # no push
#
# --base distroless (default) is gcr.io/distroless/static-debian12:nonroot
# pinned by digest (CA bundle, /etc/passwd with nonroot 65532, tzdata); it is
# fetched from the network. --base scratch needs no network: an empty base
# plus this host's CA bundle and a passwd entry for nonroot (65532), so CI
# can build the tarball offline. TAG defaults to the commit (git describe).
set -euo pipefail

readonly DR_CRANE_MODULE="github.com/google/go-containerregistry/cmd/crane@v0.22.1"
# The multi-arch index of gcr.io/distroless/static-debian12:nonroot, as
# pinned in several public repositories at the time of writing (no registry
# is reachable from where this was written to re-check it): confirm with
# `crane digest gcr.io/distroless/static-debian12:nonroot` before the first
# push, and bump it in a reviewed commit.
readonly DR_DISTROLESS="gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639"
readonly DR_REPOSITORY="taskflow-dr-agent"
readonly DR_NONROOT="65532"
readonly DR_PORT="8080"

# dr::image::usage prints the usage to stderr and exits 2.
dr::image::usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

# dr::image::cmd_dir prints the cmd/ module's directory.
dr::image::cmd_dir() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd
}

# dr::image::crane WORK: installs crane into WORK/bin once; prints its path.
dr::image::crane() {
  local work="$1"
  if [[ ! -x "${work}/bin/crane" ]]; then
    GOBIN="${work}/bin" GOFLAGS=-mod=mod go install "${DR_CRANE_MODULE}" >&2
  fi
  echo "${work}/bin/crane"
}

# dr::image::binary WORK: builds the static agent into WORK/rootfs/dr-agent.
dr::image::binary() {
  local work="$1"
  mkdir -p "${work}/rootfs"
  (cd "$(dr::image::cmd_dir)" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
    go build -trimpath -ldflags='-s -w -buildid=' -o "${work}/rootfs/dr-agent" ./dr-agent)
}

# dr::image::scratch_files WORK: what distroless would have provided: the CA
# bundle (TLS to AWS APIs) and a passwd/group entry for nonroot.
dr::image::scratch_files() {
  local work="$1" bundle=/etc/ssl/certs/ca-certificates.crt
  if [[ ! -s "${bundle}" ]]; then
    echo "image.sh: ${bundle} missing (Debian: apt-get install ca-certificates)" >&2
    return 1
  fi
  mkdir -p "${work}/rootfs/etc/ssl/certs"
  cp "${bundle}" "${work}/rootfs/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/home/nonroot:/sbin/nologin\n' \
    "${DR_NONROOT}" "${DR_NONROOT}" >"${work}/rootfs/etc/passwd"
  printf 'root:x:0:\nnonroot:x:%s:\n' "${DR_NONROOT}" >"${work}/rootfs/etc/group"
}

# dr::image::layer WORK: tars WORK/rootfs reproducibly into WORK/layer.tar.
dr::image::layer() {
  local work="$1"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -cf "${work}/layer.tar" -C "${work}/rootfs" .
}

# dr::image::free_port prints a loopback TCP port nobody listens on.
dr::image::free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "${port}"
      return 0
    fi
  done
  echo "image.sh: no free loopback port" >&2
  return 1
}

# dr::image::registry CRANE WORK: starts crane's in-memory registry on
# loopback; prints its host:port. Its pid is in WORK/registry.pid.
dr::image::registry() {
  local crane="$1" work="$2" port
  port="$(dr::image::free_port)"
  "${crane}" registry serve --address "127.0.0.1:${port}" >"${work}/registry.log" 2>&1 &
  echo $! >"${work}/registry.pid"
  for _ in $(seq 100); do
    if "${crane}" catalog --insecure "127.0.0.1:${port}" >/dev/null 2>&1; then
      echo "127.0.0.1:${port}"
      return 0
    fi
    sleep 0.1
  done
  echo "image.sh: crane registry did not start: $(cat "${work}/registry.log")" >&2
  return 1
}

# dr::image::assemble CRANE WORK BASE LOCALREF: appends the layer onto BASE
# ("scratch" for none) and sets the entrypoint, user and port, at LOCALREF.
dr::image::assemble() {
  local crane="$1" work="$2" base="$3" ref="$4"
  local -a from=()
  if [[ "${base}" != "scratch" ]]; then
    from=(--base "${base}")
  fi
  "${crane}" append --insecure --platform linux/amd64 "${from[@]}" \
    -f "${work}/layer.tar" -t "${ref}:assembling" >/dev/null
  "${crane}" mutate --insecure "${ref}:assembling" --set-platform linux/amd64 \
    --entrypoint /dr-agent --user "${DR_NONROOT}:${DR_NONROOT}" \
    --exposed-ports "${DR_PORT}/tcp" \
    --label org.opencontainers.image.source=taskflow-dr/cmd/dr-agent \
    -t "${ref}:built" >/dev/null
}

# dr::image::ecr_login CRANE REGION: logs crane in to the account's ECR in
# REGION; prints the registry host.
dr::image::ecr_login() {
  local crane="$1" region="$2" account host
  account="$(/usr/bin/aws sts get-caller-identity --region "${region}" --query Account --output text)"
  host="${account}.dkr.ecr.${region}.amazonaws.com"
  /usr/bin/aws ecr get-login-password --region "${region}" |
    "${crane}" auth login "${host}" --username AWS --password-stdin >/dev/null
  echo "${host}"
}

# dr::image::tag prints the default tag: the commit, marked when dirty.
dr::image::tag() {
  git -C "$(dr::image::cmd_dir)" describe --always --dirty --abbrev=12
}

dr::image::main() {
  local push="" tar="" tag="" base="distroless"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --push) push="${2:?--push needs a region}"; shift 2 ;;
      --tar) tar="${2:?--tar needs a file}"; shift 2 ;;
      --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
      --base) base="${2:?--base needs distroless or scratch}"; shift 2 ;;
      -h | --help) dr::image::usage ;;
      *) echo "image.sh: unknown argument $1" >&2; dr::image::usage ;;
    esac
  done
  if [[ -z "${push}" && -z "${tar}" ]] || [[ -n "${push}" && -n "${tar}" ]]; then
    echo "image.sh: give exactly one of --push REGION and --tar OUT.tar" >&2
    dr::image::usage
  fi
  case "${base}" in
    distroless) base="${DR_DISTROLESS}" ;;
    scratch) ;;
    *) echo "image.sh: --base is distroless or scratch" >&2; exit 2 ;;
  esac
  [[ -n "${tag}" ]] || tag="$(dr::image::tag)"
  [[ -z "${tar}" || "${tar}" == /* ]] || tar="${PWD}/${tar}"

  local work crane registry
  work="$(mktemp -d "${TMPDIR:-/tmp}/dr-agent-image.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: work is local
  trap "dr::image::cleanup '${work}'" EXIT
  crane="$(dr::image::crane "${work}")"
  dr::image::binary "${work}"
  if [[ "${base}" == "scratch" ]]; then
    dr::image::scratch_files "${work}"
  fi
  dr::image::layer "${work}"
  registry="$(dr::image::registry "${crane}" "${work}")"
  dr::image::assemble "${crane}" "${work}" "${base}" "${registry}/dr-agent"

  if [[ -n "${tar}" ]]; then
    "${crane}" pull --insecure "${registry}/dr-agent:built" "${tar}"
    echo "image.sh: wrote ${tar} (dr-agent:${tag}, base ${base})" >&2
    return 0
  fi
  local host
  host="$(dr::image::ecr_login "${crane}" "${push}")"
  "${crane}" copy --insecure "${registry}/dr-agent:built" "${host}/${DR_REPOSITORY}:${tag}" >&2
  echo "${host}/${DR_REPOSITORY}:${tag}@$("${crane}" digest "${host}/${DR_REPOSITORY}:${tag}")"
}

# dr::image::cleanup WORK stops the registry and removes WORK.
dr::image::cleanup() {
  local work="$1"
  if [[ -f "${work}/registry.pid" ]]; then
    kill "$(cat "${work}/registry.pid")" 2>/dev/null || true
    wait "$(cat "${work}/registry.pid")" 2>/dev/null || true
  fi
  rm -rf "${work}"
}

dr::image::main "$@"
