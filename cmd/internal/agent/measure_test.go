package agent

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
)

// measureEnv names the file BenchmarkAgentMeasurements writes.
const measureEnv = "DR_AGENT_MEASURE_OUT"

const measureCommand = "cd cmd && DR_AGENT_MEASURE_OUT=$PWD/../runbooks/gameday/agent-measurements.md go test -run '^$' -bench BenchmarkAgentMeasurements -benchtime 1x ./internal/agent/"

// phases is how many replica agents measure side by side, started at
// evenly spread offsets within the interval: the delay an agent reads
// depends on where its reads fall between two heartbeats, so one agent alone
// would show a single phase of the sawtooth.
const phases = 4

// BenchmarkAgentMeasurements measures the agent on the lab's real
// replication: the delay it reports against the delay the relay injects,
// at several settings and two intervals, and its cost on PostgreSQL. The
// figures go to $DR_AGENT_MEASURE_OUT, not into assertions.
//
//	cd cmd && DR_AGENT_MEASURE_OUT=$PWD/../runbooks/gameday/agent-measurements.md \
//	  go test -run '^$' -bench BenchmarkAgentMeasurements -benchtime 1x ./internal/agent/
func BenchmarkAgentMeasurements(b *testing.B) {
	var report strings.Builder
	writeHeader(&report)
	for _, run := range []struct {
		interval time.Duration
		settings []time.Duration
		samples  int
	}{
		{time.Second, []time.Duration{0, 250 * time.Millisecond, time.Second, 2500 * time.Millisecond}, 8},
		{100 * time.Millisecond, []time.Duration{0, 50 * time.Millisecond, 250 * time.Millisecond}, 30},
	} {
		l := newLabPair(b)
		writer := l.startAgent(l.writer, westRegion, run.interval)
		waitStatus(b, writer, "heartbeats", 10*time.Second, func(s Status) bool { return s.AckedSeq != nil })
		var readers []*runningAgent
		for i := range phases {
			time.Sleep(run.interval / phases)
			readers = append(readers, l.startAgent(l.replica, centralRegion, run.interval))
			_ = i
		}
		for _, r := range readers {
			waitStatus(b, r, "delay", 10*time.Second, func(s Status) bool { return s.DelaySeconds != nil })
		}
		fmt.Fprintf(&report, "\n## Delay at a %v interval\n\n", run.interval)
		report.WriteString("| Injected (relay, one way) | Samples | Measured min | median | p90 | max | max − injected |\n|---|---|---|---|---|---|---|\n")
		old := time.Duration(0)
		for _, injected := range run.settings {
			require.NoError(b, l.link.SetDelay(injected))
			settle(old, injected, run.interval)
			old = injected
			var ds []time.Duration
			for range run.samples {
				time.Sleep(run.interval)
				for _, r := range readers {
					st := r.Status()
					require.NotNil(b, st.DelaySeconds)
					ds = append(ds, time.Duration(*st.DelaySeconds*float64(time.Second)))
				}
			}
			slices.Sort(ds)
			p := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
			fmt.Fprintf(&report, "| %v | %d | %v | %v | %v | %v | %v |\n", injected, len(ds), ms(ds[0]), ms(p(0.5)), ms(p(0.9)), ms(ds[len(ds)-1]), ms(ds[len(ds)-1]-injected))
			b.Logf("interval %v, injected %v: min %v median %v max %v", run.interval, injected, ms(ds[0]), ms(p(0.5)), ms(ds[len(ds)-1]))
		}
		require.NoError(b, l.link.SetDelay(0))
		settle(old, 0, run.interval)
		if run.interval == time.Second {
			measureCost(b, &report, l, writer, readers[0], 30*time.Second)
		}
	}
	out := os.Getenv(measureEnv)
	if out == "" {
		b.Logf("set %s to write the measurements file", measureEnv)
		return
	}
	require.NoError(b, os.WriteFile(out, []byte(report.String()), 0o644))
}

func writeHeader(s *strings.Builder) {
	host, _ := os.Hostname()
	s.WriteString("# DR agent: measurements on the lab's PostgreSQL\n\n")
	fmt.Fprintf(s, "Measured %s on `%s` (%s/%s, %d CPUs, %s): PostgreSQL 15 writer and streaming replica started by `cmd/internal/lab/pg`, ", time.Now().UTC().Format("2006-01-02 15:04 MST"),
		host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	s.WriteString("the replication going through `cmd/internal/lab/relay`, which holds the WAL stream for the injected delay. Nothing but the writer's agent writes (an idle writer). ")
	fmt.Fprintf(s, "%d replica agents read side by side, started at offsets spread over one interval, so the samples cover the whole sawtooth.\n\n", phases)
	fmt.Fprintf(s, "Regenerate with:\n\n```sh\n%s\n```\n\n", measureCommand)
	s.WriteString("**Reading the tables.** The agent reports now − the newest replayed heartbeat's time: the link's delay, plus how long ago the newest heartbeat that crossed it was written (0 to one interval, depending on where the read falls between two heartbeats), plus commit, WAL send, replay and read time. So the measured delay is never below the injected one, and exceeds it by at most one interval plus that overhead (the `max − injected` column; the overhead is what it shows beyond the interval). That is the agent's **resolution: one heartbeat interval**, plus a few milliseconds, plus on AWS the clock error between the two regions' hosts (Amazon Time Sync, about a millisecond).\n")
}

// measureCost runs the agents for d on an idle writer and reports what they
// cost the database, from both sides: the agent's own statement accounting
// and PostgreSQL's statistics.
func measureCost(b *testing.B, s *strings.Builder, l *labPair, writer, reader *runningAgent, d time.Duration) {
	ctx := context.Background()
	// pg_stat_wal (PostgreSQL 14+): records, full-page images and bytes.
	wal := func() []int64 {
		v, err := l.writer.QueryInt64s(ctx, "SELECT unnest(ARRAY[wal_records, wal_fpi, wal_bytes::bigint]) FROM pg_stat_wal")
		require.NoError(b, err)
		return v
	}
	commits := func(c *pg.Cluster) int64 {
		v, err := c.QueryInt64s(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'")
		require.NoError(b, err)
		return v[0]
	}
	w0, r0 := writer.Stats(), reader.Stats()
	wal0, c0 := wal(), commits(l.writer)
	start := time.Now()
	time.Sleep(d)
	elapsed := time.Since(start).Seconds()
	w1, r1 := writer.Stats(), reader.Stats()
	wal1, commitCount := wal(), commits(l.writer)-c0

	s.WriteString("\n## Cost per second on PostgreSQL (1 s interval, idle writer)\n\n")
	fmt.Fprintf(s, "Over %.0f s. Statements as the agent counts and times them (client side, loopback round trip included):\n\n", elapsed)
	s.WriteString("| Agent | Statement | Per second | Mean time per statement |\n|---|---|---|---|\n")
	row := func(who string, before, after map[string]OpStats, op string) {
		n := after[op].Count - before[op].Count
		if n == 0 {
			return
		}
		mean := (after[op].Total - before[op].Total) / time.Duration(n)
		fmt.Fprintf(s, "| %s | %s | %.2f | %v |\n", who, op, float64(n)/elapsed, mean.Round(time.Microsecond))
	}
	for _, op := range []string{OpRoleCheck, OpInsert, OpPrune} {
		row("writer", w0, w1, op)
	}
	for _, op := range []string{OpRoleCheck, OpReadNew} {
		row("replica", r0, r1, op)
	}
	per := func(i int) float64 { return float64(wal1[i]-wal0[i]) / elapsed }
	fmt.Fprintf(s, "\nPostgreSQL's own counters on the writer over the same window, where only the agents and this benchmark's counter queries ran: %.2f transactions committed/s (`pg_stat_database.xact_commit`: the writer agent's role check and insert are one transaction each); WAL (`pg_stat_wal`) %.2f records/s, %.2f full-page images/s, %.0f bytes/s. That WAL bounds from above what the heartbeat adds to the cross-region replication stream (it includes the full-page images the first change of a page after a checkpoint costs, and autovacuum of the new table). The replica agents' reads run on the replica and write nothing. Pruning deletes the rows older than `DR_RETENTION` once a minute.\n",
		float64(commitCount)/elapsed, per(0), per(1), per(2))
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}
