package lab

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

// RehearsalOptions configure the scenario.
type RehearsalOptions struct {
	// DRScript is runbooks/bin/dr, run unmodified.
	DRScript string
	// Record is where the markdown record goes; the chart goes beside it
	// as .png.
	Record string
	// WriteInterval is the load generator's pace (100 ms = 10 writes/s).
	WriteInterval time.Duration
	// HeartbeatInterval and ProbeInterval pace the game-day tool.
	HeartbeatInterval time.Duration
	ProbeInterval     time.Duration
	// Out receives the runbook's own output, as it runs.
	Out io.Writer
}

// check is one assertion of the rehearsal.
type check struct {
	What   string
	Passed bool
	Detail string
}

// rehearsal is one run of the scenario.
type rehearsal struct {
	lab    *Lab
	ro     RehearsalOptions
	start  time.Time
	load   *loadGenerator
	checks []check
	steps  []stepTiming

	timeline, heartbeats, probes string
	drill                        gameday.Drill

	// cut is when the lab cut the primary region; rtoFromCut and userRTO
	// measure from it (the tool measures from the declaration, which comes
	// later in a real incident).
	cut                 time.Time
	rtoFromCut, userRTO time.Duration
}

// fromCut measures recovery from the moment the region was cut: the tool's
// recovery moment, and the first write acknowledged by the standby as seen
// by clients whose resolvers honour the TTL.
func (r *rehearsal) fromCut(res gameday.Results, objective time.Duration) {
	standby := r.lab.regions["standby"].name
	if res.RTO.Recovery.Known {
		r.rtoFromCut = res.RTO.Recovery.At.Sub(r.cut)
	}
	for _, w := range r.load.snapshot() {
		if w.acked() && w.Region == standby && w.At.After(r.cut) {
			r.userRTO = w.At.Sub(r.cut)
			break
		}
	}
	r.assert("RTO from the cut (not the declaration) within the objective", res.RTO.Recovery.Known && r.rtoFromCut <= objective,
		"%s", r.rtoFromCut.Round(time.Millisecond))
	r.assert("clients honouring the TTL write again within the objective", r.userRTO > 0 && r.userRTO <= objective,
		"first write acknowledged by the standby %s after the cut", r.userRTO.Round(time.Millisecond))
}

type stepTiming struct {
	Name     string
	Duration time.Duration
	Err      error
}

func (r *rehearsal) assert(what string, ok bool, format string, args ...any) {
	r.checks = append(r.checks, check{What: what, Passed: ok, Detail: fmt.Sprintf(format, args...)})
	mark := "PASS"
	if !ok {
		mark = "FAIL"
	}
	r.lab.opts.Logf("check %s: %s — %s", mark, what, fmt.Sprintf(format, args...))
}

// Rehearse runs the whole scenario: steady load, the primary region cut,
// the failover runbook, measurement, the old primary's return under the
// fence, failback and switchover. It writes the record even when an
// assertion fails, and returns an error naming every failed one.
func Rehearse(ctx context.Context, opts Options, ro RehearsalOptions) (err error) {
	start := time.Now()
	l, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.Close()) }()
	r := &rehearsal{lab: l, ro: ro, start: start,
		timeline:   filepath.Join(opts.Dir, "dr-timeline.tsv"),
		heartbeats: filepath.Join(opts.Dir, "heartbeats.jsonl"),
		probes:     filepath.Join(opts.Dir, "probes.jsonl"),
	}
	return r.run(ctx)
}

func (r *rehearsal) run(ctx context.Context) error {
	l := r.lab
	cfg := l.opts.stacks["primary"]
	primary, standby := l.regions["primary"], l.regions["standby"]

	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	r.load = newLoadGenerator(cfg.AppHost, l.appPort, r.ro.WriteInterval, l.sim.Addr())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.load.run(loadCtx) }()
	defer wg.Wait()

	toolCtx, stopTool := context.WithCancel(ctx)
	defer stopTool()
	toolErr, err := r.startGameday(toolCtx, &wg)
	if err != nil {
		return err
	}

	// Normal phase: writes land on the primary; preflight passes.
	time.Sleep(3 * time.Second)
	if _, ok := lastAckFrom(r.load.snapshot(), primary.name); !ok {
		return errors.New("lab: no write reached the primary in normal operation: the lab itself is broken")
	}
	r.runbook(ctx, "preflight", "--image-tag", "lab-release")

	// The outage: the primary region is cut, database and endpoint at once.
	cut := time.Now()
	if errCut := l.cutPrimary(ctx); errCut != nil {
		return fmt.Errorf("lab: cut the primary region: %w", errCut)
	}
	// Requests already in flight may complete while the endpoint shuts
	// down: the region is fully gone only from here.
	cutDone := time.Now()
	l.opts.Logf("lab: primary region cut at %s", cut.UTC().Format(time.RFC3339Nano))
	failoverErr := r.runbook(ctx, "failover", "--yes")
	r.assert("failover runbook succeeds", failoverErr == nil, "%v", errOrOK(failoverErr))

	recovered := waitUntil(ctx, 2*time.Minute, 200*time.Millisecond, func() bool {
		w, ok := lastAckFrom(r.load.snapshot(), standby.name)
		return ok && w.At.After(cut)
	})
	r.assert("writes through the app host resume on the standby", recovered, "after the cut at %s", cut.UTC().Format(time.TimeOnly))
	time.Sleep(3 * time.Second)
	stopTool()
	if err := <-toolErr; err != nil {
		return fmt.Errorf("lab: game-day tool: %w", err)
	}
	failover, err := r.measureFailover(ctx)
	if err != nil {
		return err
	}
	r.cut = cut
	r.fromCut(failover, cfg.Objectives.RTO.Duration)
	promotedAt := failover.RTO.PromotionDone.At
	lostFailover := r.lostOnFailover(ctx, cutDone)

	// The old primary comes back, diverged: the fence must keep every
	// request and every write off it.
	l.mu.Lock()
	errBack := primary.db.Start(ctx)
	var oldRows []int64
	if errBack == nil {
		oldRows, errBack = primary.db.QueryInt64s(ctx, "SELECT count(*) FROM lab_writes")
	}
	if errBack == nil {
		primary.app, errBack = l.startApp(primary)
	}
	l.mu.Unlock()
	if errBack != nil {
		return fmt.Errorf("lab: bring the old primary back: %w", errBack)
	}
	back := time.Now()
	window := 3 * l.opts.scaled(durationSeconds(cfg.DNS.RequestInterval*cfg.DNS.FailureThreshold+cfg.DNS.TTL))
	standbyServed := waitUntil(ctx, window, 100*time.Millisecond, func() bool {
		return l.sim.Answer() != standby.ip
	})
	r.assert("fenced: DNS keeps answering the standby after the old primary is back", !standbyServed,
		"over %s; the old primary's endpoint reports healthy: %v", window, l.sim.EndpointHealthy())
	counts := primary.app.Counts()
	r.assert("fenced: no request reaches the old primary", counts.Writes == 0,
		"%d write requests reached it (health checks: %d)", counts.Writes, counts.Health)
	newRows, err := primary.db.QueryInt64s(ctx, "SELECT count(*) FROM lab_writes")
	r.assert("fenced: no write lands on the old primary (no split brain)", err == nil && newRows[0] == oldRows[0],
		"lab_writes rows %d when it came back, %d after %s", oldRows[0], first(newRows), time.Since(back).Round(time.Second))

	// Failback: rebuild the old primary as a replica, then switch over.
	failbackErr := r.runbook(ctx, "failback", "--yes")
	r.assert("failback runbook succeeds", failbackErr == nil, "%v", errOrOK(failbackErr))
	switchStart := time.Now()
	switchErr := r.runbook(ctx, "switchover", "--yes")
	r.assert("switchover runbook succeeds", switchErr == nil, "%v", errOrOK(switchErr))
	switchEnd := time.Now()

	returned := waitUntil(ctx, 2*time.Minute, 200*time.Millisecond, func() bool {
		w, ok := lastAckFrom(r.load.snapshot(), primary.name)
		return ok && w.At.After(switchEnd)
	})
	r.assert("traffic returns to the primary", returned && l.sim.Answer() == primary.ip, "DNS answers %s", l.sim.Answer())
	time.Sleep(2 * time.Second)
	stopLoad()
	wg.Wait()

	writes := r.load.snapshot()
	splitBrain := acksBetween(writes, primary.name, cutDone, switchStart)
	r.assert("no write acknowledged by the primary between the cut and the switchover", len(splitBrain) == 0, "%d", len(splitBrain))
	lostBack, newestAcked := r.lostOnFailback(ctx, promotedAt, writes)
	r.assert("switchover RPO 0: every write acknowledged since the promotion is on the primary", len(lostBack) == 0,
		"%d lost of those acknowledged up to %s", len(lostBack), newestAcked)

	return r.writeRecord(failover, lostFailover, lostBack, switchEnd.Sub(switchStart))
}

// startGameday runs the game-day tool's heartbeat writer and probe in the
// background, the way an engineer runs `gameday run` during a drill.
func (r *rehearsal) startGameday(ctx context.Context, wg *sync.WaitGroup) (<-chan error, error) {
	l := r.lab
	hb, err := gameday.OpenJournalFile(r.heartbeats)
	if err != nil {
		return nil, err
	}
	pr, err := gameday.OpenJournalFile(r.probes)
	if err != nil {
		hb.Close()
		return nil, err
	}
	cfg := l.opts.stacks["primary"]
	resolver := dnssim.NewResolver(l.sim.Addr())
	errs := make(chan error, 2)
	done := make(chan error, 1)
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, err := gameday.RunHeartbeat(ctx, gameday.HeartbeatConfig{
			Endpoints: []gameday.Endpoint{
				{Name: "writer", DSN: l.regions["primary"].db.DSN("postgres")},
				{Name: "replica", DSN: l.regions["standby"].db.DSN("postgres")},
			},
			Interval: r.ro.HeartbeatInterval,
			Timeout:  500 * time.Millisecond,
			Journal:  gameday.NewJournalWriter(hb),
		})
		errs <- err
	}()
	go func() {
		defer wg.Done()
		errs <- gameday.RunProbe(ctx, gameday.ProbeConfig{
			URL:          fmt.Sprintf("http://%s:%d%s", cfg.AppHost, l.appPort, cfg.DNS.HealthCheckPath),
			Interval:     r.ro.ProbeInterval,
			Timeout:      time.Second,
			RegionHeader: "X-Region",
			LookupHost:   resolver.LookupHost,
			Journal:      gameday.NewJournalWriter(pr),
		})
	}()
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

// runbook runs runbooks/bin/dr, unmodified, with the shims first on PATH.
func (r *rehearsal) runbook(ctx context.Context, args ...string) error {
	l := r.lab
	started := time.Now()
	full := append(append([]string{r.ro.DRScript}, args...), "--timeline", r.timeline)
	cmd := exec.CommandContext(ctx, "bash", full...)
	cmd.Env = append(os.Environ(), l.stacks.Env()...)
	cmd.Env = append(cmd.Env,
		"PATH="+l.opts.ShimDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		EnvControl+"="+l.ctlAddr,
		EnvPulumi+"="+l.opts.PulumiBin,
		"DR_PROJECT_DIR="+l.stacks.projectDir,
		"DR_POLL_INTERVAL=1",
		"DR_NODES_TIMEOUT=60", "DR_APP_TIMEOUT=120", "DR_LAG_TIMEOUT=120",
		"DR_SWITCHOVER_LAG_TIMEOUT=60", "DR_PROMOTE_TIMEOUT=60",
	)
	cmd.Stdout, cmd.Stderr = r.ro.Out, r.ro.Out
	fmt.Fprintf(r.ro.Out, "\n### lab: runbooks/bin/dr %s\n", strings.Join(args, " "))
	err := cmd.Run()
	r.steps = append(r.steps, stepTiming{Name: "dr " + args[0], Duration: time.Since(started), Err: err})
	if err != nil {
		return fmt.Errorf("dr %s: %w", args[0], err)
	}
	return nil
}

// measureFailover hands the drill to the game-day tool's analysis.
func (r *rehearsal) measureFailover(ctx context.Context) (gameday.Results, error) {
	d, promoted, err := r.readDrill(ctx)
	if err != nil {
		return gameday.Results{}, err
	}
	cfg := r.lab.opts.stacks["primary"]
	r.drill = d
	res := gameday.Analyze(d, promoted, true, gameday.Objectives{RTO: cfg.Objectives.RTO.Duration, RPO: cfg.Objectives.RPO.Duration})
	r.assert("failover RTO measured and within the objective", res.RTO.Measured && res.RTO.Verdict == gameday.VerdictPass,
		"RTO %s (objective %s)", res.RTO.RTO.Round(time.Millisecond), cfg.Objectives.RTO.Duration)
	r.assert("failover RPO measured and within the objective", res.RPO.Measured && res.RPO.Verdict == gameday.VerdictPass,
		"RPO %s, %d lost heartbeat(s) (objective %s)", res.RPO.RPO.Round(time.Millisecond), len(res.RPO.Lost), cfg.Objectives.RPO.Duration)
	return res, nil
}

func (r *rehearsal) readDrill(ctx context.Context) (gameday.Drill, []gameday.StoredHeartbeat, error) {
	l := r.lab
	tl, err := gameday.ReadTimelineFile(r.timeline)
	if err != nil {
		return gameday.Drill{}, nil, err
	}
	hbs, err := gameday.ReadJournal[gameday.HeartbeatRecord](r.heartbeats)
	if err != nil {
		return gameday.Drill{}, nil, err
	}
	probes, err := gameday.ReadJournal[gameday.ProbeRecord](r.probes)
	if err != nil {
		return gameday.Drill{}, nil, err
	}
	promoted, err := gameday.LoadPromotedHeartbeats(ctx, l.regions["standby"].db.DSN("postgres"), "writer", gameday.MinSeq(hbs), 5*time.Second)
	if err != nil {
		return gameday.Drill{}, nil, err
	}
	d := gameday.Drill{
		Timeline: tl, Heartbeats: hbs, HeartbeatsRecorded: true, Probes: probes, ProbesRecorded: true,
		Regions: gameday.Regions{Primary: l.regions["primary"].name, Standby: l.regions["standby"].name},
	}
	return d, promoted, nil
}

// lostOnFailover counts the app writes the primary acknowledged that the
// promoted standby does not have: the asynchronous replication's loss.
func (r *rehearsal) lostOnFailover(ctx context.Context, cutDone time.Time) []int64 {
	l := r.lab
	acked := acksBetween(r.load.snapshot(), l.regions["primary"].name, r.start, cutDone)
	present, err := l.regions["standby"].db.QueryInt64s(ctx, "SELECT id FROM lab_writes")
	r.assert("the promoted standby can be read", err == nil, "%v", errOrOK(err))
	return missing(acked, present)
}

// lostOnFailback: every write acknowledged after the promotion (on the
// standby, then on the primary) must be on the primary at the end.
func (r *rehearsal) lostOnFailback(ctx context.Context, promotedAt time.Time, writes []write) ([]int64, string) {
	l := r.lab
	var acked []write
	for _, w := range writes {
		if w.acked() && w.At.After(promotedAt) {
			acked = append(acked, w)
		}
	}
	present, err := l.regions["primary"].db.QueryInt64s(ctx, "SELECT id FROM lab_writes")
	r.assert("the primary can be read after the switchover", err == nil, "%v", errOrOK(err))
	newest := "none"
	if len(acked) > 0 {
		newest = fmt.Sprintf("id %d at %s", acked[len(acked)-1].ID, acked[len(acked)-1].At.UTC().Format("15:04:05.000"))
	}
	return missing(acked, present), newest
}

func missing(acked []write, present []int64) []int64 {
	have := make(map[int64]bool, len(present))
	for _, id := range present {
		have[id] = true
	}
	var out []int64
	for _, w := range acked {
		if !have[w.ID] {
			out = append(out, w.ID)
		}
	}
	return out
}

func errOrOK(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func first(v []int64) int64 {
	if len(v) == 0 {
		return -1
	}
	return v[0]
}

func durationSeconds(s int) time.Duration { return time.Duration(s) * time.Second }
