// Package cloud is the lab's AWS: the state and the rules of the services
// that the DR program (through the lab's Pulumi provider plugins), the
// runbook (through the real AWS CLI) and the DR agent (through the AWS SDK
// for Go v2) use, with AWS's slow operations timed as on AWS and divided
// by the lab's scale factor.
//
// One implementation serves two front ends: the JSON RPC (cmd/internal/lab/engine/README.md)
// (package cloud/rpc) and the AWS wire protocols (package awsapi). Both
// look an operation up with Lookup and run it with Call, so a promotion
// made by the CLI is what the next provider refresh reads.
//
// Operations take and return the AWS API's own shapes: Go structs whose
// JSON names are the members of the API reference (DBInstanceIdentifier,
// scalingConfig, …). Each rule a handler enforces cites its source. Errors
// are *Error values carrying AWS's error code.
//
// The data plane is real where the runbook's correctness depends on it:
// every RDS instance is a PostgreSQL 15 cluster (lab/pg), a read replica
// streams from its source, promotion promotes it, ReplicaLag is read from
// the replica. Route 53's health checks probe the lab's stand-in endpoints
// and answer DNS (package dnssim serves it). Node groups drive a node list
// with boot latency that the lab's kubectl answers from.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"sync"
	"time"
)

// DefaultAccount is the lab's AWS account id.
const DefaultAccount = "000000000000"

// Options configure a Cloud.
type Options struct {
	// Regions are the regions with regional services (RDS, EKS, CloudWatch,
	// Secrets Manager, ECR, Auto Scaling). Route 53 is global; its control
	// plane counts as us-east-1, which need not be listed.
	Regions []string
	// Account is the account id in ARNs (DefaultAccount when empty).
	Account string
	// Scale divides every modelled AWS duration (Timings, alarm periods,
	// health-check intervals, the RDS metric period): 10 turns a five-minute
	// promotion into thirty seconds. At least 1.
	Scale int
	// Timings are AWS's durations before scaling; zero fields take the
	// sourced defaults of DefaultTimings.
	Timings Timings
	// Dir holds the databases' data directories and the snapshots. It must
	// be short (PostgreSQL's socket paths) and reachable by the postgres
	// user when running as root; see pg.TempRoot.
	Dir string
	// ResolveTarget maps a host name that a Route 53 HTTPS health check
	// probes (a load balancer's DNS name) to the lab address serving it.
	// Nil or not found: the check fails as an unresolvable target does.
	ResolveTarget func(host string) (netip.AddrPort, bool)
	// ReplicationPath returns the address a replica in toRegion dials to
	// stream from a source listening at sourceAddr in fromRegion: the lab
	// puts a latency relay on cross-region paths. Nil: direct.
	ReplicationPath func(fromRegion, toRegion, sourceAddr string) (string, error)
	// Logf receives the cloud's events (state changes, background work).
	Logf func(format string, args ...any)
}

// Cloud is a running lab cloud. All state is behind mu; operations hold it
// only while they read or change state, never across PostgreSQL work.
type Cloud struct {
	opts    Options
	timings Timings

	mu      sync.Mutex
	regions map[string]*region
	route53 *route53State
	down    map[string]bool // regions whose APIs are unreachable
	calls   []CallRecord
	seq     int // for lab-unique names

	ops     map[opKey]*Operation
	onReady ReadyReplicas

	epMu      sync.Mutex
	endpoints map[string]*dbEndpoint // stable database endpoints, by region/id

	bg       context.Context
	stopBG   context.CancelFunc
	wg       sync.WaitGroup
	closed   bool
	closeErr error
}

// region is one region's regional services.
type region struct {
	name       string
	rds        *rdsState
	eks        *eksState
	cloudwatch *cloudwatchState
	secrets    *secretsState
	ecr        *ecrState
}

// New starts a cloud with the given regions and no resources.
func New(opts Options) (*Cloud, error) {
	if opts.Scale < 1 {
		return nil, errors.New("cloud: the scale factor must be at least 1")
	}
	if len(opts.Regions) == 0 {
		return nil, errors.New("cloud: no regions")
	}
	if opts.Dir == "" {
		return nil, errors.New("cloud: no directory for databases and snapshots")
	}
	if opts.Account == "" {
		opts.Account = DefaultAccount
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	bg, stop := context.WithCancel(context.Background())
	c := &Cloud{
		opts:    opts,
		timings: opts.Timings.withDefaults(),
		regions: map[string]*region{},
		down:    map[string]bool{},
		ops:     map[opKey]*Operation{},

		endpoints: map[string]*dbEndpoint{},
		bg:        bg,
		stopBG:    stop,
	}
	for _, name := range opts.Regions {
		if _, dup := c.regions[name]; dup {
			stop()
			return nil, fmt.Errorf("cloud: region %s listed twice", name)
		}
		c.regions[name] = &region{
			name:       name,
			rds:        newRDSState(),
			eks:        newEKSState(),
			cloudwatch: newCloudWatchState(),
			secrets:    newSecretsState(),
			ecr:        newECRState(),
		}
	}
	c.route53 = newRoute53State()
	c.registerRDS()
	c.registerEKS()
	c.registerAutoScaling()
	c.registerCloudWatch()
	c.registerRoute53()
	c.registerSecrets()
	c.registerECR()
	c.registerSTS()
	for _, r := range c.regions {
		c.startAlarmEvaluator(r)
		c.startRDSMetrics(r)
	}
	c.startHealthCheckers()
	return c, nil
}

// Account is the lab's account id.
func (c *Cloud) Account() string { return c.opts.Account }

// Regions lists the regional regions, sorted.
func (c *Cloud) Regions() []string {
	out := make([]string, 0, len(c.regions))
	for name := range c.regions {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Scale is the lab's time scale factor.
func (c *Cloud) Scale() int { return c.opts.Scale }

// Timings are the AWS durations in effect (before scaling).
func (c *Cloud) Timings() Timings { return c.timings }

// scaled divides an AWS duration by the scale factor.
func (c *Cloud) scaled(d time.Duration) time.Duration { return d / time.Duration(c.opts.Scale) }

// logf logs a cloud event.
func (c *Cloud) logf(format string, args ...any) { c.opts.Logf("cloud: "+format, args...) }

// Close stops every background task and removes every database. The
// cloud answers nothing afterwards.
func (c *Cloud) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.closeErr
	}
	c.closed = true
	c.mu.Unlock()
	c.stopBG()
	c.wg.Wait()
	var errs []error
	c.mu.Lock()
	for _, r := range c.regions {
		for _, db := range r.rds.instances {
			if db.data != nil {
				errs = append(errs, db.data.Close())
			}
		}
	}
	c.mu.Unlock()
	c.closeErr = errors.Join(errs...)
	return c.closeErr
}

// background runs f in a goroutine the cloud waits for on Close; f must
// return once ctx is done.
func (c *Cloud) background(f func(ctx context.Context)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f(c.bg)
	}()
}

// sleep waits d (already scaled) or until the cloud closes; false if it
// closed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// SetRegionDown makes a region's APIs unreachable (true) or reachable
// again: calls to it fail at the transport, as they do when a region's
// endpoints are gone. "us-east-1" also takes the Route 53 control plane
// down; Route 53's data plane (health checks, DNS answers) keeps working,
// as it did during the 2021-12-07 us-east-1 event
// (https://aws.amazon.com/message/12721/). Databases are cut separately
// (StopDatabases), because a region outage is several failures at once
// and the lab chooses which.
func (c *Cloud) SetRegionDown(name string, down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down[name] = down
	c.logf("region %s APIs down=%v", name, down)
}

// ErrUnreachable is returned by Call for a region whose APIs are down. The
// front ends turn it into a broken connection.
var ErrUnreachable = errors.New("cloud: the region's endpoint is unreachable")

// CallRecord is one API call the cloud answered (or refused because the
// region was down), for the rehearsal's call table.
type CallRecord struct {
	At      time.Time
	Region  string // the signing region; "us-east-1" for Route 53's control plane
	Service string // SigV4 signing name
	Op      string
	Via     string // "rpc" or "wire"
	Caller  string // who called, as CloudTrail's userIdentity would say (WithCaller)
	Code    string // error code, "" on success
}

// Calls returns the calls answered so far, oldest first.
func (c *Cloud) Calls() []CallRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// opKey names an operation.
type opKey struct{ service, op string }

// Operation is one AWS API operation of the lab cloud.
type Operation struct {
	Service string // SigV4 signing name: rds, eks, route53, monitoring, secretsmanager, ecr, autoscaling, sts
	Name    string // API name: PromoteReadReplica
	// Global operations ignore the region they are called in (Route 53,
	// STS): their state is the account's.
	Global bool
	input  reflect.Type
	output reflect.Type
	run    func(ctx context.Context, region string, in any) (any, error)
}

// NewInput returns a pointer to a new zero input shape.
func (o *Operation) NewInput() any { return reflect.New(o.input).Interface() }

// InputType and OutputType are the shapes' struct types, for codecs.
func (o *Operation) InputType() reflect.Type  { return o.input }
func (o *Operation) OutputType() reflect.Type { return o.output }

// register adds an operation whose handler takes *In and returns *Out.
func register[In, Out any](c *Cloud, service, name string, global bool, fn func(ctx context.Context, region string, in *In) (*Out, error)) {
	key := opKey{service, name}
	if _, dup := c.ops[key]; dup {
		panic("cloud: operation registered twice: " + service + "." + name)
	}
	c.ops[key] = &Operation{
		Service: service, Name: name, Global: global,
		input:  reflect.TypeFor[In](),
		output: reflect.TypeFor[Out](),
		run: func(ctx context.Context, region string, in any) (any, error) {
			out, err := fn(ctx, region, in.(*In))
			if err != nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// Lookup finds an operation by signing name and API name.
func (c *Cloud) Lookup(service, name string) (*Operation, bool) {
	op, ok := c.ops[opKey{service, name}]
	return op, ok
}

// Operations lists every operation, sorted by service and name.
func (c *Cloud) Operations() []*Operation {
	out := make([]*Operation, 0, len(c.ops))
	for _, op := range c.ops {
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Call runs op in region with in (a pointer to op's input shape, as
// NewInput returns) and records the call. via says which front end asked.
// It validates required members first, as the services do.
func (c *Cloud) Call(ctx context.Context, op *Operation, region, via string, in any) (any, error) {
	if reflect.TypeOf(in) != reflect.PointerTo(op.input) {
		return nil, fmt.Errorf("cloud: %s.%s takes *%s, got %T", op.Service, op.Name, op.input.Name(), in)
	}
	callRegion := region
	if op.Global {
		// Route 53's and STS's control planes answer from us-east-1,
		// whatever region the client signs for.
		callRegion = "us-east-1"
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrUnreachable
	}
	down := c.down[callRegion]
	_, known := c.regions[region]
	c.mu.Unlock()
	if down {
		c.record(ctx, callRegion, op, via, "Unreachable")
		return nil, ErrUnreachable
	}
	if !op.Global && !known {
		// An endpoint the lab does not run: as unreachable as a region
		// that does not exist.
		c.record(ctx, callRegion, op, via, "Unreachable")
		return nil, ErrUnreachable
	}
	if err := validateRequired(op, in); err != nil {
		c.record(ctx, callRegion, op, via, err.Code)
		return nil, err
	}
	out, err := op.run(ctx, region, in)
	code := ""
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			code = ae.Code
		} else {
			code = "InternalFailure"
		}
	}
	c.record(ctx, callRegion, op, via, code)
	return out, err
}

func (c *Cloud) record(ctx context.Context, region string, op *Operation, via, code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, CallRecord{At: time.Now(), Region: region, Service: op.Service, Op: op.Name, Via: via, Code: code, Caller: CallerOf(ctx)})
}

// The lab's callers, by the credentials or client they use. The rehearsal's
// call table counts what the runbook did (CallerOperator: the aws CLI and
// kubectl it runs; CallerPulumi: the provider plugins of the pulumi it
// runs), not the DR agents' own metric traffic or the lab's measurements.
const (
	CallerOperator = "operator"
	CallerPulumi   = "pulumi"
	CallerAgent    = "dr-agent"
	CallerLab      = "lab"
)

type callerKey struct{}

// WithCaller names who makes the calls made with ctx.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

// CallerOf is the caller WithCaller named, or CallerLab.
func CallerOf(ctx context.Context) string {
	if s, ok := ctx.Value(callerKey{}).(string); ok && s != "" {
		return s
	}
	return CallerLab
}

// regionLocked returns a region's state; c.mu must be held.
func (c *Cloud) regionLocked(name string) *region { return c.regions[name] }

// nextSeq returns a lab-unique number; c.mu must be held.
func (c *Cloud) nextSeq() int {
	c.seq++
	return c.seq
}
