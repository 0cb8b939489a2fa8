package gameday

import (
	"image/color"
	"sort"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// drawRows is the plot's one plotter: row shading, grid, bands, lanes.
func (ch *chart) drawRows(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, r := range ch.rows {
		if r.phase != "" && i%2 == 0 {
			fillRect(&c, c.Min.X, trY(float64(r.y0)), c.Max.X, trY(float64(r.y1)), colorRowShade)
		}
	}
	grid := draw.LineStyle{Color: colorGrid, Width: 0.6}
	for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		x := trX(tk.Value)
		c.StrokeLine2(grid, x, c.Min.Y, x, c.Max.Y)
	}
	for _, r := range ch.rows {
		y0, y1 := trY(float64(r.y0)), trY(float64(r.y1))
		switch {
		case r.phase != "":
			ch.drawBands(&c, trX, r, y0, y1)
		case r.name == "probes":
			ch.drawProbes(&c, trX, y0, y1)
		case r.name == "heartbeats":
			ch.drawHeartbeats(&c, trX, y0, y1)
		}
	}
}

// drawBands draws the row's predicted bar above its measured one, each
// with its length written inside when it fits, beside it otherwise.
func (ch *chart) drawBands(c *draw.Canvas, trX func(float64) vg.Length, r chartRow, y0, y1 vg.Length) {
	h := y1 - y0
	for _, set := range []struct {
		bands          []Band
		lo, hi         vg.Length
		fill, ink, out color.Color
	}{
		{ch.in.Predicted, y0 + h*0.54, y0 + h*0.92, colorPredicted, colorText, colorPredEdge},
		{ch.in.Measured, y0 + h*0.08, y0 + h*0.46, colorMeasured, color.White, nil},
	} {
		for _, b := range set.bands {
			if b.Phase != r.phase {
				continue
			}
			x0, x1 := trX(ch.x(b.Start)), trX(ch.x(b.End))
			x1 = max(x1, x0+minMarkW)
			fillRect(c, x0, set.lo, x1, set.hi, set.fill)
			if set.out != nil {
				strokeRect(c, x0, set.lo, x1, set.hi, draw.LineStyle{Color: set.out, Width: 0.6})
			}
			label := formatDuration(b.End.Sub(b.Start))
			sty := textStyle(sansFont, smallSize, set.ink)
			sty.YAlign = draw.YCenter
			pt := vg.Point{X: x0 + 3, Y: (set.lo + set.hi) / 2}
			if sty.Width(label)+6 > x1-x0 {
				sty.Color = colorText
				pt.X = x1 + 3
			}
			c.FillText(sty, pt, label)
		}
	}
}

// run is a stretch of a lane in one colour: consecutive samples of the
// same outcome are merged so the lane has no seams.
type run struct {
	x0, x1 vg.Length
	color  color.Color
}

func addRun(runs []run, r run) []run {
	if n := len(runs); n > 0 && runs[n-1].color == r.color && r.x0 <= runs[n-1].x1+0.5 {
		runs[n-1].x1 = max(runs[n-1].x1, r.x1)
		return runs
	}
	return append(runs, r)
}

// sampleWidth is how long a sample stands for: until the next one, but
// no more than twice the median gap, so a pause in sampling shows.
func sampleWidth(times []time.Time) func(i int) time.Duration {
	median := Intervals(times).Median
	return func(i int) time.Duration {
		if i+1 < len(times) {
			if gap := times[i+1].Sub(times[i]); gap > 0 {
				return min(gap, 2*median)
			}
		}
		return median
	}
}

func (ch *chart) drawProbes(c *draw.Canvas, trX func(float64) vg.Length, y0, y1 vg.Length) {
	times := probeTimes(ch.in.Probes)
	width := sampleWidth(times)
	var runs []run
	for i, p := range ch.in.Probes {
		col := colorOther
		switch {
		case !p.OK && p.Region != "":
			col = colorUnhealthy
		case !p.OK:
			col = colorFailure
		case p.Region == ch.in.Regions.Primary:
			col = colorPrimary
		case p.Region == ch.in.Regions.Standby:
			col = colorStandby
		}
		runs = addRun(runs, run{x0: trX(ch.x(p.At)), x1: trX(ch.x(p.At.Add(width(i)))), color: col})
	}
	h := y1 - y0
	for _, r := range runs {
		fillRect(c, r.x0, y0+h*0.15, r.x1, y0+h*0.85, r.color)
	}
}

// drawHeartbeats: acknowledged writes in the top half, coloured by writer;
// refused attempts in the bottom half (one tick may fail on one endpoint
// and succeed on the other); lost writes over both, drawn last.
func (ch *chart) drawHeartbeats(c *draw.Canvas, trX func(float64) vg.Length, y0, y1 vg.Length) {
	lost := map[int64]bool{}
	for _, seq := range ch.in.Lost {
		lost[seq] = true
	}
	// Each endpoint is its own series: an attempt stands until the next
	// attempt on the same endpoint (one tick may try several endpoints).
	byEndpoint := map[string][]HeartbeatRecord{}
	var endpoints []string
	for _, hb := range ch.in.Heartbeats {
		if _, ok := byEndpoint[hb.Endpoint]; !ok {
			endpoints = append(endpoints, hb.Endpoint)
		}
		byEndpoint[hb.Endpoint] = append(byEndpoint[hb.Endpoint], hb)
	}
	type span struct {
		hb     HeartbeatRecord
		x0, x1 vg.Length
	}
	var spans []span
	for _, ep := range endpoints {
		hbs := byEndpoint[ep]
		sort.SliceStable(hbs, func(i, j int) bool { return hbs[i].SentAt.Before(hbs[j].SentAt) })
		times := make([]time.Time, len(hbs))
		for i, hb := range hbs {
			times[i] = hb.SentAt
		}
		width := sampleWidth(times)
		for i, hb := range hbs {
			spans = append(spans, span{hb: hb, x0: trX(ch.x(hb.SentAt)), x1: trX(ch.x(hb.SentAt.Add(width(i))))})
		}
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].x0 < spans[j].x0 })
	var acked, failed []run
	for _, s := range spans {
		r := run{x0: s.x0, x1: s.x1}
		if !s.hb.OK {
			r.color = colorFailure
			failed = addRun(failed, r)
			continue
		}
		switch s.hb.Endpoint {
		case ch.in.Writers.OldWriter:
			r.color = colorPrimary
		case ch.in.Writers.NewWriter:
			r.color = colorStandby
		default:
			r.color = colorOther
		}
		acked = addRun(acked, r)
	}
	h := y1 - y0
	mid := y0 + h/2
	for _, r := range acked {
		fillRect(c, r.x0, mid, r.x1, y0+h*0.85, r.color)
	}
	for _, r := range failed {
		fillRect(c, r.x0, y0+h*0.15, r.x1, mid, r.color)
	}
	for _, s := range spans {
		if s.hb.OK && lost[s.hb.Seq] {
			fillRect(c, s.x0, y0+h*0.15, max(s.x1, s.x0+minMarkW), y0+h*0.85, colorLost)
		}
	}
}

// strokeRect outlines a rectangle.
func strokeRect(c *draw.Canvas, x0, y0, x1, y1 vg.Length, sty draw.LineStyle) {
	c.StrokeLines(sty, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})
}

// fillRect fills the rectangle clipped to the canvas.
func fillRect(c *draw.Canvas, x0, y0, x1, y1 vg.Length, col color.Color) {
	pts := c.ClipPolygonXY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	if len(pts) > 0 {
		c.FillPolygon(col, pts)
	}
}
