package gameday

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
)

// pgLab is a lab root holding this test's PostgreSQL clusters, run by
// lab/pg. The test is skipped when the PostgreSQL binaries are missing;
// every cluster is closed and the root removed at cleanup.
type pgLab struct {
	t    testing.TB
	root string
}

func newPGLab(t testing.TB) *pgLab {
	t.Helper()
	if _, err := pg.BinDir(); err != nil {
		t.Skip(err)
	}
	root, err := pg.TempRoot("gameday-pg-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	return &pgLab{t: t, root: root}
}

// add creates a cluster with create on a free port and closes it at
// cleanup; on failure the server log is logged.
func (l *pgLab) add(name string, create func(ctx context.Context, root, name string, port int) (*pg.Cluster, error)) *pg.Cluster {
	l.t.Helper()
	port, err := pg.FreePort()
	require.NoError(l.t, err)
	c, err := create(context.Background(), l.root, name, port)
	require.NoError(l.t, err)
	l.t.Cleanup(func() {
		if l.t.Failed() {
			dumpLog(l.t, c)
		}
		assert.NoError(l.t, c.Close(), "cleanup")
	})
	return c
}

// newPrimary starts a writer.
func (l *pgLab) newPrimary() *pg.Cluster {
	return l.add("primary", pg.NewWriter)
}

// newReplica clones primary through addr (a proxy in front of it) and
// streams asynchronously through the same path.
func (l *pgLab) newReplica(primary *pg.Cluster, addr string) *pg.Cluster {
	return l.add("replica", func(ctx context.Context, root, name string, port int) (*pg.Cluster, error) {
		return pg.NewReplicaVia(ctx, root, name, port, primary, addr)
	})
}

func dumpLog(t testing.TB, c *pg.Cluster) {
	if b, err := os.ReadFile(c.LogFile()); err == nil {
		t.Logf("log of %s:\n%s", c.Name, lastBytes(b, 4000))
	}
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
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

func (p *replicationProxy) Addr() string { return p.listener.Addr().String() }

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
