package gameday

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// knownEvents are the event names the runbook writes (runbooks/bin/lib;
// TestKnownEventsAreTheRunbooks reads them from there); others are shown as
// unknown so a typo in the script is noticed, but never rejected. Only the
// Event* constants are interpreted; the rest are named here so that a
// complete drill's record carries no false warning.
var knownEvents = []string{
	EventDeclared, EventFenced, EventPromoted, EventWritesVerified, EventScaled,
	EventReconciled, EventAppVerified, EventFailbackStarted, EventSnapshotTaken,
	EventRebuilt, EventCaughtUp, EventWritesPaused, EventSwitchedOver,
	EventUnfenced, EventStepFailed,
	// The parallel failover's starts, and the other commands' steps.
	"fence-started", "promote-started", "scale-started",
	"snapshot-started", "protection-dropped", "primary-reconcile-started", "primary-reconciled",
	"switchover-started", "rpo-zero-proven", "standby-snapshot-started", "standby-snapshot-taken",
	"standby-rebuilt", "standby-resumed", "unfence-started", "resumed", "writes-resumed",
}

// maxListedSeqs keeps the record readable when many writes were lost.
const maxListedSeqs = 20

// observe collects the facts a reviewer should know that are not captured
// by the RTO/RPO numbers themselves.
func observe(in Drill, rto RTOResult, rpo RPOResult) []string {
	var obs []string
	add := func(format string, args ...any) { obs = append(obs, fmt.Sprintf(format, args...)) }

	tl := in.Timeline
	if tl.Reordered {
		add("The timeline file was not in chronological order; events were sorted by timestamp.")
	}
	for _, s := range tl.Skipped {
		add("Timeline line ignored: %s.", s)
	}
	if missing := tl.MissingFailoverEvents(); len(missing) > 0 {
		add("Timeline events missing: %s.", backtickJoin(missing))
	}
	var unknown []string
	for _, ev := range tl.Events {
		if !slices.Contains(knownEvents, ev.Name) && !slices.Contains(unknown, ev.Name) {
			unknown = append(unknown, ev.Name)
		}
		if ev.Name == EventStepFailed {
			add("A runbook step failed at %s: %s.", formatClock(ev.At), orDash(ev.Detail))
		}
	}
	if len(unknown) > 0 {
		add("Unrecognised timeline events (kept in the table): %s.", backtickJoin(unknown))
	}

	obs = append(obs, probeObservations(in, rto)...)
	obs = append(obs, heartbeatObservations(in, rto)...)
	if a := in.Agents; a != nil && a.Acked.After != nil {
		add("SPLIT BRAIN: %s's agent acknowledged heartbeat seq %d at %s, after %s.", a.OldWriter, a.Acked.After.Seq,
			formatClock(a.Acked.After.At), cutoffName(a.Acked))
	}
	if a := in.Agents; a != nil && a.Acked.Found && a.Acked.Period > time.Second {
		add("The acknowledged heartbeat was read at %s granularity (CloudWatch keeps 1-second points for 3 hours): run the report sooner after the drill for 1-second evidence.", a.Acked.Period)
	}
	if rpo.Measured && len(rpo.Lost) > 0 && rpo.Evidence == EvidenceJournal {
		add("%d acknowledged write(s) are missing from the promoted database: seq %s.", len(rpo.Lost), seqList(rpo.Lost))
	}
	return obs
}

func probeObservations(in Drill, rto RTOResult) []string {
	var obs []string
	probes := sortedProbes(in.Probes)
	failed := 0
	for _, p := range probes {
		if !p.OK {
			failed++
		}
	}
	if len(probes) > 0 {
		obs = append(obs, fmt.Sprintf("%d of %d probes failed.", failed, len(probes)))
	}
	if ev, ok := in.Timeline.First(EventDeclared); ok {
		for _, p := range probes {
			if !p.OK && p.At.Before(ev.At) {
				obs = append(obs, fmt.Sprintf("Probes were already failing %s before the outage was declared; detection time is not included in the RTO.",
					ev.At.Sub(p.At).Round(100*time.Millisecond)))
				break
			}
		}
	}
	if rto.DNSSwitch.Known {
		flaps := 0
		for _, p := range probes {
			if p.At.After(rto.DNSSwitch.At) && p.Region == in.Regions.Primary {
				flaps++
			}
		}
		if flaps > 0 {
			obs = append(obs, fmt.Sprintf("%d probe(s) were still answered by the primary region after the DNS switch (resolver caching or a primary that was not fenced).", flaps))
		}
	}
	return obs
}

func heartbeatObservations(in Drill, rto RTOResult) []string {
	var obs []string
	ws := DetectWriterSwitch(in.Heartbeats)
	failed := 0
	for _, hb := range in.Heartbeats {
		if !hb.OK {
			failed++
		}
	}
	if len(in.Heartbeats) > 0 {
		obs = append(obs, fmt.Sprintf("%d of %d heartbeat attempts failed.", failed, len(in.Heartbeats)))
	}
	if !ws.Switched {
		return obs
	}
	// An old writer acknowledging writes after the new one took over is
	// split brain: two databases diverging.
	for _, hb := range ackedOn(in.Heartbeats, ws.OldWriter) {
		if hb.AckedAt.After(ws.FirstNewAck.AckedAt) {
			obs = append(obs, fmt.Sprintf("SPLIT BRAIN: %s acknowledged seq %d at %s, after %s had taken over writes.",
				ws.OldWriter, hb.Seq, formatClock(hb.AckedAt), ws.NewWriter))
			break
		}
	}
	if ev, ok := in.Timeline.First(EventPromoted); ok {
		obs = append(obs, fmt.Sprintf("First write on %s came %s after the `promoted` event.",
			ws.NewWriter, ws.FirstNewAck.AckedAt.Sub(ev.At).Round(time.Millisecond)))
	}
	return obs
}

func seqList(seqs []int64) string {
	parts := make([]string, 0, min(len(seqs), maxListedSeqs))
	for _, s := range seqs[:min(len(seqs), maxListedSeqs)] {
		parts = append(parts, fmt.Sprint(s))
	}
	if len(seqs) > maxListedSeqs {
		parts = append(parts, fmt.Sprintf("… (%d more)", len(seqs)-maxListedSeqs))
	}
	return strings.Join(parts, ", ")
}

func backtickJoin(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	return strings.Join(quoted, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
