package gameday

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// MinHeartbeatInterval is the fastest heartbeat the tool accepts: below it
// the write loop's own jitter (see runbooks/gameday/measurements.md) stops
// being small compared with the interval, so the RPO resolution would not
// improve.
const MinHeartbeatInterval = 100 * time.Millisecond

const (
	createHeartbeatTableSQL = `CREATE TABLE IF NOT EXISTS dr_heartbeat (
	seq        bigint PRIMARY KEY,
	sent_at    timestamptz NOT NULL,
	written_to text NOT NULL
)`
	insertHeartbeatSQL = `INSERT INTO dr_heartbeat (seq, sent_at, written_to) VALUES ($1, $2, $3)`
	maxHeartbeatSeqSQL = `SELECT coalesce(max(seq), 0) FROM dr_heartbeat`

	sqlstateReadOnlyTransaction = "25006" // hot standby refusing a write
	sqlstateUndefinedTable      = "42P01"
)

// Endpoint is a database the heartbeat may write to. Name is what the
// journal and the dr_heartbeat.written_to column record ("writer", "replica").
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
	cfg      HeartbeatConfig
	conns    []*pgx.Conn
	current  int
	nextSeq  int64
	seqKnown bool
	summary  HeartbeatSummary
	failing  bool
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
		rec.SentAt, rec.Error = nowMicro(), err.Error()
		return rec
	}
	if !hb.seqKnown {
		rec.SentAt, rec.Error = nowMicro(), "sequence not initialised yet (no writable endpoint seen)"
		return rec
	}
	// Every attempt gets a fresh seq: a timed-out insert may still have
	// committed and replicated, and reusing its seq on the promoted
	// replica would then fail with a duplicate key.
	rec.Seq = hb.nextSeq
	hb.nextSeq++
	rec.SentAt = nowMicro()
	_, err = conn.Exec(actx, insertHeartbeatSQL, rec.Seq, rec.SentAt, ep.Name)
	if err == nil {
		rec.OK, rec.AckedAt = true, nowMicro()
		return rec
	}
	rec.Error = describeWriteError(err)
	switch sqlstate(err) {
	case sqlstateReadOnlyTransaction:
		// Healthy standby that is not promoted yet: keep the connection.
	case sqlstateUndefinedTable:
		if _, cerr := conn.Exec(actx, createHeartbeatTableSQL); cerr != nil {
			rec.Error += "; creating the table failed: " + describeWriteError(cerr)
		}
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
	conn, err := connectWithTimeout(ctx, hb.cfg.Endpoints[idx].DSN, hb.cfg.Timeout, "gameday-heartbeat")
	if err != nil {
		return nil, err
	}
	hb.conns[idx] = conn
	if !hb.seqKnown {
		if err := hb.seedSequence(ctx, conn); err != nil {
			hb.cfg.Logf("heartbeat: %s: %v", hb.cfg.Endpoints[idx].Name, err)
		}
	}
	return conn, nil
}

// seedSequence continues after the highest seq already stored so that
// restarting the tool (or running a second drill) never collides.
func (hb *heartbeater) seedSequence(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, createHeartbeatTableSQL); err != nil && sqlstate(err) != sqlstateReadOnlyTransaction {
		return fmt.Errorf("create dr_heartbeat: %w", err)
	}
	var maxSeq int64
	if err := conn.QueryRow(ctx, maxHeartbeatSeqSQL).Scan(&maxSeq); err != nil {
		return fmt.Errorf("read max(seq) from dr_heartbeat: %w", err)
	}
	hb.nextSeq, hb.seqKnown = maxSeq+1, true
	return nil
}

func (hb *heartbeater) drop(idx int) {
	if conn := hb.conns[idx]; conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_ = conn.Close(ctx)
		cancel()
	}
	hb.conns[idx] = nil
}

// connectWithTimeout dials with a bounded connect timeout and an
// application_name that makes the tool's sessions easy to spot in pg_stat_activity.
func connectWithTimeout(ctx context.Context, dsn string, timeout time.Duration, appName string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx parse errors can echo the DSN; never let a password through.
		return nil, fmt.Errorf("parse DSN %s: invalid connection string", RedactDSN(dsn))
	}
	cfg.ConnectTimeout = timeout
	cfg.RuntimeParams["application_name"] = appName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return conn, nil
}

func sqlstate(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func describeWriteError(err error) string {
	if sqlstate(err) == sqlstateReadOnlyTransaction {
		return "read-only: endpoint is a hot standby that has not been promoted (SQLSTATE 25006)"
	}
	return err.Error()
}

// nowMicro is the current UTC time at PostgreSQL's timestamptz precision, so
// a sent_at read back from the database compares equal to the journal's.
func nowMicro() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}
