package gameday

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBinDir is Debian's PostgreSQL 15 location; PG_BINDIR overrides it.
func pgBinDir(t testing.TB) string {
	dir := os.Getenv("PG_BINDIR")
	if dir == "" {
		dir = "/usr/lib/postgresql/15/bin"
	}
	if _, err := os.Stat(filepath.Join(dir, "initdb")); err != nil {
		t.Skipf("PostgreSQL binaries not found in %s (install postgresql-15 or set PG_BINDIR): %v", dir, err)
	}
	return dir
}

// pgRunner runs PostgreSQL binaries, dropping to the postgres user when the
// test runs as root because initdb and postgres refuse to run as root.
type pgRunner struct {
	bin  string
	cred *syscall.Credential
	uid  int
	gid  int
}

func newPGRunner(t testing.TB) *pgRunner {
	r := &pgRunner{bin: pgBinDir(t), uid: -1, gid: -1}
	if os.Geteuid() != 0 {
		return r
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("running as root but there is no postgres user to run PostgreSQL as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	r.uid, r.gid = uid, gid
	r.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return r
}

func (r *pgRunner) run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := r.output(name, args...); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func (r *pgRunner) output(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(r.bin, name), args...)
	if r.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	}
	// pg_ctl start leaves the postmaster running with our pipes open;
	// capturing into a buffer via files avoids waiting on them forever.
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return buf.Bytes(), err
}

// tempDir creates a directory the postgres user owns, removed on cleanup.
func (r *pgRunner) tempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "gameday-pg-")
	if err != nil {
		t.Fatalf("create temp dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if r.cred != nil {
		if err := os.Chown(dir, r.uid, r.gid); err != nil {
			t.Fatalf("chown %s: %v", dir, err)
		}
	}
	return dir
}

// pgCluster is one running PostgreSQL instance on a loopback port.
type pgCluster struct {
	r       *pgRunner
	dataDir string
	port    int
	logFile string
}

func (c *pgCluster) DSN() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", c.port)
}

// serverOptions keep the test cluster small and fast; fsync=off is safe
// because an immediate stop kills processes, not the machine.
func (c *pgCluster) serverOptions(socketDir string) string {
	return fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c wal_level=replica -c fsync=off "+
		"-c shared_buffers=16MB -c max_wal_senders=4 -c hot_standby=on -c wal_receiver_status_interval=1s", c.port, socketDir)
}

func (c *pgCluster) start(t testing.TB) {
	t.Helper()
	socketDir := filepath.Dir(c.dataDir)
	c.r.run(t, "pg_ctl", "-D", c.dataDir, "-l", c.logFile, "-w", "-t", "30", "-o", c.serverOptions(socketDir), "start")
	t.Cleanup(func() { c.stopImmediately() })
}

// stopImmediately is SIGQUIT to the postmaster: no checkpoint, no flush to
// replicas, the closest a test gets to pulling the plug. Errors are ignored
// because the cluster may already be down.
func (c *pgCluster) stopImmediately() {
	_, _ = c.r.output("pg_ctl", "-D", c.dataDir, "-m", "immediate", "-w", "stop")
}

func (c *pgCluster) dumpLog(t testing.TB) {
	if b, err := os.ReadFile(c.logFile); err == nil {
		t.Logf("log of %s:\n%s", c.dataDir, lastBytes(b, 4000))
	}
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// newPrimary initialises and starts a primary cluster.
func newPrimary(t testing.TB, r *pgRunner, root string) *pgCluster {
	c := &pgCluster{r: r, dataDir: filepath.Join(root, "primary"), port: freePort(t), logFile: filepath.Join(root, "primary.log")}
	r.run(t, "initdb", "-D", c.dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	c.start(t)
	return c
}

// newReplica clones the primary through sourcePort (the primary itself or a
// proxy in front of it) with pg_basebackup -R, so the standby streams
// asynchronously through the same path.
func newReplica(t testing.TB, r *pgRunner, root string, sourcePort int) *pgCluster {
	c := &pgCluster{r: r, dataDir: filepath.Join(root, "replica"), port: freePort(t), logFile: filepath.Join(root, "replica.log")}
	r.run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(sourcePort), "-U", "postgres",
		"-D", c.dataDir, "-R", "-X", "stream", "--no-sync", "-c", "fast")
	c.start(t)
	return c
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func connect(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// waitFor polls cond until it is true or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// replicationProxy sits between the standby and the primary. Holding it
// models a replication stream that has fallen behind (network trouble, a
// slow standby): the primary keeps acknowledging commits that the standby
// will never receive if the primary dies now. Without it, loopback
// replication is so fast that no acknowledged write is ever lost.
type replicationProxy struct {
	listener net.Listener
	target   string
	gate     sync.RWMutex // write-locked while replication is held
	mu       sync.Mutex
	conns    []net.Conn
	closed   bool
	held     bool
}

func newReplicationProxy(t testing.TB, targetPort int) *replicationProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &replicationProxy{listener: l, target: fmt.Sprintf("127.0.0.1:%d", targetPort)}
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

func (p *replicationProxy) Port() int { return p.listener.Addr().(*net.TCPAddr).Port }

func (p *replicationProxy) accept() {
	for {
		down, err := p.listener.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			down.Close()
			continue
		}
		if !p.track(down, up) {
			return
		}
		go p.pipe(up, down) // primary -> standby: the stream we hold
		go func() { _, _ = io.Copy(up, down) }()
	}
}

func (p *replicationProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	p.conns = append(p.conns, conns...)
	return true
}

// pipe forwards src to dst, waiting at the gate before delivering each chunk.
func (p *replicationProxy) pipe(src, dst net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.gate.RLock()
			_, werr := dst.Write(buf[:n])
			p.gate.RUnlock()
			if werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

// Hold stops delivering WAL to the standby.
func (p *replicationProxy) Hold() {
	p.gate.Lock()
	p.mu.Lock()
	p.held = true
	p.mu.Unlock()
}

// Close drops every connection before releasing the gate, so WAL held back
// is discarded rather than delivered late.
func (p *replicationProxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.listener.Close()
	for _, c := range p.conns {
		c.Close()
	}
	held := p.held
	p.held = false
	p.mu.Unlock()
	if held {
		p.gate.Unlock()
	}
}
