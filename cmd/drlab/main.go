// Command drlab rehearses the failover and failback locally (make lab), and
// is also the lab's shims, through links the stage makes: as aws it runs
// the real AWS CLI against the lab's endpoint; as kubectl, getent or curl
// it answers from the lab cloud, its DNS and its stand-in endpoints
// (package shim says why those three stay lab-answered).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/rehearsal"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/shim"
)

func main() {
	switch tool := filepath.Base(os.Args[0]); tool {
	case "aws":
		os.Exit(shim.RunAWS(os.Args[1:]))
	case "kubectl":
		os.Exit(shim.RunKubectl(os.Args[1:]))
	case "getent", "curl":
		os.Exit(shim.RunNet(tool, os.Args[1:]))
	}
	os.Exit(run(os.Args[1:]))
}

// run parses the flags and runs the scenario or the fault matrix.
func run(args []string) int {
	fs := flag.NewFlagSet("drlab", flag.ContinueOnError)
	repo := fs.String("repo", ".", "the repository (stack files, runbooks/bin/dr)")
	bin := fs.String("bin", ".lab/bin", "where make lab put pulumi, drlab-plugins, dr-agent and the program (taskflow-dr)")
	record := fs.String("record", "runbooks/gameday/lab-rehearsal.md", "where the record goes (the chart beside it)")
	scale := fs.Int("scale", 10, "divide every AWS duration by this")
	writeEvery := fs.Duration("write-interval", 100*time.Millisecond, "the app clients' write pace")
	replDelay := fs.Duration("replication-delay", 250*time.Millisecond, "how long the standby's WAL stream is held back (cross-region replication lag)")
	sequential := fs.Bool("sequential", false, "run the failover's waits one after another (the baseline for the parallel run)")
	faults := fs.Bool("faults", false, "run the fault matrix instead of the scenario")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "drlab:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// pg.TempRoot: a short directory the postgres user can enter (socket
	// paths are limited to 107 bytes). Everything the lab writes is under
	// it and the lab removes it, failed or not.
	dir, err := pg.TempRoot("drlab-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "drlab:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	logf := func(format string, a ...any) {
		fmt.Printf("[lab %6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	binDir := abs(*bin)
	stage := rehearsal.StageOptions{
		RepoDir: abs(*repo), Dir: dir, Scale: *scale, ReplicationDelay: *replDelay, Self: self, Logf: logf,
		Pulumi: filepath.Join(binDir, "pulumi"), Plugins: filepath.Join(binDir, "drlab-plugins"),
		Agent: filepath.Join(binDir, "dr-agent"), Program: filepath.Join(binDir, "taskflow-dr"),
	}
	drScript := filepath.Join(stage.RepoDir, "runbooks", "bin", "dr")
	if *faults {
		err = rehearsal.RunFaults(ctx, rehearsal.FaultOptions{Stage: stage, DRScript: drScript, Record: abs(*record), WriteInterval: *writeEvery, Out: os.Stdout})
	} else {
		err = rehearsal.Run(ctx, rehearsal.Options{
			Stage: stage, DRScript: drScript, Record: abs(*record), Sequential: *sequential,
			WriteInterval: *writeEvery, HeartbeatInterval: 200 * time.Millisecond, ProbeInterval: 250 * time.Millisecond,
			Out: os.Stdout,
		})
	}
	logf("took %s; record: %s", time.Since(start).Round(time.Second), *record)
	if left := leftovers(dir); len(left) > 0 {
		err = errors.Join(err, fmt.Errorf("the lab left processes behind: %s", strings.Join(left, "; ")))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "drlab:", err)
		return 1
	}
	fmt.Println("drlab: passed")
	return 0
}

// leftovers lists the processes still running from the lab's directory:
// the lab must leave none, even when it failed.
func leftovers(dir string) []string {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var out []string
	for _, p := range procs {
		raw, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(raw), dir) {
			continue
		}
		out = append(out, filepath.Base(filepath.Dir(p))+": "+strings.ReplaceAll(strings.TrimSpace(string(raw)), "\x00", " "))
	}
	return out
}
