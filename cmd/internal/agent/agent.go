package agent

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/jackc/pgx/v5"

	"github.com/taskflow/taskflow-dr/cmd/internal/drmetrics"
	"github.com/taskflow/taskflow-dr/cmd/internal/heartbeat"
)

// Role is the database's role as the agent last saw it.
type Role string

const (
	RoleWriter  Role = "writer"
	RoleReplica Role = "replica"
	RoleUnknown Role = "unknown" // database unreachable, or not asked yet
)

// Timing of the database work.
const (
	connectTimeout = 5 * time.Second
	minOpTimeout   = 2 * time.Second
	maxBackoff     = 30 * time.Second
	pruneEvery     = time.Minute
)

// Deps are the agent's clients; nil ones are not used (DR_METRICS=off
// needs no CloudWatch, DR_DB_DSN no Secrets Manager).
type Deps struct {
	Secrets SecretReader
	Own     MetricPutter // CloudWatch in DR_REGION
	Peer    MetricPutter // CloudWatch in DR_PEER_REGION
	Logger  *slog.Logger
	// Nodes, in a cluster, counts its Ready nodes.
	Nodes *NodeSource
}

// Agent is one region's DR agent.
type Agent struct {
	cfg   Config
	nodes *NodeSource
	conn  connector
	own   *publisher
	peer  *publisher
	log   *slog.Logger
	table heartbeat.Table

	// Owned by the loop goroutine.
	db          *pgx.Conn
	role        Role
	writer      heartbeat.Writer
	backoff     time.Duration
	nextConnect time.Time
	lastPrune   time.Time

	mu       sync.Mutex
	status   Status
	stats    map[string]*OpStats
	lastLoop time.Time
}

// Status is the /status document (cmd/dr-agent/README.md). Pointers are null when
// unknown: newest* before any heartbeat was seen, acked* on a replica,
// delaySeconds on a writer or while the database cannot be read. Facts
// once learned (newest*, acked*) stay while the database is unreachable.
type Status struct {
	Role            Role       `json:"role"`
	Region          string     `json:"region"`
	Cluster         string     `json:"cluster"`
	NewestSeq       *int64     `json:"newestSeq"`
	NewestAt        *time.Time `json:"newestAt"`
	NewestWriter    string     `json:"newestWriter"` // the cluster whose agent wrote the newest heartbeat
	AckedSeq        *int64     `json:"ackedSeq"`
	AckedAt         *time.Time `json:"ackedAt"`
	DelaySeconds    *float64   `json:"delaySeconds"`
	ReadyNodes      *int       `json:"readyNodes"` // the cluster's Ready nodes, null outside a cluster
	LastError       string     `json:"lastError"`
	UpdatedAt       time.Time  `json:"updatedAt"`
	IntervalSeconds float64    `json:"intervalSeconds"`
}

// OpStats counts one kind of database statement and the time it took.
type OpStats struct {
	Count  int64
	Errors int64
	Total  time.Duration
}

// Statement kinds in OpStats.
const (
	OpConnect   = "connect"
	OpRoleCheck = "role_check"
	OpSeed      = "seed"
	OpInsert    = "insert"
	OpReadNew   = "read_newest"
	OpPrune     = "prune"
)

// New builds an agent; Run starts it.
func New(cfg Config, deps Deps) *Agent {
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	a := &Agent{
		cfg:   cfg,
		nodes: deps.Nodes,
		conn:  connector{cfg: cfg, secrets: deps.Secrets, timeout: connectTimeout},
		log:   log,
		table: heartbeat.AgentTable,
		role:  RoleUnknown,
		stats: map[string]*OpStats{},
		status: Status{Role: RoleUnknown, Region: cfg.Region, Cluster: cfg.Cluster,
			IntervalSeconds: cfg.Interval.Seconds()},
	}
	a.writer = heartbeat.Writer{Table: a.table}
	if cfg.Metrics == MetricsCloudWatch {
		if deps.Own != nil {
			a.own = newPublisher(cfg.Region, deps.Own, log)
		}
		if deps.Peer != nil {
			a.peer = newPublisher(cfg.PeerRegion, deps.Peer, log)
		}
	}
	return a
}

// Run heartbeats every interval until ctx ends. Database and CloudWatch
// failures are logged, shown in /status and retried; they never end it.
func (a *Agent) Run(ctx context.Context) error {
	a.log.Info("dr-agent starting", "region", a.cfg.Region, "peerRegion", a.cfg.PeerRegion, "cluster", a.cfg.Cluster,
		"db", a.cfg.DBEndpoint(), "interval", a.cfg.Interval, "retention", a.cfg.Retention, "metrics", a.cfg.Metrics)
	var wg sync.WaitGroup
	pubCtx, stopPublishing := context.WithCancel(context.Background())
	for _, p := range []*publisher{a.own, a.peer} {
		if p != nil {
			wg.Go(func() { p.run(pubCtx) })
		}
	}
	if a.nodes != nil && a.own != nil {
		nodesCtx, stopNodes := context.WithCancel(ctx)
		defer stopNodes()
		wg.Go(func() { a.countNodes(nodesCtx, a.nodes) })
	}
	defer func() {
		a.closeDB()
		stopPublishing() // after the loop: the last points still go out
		wg.Wait()
	}()
	ticker := time.NewTicker(a.cfg.Interval)
	defer ticker.Stop()
	for {
		a.tick(ctx)
		select {
		case <-ctx.Done():
			a.log.Info("dr-agent stopping")
			return nil
		case <-ticker.C:
		}
	}
}

// tick is one heartbeat: connect if needed, ask the role, then write (on
// a writer) or measure (on a replica).
func (a *Agent) tick(ctx context.Context) {
	defer a.loopAlive()
	if a.db == nil || a.db.IsClosed() {
		if time.Now().Before(a.nextConnect) {
			return
		}
		if !a.connect(ctx) {
			return
		}
	}
	opCtx, cancel := context.WithTimeout(ctx, max(2*a.cfg.Interval, minOpTimeout))
	defer cancel()
	var inRecovery bool
	err := a.timed(OpRoleCheck, func() (err error) { inRecovery, err = heartbeat.InRecovery(opCtx, a.db); return err })
	if err != nil {
		a.dbFailed(ctx, "ask the role", err)
		return
	}
	role := RoleWriter
	if inRecovery {
		role = RoleReplica
	}
	if role != a.role {
		a.log.Info("database role", "from", a.role, "to", role, "db", a.cfg.DBEndpoint())
		a.writer.Reset() // a new writer session continues after what the database holds now
		a.role = role
	}
	if role == RoleWriter {
		a.beat(opCtx)
	} else {
		a.measure(opCtx)
	}
}

// connect dials with backoff; it logs every failure, naming the database.
func (a *Agent) connect(ctx context.Context) bool {
	var db *pgx.Conn
	err := a.timed(OpConnect, func() (err error) { db, err = a.conn.connect(ctx); return err })
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		a.backoff = min(max(2*a.backoff, a.cfg.Interval, time.Second), maxBackoff)
		a.nextConnect = time.Now().Add(a.backoff)
		a.log.Error("database unreachable", "db", a.cfg.DBEndpoint(), "error", err, "retryIn", a.backoff)
		a.unreachable(fmt.Sprintf("database %s unreachable: %v", a.cfg.DBEndpoint(), err))
		return false
	}
	if a.backoff > 0 {
		a.log.Info("database reachable again", "db", a.cfg.DBEndpoint())
	} else {
		a.log.Info("connected", "db", a.cfg.DBEndpoint())
	}
	a.db, a.backoff = db, 0
	return true
}

// dbFailed handles a statement failing on an established connection: the
// connection is dropped and the next tick reconnects (then with backoff).
func (a *Agent) dbFailed(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	a.log.Error("database statement failed", "db", a.cfg.DBEndpoint(), "step", what, "error", heartbeat.Describe(err))
	a.closeDB()
	a.unreachable(fmt.Sprintf("database %s: %s: %s", a.cfg.DBEndpoint(), what, heartbeat.Describe(err)))
}

func (a *Agent) closeDB() {
	if a.db != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = a.db.Close(ctx)
		cancel()
		a.db = nil
	}
	a.role = RoleUnknown
}

// unreachable records that the role and delay cannot be known now; nothing
// is published, so the delay alarm (missing data = breaching) goes off.
func (a *Agent) unreachable(msg string) {
	a.role = RoleUnknown
	a.update(func(s *Status) {
		s.Role, s.DelaySeconds, s.LastError = RoleUnknown, nil, msg
	})
}

// beat writes one heartbeat on the writer and publishes it as acknowledged.
func (a *Agent) beat(ctx context.Context) {
	if !a.writer.Seeded() {
		if err := a.timed(OpSeed, func() error { return a.writer.Seed(ctx, a.db) }); err != nil {
			a.dbFailed(ctx, "seed the heartbeat sequence", err)
			return
		}
	}
	var b heartbeat.Beat
	err := a.timed(OpInsert, func() (err error) { b, err = a.writer.Write(ctx, a.db, a.cfg.Cluster); return err })
	if err != nil {
		switch heartbeat.SQLState(err) {
		case heartbeat.SQLStateReadOnly, heartbeat.SQLStateUndefinedTable:
			// Demoted since the role check, or the table was just
			// (re)created: the next tick sorts it out on this connection.
			a.log.Warn("heartbeat not written", "seq", b.Seq, "error", heartbeat.Describe(err))
			a.update(func(s *Status) { s.LastError = fmt.Sprintf("heartbeat %d: %s", b.Seq, heartbeat.Describe(err)) })
		default:
			a.dbFailed(ctx, fmt.Sprintf("write heartbeat %d", b.Seq), err)
		}
		return
	}
	a.update(func(s *Status) {
		s.Role, s.DelaySeconds, s.LastError = RoleWriter, nil, ""
		s.NewestSeq, s.NewestAt, s.NewestWriter = ptr(b.Seq), ptr(b.WrittenAt), b.Writer
		s.AckedSeq, s.AckedAt = ptr(b.Seq), ptr(b.WrittenAt)
	})
	// The acknowledged heartbeat goes to the peer region: the record that
	// outlives this region (cmd/dr-agent/README.md).
	a.peer.add(
		datum(drmetrics.AckedHeartbeatSequence, a.cfg.Cluster, float64(b.Seq), types.StandardUnitNone, 1, b.WrittenAt),
		datum(drmetrics.AckedHeartbeatTime, a.cfg.Cluster, epochSeconds(b.WrittenAt), types.StandardUnitSeconds, 1, b.WrittenAt),
	)
	a.own.add(datum(drmetrics.AgentIsWriter, a.cfg.Cluster, 1, types.StandardUnitNone, 60, b.WrittenAt))
	a.prune(ctx)
}

// prune deletes heartbeats older than the retention, once a minute.
func (a *Agent) prune(ctx context.Context) {
	if time.Since(a.lastPrune) < pruneEvery {
		return
	}
	a.lastPrune = time.Now()
	var n int64
	err := a.timed(OpPrune, func() (err error) { n, err = a.table.Prune(ctx, a.db, time.Now().Add(-a.cfg.Retention)); return err })
	if err != nil {
		a.log.Warn("pruning old heartbeats failed; retried in a minute", "error", heartbeat.Describe(err))
		return
	}
	if n > 0 {
		a.log.Debug("pruned heartbeats", "rows", n, "olderThan", a.cfg.Retention)
	}
}

// measure reads the newest replayed heartbeat: the replication delay is
// now minus its written_at (see package heartbeat for the clock assumption).
func (a *Agent) measure(ctx context.Context) {
	var (
		b     heartbeat.Beat
		found bool
	)
	err := a.timed(OpReadNew, func() (err error) { b, found, err = a.table.Newest(ctx, a.db, ""); return err })
	// "Now" is when the answer came back: the snapshot was taken somewhere
	// during the round trip, so this errs by at most that (well under a
	// millisecond in-region) on the side of a larger delay, never a smaller.
	readAt := time.Now()
	switch {
	case heartbeat.SQLState(err) == heartbeat.SQLStateUndefinedTable:
		a.noDelay(fmt.Sprintf("no heartbeat table %s on this replica yet: is the writer's agent running?", a.table))
		return
	case err != nil:
		a.dbFailed(ctx, "read the newest heartbeat", err)
		return
	case !found:
		a.noDelay(fmt.Sprintf("no heartbeat in %s yet: is the writer's agent running?", a.table))
		return
	}
	// A heartbeat from the future is clock skew beyond Time Sync's bound;
	// the delay is then at most zero, and reported as zero.
	delay := max(0, readAt.Sub(b.WrittenAt)).Seconds()
	a.update(func(s *Status) {
		s.Role, s.LastError = RoleReplica, ""
		s.NewestSeq, s.NewestAt, s.NewestWriter = ptr(b.Seq), ptr(b.WrittenAt), b.Writer
		s.AckedSeq, s.AckedAt = nil, nil
		s.DelaySeconds = ptr(delay)
	})
	a.own.add(
		datum(drmetrics.ReplicationDelay, a.cfg.Cluster, delay, types.StandardUnitSeconds, 1, readAt),
		datum(drmetrics.AgentIsWriter, a.cfg.Cluster, 0, types.StandardUnitNone, 60, readAt),
	)
}

// noDelay: a reachable replica without heartbeats has no delay to report.
func (a *Agent) noDelay(msg string) {
	a.update(func(s *Status) {
		s.Role, s.DelaySeconds, s.LastError = RoleReplica, nil, msg
		s.AckedSeq, s.AckedAt = nil, nil
	})
	a.own.add(datum(drmetrics.AgentIsWriter, a.cfg.Cluster, 0, types.StandardUnitNone, 60, time.Now()))
}

// timed runs one statement and accounts for it.
func (a *Agent) timed(op string, fn func() error) error {
	start := time.Now()
	err := fn()
	d := time.Since(start)
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.stats[op]
	if st == nil {
		st = &OpStats{}
		a.stats[op] = st
	}
	st.Count++
	st.Total += d
	if err != nil {
		st.Errors++
	}
	return err
}

func (a *Agent) update(fn func(*Status)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn(&a.status)
	a.status.UpdatedAt = time.Now().UTC()
}

func (a *Agent) loopAlive() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lastLoop = time.Now()
}

// Status is a copy of the current status.
func (a *Agent) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

// Stats is a copy of the statement accounting.
func (a *Agent) Stats() map[string]OpStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]OpStats, len(a.stats))
	for k, v := range a.stats {
		out[k] = *v
	}
	return out
}

func ptr[T any](v T) *T { return &v }
