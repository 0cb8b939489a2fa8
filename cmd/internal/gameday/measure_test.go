package gameday

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// measureEnv names the file BenchmarkMeasurements writes its results to.
const measureEnv = "GAMEDAY_MEASURE_OUT"

const measureCommand = "cd cmd && GAMEDAY_MEASURE_OUT=$PWD/../runbooks/gameday/measurements.md go test -run '^$' -bench BenchmarkMeasurements -benchtime 1x ./internal/gameday/"

// BenchmarkMeasurements measures, against a real local PostgreSQL, the
// heartbeat writer's sustained insert rate and the tool's own measurement
// resolution (how regular the heartbeat and probe loops really are). The
// numbers are written to $GAMEDAY_MEASURE_OUT rather than asserted: timing
// assertions are flaky, documented measurements are not.
//
//	cd cmd && GAMEDAY_MEASURE_OUT=$PWD/../runbooks/gameday/measurements.md \
//	  go test -run '^$' -bench BenchmarkMeasurements -benchtime 1x ./internal/gameday/
func BenchmarkMeasurements(b *testing.B) {
	primary := newPGLab(b).newPrimary()
	endpoints := []Endpoint{{Name: "writer", DSN: primary.DSN("postgres")}}

	rate, insertP99 := measureSustainedRate(b, endpoints, 3*time.Second)
	hbStats := measureHeartbeatLoop(b, endpoints, MinHeartbeatInterval, 6*time.Second)
	probeStats := measureProbeLoop(b, 200*time.Millisecond, 6*time.Second)

	hbJitter := hbStats.P99 - MinHeartbeatInterval
	probeJitter := probeStats.P99 - 200*time.Millisecond
	b.ReportMetric(rate, "inserts/s")
	b.ReportMetric(float64(hbJitter.Microseconds())/1000, "hb-p99-jitter-ms")
	b.ReportMetric(float64(probeJitter.Microseconds())/1000, "probe-p99-jitter-ms")

	out := os.Getenv(measureEnv)
	if out == "" {
		b.Logf("set %s to write the measurements file", measureEnv)
		return
	}
	report := measurementsMarkdown(rate, insertP99, hbStats, probeStats)
	if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
		b.Fatalf("write %s: %v", out, err)
	}
}

// measureSustainedRate inserts back to back through the heartbeat's own
// attempt path (connection handling, journal) for d.
func measureSustainedRate(b *testing.B, endpoints []Endpoint, d time.Duration) (float64, time.Duration) {
	hb := newHeartbeater(HeartbeatConfig{Endpoints: endpoints, Interval: MinHeartbeatInterval, Timeout: time.Second, Journal: NewJournalWriter(&bytes.Buffer{})})
	defer hb.close()
	ctx := context.Background()
	var latencies []time.Duration
	start := time.Now()
	for time.Since(start) < d {
		t := time.Now()
		if rec := hb.attempt(ctx, 0); !rec.OK {
			b.Fatalf("insert failed: %s", rec.Error)
		}
		latencies = append(latencies, time.Since(t))
	}
	elapsed := time.Since(start)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	return float64(len(latencies)) / elapsed.Seconds(), percentile(latencies, 0.99)
}

// measureHeartbeatLoop runs the real heartbeat loop and measures the gaps
// between consecutive sends.
func measureHeartbeatLoop(b *testing.B, endpoints []Endpoint, interval, d time.Duration) IntervalStats {
	var journal syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if _, err := RunHeartbeat(ctx, HeartbeatConfig{Endpoints: endpoints, Interval: interval, Timeout: time.Second, Journal: NewJournalWriter(&journal)}); err != nil {
		b.Fatalf("heartbeat: %v", err)
	}
	records, err := DecodeJournal[HeartbeatRecord](bytes.NewReader(journal.Bytes()))
	if err != nil {
		b.Fatalf("decode journal: %v", err)
	}
	return Intervals(sentTimes(records))
}

// measureProbeLoop probes a local server through the real resolver
// ("localhost") and measures the gaps between probes.
func measureProbeLoop(b *testing.B, interval, d time.Duration) IntervalStats {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Region", "local")
	}))
	defer srv.Close()
	var journal syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/healthz"
	if err := RunProbe(ctx, ProbeConfig{URL: url, Interval: interval, Timeout: time.Second, RegionHeader: "X-Region", Journal: NewJournalWriter(&journal)}); err != nil {
		b.Fatalf("probe: %v", err)
	}
	records, err := DecodeJournal[ProbeRecord](bytes.NewReader(journal.Bytes()))
	if err != nil {
		b.Fatalf("decode journal: %v", err)
	}
	return Intervals(probeTimes(records))
}

func measurementsMarkdown(rate float64, insertP99 time.Duration, hb, probe IntervalStats) string {
	host, _ := os.Hostname()
	hbJitter := max(0, hb.P99-MinHeartbeatInterval)
	probeJitter := max(0, probe.P99-200*time.Millisecond)
	var s strings.Builder
	fmt.Fprintf(&s, "# gameday tool: measurements\n\n")
	fmt.Fprintf(&s, "Measured %s on `%s` (%s/%s, %d CPUs, %s) against a local PostgreSQL 15 started by the benchmark (fsync=off, loopback).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&s, "Regenerate with:\n\n```sh\n%s\n```\n\n", measureCommand)
	s.WriteString("These are the tool's own limits, not the application's: on AWS the database round trip is longer, and the numbers from the drill itself are in each record's *Measurement resolution* table.\n\n")
	s.WriteString("| Measurement | Value |\n|---|---|\n")
	fmt.Fprintf(&s, "| Heartbeat writer sustained rate (back-to-back inserts, one connection; the tool's ceiling, far above the 10/s it needs at 100ms) | %.0f inserts/s |\n", rate)
	fmt.Fprintf(&s, "| Heartbeat insert latency p99 | %s |\n", insertP99.Round(time.Microsecond))
	fmt.Fprintf(&s, "| Heartbeat loop at %s: median / p99 / max gap (%d sends) | %s / %s / %s |\n", MinHeartbeatInterval,
		hb.Samples, hb.Median.Round(time.Microsecond), hb.P99.Round(time.Microsecond), hb.Max.Round(time.Microsecond))
	fmt.Fprintf(&s, "| Probe loop at 200ms: median / p99 / max gap (%d probes) | %s / %s / %s |\n",
		probe.Samples, probe.Median.Round(time.Microsecond), probe.P99.Round(time.Microsecond), probe.Max.Round(time.Microsecond))
	fmt.Fprintf(&s, "| Timestamp granularity (PostgreSQL timestamptz, journal) | 1µs |\n\n")
	s.WriteString("## Resolution\n\n")
	s.WriteString("A write lost between two heartbeats, or a recovery between two probes, cannot be seen, so:\n\n")
	s.WriteString("- **RPO resolution** = heartbeat interval + p99 send jitter + timestamp granularity\n")
	fmt.Fprintf(&s, "  - at the minimum interval (100ms): **%s**\n", (MinHeartbeatInterval + hbJitter + time.Microsecond).Round(time.Microsecond))
	fmt.Fprintf(&s, "  - at the default interval (1s): **%s**\n", (time.Second + hbJitter + time.Microsecond).Round(time.Microsecond))
	s.WriteString("- **RTO resolution** = probe interval + p99 probe jitter\n")
	fmt.Fprintf(&s, "  - at the default interval (1s): **%s**\n\n", (time.Second + probeJitter).Round(time.Microsecond))
	s.WriteString("During the outage each heartbeat attempt against an unreachable writer can take up to `--timeout` (default 1s), ")
	s.WriteString("so the moment writes resume on the promoted replica is resolved to one interval plus one timeout.\n")
	return s.String()
}
