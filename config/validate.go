package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

var (
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9]$`)
	stackNamePattern = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.-]*/){0,2}[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	dnsLabelPattern  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	k8sVersion       = regexp.MustCompile(`^1\.[0-9]{2}$`)
	pgVersion        = regexp.MustCompile(`^[0-9]{2}(\.[0-9]+)?$`)
	instanceClass    = regexp.MustCompile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
	dbIdentifier     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// Widest and narrowest VPC the network layout supports: /16 is AWS's
// maximum; below /20 the six subnets (3 AZs x public/private, each a /24 or
// larger) leave no room for EKS pod addresses.
const (
	widestVPCPrefix    = 16
	narrowestVPCPrefix = 20
)

// validate returns every problem in c; nil means the stack can be built.
func (c *Config) validate() []error {
	var errs []error
	errs = append(errs, c.validateIdentity()...)
	errs = append(errs, c.validateNetwork()...)
	errs = append(errs, c.validateCluster()...)
	errs = append(errs, c.validateDatabase()...)
	errs = append(errs, c.validateDNS()...)
	errs = append(errs, c.validateObjectives()...)
	if len(errs) == 0 {
		// The budget is only meaningful once its parts are valid.
		errs = append(errs, c.validateBudget()...)
	}
	return errs
}

func (c *Config) validateIdentity() []error {
	var errs []error
	if c.Role != RolePrimary && c.Role != RoleStandby {
		errs = append(errs, fieldErr("role", "must be primary or standby, got %q", c.Role))
	}
	if !regionPattern.MatchString(c.Region) {
		errs = append(errs, fieldErr("region", "must be an AWS region such as eu-west-1, got %q", c.Region))
	}
	switch {
	case c.Peer.Stack == "":
		errs = append(errs, fieldErr("peer.stack", "is required: the peer stack's name (stack, project/stack or org/project/stack)"))
	case !stackNamePattern.MatchString(c.Peer.Stack):
		errs = append(errs, fieldErr("peer.stack", "must be stack, project/stack or org/project/stack of letters, digits, '-', '_' and '.', got %q", c.Peer.Stack))
	case stackBase(c.Peer.Stack) == c.Stack:
		errs = append(errs, fieldErr("peer.stack", "must name the other stack of the pair, not this one (%q)", c.Stack))
	}
	switch {
	case !regionPattern.MatchString(c.Peer.Region):
		errs = append(errs, fieldErr("peer.region", "must be an AWS region such as eu-central-1, got %q", c.Peer.Region))
	case c.Peer.Region == c.Region:
		errs = append(errs, fieldErr("peer.region", "must differ from taskflow:region (%s): a standby in the same region is no disaster recovery", c.Region))
	}
	if err := validHostname(c.Domain); err != nil {
		errs = append(errs, fieldErr("domain", "must be the hosted zone's domain name, such as example.com: %v", err))
	}
	if err := validHostname(c.AppHost); err != nil {
		errs = append(errs, fieldErr("appHost", "must be a host name: %v", err))
	} else if c.Domain != "" && !strings.HasSuffix(c.AppHost, "."+c.Domain) {
		errs = append(errs, fieldErr("appHost", "must be inside taskflow:domain (%s), got %q", c.Domain, c.AppHost))
	}
	return errs
}

func (c *Config) validateNetwork() []error {
	var errs []error
	vpc, err := parseVPCCIDR("network.cidr", c.Network.CIDR)
	if err != nil {
		errs = append(errs, err)
	}
	if c.Peer.CIDR != "" {
		peer, perr := netip.ParsePrefix(c.Peer.CIDR)
		switch {
		case perr != nil:
			errs = append(errs, fieldErr("peer.cidr", "must be a CIDR such as 10.20.0.0/16, got %q", c.Peer.CIDR))
		case err == nil && vpc.Overlaps(peer.Masked()):
			errs = append(errs, fieldErr("network.cidr", "%s overlaps the peer's taskflow:peer.cidr %s: the regions' networks must not overlap", vpc, peer))
		}
	}
	if len(c.Network.AZs) != 3 {
		errs = append(errs, fieldErr("network.azs", "must list exactly 3 availability zones, got %d", len(c.Network.AZs)))
	}
	for _, az := range c.Network.AZs {
		if !strings.HasPrefix(az, c.Region) || len(az) != len(c.Region)+1 {
			errs = append(errs, fieldErr("network.azs", "zone %q is not in taskflow:region %s", az, c.Region))
		}
	}
	if c.Network.NATGateways != NATPerAZ && c.Network.NATGateways != NATSingle {
		errs = append(errs, fieldErr("network.natGateways", "must be %s or %s, got %q", NATPerAZ, NATSingle, c.Network.NATGateways))
	}
	return errs
}

func parseVPCCIDR(key, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fieldErr(key, "must be an IPv4 CIDR such as 10.10.0.0/16, got %q", s)
	}
	if p != p.Masked() {
		return netip.Prefix{}, fieldErr(key, "must be a network address (%s), got %q", p.Masked(), s)
	}
	if p.Bits() < widestVPCPrefix || p.Bits() > narrowestVPCPrefix {
		return netip.Prefix{}, fieldErr(key, "must be between /%d and /%d, got /%d", widestVPCPrefix, narrowestVPCPrefix, p.Bits())
	}
	return p, nil
}

func (c *Config) validateCluster() []error {
	var errs []error
	cl := c.Cluster
	if !k8sVersion.MatchString(cl.Version) {
		errs = append(errs, fieldErr("cluster.version", "must be an EKS Kubernetes version such as 1.31, got %q", cl.Version))
	}
	if cl.InstanceType == "" {
		errs = append(errs, fieldErr("cluster.instanceType", "is required, such as m6i.large"))
	}
	errs = append(errs, validSizes("cluster.", "", cl.MinSize, cl.DesiredSize, cl.MaxSize)...)
	errs = append(errs, validSizes("cluster.", "failover", cl.FailoverMinSize, cl.FailoverDesiredSize, cl.FailoverMaxSize)...)
	if cl.FailoverDesiredSize < cl.DesiredSize {
		errs = append(errs, fieldErr("cluster.failoverDesiredSize", "must be at least cluster.desiredSize (%d): failover never shrinks a region, got %d", cl.DesiredSize, cl.FailoverDesiredSize))
	}
	if cl.Scale != ScaleNormal && cl.Scale != ScaleFailover {
		errs = append(errs, fieldErr("cluster.scale", "must be normal or failover, got %q", cl.Scale))
	}
	if !cl.EndpointPublicAccess && !cl.EndpointPrivateAccess {
		errs = append(errs, fieldErr("cluster.endpointPublicAccess", "and cluster.endpointPrivateAccess cannot both be false: nothing could reach the API"))
	}
	for _, cidr := range cl.PublicAccessCIDRs {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			errs = append(errs, fieldErr("cluster.publicAccessCidrs", "%q is not a CIDR", cidr))
		}
	}
	if cl.NodePort < 30000 || cl.NodePort > 32767 {
		errs = append(errs, fieldErr("cluster.nodePort", "must be in Kubernetes' NodePort range 30000-32767, got %d", cl.NodePort))
	}
	return errs
}

// validSizes checks one min/desired/max triple; prefix is "" or "failover".
func validSizes(group, prefix string, minSize, desired, maxSize int) []error {
	key := func(name string) string {
		if prefix == "" {
			return group + strings.ToLower(name[:1]) + name[1:]
		}
		return group + prefix + name
	}
	var errs []error
	switch {
	case maxSize < 1 || desired < 1:
		errs = append(errs, fieldErr(key("DesiredSize"), "and %s must be at least 1: a zero-node cluster cannot run TaskFlow (got desired %d, max %d)", key("MaxSize"), desired, maxSize))
	case minSize < 0:
		errs = append(errs, fieldErr(key("MinSize"), "must not be negative, got %d", minSize))
	case minSize > desired:
		errs = append(errs, fieldErr(key("MinSize"), "must be <= %s (%d), got %d", key("DesiredSize"), desired, minSize))
	case desired > maxSize:
		errs = append(errs, fieldErr(key("DesiredSize"), "must be <= %s (%d), got %d", key("MaxSize"), maxSize, desired))
	}
	return errs
}

func (c *Config) validateDatabase() []error {
	var errs []error
	db := c.Database
	if db.Mode != ModeWriter && db.Mode != ModeReplica {
		errs = append(errs, fieldErr("database.mode", "must be writer or replica, got %q", db.Mode))
	}
	if !pgVersion.MatchString(db.EngineVersion) {
		errs = append(errs, fieldErr("database.engineVersion", "must be a PostgreSQL version such as 16.8, got %q", db.EngineVersion))
	}
	if db.InstanceClass != "" && !instanceClass.MatchString(db.InstanceClass) {
		errs = append(errs, fieldErr("database.instanceClass", "must be an RDS class such as db.r6g.large, got %q", db.InstanceClass))
	}
	if db.InstanceClass == "" && db.Mode == ModeWriter {
		errs = append(errs, fieldErr("database.instanceClass", "is required in writer mode (a replica defaults to its writer's class)"))
	}
	if db.AllocatedStorage < 20 || db.AllocatedStorage > 65536 {
		errs = append(errs, fieldErr("database.allocatedStorage", "must be 20-65536 GiB for gp3, got %d", db.AllocatedStorage))
	}
	if db.MaxAllocatedStorage != 0 && db.MaxAllocatedStorage < db.AllocatedStorage {
		errs = append(errs, fieldErr("database.maxAllocatedStorage", "must be 0 (no autoscaling) or >= database.allocatedStorage (%d), got %d", db.AllocatedStorage, db.MaxAllocatedStorage))
	}
	switch {
	case db.BackupRetentionDays < 0 || db.BackupRetentionDays > 35:
		errs = append(errs, fieldErr("database.backupRetentionDays", "must be 1-35, got %d", db.BackupRetentionDays))
	case db.BackupRetentionDays == 0 && db.Mode == ModeWriter:
		errs = append(errs, fieldErr("database.backupRetentionDays", "must be at least 1 for a writer: a cross-region replica needs its source's automated backups, got 0"))
	}
	if !dbIdentifier.MatchString(db.Name) {
		errs = append(errs, fieldErr("database.name", "must start with a letter and hold only a-z, 0-9 and _, got %q", db.Name))
	}
	if !dbIdentifier.MatchString(db.Username) || db.Username == "postgres" || db.Username == "rdsadmin" {
		errs = append(errs, fieldErr("database.username", "must start with a letter, hold only a-z, 0-9 and _, and not be a reserved name, got %q", db.Username))
	}
	if db.Port < 1150 || db.Port > 65535 {
		errs = append(errs, fieldErr("database.port", "must be 1150-65535 (RDS's range), got %d", db.Port))
	}
	return errs
}

func (c *Config) validateDNS() []error {
	var errs []error
	d := c.DNS
	if d.TTL < 1 || d.TTL > 86400 {
		errs = append(errs, fieldErr("dns.ttl", "must be 1-86400 seconds, got %d", d.TTL))
	}
	if !strings.HasPrefix(d.HealthCheckPath, "/") {
		errs = append(errs, fieldErr("dns.healthCheckPath", "must start with '/', got %q", d.HealthCheckPath))
	}
	if d.RequestInterval != 10 && d.RequestInterval != 30 {
		errs = append(errs, fieldErr("dns.requestInterval", "must be 10 or 30 (Route 53's choices), got %d", d.RequestInterval))
	}
	if d.FailureThreshold < 1 || d.FailureThreshold > 10 {
		errs = append(errs, fieldErr("dns.failureThreshold", "must be 1-10, got %d", d.FailureThreshold))
	}
	if d.Fence && c.Role != RolePrimary {
		errs = append(errs, fieldErr("dns.fence", "can only be set on the primary stack: it fences the primary's record"))
	}
	if c.Alarms.Email != "" && (!strings.Contains(c.Alarms.Email, "@") || strings.ContainsAny(c.Alarms.Email, " \t")) {
		errs = append(errs, fieldErr("alarms.email", "must be an e-mail address, got %q", c.Alarms.Email))
	}
	return errs
}

func (c *Config) validateObjectives() []error {
	var errs []error
	o := c.Objectives
	for _, d := range []struct {
		key string
		v   Duration
	}{
		{"objectives.rto", o.RTO},
		{"objectives.rpo", o.RPO},
		{"objectives.promotionEstimate", o.PromotionEstimate},
		{"objectives.appRecoveryEstimate", o.AppRecoveryEstimate},
	} {
		if d.v.Duration <= 0 {
			errs = append(errs, fieldErr(d.key, "must be a positive duration such as \"15m\", got %q", d.v.String()))
		}
	}
	return errs
}

// validateBudget fails a config whose RTO budget exceeds the objective,
// naming the keys that make up the budget.
func (c *Config) validateBudget() []error {
	var errs []error
	o := c.Objectives
	if b := c.RTOBudget(); b.Total > o.RTO.Duration {
		errs = append(errs, fieldErr("objectives.rto", "the RTO budget %s exceeds the objective %s (%s). Lower dns.requestInterval, dns.failureThreshold or dns.ttl, or objectives.promotionEstimate or objectives.appRecoveryEstimate, or raise objectives.rto",
			b.Total, o.RTO.Duration, b))
	}
	return errs
}

// validHostname checks a lowercase DNS name of at least two labels.
func validHostname(name string) error {
	if name == "" {
		return fmt.Errorf("empty")
	}
	if len(name) > 253 {
		return fmt.Errorf("%q is longer than 253 characters", name)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%q has no dot", name)
	}
	if i := slices.IndexFunc(labels, func(l string) bool { return !dnsLabelPattern.MatchString(l) }); i >= 0 {
		return fmt.Errorf("%q: label %q is not lowercase letters, digits and inner hyphens", name, labels[i])
	}
	return nil
}

// stackBase is the stack part of "org/project/stack".
func stackBase(ref string) string {
	return ref[strings.LastIndex(ref, "/")+1:]
}
