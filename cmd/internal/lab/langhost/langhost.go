// Package langhost is the lab's own Go language host: the plugin the Pulumi
// engine starts as `pulumi-language-go` to run a `runtime: go` program. The
// CLI built for the lab (tools/pulumi, v3.274.1) ships none and the real
// one's module is not served offline, so the lab brings this one.
//
// It runs PREBUILT programs only (Pulumi.yaml `runtime: {name: go,
// options: {binary: …}}`): it never compiles, so a lab `pulumi up` does not
// pay the two compiles per up the real host's `go build` costs.
//
// The protocol is pulumi/pulumi v3.274.1's (pkg/v3@v3.274.1, the CLI's
// own copy of the plugin code):
//   - the engine starts the host with the engine's address as its last
//     argument (resource/plugin/langruntime_plugin.go:208-211), preceded by
//     optional --logtostderr, -v=N and --tracing URL (plugin.go:740-756),
//     reads the port from the first line of stdout (plugin.go:376-432) and
//     only tests the connection (langruntime_plugin.go:136): Handshake is
//     sent when attaching through PULUMI_DEBUG_LANGUAGES
//     (langruntime_plugin.go:67-80), not when it starts the host;
//   - `up`/`preview` call GetPluginInfo and GetRequiredPackages
//     (engine/update.go:775, engine/plugins.go:308,328,352), `refresh` and
//     `destroy` GetRequiredPackages (engine/refresh.go:97,
//     engine/destroy.go:127, errors ignored there), falling back to
//     GetRequiredPlugins only on Unimplemented (langruntime_plugin.go:243);
//     the update metadata calls About (cmd/pulumi/metadata/metadata.go:116);
//     the program runs through Run (resource/deploy/program_source.go:127-142),
//     whose reply is {error} or {bail} (langruntime_plugin.go:433-437).
package langhost

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Version is what GetPluginInfo reports: the engine records it as the
// language plugin's version (pkg/v3@v3.274.1 engine/plugins.go:308-321). It names the SDK
// line the protocol was read from, marked as the lab's build.
const Version = "3.274.1+drlab"

// exitStatusLoggedError is the Go SDK's exit status for "the program failed
// and already told the engine why" (sdk/go/common/constant/exec_kind.go:31,
// used by sdk/go/pulumi/run.go:62); the host answers it with Bail so the
// engine does not print a second, vaguer error.
const exitStatusLoggedError = 32

// engineCheckInterval is how often the host checks the engine is alive.
const engineCheckInterval = 2 * time.Second

// interruptGrace is how long a cancelled program gets between SIGINT and
// SIGKILL.
const interruptGrace = 5 * time.Second

// Host implements pulumirpc.LanguageRuntimeServer.
type Host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	running       map[*exec.Cmd]struct{}
	stdout        io.Writer
	stderr        io.Writer
}

// New returns a host that reports to the engine at engineAddress (empty
// until Handshake when attached). Programs' output goes to stdout and
// stderr, which the engine reads as the plugin's output.
func New(engineAddress string, stdout, stderr io.Writer) *Host {
	return &Host{engineAddress: engineAddress, running: map[*exec.Cmd]struct{}{}, stdout: stdout, stderr: stderr}
}

// Main runs the host as the engine starts it; args exclude argv[0]. It
// returns the process exit status.
func Main(args []string) int {
	fs := flag.NewFlagSet("pulumi-language-go", flag.ContinueOnError)
	fs.String("tracing", "", "Zipkin-compatible tracing endpoint (accepted, not used)")
	fs.Bool("logtostderr", false, "log to stderr (accepted, not used)")
	fs.Int("v", 0, "log verbosity (accepted, not used)")
	fs.String("root", "", "project root (accepted, not used: RunRequest carries it)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var engine string
	if rest := fs.Args(); len(rest) > 0 {
		engine = rest[len(rest)-1]
	}
	if err := serve(engine); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-language-go (drlab):", err)
		return 1
	}
	return 0
}

// serve listens on a free port, prints it for the engine and serves until
// the engine goes away.
func serve(engine string) error {
	host := New(engine, os.Stdout, os.Stderr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if engine != "" {
		// Exit when the engine disappears (e.g. the CLI was SIGKILLed by
		// the lab's fault injection): the lab must leave no process behind.
		if err := rpcutil.Healthcheck(ctx, engine, engineCheckInterval, cancel); err != nil {
			return fmt.Errorf("engine health check: %w", err)
		}
	}
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		host.interruptAll()
		close(stop)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	// The engine reads exactly one line, the port, from stdout
	// (pkg/v3@v3.274.1 resource/plugin/plugin.go:376-432).
	fmt.Printf("%d\n", handle.Port)
	return <-handle.Done
}

// Handshake records the engine's address when the engine attaches to an
// already running host (PULUMI_DEBUG_LANGUAGES).
func (h *Host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() == "" {
		return nil, status.Error(codes.InvalidArgument, "handshake without an engine address")
	}
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// GetPluginInfo reports the host's version.
func (h *Host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// GetRequiredPackages lists the resource plugins the program's Go SDKs ask
// for, read from the prebuilt binary's module list.
func (h *Host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	bin, err := programBinary(req.GetInfo())
	if err != nil {
		return nil, err
	}
	pkgs, err := RequiredPackages(bin, ModuleCache())
	if err != nil {
		return nil, err
	}
	out := &pulumirpc.GetRequiredPackagesResponse{}
	for _, p := range pkgs {
		out.Packages = append(out.Packages, &pulumirpc.PackageDependency{
			Name: p.Name, Kind: "resource", Version: p.Version, Server: p.Server,
		})
	}
	return out, nil
}

// GetRequiredPlugins is the deprecated form of GetRequiredPackages, which
// the engine falls back to only when the latter is unimplemented
// (pkg/v3@v3.274.1 resource/plugin/langruntime_plugin.go:243). Served all
// the same.
func (h *Host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	bin, err := programBinary(req.GetInfo())
	if err != nil {
		return nil, err
	}
	pkgs, err := RequiredPackages(bin, ModuleCache())
	if err != nil {
		return nil, err
	}
	out := &pulumirpc.GetRequiredPluginsResponse{}
	for _, p := range pkgs {
		out.Plugins = append(out.Plugins, &pulumirpc.PluginDependency{
			Name: p.Name, Kind: "resource", Version: p.Version, Server: p.Server,
		})
	}
	return out, nil
}

// InstallDependencies has nothing to install for a prebuilt binary; it
// checks that the binary exists, so `pulumi install` fails where `up` would.
func (h *Host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	bin, err := programBinary(req.GetInfo())
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("prebuilt program %s: nothing to install\n", bin)
	return stream.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
}

// About describes the Go toolchain the program was built with.
func (h *Host) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	resp := &pulumirpc.AboutResponse{Metadata: map[string]string{"host": "drlab prebuilt-binary host"}}
	bin, err := programBinary(req.GetInfo())
	if err != nil {
		// `pulumi about` outside a project must still work.
		return resp, nil
	}
	resp.Executable = bin
	if info, err := readBuildInfo(bin); err == nil {
		resp.Version = info.GoVersion
	}
	return resp, nil
}

// GetProgramDependencies lists the program's Go modules.
func (h *Host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	bin, err := programBinary(req.GetInfo())
	if err != nil {
		return nil, err
	}
	info, err := readBuildInfo(bin)
	if err != nil {
		return nil, err
	}
	out := &pulumirpc.GetProgramDependenciesResponse{}
	for _, d := range info.Deps {
		out.Dependencies = append(out.Dependencies, &pulumirpc.DependencyInfo{Name: d.Path, Version: d.Version})
	}
	return out, nil
}

// RuntimeOptionsPrompts asks nothing: `pulumi new` is not a lab operation.
func (h *Host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// Cancel interrupts every running program.
func (h *Host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.interruptAll()
	return &emptypb.Empty{}, nil
}

// Run starts the prebuilt program with the environment the Go SDK's
// pulumi.Run reads (sdk/go/pulumi/run.go:187-239) and waits for it.
func (h *Host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()
	if engine == "" {
		return nil, status.Error(codes.FailedPrecondition, "no engine address: the engine passes it as the last argument, or through Handshake when attaching")
	}
	bin, err := programBinary(req.GetInfo())
	if err != nil {
		return nil, err
	}
	env, err := ProgramEnv(os.Environ(), req, engine)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = h.stdout, h.stderr
	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("start %s: %v", bin, err)}, nil
	}
	h.track(cmd, true)
	defer h.track(cmd, false)

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-ctx.Done():
		interrupt(cmd, done)
		waitErr = <-done
	}
	return runResponse(waitErr), nil
}

// runResponse maps the program's exit to the engine's reply: 0 is success,
// the SDK's "already logged" status is a bail, anything else an error.
func runResponse(waitErr error) *pulumirpc.RunResponse {
	if waitErr == nil {
		return &pulumirpc.RunResponse{}
	}
	var exit *exec.ExitError
	if !errors.As(waitErr, &exit) {
		return &pulumirpc.RunResponse{Error: waitErr.Error()}
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program killed by signal %s", ws.Signal())}
	}
	if exit.ExitCode() == exitStatusLoggedError {
		return &pulumirpc.RunResponse{Bail: true}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exit.ExitCode())}
}

func (h *Host) track(cmd *exec.Cmd, add bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if add {
		h.running[cmd] = struct{}{}
	} else {
		delete(h.running, cmd)
	}
}

func (h *Host) interruptAll() {
	h.mu.Lock()
	cmds := make([]*exec.Cmd, 0, len(h.running))
	for c := range h.running {
		cmds = append(cmds, c)
	}
	h.mu.Unlock()
	for _, c := range cmds {
		_ = c.Process.Signal(os.Interrupt)
	}
}

// interrupt asks the program to stop, then kills it after interruptGrace.
// done receives the Wait result and is left for the caller to drain.
func interrupt(cmd *exec.Cmd, done chan error) {
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		done <- err
	case <-time.After(interruptGrace):
		_ = cmd.Process.Kill()
	}
}

// ProgramEnv is base plus the variables pulumi.Run reads; variables of the
// same names already in base are replaced, so a stray PULUMI_STACK in the
// caller's environment can never point the program at another stack.
func ProgramEnv(base []string, req *pulumirpc.RunRequest, engine string) ([]string, error) {
	cfg := req.GetConfig()
	if cfg == nil {
		cfg = map[string]string{}
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	keysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("encode secret config keys: %w", err)
	}
	// Names from sdk/go/pulumi/run.go:218-239.
	set := map[string]string{
		"PULUMI_ORGANIZATION":       req.GetOrganization(),
		"PULUMI_PROJECT":            req.GetProject(),
		"PULUMI_ROOT_DIRECTORY":     req.GetInfo().GetRootDirectory(),
		"PULUMI_STACK":              req.GetStack(),
		"PULUMI_CONFIG":             string(cfgJSON),
		"PULUMI_CONFIG_SECRET_KEYS": string(keysJSON),
		"PULUMI_DRY_RUN":            strconv.FormatBool(req.GetDryRun()),
		"PULUMI_PARALLEL":           strconv.Itoa(int(req.GetParallel())),
		"PULUMI_MONITOR":            req.GetMonitorAddress(),
		"PULUMI_ENGINE":             engine,
	}
	env := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		// PULUMI_PLUGINS would make the program print its plugins and
		// exit (sdk/go/pulumi/run.go:75-77) instead of running.
		if _, ours := set[k]; ours || k == "PULUMI_PLUGINS" {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		if v == "" {
			continue
		}
		env = append(env, k+"="+v)
	}
	return env, nil
}

// programBinary resolves runtime.options.binary against the project root.
func programBinary(info *pulumirpc.ProgramInfo) (string, error) {
	if info == nil {
		return "", status.Error(codes.InvalidArgument, "no program info")
	}
	var bin string
	if opts := info.GetOptions(); opts != nil {
		if v, ok := opts.AsMap()["binary"].(string); ok {
			bin = v
		}
	}
	if bin == "" {
		return "", status.Error(codes.FailedPrecondition,
			"the drlab Go language host runs prebuilt programs only: set `runtime: {name: go, options: {binary: <path>}}` in Pulumi.yaml")
	}
	if !filepath.IsAbs(bin) {
		bin = filepath.Join(info.GetRootDirectory(), bin)
	}
	st, err := os.Stat(bin)
	if err != nil {
		return "", status.Errorf(codes.FailedPrecondition, "program binary: %v", err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", status.Errorf(codes.FailedPrecondition, "program binary %s is not an executable file", bin)
	}
	return bin, nil
}

func readBuildInfo(bin string) (*debug.BuildInfo, error) {
	return readBuildInfoFile(bin)
}
