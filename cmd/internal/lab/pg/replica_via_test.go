package pg

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// relay forwards each connection it accepts to target, standing in for the
// network path between the regions, and counts the connections.
type relay struct {
	ln     net.Listener
	target string
	conns  atomic.Int64
}

func startRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go r.serve()
	return r
}

func (r *relay) serve() {
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.conns.Add(1)
		go func() {
			defer in.Close()
			out, err := net.Dial("tcp", r.target)
			if err != nil {
				return
			}
			defer out.Close()
			go func() { _, _ = io.Copy(in, out) }()
			_, _ = io.Copy(out, in)
		}()
	}
}

// TestNewReplicaVia puts a relay on the replication path: the replica must
// take its base backup and stream through it, while staying a replica of
// the writer for Lag and ReplicationSource.
func TestNewReplicaVia(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	root := labRoot(t)
	west, err := NewWriter(ctx, root, "eu-west-1", freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, west)
	via := startRelay(t, west.addr())
	viaPort := via.ln.Addr().(*net.TCPAddr).Port

	central, err := NewReplicaVia(ctx, root, "eu-central-1", freePort(t), west, via.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, central)

	// One connection for the backup, one for its WAL stream, one for the
	// standby's walreceiver.
	if n := via.conns.Load(); n < 3 {
		t.Errorf("relay saw %d connections, want at least 3", n)
	}
	ports, err := central.QueryInt64s(ctx, "SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'")
	if err != nil || len(ports) != 1 || ports[0] != int64(viaPort) {
		t.Fatalf("walreceiver sender ports = %v, %v; want [%d] (the relay)", ports, err, viaPort)
	}
	if got := central.ReplicationSource(); got != west.Name {
		t.Errorf("ReplicationSource = %q, want %q", got, west.Name)
	}
	if err := west.Exec(ctx, "CREATE TABLE drill (id bigint PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if err := west.Exec(ctx, "INSERT INTO drill VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "row 1 on the replica", rowsAre(ctx, central, 1))
	eventually(t, "replica lag 0", func() (bool, error) {
		lag, err := central.Lag(ctx)
		return err == nil && lag == 0, err
	})
}

func TestNewReplicaViaRejectsBadAddress(t *testing.T) {
	requirePostgres(t)
	root := labRoot(t)
	west := &Cluster{Name: "eu-west-1", Port: 1}
	for _, addr := range []string{"", "127.0.0.1", "[::1"} {
		_, err := NewReplicaVia(context.Background(), root, "eu-central-1", 2, west, addr)
		if err == nil {
			t.Errorf("NewReplicaVia via %q succeeded", addr)
		}
		if _, serr := os.Stat(filepath.Join(root, "eu-central-1")); !os.IsNotExist(serr) {
			t.Errorf("via %q left a data directory behind (%v)", addr, serr)
		}
	}
	if _, err := NewReplicaVia(context.Background(), root, "eu-central-1", 2, nil, "127.0.0.1:1"); err == nil {
		t.Error("NewReplicaVia without a source succeeded")
	}
}
