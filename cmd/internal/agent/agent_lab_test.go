package agent

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/cmd/internal/drmetrics"
	"github.com/taskflow/taskflow-dr/cmd/internal/gameday"
	"github.com/taskflow/taskflow-dr/cmd/internal/heartbeat"
)

// testInterval keeps the test short; the measurements at the default 1 s
// are BenchmarkAgentMeasurements'.
const testInterval = 100 * time.Millisecond

// overheadAllowance is what a heartbeat's own trip adds to the link's delay
// beyond the one-interval resolution: commit, WAL send, replay and the
// replica's read, a few milliseconds on loopback (BenchmarkAgentMeasurements
// writes the measured figure), with room for a loaded 2-core machine.
const overheadAllowance = 40 * time.Millisecond

// TestAgentOnLabReplication runs one agent per region against the lab's
// real PostgreSQL streaming replication, the replication going through the
// relay: delays injected at several settings, an idle writer (nothing but
// the agent writes, throughout), CloudWatch failing, the link cut, the
// replica's database down, an unplanned failover (promotion) that flips the
// replica's agent to writer, the RPO computed from the agents' evidence,
// and a rebuild of the old writer that flips its agent to replica, all
// without restarting an agent.
func TestAgentOnLabReplication(t *testing.T) {
	l := newLabPair(t)
	ctx := context.Background()
	west := l.startAgent(l.writer, westRegion, testInterval)
	central := l.startAgent(l.replica, centralRegion, testInterval)

	st := waitStatus(t, west, "the writer's agent writing", 10*time.Second, func(s Status) bool {
		return s.Role == RoleWriter && s.AckedSeq != nil && *s.AckedSeq >= 3
	})
	assert.Nil(t, st.DelaySeconds, "no delay on a writer")
	assert.Equal(t, westCluster, st.NewestWriter)
	waitStatus(t, central, "the replica's agent measuring", 10*time.Second, func(s Status) bool {
		return s.Role == RoleReplica && s.DelaySeconds != nil
	})

	t.Run("delay agrees with the injected delay within one interval, idle writer", func(t *testing.T) {
		// Nothing but the writer's agent writes to the lab's database during
		// the whole test: the writer is idle, and the agent still measures.
		old := time.Duration(0)
		for _, injected := range []time.Duration{0, 200 * time.Millisecond, 500 * time.Millisecond, 50 * time.Millisecond} {
			require.NoError(t, l.link.SetDelay(injected))
			settle(old, injected, testInterval)
			old = injected
			samples := sampleDelays(t, central, testInterval, 15)
			minimum, median, maximum := delayStats(samples)
			t.Logf("injected %v: measured min %v, median %v, max %v", injected, minimum, median, maximum)
			// Causality: a heartbeat cannot arrive before the link delivers
			// it (one clock here, so no clock error either).
			assert.GreaterOrEqual(t, minimum, injected, "measured below the injected delay")
			// The newest replayed heartbeat is at most one interval older
			// than the link's delay, plus commit, replay and read time.
			assert.LessOrEqual(t, maximum, injected+testInterval+overheadAllowance, "measured beyond one interval over the injected delay")
			assert.InDelta(t, injected.Seconds(), median.Seconds(), (testInterval + overheadAllowance).Seconds())
			assert.Greater(t, samples[len(samples)-1].seq, samples[0].seq, "fresh heartbeats keep arriving with no other writes")
		}
		require.NoError(t, l.link.SetDelay(0))
		settle(old, 0, testInterval)
	})

	t.Run("CloudWatch: delay in its region, acknowledged heartbeat in the peer region", func(t *testing.T) {
		require.Eventually(t, func() bool {
			return len(l.cw.Points(centralRegion, drmetrics.Namespace, drmetrics.ReplicationDelay, map[string]string{"Cluster": centralCluster})) > 10
		}, 5*time.Second, 50*time.Millisecond)
		delays := l.cw.Points(centralRegion, drmetrics.Namespace, drmetrics.ReplicationDelay, map[string]string{"Cluster": centralCluster})
		assert.Equal(t, 1, delays[0].Resolution, "high resolution")
		assert.Equal(t, "Seconds", delays[0].Unit)
		assert.Empty(t, l.cw.Points(westRegion, drmetrics.Namespace, drmetrics.ReplicationDelay, map[string]string{"Cluster": centralCluster}))
		acked := l.cw.Points(centralRegion, drmetrics.Namespace, drmetrics.AckedHeartbeatSequence, map[string]string{"Cluster": westCluster})
		assert.NotEmpty(t, acked, "the writer publishes its acknowledged heartbeat into the peer region")
		assert.Empty(t, l.cw.Points(westRegion, drmetrics.Namespace, drmetrics.AckedHeartbeatSequence, map[string]string{"Cluster": westCluster}))
		isWriter := l.cw.Points(westRegion, drmetrics.Namespace, drmetrics.AgentIsWriter, map[string]string{"Cluster": westCluster})
		require.NotEmpty(t, isWriter)
		assert.Equal(t, 1.0, isWriter[len(isWriter)-1].Value)
	})

	t.Run("CloudWatch failing: logged and retried, the heartbeat goes on", func(t *testing.T) {
		before := *west.Status().AckedSeq
		l.cw.FailNext(40) // beyond the SDK's own three attempts, several times
		waitStatus(t, west, "heartbeats while CloudWatch fails", 5*time.Second, func(s Status) bool { return *s.AckedSeq >= before+10 })
		require.Eventually(t, func() bool {
			acked := l.cw.Points(centralRegion, drmetrics.Namespace, drmetrics.AckedHeartbeatSequence, map[string]string{"Cluster": westCluster})
			return acked[len(acked)-1].Value >= float64(before+10)
		}, 40*time.Second, 100*time.Millisecond, "the backlog is published once CloudWatch answers")
		assert.Contains(t, west.log.String()+central.log.String(), "publishing to CloudWatch failed")
	})

	t.Run("cut link: the delay grows, then recovers", func(t *testing.T) {
		l.link.Cut()
		time.Sleep(time.Second)
		st := central.Status()
		require.NotNil(t, st.DelaySeconds)
		assert.GreaterOrEqual(t, *st.DelaySeconds, 0.9, "a cut shows as a growing delay, not as silence")
		assert.Empty(t, st.LastError, "the replica's database is reachable")
		l.link.Heal()
		// The walreceiver retries every wal_retrieve_retry_interval (5 s).
		waitStatus(t, central, "the delay back to normal after the heal", 20*time.Second, func(s Status) bool {
			return s.DelaySeconds != nil && *s.DelaySeconds < 2*testInterval.Seconds()
		})
	})

	t.Run("database unreachable: logged naming the host, retried, shown in /status", func(t *testing.T) {
		require.NoError(t, l.replica.Stop(ctx))
		st := waitStatus(t, central, "the replica's agent to notice", 10*time.Second, func(s Status) bool { return s.Role == RoleUnknown })
		assert.Nil(t, st.DelaySeconds)
		require.Eventually(t, func() bool { return strings.Contains(central.log.String(), "database unreachable") },
			10*time.Second, 20*time.Millisecond, "a failed reconnect is logged")
		host := fmt.Sprintf("127.0.0.1:%d", l.replica.Port)
		st = central.Status()
		assert.Equal(t, RoleUnknown, st.Role)
		assert.Contains(t, st.LastError, "unreachable")
		assert.Contains(t, st.LastError, host)
		assert.Contains(t, central.log.String(), host)
		time.Sleep(2 * time.Second) // retried with backoff meanwhile, still running
		require.NoError(t, l.replica.Start(ctx))
		waitStatus(t, central, "the replica's agent back", 40*time.Second, func(s Status) bool {
			return s.Role == RoleReplica && s.DelaySeconds != nil && s.LastError == ""
		})
	})

	var (
		lastAcked   int64
		lastAckedAt time.Time
		cutAt       time.Time
	)
	t.Run("promotion flips the replica's agent to writer", func(t *testing.T) {
		// Replication falls behind, then the primary region goes: its
		// database dies with WAL still in flight on the link.
		require.NoError(t, l.link.SetDelay(500*time.Millisecond))
		time.Sleep(time.Second)
		l.link.Cut()
		require.NoError(t, l.writer.StopImmediate(ctx))
		st := waitStatus(t, west, "the old writer's agent to lose its database", 10*time.Second, func(s Status) bool { return s.Role == RoleUnknown })
		lastAcked, lastAckedAt, cutAt = *st.AckedSeq, *st.AckedAt, time.Now().UTC()
		require.NoError(t, l.replica.Promote(ctx))
		st = waitStatus(t, central, "the promoted database's agent writing", 10*time.Second, func(s Status) bool {
			return s.Role == RoleWriter && s.AckedSeq != nil && s.NewestWriter == centralCluster
		})
		assert.Greater(t, *st.AckedSeq, int64(0))
		assert.Contains(t, central.log.String(), "to=writer")
	})

	t.Run("RPO from the agents' evidence agrees with the truth within one interval", func(t *testing.T) {
		promotedAt := time.Now().UTC()
		// Give the last acknowledged heartbeats time to reach CloudWatch.
		time.Sleep(time.Second)
		acked, err := gameday.ReadAckedHeartbeat(ctx, l.cloudwatch(centralRegion), centralRegion, westCluster,
			promotedAt.Add(-time.Hour), promotedAt, time.Now().UTC())
		require.NoError(t, err)
		require.True(t, acked.Found)
		assert.Nil(t, acked.After, "the old writer acknowledged nothing after the promotion")
		promoted, err := gameday.LoadPromotedEvidence(ctx, l.replica.DSN("postgres"), westCluster, centralCluster, 5*time.Second)
		require.NoError(t, err)
		rpo := gameday.ComputeAgentRPO(gameday.AgentEvidence{OldWriter: westCluster, NewWriter: centralCluster, Acked: acked, Promoted: promoted}, 10*time.Second)
		require.True(t, rpo.Measured, rpo.Reason)

		// The truth, independently: the old writer's agent's last
		// acknowledgement against the rows the promoted database has.
		conn, err := heartbeat.Connect(ctx, l.replica.DSN("postgres"), 5*time.Second, "test")
		require.NoError(t, err)
		defer conn.Close(ctx)
		var presentSeq int64
		var presentAt time.Time
		require.NoError(t, conn.QueryRow(ctx, `SELECT seq, written_at FROM dr_agent.heartbeat WHERE writer = $1 ORDER BY seq DESC LIMIT 1`,
			westCluster).Scan(&presentSeq, &presentAt))
		truth := lastAckedAt.Sub(presentAt)
		t.Logf("old writer acknowledged seq %d at %s (cut at %s); newest present seq %d; RPO %v (truth %v), at most %d heartbeats lost",
			lastAcked, lastAckedAt.Format(time.StampMilli), cutAt.Format(time.StampMilli), presentSeq, rpo.RPO, truth, len(rpo.Lost))
		assert.Equal(t, lastAcked, acked.Seq, "CloudWatch holds the old writer's last acknowledgement")
		assert.Positive(t, truth, "500 ms of WAL in flight was lost")
		assert.InDelta(t, truth.Seconds(), rpo.RPO.Seconds(), testInterval.Seconds())
		assert.True(t, promoted.NewFound, "writes resumed on the promoted database")
	})

	t.Run("rebuild flips the old writer's agent to replica", func(t *testing.T) {
		require.NoError(t, l.writer.RebuildAsReplicaOf(ctx, l.replica))
		// Its agent was never restarted: it reconnects (backoff up to 30 s).
		st := waitStatus(t, west, "the rebuilt database's agent measuring", 45*time.Second, func(s Status) bool {
			return s.Role == RoleReplica && s.DelaySeconds != nil && s.NewestWriter == centralCluster
		})
		assert.Nil(t, st.AckedSeq, "a replica acknowledges nothing")
		assert.Less(t, *st.DelaySeconds, 1.0)
		assert.Contains(t, west.log.String(), "to=replica")
	})
}
