package langhost

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

// The test binary doubles as the "program": with fakeProgramEnv set it
// records its environment and exits with the status asked for.
const (
	fakeProgramEnv  = "LANGHOST_TEST_FAKE_PROGRAM"
	fakeProgramOut  = "LANGHOST_TEST_FAKE_OUT"
	fakeProgramExit = "LANGHOST_TEST_FAKE_EXIT"
)

func TestMain(m *testing.M) {
	if os.Getenv(fakeProgramEnv) != "" {
		wd, _ := os.Getwd()
		env := map[string]string{"PWD": wd}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			if strings.HasPrefix(k, "PULUMI_") {
				env[k] = v
			}
		}
		b, _ := json.Marshal(env)
		_ = os.WriteFile(os.Getenv(fakeProgramOut), b, 0o644)
		code, _ := strconv.Atoi(os.Getenv(fakeProgramExit))
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func programInfo(t *testing.T, root, binary string) *pulumirpc.ProgramInfo {
	t.Helper()
	opts, err := structpb.NewStruct(map[string]any{"binary": binary})
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.ProgramInfo{RootDirectory: root, ProgramDirectory: root, EntryPoint: ".", Options: opts}
}

// runFake runs the test binary as the program and returns what it saw.
func runFake(t *testing.T, exit int, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, map[string]string, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "env.json")
	t.Setenv(fakeProgramEnv, "1")
	t.Setenv(fakeProgramOut, out)
	t.Setenv(fakeProgramExit, strconv.Itoa(exit))
	// A stray stack name in the caller's environment must not leak into
	// the program.
	t.Setenv("PULUMI_STACK", "not-this-one")
	t.Setenv("PULUMI_PLUGINS", "true")
	req.Info = programInfo(t, dir, self)
	req.Pwd = dir
	var stdout, stderr bytes.Buffer
	h := New("127.0.0.1:4242", &stdout, &stderr)
	resp, err := h.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the program did not run: %v (stderr %s)", err, stderr.String())
	}
	var env map[string]string
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	return resp, env, dir
}

func TestRunPassesTheEnvironmentPulumiRunReads(t *testing.T) {
	resp, env, dir := runFake(t, 0, &pulumirpc.RunRequest{
		Project: "taskflow-dr", Stack: "standby", Organization: "organization",
		Config:           map[string]string{"taskflow:role": "standby", "taskflow:database": `{"mode":"replica"}`},
		ConfigSecretKeys: []string{"taskflow:secret"},
		DryRun:           true, Parallel: 16, MonitorAddress: "127.0.0.1:5000",
	})
	if resp.GetError() != "" || resp.GetBail() {
		t.Fatalf("run: %+v", resp)
	}
	want := map[string]string{
		"PULUMI_PROJECT": "taskflow-dr", "PULUMI_STACK": "standby", "PULUMI_ORGANIZATION": "organization",
		"PULUMI_DRY_RUN": "true", "PULUMI_PARALLEL": "16", "PULUMI_MONITOR": "127.0.0.1:5000",
		"PULUMI_ENGINE": "127.0.0.1:4242", "PULUMI_ROOT_DIRECTORY": dir, "PULUMI_CONFIG_SECRET_KEYS": `["taskflow:secret"]`,
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	var cfg map[string]string
	if err := json.Unmarshal([]byte(env["PULUMI_CONFIG"]), &cfg); err != nil || cfg["taskflow:database"] != `{"mode":"replica"}` {
		t.Errorf("PULUMI_CONFIG = %q (%v)", env["PULUMI_CONFIG"], err)
	}
	if _, ok := env["PULUMI_PLUGINS"]; ok {
		t.Error("PULUMI_PLUGINS reached the program: it would print its plugins and exit")
	}
	if env["PWD"] != dir {
		t.Errorf("program ran in %s, want %s", env["PWD"], dir)
	}
}

func TestRunMapsExitStatuses(t *testing.T) {
	for _, tc := range []struct {
		exit      int
		bail      bool
		errSubstr string
	}{
		{exit: 0},
		{exit: exitStatusLoggedError, bail: true},
		{exit: 3, errSubstr: "non-zero exit code: 3"},
	} {
		resp, _, _ := runFake(t, tc.exit, &pulumirpc.RunRequest{Project: "p", Stack: "s", MonitorAddress: "m"})
		if resp.GetBail() != tc.bail || !strings.Contains(resp.GetError(), tc.errSubstr) || (tc.errSubstr == "" && resp.GetError() != "") {
			t.Errorf("exit %d: got %+v", tc.exit, resp)
		}
	}
}

func TestRunRefusesWithoutAPrebuiltBinary(t *testing.T) {
	h := New("127.0.0.1:1", &bytes.Buffer{}, &bytes.Buffer{})
	_, err := h.Run(context.Background(), &pulumirpc.RunRequest{Info: &pulumirpc.ProgramInfo{RootDirectory: t.TempDir()}})
	if err == nil || !strings.Contains(err.Error(), "prebuilt") {
		t.Fatalf("want a refusal naming prebuilt programs, got %v", err)
	}
	dir := t.TempDir()
	_, err = h.Run(context.Background(), &pulumirpc.RunRequest{Info: programInfo(t, dir, "missing-binary")})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "missing-binary")) {
		t.Fatalf("a relative binary resolves against the project root: %v", err)
	}
}

func TestRequiredPackagesReadPluginJSONFromTheModuleCache(t *testing.T) {
	cache := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(cache, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("github.com/pulumi/pulumi-aws/sdk/v6@v6.83.4/go/aws/pulumi-plugin.json", `{"resource": true, "name": "aws", "version": "6.83.4"}`)
	// The module path is escaped in the cache (golang.org/x/mod/module).
	write("github.com/!example/pulumi-thing@v1.2.3/pulumi-plugin.json", `{"resource": true, "name": "thing", "server": "https://example.test"}`)
	deps := []*debug.Module{
		{Path: "github.com/pulumi/pulumi-aws/sdk/v6", Version: "v6.83.4"},
		{Path: "github.com/Example/pulumi-thing", Version: "v1.2.3"},
		// Not in the cache: the naming convention gives name and version.
		{Path: "github.com/pulumi/pulumi-eks/sdk/v2", Version: "v2.8.1"},
		{Path: "github.com/pulumi/pulumi/sdk/v3", Version: "v3.274.1"},
		{Path: "google.golang.org/grpc", Version: "v1.83.2"},
	}
	got, err := packagesOf(deps, cache)
	if err != nil {
		t.Fatal(err)
	}
	want := []Package{{Name: "aws", Version: "6.83.4"}, {Name: "eks", Version: "2.8.1"}, {Name: "thing", Version: "1.2.3", Server: "https://example.test"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("package %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestRequiredPackagesRefuseTwoVersionsOfOnePlugin(t *testing.T) {
	_, err := packagesOf([]*debug.Module{
		{Path: "github.com/pulumi/pulumi-aws/sdk/v6", Version: "v6.83.4"},
		{Path: "github.com/pulumi/pulumi-aws/sdk/v7", Version: "v7.0.0"},
	}, t.TempDir())
	if err == nil {
		t.Fatal("two versions of aws accepted")
	}
}
