package gameday

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/cmd/internal/drmetrics"
	"github.com/taskflow/taskflow-dr/cmd/internal/fakecloudwatch"
	"github.com/taskflow/taskflow-dr/cmd/internal/heartbeat"
)

func evidence(ackedSeq, presentSeq int64) AgentEvidence {
	base := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	at := func(seq int64) time.Time { return base.Add(time.Duration(seq) * time.Second) }
	return AgentEvidence{
		OldWriter: "taskflow-dr-primary", NewWriter: "taskflow-dr-standby",
		Acked: AckedHeartbeat{Cluster: "taskflow-dr-primary", Found: true, Seq: ackedSeq, At: at(ackedSeq), Period: time.Second},
		Promoted: PromotedEvidence{
			Queried:      true,
			NewestOld:    heartbeat.Beat{Seq: presentSeq, WrittenAt: at(presentSeq), Writer: "taskflow-dr-primary"},
			OldFound:     true,
			FirstNew:     heartbeat.Beat{Seq: ackedSeq + 1, WrittenAt: at(ackedSeq + 90), Writer: "taskflow-dr-standby"},
			NewFound:     true,
			OldIntervals: IntervalStats{Samples: 100, Median: time.Second, P99: time.Second, Max: time.Second},
		},
	}
}

func TestAgentRPOIsAckedMinusPresent(t *testing.T) {
	res := ComputeAgentRPO(evidence(120, 117), 10*time.Second)
	require.True(t, res.Measured)
	assert.Equal(t, 3*time.Second, res.RPO)
	assert.Equal(t, []int64{118, 119, 120}, res.Lost)
	assert.True(t, res.LostAtMost)
	assert.Equal(t, VerdictPass, res.Verdict)
	assert.Equal(t, time.Second, res.Resolution)
	assert.Equal(t, VerdictFail, ComputeAgentRPO(evidence(120, 117), 2*time.Second).Verdict)

	zero := ComputeAgentRPO(evidence(120, 120), 0)
	assert.Zero(t, zero.RPO)
	assert.Empty(t, zero.Lost)
	assert.Equal(t, VerdictPass, zero.Verdict)

	none := evidence(120, 0)
	none.Promoted.OldFound = false
	res = ComputeAgentRPO(none, 10*time.Second)
	assert.Equal(t, VerdictFail, res.Verdict)
	assert.Contains(t, res.Reason, "none of the old writer's heartbeats")

	missing := evidence(120, 117)
	missing.Acked.Found = false
	res = ComputeAgentRPO(missing, 10*time.Second)
	assert.False(t, res.Measured)
	assert.Equal(t, VerdictNotMeasured, res.Verdict)
}

func TestAgentEvidenceInTheRecord(t *testing.T) {
	d := failoverScenario().drill(t)
	d.Heartbeats, d.HeartbeatsRecorded = nil, false
	ev := evidence(57, 54)
	ev.Promoted.FirstNew.WrittenAt = at(240)
	ev.Acked.After = &AckedHeartbeat{Seq: 300, At: at(400)}
	d.Agents = &ev
	res := Analyze(d, nil, false, Objectives{RTO: 15 * time.Minute, RPO: 10 * time.Second})
	assert.True(t, res.RTO.Measured, res.RTO.Reason)
	assert.Equal(t, at(240), res.RTO.WritesResumed.At)
	var md strings.Builder
	require.NoError(t, WriteRecord(&md, RecordInfo{}, d, res))
	for _, want := range []string{
		"| RPO | 10s | 3s (at most 3 heartbeat(s) lost) | **PASS** |",
		"Heartbeats lost: **at most 3** (seq 55–57)",
		"SPLIT BRAIN: taskflow-dr-primary's agent acknowledged heartbeat seq 300",
	} {
		assert.Contains(t, md.String(), want)
	}
}

// TestReadAckedHeartbeatFromCloudWatch publishes the way the writer's agent
// does and reads back through the real SDK and the strict fake: the newest
// before the cutoff, and what came after it.
func TestReadAckedHeartbeatFromCloudWatch(t *testing.T) {
	cw := fakecloudwatch.Start()
	t.Cleanup(cw.Close)
	client := cloudwatch.New(cloudwatch.Options{Region: "eu-central-1", BaseEndpoint: aws.String(cw.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLAB", "secret", "")})
	now := time.Now().UTC().Truncate(time.Millisecond)
	start := now.Add(-2 * time.Minute)
	var data []types.MetricDatum
	for i := range 60 {
		at := start.Add(time.Duration(i) * time.Second)
		dims := []types.Dimension{{Name: aws.String(drmetrics.DimensionCluster), Value: aws.String("taskflow-dr-primary")}}
		data = append(data,
			types.MetricDatum{MetricName: aws.String(drmetrics.AckedHeartbeatSequence), Dimensions: dims, Value: aws.Float64(float64(1000 + i)),
				Unit: types.StandardUnitNone, StorageResolution: aws.Int32(1), Timestamp: aws.Time(at)},
			types.MetricDatum{MetricName: aws.String(drmetrics.AckedHeartbeatTime), Dimensions: dims, Value: aws.Float64(float64(at.UnixMilli()) / 1e3),
				Unit: types.StandardUnitSeconds, StorageResolution: aws.Int32(1), Timestamp: aws.Time(at)})
	}
	_, err := client.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(drmetrics.Namespace), MetricData: data})
	require.NoError(t, err)

	cutoff := start.Add(40*time.Second + 500*time.Millisecond)
	acked, err := ReadAckedHeartbeat(context.Background(), client, "eu-central-1", "taskflow-dr-primary", now.Add(-time.Hour), cutoff, now)
	require.NoError(t, err)
	require.True(t, acked.Found)
	assert.Equal(t, int64(1040), acked.Seq)
	assert.Equal(t, start.Add(40*time.Second), acked.At, "millisecond-exact through CloudWatch")
	require.NotNil(t, acked.After, "heartbeats acknowledged after the promotion are split brain")
	assert.Equal(t, int64(1059), acked.After.Seq)

	other, err := ReadAckedHeartbeat(context.Background(), client, "eu-central-1", "taskflow-dr-standby", now.Add(-time.Hour), time.Time{}, now)
	require.NoError(t, err)
	assert.False(t, other.Found)
}

func TestReportAgentFlagsGoTogether(t *testing.T) {
	for _, args := range [][]string{
		{"--old-writer-cluster", "a"},
		{"--old-writer-cluster", "a", "--new-writer-cluster", "b"}, // no --promoted-dsn
		{"--old-writer-cluster", "a", "--new-writer-cluster", "b", "--promoted-dsn", "postgres://x", "--heartbeats", "h.jsonl"},
	} {
		var stderr strings.Builder
		code := Main(context.Background(), append([]string{"report", "--primary-region", "p", "--standby-region", "s"}, args...), &strings.Builder{}, &stderr)
		assert.Equal(t, ExitUsage, code, args)
		assert.Contains(t, stderr.String(), "--old-writer-cluster and --new-writer-cluster go together", args)
	}
}
