package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cliArgs is a shimmed command line: positional words and --flag values,
// parsed the way the AWS CLI and kubectl take them.
type cliArgs struct {
	words []string
	flags map[string]string
}

func parseCLI(args []string) cliArgs {
	c := cliArgs{flags: map[string]string{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if name, ok := strings.CutPrefix(a, "--"); ok {
			if k, v, has := strings.Cut(name, "="); has {
				c.flags[k] = v
				continue
			}
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
				c.flags[name] = args[i+1]
				i++
			} else {
				c.flags[name] = "true"
			}
			continue
		}
		c.words = append(c.words, a)
	}
	return c
}

func (c cliArgs) word(i int) string {
	if i < len(c.words) {
		return c.words[i]
	}
	return ""
}

// aws answers the AWS CLI calls runbooks/bin/dr makes, from the lab.
func (l *Lab) aws(ctx context.Context, args []string) (string, error) {
	c := parseCLI(args)
	if c.flags["region"] == "" {
		return "", fmt.Errorf("drlab aws: every call must name --region (the runbook never relies on a default): aws %s", strings.Join(args, " "))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	awsRegion := c.flags["region"]
	switch c.word(0) + " " + c.word(1) {
	case "rds describe-db-instances":
		r, err := l.reachableDB(awsRegion, c.flags["db-instance-identifier"])
		if err != nil {
			return "", err
		}
		if c.flags["query"] == "DBInstances[0].DeletionProtection" {
			return map[bool]string{true: "True\n", false: "False\n"}[r.protected], nil
		}
		source := "None"
		if name := r.db.ReplicationSource(); name != "" {
			source = l.regions[name].dbInstanceID()
		}
		return "available\t" + source + "\n", nil
	case "rds promote-read-replica":
		r, err := l.reachableDB(awsRegion, c.flags["db-instance-identifier"])
		if err != nil {
			return "", err
		}
		if r.db.ReplicationSource() == "" {
			return "", fmt.Errorf("An error occurred (InvalidDBInstanceState) when calling the PromoteReadReplica operation: DB Instance %s is not a read replica.", r.dbInstanceID())
		}
		if err := r.db.Promote(ctx); err != nil {
			return "", fmt.Errorf("promote %s: %w", r.dbInstanceID(), err)
		}
		l.opts.Logf("lab: promoted %s (%s)", r.dbInstanceID(), r.name)
		return "", nil
	case "rds wait":
		if id := c.flags["db-instance-identifier"]; id != "" {
			_, err := l.reachableDB(awsRegion, id)
			return "", err
		}
		return "", nil
	case "rds create-db-snapshot":
		r, err := l.reachableDB(awsRegion, c.flags["db-instance-identifier"])
		if err != nil {
			return "", err
		}
		file := filepath.Join(l.opts.Dir, "snapshots", c.flags["db-snapshot-identifier"]+".dump")
		if err := os.MkdirAll(filepath.Dir(file), 0o777); err != nil {
			return "", err
		}
		if err := r.db.Snapshot(ctx, file); err != nil {
			return "", fmt.Errorf("snapshot %s: %w", r.dbInstanceID(), err)
		}
		return "", nil
	case "route53 get-health-check":
		return strconv.Itoa(l.sim.GateThreshold()) + "\n", nil
	case "route53 update-health-check":
		n, err := strconv.Atoi(c.flags["health-threshold"])
		if err != nil || (n != 1 && n != 2) {
			return "", fmt.Errorf("drlab aws: the lab's gate takes --health-threshold 1 or 2, got %q", c.flags["health-threshold"])
		}
		l.sim.SetGateThreshold(n)
		return "", nil
	case "route53 get-health-check-status":
		status := "Success: HTTP Status Code 200, OK"
		if !l.sim.EndpointHealthy() {
			status = "Failure: Connection refused. The endpoint or the internet connection is down, or the endpoint is not listening on the port."
		}
		b, _ := json.Marshal([]string{status, status, status})
		return string(b) + "\n", nil
	case "autoscaling describe-auto-scaling-groups":
		r, err := l.byASG(awsRegion, c.flags["auto-scaling-group-names"])
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d\t%d\t%d\n", r.asg[0], r.asg[1], r.asg[2]), nil
	case "autoscaling update-auto-scaling-group":
		r, err := l.byASG(awsRegion, c.flags["auto-scaling-group-name"])
		if err != nil {
			return "", err
		}
		for i, k := range []string{"min-size", "desired-capacity", "max-size"} {
			if v, err := strconv.Atoi(c.flags[k]); err == nil {
				r.asg[i] = v
			}
		}
		return "", nil
	case "eks update-kubeconfig":
		if err := l.reachable(awsRegion); err != nil {
			return "", err
		}
		kc := fmt.Sprintf("# written by the lab's aws shim\n# drlab-region: %s\napiVersion: v1\nkind: Config\ncurrent-context: %s\n", awsRegion, c.flags["name"])
		return "", os.WriteFile(c.flags["kubeconfig"], []byte(kc), 0o600)
	case "cloudwatch get-metric-statistics":
		id := strings.TrimPrefix(c.flags["dimensions"], "Name=DBInstanceIdentifier,Value=")
		r, err := l.reachableDB(awsRegion, id)
		if err != nil {
			return "", err
		}
		lag, err := r.db.Lag(ctx)
		if err != nil {
			return "None\n", nil // no ReplicaLag datapoint: not a replica
		}
		return fmt.Sprintf("%.1f\n", lag.Seconds()), nil
	case "ecr describe-images":
		// Both regions hold the release image: the lab pretends ECR
		// replication did its job (a real preflight is what catches it not).
		return "sha256:" + strings.Repeat("ab", 32) + "\n", l.reachable(awsRegion)
	case "secretsmanager describe-secret":
		return "InSync\n", l.reachable(awsRegion)
	}
	return "", fmt.Errorf("drlab aws: the lab does not answer: aws %s", strings.Join(args, " "))
}

// reachable fails like the AWS CLI does when a region's API is down: in the
// lab, a region is down while its database is stopped by the outage.
func (l *Lab) reachable(awsRegion string) error {
	r, ok := l.byRegion(awsRegion)
	if !ok {
		return fmt.Errorf("drlab aws: no region %s in the lab", awsRegion)
	}
	if !r.db.Running() {
		return &codeError{code: 255, msg: fmt.Sprintf("Could not connect to the endpoint URL: \"https://rds.%s.amazonaws.com/\" (the lab's %s is down)", awsRegion, awsRegion)}
	}
	return nil
}

func (l *Lab) reachableDB(awsRegion, id string) (*region, error) {
	if err := l.reachable(awsRegion); err != nil {
		return nil, err
	}
	return l.byDB(awsRegion, id)
}

func (l *Lab) byASG(awsRegion, name string) (*region, error) {
	r, ok := l.byRegion(awsRegion)
	if !ok || "lab-"+r.stack+"-asg" != name {
		return nil, fmt.Errorf("drlab aws: no auto scaling group %s in %s", name, awsRegion)
	}
	return r, nil
}

// waitUntil polls cond every step until it holds or the timeout passes.
func waitUntil(ctx context.Context, timeout, step time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(step):
		}
	}
}
