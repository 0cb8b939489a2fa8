package gameday

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Event names written by runbooks/bin/dr that the analysis interprets. Any
// other name is kept and shown in the record but never treated as an error:
// the runbook script evolves independently of this tool.
const (
	EventDeclared        = "declared"
	EventFenced          = "fenced"
	EventPromoted        = "promoted"
	EventWritesVerified  = "writes-verified"
	EventScaled          = "scaled"
	EventReconciled      = "reconciled"
	EventAppVerified     = "app-verified"
	EventFailbackStarted = "failback-started"
	EventSnapshotTaken   = "snapshot-taken"
	EventRebuilt         = "rebuilt"
	EventCaughtUp        = "caught-up"
	EventWritesPaused    = "writes-paused"
	EventSwitchedOver    = "switched-over"
	EventUnfenced        = "unfenced"
	EventStepFailed      = "step-failed"
)

// failoverEvents are the events a complete failover drill is expected to
// log, in runbook order; the record lists the ones that are missing.
var failoverEvents = []string{
	EventDeclared, EventFenced, EventPromoted, EventWritesVerified,
	EventScaled, EventReconciled, EventAppVerified,
}

// Event is one line of the runbook's timeline file.
type Event struct {
	At     time.Time
	Name   string
	Detail string
	Line   int // line number in the file, kept so problems can be reported precisely
}

// Timeline is the parsed timeline file: events sorted by time, plus the
// notes about lines that could not be understood.
type Timeline struct {
	Events []Event
	// Reordered is true when the file was not in chronological order.
	Reordered bool
	// Skipped describes lines that were ignored (bad timestamp, too few fields).
	Skipped []string
}

// timelineTimeLayouts are accepted timestamp formats; the runbook writes the
// first, the others tolerate hand-edited lines.
var timelineTimeLayouts = []string{
	"2006-01-02T15:04:05.000Z07:00",
	time.RFC3339Nano,
	time.RFC3339,
}

// ReadTimelineFile parses the timeline file at path.
func ReadTimelineFile(path string) (Timeline, error) {
	f, err := os.Open(path)
	if err != nil {
		return Timeline{}, fmt.Errorf("open timeline: %w", err)
	}
	defer f.Close()
	tl, err := ParseTimeline(f)
	if err != nil {
		return Timeline{}, fmt.Errorf("read timeline %s: %w", path, err)
	}
	return tl, nil
}

// ParseTimeline reads tab-separated "<timestamp>\t<event>\t<detail>" lines.
// Comments (#) and blank lines are ignored; malformed lines are reported in
// Skipped rather than failing, because a half-written timeline from a drill
// that went wrong is exactly the one we most need to read.
func ParseTimeline(r io.Reader) (Timeline, error) {
	var tl Timeline
	sc := bufio.NewScanner(r)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) < 2 || strings.TrimSpace(fields[1]) == "" {
			tl.Skipped = append(tl.Skipped, fmt.Sprintf("line %d: expected <timestamp>TAB<event>[TAB<detail>]", lineNo))
			continue
		}
		at, err := parseTimelineTime(strings.TrimSpace(fields[0]))
		if err != nil {
			tl.Skipped = append(tl.Skipped, fmt.Sprintf("line %d: %v", lineNo, err))
			continue
		}
		ev := Event{At: at, Name: strings.TrimSpace(fields[1]), Line: lineNo}
		if len(fields) == 3 {
			ev.Detail = strings.TrimSpace(fields[2])
		}
		tl.Events = append(tl.Events, ev)
	}
	if err := sc.Err(); err != nil {
		return Timeline{}, fmt.Errorf("scan timeline: %w", err)
	}
	tl.Reordered = !sort.SliceIsSorted(tl.Events, func(i, j int) bool { return tl.Events[i].At.Before(tl.Events[j].At) })
	sort.SliceStable(tl.Events, func(i, j int) bool { return tl.Events[i].At.Before(tl.Events[j].At) })
	return tl, nil
}

func parseTimelineTime(s string) (time.Time, error) {
	for _, layout := range timelineTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not UTC ISO-8601 (e.g. 2026-11-25T21:04:05.123Z)", s)
}

// First returns the earliest event with the given name.
func (tl Timeline) First(name string) (Event, bool) {
	for _, ev := range tl.Events {
		if ev.Name == name {
			return ev, true
		}
	}
	return Event{}, false
}

// MissingFailoverEvents lists the standard failover events absent from the
// timeline, in runbook order.
func (tl Timeline) MissingFailoverEvents() []string {
	var missing []string
	for _, name := range failoverEvents {
		if _, ok := tl.First(name); !ok {
			missing = append(missing, name)
		}
	}
	return missing
}
