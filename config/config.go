// Package config is the one typed, validated view of a stack's `taskflow:*`
// configuration. Every value has a default in code (defaults.go); Load reads
// the stack's values over those defaults and validates the result before the
// program registers a single resource, so a bad key fails `pulumi preview`
// with a message that names it instead of half-creating a region.
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
	Stack   string
	Project string

	Role       Role       `json:"role"`
	Region     string     `json:"region"`
	Peer       Peer       `json:"peer"`
	Domain     string     `json:"domain"`
	AppHost    string     `json:"appHost"`
	Network    Network    `json:"network"`
	Cluster    Cluster    `json:"cluster"`
	Database   Database   `json:"database"`
	DNS        DNS        `json:"dns"`
	Alarms     Alarms     `json:"alarms"`
	Objectives Objectives `json:"objectives"`
}

// Peer names the other stack of the pair. Stack is what a StackReference
// takes ("stack", "project/stack" or "org/project/stack").
type Peer struct {
	Stack  string `json:"stack"`
	Region string `json:"region"`
	// CIDR is the peer's VPC range when known; the two must not overlap so
	// the VPCs can be peered later and addresses in logs stay unambiguous.
	CIDR string `json:"cidr,omitempty"`
}

// Network is the region's VPC.
type Network struct {
	CIDR string   `json:"cidr"`
	AZs  []string `json:"azs"`
	// NATGateways is perAz (default) or single.
	NATGateways string `json:"natGateways"`
}

// Cluster sizes the EKS cluster and its node group.
type Cluster struct {
	Version      string `json:"version"`
	InstanceType string `json:"instanceType"`
	MinSize      int    `json:"minSize"`
	DesiredSize  int    `json:"desiredSize"`
	MaxSize      int    `json:"maxSize"`
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

// Database is the region's RDS PostgreSQL instance.
type Database struct {
	Mode          DatabaseMode `json:"mode"`
	EngineVersion string       `json:"engineVersion"`
	// InstanceClass empty in replica mode means "the same class as the
	// peer's writer", read from the peer stack.
	InstanceClass       string `json:"instanceClass"`
	AllocatedStorage    int    `json:"allocatedStorage"`
	MaxAllocatedStorage int    `json:"maxAllocatedStorage"`
	MultiAZ             *bool  `json:"multiAz"`
	BackupRetentionDays int    `json:"backupRetentionDays"`
	Name                string `json:"name"`
	Username            string `json:"username"`
	Port                int    `json:"port"`
	// Rebuild drops `protect` and deletion protection so that an explicit
	// `pulumi up --replace` can rebuild the instance during failback. The
	// runbook sets it only after a final snapshot and clears it right after.
	Rebuild bool `json:"rebuild"`
}

// MultiAZEnabled resolves the Multi-AZ default: on for a writer (it takes the
// writes), on for a replica only when asked (it is promoted rarely, and can be
// converted after promotion).
func (d Database) MultiAZEnabled() bool {
	if d.MultiAZ != nil {
		return *d.MultiAZ
	}
	return d.Mode == ModeWriter
}

// DNS is the Route 53 failover setup.
type DNS struct {
	TTL              int    `json:"ttl"`
	HealthCheckPath  string `json:"healthCheckPath"`
	RequestInterval  int    `json:"requestInterval"`
	FailureThreshold int    `json:"failureThreshold"`
	// Fence keeps Route 53 on the standby even when the old primary looks
	// healthy again (see dns.HealthGate for how).
	Fence bool `json:"fence"`
}

// Alarms configures where alarm notifications go.
type Alarms struct {
	// Email, when set, subscribes an address to the alarm topic.
	Email string `json:"email"`
}

// Objectives are the DR contract and the estimates the RTO budget is made of.
type Objectives struct {
	RTO                 Duration `json:"rto"`
	RPO                 Duration `json:"rpo"`
	PromotionEstimate   Duration `json:"promotionEstimate"`
	AppRecoveryEstimate Duration `json:"appRecoveryEstimate"`
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
