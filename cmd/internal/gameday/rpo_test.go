package gameday

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRPOCountsLostWritesAndTimeSpan(t *testing.T) {
	d := failoverScenario().drill(t)
	res := ComputeRPO(d.Heartbeats, promotedRows(d, 3), true, 10*time.Second)
	require.True(t, res.Measured)
	assert.Equal(t, "writer", res.OldWriter)
	assert.Equal(t, 60, res.AckedCount)
	assert.Len(t, res.Lost, 3)
	assert.Equal(t, []int64{157, 158, 159}, res.Lost)
	assert.Equal(t, 3*time.Second, res.RPO, "newest acknowledged (59s) minus newest replicated (56s)")
	assert.Equal(t, VerdictPass, res.Verdict)

	strict := ComputeRPO(d.Heartbeats, promotedRows(d, 3), true, 2*time.Second)
	assert.Equal(t, VerdictFail, strict.Verdict)
}

func TestRPOZeroWhenEverythingReplicated(t *testing.T) {
	d := failoverScenario().drill(t)
	rows := promotedRows(d, 0)
	// A committed-but-unacknowledged row newer than every ack is fine.
	rows = append(rows, StoredHeartbeat{Seq: 9999, SentAt: at(61)})
	res := ComputeRPO(d.Heartbeats, rows, true, 0)
	assert.Empty(t, res.Lost)
	assert.Equal(t, time.Duration(0), res.RPO)
	assert.Equal(t, VerdictPass, res.Verdict)
}

func TestRPONothingReplicatedIsALowerBound(t *testing.T) {
	d := failoverScenario().drill(t)
	res := ComputeRPO(d.Heartbeats, nil, true, 10*time.Second)
	assert.True(t, res.LowerBound)
	assert.Len(t, res.Lost, 60)
	assert.Equal(t, 59*time.Second, res.RPO)
	assert.Equal(t, VerdictFail, res.Verdict)
}

func TestRPONotMeasured(t *testing.T) {
	d := failoverScenario().drill(t)
	res := ComputeRPO(d.Heartbeats, nil, false, 10*time.Second)
	assert.False(t, res.Measured)
	assert.Equal(t, VerdictNotMeasured, res.Verdict)
	assert.Contains(t, res.Reason, "--promoted-dsn")

	res = ComputeRPO(nil, nil, true, 10*time.Second)
	assert.False(t, res.Measured)
	assert.Contains(t, res.Reason, "no heartbeat was acknowledged")
}

func TestDetectWriterSwitchAndSplitBrainObservation(t *testing.T) {
	sc := failoverScenario()
	sc.write = func(s int) []string {
		switch {
		case s < 60:
			return []string{"writer"}
		case s < 240:
			return nil
		case s == 260:
			return []string{"replica", "writer"} // the old primary came back
		default:
			return []string{"replica"}
		}
	}
	d := sc.drill(t)
	ws := DetectWriterSwitch(d.Heartbeats)
	assert.Equal(t, "writer", ws.OldWriter)
	assert.Equal(t, "replica", ws.NewWriter)
	res := Analyze(d, promotedRows(d, 0), true, Objectives{RTO: 15 * time.Minute, RPO: 10 * time.Second})
	assert.Contains(t, joinLines(res.Observations), "SPLIT BRAIN")
}

func TestIntervals(t *testing.T) {
	stats := Intervals([]time.Time{at(0), at(2), at(1), at(3), at(5)})
	assert.Equal(t, 5, stats.Samples)
	assert.Equal(t, time.Second, stats.Median)
	assert.Equal(t, 2*time.Second, stats.Max)
	assert.Equal(t, IntervalStats{Samples: 1}, Intervals([]time.Time{at(0)}))
}
