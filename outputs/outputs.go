// Package outputs is the runbook's API: the one table of stack outputs.
// The program exports from it (Export refuses a name it does not declare and
// a declared one it lacks), the README's outputs table is generated from it
// (Markdown), and the runbook's test fixtures and the lab are checked
// against it (Check). Renaming an output is a breaking change.
package outputs

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/config"
)

// Stacks says which stacks export an output.
type Stacks int

const (
	Both Stacks = iota
	PrimaryOnly
	StandbyOnly
)

// Mode restricts an output to a database mode.
type Mode int

const (
	AnyMode Mode = iota
	ReplicaModeOnly
)

// Output is one declared stack output.
type Output struct {
	Name   string
	Stacks Stacks
	Mode   Mode
	// Fields are the keys of an object output, in the order the README
	// lists them; nil for a scalar.
	Fields []string
	// Secret outputs are encrypted in state and shown as [secret].
	Secret      bool
	Description string
}

// Names of the outputs the program itself reads back through the peer's
// StackReference, and those the runbook reads most.
const (
	Region                 = "region"
	Role                   = "role"
	PeerStack              = "peerStack"
	PeerRegion             = "peerRegion"
	VpcID                  = "vpcId"
	ClusterName            = "clusterName"
	Kubeconfig             = "kubeconfig"
	OperatorRoleArn        = "operatorRoleArn"
	NodeGroup              = "nodeGroup"
	DbMode                 = "dbMode"
	DbInstanceID           = "dbInstanceId"
	DbInstanceArn          = "dbInstanceArn"
	DbInstanceUrn          = "dbInstanceUrn"
	DbInstanceClass        = "dbInstanceClass"
	DbEndpoint             = "dbEndpoint"
	DbAddress              = "dbAddress"
	DbPort                 = "dbPort"
	DbReplicationSourceArn = "dbReplicationSourceArn"
	DbBackupRetentionDays  = "dbBackupRetentionDays"
	DbBackupWindow         = "dbBackupWindow"
	KmsKeyArn              = "kmsKeyArn"
	EcrRepositoryURL       = "ecrRepositoryUrl"
	EcrRepositoryName      = "ecrRepositoryName"
	AlbDNSName             = "albDnsName"
	AlbZoneID              = "albZoneId"
	HostedZoneID           = "hostedZoneId"
	AppHost                = "appHost"
	AppURL                 = "appUrl"
	DbSecretArn            = "dbSecretArn"
	DbSecretName           = "dbSecretName"
	DbSecretReplicaArn     = "dbSecretReplicaArn"
	FailoverRecord         = "failoverRecord"
	AlarmTopicArn          = "alarmTopicArn"
	HealthCheckID          = "healthCheckId"
	EndpointHealthCheckID  = "endpointHealthCheckId"
	FenceHealthCheckID     = "fenceHealthCheckId"
	Fenced                 = "fenced"
	HealthCheckAlarmName   = "healthCheckAlarmName"
	HealthCheckAlarmTopic  = "healthCheckAlarmTopicArn"
	FenceSignal            = "fenceSignal"
	ReplicaLagAlarmName    = "replicaLagAlarmName"
	DrAgent                = "drAgent"
	GitOps                 = "gitops"
	DashboardName          = "dashboardName"
	DashboardURL           = "dashboardUrl"
	RTOBudget              = "rtoBudget"
	RPOObjectiveSeconds    = "rpoObjectiveSeconds"
)

// Table is every output, in the order the README lists them.
var Table = []Output{
	{Name: Region, Description: "the stack's region"},
	{Name: Role, Description: "`primary` \\| `standby`"},
	{Name: PeerStack, Description: "the other stack (`taskflow:peer.stack`)"},
	{Name: PeerRegion, Description: "the other stack's region"},
	{Name: VpcID, Description: "the region's VPC"},
	{Name: ClusterName, Description: "EKS cluster (`taskflow-dr-<stack>`)"},
	{Name: Kubeconfig, Secret: true, Description: "kubeconfig whose token command names the region and assumes `operatorRoleArn`"},
	{Name: OperatorRoleArn, Description: "the role with an EKS access entry (cluster admin) that kubeconfigs assume: `aws eks update-kubeconfig --role-arn`"},
	{Name: NodeGroup, Fields: []string{"name", "urn", "minSize", "desiredSize", "maxSize", "failoverMinSize", "failoverDesiredSize", "failoverMaxSize", "scale"},
		Description: "the EKS managed node group (scale it with `aws eks update-nodegroup-config`), its URN (for `pulumi refresh --target`) and sizes"},
	{Name: DbMode, Description: "`writer` \\| `replica`"},
	{Name: DbInstanceID, Description: "the database instance identifier"},
	{Name: DbInstanceArn, Description: "the database instance ARN (a replica's source in the peer)"},
	{Name: DbInstanceUrn, Description: "the database's Pulumi URN, for `pulumi refresh --target` and the rebuild's `pulumi up --replace`"},
	{Name: DbInstanceClass, Description: "the database instance class (a replica defaults to its writer's)"},
	{Name: DbEndpoint, Description: "the region's own database endpoint `host:port`"},
	{Name: DbAddress, Description: "the region's own database host"},
	{Name: DbPort, Description: "the database port"},
	{Name: DbReplicationSourceArn, Description: "the writer a replica follows; `\"\"` for a writer"},
	{Name: DbBackupRetentionDays, Description: "what `aws rds promote-read-replica --backup-retention-period` passes (RDS would set 1 day)"},
	{Name: DbBackupWindow, Description: "`hh24:mi-hh24:mi` passed as `--preferred-backup-window`, or `\"\"`"},
	{Name: KmsKeyArn, Description: "the region's KMS key"},
	{Name: EcrRepositoryURL, Description: "the region's `taskflow` repository"},
	{Name: EcrRepositoryName, Description: "`taskflow`"},
	{Name: AlbDNSName, Description: "the region's ALB"},
	{Name: AlbZoneID, Description: "the ALB's hosted zone"},
	{Name: HostedZoneID, Description: "the public zone of `taskflow:domain`"},
	{Name: AppHost, Description: "`app.<domain>`"},
	{Name: AppURL, Description: "`https://app.<domain>`"},
	{Name: DbSecretArn, Description: "**this region's** copy of `taskflow/db`"},
	{Name: DbSecretName, Description: "`taskflow/db`"},
	{Name: DbSecretReplicaArn, Stacks: PrimaryOnly, Description: "the secret's copy in the peer region"},
	{Name: FailoverRecord, Fields: []string{"name", "type", "ttl", "setIdentifier", "failover"}, Description: "this stack's failover record, as Route 53 holds it"},
	{Name: AlarmTopicArn, Description: "SNS topic (KMS-encrypted) in the stack's region"},
	{Name: HealthCheckID, Stacks: PrimaryOnly, Description: "the CALCULATED gate on the PRIMARY record (children: endpoint probe and fence check)"},
	{Name: EndpointHealthCheckID, Stacks: PrimaryOnly, Description: "the HTTPS `/healthz` probe of the primary ALB"},
	{Name: FenceHealthCheckID, Stacks: PrimaryOnly, Description: "the standby's fence check wired into the gate; `\"\"` until the standby exists (run `pulumi up -s primary` again)"},
	{Name: Fenced, Stacks: PrimaryOnly, Description: "`dns.fence`: the control-plane fence (manual fallback) is on"},
	{Name: HealthCheckAlarmName, Stacks: PrimaryOnly, Description: "the us-east-1 alarm on the endpoint probe"},
	{Name: HealthCheckAlarmTopic, Stacks: PrimaryOnly, Description: "its topic (us-east-1, KMS-encrypted)"},
	{Name: FenceSignal, Stacks: StandbyOnly, Fields: []string{"region", "namespace", "metricName", "dimensionName", "dimensionValue", "alarmName", "healthCheckId"},
		Description: "the data-plane fence in the standby region: `aws cloudwatch put-metric-data` 1 fences, 0 unfences"},
	{Name: ReplicaLagAlarmName, Mode: ReplicaModeOnly, Description: "the replica-delay alarm, on the DR agent's `TaskFlowDR/ReplicationDelay`"},
	{Name: DrAgent, Fields: []string{"namespace", "service", "port", "statusPath", "metricNamespace"},
		Description: "the DR agent; read it with `kubectl get --raw <statusPath>`"},
	{Name: GitOps, Fields: []string{"argocdNamespace", "application", "appNamespace", "deployment", "replicas", "failoverReplicas"},
		Description: "Argo CD and TaskFlow's Application (which ignores the Deployment's replicas: the runbook scales it)"},
	{Name: DashboardName, Description: "the region's CloudWatch dashboard"},
	{Name: DashboardURL, Description: "its console URL"},
	{Name: RTOBudget, Fields: []string{"detectionSeconds", "dnsTtlSeconds", "declarationSeconds", "promotionSeconds", "appRecoverySeconds",
		"scaleUpSeconds", "multiAzConversionSeconds", "writesAcceptedSeconds", "fullCapacitySeconds", "objectiveSeconds", "fullCapacityObjectiveSeconds", "totalSeconds"},
		Description: "the RTO budget's terms and its two critical paths (writes accepted, full capacity)"},
	{Name: RPOObjectiveSeconds, Description: "the RPO objective"},
}

// For lists the outputs a stack of role exports with its database in mode.
func For(role config.Role, mode config.DatabaseMode) []Output {
	var out []Output
	for _, o := range Table {
		if o.Stacks == PrimaryOnly && role != config.RolePrimary || o.Stacks == StandbyOnly && role != config.RoleStandby {
			continue
		}
		if o.Mode == ReplicaModeOnly && mode != config.ModeReplica {
			continue
		}
		out = append(out, o)
	}
	return out
}

// Lookup finds an output by name.
func Lookup(name string) (Output, bool) {
	i := slices.IndexFunc(Table, func(o Output) bool { return o.Name == name })
	if i < 0 {
		return Output{}, false
	}
	return Table[i], true
}

// Export exports values as the stack's outputs after checking that they are
// exactly the declared ones for role and mode, and that every object output
// has exactly its declared fields. It returns the exports for tests.
func Export(ctx *pulumi.Context, role config.Role, mode config.DatabaseMode, values map[string]pulumi.Input) (pulumi.Map, error) {
	if err := checkNames(role, mode, slices.Collect(maps.Keys(values))); err != nil {
		return nil, err
	}
	if err := checkFields(role, mode, func(name string) ([]string, bool) {
		m, ok := values[name].(pulumi.Map)
		return slices.Collect(maps.Keys(m)), ok
	}); err != nil {
		return nil, err
	}
	out := pulumi.Map{}
	for name, v := range values {
		if o, _ := Lookup(name); o.Secret {
			v = pulumi.ToSecret(v)
		}
		ctx.Export(name, v)
		out[name] = v
	}
	return out, nil
}

// Check compares outputs as `pulumi stack output --json` prints them (or a
// test fixture) with the table: the same names, and the same fields in
// every object output.
func Check(role config.Role, mode config.DatabaseMode, got map[string]any) error {
	if err := checkNames(role, mode, slices.Collect(maps.Keys(got))); err != nil {
		return err
	}
	return checkFields(role, mode, func(name string) ([]string, bool) {
		obj, ok := got[name].(map[string]any)
		return slices.Collect(maps.Keys(obj)), ok
	})
}

// checkFields compares every object output's keys, as keysOf reads them,
// with its declared fields.
func checkFields(role config.Role, mode config.DatabaseMode, keysOf func(name string) ([]string, bool)) error {
	for _, o := range For(role, mode) {
		if o.Fields == nil {
			continue
		}
		keys, ok := keysOf(o.Name)
		if !ok {
			return fmt.Errorf("output %s: want an object with fields %v", o.Name, o.Fields)
		}
		if err := sameSet("output "+o.Name+" field", o.Fields, keys); err != nil {
			return err
		}
	}
	return nil
}

func checkNames(role config.Role, mode config.DatabaseMode, got []string) error {
	var want []string
	for _, o := range For(role, mode) {
		want = append(want, o.Name)
	}
	return sameSet(fmt.Sprintf("%s stack (%s mode) output", role, mode), want, got)
}

// sameSet fails naming what is missing and what is extra.
func sameSet(what string, want, got []string) error {
	var missing, extra []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return fmt.Errorf("%s mismatch with outputs.Table: missing %v, undeclared %v", what, missing, extra)
}

// Markdown is the README's outputs table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| output | stacks | what |\n|---|---|---|\n")
	for _, o := range Table {
		stacks := map[Stacks]string{Both: "both", PrimaryOnly: "primary", StandbyOnly: "standby"}[o.Stacks]
		if o.Mode == ReplicaModeOnly {
			stacks = "replica mode"
		}
		what := o.Description
		if o.Secret {
			what = "**secret**; " + what
		}
		if o.Fields != nil {
			what = "`{" + strings.Join(o.Fields, ", ") + "}`: " + what
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", o.Name, stacks, what)
	}
	return b.String()
}
