package pg

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func requirePostgres(t *testing.T) {
	t.Helper()
	if _, err := BinDir(); err != nil {
		t.Skip(err)
	}
}

// labRoot is a lab root the postgres user can reach, removed after the test.
func labRoot(t *testing.T) string {
	t.Helper()
	root, err := TempRoot("lab-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	return root
}

func freePort(t *testing.T) int {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// closeOnCleanup closes c at the end of the test even if it fails early.
func closeOnCleanup(t *testing.T, c *Cluster) {
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (last error: %v)", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func rowsAre(ctx context.Context, c *Cluster, want ...int64) func() (bool, error) {
	return func() (bool, error) {
		got, err := c.QueryInt64s(ctx, "SELECT id FROM drill ORDER BY id")
		return err == nil && slices.Equal(got, want), err
	}
}

// timed runs fn, fails the test on error, and logs how long it took.
func timed(t *testing.T, what string, fn func() error) {
	t.Helper()
	start := time.Now()
	if err := fn(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	t.Logf("%s took %v", what, time.Since(start).Round(time.Millisecond))
}

// processesUnder lists pids whose command line mentions root: a postmaster
// carries its data directory in its arguments.
func processesUnder(t *testing.T, root string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to look for leftover processes: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(root)) && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestFailoverAndFailback walks the lab through the runbook: replicate,
// cut the writer's region, promote the replica, rebuild the old writer as
// its replica, take the final snapshot, tear down.
func TestFailoverAndFailback(t *testing.T) {
	requirePostgres(t)
	ctx := context.Background()
	root := labRoot(t)

	var west, central *Cluster
	timed(t, "NewWriter", func() (err error) {
		west, err = NewWriter(ctx, root, "eu-west-1", freePort(t))
		return err
	})
	closeOnCleanup(t, west)
	timed(t, "NewReplica", func() (err error) {
		central, err = NewReplica(ctx, root, "eu-central-1", freePort(t), west)
		return err
	})
	closeOnCleanup(t, central)

	if got := west.ReplicationSource(); got != "" {
		t.Errorf("writer's ReplicationSource = %q, want empty", got)
	}
	if got := central.ReplicationSource(); got != west.Name {
		t.Errorf("replica's ReplicationSource = %q, want %q", got, west.Name)
	}
	if in, err := central.InRecovery(ctx); err != nil || !in {
		t.Fatalf("replica InRecovery = %v, %v; want true", in, err)
	}
	if lag, err := central.Lag(ctx); err != nil {
		t.Errorf("Lag of a fresh replica: %v", err)
	} else {
		t.Logf("lag of the fresh replica before any write: %v", lag)
	}
	if _, err := west.Lag(ctx); err == nil {
		t.Error("Lag on the writer succeeded, want an error")
	}

	if err := west.Exec(ctx, "CREATE TABLE drill (id bigint PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if err := west.Exec(ctx, "INSERT INTO drill VALUES ($1)", 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "row 1 on the replica", rowsAre(ctx, central, 1))
	eventually(t, "replica lag 0", func() (bool, error) {
		lag, err := central.Lag(ctx)
		return err == nil && lag == 0, err
	})

	// Failover: the writer's region is cut.
	westPid := west.Pid()
	if westPid == 0 {
		t.Fatal("running writer has Pid 0")
	}
	timed(t, "StopImmediate writer", func() error { return west.StopImmediate(ctx) })
	if err := west.StopImmediate(ctx); err != nil {
		t.Errorf("second StopImmediate: %v", err)
	}
	if west.Running() || west.Pid() != 0 || alive(westPid) {
		t.Fatalf("writer still running after StopImmediate (Running=%v Pid=%d)", west.Running(), west.Pid())
	}
	if _, err := central.Lag(ctx); err != nil {
		t.Errorf("Lag with the writer down: %v", err)
	}
	timed(t, "Promote", func() error { return central.Promote(ctx) })
	if err := central.Promote(ctx); err != nil {
		t.Errorf("second Promote: %v", err)
	}
	if got := central.ReplicationSource(); got != "" {
		t.Errorf("promoted ReplicationSource = %q, want empty", got)
	}
	if err := central.Exec(ctx, "INSERT INTO drill VALUES (2)"); err != nil {
		t.Fatalf("write on the promoted replica: %v", err)
	}

	// Failback: the diverged old writer becomes a replica of the new one.
	timed(t, "RebuildAsReplicaOf", func() error { return west.RebuildAsReplicaOf(ctx, central) })
	if got := west.ReplicationSource(); got != central.Name {
		t.Errorf("rebuilt ReplicationSource = %q, want %q", got, central.Name)
	}
	if err := central.Exec(ctx, "INSERT INTO drill VALUES (3)"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "rows 1-3 on the rebuilt replica", rowsAre(ctx, west, 1, 2, 3))
	eventually(t, "rebuilt replica lag 0", func() (bool, error) {
		lag, err := west.Lag(ctx)
		return err == nil && lag == 0, err
	})
	olds, err := west.OldDirs()
	if err != nil || len(olds) != 1 || !strings.HasPrefix(filepath.Base(olds[0]), "eu-west-1.old-") {
		t.Fatalf("OldDirs = %v, %v; want one eu-west-1.old-*", olds, err)
	}
	if _, err := os.Stat(filepath.Join(olds[0], "PG_VERSION")); err != nil {
		t.Errorf("moved-aside data directory is not a data directory: %v", err)
	}

	snapshot := filepath.Join(t.TempDir(), "final.dump")
	timed(t, "Snapshot", func() error { return central.Snapshot(ctx, snapshot) })
	if fi, err := os.Stat(snapshot); err != nil || fi.Size() == 0 {
		t.Fatalf("snapshot %s: %v (size %v)", snapshot, err, fi)
	}

	pids := []int{west.Pid(), central.Pid()}
	for _, c := range []*Cluster{west, central} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close of %s: %v", c.Name, err)
		}
		if c.Pid() != 0 || c.Running() {
			t.Errorf("%s still running after Close", c.Name)
		}
		for _, dir := range append(olds, c.Dir) {
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s still exists after Close (%v)", dir, err)
			}
		}
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("postmaster %d still alive after Close", pid)
		}
	}
	// Backends exit on their own once the postmaster is gone; give them a
	// moment.
	eventually(t, "no process of the lab left", func() (bool, error) {
		return len(processesUnder(t, root)) == 0, nil
	})
}

// TestNewWriterLeavesNothingOnFailure starts a writer on a port that is
// taken: the server cannot bind, and the error path must clean up.
func TestNewWriterLeavesNothingOnFailure(t *testing.T) {
	requirePostgres(t)
	root := labRoot(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	_, err = NewWriter(context.Background(), root, "eu-west-1", port)
	if err == nil {
		t.Fatal("NewWriter on a taken port succeeded")
	}
	t.Logf("expected error: %v", err)
	if _, err := os.Stat(filepath.Join(root, "eu-west-1")); !os.IsNotExist(err) {
		t.Errorf("data directory left behind (%v)", err)
	}
	if pids := processesUnder(t, root); len(pids) != 0 {
		t.Errorf("processes left behind: %v", pids)
	}
}

func TestNewWriterRefusesExistingDir(t *testing.T) {
	requirePostgres(t)
	root := labRoot(t)
	dir := filepath.Join(root, "eu-west-1")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := NewWriter(context.Background(), root, "eu-west-1", freePort(t)); err == nil {
		t.Fatal("NewWriter over an existing directory succeeded")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("existing directory was removed: %v", err)
	}
}

// TestUnreachableRoot: as root, t.TempDir's 0700 parent keeps the postgres
// user out, and NewWriter must say so rather than fail inside initdb.
func TestUnreachableRoot(t *testing.T) {
	requirePostgres(t)
	if os.Geteuid() != 0 {
		t.Skip("only root drops to the postgres user")
	}
	_, err := NewWriter(context.Background(), t.TempDir(), "eu-west-1", freePort(t))
	if err == nil || !strings.Contains(err.Error(), "TempRoot") {
		t.Fatalf("NewWriter under t.TempDir = %v, want an error pointing to TempRoot", err)
	}
}

func TestBinDirNamesThePackage(t *testing.T) {
	t.Setenv("PG_BINDIR", t.TempDir())
	_, err := BinDir()
	if err == nil || !strings.Contains(err.Error(), "postgresql-15") {
		t.Fatalf("BinDir with no initdb = %v, want an error naming postgresql-15", err)
	}
}

func TestDSN(t *testing.T) {
	c := &Cluster{Name: "eu-west-1", Port: 54321}
	want := "postgres://postgres@127.0.0.1:54321/app?sslmode=disable&connect_timeout=2"
	if got := c.DSN("app"); got != want {
		t.Errorf("DSN = %q, want %q", got, want)
	}
}

func TestQuote(t *testing.T) {
	if got, want := quote(`/tmp/it's\x`), `'/tmp/it''s\\x'`; got != want {
		t.Errorf("quote = %s, want %s", got, want)
	}
}
