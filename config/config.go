// Package config is the one typed, validated view of a stack's `taskflow:*`
// configuration. Every value has a default in code (defaults.go); Load reads
// the stack's values over those defaults and validates the result before the
// program registers a single resource, so a bad key fails `pulumi preview`
// with a message that names it instead of half-creating a region. The
// README's config reference is generated from this package (reference.go).
package config

import (
	"time"
)

// Namespace is the Pulumi config namespace every key lives in.
const Namespace = "taskflow"

// Role is the part a stack plays in the DR pair. It is fixed for the life of
// a stack; which database is the writer is Database.Mode, and changes during
// a failover.
type Role string

const (
	RolePrimary Role = "primary"
	RoleStandby Role = "standby"
)

// DatabaseMode says whether the region's database is the writer or a
// cross-region read replica of the peer's writer.
type DatabaseMode string

const (
	ModeWriter  DatabaseMode = "writer"
	ModeReplica DatabaseMode = "replica"
)

// NodeScale selects which node-group sizes are in force: the standby runs
// small in normal times and is scaled to carry the full load on failover.
type NodeScale string

const (
	ScaleNormal   NodeScale = "normal"
	ScaleFailover NodeScale = "failover"
)

// NAT gateway layouts: one per AZ survives an AZ loss; one shared is cheaper.
const (
	NATPerAZ  = "perAz"
	NATSingle = "single"
)

// Config is the whole validated stack configuration.
type Config struct {
	// Stack and Project are the Pulumi stack and project names (not config
	// keys); they name the cluster and tag every resource.
	Stack   string `json:"-"`
	Project string `json:"-"`
	// Today is the date the version calendars are checked against (the
	// day of the preview); tests pin it.
	Today time.Time `json:"-"`

	Role       Role       `json:"role"`
	Region     string     `json:"region"`
	Peer       Peer       `json:"peer"`
	Domain     string     `json:"domain"`
	AppHost    string     `json:"appHost"`
	Network    Network    `json:"network"`
	Cluster    Cluster    `json:"cluster"`
	Access     Access     `json:"access"`
	Database   Database   `json:"database"`
	DNS        DNS        `json:"dns"`
	Alarms     Alarms     `json:"alarms"`
	Logs       Logs       `json:"logs"`
	Agent      Agent      `json:"agent"`
	GitOps     GitOps     `json:"gitops"`
	Objectives Objectives `json:"objectives"`
}

// Peer names the other stack of the pair. Stack is what a StackReference
// takes ("stack", "project/stack" or "org/project/stack").
type Peer struct {
	Stack  string `json:"stack"`
	Region string `json:"region"`
	// CIDR is the peer's VPC range when known; the two must not overlap so
	// the VPCs can be peered later and addresses in logs stay unambiguous.
	CIDR string `json:"cidr"`
}

// Network is the region's VPC.
type Network struct {
	CIDR string   `json:"cidr"`
	AZs  []string `json:"azs"`
	// NATGateways is perAz (default) or single.
	NATGateways string `json:"natGateways"`
}

// Cluster sizes the EKS cluster and its managed node group.
type Cluster struct {
	Version      string `json:"version"`
	InstanceType string `json:"instanceType"`
	// AMIType is the managed node group's Amazon Linux 2023 AMI type: EKS
	// publishes no AL2 AMIs past Kubernetes 1.32.
	AMIType string `json:"amiType"`
	// RootVolumeSize is the nodes' encrypted gp3 root volume, in GiB.
	RootVolumeSize int `json:"rootVolumeSize"`
	MinSize        int `json:"minSize"`
	DesiredSize    int `json:"desiredSize"`
	MaxSize        int `json:"maxSize"`
	// Failover sizes are what the node group runs at when Scale is
	// failover: the standby must carry the full load once scaled.
	FailoverMinSize     int       `json:"failoverMinSize"`
	FailoverDesiredSize int       `json:"failoverDesiredSize"`
	FailoverMaxSize     int       `json:"failoverMaxSize"`
	Scale               NodeScale `json:"scale"`

	EndpointPublicAccess  bool     `json:"endpointPublicAccess"`
	EndpointPrivateAccess bool     `json:"endpointPrivateAccess"`
	PublicAccessCIDRs     []string `json:"publicAccessCidrs"`
	// NodePort is the fixed NodePort of TaskFlow's Service; the ALB's
	// instance targets send traffic to it on every node.
	NodePort int `json:"nodePort"`
}

// Sizes returns the node-group sizes in force for the configured scale.
func (c Cluster) Sizes() (minSize, desired, maxSize int) {
	if c.Scale == ScaleFailover {
		return c.FailoverMinSize, c.FailoverDesiredSize, c.FailoverMaxSize
	}
	return c.MinSize, c.DesiredSize, c.MaxSize
}

// Access names who can operate the cluster: EKS access entries, never the
// cluster's creator (a standby only its creator can reach is a DR hazard).
type Access struct {
	// OperatorRoleArns get cluster admin; the first one is the role the
	// kubeconfigs (the program's and the runbook's) assume.
	OperatorRoleArns []string `json:"operatorRoleArns"`
	// PreviewRoleArn, when set, gets read-only access for CI previews.
	PreviewRoleArn string `json:"previewRoleArn"`
}

// Database is the region's RDS PostgreSQL instance.
type Database struct {
	Mode DatabaseMode `json:"mode"`
	// EngineVersion is a PostgreSQL major version ("17"): with automatic
	// minor upgrades on, the provider keeps a configured version that is a
	// prefix of the running one, so RDS's upgrades never turn the next
	// `pulumi up` into a downgrade. A pinned minor ("17.6") needs
	// AutoMinorVersionUpgrade off.
	EngineVersion           string `json:"engineVersion"`
	AutoMinorVersionUpgrade bool   `json:"autoMinorVersionUpgrade"`
	// InstanceClass empty in replica mode means "the same class as the
	// peer's writer", read from the peer stack.
	InstanceClass       string `json:"instanceClass"`
	AllocatedStorage    int    `json:"allocatedStorage"`
	MaxAllocatedStorage int    `json:"maxAllocatedStorage"`
	// MultiAZ is the writer's Multi-AZ setting (a promoted replica becomes
	// Multi-AZ through the failover's reconcile unless this says false);
	// ReplicaMultiAZ the replica's (single-AZ saves money).
	MultiAZ             bool   `json:"multiAz"`
	ReplicaMultiAZ      bool   `json:"replicaMultiAz"`
	BackupRetentionDays int    `json:"backupRetentionDays"`
	BackupWindow        string `json:"backupWindow"`
	Name                string `json:"name"`
	Username            string `json:"username"`
	Port                int    `json:"port"`
	// Rebuild drops `protect` and deletion protection so that an explicit
	// `pulumi up --replace` can rebuild the instance during failback. The
	// runbook sets it only after a final snapshot and clears it right after.
	Rebuild bool `json:"rebuild"`
	// CreateTimeout and UpdateTimeout bound the provider's waits: a
	// production-size cross-region replica takes hours to build, past the
	// provider's defaults (40 and 80 minutes).
	CreateTimeout Duration `json:"createTimeout"`
	UpdateTimeout Duration `json:"updateTimeout"`
	DeleteTimeout Duration `json:"deleteTimeout"`
}

// MultiAZEnabled is the Multi-AZ setting for the configured mode.
func (d Database) MultiAZEnabled() bool {
	if d.Mode == ModeReplica {
		return d.ReplicaMultiAZ
	}
	return d.MultiAZ
}

// Major is the engine's major version ("17" for "17" or "17.6").
func (d Database) Major() string {
	for i, r := range d.EngineVersion {
		if r == '.' {
			return d.EngineVersion[:i]
		}
	}
	return d.EngineVersion
}

// DNS is the Route 53 failover setup.
type DNS struct {
	TTL              int    `json:"ttl"`
	HealthCheckPath  string `json:"healthCheckPath"`
	RequestInterval  int    `json:"requestInterval"`
	FailureThreshold int    `json:"failureThreshold"`
	// Fence is the control-plane fence: the gate's threshold above its
	// children, so the PRIMARY record is unhealthy whatever both say. The
	// failover fences through the standby region's data plane instead
	// (dns/fence.go); this key is the manual fallback, and the runbook sets
	// it in config so no later `pulumi up -s primary` can unfence.
	Fence bool `json:"fence"`
}

// Alarms configures where alarm notifications go.
type Alarms struct {
	// Email is subscribed to the alarm topics.
	Email string `json:"email"`
	// EmailWaiver, when Email is empty, says why no address is subscribed
	// (for example "PagerDuty subscribes to the topics out of band").
	EmailWaiver string `json:"emailWaiver"`
}

// Logs sets how long logs are kept.
type Logs struct {
	// RetentionDays applies to the CloudWatch log groups (EKS control
	// plane, PostgreSQL) and, in days, to the ALB access-log bucket.
	RetentionDays int `json:"retentionDays"`
}

// Agent is the DR agent that measures replication delay in each region.
type Agent struct {
	// Image is the agent image tag in the region's `taskflow-dr-agent`
	// repository (make agent-image builds and pushes it).
	ImageTag string `json:"imageTag"`
	// HeartbeatInterval is how often the writer's agent writes a heartbeat:
	// the resolution of every RPO figure.
	HeartbeatInterval Duration `json:"heartbeatInterval"`
}

// GitOps is Argo CD in each cluster and the TaskFlow Application.
type GitOps struct {
	// Install installs Argo CD from its Helm chart; false on a cluster
	// that already runs one (only the Application and its config are added).
	Install bool `json:"install"`
	// ChartVersion is the argo-cd Helm chart version, pinned.
	ChartVersion string `json:"chartVersion"`
	// RepoURL, Path and Revision are TaskFlow's manifests, the same in both
	// regions.
	RepoURL  string `json:"repoUrl"`
	Path     string `json:"path"`
	Revision string `json:"revision"`
	// RepoCredentialsSecret names a Secrets Manager secret (JSON with
	// username and password) replicated to the peer region; empty for a
	// public repository.
	RepoCredentialsSecret string `json:"repoCredentialsSecret"`
	// Replicas and FailoverReplicas are TaskFlow's normal size in this
	// region and the size the runbook scales it to on failover.
	Replicas         int `json:"replicas"`
	FailoverReplicas int `json:"failoverReplicas"`
	// Grafana ships a Grafana dashboard ConfigMap for kube-prometheus-stack.
	Grafana bool `json:"grafana"`
}

// Objectives are the DR contract and the estimates the RTO budget is made of.
type Objectives struct {
	RTO                       Duration `json:"rto"`
	FullCapacity              Duration `json:"fullCapacity"`
	RPO                       Duration `json:"rpo"`
	DeclarationEstimate       Duration `json:"declarationEstimate"`
	PromotionEstimate         Duration `json:"promotionEstimate"`
	AppRecoveryEstimate       Duration `json:"appRecoveryEstimate"`
	ScaleUpEstimate           Duration `json:"scaleUpEstimate"`
	MultiAZConversionEstimate Duration `json:"multiAzConversionEstimate"`
}

// Duration is a time.Duration written in config as "15m", "90s".
type Duration struct{ time.Duration }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return errNotDuration(s)
	}
	v, err := time.ParseDuration(s[1 : len(s)-1])
	if err != nil {
		return errNotDuration(s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration the way it is read.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.String() + `"`), nil
}

// String is the duration as config writes it ("15m", "2h").
func (d Duration) String() string {
	s := d.Duration.String()
	for _, suffix := range []string{"m0s", "h0m"} {
		if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
			s = s[:len(s)-len(suffix)+1]
		}
	}
	return s
}
