package gameday

import (
	"context"
	"fmt"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/heartbeat"
)

// ComputeRPO compares what the old writer acknowledged with what the
// promoted database holds. promoted are the old writer's rows read back from
// the promoted database (see LoadPromotedHeartbeats); nil means the promoted
// database was not queried.
func ComputeRPO(heartbeats []HeartbeatRecord, promoted []StoredHeartbeat, queried bool, objective time.Duration) RPOResult {
	ws := DetectWriterSwitch(heartbeats)
	res := RPOResult{OldWriter: ws.OldWriter, Evidence: EvidenceJournal, Verdict: VerdictNotMeasured}
	acked := ackedOn(heartbeats, ws.OldWriter)
	res.AckedCount = len(acked)
	switch {
	case len(acked) == 0:
		res.Reason = "no heartbeat was acknowledged before the outage, so there is nothing to compare"
		return res
	case !queried:
		res.Reason = "the promoted database was not queried (no --promoted-dsn)"
		return res
	}
	res.Measured = true
	res.NewestAcked = acked[len(acked)-1]

	present := make(map[int64]bool, len(promoted))
	for _, row := range promoted {
		present[row.Seq] = true
		if !res.PresentFound || row.Seq > res.NewestPresent.Seq {
			res.NewestPresent, res.PresentFound = row, true
		}
	}
	for _, hb := range acked {
		if !present[hb.Seq] {
			res.Lost = append(res.Lost, hb.Seq)
		}
	}

	if !res.PresentFound {
		// Nothing from this run replicated: the loss began before the first
		// heartbeat, so only a lower bound is known.
		res.LowerBound = true
		res.RPO = res.NewestAcked.SentAt.Sub(acked[0].SentAt)
		res.Verdict = VerdictFail
		res.Reason = "none of this run's heartbeats reached the promoted database; RPO is at least the span of the run"
		return res
	}
	if res.NewestPresent.Seq < res.NewestAcked.Seq {
		res.RPO = max(0, res.NewestAcked.SentAt.Sub(res.NewestPresent.SentAt))
	}
	res.Verdict = VerdictFail
	if res.RPO <= objective {
		res.Verdict = VerdictPass
	}
	return res
}

// LoadPromotedHeartbeats reads the old writer's heartbeats (seq >= minSeq)
// from the promoted database.
func LoadPromotedHeartbeats(ctx context.Context, dsn, oldWriter string, minSeq int64, timeout time.Duration) ([]StoredHeartbeat, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := heartbeat.Connect(ctx, dsn, timeout, "gameday-report")
	if err != nil {
		return nil, fmt.Errorf("promoted database %s: %w", heartbeat.RedactDSN(dsn), err)
	}
	defer conn.Close(context.Background())
	beats, err := Table.Since(ctx, conn, oldWriter, minSeq)
	if err != nil {
		return nil, fmt.Errorf("promoted database: %w", err)
	}
	out := make([]StoredHeartbeat, len(beats))
	for i, b := range beats {
		out[i] = StoredHeartbeat{Seq: b.Seq, SentAt: b.WrittenAt}
	}
	return out, nil
}
