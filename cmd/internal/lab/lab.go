// Package lab is the local DR rehearsal: two PostgreSQL clusters in
// asynchronous streaming replication on loopback (the primary region's
// writer and the standby region's replica), two stand-in regional app
// endpoints, a DNS-failover simulator playing Route 53, the real Pulumi CLI
// on a local file backend holding lab stacks, and shims that answer the
// exact aws, kubectl, getent and curl calls runbooks/bin/dr makes, backed by
// the lab. The runbook scripts run unmodified against it.
package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/app"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/relay"
)

// region is one stand-in region: its database, its app endpoint and what
// the lab's AWS and Kubernetes pretend about it.
type region struct {
	stack string // Pulumi stack: primary | standby
	name  string // AWS region: eu-west-1 | eu-central-1
	ip    netip.Addr

	db        *pg.Cluster
	dbGen     int  // bumped by a rebuild: a replaced instance gets a new identifier
	protected bool // deletion protection, as `pulumi up` last set it
	app       *app.Endpoint

	replicas   int    // the taskflow deployment's replicas
	annotation string // taskflow.dr/replicas-before-pause
	asg        [3]int // min, desired, max
	albName    string
}

func (r *region) dbInstanceID() string { return fmt.Sprintf("lab-%s-db-%d", r.stack, r.dbGen) }
func (r *region) dbArn() string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", r.name, account, r.dbInstanceID())
}

const account = "000000000000"

// Lab is a running lab. Its controller answers the shims; all state
// changes go through mu, so a runbook step sees a consistent lab.
type Lab struct {
	opts Options

	mu       sync.Mutex
	regions  map[string]*region // by stack name
	sim      *legacySim
	relay    *relay.Relay // the cross-region link of the replication, when simulated
	snaps    []string     // snapshot files, by name order
	stacks   *pulumiStacks
	appPort  int
	control  *http.Server
	ctlAddr  string
	shutdown []func() error
}

// byRegion finds the region for an AWS region name.
func (l *Lab) byRegion(name string) (*region, bool) {
	for _, r := range l.regions {
		if r.name == name {
			return r, true
		}
	}
	return nil, false
}

// byDB finds the region whose database has the identifier, in awsRegion.
func (l *Lab) byDB(awsRegion, id string) (*region, error) {
	r, ok := l.byRegion(awsRegion)
	if !ok || r.dbInstanceID() != id {
		return nil, fmt.Errorf("An error occurred (DBInstanceNotFound) when calling the DescribeDBInstances operation: DBInstance %s not found.", id)
	}
	return r, nil
}

// peerOf is the other region.
func (l *Lab) peerOf(r *region) *region {
	for _, o := range l.regions {
		if o != r {
			return o
		}
	}
	return nil
}

// cutPrimary is the outage: the primary region's endpoint and database go
// down at once, and the cross-region link with them, so WAL still in
// flight to the standby is lost as it would be.
func (l *Lab) cutPrimary(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	primary := l.regions["primary"]
	var errs []error
	if l.relay != nil {
		errs = append(errs, l.relay.Close())
	}
	errs = append(errs, primary.app.Close(), primary.db.StopImmediate(ctx))
	return errors.Join(errs...)
}

// startControl serves the shims on a loopback port.
func (l *Lab) startControl() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("lab controller: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /exec", l.handleExec)
	l.control = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	l.ctlAddr = ln.Addr().String()
	go func() { _ = l.control.Serve(ln) }()
	l.onShutdown(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return l.control.Shutdown(ctx)
	})
	return nil
}

func (l *Lab) handleExec(w http.ResponseWriter, req *http.Request) {
	var in execRequest
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out := l.exec(req.Context(), in)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// exec runs one shimmed command against the lab: only `pulumi up` is
// left here (pulumi.go's reconciler, which the lead replaces with the real
// program through the real engine). aws, kubectl, getent and curl are
// package shim's, on package labenv's stage.
func (l *Lab) exec(ctx context.Context, in execRequest) execResponse {
	l.opts.Logf("shim: %s %v", in.Tool, in.Args)
	if in.Tool != "pulumi" {
		return execResponse{Stderr: fmt.Sprintf("drlab: no shim for %s in the old rehearsal\n", in.Tool), Code: 127}
	}
	stdout, err := l.pulumiUp(ctx, in.Args)
	if err != nil {
		code := 254
		var ce *codeError
		if errors.As(err, &ce) {
			code = ce.code
		}
		return execResponse{Stdout: stdout, Stderr: err.Error() + "\n", Code: code}
	}
	return execResponse{Stdout: stdout}
}

// codeError is a shim failure with the exit status the real tool would
// have used (curl's 22 and 7, for example).
type codeError struct {
	code int
	msg  string
}

func (e *codeError) Error() string { return e.msg }

// onShutdown registers teardown work, run in reverse order by Close.
func (l *Lab) onShutdown(f func() error) { l.shutdown = append(l.shutdown, f) }

// Close tears everything down, last started first, and reports every
// failure: the lab must leave no process and no file behind.
func (l *Lab) Close() error {
	var errs []error
	for i := len(l.shutdown) - 1; i >= 0; i-- {
		if err := l.shutdown[i](); err != nil {
			errs = append(errs, err)
		}
	}
	l.shutdown = nil
	return errors.Join(errs...)
}

// reachable fails like the AWS CLI does when a region's API is down: in the
// old rehearsal, a region is down while its database is stopped.
func (l *Lab) reachable(awsRegion string) error {
	r, ok := l.byRegion(awsRegion)
	if !ok {
		return fmt.Errorf("drlab: no region %s in the lab", awsRegion)
	}
	if !r.db.Running() {
		return &codeError{code: 255, msg: fmt.Sprintf("Could not connect to the endpoint URL: \"https://rds.%s.amazonaws.com/\" (the lab's %s is down)", awsRegion, awsRegion)}
	}
	return nil
}

// waitUntil polls cond every step until it holds or the timeout passes.
func waitUntil(ctx context.Context, timeout, step time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(step):
		}
	}
}
