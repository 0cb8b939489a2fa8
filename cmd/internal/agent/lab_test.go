package agent

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/cmd/internal/fakecloudwatch"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/relay"
)

// The lab's two regions, as the agents see them.
const (
	westRegion, centralRegion   = "eu-west-1", "eu-central-1"
	westCluster, centralCluster = "taskflow-dr-primary", "taskflow-dr-standby"
)

// labPair is a writer in "eu-west-1" and its streaming replica in
// "eu-central-1", the replication going through a relay (the cross-region
// link: delay and cut), and the strict fake CloudWatch for both regions.
type labPair struct {
	t       testing.TB
	root    string
	writer  *pg.Cluster
	replica *pg.Cluster
	link    *relay.Relay
	cw      *fakecloudwatch.Server
}

func newLabPair(t testing.TB) *labPair {
	t.Helper()
	if _, err := pg.BinDir(); err != nil {
		t.Skip(err)
	}
	root, err := pg.TempRoot("dr-agent-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	l := &labPair{t: t, root: root}
	l.writer = l.cluster("west", func(ctx context.Context, port int) (*pg.Cluster, error) {
		return pg.NewWriter(ctx, root, "west", port)
	})
	l.link, err = relay.Start(fmt.Sprintf("127.0.0.1:%d", l.writer.Port), 0)
	require.NoError(t, err)
	t.Cleanup(func() { l.link.Close() })
	l.replica = l.cluster("central", func(ctx context.Context, port int) (*pg.Cluster, error) {
		return pg.NewReplicaVia(ctx, root, "central", port, l.writer, l.link.Addr())
	})
	// The walreceiver retries a lost link every wal_retrieve_retry_interval
	// (5 s by default); shorter keeps the cut test short.
	require.NoError(t, l.replica.Exec(context.Background(), "ALTER SYSTEM SET wal_retrieve_retry_interval = '200ms'"))
	require.NoError(t, l.replica.Exec(context.Background(), "SELECT pg_reload_conf()"))
	l.cw = fakecloudwatch.Start()
	t.Cleanup(l.cw.Close)
	return l
}

func (l *labPair) cluster(name string, create func(context.Context, int) (*pg.Cluster, error)) *pg.Cluster {
	l.t.Helper()
	port, err := pg.FreePort()
	require.NoError(l.t, err)
	c, err := create(context.Background(), port)
	require.NoError(l.t, err)
	l.t.Cleanup(func() {
		if l.t.Failed() {
			if b, err := os.ReadFile(c.LogFile()); err == nil {
				l.t.Logf("log of %s:\n%s", c.Name, b[max(0, len(b)-3000):])
			}
		}
		assert.NoError(l.t, c.Close())
	})
	return c
}

func (l *labPair) cloudwatch(region string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: region, BaseEndpoint: aws.String(l.cw.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLAB", "lab-secret", "")})
}

// syncBuffer collects an agent's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runningAgent is an agent run by a test until cleanup.
type runningAgent struct {
	*Agent
	log  *syncBuffer
	stop func()
}

// startAgent runs an agent on db for the cluster of region, publishing to
// the fake CloudWatch of its region and of the other one.
func (l *labPair) startAgent(db *pg.Cluster, region string, interval time.Duration) *runningAgent {
	cfg := Config{DSN: db.DSN("postgres"), Region: westRegion, PeerRegion: centralRegion, Cluster: westCluster,
		PeerCluster: centralCluster, Interval: interval, Retention: time.Hour, Listen: "127.0.0.1:0", Metrics: MetricsCloudWatch}
	if region == centralRegion {
		cfg.Region, cfg.PeerRegion, cfg.Cluster, cfg.PeerCluster = centralRegion, westRegion, centralCluster, westCluster
	}
	logs := &syncBuffer{}
	a := New(cfg, Deps{Own: l.cloudwatch(cfg.Region), Peer: l.cloudwatch(cfg.PeerRegion),
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	ra := &runningAgent{Agent: a, log: logs, stop: sync.OnceFunc(func() {
		cancel()
		require.NoError(l.t, <-done)
	})}
	l.t.Cleanup(func() {
		ra.stop()
		if l.t.Failed() {
			l.t.Logf("log of the %s agent:\n%s", region, logs.String())
		}
	})
	return ra
}

// waitStatus polls the agent's status until cond holds.
func waitStatus(t testing.TB, a *runningAgent, what string, timeout time.Duration, cond func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := a.Status()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; status %+v", timeout, what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// delaySample is what one look at the replica's agent gave.
type delaySample struct {
	delay time.Duration
	seq   int64
}

// sampleDelays reads the replica agent's delay once per interval, n times.
func sampleDelays(t testing.TB, a *runningAgent, interval time.Duration, n int) []delaySample {
	t.Helper()
	var out []delaySample
	for range n {
		time.Sleep(interval)
		st := a.Status()
		require.NotNil(t, st.DelaySeconds, "the replica's agent reports a delay: %+v", st)
		out = append(out, delaySample{delay: time.Duration(*st.DelaySeconds * float64(time.Second)), seq: *st.NewestSeq})
	}
	return out
}

// delayStats is the minimum, median and maximum of the samples.
func delayStats(samples []delaySample) (minimum, median, maximum time.Duration) {
	ds := make([]time.Duration, len(samples))
	for i, s := range samples {
		ds[i] = s.delay
	}
	slices.Sort(ds)
	return ds[0], ds[len(ds)/2], ds[len(ds)-1]
}

// settle waits until the replica's delay reflects the relay's delay: the
// old delay's WAL has drained and a few heartbeats crossed at the new one.
func settle(old, injected, interval time.Duration) {
	time.Sleep(max(old, injected) + 4*interval)
}
