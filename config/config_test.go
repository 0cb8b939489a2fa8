package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/internal/stackfile"
)

// today is the date every version rule is checked against in these tests.
var today = date(2026, time.November, 27)

// stackFile reads a shipped Pulumi.<stack>.yaml.
func stackFile(t *testing.T, stack string) map[string]string {
	return stackfile.Load(t, "../Pulumi."+stack+".yaml")
}

// with returns a copy of cfg with one key ("key" or "object.field")
// changed; value nil deletes it.
func with(t *testing.T, cfg map[string]string, path string, value any) map[string]string {
	return stackfile.With(t, cfg, Namespace+":"+path, value)
}

func parse(cfg map[string]string, stack string, day time.Time) (*Config, error) {
	return Parse(func(k string) string { return cfg[Namespace+":"+k] }, "taskflow-dr", stack, day)
}

func TestShippedStacksAreValid(t *testing.T) {
	for _, stack := range []string{"primary", "standby"} {
		c, err := parse(stackFile(t, stack), stack, today)
		require.NoError(t, err, stack)
		assert.Equal(t, DefaultKubernetesVersion, c.Cluster.Version)
		assert.Equal(t, DefaultPostgresMajor, c.Database.EngineVersion, "pinned by major")
		assert.True(t, c.Database.AutoMinorVersionUpgrade)
		assert.NotContains(t, c.Cluster.PublicAccessCIDRs, "0.0.0.0/0")
		assert.NotEmpty(t, c.Access.OperatorRoleArns)
	}
}

// TestBadConfig: every bad value fails with a message naming the key and
// what is allowed. The root package proves that such a config registers no
// resource at all (TestBadConfigRegistersNothing).
func TestBadConfig(t *testing.T) {
	primary, standby := stackFile(t, "primary"), stackFile(t, "standby")
	cases := []struct {
		name      string
		stack     string
		cfg       map[string]string
		wantKey   string
		wantWords string
	}{
		{"role not primary|standby", "primary", with(t, primary, "role", "main"), "role", "primary or standby"},
		{"region malformed", "primary", with(t, primary, "region", "Ireland"), "region", "AWS region"},
		{"region equal to the peer's", "primary", with(t, primary, "peer.region", "eu-west-1"), "peer.region", "must differ"},
		{"peer stack missing", "primary", with(t, primary, "peer.stack", nil), "peer.stack", "required"},
		{"peer stack malformed", "primary", with(t, primary, "peer.stack", "org/proj/stack/extra"), "peer.stack", "org/project/stack"},
		{"peer stack is this stack", "primary", with(t, primary, "peer.stack", "organization/taskflow-dr/primary"), "peer.stack", "other stack"},
		{"domain malformed", "primary", with(t, primary, "domain", "Taskflow_Example"), "domain", "hosted zone"},
		{"app host outside the domain", "primary", with(t, primary, "appHost", "app.other.example"), "appHost", "inside taskflow:domain"},
		{"cidr malformed", "primary", with(t, primary, "network.cidr", "10.10.0.0"), "network.cidr", "IPv4 CIDR"},
		{"cidr smaller than /20", "primary", with(t, primary, "network.cidr", "10.10.0.0/24"), "network.cidr", "between /16 and /20"},
		{"cidr overlapping the peer's", "primary", with(t, primary, "network.cidr", "10.20.0.0/18"), "network.cidr", "overlaps"},
		{"az outside the region", "primary", with(t, primary, "network.azs", []string{"eu-west-1a", "eu-west-1b", "eu-central-1c"}), "network.azs", "not in taskflow:region"},
		{"nat layout unknown", "primary", with(t, primary, "network.natGateways", "none"), "network.natGateways", "perAz or single"},
		// EKS calendar (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html):
		// 1.31 left standard support on 2025-11-26 and extended on 2026-11-26;
		// 1.32 left standard support on 2026-03-23.
		{"kubernetes past extended support", "primary", with(t, primary, "cluster.version", "1.31"), "cluster.version", "not in this program's copy"},
		{"kubernetes in extended support only", "primary", with(t, primary, "cluster.version", "1.32"), "cluster.version", "left EKS standard support on 2026-03-23"},
		{"kubernetes not released", "primary", with(t, primary, "cluster.version", "1.39"), "cluster.version", "1.34, 1.35"},
		{"AL2 nodes", "primary", with(t, primary, "cluster.amiType", "AL2_x86_64"), "cluster.amiType", "no AL2 AMIs past Kubernetes 1.32"},
		{"min > desired", "primary", with(t, primary, "cluster.minSize", 5), "cluster.minSize", "<= cluster.desiredSize"},
		{"desired > max", "primary", with(t, primary, "cluster.desiredSize", 9), "cluster.desiredSize", "<= cluster.maxSize"},
		{"zero-node cluster", "primary", with(t, with(t, primary, "cluster.minSize", 0), "cluster.desiredSize", 0), "cluster.desiredSize", "zero-node"},
		{"failover smaller than normal", "standby", with(t, standby, "cluster.failoverDesiredSize", 1), "cluster.failoverDesiredSize", "never shrinks"},
		{"scale unknown", "standby", with(t, standby, "cluster.scale", "huge"), "cluster.scale", "normal or failover"},
		{"public API open to the internet", "primary", with(t, primary, "cluster.publicAccessCidrs", []string{"0.0.0.0/0"}), "cluster.publicAccessCidrs", "whole internet"},
		{"public API without CIDRs", "primary", with(t, primary, "cluster.publicAccessCidrs", nil), "cluster.publicAccessCidrs", "is required when cluster.endpointPublicAccess is true"},
		{"no operator role", "standby", with(t, standby, "access.operatorRoleArns", []string{}), "access.operatorRoleArns", "at least one IAM role"},
		{"operator role not a role ARN", "primary", with(t, primary, "access.operatorRoleArns", []string{"arn:aws:iam::123456789012:user/alice"}), "access.operatorRoleArns", "not an IAM role ARN"},
		{"database mode unknown", "standby", with(t, standby, "database.mode", "primary"), "database.mode", "writer or replica"},
		{"writer without backups", "primary", with(t, primary, "database.backupRetentionDays", 0), "database.backupRetentionDays", "1-35"},
		// RDS no longer creates 16.5-16.8 (RDS for PostgreSQL release calendar).
		{"retired minor", "primary", with(t, with(t, primary, "database.engineVersion", "16.8"), "database.autoMinorVersionUpgrade", false), "database.engineVersion", "no longer creates PostgreSQL 16.8"},
		// pulumi-aws@v6.83.4:sdk/go/aws/rds/instance.go:521: only with automatic
		// minor upgrades may the version be a prefix of the running one.
		{"minor pinned with auto upgrades", "primary", with(t, primary, "database.engineVersion", "17.6"), "database.engineVersion", "autoMinorVersionUpgrade is true"},
		{"major out of support", "primary", with(t, primary, "database.engineVersion", "12"), "database.engineVersion", "not in RDS standard support"},
		{"backup window malformed", "primary", with(t, primary, "database.backupWindow", "2am"), "database.backupWindow", "hh24:mi-hh24:mi"},
		{"replica build timeout too short", "standby", with(t, standby, "database.createTimeout", "10m"), "database.createTimeout", "takes hours"},
		{"ttl zero", "primary", with(t, primary, "dns.ttl", 0), "dns.ttl", "1-86400"},
		{"ttl too long", "primary", with(t, primary, "dns.ttl", 86401), "dns.ttl", "1-86400"},
		{"interval not 10|30", "primary", with(t, primary, "dns.requestInterval", 15), "dns.requestInterval", "10 or 30"},
		{"threshold zero", "primary", with(t, primary, "dns.failureThreshold", 0), "dns.failureThreshold", "1-10"},
		{"threshold eleven", "primary", with(t, primary, "dns.failureThreshold", 11), "dns.failureThreshold", "1-10"},
		{"health-check path relative", "primary", with(t, primary, "dns.healthCheckPath", "healthz"), "dns.healthCheckPath", "start with '/'"},
		{"fence on the standby", "standby", with(t, standby, "dns.fence", true), "dns.fence", "primary stack"},
		{"alarms delivered to nobody", "primary", with(t, primary, "alarms.email", ""), "alarms.email", "alarms.emailWaiver"},
		{"log retention CloudWatch refuses", "primary", with(t, primary, "logs.retentionDays", 100), "logs.retentionDays", "one of CloudWatch Logs' retention values"},
		{"gitops without a repository", "standby", with(t, standby, "gitops.repoUrl", nil), "gitops.repoUrl", "is required"},
		{"gitops chart unpinned", "primary", with(t, primary, "gitops.chartVersion", "latest"), "gitops.chartVersion", "pin"},
		{"failover replicas below normal", "standby", with(t, standby, "gitops.failoverReplicas", 1), "gitops.failoverReplicas", "at least gitops.replicas"},
		{"heartbeat too fast", "primary", with(t, primary, "agent.heartbeatInterval", "10ms"), "agent.heartbeatInterval", "at least 100ms"},
		{"misspelt key", "primary", with(t, primary, "dns.requestIntervall", 10), "dns", "unknown key \"requestIntervall\""},
		{"wrong type", "primary", with(t, primary, "dns.ttl", "sixty"), "dns.ttl", "must be a int"},
		{"rto budget over the objective", "primary", with(t, primary, "objectives.rto", "5m"), "objectives.rto", "objectives.declarationEstimate"},
		{"full capacity over its objective", "standby", with(t, standby, "objectives.fullCapacity", "20m"), "objectives.fullCapacity", "Multi-AZ conversion"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.cfg, tc.stack, today)
			require.Error(t, err)
			assert.Contains(t, err.Error(), Namespace+":"+tc.wantKey+":")
			assert.Contains(t, err.Error(), tc.wantWords)
		})
	}
}

// TestKubernetesCalendar: a version is accepted exactly while it is in
// standard support (end dates from the EKS calendar).
func TestKubernetesCalendar(t *testing.T) {
	primary := with(t, stackFile(t, "primary"), "cluster.version", "1.34")
	_, err := parse(primary, "primary", date(2026, time.December, 1))
	assert.NoError(t, err, "1.34 is in standard support until 2026-12-02")
	_, err = parse(primary, "primary", date(2026, time.December, 2))
	assert.ErrorContains(t, err, "left EKS standard support on 2026-12-02")
	_, err = parse(stackFile(t, "primary"), "primary", date(2027, time.March, 27))
	assert.ErrorContains(t, err, "left EKS standard support on 2027-03-27", "the shipped version needs upgrading by then")
}

// TestPinnedMinorNeedsAutoUpgradeOff: a current minor is accepted once RDS
// may no longer upgrade it.
func TestPinnedMinorNeedsAutoUpgradeOff(t *testing.T) {
	cfg := with(t, with(t, stackFile(t, "primary"), "database.engineVersion", "17.6"), "database.autoMinorVersionUpgrade", false)
	c, err := parse(cfg, "primary", today)
	require.NoError(t, err)
	assert.Equal(t, "17", c.Database.Major())
}

// TestRTOBudget: the shipped config meets both objectives, and independent
// terms overlap (the total is the critical path, not the sum).
func TestRTOBudget(t *testing.T) {
	c, err := parse(stackFile(t, "standby"), "standby", today)
	require.NoError(t, err)
	b := c.RTOBudget()
	assert.Equal(t, map[string]int{
		"detectionSeconds":             30, // 10 s interval x 3 failures
		"dnsTtlSeconds":                60,
		"declarationSeconds":           300,
		"promotionSeconds":             300,
		"appRecoverySeconds":           120,
		"scaleUpSeconds":               300,
		"multiAzConversionSeconds":     1800,
		"writesAcceptedSeconds":        750,  // 30 + 300 + 300 + 120
		"fullCapacitySeconds":          2430, // 30 + 300 + 300 + 1800: Multi-AZ conversion is the long pole
		"objectiveSeconds":             900,
		"fullCapacityObjectiveSeconds": 3600,
		"totalSeconds":                 750,
	}, b.Seconds())
	sum := b.Detection + b.DNSTTL + b.Declaration + b.Promotion + b.AppRecovery + b.ScaleUp + b.MultiAZConversion
	assert.Less(t, b.FullCapacity, sum, "parallel terms are not summed")

	// A promoted writer that stays single-AZ has no conversion on its path:
	// full capacity then comes with the writes (the scale-up, 630 s, is
	// done before them).
	single, err := parse(with(t, stackFile(t, "standby"), "database.multiAz", false), "standby", today)
	require.NoError(t, err)
	assert.Zero(t, single.RTOBudget().MultiAZConversion)
	assert.Equal(t, 750, int(single.RTOBudget().FullCapacity.Seconds()))
	slow, err := parse(with(t, with(t, stackFile(t, "standby"), "database.multiAz", false), "objectives.scaleUpEstimate", "15m"), "standby", today)
	require.NoError(t, err)
	assert.Equal(t, 30+300+900, int(slow.RTOBudget().FullCapacity.Seconds()), "a slow scale-up is the critical path")

	// DNS alone can be the writes path when the people are fast.
	fast, err := parse(with(t, with(t, with(t, stackFile(t, "standby"), "objectives.declarationEstimate", "1s"),
		"objectives.promotionEstimate", "1s"), "objectives.appRecoveryEstimate", "1s"), "standby", today)
	require.NoError(t, err)
	assert.Equal(t, 90, int(fast.RTOBudget().WritesAccepted.Seconds()), "detection + TTL")
}

// TestReferenceCoversEveryKey: the README's config table is generated from
// the keys of Config, and every key says what it accepts.
func TestReferenceCoversEveryKey(t *testing.T) {
	rows := Reference()
	require.Len(t, rows, len(Keys()))
	allow := allowed()
	for _, r := range rows {
		assert.NotEmpty(t, r.Allowed, "key %s has no allowed-values text", r.Key)
		assert.NotEqual(t, "``", r.Default, "key %s has no default text", r.Key)
	}
	assert.Len(t, allow, len(rows), "allowed() has keys that are not config keys")
	for key := range derivedDefaults {
		assert.Contains(t, Keys(), key, "derivedDefaults names an unknown key")
	}
	// Spot checks against the constants and defaults.
	byKey := map[string]Row{}
	for _, r := range rows {
		byKey[r.Key] = r
	}
	assert.Equal(t, "`60`", byKey["dns.ttl"].Default)
	assert.Equal(t, "1–86400 s", byKey["dns.ttl"].Allowed)
	assert.Equal(t, "`1.35`", byKey["cluster.version"].Default)
	assert.Contains(t, byKey["cluster.version"].Allowed, "1.35 until 2027-03-27")
}
