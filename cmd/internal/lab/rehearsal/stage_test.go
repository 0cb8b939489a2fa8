package rehearsal

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
)

// labBinaries builds what a stage runs, into dir, and returns the options.
// It runs only with DRLAB_PULUMI set (make lab-engine-test sets it): it
// builds the program and runs the Pulumi CLI.
func labBinaries(t *testing.T) StageOptions {
	t.Helper()
	cli := os.Getenv("DRLAB_PULUMI")
	if cli == "" {
		t.Skip("set DRLAB_PULUMI to the lab's Pulumi CLI to run the stage")
	}
	repo, err := filepath.Abs("../../../..")
	require.NoError(t, err)
	dir, err := pg.TempRoot("drlab-t")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	build := func(out, pkg, wd string) string {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, out), pkg)
		cmd.Dir = wd
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", b)
		return filepath.Join(dir, out)
	}
	return StageOptions{
		RepoDir: repo, Pulumi: cli, Dir: dir, Scale: 10, ReplicationDelay: 250 * time.Millisecond,
		Plugins: build("drlab-plugins", "./drlab-plugins", filepath.Join(repo, "cmd")),
		Program: build("taskflow-dr", ".", repo),
		Agent:   build("dr-agent", "./dr-agent", filepath.Join(repo, "cmd")),
		Self:    build("drlab", "./drlab", filepath.Join(repo, "cmd")),
		Logf:    t.Logf,
	}
}

// TestStageDeploysTheRealProgram: both stacks deploy through the real
// engine onto the lab cloud; the standby's database is a real replica of
// the primary's; each region's agent answers through the API server's
// proxy with its database's role.
func TestStageDeploysTheRealProgram(t *testing.T) {
	opts := labBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	s, err := StartStage(ctx, opts)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	p, err := s.Outputs(ctx, "primary")
	require.NoError(t, err)
	st, err := s.Outputs(ctx, "standby")
	require.NoError(t, err)
	require.Equal(t, "writer", p["dbMode"])
	require.Equal(t, "replica", st["dbMode"])
	require.Equal(t, p["dbInstanceArn"], st["dbReplicationSourceArn"])
}
