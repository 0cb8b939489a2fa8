package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

var (
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9]$`)
	stackNamePattern = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.-]*/){0,2}[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	dnsLabelPattern  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	k8sVersion       = regexp.MustCompile(`^1\.[0-9]{2}$`)
	pgVersion        = regexp.MustCompile(`^[0-9]{2}(\.[0-9]+)?$`)
	instanceClass    = regexp.MustCompile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
	dbIdentifier     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	iamRoleArn       = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	// backupWindow is RDS's hh24:mi-hh24:mi in UTC
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html#USER_WorkingWithAutomatedBackups.BackupWindow).
	backupWindow = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$`)
	helmVersion  = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	gitRepoURL   = regexp.MustCompile(`^(https://|ssh://|git@)[^ ]+$`)
	imageTag     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// Ranges the validation enforces and the README's config reference shows.
const (
	minTTL, maxTTL               = 1, 86400
	minThreshold, maxThreshold   = 1, 10
	minNodePort, maxNodePort     = 30000, 32767
	minStorage, maxStorage       = 20, 65536
	minDBPort, maxDBPort         = 1150, 65535
	maxRetentionDays             = 35
	minRootVolume, maxRootVolume = 20, 16384
	minHeartbeat                 = 100 * time.Millisecond
	minDBTimeout                 = 40 * time.Minute
	amiTypePrefix                = "AL2023_"
)

// logRetentionDays are the values CloudWatch Logs accepts
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

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
	errs = append(errs, c.validateAccess()...)
	errs = append(errs, c.validateDatabase()...)
	errs = append(errs, c.validateDNS()...)
	errs = append(errs, c.validateAlarmsAndLogs()...)
	errs = append(errs, c.validateInCluster()...)
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
	if err := checkKubernetesVersion(cl.Version, c.Today); err != nil {
		errs = append(errs, err)
	}
	if cl.InstanceType == "" {
		errs = append(errs, fieldErr("cluster.instanceType", "is required, such as m6i.large"))
	}
	// EKS publishes no Amazon Linux 2 AMIs past Kubernetes 1.32; AL2023
	// boots with nodeadm, which managed node groups configure themselves
	// (https://docs.aws.amazon.com/eks/latest/userguide/eks-ami-deprecation-faqs.html).
	if !strings.HasPrefix(cl.AMIType, amiTypePrefix) {
		errs = append(errs, fieldErr("cluster.amiType", "must be an Amazon Linux 2023 AMI type (%s*, such as AL2023_x86_64_STANDARD): there are no AL2 AMIs past Kubernetes 1.32, got %q", amiTypePrefix, cl.AMIType))
	}
	if cl.RootVolumeSize < minRootVolume || cl.RootVolumeSize > maxRootVolume {
		errs = append(errs, fieldErr("cluster.rootVolumeSize", "must be %d-%d GiB, got %d", minRootVolume, maxRootVolume, cl.RootVolumeSize))
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
	errs = append(errs, validPublicAccess(cl)...)
	if cl.NodePort < minNodePort || cl.NodePort > maxNodePort {
		errs = append(errs, fieldErr("cluster.nodePort", "must be in Kubernetes' NodePort range %d-%d, got %d", minNodePort, maxNodePort, cl.NodePort))
	}
	return errs
}

// validPublicAccess: a public API endpoint must name who may reach it. EKS
// opens it to 0.0.0.0/0 when no CIDR is given
// (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html),
// which a security review refuses (checkov CKV_AWS_38).
func validPublicAccess(cl Cluster) []error {
	var errs []error
	if cl.EndpointPublicAccess && len(cl.PublicAccessCIDRs) == 0 {
		errs = append(errs, fieldErr("cluster.publicAccessCidrs", "is required when cluster.endpointPublicAccess is true: list the networks operators reach the API from (EKS would otherwise open it to 0.0.0.0/0)"))
	}
	for _, cidr := range cl.PublicAccessCIDRs {
		p, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			errs = append(errs, fieldErr("cluster.publicAccessCidrs", "%q is not a CIDR", cidr))
		case p.Bits() == 0:
			errs = append(errs, fieldErr("cluster.publicAccessCidrs", "%q opens the Kubernetes API to the whole internet; list your operators' networks", cidr))
		}
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

// validateAccess: at least one operator role, because a standby that only
// its creator can reach cannot be operated during an incident.
func (c *Config) validateAccess() []error {
	var errs []error
	a := c.Access
	if len(a.OperatorRoleArns) == 0 {
		errs = append(errs, fieldErr("access.operatorRoleArns", "must list at least one IAM role ARN (cluster admin through an EKS access entry): otherwise only the cluster's creator can reach it during an incident"))
	}
	for _, arn := range a.OperatorRoleArns {
		if !iamRoleArn.MatchString(arn) {
			errs = append(errs, fieldErr("access.operatorRoleArns", "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", arn))
		}
	}
	if a.PreviewRoleArn != "" && !iamRoleArn.MatchString(a.PreviewRoleArn) {
		errs = append(errs, fieldErr("access.previewRoleArn", "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", a.PreviewRoleArn))
	}
	return errs
}

func (c *Config) validateDatabase() []error {
	var errs []error
	db := c.Database
	if db.Mode != ModeWriter && db.Mode != ModeReplica {
		errs = append(errs, fieldErr("database.mode", "must be writer or replica, got %q", db.Mode))
	}
	if err := checkPostgresVersion(db, c.Today); err != nil {
		errs = append(errs, err)
	}
	if db.InstanceClass != "" && !instanceClass.MatchString(db.InstanceClass) {
		errs = append(errs, fieldErr("database.instanceClass", "must be an RDS class such as db.r6g.large, got %q", db.InstanceClass))
	}
	if db.InstanceClass == "" && db.Mode == ModeWriter {
		errs = append(errs, fieldErr("database.instanceClass", "is required in writer mode (a replica defaults to its writer's class)"))
	}
	if db.AllocatedStorage < minStorage || db.AllocatedStorage > maxStorage {
		errs = append(errs, fieldErr("database.allocatedStorage", "must be %d-%d GiB for gp3, got %d", minStorage, maxStorage, db.AllocatedStorage))
	}
	if db.MaxAllocatedStorage != 0 && db.MaxAllocatedStorage < db.AllocatedStorage {
		errs = append(errs, fieldErr("database.maxAllocatedStorage", "must be 0 (no autoscaling) or >= database.allocatedStorage (%d), got %d", db.AllocatedStorage, db.MaxAllocatedStorage))
	}
	switch {
	case db.BackupRetentionDays < 1 || db.BackupRetentionDays > maxRetentionDays:
		// 0 would disable backups of a writer, and a cross-region replica
		// needs its source's automated backups
		// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.html).
		errs = append(errs, fieldErr("database.backupRetentionDays", "must be 1-%d: a writer needs automated backups (a cross-region replica needs its source's), and a promoted replica keeps this value, got %d", maxRetentionDays, db.BackupRetentionDays))
	}
	if db.BackupWindow != "" && !backupWindow.MatchString(db.BackupWindow) {
		errs = append(errs, fieldErr("database.backupWindow", "must be hh24:mi-hh24:mi in UTC such as 02:00-03:00, got %q", db.BackupWindow))
	}
	if !dbIdentifier.MatchString(db.Name) {
		errs = append(errs, fieldErr("database.name", "must start with a letter and hold only a-z, 0-9 and _, got %q", db.Name))
	}
	if !dbIdentifier.MatchString(db.Username) || db.Username == "postgres" || db.Username == "rdsadmin" {
		errs = append(errs, fieldErr("database.username", "must start with a letter, hold only a-z, 0-9 and _, and not be a reserved name, got %q", db.Username))
	}
	if db.Port < minDBPort || db.Port > maxDBPort {
		errs = append(errs, fieldErr("database.port", "must be %d-%d (RDS's range), got %d", minDBPort, maxDBPort, db.Port))
	}
	for _, d := range []struct {
		key string
		v   Duration
	}{{"database.createTimeout", db.CreateTimeout}, {"database.updateTimeout", db.UpdateTimeout}, {"database.deleteTimeout", db.DeleteTimeout}} {
		if d.v.Duration < minDBTimeout {
			errs = append(errs, fieldErr(d.key, "must be at least %s (a cross-region replica of a production database takes hours to build), got %s", Duration{minDBTimeout}, d.v))
		}
	}
	return errs
}

func (c *Config) validateDNS() []error {
	var errs []error
	d := c.DNS
	if d.TTL < minTTL || d.TTL > maxTTL {
		errs = append(errs, fieldErr("dns.ttl", "must be %d-%d seconds, got %d", minTTL, maxTTL, d.TTL))
	}
	if !strings.HasPrefix(d.HealthCheckPath, "/") {
		errs = append(errs, fieldErr("dns.healthCheckPath", "must start with '/', got %q", d.HealthCheckPath))
	}
	if d.RequestInterval != 10 && d.RequestInterval != 30 {
		errs = append(errs, fieldErr("dns.requestInterval", "must be 10 or 30 (Route 53's choices), got %d", d.RequestInterval))
	}
	if d.FailureThreshold < minThreshold || d.FailureThreshold > maxThreshold {
		errs = append(errs, fieldErr("dns.failureThreshold", "must be %d-%d, got %d", minThreshold, maxThreshold, d.FailureThreshold))
	}
	if d.Fence && c.Role != RolePrimary {
		errs = append(errs, fieldErr("dns.fence", "can only be set on the primary stack: it fences the primary's record"))
	}
	return errs
}

// validateAlarmsAndLogs: alarm delivery is configured or explicitly waived,
// and logs have a retention CloudWatch accepts.
func (c *Config) validateAlarmsAndLogs() []error {
	var errs []error
	a := c.Alarms
	switch {
	case a.Email != "" && (!strings.Contains(a.Email, "@") || strings.ContainsAny(a.Email, " \t")):
		errs = append(errs, fieldErr("alarms.email", "must be an e-mail address, got %q", a.Email))
	case a.Email == "" && strings.TrimSpace(a.EmailWaiver) == "":
		errs = append(errs, fieldErr("alarms.email", "is required: an alarm nobody receives is no alarm. Set an address, or say in alarms.emailWaiver who subscribes to the topics instead"))
	}
	if !slices.Contains(logRetentionDays, c.Logs.RetentionDays) {
		errs = append(errs, fieldErr("logs.retentionDays", "must be one of CloudWatch Logs' retention values %v, got %d", logRetentionDays, c.Logs.RetentionDays))
	}
	return errs
}

// validateInCluster checks the DR agent and GitOps keys.
func (c *Config) validateInCluster() []error {
	var errs []error
	if !imageTag.MatchString(c.Agent.ImageTag) {
		errs = append(errs, fieldErr("agent.imageTag", "must be an image tag (letters, digits, '_', '.', '-'), got %q", c.Agent.ImageTag))
	}
	if c.Agent.HeartbeatInterval.Duration < minHeartbeat {
		errs = append(errs, fieldErr("agent.heartbeatInterval", "must be at least %s, got %s", Duration{minHeartbeat}, c.Agent.HeartbeatInterval))
	}
	g := c.GitOps
	if !helmVersion.MatchString(g.ChartVersion) {
		errs = append(errs, fieldErr("gitops.chartVersion", "must pin an argo-cd Helm chart version such as %s, got %q", DefaultArgoCDChart, g.ChartVersion))
	}
	if !gitRepoURL.MatchString(g.RepoURL) {
		errs = append(errs, fieldErr("gitops.repoUrl", "is required: TaskFlow's Git repository (https://, ssh:// or git@), the same in both stacks, got %q", g.RepoURL))
	}
	if g.Path == "" || strings.HasPrefix(g.Path, "/") {
		errs = append(errs, fieldErr("gitops.path", "must be a path inside the repository such as deploy, got %q", g.Path))
	}
	if g.Revision == "" {
		errs = append(errs, fieldErr("gitops.revision", "is required: a branch, tag or commit"))
	}
	if g.Replicas < 1 {
		errs = append(errs, fieldErr("gitops.replicas", "must be at least 1: the standby serves /healthz through its ALB before any failover, got %d", g.Replicas))
	}
	if g.FailoverReplicas < g.Replicas {
		errs = append(errs, fieldErr("gitops.failoverReplicas", "must be at least gitops.replicas (%d), got %d", g.Replicas, g.FailoverReplicas))
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
		{"objectives.fullCapacity", o.FullCapacity},
		{"objectives.rpo", o.RPO},
		{"objectives.declarationEstimate", o.DeclarationEstimate},
		{"objectives.promotionEstimate", o.PromotionEstimate},
		{"objectives.appRecoveryEstimate", o.AppRecoveryEstimate},
		{"objectives.scaleUpEstimate", o.ScaleUpEstimate},
		{"objectives.multiAzConversionEstimate", o.MultiAZConversionEstimate},
	} {
		if d.v.Duration <= 0 {
			errs = append(errs, fieldErr(d.key, "must be a positive duration such as \"15m\", got %q", d.v.String()))
		}
	}
	return errs
}

// validateBudget fails a config whose RTO budget exceeds an objective,
// naming the keys that make up the budget.
func (c *Config) validateBudget() []error {
	var errs []error
	o := c.Objectives
	b := c.RTOBudget()
	if b.WritesAccepted > o.RTO.Duration {
		errs = append(errs, fieldErr("objectives.rto", "the RTO budget (writes accepted again) %s exceeds the objective %s: %s. Lower dns.requestInterval, dns.failureThreshold or dns.ttl, or objectives.declarationEstimate, objectives.promotionEstimate or objectives.appRecoveryEstimate, or raise objectives.rto",
			b.WritesAccepted, o.RTO.Duration, b.ExplainWrites()))
	}
	if b.FullCapacity > o.FullCapacity.Duration {
		errs = append(errs, fieldErr("objectives.fullCapacity", "the full-capacity budget %s exceeds the objective %s: %s. Lower objectives.scaleUpEstimate or objectives.multiAzConversionEstimate (or set database.multiAz false), or raise objectives.fullCapacity",
			b.FullCapacity, o.FullCapacity.Duration, b.ExplainCapacity()))
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
