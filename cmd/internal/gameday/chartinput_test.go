package gameday

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bandSeconds maps each band's phase to its [start, end] in seconds from
// the cut.
func bandSeconds(bands []Band, cut time.Time) map[Phase][2]float64 {
	out := map[Phase][2]float64{}
	for _, b := range bands {
		out[b.Phase] = [2]float64{b.Start.Sub(cut).Seconds(), b.End.Sub(cut).Seconds()}
	}
	return out
}

func TestChartInputMeasuresPhasesFromTheEvidence(t *testing.T) {
	in := parallelInput(t, new(shippedBudget()))
	require.True(t, in.Cut.Known)
	assert.Equal(t, at(60), in.Cut.At)
	assert.Equal(t, map[Phase][2]float64{
		PhaseDetection:   {0, 32},    // Route 53 flipped at 92 s
		PhaseDNS:         {32, 95},   // the standby answered a probe at 155 s
		PhaseDeclaration: {32, 170},  // `declared` at 230 s
		PhasePromotion:   {171, 451}, // `promotion-started` → `promoted`
		PhaseAppRecovery: {451, 460}, // → the standby's first healthy probe at 520 s
		PhaseScaleUp:     {171, 421}, // `scale-up-started` → `scaled`
	}, bandSeconds(in.Measured, in.Cut.At))
	assert.Equal(t, bandSeconds(shippedBudget().Bands(at(60)), at(60)), bandSeconds(in.Predicted, in.Cut.At))

	require.Len(t, in.Milestones, 2)
	writes, full := in.Milestones[0], in.Milestones[1]
	assert.Equal(t, MilestoneWritesAccepted, writes.Name)
	assert.Equal(t, at(520), writes.Measured.At, "the later of the healthy standby and the first new write")
	assert.Equal(t, at(60+480), writes.Predicted.At)
	assert.Equal(t, at(520), full.Measured.At, "scaled at 481 s, before writes were accepted")
	assert.Equal(t, at(60+480), full.Predicted.At)
	assert.Equal(t, []int64{157, 158, 159}, in.Lost)
	assert.Equal(t, "writer", in.Writers.OldWriter)
}

func TestChartInputSequentialRunbook(t *testing.T) {
	// No start events: each step starts when the previous event was
	// written, as in today's sequential runbook.
	sc := parallelScenario()
	sc.timeline = timelineText(
		"230", EventDeclared, "",
		"236", EventFenced, "",
		"511", EventPromoted, "",
		"515", EventWritesVerified, "",
		"760", EventScaled, "",
	)
	d := sc.drill(t)
	res := Analyze(d, nil, false, Objectives{RTO: 15 * time.Minute, RPO: 10 * time.Second})
	in := NewChartInput(d, res, ChartOptions{Cut: at(60)})
	got := bandSeconds(in.Measured, at(60))
	assert.Equal(t, [2]float64{176, 451}, got[PhasePromotion], "from `fenced`")
	assert.Equal(t, [2]float64{455, 700}, got[PhaseScaleUp], "from `writes-verified`")
	assert.Equal(t, [2]float64{0, 95}, got[PhaseDetectionDNS], "Route 53's flip not observed: one band to the first standby answer")
	assert.NotContains(t, got, PhaseDetection)
	assert.Equal(t, [2]float64{0, 170}, got[PhaseDeclaration], "from the cut when detection is unknown")
	for _, b := range in.Measured {
		if b.Phase == PhaseScaleUp {
			assert.Contains(t, b.Source, "`writes-verified` (previous step; no start event)")
		}
	}
	assert.Equal(t, at(760), in.Milestones[1].Measured.At, "full capacity waits for the scale-up")
	assert.Empty(t, in.Predicted, "no budget, no prediction")
	assert.False(t, in.Milestones[0].Predicted.Known)
}

func TestChartInputFullCapacityNeedsTheEvidence(t *testing.T) {
	sc := parallelScenario()
	sc.timeline = timelineText("230", EventDeclared, "", "511", EventPromoted, "")
	d := sc.drill(t)
	res := Analyze(d, nil, false, Objectives{RTO: 15 * time.Minute})
	in := NewChartInput(d, res, ChartOptions{Cut: at(60)})
	assert.True(t, in.Milestones[0].Measured.Known)
	assert.False(t, in.Milestones[1].Measured.Known, "no `scaled` event")

	sc.timeline = timelineText("230", EventDeclared, "", "511", EventPromoted, "", "481", EventScaled, "")
	d = sc.drill(t)
	multiAZ := shippedBudget()
	multiAZ.MultiAZConversion = time.Minute
	in = NewChartInput(d, Analyze(d, nil, false, Objectives{}), ChartOptions{Cut: at(60), Budget: &multiAZ})
	assert.False(t, in.Milestones[1].Measured.Known, "the budget has a conversion the timeline does not show")
	assert.Contains(t, in.Milestones[1].Measured.Source, EventMultiAZConverted)
}

func TestChartInputCutFromTheEvidence(t *testing.T) {
	sc := parallelScenario()
	// A blip long before the outage is not the cut.
	probe := sc.probe
	sc.probe = func(s int) (bool, string) {
		if s == 10 {
			return false, ""
		}
		return probe(s)
	}
	d := sc.drill(t)
	res := Analyze(d, nil, false, Objectives{RTO: 15 * time.Minute})
	in := NewChartInput(d, res, ChartOptions{})
	require.True(t, in.Cut.Known)
	assert.Equal(t, at(60), in.Cut.At)
	assert.Contains(t, in.Cut.Source, "first failed")

	given := NewChartInput(d, res, ChartOptions{Cut: at(59.5), CutSource: "--cut"})
	assert.Equal(t, at(59.5), given.Cut.At)
	assert.Equal(t, "--cut", given.Cut.Source)

	healthy := scenario{end: 30, probe: func(int) (bool, string) { return true, testRegions.Primary },
		write: func(int) []string { return []string{"writer"} }}
	hd := healthy.drill(t)
	calm := NewChartInput(hd, Analyze(hd, nil, false, Objectives{}), ChartOptions{})
	assert.False(t, calm.Cut.Known, "no fault, no cut")
	assert.Empty(t, calm.Measured)
	assert.Empty(t, calm.Milestones)
}

func TestChartInputClientsAndWritesFromTheCaller(t *testing.T) {
	// The lab's clients honour the TTL, its probe does not: the caller
	// says when clients moved and when their writes were accepted.
	d := parallelScenario().drill(t)
	res := Analyze(d, nil, false, Objectives{RTO: 15 * time.Minute})
	in := NewChartInput(d, res, ChartOptions{
		Cut: at(60), Detected: at(92),
		ClientsMoved:   Moment{At: at(160), Known: true, Source: "first client request the standby answered"},
		WritesAccepted: Moment{At: at(530), Known: true, Source: "first client write acknowledged"},
	})
	got := bandSeconds(in.Measured, at(60))
	assert.Equal(t, [2]float64{32, 100}, got[PhaseDNS])
	assert.Equal(t, [2]float64{451, 460}, got[PhaseAppRecovery], "app recovery ends when the standby serves, not when clients arrive")
	assert.Equal(t, at(530), in.Milestones[0].Measured.At)
	assert.Equal(t, at(530), in.Milestones[1].Measured.At)
}

func TestChartInputAppServedBeforePromotedWasLogged(t *testing.T) {
	sc := parallelScenario()
	sc.timeline = timelineText("230", EventDeclared, "", "231", "promotion-started", "", "525", EventPromoted, "")
	d := sc.drill(t)
	in := NewChartInput(d, Analyze(d, nil, false, Objectives{}), ChartOptions{Cut: at(60)})
	for _, b := range in.Measured {
		if b.Phase == PhaseAppRecovery {
			assert.Equal(t, at(525), b.Start)
			assert.Equal(t, at(525), b.End, "nothing was left to wait for")
			assert.Contains(t, b.Source, "before `promoted` was logged")
			return
		}
	}
	t.Fatal("no app recovery band")
}
