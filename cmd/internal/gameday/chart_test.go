package gameday

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"
)

// parallelScenario is an AWS-like failover run with the waits in
// parallel: the region is cut at 60 s, someone declares at 230 s, the
// scale-up and the promotion start together, the standby answers DNS from
// 155 s (unhealthy until the app recovers) and writes resume at 512 s.
func parallelScenario() scenario {
	return scenario{
		end: 700,
		probe: func(s int) (bool, string) {
			switch {
			case s < 60:
				return true, testRegions.Primary
			case s < 155:
				return false, ""
			case s < 520:
				return false, testRegions.Standby
			default:
				return true, testRegions.Standby
			}
		},
		write: func(s int) []string {
			switch {
			case s < 60:
				return []string{"writer"}
			case s < 512:
				return nil
			default:
				return []string{"replica"}
			}
		},
		timeline: timelineText(
			"230", EventDeclared, "failover declared",
			"231", "promotion-started", "",
			"231", "scale-up-started", "",
			"236", EventFenced, "fence alarm ALARM",
			"481", EventScaled, "nodes Ready",
			"511", EventPromoted, "replica promoted",
			"515", EventWritesVerified, "",
			"600", EventReconciled, "",
			"612", EventAppVerified, "",
		),
	}
}

// shippedBudget is a §5 budget close to the shipped config's.
func shippedBudget() Budget {
	return Budget{
		Detection: 30 * time.Second, DNSTTL: 60 * time.Second, Declaration: 120 * time.Second,
		Promotion: 300 * time.Second, AppRecovery: 30 * time.Second, ScaleUp: 240 * time.Second,
	}
}

func parallelInput(t *testing.T, budget *Budget) ChartInput {
	t.Helper()
	d := parallelScenario().drill(t)
	res := Analyze(d, promotedRows(d, 3), true, Objectives{RTO: 15 * time.Minute, RPO: 10 * time.Second})
	return NewChartInput(d, res, ChartOptions{
		Title: "Regional failover drill, staging", Cut: at(60), CutSource: "the fault was injected",
		Detected: at(92), Budget: budget,
	})
}

// crowdedInput has dozens of events within a second of each other, at
// the start, in the middle and at the very end of the axis.
func crowdedInput(t *testing.T) ChartInput {
	t.Helper()
	in := parallelInput(t, new(shippedBudget()))
	for _, base := range []float64{60, 300, 699.5} {
		for i := range 15 {
			in.Events = append(in.Events, Event{At: at(base + float64(i)*0.05), Name: fmt.Sprintf("event-%02d-with-a-long-name", i)})
		}
	}
	return in
}

// samplePNG renders in and, when GAMEDAY_SAMPLE_DIR is set, keeps the PNG
// for a human to look at: GAMEDAY_SAMPLE_DIR=/tmp go test -run Chart.
func samplePNG(t *testing.T, name string, in ChartInput) image.Image {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteChart(&buf, in))
	if dir := os.Getenv("GAMEDAY_SAMPLE_DIR"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "chart-"+name+".png"), buf.Bytes(), 0o644))
	}
	img, err := png.Decode(&buf)
	require.NoError(t, err, "the chart is a valid PNG")
	return img
}

// distinctColors counts the colours of the image, up to limit.
func distinctColors(img image.Image, limit int) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

func TestChartRendersValidPNGs(t *testing.T) {
	wantWidth := int(chartWidth.Dots(chartDPI) + 0.5)
	partial := parallelScenario()
	partial.end = 200 // the drill stopped before anything recovered
	pd := partial.drill(t)
	partialRes := Analyze(pd, nil, false, Objectives{RTO: 15 * time.Minute, RPO: 10 * time.Second})

	for _, tc := range []struct {
		name      string
		in        ChartInput
		minH      int
		maxH      int
		minColors int
	}{
		{"empty", ChartInput{}, 40, 200, 2},
		{"timeline-only", ChartInput{Events: []Event{{At: at(1), Name: EventDeclared}, {At: at(5), Name: EventPromoted}}}, 150, 500, 3},
		{"partial", NewChartInput(pd, partialRes, ChartOptions{}), 250, 900, 8},
		{"parallel", parallelInput(t, new(shippedBudget())), 400, 1200, 12},
		{"crowded", crowdedInput(t), 400, 2600, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := samplePNG(t, tc.name, tc.in)
			b := img.Bounds()
			assert.Equal(t, wantWidth, b.Dx())
			assert.GreaterOrEqual(t, b.Dy(), tc.minH)
			assert.LessOrEqual(t, b.Dy(), tc.maxH)
			assert.GreaterOrEqual(t, distinctColors(img, tc.minColors), tc.minColors, "something is drawn")
		})
	}
}

// labelBoxes are the labels' rectangles as drawn: their row above the
// plot and their measured width.
func labelBoxes(ch *chart) []vg.Rectangle {
	boxes := make([]vg.Rectangle, len(ch.labels))
	for i, l := range ch.labels {
		s := ch.slots[i]
		y := vg.Length(s.Row) * labelRowH
		h := l.style.Height(l.text)
		boxes[i] = vg.Rectangle{Min: vg.Point{X: s.Left, Y: y}, Max: vg.Point{X: s.Left + l.width, Y: y + h}}
	}
	return boxes
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

func TestChartLabelsNeverOverlap(t *testing.T) {
	for name, in := range map[string]ChartInput{
		"parallel": parallelInput(t, new(shippedBudget())),
		"crowded":  crowdedInput(t),
	} {
		t.Run(name, func(t *testing.T) {
			ch := layoutChart(in)
			boxes := labelBoxes(ch)
			require.Len(t, boxes, len(in.Events)+1+2*len(in.Milestones), "cut, every event and every milestone is labelled")
			for i := range boxes {
				assert.LessOrEqual(t, boxes[i].Max.Y-boxes[i].Min.Y, labelRowH, "a label fits its row")
				assert.GreaterOrEqual(t, boxes[i].Min.X, ch.dataX[0], "%q starts inside the chart", ch.labels[i].text)
				assert.LessOrEqual(t, boxes[i].Max.X, chartWidth, "%q ends inside the image", ch.labels[i].text)
				for j := range i {
					assert.False(t, overlaps(boxes[i], boxes[j]), "%q and %q overlap", ch.labels[i].text, ch.labels[j].text)
				}
			}
		})
	}
}

func TestChartAxisFollowsTheData(t *testing.T) {
	in := parallelInput(t, new(shippedBudget()))
	ch := layoutChart(in)
	assert.Equal(t, time.Second, ch.unit, "a 640 s failover is counted in seconds")
	assert.Equal(t, at(60), ch.origin, "T+0 is the cut")
	assert.Contains(t, ch.p.X.Label.Text, "seconds since the cut (T+0 = 2026-11-25 21:01:00.000 UTC: the fault was injected)")
	// Observations run from 0 to 699 s, the cut is at 60 s.
	pad := (639.0 + 60) * 0.02
	assert.InDelta(t, -60-pad, ch.p.X.Min, 0.01, "from the first observation")
	assert.InDelta(t, 639+pad, ch.p.X.Max, 0.01, "to the last")
	ticks := axisTicks(ch.p.X.Min, ch.p.X.Max)
	assert.Equal(t, "0", ticks[0].Label)
	assert.Equal(t, "+100", ticks[1].Label)

	// A cut at 300 s: of the 300 s of normal operation before it, a
	// sixth of the 399 s after it would be shown, but the `declared`
	// event 70 s before the cut stretches it (events are never cut off).
	d := parallelScenario().drill(t)
	late := layoutChart(NewChartInput(d, Results{}, ChartOptions{Cut: at(300)}))
	assert.InDelta(t, -70-(399+70)*0.02, late.p.X.Min, 0.01)

	var names []string
	for _, r := range ch.rows {
		names = append(names, r.name)
	}
	assert.Equal(t, []string{"detection", "DNS TTL", "declaration", "promotion", "app recovery", "scale-up", "probes", "heartbeats"}, names,
		"rows come from the bands present: no Multi-AZ conversion in this budget")

	withMultiAZ := shippedBudget()
	withMultiAZ.MultiAZConversion = 20 * time.Minute
	long := layoutChart(parallelInput(t, &withMultiAZ))
	assert.Equal(t, time.Minute, long.unit, "a predicted full capacity past 15 min switches the axis to minutes")
	assert.Contains(t, long.p.X.Label.Text, "minutes since the cut")
	assert.Equal(t, "Multi-AZ conversion", long.rows[len(long.rows)-3].name)
}

func TestAxisTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		first  string
		step   float64
	}{
		{-1.2, 10.4, "-1", 1},
		{-0.3, 2.1, "-0.2", 0.2},
		{-100, 640, "-100", 100},
		{0, 37, "0", 5},
	} {
		ticks := axisTicks(tc.lo, tc.hi)
		require.NotEmpty(t, ticks)
		assert.Equal(t, tc.first, ticks[0].Label, "%v..%v", tc.lo, tc.hi)
		assert.InDelta(t, tc.step, ticks[1].Value-ticks[0].Value, 1e-9)
		assert.LessOrEqual(t, len(ticks), 13)
		assert.GreaterOrEqual(t, ticks[len(ticks)-1].Value, tc.hi-tc.step)
		for _, tk := range ticks {
			if tk.Value > 0 {
				assert.True(t, strings.HasPrefix(tk.Label, "+"), tk.Label)
			}
		}
	}
}
