package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/taskflow/taskflow-dr/config"
)

// Options configure a lab.
type Options struct {
	// Dir is the lab's scratch directory; everything the lab writes goes
	// there (databases, Pulumi state, kubeconfigs), and Close removes it.
	Dir string
	// RepoDir is the repository: its stack config files are the lab's.
	RepoDir string
	// PulumiBin is the real Pulumi CLI.
	PulumiBin string
	// ShimDir holds aws, kubectl, getent, curl and pulumi, all this binary.
	ShimDir string
	// Scale divides Route 53's timings (interval, TTL): 10 turns a 10 s
	// interval into 1 s. Database and runbook steps run at their real speed.
	Scale int
	// ReplicationDelay holds the primary's WAL stream back on its way to
	// the standby, as cross-region replication lag does.
	ReplicationDelay time.Duration
	Logf             func(format string, args ...any)

	stacks map[string]*config.Config
}

// loadStackConfigs reads the real Pulumi.<stack>.yaml files through the
// program's own config package, so the lab runs with the shipped values.
func (o *Options) loadStackConfigs() error {
	o.stacks = map[string]*config.Config{}
	for _, stack := range []string{"primary", "standby"} {
		cfg, err := readStackConfig(o.RepoDir, stack)
		if err != nil {
			return err
		}
		o.stacks[stack] = cfg
	}
	return nil
}

func readStackConfig(repoDir, stack string) (*config.Config, error) {
	raw, err := os.ReadFile(filepath.Join(repoDir, "Pulumi."+stack+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("lab: read stack config: %w", err)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("lab: parse Pulumi.%s.yaml: %w", stack, err)
	}
	get := func(key string) string {
		v, ok := doc.Config[config.Namespace+":"+key]
		if !ok {
			return ""
		}
		if s, ok := v.(string); ok {
			return s
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	cfg, err := config.Parse(get, "taskflow-dr", stack, time.Now().UTC())
	if err != nil {
		return nil, fmt.Errorf("lab: Pulumi.%s.yaml: %w", stack, err)
	}
	return cfg, nil
}

// scaled divides a Route 53 duration by the lab's scale factor.
func (o *Options) scaled(d time.Duration) time.Duration { return d / time.Duration(o.Scale) }

// nodeSizes are the node group's sizes for a stack at a scale.
func (o *Options) nodeSizes(stack, scale string) [3]int {
	c := o.stacks[stack].Cluster
	if scale == string(config.ScaleFailover) {
		return [3]int{c.FailoverMinSize, c.FailoverDesiredSize, c.FailoverMaxSize}
	}
	return [3]int{c.MinSize, c.DesiredSize, c.MaxSize}
}

// outputsFor is a lab stack's outputs: the program's output set (README's
// table), with the lab's values.
func (l *Lab) outputsFor(r *region, sc stackConfig) map[string]any {
	cfg := l.opts.stacks[r.stack]
	peer := l.peerOf(r)
	sizes := l.opts.nodeSizes(r.stack, sc.scale)
	source := ""
	if name := r.db.ReplicationSource(); name != "" {
		source = l.regions[name].dbArn()
	}
	mode := "writer"
	if source != "" {
		mode = "replica"
	}
	budget := cfg.RTOBudget().Seconds()
	out := map[string]any{
		"region":                 r.name,
		"role":                   r.stack,
		"peerStack":              peer.stack,
		"peerRegion":             peer.name,
		"vpcId":                  "vpc-lab-" + r.stack,
		"clusterName":            "taskflow-dr-" + r.stack,
		"dbMode":                 mode,
		"dbInstanceId":           r.dbInstanceID(),
		"dbInstanceArn":          r.dbArn(),
		"dbInstanceUrn":          dbURN(r.stack),
		"dbInstanceClass":        "db.lab.local",
		"dbEndpoint":             fmt.Sprintf("127.0.0.1:%d", r.db.Port),
		"dbAddress":              "127.0.0.1",
		"dbPort":                 r.db.Port,
		"dbReplicationSourceArn": source,
		"kmsKeyArn":              fmt.Sprintf("arn:aws:kms:%s:%s:key/lab", r.name, account),
		"ecrRepositoryUrl":       fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/taskflow", account, r.name),
		"ecrRepositoryName":      "taskflow",
		"albDnsName":             r.albName,
		"albZoneId":              "ZLAB" + r.stack,
		"hostedZoneId":           "ZLABZONE",
		"appHost":                cfg.AppHost,
		"appUrl":                 "https://" + cfg.AppHost,
		"nodeGroup": map[string]any{
			"asgName": "lab-" + r.stack + "-asg", "minSize": sizes[0], "desiredSize": sizes[1], "maxSize": sizes[2],
			"failoverMinSize": cfg.Cluster.FailoverMinSize, "failoverDesiredSize": cfg.Cluster.FailoverDesiredSize,
			"failoverMaxSize": cfg.Cluster.FailoverMaxSize, "scale": orDefault(sc.scale, "normal"),
		},
		"dbSecretArn":   fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:taskflow/db-LaB123", r.name, account),
		"dbSecretName":  "taskflow/db",
		"alarmTopicArn": fmt.Sprintf("arn:aws:sns:%s:%s:lab-alarms", r.name, account),
		"failoverRecord": map[string]any{
			"name": cfg.AppHost, "type": "CNAME", "ttl": cfg.DNS.TTL,
			"setIdentifier": r.stack + "-" + r.name, "failover": map[bool]string{true: "PRIMARY", false: "SECONDARY"}[r.stack == "primary"],
		},
		"rtoBudget":           budget,
		"rpoObjectiveSeconds": int(cfg.Objectives.RPO.Seconds()),
	}
	if r.stack == "primary" {
		out["healthCheckId"] = "lab-gate"
		out["endpointHealthCheckId"] = "lab-endpoint"
		out["fenced"] = sc.fence
		out["healthCheckAlarmName"] = "lab-primary-health"
		out["dbSecretReplicaArn"] = fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:taskflow/db-LaB123", peer.name, account)
	}
	if mode == "replica" {
		out["replicaLagAlarmName"] = "lab-" + r.stack + "-replica-lag"
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
