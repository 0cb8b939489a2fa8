package gameday

import (
	"fmt"
	"time"
)

// Phase is a term of the recovery as the RTO budget names it
// (runbooks/dr-design.md §3).
type Phase string

const (
	PhaseDetection   Phase = "detection"
	PhaseDNS         Phase = "DNS TTL"
	PhaseDeclaration Phase = "declaration"
	PhasePromotion   Phase = "promotion"
	PhaseAppRecovery Phase = "app recovery"
	PhaseScaleUp     Phase = "scale-up"
	PhaseMultiAZ     Phase = "Multi-AZ conversion"
	// PhaseDetectionDNS is measured when Route 53's flip was not observed:
	// probes only see the two together, as the first standby answer.
	PhaseDetectionDNS Phase = "detection + DNS TTL"
)

// phaseOrder is the order of the chart's phase rows, top to bottom.
var phaseOrder = []Phase{
	PhaseDetection, PhaseDetectionDNS, PhaseDNS, PhaseDeclaration, PhasePromotion,
	PhaseAppRecovery, PhaseScaleUp, PhaseMultiAZ,
}

// Timeline events that start a step the runbook runs in parallel with
// others (issue 14). Without one, a step is taken to have started when
// the runbook's previous event was written, which is exact for a
// sequential runbook.
var stepStartEvents = map[Phase][]string{
	PhasePromotion: {"promotion-started", "promote-started"},
	PhaseScaleUp:   {"scale-up-started", "scale-started"},
	PhaseMultiAZ:   {"multi-az-started"},
}

// EventMultiAZConverted ends the Multi-AZ conversion, when it is on the path.
const EventMultiAZConverted = "multi-az-converted"

// Band is one phase between two instants, measured or predicted.
type Band struct {
	Phase      Phase
	Start, End time.Time
	Source     string // how the band was determined
}

// Milestone is a moment of the recovery that the budget predicts and the
// drill measures.
type Milestone struct {
	Name      string
	Measured  Moment
	Predicted Moment
}

// Milestone names.
const (
	MilestoneWritesAccepted = "writes accepted"
	MilestoneFullCapacity   = "full capacity"
)

// ChartInput is everything the chart draws; NewChartInput builds it from
// a drill's evidence, its results and an optional budget.
type ChartInput struct {
	Title   string
	Summary string // one line under the title (objectives and verdicts)
	// Cut is T+0: the fault. Source says where it comes from; when it is
	// not Known the axis counts from the first observation instead.
	Cut        Moment
	Events     []Event // the runbook's timeline
	Measured   []Band
	Predicted  []Band
	Milestones []Milestone
	Probes     []ProbeRecord
	Heartbeats []HeartbeatRecord
	Lost       []int64 // acknowledged heartbeats missing from the promoted database
	Regions    Regions
	Writers    WriterSwitch
}

// ChartOptions are what the journals cannot know.
type ChartOptions struct {
	Title string
	// Cut is when the fault was injected; zero: the tools' first sight of
	// it (see observedCut).
	Cut       time.Time
	CutSource string
	// Detected is when DNS stopped serving the primary (Route 53's health
	// check flipped, or the fence); zero when not observed.
	Detected time.Time
	// ClientsMoved, when Known, is when clients whose resolvers honour the
	// TTL first reached the standby; otherwise the first probe the standby
	// answered (the probe resolves through the system's resolver).
	ClientsMoved Moment
	// WritesAccepted, when Known, replaces the game-day tool's recovery
	// moment (e.g. the lab's first app write through the app host).
	WritesAccepted Moment
	// Budget, when set, adds the predicted bands and milestones.
	Budget *Budget
}

// NewChartInput derives the chart's bands and milestones from the drill.
func NewChartInput(d Drill, res Results, opt ChartOptions) ChartInput {
	in := ChartInput{
		Title:      opt.Title,
		Summary:    chartSummary(res),
		Events:     d.Timeline.Events,
		Probes:     sortedProbes(d.Probes),
		Heartbeats: d.Heartbeats,
		Lost:       res.RPO.Lost,
		Regions:    d.Regions,
		Writers:    DetectWriterSwitch(d.Heartbeats),
	}
	if in.Title == "" {
		start, _ := drillSpan(d)
		in.Title = "Regional failover drill, " + dateOf(start)
	}
	in.Cut = observedCut(d, res)
	if !opt.Cut.IsZero() {
		in.Cut = observed(opt.Cut, orDefault(opt.CutSource, "the fault was injected"))
	}
	if !in.Cut.Known {
		return in
	}
	writes := res.RTO.Recovery
	if opt.WritesAccepted.Known {
		writes = opt.WritesAccepted
	}
	moved := standbyAnswered(in.Probes, d.Regions, in.Cut.At)
	if opt.ClientsMoved.Known {
		moved = opt.ClientsMoved
	}
	m := measurer{tl: d.Timeline, cut: in.Cut.At}
	in.Measured = m.bands(opt.Detected, moved, res.RTO.Recovery)
	full := m.fullCapacity(writes, opt.Budget)
	in.Milestones = []Milestone{
		{Name: MilestoneWritesAccepted, Measured: writes},
		{Name: MilestoneFullCapacity, Measured: full},
	}
	if b := opt.Budget; b != nil {
		in.Predicted = b.Bands(in.Cut.At)
		in.Milestones[0].Predicted = observed(in.Cut.At.Add(b.WritesAccepted()), "RTO budget")
		in.Milestones[1].Predicted = observed(in.Cut.At.Add(b.FullCapacity()), "RTO budget")
	}
	return in
}

func chartSummary(res Results) string {
	rto := fmt.Sprintf("RTO %s, not measured", res.RTO.Verdict)
	if res.RTO.Measured {
		rto = fmt.Sprintf("RTO %s %s", formatDuration(res.RTO.RTO), res.RTO.Verdict)
	}
	if res.Objectives.RTO > 0 {
		rto += " (objective " + formatDuration(res.Objectives.RTO) + ", from the declaration)"
	}
	rpo := fmt.Sprintf("RPO %s", res.RPO.Verdict)
	if res.RPO.Measured {
		rpo = fmt.Sprintf("RPO %s %s, %d acknowledged write(s) lost", formatDuration(res.RPO.RPO), res.RPO.Verdict, len(res.RPO.Lost))
	}
	return rto + "  ·  " + rpo
}

// standbyAnswered is the first probe at or after the cut that the standby
// region answered, healthy or not: DNS had moved by then.
func standbyAnswered(sorted []ProbeRecord, regions Regions, cut time.Time) Moment {
	for _, p := range sorted {
		if !p.At.Before(cut) && p.Region != "" && p.Region == regions.Standby {
			return observed(p.At, "first probe answered by the standby region")
		}
	}
	return unobserved("no probe was answered by the standby region")
}

// measurer derives measured bands from the timeline, relative to the cut.
type measurer struct {
	tl  Timeline
	cut time.Time
}

// bands measures each phase the evidence shows. Detection ends when DNS
// stopped serving the primary, when that was observed; the DNS TTL then
// runs until clients reach the standby. The declaration runs from
// detection (or the cut, when someone declared before detection) to
// `declared`; app recovery from `promoted` until the standby serves
// (healthy probe) on the new writer (acknowledged heartbeat): the game-day
// tool's recovery moment, which does not wait for DNS.
func (m measurer) bands(detected time.Time, dnsSwitch, appServes Moment) []Band {
	var bands []Band
	add := func(phase Phase, start, end time.Time, source string) {
		if !start.IsZero() && !end.IsZero() && !end.Before(start) {
			bands = append(bands, Band{Phase: phase, Start: start, End: end, Source: source})
		}
	}
	switch {
	case !detected.IsZero():
		add(PhaseDetection, m.cut, detected, "cut → DNS stopped serving the primary")
		if dnsSwitch.Known {
			add(PhaseDNS, detected, dnsSwitch.At, "DNS stopped serving the primary → "+dnsSwitch.Source)
		}
	case dnsSwitch.Known:
		add(PhaseDetectionDNS, m.cut, dnsSwitch.At, "cut → "+dnsSwitch.Source)
	}
	declared, isDeclared := m.tl.First(EventDeclared)
	if isDeclared {
		start := m.cut
		if !detected.IsZero() && detected.Before(declared.At) {
			start = detected
		}
		add(PhaseDeclaration, start, declared.At, "→ timeline event `declared`")
	}
	promoted, isPromoted := m.step(PhasePromotion, EventPromoted)
	if isPromoted {
		bands = append(bands, promoted)
		switch {
		case !appServes.Known:
		case appServes.At.Before(promoted.End):
			// The runbook logs `promoted` after polling RDS: the app may
			// already serve by then, and nothing was left to wait for.
			add(PhaseAppRecovery, promoted.End, promoted.End, "the standby served before `promoted` was logged: "+appServes.Source)
		default:
			add(PhaseAppRecovery, promoted.End, appServes.At, "`promoted` → "+appServes.Source)
		}
	}
	if scaled, ok := m.step(PhaseScaleUp, EventScaled); ok {
		bands = append(bands, scaled)
	}
	if converted, ok := m.step(PhaseMultiAZ, EventMultiAZConverted); ok {
		bands = append(bands, converted)
	}
	return bands
}

// step measures a runbook step that ends with the event named end: from
// its start event, or else from the runbook's previous event (not before
// `declared`, nor the cut).
func (m measurer) step(phase Phase, end string) (Band, bool) {
	ev, ok := m.tl.First(end)
	if !ok || ev.At.Before(m.cut) {
		return Band{}, false
	}
	for _, name := range stepStartEvents[phase] {
		if start, ok := m.tl.First(name); ok && !start.At.After(ev.At) {
			return Band{Phase: phase, Start: start.At, End: ev.At, Source: fmt.Sprintf("`%s` → `%s`", name, end)}, true
		}
	}
	start, source := m.cut, "the cut"
	if declared, ok := m.tl.First(EventDeclared); ok && declared.At.After(start) && !declared.At.After(ev.At) {
		start, source = declared.At, "`declared`"
	}
	for _, prev := range m.tl.Events {
		if prev.At.After(start) && prev.At.Before(ev.At) && prev.Name != end {
			start, source = prev.At, fmt.Sprintf("`%s` (previous step; no start event)", prev.Name)
		}
	}
	return Band{Phase: phase, Start: start, End: ev.At, Source: source + " → `" + end + "`"}, true
}

// fullCapacity is when writes are accepted and the standby runs at
// failover capacity: after the scale-up and, when it is on the path, the
// Multi-AZ conversion.
func (m measurer) fullCapacity(writes Moment, b *Budget) Moment {
	if !writes.Known {
		return unobserved("writes were not accepted again")
	}
	full := writes
	scaled, ok := m.tl.First(EventScaled)
	if !ok {
		return unobserved("no `scaled` event in the timeline")
	}
	if scaled.At.After(full.At) {
		full = observed(scaled.At, "timeline event `scaled`")
	}
	converted, ok := m.tl.First(EventMultiAZConverted)
	switch {
	case ok && converted.At.After(full.At):
		full = observed(converted.At, "timeline event `"+EventMultiAZConverted+"`")
	case !ok && b != nil && b.MultiAZConversion > 0:
		return unobserved("the budget has a Multi-AZ conversion but the timeline has no `" + EventMultiAZConverted + "` event")
	}
	return full
}

// observedCut is the tools' first sight of the fault when nobody recorded
// the cut: the first failed probe or old-writer write after the primary's
// last success before the failover. Without one, the outage start.
func observedCut(d Drill, res Results) Moment {
	ws := DetectWriterSwitch(d.Heartbeats)
	horizon := time.Time{} // the failover: successes after it are the standby's
	if ws.Switched {
		horizon = ws.FirstNewAck.SentAt
	}
	if sw := standbyAnswered(sortedProbes(d.Probes), d.Regions, time.Time{}); sw.Known && (horizon.IsZero() || sw.At.Before(horizon)) {
		horizon = sw.At
	}
	before := func(t time.Time) bool { return horizon.IsZero() || t.Before(horizon) }
	var lastOK time.Time
	for _, p := range d.Probes {
		if p.OK && p.Region == d.Regions.Primary && before(p.At) && p.At.After(lastOK) {
			lastOK = p.At
		}
	}
	for _, hb := range d.Heartbeats {
		if hb.OK && hb.Endpoint == ws.OldWriter && before(hb.SentAt) && hb.SentAt.After(lastOK) {
			lastOK = hb.SentAt
		}
	}
	var first Moment
	see := func(t time.Time, source string) {
		if t.After(lastOK) && before(t) && (!first.Known || t.Before(first.At)) {
			first = observed(t, source)
		}
	}
	for _, p := range d.Probes {
		if !p.OK {
			see(p.At, "first failed probe after the primary's last success")
		}
	}
	for _, hb := range d.Heartbeats {
		if !hb.OK && hb.Endpoint == ws.OldWriter {
			see(hb.SentAt, "first failed write on "+ws.OldWriter+" after its last acknowledgement")
		}
	}
	if first.Known {
		return first
	}
	return res.RTO.OutageStart
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
