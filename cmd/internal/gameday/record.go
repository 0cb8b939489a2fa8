package gameday

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// RecordInfo is the context of a drill that the measurements cannot know.
type RecordInfo struct {
	Environment string
	AppURL      string
	Inputs      []string // journal and timeline paths, for traceability
	ChartFile   string   // path of the chart relative to the record; "" for none
	GeneratedAt time.Time
}

// WriteRecord renders the markdown game-day record.
func WriteRecord(w io.Writer, info RecordInfo, d Drill, res Results) error {
	var b strings.Builder
	origin := timeOrigin(d, res)
	writeHeader(&b, info, d, res, origin)
	writeObjectives(&b, res)
	writeMoments(&b, res.RTO, origin)
	writeTimeline(&b, d.Timeline, origin)
	writeDataLoss(&b, res.RPO)
	writeResolution(&b, res.Resolution)
	writeChart(&b, info.ChartFile)
	writeObservations(&b, res.Observations)
	b.WriteString("## Follow-ups\n\n_To be filled in by the drill lead: what to change in the runbook, the infrastructure or the objectives._\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write record: %w", err)
	}
	return nil
}

// timeOrigin is T+0 of the record: the outage start when known, otherwise
// the earliest observation, so offsets are still meaningful.
func timeOrigin(d Drill, res Results) time.Time {
	if res.RTO.OutageStart.Known {
		return res.RTO.OutageStart.At
	}
	start, _ := drillSpan(d)
	return start
}

func writeHeader(b *strings.Builder, info RecordInfo, d Drill, res Results, origin time.Time) {
	start, end := drillSpan(d)
	fmt.Fprintf(b, "# Game-day record: regional failover drill, %s\n\n", dateOf(origin))
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(b, "| Date | %s |\n", dateOf(origin))
	if !start.IsZero() {
		fmt.Fprintf(b, "| Observation window (UTC) | %s – %s |\n", formatClock(start), formatClock(end))
	}
	fmt.Fprintf(b, "| Environment | %s |\n", cell(info.Environment))
	fmt.Fprintf(b, "| Application | %s |\n", cell(info.AppURL))
	fmt.Fprintf(b, "| Primary region | %s |\n", cell(res.Regions.Primary))
	fmt.Fprintf(b, "| Standby region | %s |\n", cell(res.Regions.Standby))
	if len(info.Inputs) > 0 {
		fmt.Fprintf(b, "| Inputs | %s |\n", cell("`"+strings.Join(info.Inputs, "`, `")+"`"))
	}
	if !info.GeneratedAt.IsZero() {
		fmt.Fprintf(b, "| Generated | `gameday report`, %s |\n", formatClock(info.GeneratedAt))
	}
	b.WriteString("\n")
}

func writeObjectives(b *strings.Builder, res Results) {
	overall := "PASS: every objective was measured and met"
	if !res.Passed() {
		overall = "FAIL: at least one objective was missed or could not be measured"
	}
	fmt.Fprintf(b, "## Result: %s\n\n", overall)
	b.WriteString("| Objective | Target | Measured | Result |\n|---|---|---|---|\n")
	fmt.Fprintf(b, "| RTO | %s | %s | **%s** |\n", formatDuration(res.Objectives.RTO), rtoMeasured(res.RTO), res.RTO.Verdict)
	fmt.Fprintf(b, "| RPO | %s | %s | **%s** |\n\n", formatDuration(res.Objectives.RPO), rpoMeasured(res.RPO), res.RPO.Verdict)
}

func rtoMeasured(r RTOResult) string {
	if !r.Measured {
		return "not measured: " + cell(r.Reason)
	}
	return formatDuration(r.RTO)
}

func rpoMeasured(r RPOResult) string {
	if !r.Measured {
		return "not measured: " + cell(r.Reason)
	}
	bound := ""
	if r.LowerBound {
		bound = "≥ "
	}
	if r.Evidence == EvidenceAgents {
		if !r.PresentFound {
			return "not bounded: none of the old writer's heartbeats replicated"
		}
		return fmt.Sprintf("%s (at most %d heartbeat(s) lost)", formatDuration(r.RPO), len(r.Lost))
	}
	return fmt.Sprintf("%s%s (%d acknowledged write(s) lost)", bound, formatDuration(r.RPO), len(r.Lost))
}

func writeMoments(b *strings.Builder, r RTOResult, origin time.Time) {
	b.WriteString("## Key moments\n\n| Moment | Time (UTC) | T+ | Determined from |\n|---|---|---|---|\n")
	for _, m := range []struct {
		name string
		m    Moment
	}{
		{"Outage start", r.OutageStart},
		{"DNS switch", r.DNSSwitch},
		{"Promotion done", r.PromotionDone},
		{"Standby healthy", r.StandbyHealthy},
		{"Writes resumed", r.WritesResumed},
		{"Recovery", r.Recovery},
	} {
		if !m.m.Known {
			fmt.Fprintf(b, "| %s | — | — | %s |\n", m.name, cell(m.m.Source))
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", m.name, formatClock(m.m.At), formatOffset(m.m.At, origin), cell(m.m.Source))
	}
	b.WriteString("\n")
}

func writeTimeline(b *strings.Builder, tl Timeline, origin time.Time) {
	b.WriteString("## Timeline (from the runbook)\n\n")
	if len(tl.Events) == 0 {
		b.WriteString("_The timeline file had no events._\n\n")
		return
	}
	b.WriteString("| Time (UTC) | T+ | Event | Detail |\n|---|---|---|---|\n")
	for _, ev := range tl.Events {
		fmt.Fprintf(b, "| %s | %s | `%s` | %s |\n", formatClock(ev.At), formatOffset(ev.At, origin), cell(ev.Name), cell(orDash(ev.Detail)))
	}
	b.WriteString("\n")
}

func writeDataLoss(b *strings.Builder, r RPOResult) {
	b.WriteString("## Data loss\n\n")
	if r.OldWriter == "" {
		b.WriteString("_No heartbeat was acknowledged; data loss was not measured._\n\n")
		return
	}
	if r.Evidence == EvidenceAgents {
		fmt.Fprintf(b, "- Writer before the failover: `%s`; evidence from the DR agents: its newest acknowledged heartbeat as published to CloudWatch in the standby region, and its heartbeats on the promoted database.\n", r.OldWriter)
	} else {
		fmt.Fprintf(b, "- Writer before the failover: `%s`, %d heartbeat(s) acknowledged.\n", r.OldWriter, r.AckedCount)
	}
	if !r.Measured {
		fmt.Fprintf(b, "- Not measured: %s.\n\n", r.Reason)
		return
	}
	fmt.Fprintf(b, "- Newest acknowledged heartbeat: seq %d, sent %s.\n", r.NewestAcked.Seq, formatClock(r.NewestAcked.SentAt))
	if r.PresentFound {
		fmt.Fprintf(b, "- Newest of them on the promoted database: seq %d, sent %s.\n", r.NewestPresent.Seq, formatClock(r.NewestPresent.SentAt))
	} else {
		b.WriteString("- **None of this run's heartbeats are on the promoted database.**\n")
	}
	if r.Evidence == EvidenceAgents {
		fmt.Fprintf(b, "- Heartbeats lost: **at most %d**", len(r.Lost))
		if len(r.Lost) > 0 {
			fmt.Fprintf(b, " (seq %d–%d)", r.Lost[0], r.Lost[len(r.Lost)-1])
		}
		fmt.Fprintf(b, "; resolution one heartbeat interval (p99 gap %s).\n\n", formatDuration(r.Resolution))
		return
	}
	fmt.Fprintf(b, "- Acknowledged writes lost: **%d**", len(r.Lost))
	if len(r.Lost) > 0 {
		fmt.Fprintf(b, " (seq %s)", seqList(r.Lost))
	}
	b.WriteString(".\n\n")
}

func writeResolution(b *strings.Builder, r Resolution) {
	b.WriteString("## Measurement resolution\n\n")
	b.WriteString("Loss between two heartbeats and recovery between two probes cannot be seen, so each number is only as precise as the gap between samples actually achieved during the drill:\n\n")
	b.WriteString("| Sampler | Samples | Median gap | p99 gap | Max gap |\n|---|---|---|---|---|\n")
	for _, s := range []struct {
		name  string
		stats IntervalStats
	}{{"Heartbeat (RPO)", r.Heartbeat}, {"Probe (RTO)", r.Probe}} {
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s |\n", s.name, s.stats.Samples,
			formatDuration(s.stats.Median), formatDuration(s.stats.P99), formatDuration(s.stats.Max))
	}
	b.WriteString("\n")
}

func writeChart(b *strings.Builder, chartFile string) {
	if chartFile == "" {
		return
	}
	fmt.Fprintf(b, "## Chart\n\n![Drill timeline](%s)\n\n", chartFile)
	b.WriteString(chartLegendMarkdown)
}

func writeObservations(b *strings.Builder, obs []string) {
	b.WriteString("## Observations\n\n")
	if len(obs) == 0 {
		b.WriteString("_Nothing unusual was observed._\n\n")
		return
	}
	for _, o := range obs {
		fmt.Fprintf(b, "- %s\n", o)
	}
	b.WriteString("\n")
}

// cell makes free text safe inside a markdown table cell.
func cell(s string) string {
	if s == "" {
		return "—"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return "date unknown"
	}
	return t.UTC().Format("2006-01-02")
}

// formatDuration rounds for humans: milliseconds below a second, tenths above.
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < time.Second && d > -time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}

// formatOffset renders t relative to origin as +mm:ss.s (or -mm:ss.s).
func formatOffset(t, origin time.Time) string {
	if origin.IsZero() {
		return "—"
	}
	d := t.Sub(origin)
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Round(100 * time.Millisecond)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	s := float64(d%time.Minute) / float64(time.Second)
	if h > 0 {
		return fmt.Sprintf("%s%d:%02d:%04.1f", sign, h, m, s)
	}
	return fmt.Sprintf("%s%02d:%04.1f", sign, m, s)
}

// drillSpan is the earliest and latest timestamp of any observation.
func drillSpan(d Drill) (time.Time, time.Time) {
	var start, end time.Time
	see := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if start.IsZero() || t.Before(start) {
			start = t
		}
		if end.IsZero() || t.After(end) {
			end = t
		}
	}
	for _, ev := range d.Timeline.Events {
		see(ev.At)
	}
	for _, p := range d.Probes {
		see(p.At)
	}
	for _, hb := range d.Heartbeats {
		see(hb.SentAt)
		see(hb.AckedAt)
	}
	return start, end
}
