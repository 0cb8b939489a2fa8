// Package app is a stand-in regional TaskFlow endpoint for the local DR
// lab: just enough HTTP surface (health, writes, counters) backed by the
// region's local PostgreSQL to observe a failover from the outside.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Schema is the table /write inserts into; the orchestrator creates it on
// the writer and replication carries it to the standby.
const Schema = `CREATE TABLE IF NOT EXISTS lab_writes(id bigint PRIMARY KEY, written_at timestamptz NOT NULL, region text NOT NULL)`

const (
	healthTimeout   = 1 * time.Second
	writeTimeout    = 2 * time.Second
	connectTimeout  = 1 * time.Second
	shutdownTimeout = 2 * time.Second
	maxPoolConns    = 4
)

// SQLSTATEs that map to specific HTTP answers.
const (
	sqlstateUniqueViolation       = "23505"
	sqlstateReadOnlyTransaction   = "25006"
	sqlstateAdminShutdown         = "57P01"
	sqlstateCannotConnectNow      = "57P03"
	sqlstateConnectionExceptClass = "08"
)

// Config describes one regional endpoint.
type Config struct {
	Region string // "eu-west-1"
	Listen string // "127.0.0.11:18080"
	DSN    string // the region's LOCAL database (pgx DSN)
}

// Counts are the requests an endpoint answered, by kind.
type Counts struct {
	Health   int64 `json:"health"`
	HealthOK int64 `json:"health_ok"`
	Writes   int64 `json:"writes"`
	WritesOK int64 `json:"writes_ok"`
}

// Endpoint is a running regional endpoint. Methods are safe for concurrent use.
type Endpoint struct {
	cfg     Config
	poolCfg *pgxpool.Config
	ln      net.Listener
	srv     *http.Server
	served  chan struct{} // closed when Serve returns

	replicas atomic.Int64
	health   atomic.Int64
	healthOK atomic.Int64
	writes   atomic.Int64
	writesOK atomic.Int64

	mu     sync.RWMutex
	pool   *pgxpool.Pool
	closed bool

	closeOnce sync.Once
	closeErr  error
}

// Start listens on cfg.Listen and serves with one replica. The database
// pool connects lazily, so an endpoint can start while its database is
// down, as pods do.
func Start(cfg Config) (*Endpoint, error) {
	poolCfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("app %s: parse DSN: %w", cfg.Region, err)
	}
	// Short connect timeouts keep a dead database from stalling requests
	// past their own deadlines; a small pool is plenty for the lab.
	if poolCfg.ConnConfig.ConnectTimeout == 0 || poolCfg.ConnConfig.ConnectTimeout > connectTimeout {
		poolCfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	poolCfg.MaxConns = maxPoolConns
	poolCfg.MinConns = 0

	pool, err := pgxpool.NewWithConfig(context.Background(), poolCfg)
	if err != nil {
		return nil, fmt.Errorf("app %s: create pool: %w", cfg.Region, err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("app %s: listen on %q: %w", cfg.Region, cfg.Listen, err)
	}
	e := &Endpoint{cfg: cfg, poolCfg: poolCfg, ln: ln, pool: pool, served: make(chan struct{})}
	e.replicas.Store(1)

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", e.handleHealth)
	mux.HandleFunc("/write", e.handleWrite)
	mux.HandleFunc("GET /count", e.handleCount)
	e.srv = &http.Server{Handler: e.withRegion(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(e.served)
		// Serve only returns ErrServerClosed after Shutdown/Close, and the
		// listener is ours, so there is nothing else worth reporting.
		_ = e.srv.Serve(ln)
	}()
	return e, nil
}

// URL returns the base URL, e.g. "http://127.0.0.11:18080".
func (e *Endpoint) URL() string { return "http://" + e.ln.Addr().String() }

// SetReplicas models "kubectl scale": with 0 the endpoint still accepts
// connections (the load balancer is up) but answers 503 "no pods".
func (e *Endpoint) SetReplicas(n int) { e.replicas.Store(int64(max(n, 0))) }

// Replicas returns the current replica count.
func (e *Endpoint) Replicas() int { return int(e.replicas.Load()) }

// Restart models "kubectl rollout restart": new pods mean new database
// connections, e.g. to pick up a promoted writer behind the same DSN.
func (e *Endpoint) Restart() error {
	fresh, err := pgxpool.NewWithConfig(context.Background(), e.poolCfg)
	if err != nil {
		return fmt.Errorf("app %s: restart: create pool: %w", e.cfg.Region, err)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		fresh.Close()
		return fmt.Errorf("app %s: restart: endpoint closed", e.cfg.Region)
	}
	old := e.pool
	e.pool = fresh
	e.mu.Unlock()
	// Close outside the lock: it waits for in-flight queries on old.
	old.Close()
	return nil
}

// Counts returns the request counters.
func (e *Endpoint) Counts() Counts {
	return Counts{
		Health:   e.health.Load(),
		HealthOK: e.healthOK.Load(),
		Writes:   e.writes.Load(),
		WritesOK: e.writesOK.Load(),
	}
}

// Close stops the HTTP server, freeing the port, then closes the pool. It
// is idempotent; later calls return the first call's result.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := e.srv.Shutdown(ctx); err != nil {
			// Requests still running past the grace period are cut off;
			// the port must be free either way.
			if cerr := e.srv.Close(); cerr != nil {
				e.closeErr = fmt.Errorf("app %s: close server: %w", e.cfg.Region, cerr)
			}
		}
		<-e.served
		e.mu.Lock()
		e.closed = true
		pool := e.pool
		e.mu.Unlock()
		pool.Close()
	})
	return e.closeErr
}

func (e *Endpoint) currentPool() *pgxpool.Pool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.pool
}

// withRegion tags every response, errors and 404s included, so a client
// can always tell which region answered.
func (e *Endpoint) withRegion(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Region", e.cfg.Region)
		next.ServeHTTP(w, r)
	})
}

func (e *Endpoint) handleHealth(w http.ResponseWriter, r *http.Request) {
	e.health.Add(1)
	if e.Replicas() == 0 {
		e.writeError(w, http.StatusServiceUnavailable, "no pods")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	var inRecovery bool
	if err := e.currentPool().QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil {
		e.writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("database: %v", err))
		return
	}
	role := "writer"
	if inRecovery {
		role = "replica"
	}
	e.healthOK.Add(1)
	writeJSON(w, http.StatusOK, map[string]string{"region": e.cfg.Region, "db": role})
}

func (e *Endpoint) handleWrite(w http.ResponseWriter, r *http.Request) {
	// Count before any rejection: the drill asserts that no write request
	// at all reached the old primary, not merely that none succeeded.
	e.writes.Add(1)
	if e.Replicas() == 0 {
		e.writeError(w, http.StatusServiceUnavailable, "no pods")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		e.writeError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	if err != nil {
		e.writeError(w, http.StatusBadRequest, fmt.Sprintf("id: %v", err))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), writeTimeout)
	defer cancel()
	_, err = e.currentPool().Exec(ctx,
		"INSERT INTO lab_writes(id, written_at, region) VALUES ($1, now(), $2)", id, e.cfg.Region)
	if err != nil {
		e.writeError(w, writeErrorStatus(err), fmt.Sprintf("insert id %d: %v", id, err))
		return
	}
	e.writesOK.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "region": e.cfg.Region})
}

// writeErrorStatus maps an INSERT failure to the status a client should see:
// 409 for a duplicate id, 503 whenever the database cannot take writes right
// now (read-only replica, shutting down, unreachable, timed out), and 500 for
// anything else, which points at a lab bug such as a missing table.
func writeErrorStatus(err error) int {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == sqlstateUniqueViolation:
			return http.StatusConflict
		case pgErr.Code == sqlstateReadOnlyTransaction,
			pgErr.Code == sqlstateAdminShutdown,
			pgErr.Code == sqlstateCannotConnectNow,
			strings.HasPrefix(pgErr.Code, sqlstateConnectionExceptClass):
			return http.StatusServiceUnavailable
		}
		return http.StatusInternalServerError
	}
	// No server-side error: the database was unreachable, the connection
	// broke, or the deadline passed.
	return http.StatusServiceUnavailable
}

func (e *Endpoint) handleCount(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, e.Counts())
}

func (e *Endpoint) writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"region": e.cfg.Region, "error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status is already sent; a failed body write means the client
	// went away, which the lab observes from the client side.
	_ = json.NewEncoder(w).Encode(v)
}
