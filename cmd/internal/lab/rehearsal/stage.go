// Package rehearsal is `make lab`: the DR rehearsal on the lab stage. The
// real program runs through the real Pulumi engine (lab/engine) against
// the lab cloud (lab/cloud, through lab/labenv), the runbook runs
// unmodified with the real AWS CLI, real PostgreSQL replicates through a
// latency relay, a DR agent runs in each region, and the game-day tool
// measures. The scenario, the fault matrix and the record are here.
package rehearsal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/app"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/engine"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/labenv"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/relay"
	"github.com/taskflow/taskflow-dr/config"
)

// StageOptions are the binaries and settings a stage needs.
type StageOptions struct {
	// RepoDir holds the stack files and runbooks/bin/dr.
	RepoDir string
	// Pulumi is the CLI; Plugins the drlab-plugins binary; Program the
	// prebuilt program; Agent the dr-agent binary; Self the drlab binary
	// (the shims are links to it).
	Pulumi, Plugins, Program, Agent, Self string
	// Dir is the stage's scratch directory (pg.TempRoot).
	Dir string
	// Scale divides AWS's durations (Route 53, RDS, EKS, alarms).
	Scale int
	// ReplicationDelay holds back the standby's WAL stream: the
	// cross-region link.
	ReplicationDelay time.Duration
	Logf             func(format string, args ...any)
}

// Stage is the lab with both stacks deployed by the real program.
type Stage struct {
	opts   StageOptions
	Env    *labenv.Env
	Engine *engine.Engine
	// Configs are the stacks' config as the program parsed it.
	Configs map[string]*config.Config

	mu     sync.Mutex
	relays []*relay.Relay
	agents map[string]*agentProcess // by region
	argo   *argoLoop
}

// bringUpTimings shorten what only the stage's first deployment waits for
// (creating clusters and node groups); every duration on the DR path
// (promotion, node boot, Route 53, alarms) keeps AWS's sourced default
// (runbooks/gameday/lab-timings.md), scaled.
var bringUpTimings = cloud.Timings{ClusterCreate: 10 * time.Second, NodegroupCreate: 10 * time.Second}

// Stacks of the lab, in deployment order.
var Stacks = []string{"primary", "standby"}

// StartStage brings the stage up and deploys both stacks through the real
// engine; on error everything started is stopped.
func StartStage(ctx context.Context, opts StageOptions) (_ *Stage, err error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	s := &Stage{opts: opts, agents: map[string]*agentProcess{}, Configs: map[string]*config.Config{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	for _, stack := range Stacks {
		if s.Configs[stack], err = loadStackConfig(opts.RepoDir, stack); err != nil {
			return nil, err
		}
	}
	s.Env, err = labenv.Start(ctx, labenv.Options{
		Dir: opts.Dir, Scale: opts.Scale, Self: opts.Self, Logf: opts.Logf,
		// us-east-1 holds the health-check alarm, its topic and its key
		// (Route 53 publishes its metrics there); it has no stand-in.
		Regions:         append(append([]labenv.Region(nil), labenv.DefaultRegions...), labenv.Region{Name: "us-east-1", IP: netip.MustParseAddr("127.0.0.13")}),
		Timings:         bringUpTimings,
		ReplicationPath: s.replicationPath,
	})
	if err != nil {
		return nil, err
	}
	if err := s.seedZone(ctx); err != nil {
		return nil, err
	}
	s.Engine, err = engine.New(ctx, engine.Options{
		Pulumi: opts.Pulumi, Plugins: opts.Plugins, Program: opts.Program, RepoDir: opts.RepoDir,
		Dir: filepath.Join(opts.Dir, "pulumi"), Cloud: s.Env.RPCURL,
		Env: append(s.Env.Environ(), fmt.Sprintf("DRLAB_TIME_SCALE=%d", opts.Scale), "DRLAB_ACCOUNT_ID="+s.Env.Cloud.Account()),
	})
	if err != nil {
		return nil, err
	}
	for _, stack := range Stacks {
		started := time.Now()
		if _, err := s.Pulumi(ctx, "up", "--yes", "--skip-preview", "-s", stack); err != nil {
			return nil, err
		}
		opts.Logf("lab: pulumi up -s %s (the real program): %s", stack, time.Since(started).Round(time.Millisecond))
	}
	s.argo = startArgo(s)
	for _, stack := range Stacks {
		if err := s.wireRegion(ctx, stack); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Pulumi runs the lab's CLI in the project directory.
func (s *Stage) Pulumi(ctx context.Context, args ...string) (string, error) {
	out, _, err := s.Engine.Run(ctx, args...)
	return out, err
}

// Outputs is `pulumi stack output --json` of a stack, as the runbook
// reads it.
func (s *Stage) Outputs(ctx context.Context, stack string) (map[string]any, error) {
	raw, err := s.Pulumi(ctx, "stack", "output", "--json", "-s", stack)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("lab: outputs of %s: %w", stack, err)
	}
	return out, nil
}

// Region is a stack's AWS region.
func (s *Stage) Region(stack string) string { return s.Configs[stack].Region }

// replicationPath puts a latency relay on every cross-region replication
// stream: the cloud dials the relay, which holds the WAL back.
func (s *Stage) replicationPath(from, to, sourceAddr string) (string, error) {
	if from == to {
		return sourceAddr, nil
	}
	r, err := relay.Start(sourceAddr, s.opts.ReplicationDelay)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.relays = append(s.relays, r)
	s.mu.Unlock()
	return r.Addr(), nil
}

// CutLinks cuts every cross-region replication stream: the outage takes
// the link with the region, and WAL in flight is lost.
func (s *Stage) CutLinks() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.relays {
		r.Cut()
	}
}

// seedZone creates the public hosted zone the program looks up: it
// outlives both stacks, as on AWS, so neither stack creates it.
func (s *Stage) seedZone(ctx context.Context) error {
	domain := s.Configs["primary"].Domain
	op, _ := s.Env.Cloud.Lookup("route53", "CreateHostedZone")
	_, err := s.Env.Cloud.Call(ctx, op, s.Region("primary"), "lab", &cloud.CreateHostedZoneInput{Name: &domain, CallerReference: ptr("drlab-zone")})
	if err != nil {
		return fmt.Errorf("lab: hosted zone %s: %w", domain, err)
	}
	return nil
}

// wireRegion connects a deployed region's outputs to the stage: its load
// balancer's name to its stand-in, the stand-in to its database, the
// release image pushed, and its DR agent started.
func (s *Stage) wireRegion(ctx context.Context, stack string) error {
	out, err := s.Outputs(ctx, stack)
	if err != nil {
		return err
	}
	region := s.Region(stack)
	if err := s.Env.SetLoadBalancer(str(out, "albDnsName"), region); err != nil {
		return err
	}
	db := str(out, "dbInstanceId")
	if str(out, "dbMode") == "writer" {
		dsn, err := s.Env.Cloud.DatabaseDSN(region, db, "postgres")
		if err != nil {
			return err
		}
		if err := execSQL(ctx, dsn, app.Schema); err != nil {
			return fmt.Errorf("lab: the app's table on %s: %w", db, err)
		}
		if err := s.Env.Cloud.PushImage(ctx, region, "taskflow", "sha256:"+strings.Repeat("ab", 32), ReleaseTag); err != nil {
			return fmt.Errorf("lab: push the release image: %w", err)
		}
	}
	if err := s.Env.ServeApp(region, db); err != nil {
		return err
	}
	return s.startAgent(ctx, stack, out)
}

// ReleaseTag is the release image the lab pushes and preflight checks.
const ReleaseTag = "lab-release"

// Close stops the agents, Argo, the relays and the stage.
func (s *Stage) Close() error {
	var errs []error
	if s.argo != nil {
		s.argo.stop()
	}
	s.mu.Lock()
	agents := s.agents
	s.agents = map[string]*agentProcess{}
	relays := s.relays
	s.relays = nil
	s.mu.Unlock()
	for _, a := range agents {
		errs = append(errs, a.stop())
	}
	for _, r := range relays {
		errs = append(errs, r.Close())
	}
	if s.Env != nil {
		errs = append(errs, s.Env.Close())
	}
	return errors.Join(errs...)
}

// loadStackConfig parses a shipped stack file with the program's own
// config package, so the lab knows what the program will do.
func loadStackConfig(repo, stack string) (*config.Config, error) {
	flat, err := flatStackFile(filepath.Join(repo, "Pulumi."+stack+".yaml"))
	if err != nil {
		return nil, err
	}
	get := func(k string) string { return flat[config.Namespace+":"+k] }
	cfg, err := config.Parse(get, "taskflow-dr", stack, time.Now().UTC())
	if err != nil {
		return nil, fmt.Errorf("lab: Pulumi.%s.yaml: %w", stack, err)
	}
	return cfg, nil
}

func execSQL(ctx context.Context, dsn, sql string) error {
	cmd := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn, "-c", sql)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s", err, b)
	}
	return nil
}

func str(m map[string]any, key string) string {
	v, _ := m[key].(string)
	return v
}

func ptr[T any](v T) *T { return &v }
