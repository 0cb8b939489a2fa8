package pg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pollInterval paces waits for streaming and promotion: short enough not to
// inflate the lab's measured RTO, long enough not to spin.
const pollInterval = 50 * time.Millisecond

// maxSocketPath is the longest Unix socket path Linux accepts (sun_path is
// 108 bytes including the terminating NUL).
const maxSocketPath = 107

// labConf is the file, included from postgresql.conf, that holds the lab's
// settings. Keeping them apart means a clone made by pg_basebackup, which
// copies the source's configuration, only needs this file rewritten to get
// its own port and socket directory.
const labConf = "lab.conf"

// Cluster is one PostgreSQL instance of the lab. Dir is its data directory;
// it listens on 127.0.0.1:Port and keeps its Unix socket in Dir.
//
// Lifecycle methods (Start, Stop, Promote, RebuildAsReplicaOf, Close) must
// not run concurrently on the same Cluster; queries and Lag may run
// alongside them.
type Cluster struct {
	Name string
	Dir  string
	Port int

	r *runner

	mu     sync.Mutex
	source *Cluster // the cluster it streams from; nil for a writer
}

// NewWriter creates a writer: initdb in root/name, the lab configuration,
// started and accepting connections. On error nothing is left behind.
func NewWriter(ctx context.Context, root, name string, port int) (*Cluster, error) {
	c, err := newCluster(root, name, port)
	if err != nil {
		return nil, fmt.Errorf("new writer %s: %w", name, err)
	}
	if err := c.initWriter(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("new writer %s: %w", name, err), c.Close())
	}
	return c, nil
}

// NewReplica creates an asynchronous streaming replica of source in
// root/name and returns once source reports it streaming. On error nothing
// is left behind.
func NewReplica(ctx context.Context, root, name string, port int, source *Cluster) (*Cluster, error) {
	if source == nil {
		return nil, fmt.Errorf("new replica %s: no source cluster", name)
	}
	return newReplica(ctx, root, name, port, source, source.addr(), "")
}

// NewReplicaVia is NewReplica with the replica reaching source at
// sourceAddr ("host:port") instead of source's own address: both the base
// backup and the streaming connection (primary_conninfo) go there, so a
// proxy listening at sourceAddr sits on the replication path and can delay
// or cut it. Source itself is still queried directly, to wait for streaming
// and for Lag. On error nothing is left behind.
func NewReplicaVia(ctx context.Context, root, name string, port int, source *Cluster, sourceAddr string) (*Cluster, error) {
	if source == nil {
		return nil, fmt.Errorf("new replica %s: no source cluster", name)
	}
	if _, _, err := net.SplitHostPort(sourceAddr); err != nil {
		return nil, fmt.Errorf("new replica %s of %s: source address: %w", name, source.Name, err)
	}
	return newReplica(ctx, root, name, port, source, sourceAddr, " via "+sourceAddr)
}

// newReplica clones source through sourceAddr; via qualifies its errors.
func newReplica(ctx context.Context, root, name string, port int, source *Cluster, sourceAddr, via string) (*Cluster, error) {
	c, err := newCluster(root, name, port)
	if err != nil {
		return nil, fmt.Errorf("new replica %s of %s%s: %w", name, source.Name, via, err)
	}
	if err := c.cloneFrom(ctx, source, sourceAddr); err != nil {
		return nil, errors.Join(fmt.Errorf("new replica %s of %s%s: %w", name, source.Name, via, err), c.Close())
	}
	return c, nil
}

// newCluster validates the arguments and creates the empty data directory,
// so that the constructors' cleanup on error only ever removes what they made.
func newCluster(root, name string, port int) (*Cluster, error) {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return nil, fmt.Errorf("cluster name %q must be a plain directory name", name)
	}
	if port <= 0 || port > 65535 {
		return nil, fmt.Errorf("port %d out of range", port)
	}
	r, err := newRunner()
	if err != nil {
		return nil, err
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolve lab root: %w", err)
	}
	c := &Cluster{Name: name, Dir: filepath.Join(root, name), Port: port, r: r}
	if sock := filepath.Join(c.Dir, fmt.Sprintf(".s.PGSQL.%d", port)); len(sock) > maxSocketPath {
		return nil, fmt.Errorf("socket path %s is longer than %d bytes; use a shorter lab root", sock, maxSocketPath)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create lab root: %w", err)
	}
	if err := r.checkReachable(root); err != nil {
		return nil, err
	}
	if err := r.mkdirOwned(c.Dir); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cluster) initWriter(ctx context.Context) error {
	if err := c.r.run(ctx, nil, "initdb", "-D", c.Dir, "-U", "postgres", "--auth=trust",
		"--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		return err
	}
	conf := filepath.Join(c.Dir, "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", conf, err)
	}
	// Last, so the lab's settings override initdb's.
	_, err = fmt.Fprintf(f, "\ninclude '%s'\n", labConf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append include to %s: %w", conf, err)
	}
	if err := c.configure(); err != nil {
		return err
	}
	return c.Start(ctx)
}

// cloneFrom fills the empty c.Dir with a base backup of source, taken and
// later streamed through sourceAddr, starts it as a standby and waits until
// source streams to it. On error the server may be left running; callers
// stop it.
func (c *Cluster) cloneFrom(ctx context.Context, source *Cluster, sourceAddr string) error {
	// -R writes standby.signal and primary_conninfo (from the DSN, so the
	// replica reconnects with the same short connect_timeout); -X stream
	// copies the WAL written during the backup so the clone is consistent.
	if err := c.r.run(ctx, nil, "pg_basebackup", "-d", dsnAt(sourceAddr, "postgres"), "-D", c.Dir,
		"-R", "-X", "stream", "-c", "fast", "--no-sync"); err != nil {
		return err
	}
	if err := removeSocketFiles(c.Dir); err != nil {
		return err
	}
	if err := c.configure(); err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return err
	}
	if err := c.waitStreaming(ctx, source); err != nil {
		return err
	}
	c.setSource(source)
	return nil
}

// removeSocketFiles deletes the source's Unix socket lock files that
// pg_basebackup copies along, because the socket directory is the data
// directory. Left there, they name the source's postmaster, and a clone
// reusing that port (a rebuilt old writer) refuses to start while any process
// holds that pid.
func removeSocketFiles(dir string) error {
	files, err := withPrefix(dir, ".s.PGSQL.")
	if err != nil {
		return fmt.Errorf("find copied socket files: %w", err)
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("remove copied socket file: %w", err)
		}
	}
	return nil
}

// withPrefix lists the entries of dir whose names start with prefix; none if
// dir does not exist. (Not filepath.Glob: the lab root may contain pattern
// characters.)
func withPrefix(dir, prefix string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	return paths, nil
}

// configure writes the lab's settings for this cluster and gives it a fresh
// log directory (a clone arrives with a copy of its source's log).
func (c *Cluster) configure() error {
	settings := []struct{ key, value string }{
		// cluster_name is also the walreceiver's application_name, which is
		// how waitStreaming finds this replica in pg_stat_replication.
		{"cluster_name", quote(c.Name)},
		{"listen_addresses", "'127.0.0.1'"},
		{"port", strconv.Itoa(c.Port)},
		{"unix_socket_directories", quote(c.Dir)},
		{"wal_level", "replica"},
		{"max_wal_senders", "10"},
		{"wal_keep_size", "'256MB'"},
		{"hot_standby", "on"},
		// Safe here: an immediate stop kills processes, not the machine.
		{"fsync", "off"},
		// Local durability only: no synchronous_standby_names, so
		// replication stays asynchronous as in the real deployment.
		{"synchronous_commit", "on"},
		// Report replay promptly so pg_stat_replication reflects it.
		{"wal_receiver_status_interval", "'1s'"},
	}
	var b strings.Builder
	b.WriteString("# Written by lab/pg for this cluster; rewritten whenever it is recloned.\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "%s = %s\n", s.key, s.value)
	}
	if err := c.r.writeOwned(filepath.Join(c.Dir, labConf), []byte(b.String())); err != nil {
		return err
	}
	logDir := filepath.Dir(c.LogFile())
	if err := os.RemoveAll(logDir); err != nil {
		return fmt.Errorf("reset log directory: %w", err)
	}
	return c.r.mkdirOwned(logDir)
}

// quote renders s as a postgresql.conf string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

// LogFile is the server log, <Dir>/log/postgresql.log.
func (c *Cluster) LogFile() string {
	return filepath.Join(c.Dir, "log", "postgresql.log")
}

// logTail returns the end of the server log for error messages, since
// pg_ctl's own output only says to look there.
func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.LogFile())
	if err != nil || len(b) == 0 {
		return ""
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "\nserver log " + c.LogFile() + ":\n" + string(bytes.TrimSpace(b))
}

// DSN is a libpq URL for database on this cluster.
func (c *Cluster) DSN(database string) string {
	return dsnAt(c.addr(), database)
}

// addr is the cluster's TCP address, 127.0.0.1:Port.
func (c *Cluster) addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port))
}

// dsnAt is a libpq URL for database on the server at addr ("host:port").
func dsnAt(addr, database string) string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable&connect_timeout=2", addr, database)
}

// Start starts the server and waits until it accepts connections (read-only
// ones for a standby). Starting a running cluster does nothing. If ctx ends
// first, the server may still come up: Close or StopImmediate it.
func (c *Cluster) Start(ctx context.Context) error {
	if c.Running() {
		return nil
	}
	if err := c.pgCtl(ctx, "start", "-l", c.LogFile()); err != nil {
		return fmt.Errorf("start %s: %w%s", c.Name, err, c.logTail())
	}
	return nil
}

// StopImmediate kills the server without a checkpoint or a last WAL flush to
// replicas: the region is cut. Stopping a stopped cluster does nothing.
func (c *Cluster) StopImmediate(ctx context.Context) error {
	return c.stop(ctx, "immediate")
}

// Stop shuts the server down cleanly (fast mode: sessions are disconnected,
// a checkpoint is written). Stopping a stopped cluster does nothing.
func (c *Cluster) Stop(ctx context.Context) error {
	return c.stop(ctx, "fast")
}

func (c *Cluster) stop(ctx context.Context, mode string) error {
	if !c.Running() {
		return nil
	}
	if err := c.pgCtl(ctx, "stop", "-m", mode); err != nil {
		return fmt.Errorf("stop %s (%s): %w", c.Name, mode, err)
	}
	return nil
}

// pgCtl runs a waiting pg_ctl action on this cluster.
func (c *Cluster) pgCtl(ctx context.Context, action string, args ...string) error {
	args = append([]string{action, "-D", c.Dir, "-w", "-t", strconv.Itoa(int(DefaultTimeout / time.Second))}, args...)
	return c.r.run(ctx, nil, "pg_ctl", args...)
}

// Running reports whether the server is up (pg_ctl status).
func (c *Cluster) Running() bool {
	return c.r.run(context.Background(), nil, "pg_ctl", "status", "-D", c.Dir) == nil
}

// Pid is the postmaster's pid, 0 if it is not running.
func (c *Cluster) Pid() int {
	b, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	pid, err := strconv.Atoi(string(bytes.TrimSpace(first)))
	// A crashed postmaster (SIGKILL) leaves its pid file behind.
	if err != nil || !alive(pid) {
		return 0
	}
	return pid
}

// InRecovery reports whether the cluster is a standby.
func (c *Cluster) InRecovery(ctx context.Context) (bool, error) {
	var in bool
	err := c.withConn(ctx, "postgres", func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&in)
	})
	if err != nil {
		return false, fmt.Errorf("is %s in recovery: %w", c.Name, err)
	}
	return in, nil
}

// Promote turns a running standby into a writer and returns once it accepts
// writes. Promoting a writer does nothing.
func (c *Cluster) Promote(ctx context.Context) error {
	in, err := c.InRecovery(ctx)
	if err != nil {
		return fmt.Errorf("promote: %w", err)
	}
	if in {
		if err := c.pgCtl(ctx, "promote"); err != nil {
			return fmt.Errorf("promote %s: %w", c.Name, err)
		}
		// pg_ctl returns when the control file says "in production", a
		// moment before sessions see recovery end.
		err := poll(ctx, c.Name+" to leave recovery", func(ctx context.Context) (bool, error) {
			in, err := c.InRecovery(ctx)
			return err == nil && !in, err
		})
		if err != nil {
			return fmt.Errorf("promote %s: %w", c.Name, err)
		}
	}
	c.setSource(nil)
	return nil
}

// ReplicationSource is the Name of the cluster this one replicates, "" for a
// writer.
func (c *Cluster) ReplicationSource() string {
	if s := c.getSource(); s != nil {
		return s.Name
	}
	return ""
}

func (c *Cluster) getSource() *Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.source
}

func (c *Cluster) setSource(s *Cluster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.source = s
}

// RebuildAsReplicaOf discards this cluster's timeline and reclones it from
// source (the failback rebuild): it is stopped immediately if running, its
// data directory is moved aside to <Dir>.old-<unix seconds> as evidence of
// the diverged writer (Close removes it), and a base backup of source is
// started and waited on until streaming. On error the cluster is stopped and
// the moved-aside directory stays where it is.
func (c *Cluster) RebuildAsReplicaOf(ctx context.Context, source *Cluster) error {
	if source == nil {
		return fmt.Errorf("rebuild %s: no source cluster", c.Name)
	}
	if source == c {
		return fmt.Errorf("rebuild %s: cannot replicate itself", c.Name)
	}
	if err := c.rebuild(ctx, source); err != nil {
		return errors.Join(fmt.Errorf("rebuild %s as replica of %s: %w", c.Name, source.Name, err), c.StopImmediate(ctx))
	}
	return nil
}

func (c *Cluster) rebuild(ctx context.Context, source *Cluster) error {
	if err := c.StopImmediate(ctx); err != nil {
		return err
	}
	c.setSource(nil)
	old, err := c.moveAside()
	if err != nil {
		return err
	}
	if err := c.r.mkdirOwned(c.Dir); err != nil {
		return fmt.Errorf("after moving the old data directory to %s: %w", old, err)
	}
	return c.cloneFrom(ctx, source, source.addr())
}

// moveAside renames Dir to a fresh <Dir>.old-<unix> and returns that name.
func (c *Cluster) moveAside() (string, error) {
	// Two rebuilds within a second get successive numbers rather than
	// overwriting the first one's evidence.
	for n := time.Now().Unix(); ; n++ {
		old := fmt.Sprintf("%s.old-%d", c.Dir, n)
		if _, err := os.Lstat(old); err == nil {
			continue
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("check %s: %w", old, err)
		}
		if err := os.Rename(c.Dir, old); err != nil {
			return "", fmt.Errorf("move old data directory aside: %w", err)
		}
		return old, nil
	}
}

// OldDirs lists the data directories moved aside by RebuildAsReplicaOf.
func (c *Cluster) OldDirs() ([]string, error) {
	dirs, err := withPrefix(filepath.Dir(c.Dir), filepath.Base(c.Dir)+".old-")
	if err != nil {
		return nil, fmt.Errorf("list old data directories of %s: %w", c.Name, err)
	}
	return dirs, nil
}

// waitStreaming waits until source reports this cluster's walreceiver
// streaming.
func (c *Cluster) waitStreaming(ctx context.Context, source *Cluster) error {
	return poll(ctx, fmt.Sprintf("%s to stream from %s", c.Name, source.Name), func(ctx context.Context) (bool, error) {
		n, err := source.QueryInt64s(ctx,
			"SELECT count(*) FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'", c.Name)
		return err == nil && len(n) == 1 && n[0] > 0, err
	})
}

// Lag is how far this replica is behind its source: 0 when it has replayed
// everything the source has written, otherwise the age of the last replayed
// transaction. An unreachable source (the writer's region is down) counts as
// not caught up. It fails on a writer.
func (c *Cluster) Lag(ctx context.Context) (time.Duration, error) {
	// Read the source first: a source position taken after the replica's
	// could only make a lagging replica look caught up.
	var sourceLSN *string
	if src := c.getSource(); src != nil {
		_ = src.withConn(ctx, "postgres", func(ctx context.Context, conn *pgx.Conn) error {
			return conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&sourceLSN)
		})
	}
	var (
		inRecovery, caughtUp bool
		seconds              float64
	)
	err := c.withConn(ctx, "postgres", func(ctx context.Context, conn *pgx.Conn) error {
		// Nothing is pending when the receive position is not ahead of
		// replay; right after startup it may even be behind, because the
		// walreceiver restarts streaming from the start of the segment.
		// Without any replayed transaction yet, the time since startup is
		// the honest upper bound.
		return conn.QueryRow(ctx, `SELECT pg_is_in_recovery(),
			coalesce(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), true)
				AND coalesce(pg_last_wal_replay_lsn() = $1::text::pg_lsn, false),
			coalesce(extract(epoch FROM now() - coalesce(pg_last_xact_replay_timestamp(), pg_postmaster_start_time())), 0)::float8`,
			sourceLSN).Scan(&inRecovery, &caughtUp, &seconds)
	})
	if err != nil {
		return 0, fmt.Errorf("lag of %s: %w", c.Name, err)
	}
	if !inRecovery {
		return 0, fmt.Errorf("lag of %s: it is a writer, not a replica", c.Name)
	}
	if caughtUp || seconds < 0 {
		return 0, nil
	}
	return time.Duration(seconds * float64(time.Second)), nil
}

// Snapshot writes a custom-format pg_dump of database "postgres" to file
// (the failback's final snapshot). The file is written by this process, so
// its directory need not be writable by the postgres user.
func (c *Cluster) Snapshot(ctx context.Context, file string) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", c.Name, err)
	}
	err = c.r.run(ctx, f, "pg_dump", "-Fc", "-d", c.DSN("postgres"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// A partial dump must not pass for a final snapshot.
		os.Remove(file)
		return fmt.Errorf("snapshot %s to %s: %w", c.Name, file, err)
	}
	return nil
}

// Exec runs a statement on database "postgres".
func (c *Cluster) Exec(ctx context.Context, sql string, args ...any) error {
	err := c.withConn(ctx, "postgres", func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, sql, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("exec on %s: %w", c.Name, err)
	}
	return nil
}

// QueryInt64s runs a query on database "postgres" that returns a single
// integer column and returns its values, one per row.
func (c *Cluster) QueryInt64s(ctx context.Context, sql string, args ...any) ([]int64, error) {
	var values []int64
	err := c.withConn(ctx, "postgres", func(ctx context.Context, conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		values, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("query on %s: %w", c.Name, err)
	}
	return values, nil
}

// withConn runs fn on a fresh connection. The lab talks to clusters that are
// killed and restarted under it, so it keeps no connection between calls.
func (c *Cluster) withConn(ctx context.Context, database string, fn func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN(database))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return fn(ctx, conn)
}

// Close stops the server immediately and removes its data directory and any
// moved aside by RebuildAsReplicaOf. Closing twice does nothing more.
func (c *Cluster) Close() error {
	var errs []error
	if err := c.StopImmediate(context.Background()); err != nil {
		errs = append(errs, fmt.Errorf("close %s: %w", c.Name, err))
	}
	olds, err := c.OldDirs()
	if err != nil {
		errs = append(errs, fmt.Errorf("close %s: %w", c.Name, err))
	}
	for _, dir := range append(olds, c.Dir) {
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", c.Name, err))
		}
	}
	return errors.Join(errs...)
}

// poll calls cond until it holds, under DefaultTimeout unless ctx ends
// sooner; the timeout error carries cond's last error.
func poll(ctx context.Context, what string, cond func(context.Context) (bool, error)) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("waiting for %s: %w (last error: %w)", what, ctx.Err(), err)
			}
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}
