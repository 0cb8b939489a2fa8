package rehearsal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// writeTimeline writes events at offsets (seconds from cut) in the
// runbook's timeline format.
func writeTimeline(t *testing.T, cut time.Time, events [][2]any) string {
	t.Helper()
	var b strings.Builder
	for _, e := range events {
		at := cut.Add(time.Duration(e[1].(float64) * float64(time.Second)))
		fmt.Fprintf(&b, "%s\t%s\tdetail\n", at.UTC().Format("2006-01-02T15:04:05.000Z07:00"), e[0])
	}
	path := filepath.Join(t.TempDir(), "dr-timeline.tsv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCriticalPath: run in parallel, wall time exceeds the critical path
// only by the longest wait's late start; run one after another, by the
// shorter waits too. The ratio must tell the two apart.
func TestCriticalPath(t *testing.T) {
	cut := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	tail := [][2]any{{"writes-verified", 0.0}, {"reconciled", 0.0}, {"app-verified", 0.0}}
	at := func(base float64, ev [][2]any) [][2]any {
		out := make([][2]any, len(ev))
		for i, e := range ev {
			out[i] = [2]any{e[0], base + float64(i)*5}
		}
		return out
	}
	parallel := append([][2]any{
		{"declared", 2.0},
		{"fence-started", 3.0}, {"promote-started", 4.0}, {"scale-started", 5.0},
		{"fenced", 10.0}, {"scaled", 20.0}, {"promoted", 34.0},
	}, at(35, tail)...)
	r := &rehearsal{cut: cut, timeline: writeTimeline(t, cut, parallel)}
	wall, critical, steps := r.criticalPath()
	assert.Equal(t, 30*time.Second, steps["promote"])
	assert.Equal(t, 7*time.Second, steps["fence"])
	assert.Equal(t, 15*time.Second, steps["scale"])
	assert.Equal(t, 43*time.Second, wall, "declared +2 to app-verified +45")
	assert.Equal(t, 41*time.Second, critical, "promote's 30 s, then 11 s after it ended")

	sequential := append([][2]any{
		{"declared", 2.0},
		{"fence-started", 3.0}, {"fenced", 11.0},
		{"promote-started", 12.0}, {"promoted", 42.0},
		{"scale-started", 43.0}, {"scaled", 58.0},
	}, at(59, tail)...)
	r = &rehearsal{cut: cut, timeline: writeTimeline(t, cut, sequential)}
	wall, critical, _ = r.criticalPath()
	assert.Equal(t, 67*time.Second, wall)
	assert.Equal(t, 41*time.Second, critical, "the same dependencies: the longest wait, then what follows the last")
	assert.Greater(t, float64(wall)/float64(critical), 1.5)
}
