package gameday

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/taskflow/taskflow-dr/cmd/internal/heartbeat"
)

// MinHeartbeatInterval is the fastest heartbeat the tool accepts.
const MinHeartbeatInterval = heartbeat.MinInterval

// Table is where the game-day heartbeat writes: a table of its own, apart
// from the DR agent's (heartbeat.AgentTable), because the two number their
// rows independently.
var Table = heartbeat.Table{Name: "dr_heartbeat"}

// Endpoint is a database the heartbeat may write to. Name is what the
// journal and the dr_heartbeat.writer column record ("writer", "replica").
type Endpoint struct {
	Name string
	DSN  string
}

// HeartbeatConfig configures the heartbeat writer.
type HeartbeatConfig struct {
	// Endpoints in preference order; the first one that accepts a write
	// becomes sticky until it fails, so a resurrected old primary is never
	// written to again once the promoted replica took over.
	Endpoints []Endpoint
	Interval  time.Duration
	// Timeout bounds connect+insert per attempt, so a blackholed writer
	// (security group revoked) costs one timeout per tick, not a TCP timeout.
	Timeout time.Duration
	Journal *JournalWriter
	Logf    func(format string, args ...any)
}

// Validate checks the configuration before any connection is attempted.
func (c HeartbeatConfig) Validate() error {
	if len(c.Endpoints) == 0 {
		return errors.New("heartbeat: at least one endpoint is required")
	}
	for _, ep := range c.Endpoints {
		if ep.Name == "" || ep.DSN == "" {
			return fmt.Errorf("heartbeat: endpoint %q needs a name and a DSN", ep.Name)
		}
	}
	if c.Interval < MinHeartbeatInterval {
		return fmt.Errorf("heartbeat: interval %v is below the minimum %v", c.Interval, MinHeartbeatInterval)
	}
	if c.Timeout <= 0 {
		return errors.New("heartbeat: timeout must be positive")
	}
	if c.Journal == nil {
		return errors.New("heartbeat: a journal is required")
	}
	return nil
}

// HeartbeatSummary counts what happened during a run.
type HeartbeatSummary struct {
	Acked    map[string]int
	Failed   map[string]int
	Attempts int
}

// heartbeater holds the per-run state: one connection per endpoint, the
// sticky endpoint and the next sequence number.
type heartbeater struct {
	cfg     HeartbeatConfig
	conns   []*pgx.Conn
	current int
	seq     heartbeat.Writer
	summary HeartbeatSummary
	failing bool
}

// RunHeartbeat writes a heartbeat every Interval until ctx is cancelled. It
// only returns an error for problems that make the measurement worthless
// (invalid config, journal not writable); database errors are journalled
// and retried because surviving them is the point.
func RunHeartbeat(ctx context.Context, cfg HeartbeatConfig) (HeartbeatSummary, error) {
	if err := cfg.Validate(); err != nil {
		return HeartbeatSummary{}, err
	}
	hb := newHeartbeater(cfg)
	defer hb.close()
	ticker := time.NewTicker(cfg.Interval)
	defer ticker.Stop()
	for {
		if err := hb.beat(ctx); err != nil {
			return hb.summary, err
		}
		select {
		case <-ctx.Done():
			return hb.summary, nil
		case <-ticker.C:
		}
	}
}

func newHeartbeater(cfg HeartbeatConfig) *heartbeater {
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &heartbeater{
		cfg:     cfg,
		conns:   make([]*pgx.Conn, len(cfg.Endpoints)),
		seq:     heartbeat.Writer{Table: Table},
		summary: HeartbeatSummary{Acked: map[string]int{}, Failed: map[string]int{}},
	}
}

func (hb *heartbeater) close() {
	for i, conn := range hb.conns {
		if conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = conn.Close(ctx)
			cancel()
			hb.conns[i] = nil
		}
	}
}

// beat makes one heartbeat: the sticky endpoint first, then the others.
func (hb *heartbeater) beat(ctx context.Context) error {
	n := len(hb.cfg.Endpoints)
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			return nil
		}
		idx := (hb.current + i) % n
		rec := hb.attempt(ctx, idx)
		if ctx.Err() != nil && !rec.OK {
			return nil // shutting down: the failure is ours, not the database's
		}
		if err := hb.cfg.Journal.Append(rec); err != nil {
			return err
		}
		hb.summary.Attempts++
		if rec.OK {
			hb.summary.Acked[rec.Endpoint]++
			if idx != hb.current || hb.failing {
				hb.cfg.Logf("heartbeat: seq %d acknowledged by %s", rec.Seq, rec.Endpoint)
			}
			hb.current, hb.failing = idx, false
			return nil
		}
		hb.summary.Failed[rec.Endpoint]++
		if !hb.failing {
			hb.cfg.Logf("heartbeat: %s refused seq %d: %s", rec.Endpoint, rec.Seq, rec.Error)
		}
	}
	hb.failing = true
	return nil
}

// attempt tries one insert on one endpoint within the per-attempt timeout.
func (hb *heartbeater) attempt(ctx context.Context, idx int) HeartbeatRecord {
	ep := hb.cfg.Endpoints[idx]
	actx, cancel := context.WithTimeout(ctx, hb.cfg.Timeout)
	defer cancel()
	rec := HeartbeatRecord{Endpoint: ep.Name}
	conn, err := hb.connection(actx, idx)
	if err != nil {
		rec.SentAt, rec.Error = heartbeat.Now(), err.Error()
		return rec
	}
	if !hb.seq.Seeded() {
		rec.SentAt, rec.Error = heartbeat.Now(), "sequence not initialised yet (no writable endpoint seen)"
		return rec
	}
	beat, err := hb.seq.Write(actx, conn, ep.Name)
	rec.Seq, rec.SentAt = beat.Seq, beat.WrittenAt
	if err == nil {
		rec.OK, rec.AckedAt = true, heartbeat.Now()
		return rec
	}
	rec.Error = heartbeat.Describe(err)
	switch heartbeat.SQLState(err) {
	case heartbeat.SQLStateReadOnly, heartbeat.SQLStateUndefinedTable:
		// A healthy standby that is not promoted yet, or a table the
		// writer just created: keep the connection.
	default:
		hb.drop(idx)
	}
	return rec
}

// connection returns a live connection to endpoint idx, dialling if needed.
// The first writable endpoint creates the table and seeds the sequence.
func (hb *heartbeater) connection(ctx context.Context, idx int) (*pgx.Conn, error) {
	if conn := hb.conns[idx]; conn != nil && !conn.IsClosed() {
		return conn, nil
	}
	conn, err := heartbeat.Connect(ctx, hb.cfg.Endpoints[idx].DSN, hb.cfg.Timeout, "gameday-heartbeat")
	if err != nil {
		return nil, err
	}
	hb.conns[idx] = conn
	if !hb.seq.Seeded() {
		// Continue after the highest seq stored, so restarting the tool (or
		// running a second drill) never collides.
		if err := hb.seq.Seed(ctx, conn); err != nil {
			hb.cfg.Logf("heartbeat: %s: %v", hb.cfg.Endpoints[idx].Name, err)
		}
	}
	return conn, nil
}

func (hb *heartbeater) drop(idx int) {
	if conn := hb.conns[idx]; conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_ = conn.Close(ctx)
		cancel()
	}
	hb.conns[idx] = nil
}
