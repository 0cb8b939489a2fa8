package gameday

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"time"
)

// Chart geometry, in pixels.
const (
	chartWidth   = 1400
	chartHeight  = 420
	plotLeft     = 130
	plotRight    = chartWidth - 30
	probeTop     = 50
	probeBottom  = 130
	writeTop     = 150
	writeBottom  = 230
	markerTop    = 42
	markerBottom = 238
	labelTop     = 246
	labelRowStep = 14
	labelRows    = 4
	axisY        = 318
	legendY      = 370
)

var (
	colorBackground = color.RGBA{255, 255, 255, 255}
	colorText       = color.RGBA{30, 30, 30, 255}
	colorGrid       = color.RGBA{225, 225, 225, 255}
	colorPrimary    = color.RGBA{31, 119, 180, 255} // blue: primary region / old writer
	colorStandby    = color.RGBA{44, 160, 44, 255}  // green: standby region / new writer
	colorFailure    = color.RGBA{214, 39, 40, 255}  // red: failed probe or write
	colorOther      = color.RGBA{150, 150, 150, 255}
	colorLost       = color.RGBA{200, 0, 200, 255} // magenta: acknowledged but lost
	colorEvent      = color.RGBA{90, 90, 90, 255}
	colorOutage     = color.RGBA{140, 0, 0, 255}
	colorRecovery   = color.RGBA{0, 0, 0, 255}
)

// chartLegendMarkdown repeats the chart's legend for readers of the record
// whose viewer scales the image down.
const chartLegendMarkdown = "Top lane: probes (blue = primary region answered, green = standby answered, red = failed, grey = other). " +
	"Middle lane: heartbeat writes (blue = old writer acknowledged, green = new writer acknowledged, red = attempt failed, magenta = acknowledged but lost). " +
	"Grey vertical lines: runbook events; dark red: outage start; black: recovery. The axis is time since the outage start.\n\n"

// timeScale maps timestamps to x pixels.
type timeScale struct {
	start, end time.Time
}

func (s timeScale) x(t time.Time) int {
	span := s.end.Sub(s.start)
	if span <= 0 {
		return plotLeft
	}
	return plotLeft + int(float64(plotRight-plotLeft)*float64(t.Sub(s.start))/float64(span))
}

// pixelsFor is the width in pixels of a duration, at least minPx so sparse
// samples remain visible.
func (s timeScale) pixelsFor(d time.Duration, minPx int) int {
	return max(minPx, s.x(s.start.Add(d))-plotLeft)
}

// WriteChart draws the drill timeline as a PNG.
func WriteChart(w io.Writer, d Drill, res Results) error {
	img := image.NewRGBA(image.Rect(0, 0, chartWidth, chartHeight))
	fillRect(img, 0, 0, chartWidth, chartHeight, colorBackground)
	start, end := drillSpan(d)
	if start.IsZero() {
		drawText(img, plotLeft, probeTop, "NO OBSERVATIONS", colorText)
		return encodePNG(w, img)
	}
	pad := max(end.Sub(start)/50, time.Second)
	scale := timeScale{start: start.Add(-pad), end: end.Add(pad)}
	origin := timeOrigin(d, res)

	drawTitle(img, res)
	drawAxis(img, scale, origin)
	drawProbes(img, scale, d.Probes, res)
	drawWrites(img, scale, d.Heartbeats, res)
	drawEvents(img, scale, d.Timeline, res.RTO)
	drawLegend(img)
	return encodePNG(w, img)
}

func encodePNG(w io.Writer, img image.Image) error {
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("encode chart: %w", err)
	}
	return nil
}

func drawTitle(img *image.RGBA, res Results) {
	title := fmt.Sprintf("GAMEDAY  RTO %s %s  RPO %s %s", rtoShort(res.RTO), res.RTO.Verdict, rpoShort(res.RPO), res.RPO.Verdict)
	drawText(img, 10, 12, title, colorText)
	drawText(img, 10, (probeTop+probeBottom)/2-glyphHeight/2, "PROBES", colorText)
	drawText(img, 10, (writeTop+writeBottom)/2-glyphHeight/2, "WRITES", colorText)
	drawText(img, 10, labelTop, "EVENTS", colorText)
}

func rtoShort(r RTOResult) string {
	if !r.Measured {
		return "UNMEASURED"
	}
	return formatDuration(r.RTO)
}

func rpoShort(r RPOResult) string {
	if !r.Measured {
		return "UNMEASURED"
	}
	return fmt.Sprintf("%s LOST %d", formatDuration(r.RPO), len(r.Lost))
}

// drawAxis draws ticks at a round step chosen for about ten labels.
func drawAxis(img *image.RGBA, s timeScale, origin time.Time) {
	fillRect(img, plotLeft, axisY, plotRight-plotLeft, 1, colorText)
	step := tickStep(s.end.Sub(s.start))
	first := origin.Add(s.start.Sub(origin).Truncate(step))
	for t := first; !t.After(s.end); t = t.Add(step) {
		if t.Before(s.start) {
			continue
		}
		x := s.x(t)
		fillRect(img, x, probeTop-4, 1, writeBottom-probeTop+8, colorGrid)
		fillRect(img, x, axisY, 1, 6, colorText)
		label := formatOffset(t, origin)
		drawText(img, x-textWidth(label)/2, axisY+10, label, colorText)
	}
	drawText(img, plotLeft, axisY+28, "TIME SINCE OUTAGE START (MM:SS)", colorOther)
}

func tickStep(span time.Duration) time.Duration {
	for _, step := range []time.Duration{
		100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second,
		30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
		15 * time.Minute, 30 * time.Minute, time.Hour,
	} {
		if span/step <= 12 {
			return step
		}
	}
	return 2 * time.Hour
}

func drawProbes(img *image.RGBA, s timeScale, probes []ProbeRecord, res Results) {
	width := s.pixelsFor(res.Resolution.Probe.Median, 2)
	for _, p := range probes {
		c := colorOther
		switch {
		case !p.OK:
			c = colorFailure
		case p.Region == res.Regions.Primary:
			c = colorPrimary
		case p.Region == res.Regions.Standby:
			c = colorStandby
		}
		fillRect(img, s.x(p.At), probeTop, width, probeBottom-probeTop, c)
	}
}

// drawWrites draws acknowledged writes full height and failed attempts in
// the lower half (one tick may fail on one endpoint and succeed on the
// other); lost writes are drawn last so they stand out.
func drawWrites(img *image.RGBA, s timeScale, heartbeats []HeartbeatRecord, res Results) {
	width := s.pixelsFor(res.Resolution.Heartbeat.Median, 1)
	mid := (writeTop + writeBottom) / 2
	ws := DetectWriterSwitch(heartbeats)
	for _, hb := range heartbeats {
		if !hb.OK {
			fillRect(img, s.x(hb.SentAt), mid, width, writeBottom-mid, colorFailure)
		}
	}
	for _, hb := range heartbeats {
		if !hb.OK {
			continue
		}
		c := colorOther
		switch hb.Endpoint {
		case ws.OldWriter:
			c = colorPrimary
		case ws.NewWriter:
			c = colorStandby
		}
		fillRect(img, s.x(hb.SentAt), writeTop, width, mid-writeTop, c)
	}
	lost := map[int64]bool{}
	for _, seq := range res.RPO.Lost {
		lost[seq] = true
	}
	for _, hb := range heartbeats {
		if hb.OK && lost[hb.Seq] {
			fillRect(img, s.x(hb.SentAt), writeTop, max(width, 2), writeBottom-writeTop, colorLost)
		}
	}
}

// drawEvents draws a vertical line per timeline event with its name below,
// staggering labels over a few rows so close events stay readable.
func drawEvents(img *image.RGBA, s timeScale, tl Timeline, rto RTOResult) {
	rowEnd := make([]int, labelRows)
	for _, ev := range tl.Events {
		x := s.x(ev.At)
		fillRect(img, x, markerTop, 1, markerBottom-markerTop, colorEvent)
		row := 0
		for row < labelRows-1 && rowEnd[row] > x {
			row++
		}
		y := labelTop + row*labelRowStep
		fillRect(img, x, markerBottom, 1, y-markerBottom+glyphHeight/2, colorGrid)
		drawText(img, x+3, y, ev.Name, colorEvent)
		rowEnd[row] = x + 3 + textWidth(ev.Name) + glyphAdvance
	}
	if rto.OutageStart.Known {
		fillRect(img, s.x(rto.OutageStart.At)-1, markerTop, 3, markerBottom-markerTop, colorOutage)
	}
	if rto.Recovery.Known {
		fillRect(img, s.x(rto.Recovery.At)-1, markerTop, 3, markerBottom-markerTop, colorRecovery)
	}
}

func drawLegend(img *image.RGBA) {
	x := plotLeft
	for _, item := range []struct {
		label string
		c     color.Color
	}{
		{"PRIMARY / OLD WRITER", colorPrimary}, {"STANDBY / NEW WRITER", colorStandby},
		{"FAILED", colorFailure}, {"LOST WRITE", colorLost}, {"OTHER", colorOther},
		{"OUTAGE START", colorOutage}, {"RECOVERY", colorRecovery}, {"EVENT", colorEvent},
	} {
		fillRect(img, x, legendY, 14, 14, item.c)
		drawText(img, x+20, legendY+2, item.label, colorText)
		x += 20 + textWidth(item.label) + 24
	}
}
