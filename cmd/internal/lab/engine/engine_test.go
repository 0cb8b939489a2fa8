package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/aws"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc/cloudrpctest"
)

// envPulumi names the CLI to test with. The tests run only when it is set:
// they build programs and run the CLI for a minute or two, too heavy for
// every `go test ./...` on a shared machine (`make lab-engine-test` sets
// it).
const envPulumi = "DRLAB_PULUMI"

// envKeep, when set, is a directory the test works in and leaves behind.
const envKeep = "DRLAB_ENGINE_KEEP"

// envTimings, when set, is where the measured timings are written.
const envTimings = "DRLAB_ENGINE_TIMINGS"

func cliPath(t *testing.T) string {
	p := os.Getenv(envPulumi)
	if p == "" {
		t.Skipf("set %s to a Pulumi CLI v3.274.1 to run the program through the engine", envPulumi)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s=%s: %v", envPulumi, p, err)
	}
	return p
}

// repoRoot is the program's module, three levels above cmd/internal/lab.
func repoRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Clean(filepath.Join(wd, "..", "..", "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "Pulumi.yaml")); err != nil {
		t.Fatalf("no Pulumi.yaml at %s", root)
	}
	return root
}

func buildPlugins(t *testing.T, out string) {
	cmd := exec.Command("go", "build", "-o", out, "./drlab-plugins")
	cmd.Dir = filepath.Join(repoRoot(t), "cmd")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build plugins: %v: %s", err, b)
	}
}

// outputs returns `pulumi stack output --json --show-secrets`.
func outputs(t *testing.T, ctx context.Context, e *Engine, stack string) map[string]any {
	t.Helper()
	out, _, err := e.Run(ctx, "stack", "output", "--json", "--show-secrets", "-s", stack)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("stack output of %s: %v: %s", stack, err, out)
	}
	return m
}

// run runs the CLI and fails the test on a non-zero exit.
func run(t *testing.T, ctx context.Context, e *Engine, args ...string) Result {
	t.Helper()
	_, res, err := e.Run(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRealProgramThroughRealEngine runs the repository's program through
// the real CLI with the lab's plugins, against a fake lab cloud: both
// stacks up, the standby reading the primary's real state; outputs;
// preview --expect-no-changes; a CLI promotion that only a refresh makes
// visible (the up before it fails as on AWS); a --replace refused while
// protected.
func TestRealProgramThroughRealEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program and runs the Pulumi CLI")
	}
	pulumi := cliPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	if keep := os.Getenv(envKeep); keep != "" {
		// Keep the project, state and plugins for inspection.
		tmp = keep
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	buildPlugins(t, filepath.Join(tmp, "drlab-plugins"))
	program := filepath.Join(tmp, "taskflow-dr")
	if err := BuildProgram(ctx, repoRoot(t), program); err != nil {
		t.Fatal(err)
	}
	t.Logf("built plugins and program in %s", time.Since(start).Round(time.Second))

	cloud := cloudrpctest.New(aws.DefaultAccount, "taskflow.example.com")
	defer cloud.Close()
	// The fake refuses launch configurations, as AWS does in accounts
	// created after 2024-10-01
	// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/launch-configurations.html):
	// the program's managed node group needs none.
	srv := httptest.NewServer(cloud)
	defer srv.Close()

	e, err := New(ctx, Options{
		Pulumi: pulumi, Plugins: filepath.Join(tmp, "drlab-plugins"), Program: program,
		RepoDir: repoRoot(t), Dir: filepath.Join(tmp, "lab"), Cloud: srv.URL,
		Env: []string{"DRLAB_POLL_INTERVAL=20ms"},
	})
	if err != nil {
		t.Fatal(err)
	}
	timings := map[string]time.Duration{}

	res := run(t, ctx, e, "up", "--yes", "-s", "primary")
	timings["up primary (create, with preview)"] = res.Took
	res = run(t, ctx, e, "up", "--yes", "-s", "standby")
	timings["up standby (create, with preview)"] = res.Took

	primary, standby := outputs(t, ctx, e, "primary"), outputs(t, ctx, e, "standby")
	if standby["dbReplicationSourceArn"] != primary["dbInstanceArn"] || primary["dbInstanceArn"] == "" {
		t.Fatalf("standby replicates %v, primary's ARN is %v", standby["dbReplicationSourceArn"], primary["dbInstanceArn"])
	}
	standbyDB, _ := standby["dbInstanceId"].(string)
	src, _, _, ok := cloud.DB("eu-central-1", standbyDB)
	if !ok || src != primary["dbInstanceArn"] {
		t.Fatalf("lab cloud: standby DB %q is a replica of %q, want %v", standbyDB, src, primary["dbInstanceArn"])
	}
	if s, _ := standby["dbSecretArn"].(string); !strings.Contains(s, ":eu-central-1:") {
		t.Fatalf("standby dbSecretArn %q is not the eu-central-1 replica", s)
	}
	if kc, _ := primary["kubeconfig"].(string); !strings.Contains(kc, "--region") {
		t.Fatalf("kubeconfig lacks --region: %s", kc)
	}

	for _, s := range Stacks {
		res = run(t, ctx, e, "preview", "--expect-no-changes", "-s", s)
		timings["preview --expect-no-changes "+s] = res.Took
	}
	res = run(t, ctx, e, "up", "--yes", "--skip-preview", "-s", "primary")
	timings["up primary (no changes, --skip-preview)"] = res.Took
	if strings.TrimSpace(res.Stderr) != "" {
		t.Errorf("a clean up wrote to stderr:\n%s", res.Stderr)
	}
	if strings.Contains(res.Stdout, "warning:") {
		t.Errorf("a clean up warned:\n%s", res.Stdout)
	}
	if !strings.Contains(res.Stdout, "unchanged") {
		t.Errorf("a clean up changed something:\n%s", res.Stdout)
	}

	// A promotion with the AWS CLI (the runbook's), then the reconcile
	// without a refresh: the provider promotes again and RDS refuses
	// (runbooks/dr-design.md §9).
	if err := cloud.Promote("eu-central-1", standbyDB, 14); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, e, "config", "set", "--path", "taskflow:database.mode", "writer", "-s", "standby")
	_, res, err = e.Run(ctx, "up", "--yes", "--skip-preview", "-s", "standby")
	if err == nil || !strings.Contains(err.Error(), "InvalidDBInstanceState") {
		t.Fatalf("up after a CLI promotion without refresh: want RDS's InvalidDBInstanceState, got %v", err)
	}
	urn, _ := standby["dbInstanceUrn"].(string)
	res = run(t, ctx, e, "refresh", "--yes", "--skip-preview", "-s", "standby", "--target", urn)
	timings["refresh --target standby db"] = res.Took
	res = run(t, ctx, e, "up", "--yes", "--skip-preview", "-s", "standby")
	timings["up standby (writer mode after refresh)"] = res.Took
	standby = outputs(t, ctx, e, "standby")
	if standby["dbMode"] != "writer" || standby["dbReplicationSourceArn"] != "" {
		t.Fatalf("after reconcile: dbMode %v, source %v", standby["dbMode"], standby["dbReplicationSourceArn"])
	}
	if _, ret, _, _ := cloud.DB("eu-central-1", standbyDB); ret != 14 {
		t.Fatalf("promoted standby keeps %d days of backups, want 14", ret)
	}
	run(t, ctx, e, "preview", "--expect-no-changes", "-s", "standby")

	// The database is protected: --replace is refused at preview.
	_, _, err = e.Run(ctx, "up", "--yes", "--replace", urn, "-s", "standby")
	if err == nil || !strings.Contains(err.Error(), "protect") {
		t.Fatalf("--replace of the protected database: want a protection error, got %v", err)
	}
	if ids := cloud.DBs("eu-central-1"); len(ids) != 1 || ids[0] != standbyDB {
		t.Fatalf("the refused replace changed the lab: DBs %v", ids)
	}

	// Failback's rebuild of the primary (runbook failback): lift the
	// protection, then replace the diverged writer with a replica of the
	// standby; the old instance leaves a final snapshot named by the
	// rebuild's new suffix.
	primaryURN, _ := primary["dbInstanceUrn"].(string)
	oldPrimaryDB, _ := primary["dbInstanceId"].(string)
	run(t, ctx, e, "config", "set", "--path", "taskflow:database.rebuild", "true", "-s", "primary")
	res = run(t, ctx, e, "up", "--yes", "--skip-preview", "-s", "primary")
	timings["up primary (rebuild on: unprotect)"] = res.Took
	run(t, ctx, e, "config", "set", "--path", "taskflow:database.mode", "replica", "-s", "primary")
	// Without --replace, a writer cannot become a replica in place: the
	// engine keeps the ignored dbName and username, which conflict with
	// replicateSourceDb in the provider's schema check.
	if _, _, err := e.Run(ctx, "up", "--yes", "--skip-preview", "-s", "primary"); err == nil || !strings.Contains(err.Error(), "conflicts with replicateSourceDb") {
		t.Fatalf("writer to replica in place: want the schema's conflict, got %v", err)
	}
	res = run(t, ctx, e, "up", "--yes", "--skip-preview", "--replace", primaryURN, "-s", "primary")
	timings["up --replace primary db (rebuild as replica)"] = res.Took
	primary = outputs(t, ctx, e, "primary")
	newPrimaryDB, _ := primary["dbInstanceId"].(string)
	// The identifier is pinned (region/database.go InstanceIdentifier), so
	// the replace deletes the old instance first and creates the new one
	// under the same name: the runbook's outputs stay valid.
	if newPrimaryDB != oldPrimaryDB {
		t.Fatalf("the replace changed the pinned identifier %s to %s", oldPrimaryDB, newPrimaryDB)
	}
	if src, _, _, _ := cloud.DB("eu-west-1", newPrimaryDB); src != standby["dbInstanceArn"] {
		t.Fatalf("rebuilt primary replicates %q, want the standby %v", src, standby["dbInstanceArn"])
	}
	if ids := cloud.DBs("eu-west-1"); len(ids) != 1 {
		t.Fatalf("eu-west-1 DBs after the replace: %v", ids)
	}
	if snaps := cloud.Snapshots("eu-west-1"); len(snaps) != 1 || !strings.HasPrefix(snaps[0], "taskflow-dr-primary-db-final-") {
		t.Fatalf("final snapshots: %v", snaps)
	}
	run(t, ctx, e, "config", "set", "--path", "taskflow:database.rebuild", "false", "-s", "primary")
	run(t, ctx, e, "up", "--yes", "--skip-preview", "-s", "primary")
	for _, s := range Stacks {
		run(t, ctx, e, "preview", "--expect-no-changes", "-s", s)
	}

	writeTimings(t, timings)
}

func writeTimings(t *testing.T, timings map[string]time.Duration) {
	var b strings.Builder
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&b, "# %s, %d CPUs, load average %s\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), strings.TrimSpace(string(load)))
	keys := make([]string, 0, len(timings))
	for k := range timings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := timings[k]
		fmt.Fprintf(&b, "%-45s %6.2fs\n", k, v.Seconds())
		t.Logf("%-45s %6.2fs", k, v.Seconds())
	}
	if f := os.Getenv(envTimings); f != "" {
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// buildTestProgram builds testdata/<name> as a module of its own whose
// requirements are the repository's (go.mod and go.sum copied from the
// root), offline from the module cache.
func buildTestProgram(t *testing.T, ctx context.Context, name, dir string) string {
	t.Helper()
	src := filepath.Join("testdata", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mod, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(mod), "\n", 2)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module drlab.test/"+name+"\n"+lines[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(repoRoot(t), "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	if err := BuildProgram(ctx, dir, bin, "GOFLAGS=-mod=mod", "GOPROXY=off"); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestManagedNodeGroupThroughRealEngine runs pulumi-eks's Cluster without
// its default node group and a ManagedNodeGroup (the program's target
// shape) through the real CLI: a scale made with the AWS CLI is invisible
// until a refresh, after which the program's own size shows as a change
// until its config says the same.
func TestManagedNodeGroupThroughRealEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program and runs the Pulumi CLI")
	}
	pulumi := cliPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	if keep := os.Getenv(envKeep); keep != "" {
		tmp = keep
	}
	buildPlugins(t, filepath.Join(tmp, "drlab-plugins"))
	progDir := filepath.Join(tmp, "program")
	program := buildTestProgram(t, ctx, "mngprogram", progDir)

	cloud := cloudrpctest.New(aws.DefaultAccount, "taskflow.example.com")
	defer cloud.Close()
	srv := httptest.NewServer(cloud)
	defer srv.Close()
	e, err := New(ctx, Options{
		Pulumi: pulumi, Plugins: filepath.Join(tmp, "drlab-plugins"), Program: program,
		RepoDir: progDir, Dir: filepath.Join(tmp, "lab"), Cloud: srv.URL, Stacks: []string{"lab"},
		Env: []string{"DRLAB_POLL_INTERVAL=20ms"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// pulumi-eks v2.8.1's own access entries break a Go program that
	// reads the cluster's core (pulumi/pulumi-eks#1435): the lab's eks
	// plugin reproduces it.
	run(t, ctx, e, "config", "set", "mng:componentAccessEntries", "true", "-s", "lab")
	if _, _, err := e.Run(ctx, "up", "--yes", "-s", "lab"); err == nil || !strings.Contains(err.Error(), "expected a eks.AccessEntry") {
		t.Fatalf("component access entries: want pulumi-eks#1435's failure, got %v", err)
	}
	run(t, ctx, e, "config", "set", "mng:componentAccessEntries", "false", "-s", "lab")
	run(t, ctx, e, "up", "--yes", "-s", "lab")
	out := outputs(t, ctx, e, "lab")
	name, _ := out["nodeGroupName"].(string)
	if !strings.HasPrefix(name, "lab-ng-") || out["clusterName"] != "lab-mng" {
		t.Fatalf("outputs %v", out)
	}
	if arn, _ := out["oidcProviderArn"].(string); !strings.HasPrefix(arn, "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/") {
		t.Fatalf("oidc provider ARN %q", arn)
	}
	run(t, ctx, e, "preview", "--expect-no-changes", "-s", "lab")

	if err := cloud.ScaleNodegroup("eu-central-1", "lab-mng", name, 2, 5, 8); err != nil {
		t.Fatal(err)
	}
	// Invisible without a refresh.
	run(t, ctx, e, "preview", "--expect-no-changes", "-s", "lab")
	urn, _ := out["nodeGroupUrn"].(string)
	time.Sleep(100 * time.Millisecond) // the update settles (ACTIVE)
	run(t, ctx, e, "refresh", "--yes", "--skip-preview", "-s", "lab", "--target", urn)
	if _, _, err := e.Run(ctx, "preview", "--expect-no-changes", "-s", "lab"); err == nil {
		t.Fatal("after the refresh, the program's size (2) must show as a change")
	}
	run(t, ctx, e, "config", "set", "mng:desired", "5", "-s", "lab")
	run(t, ctx, e, "preview", "--expect-no-changes", "-s", "lab")
	run(t, ctx, e, "up", "--yes", "--skip-preview", "-s", "lab")
}
