package gameday

import (
	"fmt"
	"sort"
	"time"
)

// Drill is what was observed during a drill. The Recorded flags
// distinguish "journal not supplied" from "journal supplied but empty",
// which lead to different explanations.
type Drill struct {
	Timeline           Timeline
	Heartbeats         []HeartbeatRecord
	HeartbeatsRecorded bool
	Probes             []ProbeRecord
	ProbesRecorded     bool
	Regions            Regions
	// Agents, when set, is the DR agents' heartbeat evidence, used instead
	// of a heartbeat journal for the RPO and the moment writes resumed.
	Agents *AgentEvidence
}

// ComputeRTO derives the drill's key moments and the RTO. Every moment that
// cannot be established is reported as unobserved with a reason; RTO is
// only measured when outage start and recovery are both known.
func ComputeRTO(in Drill, objective time.Duration) RTOResult {
	probes := sortedProbes(in.Probes)
	ws := DetectWriterSwitch(in.Heartbeats)
	res := RTOResult{Verdict: VerdictFail}

	res.OutageStart = outageStart(in.Timeline, probes, in.Heartbeats, ws)
	res.DNSSwitch = firstProbe(probes, res.OutageStart, "probe answered by the standby region",
		func(p ProbeRecord) bool { return p.Region == in.Regions.Standby })
	res.StandbyHealthy = firstProbe(probes, res.OutageStart, "healthy probe answered by the standby region",
		func(p ProbeRecord) bool { return p.OK && p.Region == in.Regions.Standby })
	res.WritesResumed = writesResumed(ws)
	if in.Agents != nil {
		res.WritesResumed = agentWritesResumed(in.Agents)
	}
	res.PromotionDone = promotionDone(in.Timeline, res.WritesResumed)

	switch {
	case !res.OutageStart.Known:
		res.Verdict = VerdictNotMeasured
		res.Reason = "no outage observed: no `declared` event, no failed probe and no failed write"
		return res
	case !in.ProbesRecorded:
		res.Reason = "no probe journal, so the moment users were served again is unknown"
	case !in.HeartbeatsRecorded && in.Agents == nil:
		res.Reason = "no heartbeat journal, so the moment writes resumed is unknown"
	case !res.StandbyHealthy.Known:
		res.Reason = "the standby region never answered a healthy probe: the application did not recover"
	case !res.WritesResumed.Known:
		res.Reason = "writes never resumed on a new writer"
	}
	if res.Reason != "" {
		res.Recovery = unobserved(res.Reason)
		return res
	}
	if res.WritesResumed.At.Before(res.OutageStart.At) {
		// Probes are only searched after the outage start, but writes are
		// not: a failover before the outage means the timeline is wrong.
		res.Reason = fmt.Sprintf("writes resumed on the new writer (%s) before the outage start (%s): check the timeline clock",
			formatClock(res.WritesResumed.At), formatClock(res.OutageStart.At))
		res.Recovery = unobserved(res.Reason)
		return res
	}
	res.Recovery = res.StandbyHealthy
	if res.WritesResumed.At.After(res.StandbyHealthy.At) {
		res.Recovery = res.WritesResumed
	}
	res.Measured = true
	res.RTO = res.Recovery.At.Sub(res.OutageStart.At)
	if res.RTO <= objective {
		res.Verdict = VerdictPass
	}
	return res
}

// outageStart prefers the declared event: that is when the on-call engineer
// started the clock. Without it, the first failure the tool itself saw.
func outageStart(tl Timeline, probes []ProbeRecord, heartbeats []HeartbeatRecord, ws WriterSwitch) Moment {
	if ev, ok := tl.First(EventDeclared); ok {
		return observed(ev.At, fmt.Sprintf("timeline event `declared` (line %d)", ev.Line))
	}
	for _, p := range probes {
		if !p.OK {
			return observed(p.At, "first failed probe (no `declared` event in the timeline)")
		}
	}
	if hb, ok := firstFailedWrite(heartbeats, ws.OldWriter); ok {
		return observed(hb.SentAt, "first failed write on "+ws.OldWriter+" (no `declared` event, no failed probe)")
	}
	return unobserved("no outage observed")
}

func firstFailedWrite(heartbeats []HeartbeatRecord, endpoint string) (HeartbeatRecord, bool) {
	var first HeartbeatRecord
	found := false
	for _, hb := range heartbeats {
		if !hb.OK && hb.Endpoint == endpoint && (!found || hb.SentAt.Before(first.SentAt)) {
			first, found = hb, true
		}
	}
	return first, found
}

// firstProbe finds the first probe at or after the outage start (any time if
// the start is unknown) matching want; what names such a probe.
func firstProbe(probes []ProbeRecord, after Moment, what string, want func(ProbeRecord) bool) Moment {
	for _, p := range probes {
		if after.Known && p.At.Before(after.At) {
			continue
		}
		if want(p) {
			return observed(p.At, "first "+what)
		}
	}
	return unobserved("not observed: no " + what)
}

func writesResumed(ws WriterSwitch) Moment {
	if !ws.Switched {
		return unobserved("not observed: no write was acknowledged by an endpoint other than " + orUnknown(ws.OldWriter))
	}
	return observed(ws.FirstNewAck.AckedAt, fmt.Sprintf("first write acknowledged by %s (seq %d)", ws.NewWriter, ws.FirstNewAck.Seq))
}

func promotionDone(tl Timeline, resumed Moment) Moment {
	if ev, ok := tl.First(EventPromoted); ok {
		return observed(ev.At, fmt.Sprintf("timeline event `promoted` (line %d)", ev.Line))
	}
	if resumed.Known {
		return observed(resumed.At, "no `promoted` event; "+resumed.Source)
	}
	return unobserved("not observed: no `promoted` event and writes never resumed")
}

func sortedProbes(probes []ProbeRecord) []ProbeRecord {
	out := append([]ProbeRecord(nil), probes...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "the old writer (none acknowledged)"
	}
	return s
}

func formatClock(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
