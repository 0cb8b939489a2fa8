package rehearsal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/gameday"
)

// FaultOptions configure the fault matrix.
type FaultOptions struct {
	Stage    StageOptions
	DRScript string
	// Record is where the matrix's record goes.
	Record string
	// WriteInterval paces the app's clients.
	WriteInterval time.Duration
	Out           io.Writer
}

// faultRun is one run of a command in the matrix.
type faultRun struct {
	Command   string
	KilledAt  string // the timeline event after which it was killed; "" when it ran to the end
	Resumed   bool   // a re-run after a kill
	Converged bool
	Detail    string
}

// RunFaults is the fault matrix (issue 13.5), under the app's steady
// writes, through one whole cycle: the primary region cut, failover, the
// region back, failback, switchover. Each command is killed with SIGKILL
// (its whole process group) right after a step writes a timeline event it
// has not written before in this cycle, then run again, and so on until a
// run ends: every step of every command is interrupted once and every
// resumption is itself interrupted at the next step. After each command
// the databases must be in its phase; no write may be acknowledged by the
// fenced old primary, and none acknowledged by the writer may be lost by
// the planned steps (failback, switchover). Commands run in a phase where
// they must refuse must change nothing.
func RunFaults(ctx context.Context, o FaultOptions) (err error) {
	s, err := StartStage(ctx, o.Stage)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	r := &rehearsal{o: Options{Stage: o.Stage, DRScript: o.DRScript, Out: o.Out, WriteInterval: o.WriteInterval}, s: s, start: time.Now(), dir: o.Stage.Dir}
	r.timeline = o.Stage.Dir + "/faults-timeline.tsv"
	f := &faults{o: o, r: r}

	cfg := s.Configs["primary"]
	r.load = newLoadGenerator(cfg.AppHost, s.Env.AppPort, o.WriteInterval, s.Env.DNSAddr)
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopLoad(); wg.Wait() }() // cancel first, then wait, on every path
	wg.Go(func() { r.load.run(loadCtx) })
	if !waitUntil(ctx, r.scaled(3*time.Minute), 200*time.Millisecond, func() bool {
		_, ok := lastAckFrom(r.load.snapshot(), r.primary())
		return ok
	}) {
		return errors.New("lab faults: no write reached the primary in normal operation: the lab itself is broken")
	}
	if err := f.wrongPhase(ctx, "normal", "failback"); err != nil {
		return err
	}
	if err := f.finishedAlready(ctx, "normal", "switchover"); err != nil {
		return err
	}

	r.cut = time.Now()
	if err := s.Env.CutRegion(ctx, r.primary()); err != nil {
		return fmt.Errorf("lab faults: cut the primary region: %w", err)
	}
	r.cutDone = time.Now()
	f.killAtEveryStep(ctx, "failover")
	if err := f.wrongPhase(ctx, "failed over", "switchover"); err != nil {
		return err
	}
	if err := s.Env.RestoreRegion(ctx, r.primary()); err != nil {
		return fmt.Errorf("lab faults: restore the primary region: %w", err)
	}
	// Checked once the region is back: the old primary is still a writer
	// (fenced, diverged) until the failback.
	f.checkPhase(ctx, "failover")
	f.killAtEveryStep(ctx, "failback")
	f.checkPhase(ctx, "failback")
	switchStart := time.Now()
	f.killAtEveryStep(ctx, "switchover")
	f.checkPhase(ctx, "switchover")
	switchEnd := time.Now()
	returned := waitUntil(ctx, r.scaled(5*time.Minute), 200*time.Millisecond, func() bool {
		w, ok := lastAckFrom(r.load.snapshot(), r.primary())
		return ok && w.At.After(switchEnd)
	})
	r.assert("traffic returns to the primary after the switchover", returned, "a write acknowledged by %s after it: %v", r.primary(), returned)
	stopLoad()
	wg.Wait()
	f.checkWrites(ctx, switchStart, switchEnd)
	return f.writeRecord()
}

type faults struct {
	o    FaultOptions
	r    *rehearsal
	runs []faultRun
}

// killAtEveryStep runs cmd, kills it right after a timeline event it has
// not yet written in this cycle, and runs it again, until a run ends. A run
// that makes no new step is a failure to converge.
func (f *faults) killAtEveryStep(ctx context.Context, cmd string) {
	seen := map[string]bool{}
	for attempt := 1; ; attempt++ {
		event, err := f.runKilledAfterNew(ctx, cmd, seen)
		if event != "" && err != nil {
			f.r.assert(fmt.Sprintf("dr %s can be resumed after a kill", cmd), false, "%v", err)
			return
		}
		if event == "" {
			f.runs = append(f.runs, faultRun{Command: cmd, Resumed: attempt > 1, Converged: err == nil, Detail: errOrOK(err)})
			f.r.assert(fmt.Sprintf("dr %s, killed %d time(s), resumes to completion", cmd, attempt-1), err == nil, "%v", errOrOK(err))
			return
		}
		seen[event] = true
		f.runs = append(f.runs, faultRun{Command: cmd, KilledAt: event, Resumed: attempt > 1, Converged: true, Detail: "killed"})
		if attempt > 40 {
			f.r.assert(fmt.Sprintf("dr %s converges", cmd), false, "still running after %d kills", attempt)
			return
		}
	}
}

// runKilledAfterNew starts `dr cmd --yes` and SIGKILLs its process group
// as soon as the timeline holds an event, written by this run, whose name
// is not in seen. It returns that event, or "" when the command ended
// first (with its exit error).
func (f *faults) runKilledAfterNew(ctx context.Context, cmd string, seen map[string]bool) (string, error) {
	from := f.eventCount()
	c := exec.CommandContext(ctx, "bash", f.o.DRScript, cmd, "--yes", "--timeline", f.r.timeline)
	c.Env = f.r.runbookEnv()
	c.Stdout, c.Stderr = f.o.Out, f.o.Out
	// A session of its own, killed whole: the run, its parallel jobs (each
	// in a process group of its own: dr::par::start) and the Pulumi CLI's
	// plugins (process groups of their own too), as when the operator's
	// laptop dies.
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	fmt.Fprintf(f.o.Out, "\n### lab faults: runbooks/bin/dr %s --yes (killed after its next new step)\n", cmd)
	if err := c.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return "", err
		case <-tick.C:
			if ev := f.newEvent(from, seen); ev != "" {
				killSession(c.Process.Pid)
				<-done
				return ev, f.waitLockFree(ctx)
			}
		}
	}
}

// waitLockFree waits until the killed run's processes have let go of the
// runbook's lock (<timeline>.lock, flock), as they do within moments of a
// SIGKILL: the bash parent exits first, its children a little later. A
// holder that outlives that would block every resumption; it is named.
func (f *faults) waitLockFree(ctx context.Context) error {
	path := f.r.timeline + ".lock"
	deadline := time.Now().Add(30 * time.Second)
	for {
		fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		err = syscall.Flock(int(fh.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		fh.Close() // releases the lock if it was taken
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the runbook's lock %s is still held 30s after the kill, by: %s", path, strings.Join(holders(path), "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// killSession SIGKILLs every process of session sid until none is left
// (a process may fork while the others die).
func killSession(sid int) {
	for range 100 {
		procs := sessionProcs(sid)
		if len(procs) == 0 {
			return
		}
		for _, pid := range procs {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sessionProcs are the live processes of session sid, from /proc/*/stat
// (proc(5): after the ")" ending comm: state, ppid, pgrp, session). Zombies
// are already dead.
func sessionProcs(sid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(b[i+1:]))
		if len(fields) < 4 || fields[0] == "Z" || fields[3] != strconv.Itoa(sid) {
			continue
		}
		if pid, err := strconv.Atoi(strings.Split(path, "/")[2]); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// holders are the processes with path open, from /proc.
func holders(path string) []string {
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	var out []string
	seen := map[string]bool{}
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err != nil || target != path {
			continue
		}
		pid := strings.Split(fd, "/")[2]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		out = append(out, pid+" "+strings.ReplaceAll(strings.TrimSpace(string(cmdline)), "\x00", " "))
	}
	return out
}

// newEvent is the first event after the timeline's first from events whose
// name is not in seen, or "".
func (f *faults) newEvent(from int, seen map[string]bool) string {
	tl, err := gameday.ReadTimelineFile(f.r.timeline)
	if err != nil {
		return ""
	}
	// ReadTimelineFile sorts by time; the runbook appends in time order,
	// so index from is still the first event of this run.
	for _, ev := range tl.Events[min(from, len(tl.Events)):] {
		if !seen[ev.Name] && ev.Name != gameday.EventStepFailed {
			return ev.Name
		}
	}
	return ""
}

// checkWrites: the fenced old primary acknowledged nothing between the cut
// and the switchover (no split brain), and every write the writer
// acknowledged from the cut on is on the primary after the switchover (the
// failback and the switchover are planned: they lose nothing).
func (f *faults) checkWrites(ctx context.Context, switchStart, switchEnd time.Time) {
	r := f.r
	writes := r.load.snapshot()
	split := acksBetween(writes, r.primary(), r.cutDone, switchStart)
	r.assert("no write acknowledged by the fenced old primary between the cut and the switchover", len(split) == 0, "%d", len(split))
	acked := append(acksBetween(writes, r.standby(), r.cut, switchEnd), acksBetween(writes, r.primary(), switchEnd, time.Now())...)
	present, err := r.queryIDs(ctx, "primary")
	if err != nil {
		r.assert("no acknowledged write lost by the planned steps", false, "%v", err)
		return
	}
	lost := missing(acked, present)
	r.assert("no acknowledged write lost by the planned steps", len(lost) == 0 && len(acked) > 0,
		"%d of %d writes the writer acknowledged since the cut are missing on the primary", len(lost), len(acked))
}

// eventCount is the number of events in the timeline.
func (f *faults) eventCount() int {
	fh, err := os.Open(f.r.timeline)
	if err != nil {
		return 0
	}
	defer fh.Close()
	n := 0
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			n++
		}
	}
	return n
}

// checkPhase: after each command the databases are in the phase it leads
// to, and no acknowledged write is split between them.
func (f *faults) checkPhase(ctx context.Context, cmd string) {
	want := map[string][2]string{ // primary, standby: "writer" or "replica"
		"failover":   {"writer", "writer"}, // the old primary is fenced, still a writer until the failback
		"failback":   {"replica", "writer"},
		"switchover": {"writer", "replica"},
	}[cmd]
	for i, stack := range Stacks {
		db, err := f.r.describeDB(ctx, stack)
		role := "writer"
		if err != nil {
			role = "unknown"
		} else if db.ReadReplicaSourceDBInstanceIdentifier != nil {
			role = "replica"
		}
		f.r.assert(fmt.Sprintf("after %s the %s database is a %s", cmd, stack, want[i]), err == nil && role == want[i], "%s (%v)", role, errOrOK(err))
	}
}

// wrongPhase runs commands that must refuse in this phase and checks that
// they changed nothing: same stack config, same database roles.
func (f *faults) wrongPhase(ctx context.Context, phase string, cmds ...string) error {
	for _, cmd := range cmds {
		runErr, before, after, err := f.runObserved(ctx, cmd)
		if err != nil {
			return err
		}
		f.r.assert(fmt.Sprintf("dr %s refuses in the %s phase", cmd, phase), runErr != nil, "%v", errOrOK(runErr))
		f.r.assert(fmt.Sprintf("the refused dr %s changed nothing", cmd), before == after, "before %s, after %s", before, after)
		f.runs = append(f.runs, faultRun{Command: cmd + " (wrong phase: " + phase + ")", Converged: runErr != nil && before == after, Detail: errOrOK(runErr)})
	}
	return nil
}

// runObserved runs `dr <cmd> --yes` between two snapshots of the stacks'
// config and the databases' roles: the command's own error, then both
// snapshots, or err when a snapshot could not be taken.
func (f *faults) runObserved(ctx context.Context, cmd string) (runErr error, before, after string, err error) {
	if before, err = f.snapshot(ctx); err != nil {
		return nil, "", "", err
	}
	runErr = f.r.runbook(ctx, cmd, "--yes")
	if after, err = f.snapshot(ctx); err != nil {
		return nil, "", "", err
	}
	return runErr, before, after, nil
}

// finishedAlready runs a command in the phase its own success leads to,
// which it cannot tell from a run of its that was killed after its last
// step: every step must skip, exit 0, and change nothing. (dr switchover in
// the normal phase: the primary the writer, the standby its replica.)
func (f *faults) finishedAlready(ctx context.Context, phase, cmd string) error {
	runErr, before, after, err := f.runObserved(ctx, cmd)
	if err != nil {
		return err
	}
	f.r.assert(fmt.Sprintf("dr %s in the %s phase finds its work done", cmd, phase), runErr == nil, "%v", errOrOK(runErr))
	f.r.assert(fmt.Sprintf("dr %s in the %s phase changed nothing", cmd, phase), before == after, "before %s, after %s", before, after)
	f.runs = append(f.runs, faultRun{Command: cmd + " (its work done: " + phase + ")", Converged: runErr == nil && before == after, Detail: errOrOK(runErr)})
	return nil
}

// snapshot summarises what a wrong call must not change.
func (f *faults) snapshot(ctx context.Context) (string, error) {
	var parts []string
	for _, stack := range Stacks {
		for _, key := range []string{"database.mode", "database.rebuild", "cluster.scale", "dns.fence"} {
			v, _ := f.r.s.Pulumi(ctx, "config", "get", "--path", "-s", stack, "taskflow:"+key)
			parts = append(parts, stack+"."+key+"="+strings.TrimSpace(v))
		}
		db, err := f.r.describeDB(ctx, stack)
		if err != nil {
			// A cut region answers nothing; that it still answers nothing
			// is all a refusal can be checked for there.
			parts = append(parts, stack+".db=unreachable")
			continue
		}
		parts = append(parts, stack+".db="+deref(db.DBInstanceStatus)+"/"+fmt.Sprint(db.ReadReplicaSourceDBInstanceIdentifier != nil))
	}
	return strings.Join(parts, " "), nil
}

// writeRecord writes the matrix's record and fails on a failed check.
func (f *faults) writeRecord() error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Lab fault matrix — commands killed after each step and resumed\n\nRegenerated by `make lab-faults` on %s, AWS timings scaled 1/%d, the app writing every %s throughout. One whole cycle: the primary region cut, `dr failover`, the region back, `dr failback`, `dr switchover`. Each command was killed with SIGKILL (its whole process group) right after a step wrote a timeline event it had not written before in the cycle, then run again, and so on until a run ended: every step was interrupted once, and every resumption was itself interrupted at its next step. After each command the databases must be in its phase; the fenced old primary must acknowledge no write, and the planned steps must lose none; commands run in a phase where they must refuse must change nothing.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), f.o.Stage.Scale, f.o.WriteInterval)
	b.WriteString("| command | killed after | resumed | converged | detail |\n|---|---|---|---|---|\n")
	interrupted, resumed := 0, 0
	for _, run := range f.runs {
		if run.KilledAt != "" {
			interrupted++
		}
		if run.KilledAt == "" && run.Resumed && run.Converged {
			resumed++
		}
		fmt.Fprintf(&b, "| %s | %s | %v | %s | %s |\n", run.Command, orDash(run.KilledAt), run.Resumed, verdict(run.Converged), strings.ReplaceAll(run.Detail, "|", "\\|"))
	}
	fmt.Fprintf(&b, "\n%d runs killed; %d commands resumed to completion.\n\n## Checks\n\n| check | result | detail |\n|---|---|---|\n", interrupted, resumed)
	var failed []string
	for _, c := range f.r.checks {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.What, verdict(c.Passed), strings.ReplaceAll(c.Detail, "|", "\\|"))
		if !c.Passed {
			failed = append(failed, c.What+": "+c.Detail)
		}
	}
	if err := os.WriteFile(f.o.Record, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("lab faults: record: %w", err)
	}
	if len(failed) > 0 {
		return fmt.Errorf("lab fault matrix failed %d check(s):\n  - %s", len(failed), strings.Join(failed, "\n  - "))
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
