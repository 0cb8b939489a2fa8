# shellcheck shell=bash
# The timeline: one line per event, "<UTC ISO-8601 ms>\t<event>\t<detail>",
# appended by every process of a run (parallel jobs too: each line is one
# short write to a file opened for appending). It is the incident's record,
# the game-day tool's input, and the memory a resumed run reads back (the
# snapshot a failback already started, whether a failover is in progress).

# dr::timeline::now : prints the current UTC time with milliseconds.
dr::timeline::now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# dr::timeline::write EVENT DETAIL : append one line (tabs and newlines in
# DETAIL flattened so that one event is always one line).
dr::timeline::write() {
  local event=$1 detail=${2:-}
  detail=${detail//[$'\t\n\r']/ }
  printf '%s\t%s\t%s\n' "$(dr::timeline::now)" "$event" "$detail" >>"$DR_TIMELINE"
}

# dr::timeline::event EVENT DETAIL : record EVENT and show it. Dry run:
# printed, not written.
dr::timeline::event() {
  if dr::dry; then
    dr::plan "DRY-RUN timeline (not written): $1	${2:-}"
    return 0
  fi
  dr::timeline::write "$1" "${2:-}"
  dr::log::info "[$1] ${2:-}"
}

# dr::timeline::last_of EVENT... : prints the name of the latest of the
# given events in the timeline, or nothing.
dr::timeline::last_of() {
  [[ -f $DR_TIMELINE ]] || return 0
  awk -F '\t' -v names=" $* " 'index(names, " " $2 " ") { last = $2 } END { if (last != "") print last }' "$DR_TIMELINE"
}

# dr::timeline::snapshot_started EVENT DB : prints the snapshot identifier
# that the latest EVENT since the latest "declared" recorded for database DB
# (detail "snapshot <id> of <db> (<region>)"), or nothing. A re-run reuses
# it instead of taking a second snapshot.
dr::timeline::snapshot_started() {
  [[ -f $DR_TIMELINE ]] || return 0
  awk -F '\t' -v ev="$1" -v db="$2" '
    $2 == "declared" { snap = "" }
    $2 == ev { n = split($3, w, " "); if (n >= 4 && w[1] == "snapshot" && w[3] == "of" && w[4] == db) snap = w[2] }
    END { if (snap != "") print snap }' "$DR_TIMELINE"
}
