package rehearsal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/gameday"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/dnssim"
)

// Options configure a rehearsal.
type Options struct {
	Stage StageOptions
	// DRScript is runbooks/bin/dr, run unmodified.
	DRScript string
	// Record is where the markdown record goes; the chart beside it (.png).
	Record string
	// WriteInterval paces the app's clients; HeartbeatInterval and
	// ProbeInterval the game-day tool.
	WriteInterval, HeartbeatInterval, ProbeInterval time.Duration
	// Sequential runs the failover's waits one after another
	// (DR_SEQUENTIAL=1), the baseline for the parallel run.
	Sequential bool
	// Out receives the runbook's own output as it runs.
	Out io.Writer
}

// check is one assertion of the rehearsal.
type check struct {
	What   string
	Passed bool
	Detail string
}

// stepTiming is one runbook command's run.
type stepTiming struct {
	Name     string
	Started  time.Time
	Duration time.Duration
	Err      error
}

// rehearsal is one run of the scenario.
type rehearsal struct {
	o      Options
	s      *Stage
	start  time.Time
	load   *loadGenerator
	checks []check
	steps  []stepTiming
	dir    string

	timeline, heartbeats, probes string

	// Measured on the way.
	bringUp        time.Duration
	delayBefore    []time.Duration // the standby agent's delay before the cut
	cut, cutDone   time.Time
	writesAccepted time.Duration // from the cut: first write the standby acknowledged
	fullCapacity   time.Duration // from the cut
	failover       gameday.Results
	agentRPO       gameday.RPOResult
	lostFailover   []int64
	lostSwitchover []int64
	rpoZeroStep    time.Duration // the switchover's proof that the replica has the writer's last heartbeat
	switchover     time.Duration
	drill          gameday.Drill
}

// Run is the whole rehearsal: stage, scenario, record. It returns an
// error naming every failed check.
func Run(ctx context.Context, o Options) (err error) {
	r := &rehearsal{o: o, start: time.Now(), dir: o.Stage.Dir}
	r.timeline = filepath.Join(r.dir, "dr-timeline.tsv")
	r.heartbeats = filepath.Join(r.dir, "heartbeats.jsonl")
	r.probes = filepath.Join(r.dir, "probes.jsonl")
	started := time.Now()
	r.s, err = StartStage(ctx, o.Stage)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, r.s.Close()) }()
	r.bringUp = time.Since(started)
	if err := r.scenario(ctx); err != nil {
		return err
	}
	return r.writeRecord(ctx)
}

// logf is the lab's log.
func (r *rehearsal) logf(format string, args ...any) { r.o.Stage.Logf(format, args...) }

// assert records a check.
func (r *rehearsal) assert(what string, ok bool, format string, args ...any) {
	r.checks = append(r.checks, check{What: what, Passed: ok, Detail: fmt.Sprintf(format, args...)})
	mark := "PASS"
	if !ok {
		mark = "FAIL"
	}
	r.logf("check %s: %s — %s", mark, what, fmt.Sprintf(format, args...))
}

// primary and standby are the regions.
func (r *rehearsal) primary() string { return r.s.Region("primary") }
func (r *rehearsal) standby() string { return r.s.Region("standby") }

// scenario: steady load, preflight, the primary region cut, the failover,
// measurement, the old primary's return under the fence, failback and
// switchover with an idle writer, then a second failover (snapshot and
// final-snapshot names must not collide).
func (r *rehearsal) scenario(ctx context.Context) error {
	cfg := r.s.Configs["primary"]
	r.load = newLoadGenerator(cfg.AppHost, r.s.Env.AppPort, r.o.WriteInterval, r.s.Env.DNSAddr)
	// Everything started in the background stops before scenario returns,
	// on every path: cancel first, then wait.
	bg, stopAll := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopAll(); wg.Wait() }()
	loadCtx, stopLoad := context.WithCancel(bg)
	defer stopLoad()
	wg.Go(func() { r.load.run(loadCtx) })

	// Normal phase: writes land on the primary, the agents measure, and
	// the preflight passes once Route 53 has seen the primary healthy.
	if !waitUntil(ctx, r.scaled(3*time.Minute), 200*time.Millisecond, func() bool {
		_, ok := lastAckFrom(r.load.snapshot(), r.primary())
		return ok
	}) {
		return errors.New("lab: no write reached the primary in normal operation: the lab itself is broken")
	}
	// The game-day tool starts in the steady state, as an engineer starts
	// `gameday run` before a drill: its probes then fail only for the drill.
	toolCtx, stopTool := context.WithCancel(bg)
	defer stopTool()
	toolErr, err := r.startGameday(toolCtx, &wg)
	if err != nil {
		return err
	}
	r.delayBefore = r.sampleDelay(ctx, "standby", 60)
	preflight := r.retryRunbook(ctx, r.scaled(3*time.Minute), "preflight", "--image-tag", ReleaseTag)
	r.assert("preflight passes in the normal phase", preflight == nil, "%v", errOrOK(preflight))

	// The outage: the primary region is cut — APIs, database, load
	// balancer and the replication link at once.
	r.cut = time.Now()
	r.s.CutLinks()
	if err := r.s.Env.CutRegion(ctx, r.primary()); err != nil {
		return fmt.Errorf("lab: cut the primary region: %w", err)
	}
	r.cutDone = time.Now()
	r.logf("lab: primary region cut at %s", r.cut.UTC().Format(time.RFC3339Nano))
	args := []string{"failover", "--yes"}
	failoverErr := r.runbook(ctx, args...)
	r.assert("failover runbook succeeds", failoverErr == nil, "%v", errOrOK(failoverErr))
	r.measureFailover(ctx, toolErr, stopTool)

	// The old primary returns, diverged: the fence must keep every request
	// and write off it.
	r.checkFence(ctx)

	// Failback: rebuild the old primary as a replica of the standby.
	failbackErr := r.runbook(ctx, "failback", "--yes")
	r.assert("failback runbook succeeds", failbackErr == nil, "%v", errOrOK(failbackErr))
	r.checkPrimaryIsReplica(ctx)

	// Switchover with writes paused: the clients' writes fail for its
	// duration, so the writer is idle but for the agents' heartbeats.
	switchStart := time.Now()
	switchErr := r.runbook(ctx, "switchover", "--yes")
	r.switchover = time.Since(switchStart)
	r.assert("switchover runbook succeeds", switchErr == nil, "%v", errOrOK(switchErr))
	r.rpoZeroStep = r.stepSpan("switchover-started", "rpo-zero-proven")
	switchEnd := time.Now()
	returned := waitUntil(ctx, r.scaled(5*time.Minute), 200*time.Millisecond, func() bool {
		w, ok := lastAckFrom(r.load.snapshot(), r.primary())
		return ok && w.At.After(switchEnd)
	})
	r.assert("traffic returns to the primary after the switchover", returned, "first write acknowledged by %s after the switchover: %v", r.primary(), returned)
	stopLoad()
	writes := r.load.snapshot()
	splitBrain := acksBetween(writes, r.primary(), r.cutDone, switchStart)
	r.assert("no write acknowledged by the old primary between the cut and the switchover", len(splitBrain) == 0, "%d", len(splitBrain))
	r.lostSwitchover = r.lostOnSwitchover(ctx, writes)
	r.assert("switchover RPO 0: every write acknowledged since the promotion is on the primary", len(r.lostSwitchover) == 0,
		"%d lost", len(r.lostSwitchover))

	// A second failover after a complete cycle, planned this time (the
	// primary is up): every name a snapshot or a rebuild takes must be
	// new.
	second := r.runbook(ctx, "failover", "--yes")
	r.assert("a second failover after a complete cycle succeeds", second == nil, "%v", errOrOK(second))
	return nil
}

// runbook runs runbooks/bin/dr, unmodified, on the stage.
func (r *rehearsal) runbook(ctx context.Context, args ...string) error {
	started := time.Now()
	full := append(append([]string{r.o.DRScript}, args...), "--timeline", r.timeline)
	cmd := exec.CommandContext(ctx, "bash", full...)
	cmd.Env = r.runbookEnv()
	cmd.Stdout, cmd.Stderr = r.o.Out, r.o.Out
	fmt.Fprintf(r.o.Out, "\n### lab: runbooks/bin/dr %s\n", strings.Join(args, " "))
	err := cmd.Run()
	r.steps = append(r.steps, stepTiming{Name: "dr " + strings.Join(args, " "), Started: started, Duration: time.Since(started), Err: err})
	if err != nil {
		return fmt.Errorf("dr %s: %w", args[0], err)
	}
	return nil
}

// retryRunbook re-runs a read-only command until it passes or timeout.
func (r *rehearsal) retryRunbook(ctx context.Context, timeout time.Duration, args ...string) error {
	deadline := time.Now().Add(timeout)
	for {
		err := r.runbook(ctx, args...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(r.scaled(10 * time.Second))
	}
}

// runbookEnv is the runbook's environment: the shims and the lab's CLI
// first on PATH, the stage's and the engine's variables, polls and
// timeouts at the lab's scale.
func (r *rehearsal) runbookEnv() []string {
	env := append(os.Environ(), r.s.Engine.Env()...)
	env = append(env, r.s.Env.Environ()...)
	path := r.s.Env.ShimDir + string(os.PathListSeparator) + filepath.Dir(r.s.Engine.CLI()) + string(os.PathListSeparator) + os.Getenv("PATH")
	env = append(env,
		"PATH="+path,
		"DR_PROJECT_DIR="+r.s.Engine.ProjectDir(),
		"DR_POLL_INTERVAL=1",
		// No real AWS credentials or profile reach the runbook.
		"AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
	if r.o.Sequential {
		env = append(env, "DR_SEQUENTIAL=1")
	}
	return env
}

// scaled divides an AWS duration by the lab's scale.
func (r *rehearsal) scaled(d time.Duration) time.Duration { return d / time.Duration(r.o.Stage.Scale) }

// startGameday runs the game-day tool's heartbeat writer and probe in the
// background, the way an engineer runs `gameday run` during a drill.
func (r *rehearsal) startGameday(ctx context.Context, wg *sync.WaitGroup) (<-chan error, error) {
	hb, err := gameday.OpenJournalFile(r.heartbeats)
	if err != nil {
		return nil, err
	}
	pr, err := gameday.OpenJournalFile(r.probes)
	if err != nil {
		_ = hb.Close()
		return nil, err
	}
	writer, err := r.dsn(ctx, "primary")
	if err != nil {
		return nil, err
	}
	replica, err := r.dsn(ctx, "standby")
	if err != nil {
		return nil, err
	}
	cfg := r.s.Configs["primary"]
	errs := make(chan error, 2)
	done := make(chan error, 1)
	wg.Go(func() {
		_, err := gameday.RunHeartbeat(ctx, gameday.HeartbeatConfig{
			Endpoints: []gameday.Endpoint{{Name: "writer", DSN: writer}, {Name: "replica", DSN: replica}},
			Interval:  r.o.HeartbeatInterval, Timeout: 500 * time.Millisecond,
			Journal: gameday.NewJournalWriter(hb),
		})
		errs <- err
	})
	wg.Go(func() {
		errs <- gameday.RunProbe(ctx, gameday.ProbeConfig{
			URL:          fmt.Sprintf("http://%s:%d%s", cfg.AppHost, r.s.Env.AppPort, cfg.DNS.HealthCheckPath),
			Interval:     r.o.ProbeInterval,
			Timeout:      time.Second,
			RegionHeader: "X-Region",
			LookupHost:   dnssim.NewResolver(r.s.Env.DNSAddr).LookupHost,
			Journal:      gameday.NewJournalWriter(pr),
		})
	})
	go func() {
		err := errors.Join(<-errs, <-errs)
		err = errors.Join(err, hb.Close(), pr.Close())
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		done <- err
	}()
	return done, nil
}

// dsn is a stack's database as the lab reaches it.
func (r *rehearsal) dsn(ctx context.Context, stack string) (string, error) {
	out, err := r.s.Outputs(ctx, stack)
	if err != nil {
		return "", err
	}
	return r.s.Env.Cloud.DatabaseDSN(r.s.Region(stack), str(out, "dbInstanceId"), "postgres")
}

func errOrOK(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// waitUntil polls cond every step until it holds or timeout passes.
func waitUntil(ctx context.Context, timeout, step time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(step)
	}
}
