package gameday

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/taskflow/taskflow-dr/cmd/internal/drmetrics"
	"github.com/taskflow/taskflow-dr/cmd/internal/heartbeat"
)

// The DR agents' heartbeat evidence (cmd/dr-agent/README.md) replaces the
// heartbeat journal on AWS: the old writer's agent published its newest
// acknowledged heartbeat to CloudWatch in the standby region, which outlives
// the primary's, and the promoted database holds the heartbeats that
// replicated. The drill then needs no network path from one region's pods
// to the other region's database.

// highResRetention is how long CloudWatch keeps 1-second data points; past
// it only 1-minute aggregates remain (types.MetricStat.Period in
// aws-sdk-go-v2/service/cloudwatch@v1.75.7 types/types.go:3184).
const highResRetention = 3 * time.Hour

// AckedHeartbeat is the newest heartbeat a writer's agent published as
// acknowledged, read back from CloudWatch.
type AckedHeartbeat struct {
	Cluster string
	Found   bool
	Seq     int64
	At      time.Time
	// Period is the granularity the data was read at: 1 s within 3 hours
	// of the drill, 1 min after (then a heartbeat acknowledged after the
	// cutoff in the same minute cannot be told apart).
	Period time.Duration
	Source string // where it was read, for the record
	// After is the newest one acknowledged after the cutoff (the
	// promotion), if any: the old writer still took writes, split brain.
	After      *AckedHeartbeat
	Cutoff     time.Time
	CutoffName string
}

// MetricReader is what the report needs of CloudWatch
// (*cloudwatch.Client has it).
type MetricReader interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// ReadAckedHeartbeat reads TaskFlowDR AckedHeartbeatSequence and
// AckedHeartbeatTime {Cluster=cluster} from cw (a client of the standby
// region) between from and cutoff (exclusive; zero means now), and whether
// any were acknowledged after cutoff. Both values only grow, so the
// Maximum over the window is the newest acknowledged heartbeat.
func ReadAckedHeartbeat(ctx context.Context, cw MetricReader, region, cluster string, from, cutoff, now time.Time) (AckedHeartbeat, error) {
	res := AckedHeartbeat{Cluster: cluster, Period: time.Second, Cutoff: cutoff}
	if now.Sub(from) > highResRetention-5*time.Minute {
		res.Period = time.Minute
	}
	res.Source = fmt.Sprintf("CloudWatch %s %s/%s{%s=%s}, %s Maximum", region, drmetrics.Namespace, drmetrics.AckedHeartbeatTime,
		drmetrics.DimensionCluster, cluster, res.Period)
	if cutoff.IsZero() || !cutoff.Before(now) {
		return res, readAckedWindow(ctx, cw, &res, from, now)
	}
	// CloudWatch keeps a point at its period's granularity, so the bucket
	// holding the cutoff may mix heartbeats from before and after it. The
	// whole buckets before it are read first; the cutoff's bucket counts
	// only if its newest heartbeat time (the value itself) is not after the
	// cutoff.
	whole := cutoff.Truncate(res.Period)
	if err := readAckedWindow(ctx, cw, &res, from, whole); err != nil {
		return AckedHeartbeat{}, err
	}
	edge := AckedHeartbeat{Cluster: cluster, Period: res.Period, Source: res.Source}
	if err := readAckedWindow(ctx, cw, &edge, whole, whole.Add(res.Period)); err != nil {
		return AckedHeartbeat{}, err
	}
	if edge.Found && !edge.At.After(cutoff) && edge.Seq > res.Seq {
		res.Found, res.Seq, res.At = true, edge.Seq, edge.At
	}
	after := AckedHeartbeat{Cluster: cluster, Period: res.Period, Source: res.Source}
	if err := readAckedWindow(ctx, cw, &after, whole, now); err != nil {
		return AckedHeartbeat{}, err
	}
	if after.Found && after.At.After(cutoff) {
		res.After = &after
	}
	return res, nil
}

func readAckedWindow(ctx context.Context, cw MetricReader, res *AckedHeartbeat, from, to time.Time) error {
	if !from.Before(to) {
		return nil
	}
	query := func(id, metric string) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String(drmetrics.Namespace), MetricName: aws.String(metric),
				Dimensions: []types.Dimension{{Name: aws.String(drmetrics.DimensionCluster), Value: aws.String(res.Cluster)}}},
			Period: aws.Int32(int32(res.Period / time.Second)), Stat: aws.String("Maximum"),
		}}
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(from), EndTime: aws.Time(to),
		MetricDataQueries: []types.MetricDataQuery{query("seq", drmetrics.AckedHeartbeatSequence), query("at", drmetrics.AckedHeartbeatTime)},
	}
	maxSeq, maxAt := math.Inf(-1), math.Inf(-1)
	for {
		out, err := cw.GetMetricData(ctx, in)
		if err != nil {
			return fmt.Errorf("read %s from CloudWatch: %w", res.Source, err)
		}
		for _, r := range out.MetricDataResults {
			for _, v := range r.Values {
				switch aws.ToString(r.Id) {
				case "seq":
					maxSeq = max(maxSeq, v)
				case "at":
					maxAt = max(maxAt, v)
				}
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if math.IsInf(maxSeq, -1) || math.IsInf(maxAt, -1) {
		return nil
	}
	res.Found = true
	res.Seq = int64(math.Round(maxSeq))
	res.At = time.UnixMilli(int64(math.Round(maxAt * 1e3))).UTC()
	return nil
}

// PromotedEvidence is what the promoted database holds: the newest of the
// old writer's heartbeats that replicated, the first one the new writer's
// agent wrote after it, and the old writer's heartbeat gaps (the resolution).
type PromotedEvidence struct {
	Queried      bool
	NewestOld    heartbeat.Beat
	OldFound     bool
	FirstNew     heartbeat.Beat
	NewFound     bool
	OldIntervals IntervalStats
}

// intervalSampleRows is how many of the old writer's last heartbeats give
// its interval statistics.
const intervalSampleRows = 600

// LoadPromotedEvidence reads the agents' heartbeat table on the promoted
// database.
func LoadPromotedEvidence(ctx context.Context, dsn, oldWriter, newWriter string, timeout time.Duration) (PromotedEvidence, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := heartbeat.Connect(ctx, dsn, timeout, "gameday-report")
	if err != nil {
		return PromotedEvidence{}, fmt.Errorf("promoted database %s: %w", heartbeat.RedactDSN(dsn), err)
	}
	defer conn.Close(context.Background())
	t := heartbeat.AgentTable
	ev := PromotedEvidence{Queried: true}
	if ev.NewestOld, ev.OldFound, err = t.Newest(ctx, conn, oldWriter); err != nil {
		return PromotedEvidence{}, fmt.Errorf("promoted database: %w", err)
	}
	if ev.FirstNew, ev.NewFound, err = t.FirstAfter(ctx, conn, newWriter, ev.NewestOld.Seq); err != nil {
		return PromotedEvidence{}, fmt.Errorf("promoted database: %w", err)
	}
	if ev.OldFound {
		rows, err := t.Since(ctx, conn, oldWriter, ev.NewestOld.Seq-intervalSampleRows)
		if err != nil {
			return PromotedEvidence{}, fmt.Errorf("promoted database: %w", err)
		}
		times := make([]time.Time, len(rows))
		for i, r := range rows {
			times[i] = r.WrittenAt
		}
		ev.OldIntervals = Intervals(times)
	}
	return ev, nil
}

// AgentEvidence is the agents' side of a drill, used instead of a heartbeat
// journal.
type AgentEvidence struct {
	OldWriter string // cluster of the writer before the failover
	NewWriter string // cluster of the promoted database's agent
	Acked     AckedHeartbeat
	Promoted  PromotedEvidence
}

// ComputeAgentRPO is the RPO after an unplanned failover from the agents'
// evidence: the time of the newest heartbeat the old writer acknowledged
// (from CloudWatch in the standby region) minus the time of the newest of
// its heartbeats present on the promoted database. Its resolution is one
// heartbeat interval: writes between two heartbeats are not seen.
func ComputeAgentRPO(ev AgentEvidence, objective time.Duration) RPOResult {
	res := RPOResult{OldWriter: ev.OldWriter, Evidence: EvidenceAgents, Verdict: VerdictNotMeasured,
		Resolution: ev.Promoted.OldIntervals.P99}
	switch {
	case !ev.Acked.Found:
		res.Reason = fmt.Sprintf("no acknowledged heartbeat of %s in %s before %s", ev.OldWriter, ev.Acked.Source, cutoffName(ev.Acked))
		return res
	case !ev.Promoted.Queried:
		res.Reason = "the promoted database was not queried (no --promoted-dsn)"
		return res
	}
	res.Measured = true
	res.NewestAcked = HeartbeatRecord{Seq: ev.Acked.Seq, SentAt: ev.Acked.At, Endpoint: ev.OldWriter, OK: true, AckedAt: ev.Acked.At}
	res.Verdict = VerdictFail
	if !ev.Promoted.OldFound {
		res.LowerBound = true
		res.Reason = "none of the old writer's heartbeats are on the promoted database: replication never delivered one"
		return res
	}
	res.NewestPresent = StoredHeartbeat{Seq: ev.Promoted.NewestOld.Seq, SentAt: ev.Promoted.NewestOld.WrittenAt}
	res.PresentFound = true
	if res.NewestPresent.Seq < res.NewestAcked.Seq {
		res.RPO = max(0, res.NewestAcked.SentAt.Sub(res.NewestPresent.SentAt))
		// Every seq in between was taken by an attempt of the old writer's
		// agent; the acknowledged ones among them are lost.
		for s := res.NewestPresent.Seq + 1; s <= res.NewestAcked.Seq; s++ {
			res.Lost = append(res.Lost, s)
		}
		res.LostAtMost = true
	}
	if res.RPO <= objective {
		res.Verdict = VerdictPass
	}
	return res
}

func cutoffName(a AckedHeartbeat) string {
	if a.Cutoff.IsZero() {
		return "now"
	}
	return fmt.Sprintf("%s (%s)", orDash(a.CutoffName), formatClock(a.Cutoff))
}

// agentWritesResumed is the first heartbeat the promoted database's agent
// wrote after the old writer's last one.
func agentWritesResumed(ev *AgentEvidence) Moment {
	if !ev.Promoted.NewFound {
		return unobserved(fmt.Sprintf("not observed: no heartbeat of %s after the old writer's on the promoted database", ev.NewWriter))
	}
	return observed(ev.Promoted.FirstNew.WrittenAt, fmt.Sprintf("first heartbeat written by %s's agent on the promoted database (seq %d)",
		ev.NewWriter, ev.Promoted.FirstNew.Seq))
}

// errAgentFlags names what agent evidence needs.
var errAgentFlags = errors.New("--old-writer-cluster and --new-writer-cluster go together, with --promoted-dsn, instead of --heartbeats")
