package gameday

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTimeline(t *testing.T) {
	input := "# drill 42\n" +
		"2026-11-25T21:04:09.500Z\tpromoted\treplica promoted in 38s\n" +
		"\n" +
		"2026-11-25T21:04:05.123Z\tdeclared\tpager: primary down\n" +
		"2026-11-25T21:05:00Z\tcoffee-break\n" +
		"not-a-time\tfenced\tx\n" +
		"2026-11-25T21:04:06.000Z\n"
	tl, err := ParseTimeline(strings.NewReader(input))
	require.NoError(t, err)

	require.Len(t, tl.Events, 3)
	assert.True(t, tl.Reordered)
	assert.Equal(t, []string{"declared", "promoted", "coffee-break"}, []string{tl.Events[0].Name, tl.Events[1].Name, tl.Events[2].Name})
	assert.Equal(t, 123_000_000, tl.Events[0].At.Nanosecond())
	assert.Equal(t, "pager: primary down", tl.Events[0].Detail)
	assert.Equal(t, 4, tl.Events[0].Line)
	assert.Len(t, tl.Skipped, 2)
	assert.Contains(t, tl.Skipped[0], "line 6")

	assert.Equal(t, []string{EventFenced, EventWritesVerified, EventScaled, EventReconciled, EventAppVerified}, tl.MissingFailoverEvents())
	_, ok := tl.First(EventFenced)
	assert.False(t, ok)
}

func TestObservationsReportTimelineProblems(t *testing.T) {
	sc := failoverScenario()
	sc.timeline = timelineText(
		"230", EventPromoted, "",
		"90", EventDeclared, "",
		"120", EventStepFailed, "scale: timeout",
		"130", "coffee-break", "",
	)
	d := sc.drill(t)
	res := Analyze(d, promotedRows(d, 2), true, Objectives{RTO: 15 * 60e9, RPO: 10e9})
	obs := joinLines(res.Observations)
	assert.Contains(t, obs, "not in chronological order")
	assert.Contains(t, obs, "`fenced`")
	assert.Contains(t, obs, "`coffee-break`")
	assert.Contains(t, obs, "scale: timeout")
	assert.Contains(t, obs, "already failing 30s before the outage was declared")
	assert.Contains(t, obs, "2 acknowledged write(s) are missing")
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") }
