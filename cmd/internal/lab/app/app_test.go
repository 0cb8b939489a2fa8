package app

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
)

// startPostgres runs a throwaway PostgreSQL 15 writer (lab/pg) on a free
// loopback port with the app's schema and returns its DSN and an idempotent
// fast-shutdown function. The cluster is closed and its root removed at
// cleanup. It skips the test when the PostgreSQL binaries are missing.
func startPostgres(t *testing.T) (dsn string, stop func()) {
	t.Helper()
	if _, err := pg.BinDir(); err != nil {
		t.Skip(err)
	}
	root, err := pg.TempRoot("app-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	port, err := pg.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := pg.NewWriter(ctx, root, "app", port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if err := db.Exec(ctx, Schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	stop = func() {
		if err := db.Stop(ctx); err != nil {
			t.Errorf("stop postgres: %v", err)
		}
	}
	return db.DSN("postgres"), stop
}

func startEndpoint(t *testing.T, dsn string) *Endpoint {
	t.Helper()
	e, err := Start(Config{Region: "eu-west-1", Listen: "127.0.0.1:0", DSN: dsn})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// call sends a request and returns the status and decoded JSON body,
// checking the region header that every response must carry.
func call(t *testing.T, e *Endpoint, method, path string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("X-Region"); got != "eu-west-1" {
		t.Fatalf("%s %s: X-Region %q", method, path, got)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func expectStatus(t *testing.T, e *Endpoint, method, path string, want int) map[string]any {
	t.Helper()
	got, body := call(t, e, method, path)
	if got != want {
		t.Fatalf("%s %s: status %d (%v), want %d", method, path, got, body, want)
	}
	return body
}

func TestEndpointWithPostgres(t *testing.T) {
	dsn, stopDB := startPostgres(t)
	e := startEndpoint(t, dsn)

	body := expectStatus(t, e, http.MethodGet, "/healthz", http.StatusOK)
	if body["region"] != "eu-west-1" || body["db"] != "writer" {
		t.Fatalf("healthz body %v", body)
	}
	body = expectStatus(t, e, http.MethodPost, "/write?id=1", http.StatusOK)
	if body["id"] != float64(1) || body["region"] != "eu-west-1" {
		t.Fatalf("write body %v", body)
	}
	expectStatus(t, e, http.MethodPost, "/write?id=1", http.StatusConflict)

	e.SetReplicas(0)
	expectStatus(t, e, http.MethodGet, "/healthz", http.StatusServiceUnavailable)
	expectStatus(t, e, http.MethodPost, "/write?id=2", http.StatusServiceUnavailable)
	e.SetReplicas(2)

	if err := e.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	expectStatus(t, e, http.MethodPost, "/write?id=3", http.StatusOK)

	want := Counts{Health: 2, HealthOK: 1, Writes: 4, WritesOK: 2}
	if got := e.Counts(); got != want {
		t.Fatalf("Counts %+v, want %+v", got, want)
	}
	body = expectStatus(t, e, http.MethodGet, "/count", http.StatusOK)
	if body["writes"] != float64(4) || body["writes_ok"] != float64(2) {
		t.Fatalf("/count body %v", body)
	}

	// A database that refuses writes (SQLSTATE 25006, as a hot standby
	// does) is unavailable for writes but still healthy for reads.
	ro := startEndpoint(t, dsn+"&options=-c%20default_transaction_read_only%3Don")
	expectStatus(t, ro, http.MethodGet, "/healthz", http.StatusOK)
	expectStatus(t, ro, http.MethodPost, "/write?id=4", http.StatusServiceUnavailable)

	stopDB()
	expectStatus(t, e, http.MethodGet, "/healthz", http.StatusServiceUnavailable)
	expectStatus(t, e, http.MethodPost, "/write?id=5", http.StatusServiceUnavailable)
}

func TestEndpointWithoutDatabase(t *testing.T) {
	// Nothing listens on port 1, so every database call fails fast.
	e := startEndpoint(t, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable")

	start := time.Now()
	expectStatus(t, e, http.MethodGet, "/healthz", http.StatusServiceUnavailable)
	expectStatus(t, e, http.MethodPost, "/write?id=1", http.StatusServiceUnavailable)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("unreachable database took %v to report", d)
	}
	expectStatus(t, e, http.MethodGet, "/write?id=1", http.StatusMethodNotAllowed)
	expectStatus(t, e, http.MethodPost, "/write?id=x", http.StatusBadRequest)
	expectStatus(t, e, http.MethodGet, "/nope", http.StatusNotFound)

	e.SetReplicas(0)
	if body := expectStatus(t, e, http.MethodGet, "/healthz", http.StatusServiceUnavailable); body["error"] != "no pods" {
		t.Fatalf("replicas 0 body %v", body)
	}
	if e.Replicas() != 0 {
		t.Fatalf("Replicas %d, want 0", e.Replicas())
	}
	if got := e.Counts(); got.Writes != 3 || got.WritesOK != 0 || got.Health != 2 || got.HealthOK != 0 {
		t.Fatalf("Counts %+v", got)
	}
}

func TestCloseFreesPort(t *testing.T) {
	e := startEndpoint(t, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable")
	addr := e.ln.Addr().String()
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port still taken after Close: %v", err)
	}
	l.Close()
	if err := e.Restart(); err == nil {
		t.Fatal("Restart after Close succeeded")
	}
}
