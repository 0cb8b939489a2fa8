package rehearsal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
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
	Out    io.Writer
}

// faultRun is one interrupted command and its resumption.
type faultRun struct {
	Command   string
	KilledAt  string // the timeline event after which it was killed; "" when it finished first
	Resumed   bool
	Converged bool
	Detail    string
}

// RunFaults is the fault matrix (issue 13.5). Each cycle runs failover,
// failback and switchover, killing each with SIGKILL (its whole process
// group) right after its k-th step has written its timeline event, then
// re-running it to completion; cycle k kills after the k-th step, until
// every step of every command has been interrupted. After each command
// the phase must be the right one, with no write split between the
// databases. It also runs every command in a phase where it must refuse,
// and checks that the refusal changed nothing.
func RunFaults(ctx context.Context, o FaultOptions) (err error) {
	s, err := StartStage(ctx, o.Stage)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	f := &faults{o: o, r: &rehearsal{o: Options{Stage: o.Stage, DRScript: o.DRScript, Out: o.Out}, s: s, start: time.Now(), dir: o.Stage.Dir}}
	f.r.timeline = o.Stage.Dir + "/faults-timeline.tsv"
	f.r.cut = time.Now()
	if err := f.wrongPhase(ctx, "normal", "failback", "switchover"); err != nil {
		return err
	}
	for k := 1; ; k++ {
		interrupted := false
		for _, cmd := range []string{"failover", "failback", "switchover"} {
			killed, err := f.interrupt(ctx, cmd, k)
			if err != nil {
				return err
			}
			interrupted = interrupted || killed
			f.checkPhase(ctx, cmd)
			if cmd == "failover" {
				if err := f.wrongPhase(ctx, "failed over", "switchover"); err != nil {
					return err
				}
			}
		}
		if !interrupted {
			break // every step of every command has been interrupted once
		}
	}
	return f.writeRecord()
}

type faults struct {
	o    FaultOptions
	r    *rehearsal
	runs []faultRun
}

// interrupt runs cmd, kills it right after its k-th timeline event, and
// runs it again to completion. It reports whether it killed it (false:
// the command has fewer than k steps and finished).
func (f *faults) interrupt(ctx context.Context, cmd string, k int) (bool, error) {
	before := f.eventCount()
	event, err := f.runKilledAfter(ctx, cmd, before+k)
	run := faultRun{Command: cmd, KilledAt: event}
	if event == "" {
		run.Converged = err == nil
		run.Detail = "finished before its " + ordinal(k) + " step: " + errOrOK(err)
		f.runs = append(f.runs, run)
		return false, nil
	}
	resumed := f.r.runbook(ctx, cmd, "--yes")
	run.Resumed, run.Converged = true, resumed == nil
	run.Detail = errOrOK(resumed)
	f.runs = append(f.runs, run)
	f.r.assert(fmt.Sprintf("%s killed after %q resumes to completion", cmd, event), resumed == nil, "%v", errOrOK(resumed))
	return true, nil
}

// runKilledAfter starts `dr cmd --yes` and SIGKILLs its process group as
// soon as the timeline holds n events. It returns the event it was
// killed after, or "" when the command ended first.
func (f *faults) runKilledAfter(ctx context.Context, cmd string, n int) (string, error) {
	c := exec.CommandContext(ctx, "bash", f.o.DRScript, cmd, "--yes", "--timeline", f.r.timeline)
	c.Env = f.r.runbookEnv()
	c.Stdout, c.Stderr = f.o.Out, f.o.Out
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	fmt.Fprintf(f.o.Out, "\n### lab faults: runbooks/bin/dr %s --yes (killed after timeline event %d)\n", cmd, n)
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
			if f.eventCount() >= n {
				_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
				<-done
				return f.lastEvent(), nil
			}
		}
	}
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

func (f *faults) lastEvent() string {
	tl, err := gameday.ReadTimelineFile(f.r.timeline)
	if err != nil || len(tl.Events) == 0 {
		return ""
	}
	return tl.Events[len(tl.Events)-1].Name
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
		if db.ReadReplicaSourceDBInstanceIdentifier != nil {
			role = "replica"
		}
		f.r.assert(fmt.Sprintf("after %s the %s database is a %s", cmd, stack, want[i]), err == nil && role == want[i], "%s (%v)", role, errOrOK(err))
	}
}

// wrongPhase runs commands that must refuse in this phase and checks that
// they changed nothing: same stack config, same database roles.
func (f *faults) wrongPhase(ctx context.Context, phase string, cmds ...string) error {
	for _, cmd := range cmds {
		before, err := f.snapshot(ctx)
		if err != nil {
			return err
		}
		runErr := f.r.runbook(ctx, cmd, "--yes")
		after, err := f.snapshot(ctx)
		if err != nil {
			return err
		}
		f.r.assert(fmt.Sprintf("dr %s refuses in the %s phase", cmd, phase), runErr != nil, "%v", errOrOK(runErr))
		f.r.assert(fmt.Sprintf("the refused dr %s changed nothing", cmd), before == after, "before %s, after %s", before, after)
		f.runs = append(f.runs, faultRun{Command: cmd + " (wrong phase: " + phase + ")", Converged: runErr != nil && before == after, Detail: errOrOK(runErr)})
	}
	return nil
}

// snapshot summarises what a wrong call must not change.
func (f *faults) snapshot(ctx context.Context) (string, error) {
	var parts []string
	for _, stack := range Stacks {
		for _, key := range []string{"database.mode", "database.rebuild", "cluster.scale"} {
			v, _ := f.r.s.Pulumi(ctx, "config", "get", "--path", "-s", stack, "taskflow:"+key)
			parts = append(parts, stack+"."+key+"="+strings.TrimSpace(v))
		}
		db, err := f.r.describeDB(ctx, stack)
		if err != nil {
			return "", err
		}
		parts = append(parts, stack+".db="+deref(db.DBInstanceStatus)+"/"+fmt.Sprint(db.ReadReplicaSourceDBInstanceIdentifier != nil))
	}
	return strings.Join(parts, " "), nil
}

// writeRecord writes the matrix's record and fails on a failed check.
func (f *faults) writeRecord() error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Lab fault matrix — commands killed after each step and resumed\n\nRegenerated by `make lab-faults` on %s, AWS timings scaled 1/%d. Each `dr` command was killed with SIGKILL (its whole process group) right after its k-th timeline event, then run again; cycle k = 1, 2, … until every step of every command had been interrupted once. After each command the databases must be in its phase; commands run in a phase where they must refuse must change nothing.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), f.o.Stage.Scale)
	b.WriteString("| command | killed after | resumed | converged | detail |\n|---|---|---|---|---|\n")
	interrupted, resumed := 0, 0
	for _, run := range f.runs {
		if run.KilledAt != "" {
			interrupted++
		}
		if run.Resumed && run.Converged {
			resumed++
		}
		fmt.Fprintf(&b, "| %s | %s | %v | %s | %s |\n", run.Command, orDash(run.KilledAt), run.Resumed, verdict(run.Converged), strings.ReplaceAll(run.Detail, "|", "\\|"))
	}
	fmt.Fprintf(&b, "\n%d runs interrupted, %d resumed to completion.\n\n## Checks\n\n| check | result | detail |\n|---|---|---|\n", interrupted, resumed)
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

func ordinal(k int) string {
	switch k {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", k)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
