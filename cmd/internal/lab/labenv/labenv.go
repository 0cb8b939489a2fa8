// Package labenv is the stage the lab's rehearsal plays on: the lab cloud
// with its §7 RPC, its AWS wire endpoint and its DNS server, the regions'
// stand-in load balancers and app endpoints, the shims' directory, and the
// environment that points the runbook, the real AWS CLI and the provider
// plugins at all of it. What happens on the stage (pulumi up, the runbook,
// the game-day tool, the faults) is the rehearsal's.
//
// Typical use, by the rehearsal:
//
//	env, _ := labenv.Start(ctx, labenv.Options{…})
//	defer env.Close()
//	// pulumi up both stacks with env.Environ(): the plugins create the
//	// resources in env.Cloud through $DRLAB_CLOUD.
//	env.SetLoadBalancer(outputs.albDnsName, "eu-west-1")
//	env.ServeApp(ctx, "eu-west-1", outputs.dbInstanceId)
//	env.SetAgent("eu-west-1", outputs.clusterName, agentAddr)
//	env.CutRegion(ctx, "eu-west-1")   // the outage
package labenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/app"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/awsapi"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/rpc"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/dnssim"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/shim"
)

// Region is one of the lab's regions: its name and the loopback address
// its load balancer answers on (DNS answers addresses, not ports, so each
// region has its own address and all share one port).
type Region struct {
	Name string
	IP   netip.Addr
}

// DefaultRegions are runbooks/dr-design.md §5's, on 127.0.0.11 and 127.0.0.12.
var DefaultRegions = []Region{
	{Name: "eu-west-1", IP: netip.MustParseAddr("127.0.0.11")},
	{Name: "eu-central-1", IP: netip.MustParseAddr("127.0.0.12")},
}

// Options configure a stage.
type Options struct {
	// Dir is the stage's scratch directory (databases, snapshots, shims);
	// it must be short and reachable by the postgres user (pg.TempRoot).
	Dir     string
	Regions []Region
	// Scale divides AWS's durations (cloud.Options.Scale).
	Scale   int
	Timings cloud.Timings
	// Self is the drlab binary: the shims are links to it.
	Self string
	// ReplicationPath puts the lab's latency relay on cross-region
	// replication (cloud.Options.ReplicationPath); nil: direct.
	ReplicationPath func(fromRegion, toRegion, sourceAddr string) (string, error)
	Logf            func(format string, args ...any)
}

// ShimTools are the commands the stage answers; everything else the runbook
// runs is the real thing (the real aws behind the aws shim).
var ShimTools = []string{"aws", "kubectl", "getent", "curl"}

// Env is a running stage.
type Env struct {
	opts    Options
	Cloud   *cloud.Cloud
	RPCURL  string // $DRLAB_CLOUD
	AWSURL  string // the aws wrapper's --endpoint-url
	DNSAddr string // the DNS server, UDP
	AppPort int    // the load balancers' port (443 on AWS)
	ShimDir string

	dns     *dnssim.Server
	servers []*http.Server

	mu    sync.Mutex
	lbs   map[string]string        // load balancer DNS name → region
	apps  map[string]*app.Endpoint // by region
	appDB map[string]string        // region → DB instance id
}

// Start brings the stage up, with no resources in the cloud.
func Start(ctx context.Context, opts Options) (_ *Env, err error) {
	if len(opts.Regions) == 0 {
		opts.Regions = DefaultRegions
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	e := &Env{opts: opts, lbs: map[string]string{}, apps: map[string]*app.Endpoint{}, appDB: map[string]string{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.Close())
		}
	}()
	var ips []netip.Addr
	var names []string
	for _, r := range opts.Regions {
		ips = append(ips, r.IP)
		names = append(names, r.Name)
	}
	if e.AppPort, err = sharedFreePort(ips...); err != nil {
		return nil, err
	}
	e.Cloud, err = cloud.New(cloud.Options{Regions: names, Scale: opts.Scale, Timings: opts.Timings, Dir: opts.Dir,
		ResolveTarget: e.resolveTarget, ReplicationPath: opts.ReplicationPath, Logf: opts.Logf})
	if err != nil {
		return nil, err
	}
	e.Cloud.OnReadyReplicas(e.onReady)
	if e.RPCURL, err = e.serve(rpc.Handler(e.Cloud)); err != nil {
		return nil, err
	}
	if e.AWSURL, err = e.serve(awsapi.Handler(e.Cloud)); err != nil {
		return nil, err
	}
	if e.dns, err = dnssim.Serve(e.Cloud, "127.0.0.1:0"); err != nil {
		return nil, err
	}
	e.DNSAddr = e.dns.Addr()
	if opts.Self != "" {
		if err = e.linkShims(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *Env) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("labenv: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	e.servers = append(e.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// linkShims makes ShimDir hold the shims, each a link to the drlab binary.
func (e *Env) linkShims() error {
	e.ShimDir = filepath.Join(e.opts.Dir, "bin")
	if err := os.MkdirAll(e.ShimDir, 0o755); err != nil {
		return fmt.Errorf("labenv: shim dir: %w", err)
	}
	for _, tool := range ShimTools {
		if err := os.Symlink(e.opts.Self, filepath.Join(e.ShimDir, tool)); err != nil {
			return fmt.Errorf("labenv: shim %s: %w", tool, err)
		}
	}
	return nil
}

// Environ is the environment for the runbook and for the provider plugins:
// the shims first on PATH, their addresses, no pager.
func (e *Env) Environ() []string {
	env := []string{
		rpc.EnvCloud + "=" + e.RPCURL,
		shim.EnvAWSEndpoint + "=" + e.AWSURL,
		shim.EnvDNS + "=" + e.DNSAddr,
		shim.EnvAppPort + "=" + strconv.Itoa(e.AppPort),
		"AWS_PAGER=",
	}
	if e.ShimDir != "" {
		env = append(env, "PATH="+e.ShimDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	return env
}

func (e *Env) region(name string) (Region, bool) {
	for _, r := range e.opts.Regions {
		if r.Name == name {
			return r, true
		}
	}
	return Region{}, false
}

// SetLoadBalancer makes a load balancer's DNS name (the program's
// albDnsName) resolve to its region's stand-in: Route 53's HTTPS checks
// probe it and DNS answers it.
func (e *Env) SetLoadBalancer(host, region string) error {
	if _, ok := e.region(region); !ok {
		return fmt.Errorf("labenv: no region %s", region)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lbs[strings.ToLower(strings.TrimSuffix(host, "."))] = region
	return nil
}

// resolveTarget is the cloud's view of the lab's load balancers.
func (e *Env) resolveTarget(host string) (netip.AddrPort, bool) {
	e.mu.Lock()
	region, ok := e.lbs[strings.ToLower(host)]
	e.mu.Unlock()
	if !ok {
		return netip.AddrPort{}, false
	}
	r, _ := e.region(region)
	return netip.AddrPortFrom(r.IP, uint16(e.AppPort)), true
}

// ServeApp starts the region's stand-in TaskFlow behind its load balancer,
// on the database instance's stable endpoint; its replica count follows
// the taskflow Deployment's Ready pods. Serving again replaces it.
func (e *Env) ServeApp(region, dbInstanceID string) error {
	r, ok := e.region(region)
	if !ok {
		return fmt.Errorf("labenv: no region %s", region)
	}
	dsn, err := e.Cloud.DatabaseDSN(region, dbInstanceID, "postgres")
	if err != nil {
		return err
	}
	e.mu.Lock()
	old := e.apps[region]
	delete(e.apps, region)
	e.mu.Unlock()
	if old != nil {
		if err := old.Close(); err != nil {
			return err
		}
	}
	ep, err := app.Start(app.Config{Region: region, Listen: netip.AddrPortFrom(r.IP, uint16(e.AppPort)).String(), DSN: dsn})
	if err != nil {
		return err
	}
	e.mu.Lock()
	// The hook reports changes; start from the count now.
	ep.SetReplicas(e.Cloud.DeploymentReady(region, "taskflow", "taskflow"))
	e.apps[region] = ep
	e.appDB[region] = dbInstanceID
	e.mu.Unlock()
	return nil
}

// App returns the region's stand-in, nil if none is serving.
func (e *Env) App(region string) *app.Endpoint {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.apps[region]
}

// onReady keeps the stand-in's replicas equal to the taskflow
// Deployment's Ready pods.
func (e *Env) onReady(region, _, namespace, name string, ready int) {
	if namespace != "taskflow" || name != "taskflow" {
		return
	}
	if ep := e.App(region); ep != nil {
		ep.SetReplicas(ready)
	}
}

// SetAgent makes the API server's service proxy reach the region's DR
// agent (incluster/agent.go: taskflow-dr/dr-agent, port http) at addr.
func (e *Env) SetAgent(region, cluster, addr string) error {
	return e.Cloud.SetServiceBackend(region, cluster, "taskflow-dr", "dr-agent", "http", addr)
}

// CutRegion is the outage: the region's APIs, databases and load balancer
// go at once (the lab's relay, if any, is the rehearsal's to cut).
func (e *Env) CutRegion(ctx context.Context, region string) error {
	e.Cloud.SetRegionDown(region, true)
	e.mu.Lock()
	ep := e.apps[region]
	delete(e.apps, region)
	e.mu.Unlock()
	var errs []error
	if ep != nil {
		errs = append(errs, ep.Close())
	}
	errs = append(errs, e.Cloud.StopDatabases(ctx, region))
	return errors.Join(errs...)
}

// RestoreRegion brings a cut region back: APIs, databases (the old writer
// returns, diverged), and its stand-in on the same instance.
func (e *Env) RestoreRegion(ctx context.Context, region string) error {
	if err := e.Cloud.StartDatabases(ctx, region); err != nil {
		return err
	}
	e.Cloud.SetRegionDown(region, false)
	e.mu.Lock()
	id := e.appDB[region]
	e.mu.Unlock()
	if id == "" {
		return nil
	}
	return e.ServeApp(region, id)
}

// Close stops everything the stage started, stand-ins first.
func (e *Env) Close() error {
	var errs []error
	e.mu.Lock()
	apps := e.apps
	e.apps = map[string]*app.Endpoint{}
	e.mu.Unlock()
	for _, ep := range apps {
		errs = append(errs, ep.Close())
	}
	if e.dns != nil {
		errs = append(errs, e.dns.Close())
	}
	for _, srv := range e.servers {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, srv.Shutdown(ctx))
		cancel()
	}
	if e.Cloud != nil {
		errs = append(errs, e.Cloud.Close())
	}
	return errors.Join(errs...)
}

// sharedFreePort finds a port free on every address.
func sharedFreePort(addrs ...netip.Addr) (int, error) {
	for range 50 {
		port, err := pg.FreePort()
		if err != nil {
			return 0, err
		}
		free := true
		for _, a := range addrs {
			ln, err := net.Listen("tcp", net.JoinHostPort(a.String(), strconv.Itoa(port)))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return port, nil
		}
	}
	return 0, errors.New("labenv: no port free on every regional address")
}
