package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Row is one line of the README's config reference.
type Row struct {
	Key     string // "dns.ttl"
	Default string
	Allowed string
}

// derivedDefaults are the defaults that depend on other keys (defaults.go,
// fillDerivedDefaults and fillSizes): the README says what they follow.
var derivedDefaults = map[string]string{
	"role":                         "— (required)",
	"region":                       "— (required)",
	"domain":                       "— (required)",
	"appHost":                      "`app.<domain>`",
	"peer.stack":                   "— (required)",
	"peer.region":                  "— (required)",
	"peer.cidr":                    "unset",
	"network.cidr":                 "— (required)",
	"network.azs":                  "`<region>a,b,c`",
	"cluster.failoverMinSize":      "`cluster.minSize`",
	"cluster.failoverDesiredSize":  "`cluster.desiredSize`",
	"cluster.failoverMaxSize":      "max(`cluster.maxSize`, failover desired)",
	"cluster.publicAccessCidrs":    "unset",
	"access.operatorRoleArns":      "— (required)",
	"access.previewRoleArn":        "unset",
	"database.mode":                "`writer` on primary, `replica` on standby",
	"database.instanceClass":       "`db.r6g.large` on primary; replica: the writer's",
	"database.backupWindow":        "unset (RDS picks one)",
	"alarms.email":                 "unset",
	"alarms.emailWaiver":           "unset",
	"gitops.repoUrl":               "— (required)",
	"gitops.repoCredentialsSecret": "unset (public repository)",
	"gitops.failoverReplicas":      "`gitops.replicas`",
}

// allowed says what each key accepts, from the same constants validate.go
// enforces.
func allowed() map[string]string {
	return map[string]string{
		"role":                                 "`primary` \\| `standby`",
		"region":                               "an AWS region; must differ from `peer.region`",
		"domain":                               "the public hosted zone, e.g. `taskflow.example.com`",
		"appHost":                              "a host inside `domain`",
		"peer.stack":                           "the other stack: `stack`, `project/stack` or `org/project/stack`",
		"peer.region":                          "the peer's region",
		"peer.cidr":                            "the peer's VPC CIDR; must not overlap `network.cidr`",
		"network.cidr":                         fmt.Sprintf("IPv4 CIDR between /%d and /%d", widestVPCPrefix, narrowestVPCPrefix),
		"network.azs":                          "exactly 3 zones of `region`",
		"network.natGateways":                  fmt.Sprintf("`%s` \\| `%s`", NATPerAZ, NATSingle),
		"cluster.version":                      "a Kubernetes version in EKS standard support on the day of the preview (end of standard support: " + calendar(eksStandardSupportEnds) + ")",
		"cluster.instanceType":                 "an EC2 type of the AMI type's architecture",
		"cluster.amiType":                      "`" + amiTypePrefix + "*` (Amazon Linux 2023)",
		"cluster.rootVolumeSize":               fmt.Sprintf("%d–%d GiB (encrypted gp3)", minRootVolume, maxRootVolume),
		"cluster.minSize":                      "0 ≤ min ≤ desired ≤ max, desired and max ≥ 1",
		"cluster.desiredSize":                  "as above",
		"cluster.maxSize":                      "as above",
		"cluster.failoverMinSize":              "same rules",
		"cluster.failoverDesiredSize":          "same rules; ≥ `cluster.desiredSize`",
		"cluster.failoverMaxSize":              "same rules",
		"cluster.scale":                        "`normal` \\| `failover` (which sizes are in force)",
		"cluster.endpointPublicAccess":         "bool; not both false with private access",
		"cluster.endpointPrivateAccess":        "bool",
		"cluster.publicAccessCidrs":            "CIDRs allowed to reach the public API endpoint; required when it is public; never /0",
		"cluster.nodePort":                     fmt.Sprintf("%d–%d", minNodePort, maxNodePort),
		"access.operatorRoleArns":              "≥ 1 IAM role ARN: EKS cluster admins; the first is the role kubeconfigs assume",
		"access.previewRoleArn":                "an IAM role ARN: read-only cluster access for CI previews",
		"database.mode":                        "`writer` \\| `replica`",
		"database.engineVersion":               "a PostgreSQL major in RDS standard support on the day of the preview (" + calendar(postgresStandardSupportEnds) + "); a pinned minor only with `autoMinorVersionUpgrade: false`",
		"database.autoMinorVersionUpgrade":     "bool",
		"database.instanceClass":               "`db.*.*`; required in writer mode",
		"database.allocatedStorage":            fmt.Sprintf("%d–%d GiB (gp3)", minStorage, maxStorage),
		"database.maxAllocatedStorage":         "0 (off) or ≥ allocatedStorage",
		"database.multiAz":                     "bool: Multi-AZ in writer mode (a promoted standby is converted by the failover's reconcile)",
		"database.replicaMultiAz":              "bool: Multi-AZ in replica mode",
		"database.backupRetentionDays":         fmt.Sprintf("1–%d (also passed to `promote-read-replica`)", maxRetentionDays),
		"database.backupWindow":                "`hh24:mi-hh24:mi` UTC",
		"database.name":                        "an identifier",
		"database.username":                    "an identifier, not `postgres` or `rdsadmin`",
		"database.port":                        fmt.Sprintf("%d–%d", minDBPort, maxDBPort),
		"database.rebuild":                     "true only during the failback's explicit rebuild step: lifts `protect` and deletion protection",
		"database.createTimeout":               fmt.Sprintf("duration ≥ %s", Duration{minDBTimeout}),
		"database.updateTimeout":               fmt.Sprintf("duration ≥ %s", Duration{minDBTimeout}),
		"database.deleteTimeout":               fmt.Sprintf("duration ≥ %s", Duration{minDBTimeout}),
		"dns.ttl":                              fmt.Sprintf("%d–%d s", minTTL, maxTTL),
		"dns.healthCheckPath":                  "starts with `/`",
		"dns.requestInterval":                  "10 \\| 30",
		"dns.failureThreshold":                 fmt.Sprintf("%d–%d", minThreshold, maxThreshold),
		"dns.fence":                            "primary only: the control-plane fence (manual fallback): the gate is always unhealthy",
		"alarms.email":                         "an address subscribed to the alarm topics; required unless waived",
		"alarms.emailWaiver":                   "why no address is subscribed (who receives the alarms instead)",
		"logs.retentionDays":                   fmt.Sprintf("one of %v", logRetentionDays),
		"agent.imageTag":                       "a tag in the region's `taskflow-dr-agent` repository",
		"agent.heartbeatInterval":              fmt.Sprintf("duration ≥ %s: the resolution of every RPO figure", Duration{minHeartbeat}),
		"gitops.install":                       "bool: false on a cluster that already runs Argo CD",
		"gitops.chartVersion":                  "a pinned argo-cd Helm chart version",
		"gitops.repoUrl":                       "TaskFlow's Git repository, the same in both stacks",
		"gitops.path":                          "path of the manifests in the repository",
		"gitops.revision":                      "branch, tag or commit",
		"gitops.repoCredentialsSecret":         "a Secrets Manager secret name (JSON `username`, `password`), replicated to the peer region",
		"gitops.replicas":                      "≥ 1: TaskFlow's normal size in this region",
		"gitops.failoverReplicas":              "≥ `gitops.replicas`: the size `dr failover` scales to",
		"gitops.grafana":                       "bool: ship the Grafana dashboard ConfigMap (kube-prometheus-stack)",
		"objectives.rto":                       "duration; the writes-accepted budget must fit in it",
		"objectives.fullCapacity":              "duration; the full-capacity budget must fit in it",
		"objectives.rpo":                       "duration; the replica-delay alarm threshold",
		"objectives.declarationEstimate":       "duration: paging and deciding",
		"objectives.promotionEstimate":         "duration",
		"objectives.appRecoveryEstimate":       "duration",
		"objectives.scaleUpEstimate":           "duration: nodes booted and Ready",
		"objectives.multiAzConversionEstimate": "duration",
	}
}

// Reference lists every config key in the order of the Config struct, with
// its default (from defaults()) and what it accepts. The README's config
// table is generated from it (make docs).
func Reference() []Row {
	defs := flatten(mustJSON(defaults()))
	allow := allowed()
	var rows []Row
	for _, key := range Keys() {
		def, ok := derivedDefaults[key]
		if !ok {
			def = "`" + defs[key] + "`"
		}
		rows = append(rows, Row{Key: key, Default: def, Allowed: allow[key]})
	}
	return rows
}

// Keys lists every config key ("dns.ttl"), in struct order.
func Keys() []string {
	var keys []string
	walkKeys(reflect.TypeOf(Config{}), "", &keys)
	return keys
}

func walkKeys(t reflect.Type, prefix string, keys *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(Duration{}) {
			walkKeys(f.Type, prefix+name+".", keys)
			continue
		}
		*keys = append(*keys, prefix+name)
	}
}

func mustJSON(v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("config: encode defaults: %v", err))
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(fmt.Sprintf("config: decode defaults: %v", err))
	}
	return m
}

// flatten turns {"dns":{"ttl":60}} into {"dns.ttl":"60"}.
func flatten(m map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if obj, ok := v.(map[string]any); ok {
			for k, sub := range obj {
				walk(prefix+k+".", sub)
			}
			return
		}
		out[strings.TrimSuffix(prefix, ".")] = fmt.Sprint(v)
	}
	walk("", m)
	return out
}

// Markdown is the README's config reference table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| key | default | allowed |\n|---|---|---|\n")
	for _, r := range Reference() {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.Key, r.Default, r.Allowed)
	}
	b.WriteString("\n" + describeSupport(DefaultKubernetesVersion) + ".\n")
	return b.String()
}

// calendar renders a support calendar as "1.34 until 2026-12-02, …",
// oldest first.
func calendar(c map[string]time.Time) string {
	versions := make([]string, 0, len(c))
	for v := range c {
		versions = append(versions, v)
	}
	slices.SortFunc(versions, func(a, b string) int { return c[a].Compare(c[b]) })
	parts := make([]string, len(versions))
	for i, v := range versions {
		parts[i] = v + " until " + c[v].Format(time.DateOnly)
	}
	return strings.Join(parts, ", ")
}
