// Command drlab rehearses the failover and failback locally (make lab), and
// is also the lab's shims, through symlinks the rehearsal makes: as aws it
// runs the real AWS CLI against the lab's endpoint (package shim); as
// kubectl, getent or curl it answers from the lab cloud, its DNS and its
// stand-in endpoints; as pulumi it is the old rehearsal's reconciler.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/labenv"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/shim"
)

func main() {
	switch tool := filepath.Base(os.Args[0]); {
	case tool == "aws":
		os.Exit(shim.RunAWS(os.Args[1:]))
	case tool == "kubectl":
		os.Exit(shim.RunKubectl(os.Args[1:]))
	case tool == "getent" || tool == "curl":
		os.Exit(shim.RunNet(tool, os.Args[1:]))
	case slices.Contains(lab.ShimTools, tool):
		os.Exit(lab.RunShim(tool, os.Args[1:]))
	}
	os.Exit(rehearse(os.Args[1:]))
}

func rehearse(args []string) int {
	fs := flag.NewFlagSet("drlab", flag.ContinueOnError)
	repo := fs.String("repo", ".", "the repository (stack config, runbooks/bin/dr)")
	pulumiBin := fs.String("pulumi", "", "the real Pulumi CLI (make lab builds it from tools/pulumi)")
	record := fs.String("record", "runbooks/gameday/lab-rehearsal.md", "where the record goes (the chart goes beside it)")
	scale := fs.Int("scale", 10, "divide Route 53's interval and TTL by this")
	writeEvery := fs.Duration("write-interval", 100*time.Millisecond, "the app write load's pace")
	replDelay := fs.Duration("replication-delay", 250*time.Millisecond, "how long the standby's WAL stream is held back (cross-region replication lag)")
	verbose := fs.Bool("v", false, "log every shimmed call")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *pulumiBin == "" {
		fmt.Fprintln(os.Stderr, "drlab: --pulumi PATH is required (make lab builds it)")
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
	shims := filepath.Join(dir, "bin")
	if err := linkShims(self, shims); err != nil {
		fmt.Fprintln(os.Stderr, "drlab:", err)
		return 1
	}
	start := time.Now()
	logf := func(format string, a ...any) {
		fmt.Printf("[lab %6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	quiet := func(format string, a ...any) {
		if *verbose || len(format) < 5 || format[:5] != "shim:" {
			logf(format, a...)
		}
	}
	repoAbs, _ := filepath.Abs(*repo)
	recordAbs, _ := filepath.Abs(*record)
	pulumiAbs, _ := filepath.Abs(*pulumiBin)
	err = lab.Rehearse(ctx, lab.Options{
		Dir:              filepath.Join(dir, "lab"),
		RepoDir:          repoAbs,
		PulumiBin:        pulumiAbs,
		ShimDir:          shims,
		Scale:            *scale,
		ReplicationDelay: *replDelay,
		Logf:             quiet,
	}, lab.RehearsalOptions{
		DRScript:          filepath.Join(repoAbs, "runbooks", "bin", "dr"),
		Record:            recordAbs,
		WriteInterval:     *writeEvery,
		HeartbeatInterval: 200 * time.Millisecond,
		ProbeInterval:     250 * time.Millisecond,
		Out:               os.Stdout,
	})
	logf("rehearsal took %s; record: %s", time.Since(start).Round(time.Second), *record)
	if left := leftovers(dir); len(left) > 0 {
		err = errors.Join(err, fmt.Errorf("the lab left processes behind: %s", strings.Join(left, "; ")))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "drlab:", err)
		return 1
	}
	fmt.Println("drlab: rehearsal passed")
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

// linkShims makes dir hold aws, kubectl, getent, curl and pulumi, each a
// link to this binary.
func linkShims(self, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("shim dir: %w", err)
	}
	for _, tool := range append(slices.Clone(labenv.ShimTools), lab.ShimTools...) {
		if err := os.Symlink(self, filepath.Join(dir, tool)); err != nil {
			return fmt.Errorf("shim %s: %w", tool, err)
		}
	}
	return nil
}
