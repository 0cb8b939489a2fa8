package gameday

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// chartLegendMarkdown repeats the chart's key for readers of the record
// whose viewer scales the image down.
const chartLegendMarkdown = "Time runs left to right from the cut (T+0). Each phase row shows the RTO budget's " +
	"prediction (light bar, top) above what the drill measured (dark bar, bottom). Below them, probes (blue = primary " +
	"region answered, green = standby answered, red = failed, pale red = a region answered but unhealthy) and heartbeat " +
	"writes (top half: acknowledged by the old writer in blue or the new writer in green; bottom half: refused, red; " +
	"magenta: acknowledged but lost). Grey lines are the runbook's events; coloured lines mark when writes were accepted " +
	"again and when full capacity was back, solid as measured, dashed as predicted.\n\n"

// Chart geometry, in points (1/72 in). The PNG is rendered at chartDPI:
// 880 pt at 110 dpi is about 1340 pixels; the fonts are sized so that the
// text stays legible when a markdown viewer scales the image to its column.
const (
	chartWidth  vg.Length = 880
	chartDPI              = 110
	chartMargin vg.Length = 14
	phaseRowH   vg.Length = 28
	laneH       vg.Length = 30
	laneGap     vg.Length = 10 // between the phase rows and the probe/heartbeat lanes
	labelRowH   vg.Length = 17
	legendRowH  vg.Length = 18
	titleSize   vg.Length = 14
	bodySize    vg.Length = 11 // row names, axis label, subtitle
	labelSize   vg.Length = 10.5
	smallSize   vg.Length = 9.5 // tick labels, lengths in the bars, legend
	swatchW     vg.Length = 18
	// Zero-length bands and lost writes stay visible at least this wide.
	minMarkW vg.Length = 1.5
)

var (
	colorText       = color.RGBA{30, 30, 30, 255}
	colorMuted      = color.RGBA{95, 95, 95, 255}
	colorRowShade   = color.RGBA{246, 246, 246, 255}
	colorGrid       = color.RGBA{222, 222, 222, 255}
	colorPredicted  = color.RGBA{200, 210, 222, 255}
	colorPredEdge   = color.RGBA{120, 138, 160, 255}
	colorMeasured   = color.RGBA{52, 73, 102, 255}
	colorPrimary    = color.RGBA{31, 119, 180, 255}  // blue: primary region / old writer
	colorStandby    = color.RGBA{44, 160, 44, 255}   // green: standby region / new writer
	colorFailure    = color.RGBA{214, 39, 40, 255}   // red: failed probe or write
	colorUnhealthy  = color.RGBA{244, 160, 160, 255} // pale red: a region answered, unhealthy
	colorOther      = color.RGBA{160, 160, 160, 255}
	colorLost       = color.RGBA{200, 0, 200, 255} // magenta: acknowledged but lost
	colorEvent      = color.RGBA{110, 110, 110, 160}
	colorCut        = color.RGBA{0, 0, 0, 255}
	milestoneColors = map[string]color.Color{
		MilestoneWritesAccepted: color.RGBA{217, 95, 2, 255},
		MilestoneFullCapacity:   color.RGBA{117, 112, 179, 255},
	}
)

var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

func textStyle(f font.Font, size vg.Length, c color.Color) text.Style {
	f.Size = size
	return text.Style{Color: c, Font: f, Handler: plot.DefaultTextHandler}
}

// WriteChart draws the drill as a PNG: the recovery's phases, predicted
// and measured, over the probes and heartbeats, with the runbook's
// events and the recovery milestones labelled above them.
func WriteChart(w io.Writer, in ChartInput) error {
	ch := layoutChart(in)
	img := vgimg.NewWith(vgimg.UseWH(chartWidth, ch.height()), vgimg.UseDPI(chartDPI))
	if err := ch.draw(draw.New(img)); err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("encode chart: %w", err)
	}
	return nil
}

// chartRow is one horizontal row of the plot, y in points from the bottom
// of the data area (the plot's y unit is the point).
type chartRow struct {
	name   string
	y0, y1 vg.Length
	phase  Phase // "" for the probe and heartbeat lanes
}

// chartLabel is a text above the plot naming a moment, with the line
// that marks the moment through the rows.
type chartLabel struct {
	text   string
	style  text.Style
	line   draw.LineStyle
	anchor vg.Length // x on the canvas
	lineX  vg.Length // x of the line: the anchor, nudged off a coinciding milestone's line
	width  vg.Length
	// milestone lines are nudged apart when they coincide.
	milestone bool
}

// chart is a laid-out chart: every size is known before drawing, so the
// image is exactly as tall as its label rows and legend need.
type chart struct {
	in     ChartInput
	origin time.Time
	unit   time.Duration
	rows   []chartRow
	p      *plot.Plot
	dataX  [2]vg.Length // data area, left and right
	labels []chartLabel
	slots  []labelSlot
	legend []legendItem

	titleH, labelsH, plotH, legendH vg.Length
}

func (ch *chart) height() vg.Length { return ch.titleH + ch.labelsH + ch.plotH + ch.legendH }

func layoutChart(in ChartInput) *chart {
	ch := &chart{in: in}
	ch.rows = chartRows(in)
	ch.origin, ch.unit = axisOrigin(in)
	ch.titleH = ch.titleHeight()
	if len(ch.rows) == 0 {
		ch.plotH = 30
		return ch
	}
	lo, hi := ch.xRange()
	ch.p = ch.newPlot(lo, hi)

	// The data area's width does not depend on the height, so a trial
	// layout gives the x positions the labels are placed with.
	const trialH = 1000
	trial := ch.p.DataCanvas(draw.Canvas{Rectangle: vg.Rectangle{
		Min: vg.Point{X: chartMargin}, Max: vg.Point{X: chartWidth - chartMargin, Y: trialH}}})
	ch.dataX = [2]vg.Length{trial.Min.X, trial.Max.X}
	dataH := ch.rows[0].y1
	ch.plotH = dataH + (trialH - (trial.Max.Y - trial.Min.Y))

	ch.labels = ch.chartLabels()
	anchors := make([]vg.Length, len(ch.labels))
	widths := make([]vg.Length, len(ch.labels))
	for i, l := range ch.labels {
		anchors[i], widths[i] = l.anchor, l.width
	}
	ch.slots = chartLabelLayout(ch.dataX).place(anchors, widths)
	ch.labelsH = vg.Length(rowCount(ch.slots))*labelRowH + 6
	ch.legend = ch.legendItems()
	ch.legendH = vg.Length(len(flowLegend(ch.legend)))*legendRowH + 8
	return ch
}

// chartLabelLayout keeps labels inside the data area, a little past its
// right edge being allowed for the last moments' names.
func chartLabelLayout(dataX [2]vg.Length) labelLayout {
	return labelLayout{MinX: dataX[0], MaxX: chartWidth - 4, Gap: 8, MaxShift: 40, Offset: 3}
}

// chartRows lists the rows, top to bottom: the phases that have a band,
// then the probe and heartbeat lanes when there are observations.
func chartRows(in ChartInput) []chartRow {
	has := map[Phase]bool{}
	for _, b := range append(append([]Band(nil), in.Measured...), in.Predicted...) {
		has[b.Phase] = true
	}
	var rows []chartRow
	for _, ph := range phaseOrder {
		if has[ph] {
			rows = append(rows, chartRow{name: string(ph), phase: ph})
		}
	}
	phases := len(rows)
	if len(in.Probes) > 0 {
		rows = append(rows, chartRow{name: "probes"})
	}
	if len(in.Heartbeats) > 0 {
		rows = append(rows, chartRow{name: "heartbeats"})
	}
	if len(rows) == 0 && len(in.Events) > 0 {
		rows = append(rows, chartRow{name: "runbook"})
	}
	// Lay out bottom-up, so y grows upward as on the canvas.
	var y vg.Length
	for i := len(rows) - 1; i >= 0; i-- {
		h := laneH
		if rows[i].phase != "" {
			h = phaseRowH
		}
		if i == phases-1 && phases < len(rows) {
			y += laneGap
		}
		rows[i].y0, rows[i].y1 = y, y+h
		y += h
	}
	return rows
}

// axisOrigin is T+0, the cut when known, and the unit: minutes once the
// drill is long enough that seconds would crowd the axis.
func axisOrigin(in ChartInput) (time.Time, time.Duration) {
	start, end := in.span()
	origin := start
	if in.Cut.Known {
		origin = in.Cut.At
	}
	unit := time.Second
	if end.Sub(origin) >= 15*time.Minute {
		unit = time.Minute
	}
	return origin, unit
}

// span is the earliest and latest instant the chart shows.
func (in ChartInput) span() (time.Time, time.Time) {
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
	if in.Cut.Known {
		see(in.Cut.At)
	}
	for _, ev := range in.Events {
		see(ev.At)
	}
	for _, p := range in.Probes {
		see(p.At)
	}
	for _, hb := range in.Heartbeats {
		see(hb.SentAt)
	}
	for _, b := range append(append([]Band(nil), in.Measured...), in.Predicted...) {
		see(b.Start)
		see(b.End)
	}
	for _, m := range in.Milestones {
		if m.Measured.Known {
			see(m.Measured.At)
		}
		if m.Predicted.Known {
			see(m.Predicted.At)
		}
	}
	return start, end
}

func (ch *chart) x(t time.Time) float64 { return float64(t.Sub(ch.origin)) / float64(ch.unit) }

// xRange covers every instant the chart shows, except that normal
// operation before the cut is cut short to a sixth of what follows it.
func (ch *chart) xRange() (float64, float64) {
	start, end := ch.in.span()
	lo, hi := ch.x(start), ch.x(end)
	if ch.in.Cut.Known {
		earliest := 0.0 // events are never cut off; bands and milestones start at the cut
		for _, ev := range ch.in.Events {
			earliest = min(earliest, ch.x(ev.At))
		}
		lo = max(lo, min(earliest, -hi/6))
	}
	if hi-lo <= 0 {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.02
	return lo - pad, hi + pad
}

func (ch *chart) newPlot(lo, hi float64) *plot.Plot {
	p := plot.New()
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = 0, float64(ch.rows[0].y1)
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Marker = plot.TickerFunc(axisTicks)
	p.X.Tick.Label = textStyle(sansFont, smallSize, colorText)
	p.X.Tick.Label.XAlign = draw.XCenter
	p.X.Tick.Label.YAlign = draw.YTop
	p.X.Label.Text = ch.axisLabel()
	p.X.Label.TextStyle = textStyle(sansFont, bodySize, colorText)
	p.X.Label.TextStyle.XAlign = draw.XCenter
	p.X.Label.TextStyle.YAlign = draw.YBottom
	p.X.Label.Padding = 4

	ticks := make([]plot.Tick, len(ch.rows))
	for i, r := range ch.rows {
		ticks[i] = plot.Tick{Value: float64(r.y0+r.y1) / 2, Label: r.name}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Label = textStyle(sansFont, bodySize, colorText)
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	p.Y.Tick.Length = 4
	p.Y.Tick.LineStyle.Color = color.Transparent
	p.Y.LineStyle.Color = color.Transparent
	p.Y.Width = 0

	p.Add(plotterFunc(ch.drawRows))
	return p
}

// plotterFunc adapts a drawing function to plot.Plotter.
type plotterFunc func(c draw.Canvas, p *plot.Plot)

func (f plotterFunc) Plot(c draw.Canvas, p *plot.Plot) { f(c, p) }

func (ch *chart) axisLabel() string {
	unit := "seconds"
	if ch.unit == time.Minute {
		unit = "minutes"
	}
	if !ch.in.Cut.Known {
		return fmt.Sprintf("%s since the first observation, %s UTC (no fault observed)", unit, ch.origin.UTC().Format("2006-01-02 15:04:05.000"))
	}
	return fmt.Sprintf("%s since the cut (T+0 = %s UTC: %s)", unit, ch.origin.UTC().Format("2006-01-02 15:04:05.000"), ch.in.Cut.Source)
}

// axisTicks labels the time axis every 1, 2 or 5 × 10^k units: the
// smallest such step that gives at most a dozen labels.
func axisTicks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if span <= 0 || math.IsInf(span, 0) || math.IsNaN(span) {
		return nil
	}
	mag := math.Pow(10, math.Floor(math.Log10(span/12)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if span/(m*mag) <= 12 {
			step = m * mag
			break
		}
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		v = math.Round(v/step) * step // no drift: 0.30000000000000004
		label := strconv.FormatFloat(v, 'f', decimals, 64)
		if v > 0 {
			label = "+" + label
		} else if v == 0 {
			label = "0"
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

// chartLabels are the names above the plot: the cut, the runbook's events
// and the milestones, measured and predicted.
func (ch *chart) chartLabels() []chartLabel {
	var labels []chartLabel
	add := func(t time.Time, txt string, sty text.Style, line draw.LineStyle, milestone bool) {
		l := chartLabel{text: txt, style: sty, line: line, width: sty.Width(txt), milestone: milestone}
		l.anchor = ch.dataX[0] + vg.Length(ch.p.X.Norm(ch.x(t)))*(ch.dataX[1]-ch.dataX[0])
		l.lineX = l.anchor
		labels = append(labels, l)
	}
	if ch.in.Cut.Known {
		add(ch.in.Cut.At, "cut", textStyle(boldFont, labelSize, colorCut), draw.LineStyle{Color: colorCut, Width: 1.4}, false)
	}
	for _, ev := range ch.in.Events {
		sty := textStyle(sansFont, labelSize, colorText)
		if ev.Name == EventStepFailed {
			sty = textStyle(boldFont, labelSize, colorFailure)
		}
		add(ev.At, ev.Name, sty, draw.LineStyle{Color: colorEvent, Width: 0.8}, false)
	}
	for _, m := range ch.in.Milestones {
		col := milestoneColor(m.Name)
		if m.Measured.Known {
			add(m.Measured.At, m.Name+" "+ch.offset(m.Measured.At), textStyle(boldFont, labelSize, col), measuredLine(col), true)
		}
		if m.Predicted.Known {
			add(m.Predicted.At, m.Name+", budget "+ch.offset(m.Predicted.At), textStyle(sansFont, labelSize, col), predictedLine(col), true)
		}
	}
	// Writes accepted and full capacity often coincide: keep both lines
	// visible side by side.
	for i := range labels {
		for j := range i {
			if d := labels[i].lineX - labels[j].lineX; labels[i].milestone && labels[j].milestone && d > -2.5 && d < 2.5 {
				labels[i].lineX = labels[j].lineX + 2.5
			}
		}
	}
	return labels
}

// milestoneColor: one colour per milestone, measured solid, predicted dashed.
func milestoneColor(name string) color.Color {
	if c, ok := milestoneColors[name]; ok {
		return c
	}
	return colorText
}

func measuredLine(c color.Color) draw.LineStyle { return draw.LineStyle{Color: c, Width: 2} }

func predictedLine(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: 1.6, Dashes: []vg.Length{5, 3}}
}

// offset is t relative to T+0, e.g. "+7.5s".
func (ch *chart) offset(t time.Time) string {
	d := t.Sub(ch.origin)
	if d < 0 {
		return "-" + formatDuration(-d)
	}
	return "+" + formatDuration(d)
}

func (ch *chart) draw(dc draw.Canvas) error {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	ch.drawTitle(dc)
	if len(ch.rows) == 0 {
		sty := textStyle(sansFont, bodySize, colorMuted)
		sty.YAlign = draw.YCenter
		dc.FillText(sty, vg.Point{X: chartMargin, Y: dc.Max.Y - ch.titleH - ch.plotH/2}, "No observations: the timeline and the journals are empty.")
		return nil
	}
	plotC := draw.Crop(dc, chartMargin, -chartMargin, ch.legendH, -(ch.titleH + ch.labelsH))
	ch.p.Draw(plotC)
	dataC := ch.p.DataCanvas(plotC)
	if math.Abs(float64(dataC.Min.X-ch.dataX[0])) > 0.01 || math.Abs(float64(dataC.Max.X-ch.dataX[1])) > 0.01 {
		return errors.New("chart: the plot's data area moved between layout and drawing")
	}
	ch.drawLabels(dc, dataC)
	ch.drawLegend(dc)
	return nil
}

// titleLines are the title, the milestones against the budget, and the
// objectives' verdicts.
func (ch *chart) titleLines() []struct {
	text  string
	style text.Style
} {
	type line = struct {
		text  string
		style text.Style
	}
	lines := []line{{ch.in.Title, textStyle(boldFont, titleSize, colorText)}}
	var parts []string
	for _, m := range ch.in.Milestones {
		part := m.Name + " " + ch.offset(m.Measured.At)
		if !m.Measured.Known {
			part = m.Name + ": not observed"
		}
		if m.Predicted.Known {
			part += " (budget " + ch.offset(m.Predicted.At) + ")"
		}
		parts = append(parts, part)
	}
	if len(parts) > 0 {
		lines = append(lines, line{"From the cut: " + strings.Join(parts, ",  "), textStyle(boldFont, bodySize, colorText)})
	}
	if ch.in.Summary != "" {
		lines = append(lines, line{ch.in.Summary, textStyle(sansFont, bodySize, colorMuted)})
	}
	return lines
}

func (ch *chart) titleHeight() vg.Length {
	h := vg.Length(10)
	for _, l := range ch.titleLines() {
		h += l.style.Height(l.text) + 4
	}
	return h + 6
}

func (ch *chart) drawTitle(dc draw.Canvas) {
	y := dc.Max.Y - 10
	for _, l := range ch.titleLines() {
		sty := l.style
		sty.YAlign = draw.YTop
		dc.FillText(sty, vg.Point{X: chartMargin, Y: y}, l.text)
		y -= sty.Height(l.text) + 4
	}
}

// drawLabels draws each label's line from the bottom of the rows up to its
// label, then the labels on a white ground so lines of labels further up
// pass behind them.
func (ch *chart) drawLabels(dc, dataC draw.Canvas) {
	base := dataC.Max.Y + 3
	rowY := func(row int) vg.Length { return base + vg.Length(row)*labelRowH }
	for i, l := range ch.labels {
		if l.anchor < dataC.Min.X || l.anchor > dataC.Max.X {
			continue
		}
		s := ch.slots[i]
		y := rowY(s.Row) + labelRowH/2
		dc.StrokeLines(l.line, []vg.Point{{X: l.lineX, Y: dataC.Min.Y}, {X: l.lineX, Y: y}})
		if s.Left > l.lineX {
			dc.StrokeLine2(draw.LineStyle{Color: l.line.Color, Width: 0.6}, l.lineX, y, s.Left, y)
		}
	}
	for i, l := range ch.labels {
		s := ch.slots[i]
		y0 := rowY(s.Row)
		fillRect(&dc, s.Left-1, y0+1, s.Left+l.width+1, y0+labelRowH-1, color.White)
		sty := l.style
		sty.YAlign = draw.YCenter
		dc.FillText(sty, vg.Point{X: s.Left, Y: y0 + labelRowH/2}, l.text)
	}
}

// legendItem is one key entry: a swatch and its meaning.
type legendItem struct {
	text   string
	swatch func(c *draw.Canvas, x, y vg.Length) // draws in [x, x+swatchW] × [y, y+10]
}

func (ch *chart) legendItems() []legendItem {
	box := func(fill, edge color.Color) func(*draw.Canvas, vg.Length, vg.Length) {
		return func(c *draw.Canvas, x, y vg.Length) {
			fillRect(c, x, y, x+swatchW, y+10, fill)
			if edge != nil {
				strokeRect(c, x, y, x+swatchW, y+10, draw.LineStyle{Color: edge, Width: 0.6})
			}
		}
	}
	line := func(sty draw.LineStyle) func(*draw.Canvas, vg.Length, vg.Length) {
		return func(c *draw.Canvas, x, y vg.Length) { c.StrokeLine2(sty, x, y+5, x+swatchW, y+5) }
	}
	var items []legendItem
	if len(ch.in.Predicted) > 0 {
		items = append(items, legendItem{"RTO budget (predicted)", box(colorPredicted, colorPredEdge)})
	}
	if len(ch.in.Measured) > 0 {
		items = append(items, legendItem{"measured", box(colorMeasured, nil)})
	}
	regions := ch.in.Regions
	if len(ch.in.Probes) > 0 || len(ch.in.Heartbeats) > 0 {
		items = append(items,
			legendItem{fmt.Sprintf("primary (%s) / old writer (%s)", orDefault(regions.Primary, "?"), orDefault(ch.in.Writers.OldWriter, "?")), box(colorPrimary, nil)},
			legendItem{fmt.Sprintf("standby (%s) / new writer (%s)", orDefault(regions.Standby, "?"), orDefault(ch.in.Writers.NewWriter, "none")), box(colorStandby, nil)},
			legendItem{"probe failed / write refused", box(colorFailure, nil)},
		)
	}
	for _, p := range ch.in.Probes {
		if !p.OK && p.Region != "" {
			items = append(items, legendItem{"probe answered, unhealthy", box(colorUnhealthy, nil)})
			break
		}
	}
	if len(ch.in.Lost) > 0 {
		items = append(items, legendItem{"acknowledged write lost", box(colorLost, nil)})
	}
	if len(ch.in.Events) > 0 {
		items = append(items, legendItem{"runbook event", line(draw.LineStyle{Color: colorEvent, Width: 0.8})})
	}
	for _, m := range ch.in.Milestones {
		solid, dashed := measuredLine(milestoneColor(m.Name)), predictedLine(milestoneColor(m.Name))
		items = append(items, legendItem{m.Name + " (measured, budget)", func(c *draw.Canvas, x, y vg.Length) {
			c.StrokeLine2(solid, x, y+5, x+swatchW/2-1, y+5)
			c.StrokeLine2(dashed, x+swatchW/2+1, y+5, x+swatchW, y+5)
		}})
	}
	return items
}

var legendStyle = textStyle(sansFont, smallSize, colorText)

// flowLegend wraps the legend's entries into lines that fit the width;
// each line lists the entries' indexes.
func flowLegend(items []legendItem) [][]int {
	var (
		lines [][]int
		x     = chartMargin
	)
	for i, it := range items {
		w := swatchW + 4 + legendStyle.Width(it.text) + 14
		if len(lines) == 0 || x+w > chartWidth-chartMargin {
			lines = append(lines, nil)
			x = chartMargin
		}
		lines[len(lines)-1] = append(lines[len(lines)-1], i)
		x += w
	}
	return lines
}

func (ch *chart) drawLegend(dc draw.Canvas) {
	sty := legendStyle
	sty.YAlign = draw.YCenter
	for n, line := range flowLegend(ch.legend) {
		y := ch.legendH - 4 - vg.Length(n+1)*legendRowH + 4
		x := chartMargin
		for _, i := range line {
			it := ch.legend[i]
			it.swatch(&dc, x, y)
			dc.FillText(sty, vg.Point{X: x + swatchW + 4, Y: y + 5}, it.text)
			x += swatchW + 4 + sty.Width(it.text) + 14
		}
	}
}

func rtoShort(r RTOResult) string {
	if !r.Measured {
		return "not measured"
	}
	return formatDuration(r.RTO)
}

func rpoShort(r RPOResult) string {
	if !r.Measured {
		return "not measured"
	}
	return fmt.Sprintf("%s, %d lost", formatDuration(r.RPO), len(r.Lost))
}
