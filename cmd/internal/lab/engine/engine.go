// Package engine runs the real program through the real Pulumi CLI for the
// lab: a prebuilt program binary, a project directory whose Pulumi.yaml
// points the lab's Go language host at it, copies of the stack files, a
// file state backend, and the lab's plugins first on PATH.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/plugins"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
)

// Stacks are the lab's stacks, named as the program's peer references
// name them (Pulumi.<stack>.yaml taskflow:peer.stack).
var Stacks = []string{"primary", "standby"}

// Options configure a lab engine.
type Options struct {
	// Pulumi is the CLI.
	Pulumi string
	// Plugins is the drlab-plugins binary; its links are made in
	// Dir/plugins.
	Plugins string
	// Program is the prebuilt program binary (BuildProgram).
	Program string
	// RepoDir holds Pulumi.yaml and the stack files.
	RepoDir string
	// Dir is where the project, the state and PULUMI_HOME go.
	Dir string
	// Cloud is the lab cloud's URL (cloudrpc.EnvCloud).
	Cloud string
	// Env is added to every command's environment (e.g. DRLAB_TIME_SCALE).
	Env []string
	// Stacks are the stacks to create, each with its Pulumi.<stack>.yaml
	// in RepoDir (default: Stacks).
	Stacks []string
	// AmbientPlugins puts the resource plugins on PATH instead of
	// installing them into the lab's plugin cache. The engine then warns
	// on every plugin load ("using pulumi-resource-aws from $PATH",
	// sdk/go/common/workspace/plugins.go:2255-2270), a dozen lines per
	// `up` that AWS runs never show.
	AmbientPlugins bool
}

// Engine runs the CLI on the lab's stacks.
type Engine struct {
	opts       Options
	cli        string
	projectDir string
	env        []string
}

// BuildProgram builds the program at repoDir into out (`go build -o out .`),
// with env added to the go command's environment.
func BuildProgram(ctx context.Context, repoDir, out string, env ...string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = repoDir
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the program: %w: %s", err, b)
	}
	return nil
}

// New prepares the project, the backend and the stacks.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if len(opts.Stacks) == 0 {
		opts.Stacks = Stacks
	}
	e := &Engine{opts: opts, projectDir: filepath.Join(opts.Dir, "project")}
	pluginDir := filepath.Join(opts.Dir, "plugins")
	for _, d := range []string{"state", "home", "project"} {
		if err := os.MkdirAll(filepath.Join(opts.Dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("lab engine: %w", err)
		}
	}
	cli, err := cliWithLanguageHost(opts.Pulumi, opts.Plugins, filepath.Join(opts.Dir, "cli"))
	if err != nil {
		return nil, err
	}
	e.cli = cli
	if err := e.writeProject(); err != nil {
		return nil, err
	}
	e.env = append([]string{
		"PULUMI_BACKEND_URL=file://" + filepath.Join(opts.Dir, "state"),
		"PULUMI_HOME=" + filepath.Join(opts.Dir, "home"),
		// The passphrase secrets provider: the stacks hold the generated
		// password and the kubeconfig as secrets.
		"PULUMI_CONFIG_PASSPHRASE=drlab-rehearsal",
		"PULUMI_SKIP_UPDATE_CHECK=1",
		"PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true",
		// A missing plugin fails at once instead of being downloaded.
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		cloudrpc.EnvCloud + "=" + opts.Cloud,
	}, opts.Env...)
	if opts.AmbientPlugins {
		if err := plugins.Install(pluginDir, opts.Plugins, plugins.ProviderNames()...); err != nil {
			return nil, err
		}
		e.env = append(e.env, "PATH="+pluginDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	} else {
		// Installed at the versions the SDKs ask for, in the lab's own
		// PULUMI_HOME, as `pulumi plugin install` would from a release:
		// offline, from the multi-call binary. Ambient plugins are then
		// ignored so nothing on the caller's PATH can stand in for them.
		e.env = append(e.env, "PULUMI_IGNORE_AMBIENT_PLUGINS=true")
		for _, p := range plugins.Providers() {
			if _, _, err := e.Run(ctx, "plugin", "install", "resource", p.Name, p.Version, "--file", opts.Plugins); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range opts.Stacks {
		if _, _, err := e.Run(ctx, "stack", "init", s); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// cliWithLanguageHost returns a CLI with the lab's language host beside
// it: cli itself when its directory holds one (`make lab` installs it
// there), else a link to cli in dir with the host linked next to it.
func cliWithLanguageHost(cli, pluginsBin, dir string) (string, error) {
	real, err := filepath.EvalSymlinks(cli)
	if err != nil {
		return "", fmt.Errorf("lab engine: CLI: %w", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(real), plugins.LanguageHost)); err == nil {
		return cli, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("lab engine: %w", err)
	}
	// A hard link, not a symlink: the engine resolves its own path
	// (os.Executable, then EvalSymlinks) to find bundled plugins.
	linked := filepath.Join(dir, "pulumi")
	if _, err := os.Stat(linked); err != nil {
		if err := os.Link(real, linked); err != nil {
			if err := copyFile(real, linked); err != nil {
				return "", fmt.Errorf("lab engine: place the CLI: %w", err)
			}
		}
	}
	if err := plugins.Install(dir, pluginsBin, plugins.LanguageHost); err != nil {
		return "", err
	}
	return linked, nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

// writeProject writes Pulumi.yaml with the runtime pointed at the
// prebuilt binary, and copies the stack files.
func (e *Engine) writeProject() error {
	raw, err := os.ReadFile(filepath.Join(e.opts.RepoDir, "Pulumi.yaml"))
	if err != nil {
		return fmt.Errorf("lab engine: %w", err)
	}
	var proj map[string]any
	if err := yaml.Unmarshal(raw, &proj); err != nil {
		return fmt.Errorf("lab engine: parse Pulumi.yaml: %w", err)
	}
	name, _ := proj["runtime"].(string)
	if m, ok := proj["runtime"].(map[string]any); ok {
		name, _ = m["name"].(string)
	}
	if name != "go" {
		return fmt.Errorf("lab engine: Pulumi.yaml runtime is %v, not go", proj["runtime"])
	}
	bin, err := filepath.Abs(e.opts.Program)
	if err != nil {
		return err
	}
	// `runtime: {name: go, options: {binary: …}}` is how a Go project
	// names a prebuilt program (read by the language host's Run).
	proj["runtime"] = map[string]any{"name": "go", "options": map[string]any{"binary": bin}}
	out, err := yaml.Marshal(proj)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(e.projectDir, "Pulumi.yaml"), out, 0o644); err != nil {
		return fmt.Errorf("lab engine: %w", err)
	}
	for _, s := range e.opts.Stacks {
		f := "Pulumi." + s + ".yaml"
		b, err := os.ReadFile(filepath.Join(e.opts.RepoDir, f))
		if err != nil {
			return fmt.Errorf("lab engine: %w", err)
		}
		if err := os.WriteFile(filepath.Join(e.projectDir, f), b, 0o644); err != nil {
			return fmt.Errorf("lab engine: %w", err)
		}
	}
	return nil
}

// CLI is the Pulumi CLI the engine runs (with the lab's language host
// beside it): the runbook's `pulumi` must be this one.
func (e *Engine) CLI() string { return e.cli }

// ProjectDir is the directory the CLI runs in.
func (e *Engine) ProjectDir() string { return e.projectDir }

// Env is the environment the lab's CLI needs (for the runbook's `pulumi`).
func (e *Engine) Env() []string { return append([]string(nil), e.env...) }

// Result is one CLI run.
type Result struct {
	Args           []string
	Stdout, Stderr string
	Took           time.Duration
}

// Run runs the CLI in the project directory. A non-zero exit is an error
// that includes the output.
func (e *Engine) Run(ctx context.Context, args ...string) (string, Result, error) {
	cmd := exec.CommandContext(ctx, e.cli, args...)
	cmd.Dir = e.projectDir
	cmd.Env = append(os.Environ(), e.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := Result{Args: args, Stdout: stdout.String(), Stderr: stderr.String(), Took: time.Since(start)}
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = &RunError{Result: res, Code: exit.ExitCode()}
		}
		return res.Stdout, res, err
	}
	return res.Stdout, res, nil
}

// RunError is a CLI run that exited non-zero.
type RunError struct {
	Result
	Code int
}

func (e *RunError) Error() string {
	return fmt.Sprintf("pulumi %s: exit %d\n%s\n%s", strings.Join(e.Args, " "), e.Code,
		strings.TrimSpace(e.Stdout), strings.TrimSpace(e.Stderr))
}
