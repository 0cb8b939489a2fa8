package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// pulumiStacks drives the real Pulumi CLI on a local file backend: a
// project directory holding copies of the real stack config files (so the
// runbook's `pulumi config set` edits copies, never the repository's), and
// lab stacks whose outputs are the lab's values, written with
// `pulumi stack import`.
type pulumiStacks struct {
	bin        string
	projectDir string
	env        []string
}

// newPulumiStacks creates the backend, the project and the two stacks.
func newPulumiStacks(ctx context.Context, bin, dir, repoDir string) (*pulumiStacks, error) {
	p := &pulumiStacks{bin: bin, projectDir: filepath.Join(dir, "project")}
	for _, d := range []string{"state", "home", "project"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("lab pulumi: %w", err)
		}
	}
	for _, f := range []string{"Pulumi.yaml", "Pulumi.primary.yaml", "Pulumi.standby.yaml"} {
		raw, err := os.ReadFile(filepath.Join(repoDir, f))
		if err != nil {
			return nil, fmt.Errorf("lab pulumi: read %s: %w", f, err)
		}
		if err := os.WriteFile(filepath.Join(p.projectDir, f), raw, 0o644); err != nil {
			return nil, fmt.Errorf("lab pulumi: copy %s: %w", f, err)
		}
	}
	p.env = []string{
		"PULUMI_BACKEND_URL=file://" + filepath.Join(dir, "state"),
		"PULUMI_HOME=" + filepath.Join(dir, "home"),
		"PULUMI_CONFIG_PASSPHRASE=drlab-rehearsal", // lab stacks hold no secret
		"PULUMI_SKIP_UPDATE_CHECK=1",
		"PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true",
	}
	for _, stack := range []string{"primary", "standby"} {
		if _, err := p.run(ctx, "stack", "init", stack); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Env is the environment the runbook needs to reach the lab stacks.
func (p *pulumiStacks) Env() []string { return p.env }

// run runs the real CLI in the project directory.
func (p *pulumiStacks) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.Dir = p.projectDir
	cmd.Env = append(os.Environ(), p.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pulumi %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// setOutputs replaces the stack's outputs: export, swap the root stack
// resource, import.
func (p *pulumiStacks) setOutputs(ctx context.Context, stack string, outputs map[string]any) error {
	raw, err := p.run(ctx, "stack", "export", "-s", stack)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return fmt.Errorf("lab pulumi: parse export of %s: %w", stack, err)
	}
	deployment, ok := doc["deployment"].(map[string]any)
	if !ok {
		return fmt.Errorf("lab pulumi: export of %s has no deployment", stack)
	}
	deployment["resources"] = []any{map[string]any{
		"urn":     fmt.Sprintf("urn:pulumi:%s::taskflow-dr::pulumi:pulumi:Stack::taskflow-dr-%s", stack, stack),
		"custom":  false,
		"type":    "pulumi:pulumi:Stack",
		"outputs": outputs,
	}}
	file := filepath.Join(p.projectDir, "."+stack+".import.json")
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("lab pulumi: encode import of %s: %w", stack, err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return fmt.Errorf("lab pulumi: %w", err)
	}
	defer os.Remove(file)
	_, err = p.run(ctx, "stack", "import", "-s", stack, "--file", file)
	return err
}

// config reads the stack's taskflow config as the program would see it.
func (p *pulumiStacks) config(ctx context.Context, stack string) (stackConfig, error) {
	raw, err := p.run(ctx, "config", "--json", "-s", stack)
	if err != nil {
		return stackConfig{}, err
	}
	var all map[string]struct {
		Value       string `json:"value"`
		ObjectValue any    `json:"objectValue"` // an object, or an array for list keys
	}
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		return stackConfig{}, fmt.Errorf("lab pulumi: parse config of %s: %w", stack, err)
	}
	field := func(key, name string) string {
		obj, _ := all["taskflow:"+key].ObjectValue.(map[string]any)
		v, ok := obj[name]
		if !ok {
			return ""
		}
		return fmt.Sprint(v)
	}
	return stackConfig{
		mode:    field("database", "mode"),
		rebuild: field("database", "rebuild") == "true",
		fence:   field("dns", "fence") == "true",
		scale:   field("cluster", "scale"),
	}, nil
}

// stackConfig is the part of a stack's config the lab reconciles.
type stackConfig struct {
	mode    string
	rebuild bool
	fence   bool
	scale   string
}

// pulumiUp plays `pulumi up` for a lab stack: the real program needs AWS,
// so the lab applies the config to the lab the way the program's resources
// would change — promotion in place when the mode turns writer, a rebuild
// only on an explicit `--replace` of an unprotected database, the gate's
// threshold from dns.fence, node sizes from cluster.scale — and writes the
// new outputs.
func (l *Lab) pulumiUp(ctx context.Context, args []string) (string, error) {
	stack, replace := "", ""
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-s", "--stack":
			stack = args[i+1]
			i++
		case "--replace":
			replace = args[i+1]
			i++
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.regions[stack]
	if !ok {
		return "", fmt.Errorf("error: no stack named '%s' found", stack)
	}
	if err := l.reachable(r.name); err != nil {
		return "", fmt.Errorf("error: refreshing %s: %w", stack, err)
	}
	cfg, err := l.stacks.config(ctx, stack)
	if err != nil {
		return "", err
	}
	var changes []string
	isReplica := r.db.ReplicationSource() != ""
	switch {
	case replace != "":
		if replace != dbURN(stack) {
			return "", fmt.Errorf("error: no resource %q in stack %s", replace, stack)
		}
		if r.protected {
			return "", fmt.Errorf("error: unable to replace resource %q as it is currently marked for protection. To unprotect the resource, remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`", replace)
		}
		if cfg.mode != "replica" {
			return "", fmt.Errorf("drlab: the lab rebuilds a database only as a replica (taskflow:database.mode is %q)", cfg.mode)
		}
		source := l.peerOf(r)
		if source.db.ReplicationSource() != "" {
			return "", fmt.Errorf("error: the peer's database %s is not a writer", source.dbInstanceID())
		}
		if err := r.db.RebuildAsReplicaOf(ctx, source.db); err != nil {
			return "", fmt.Errorf("error: replacing %s: %w", replace, err)
		}
		r.dbGen++
		changes = append(changes, fmt.Sprintf("replaced database: now %s, a replica of %s", r.dbInstanceID(), source.dbInstanceID()))
	case cfg.mode == "writer" && isReplica:
		if err := r.db.Promote(ctx); err != nil {
			return "", fmt.Errorf("error: promoting %s: %w", r.dbInstanceID(), err)
		}
		changes = append(changes, "updated database: removed replicateSourceDb (promoted)")
	case cfg.mode == "replica" && !isReplica:
		// What the AWS provider answers when a writer is asked to follow
		// a source: a writer becomes a replica only by replacement.
		return "", fmt.Errorf("error: updating database %s: cannot elect new source database for replication: it must be replaced (failback's rebuild step)", r.dbInstanceID())
	}
	if r.protected != !cfg.rebuild {
		r.protected = !cfg.rebuild
		changes = append(changes, fmt.Sprintf("database protect and deletion protection: %v", r.protected))
	}
	if stack == "primary" {
		want := 1
		if cfg.fence {
			want = 2
		}
		if l.sim.GateThreshold() != want {
			l.sim.SetGateThreshold(want)
			changes = append(changes, fmt.Sprintf("gate health check threshold: %d", want))
		}
	}
	if sizes := l.opts.nodeSizes(stack, cfg.scale); r.asg != sizes {
		r.asg = sizes
		changes = append(changes, fmt.Sprintf("node group: %v", sizes))
	}
	outputs := l.outputsFor(r, cfg)
	if err := l.stacks.setOutputs(ctx, stack, outputs); err != nil {
		return "", err
	}
	summary := fmt.Sprintf("Updating (%s) [drlab: the lab reconciles the config; the program itself needs AWS]\n", stack)
	for _, c := range changes {
		summary += "    ~ " + c + "\n"
	}
	return summary + fmt.Sprintf("Resources: %d changed\n", len(changes)), nil
}

func dbURN(stack string) string {
	return fmt.Sprintf("urn:pulumi:%s::taskflow-dr::taskflow:dr:Region$aws:rds/instance:Instance::taskflow-db", stack)
}
