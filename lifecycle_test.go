package main

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/dns"
)

// The DR lifecycle is config (DESIGN §6, runbooks/failover.md): each phase
// is a combination of the two stacks' config, and each is run here under
// mocks, the stacks feeding each other's StackReference as they would.

func TestPhaseFailedOverPromotesInPlace(t *testing.T) {
	primary, normal := pair(t)
	failedCfg := withValue(t, withValue(t, stackConfig(t, "standby"), "taskflow:database.mode", "writer"), "taskflow:cluster.scale", "failover")
	failed := runStandbyAfter(t, primary, failedCfg)

	before, after := normal.mocks.one(t, "aws:rds/instance:Instance"), failed.mocks.one(t, "aws:rds/instance:Instance")
	assert.Equal(t, before.Name, after.Name, "same resource name: same URN")
	assert.Equal(t, before.Type, after.Type)
	assert.Equal(t, before.Parent, after.Parent)
	assert.NotContains(t, after.Inputs, resource.PropertyKey("replicateSourceDb"), "promotion drops the source")
	// Every other change is one Pulumi ignores on update, so the plan is an
	// in-place update (promotion), never a replacement.
	changed := changedKeys(before.Inputs, after.Inputs)
	for _, k := range changed {
		if k == "replicateSourceDb" {
			continue
		}
		assert.Contains(t, after.IgnoreChanges, k, "input %s changes on promotion and is not ignored", k)
	}
	assert.Contains(t, changed, "replicateSourceDb")
	assert.Equal(t, "writer", failed.exports["dbMode"])
	assert.Equal(t, "", failed.exports["dbReplicationSourceArn"])
	assert.Empty(t, failed.mocks.byType("random:index/randomPassword:RandomPassword"), "promotion does not make new credentials")
	assertDatabaseKept(t, failed)

	// The failover scale carries the full load.
	nodes := failed.exports["nodeGroup"].(map[string]any)
	assert.Equal(t, 4, nodes["desiredSize"])
	assert.Equal(t, "failover", nodes["scale"])
	cluster := failed.mocks.one(t, "eks:index:Cluster")
	assert.Equal(t, 4.0, cluster.Inputs["nodeGroupOptions"].ObjectValue()["desiredCapacity"].NumberValue())
	assert.NotContains(t, failed.exports, "replicaLagAlarmName", "a writer has no lag to alarm on")
}

func TestPhaseFencedKeepsThePrimaryRecordUnhealthy(t *testing.T) {
	fenced := runStack(t, "primary", withValue(t, stackConfig(t, "primary"), "taskflow:dns.fence", true), nil)
	require.NoError(t, fenced.err)
	gate := gateCheck(t, fenced)
	assert.Equal(t, float64(dns.FencedThreshold), gate.Inputs["childHealthThreshold"].NumberValue(),
		"a threshold above the gate's one child is always unhealthy, up or down")
	assert.Len(t, gate.Inputs["childHealthchecks"].ArrayValue(), dns.FencedThreshold-1)
	for _, hc := range fenced.mocks.byType("aws:route53/healthCheck:HealthCheck") {
		assert.NotContains(t, hc.Inputs, resource.PropertyKey("disabled"), "a disabled check counts as healthy")
		assert.NotContains(t, hc.Inputs, resource.PropertyKey("invertHealthcheck"), "an inverted check is healthy while the primary is down")
	}
	assert.Equal(t, true, fenced.exports["fenced"])

	normal := runPrimary(t)
	assert.Equal(t, float64(dns.UnfencedThreshold), gateCheck(t, normal).Inputs["childHealthThreshold"].NumberValue())
	assert.Equal(t, false, normal.exports["fenced"])
}

func TestPhaseFailingBackReplicatesTheStandby(t *testing.T) {
	primary := runPrimary(t)
	standbyWriter := runStandbyAfter(t, primary, withValue(t, stackConfig(t, "standby"), "taskflow:database.mode", "writer"))

	cfg := withValue(t, stackConfig(t, "primary"), "taskflow:database.mode", "replica")
	cfg = withValue(t, cfg, "taskflow:dns.fence", true)
	back := runStack(t, "primary", cfg, standbyWriter.exports)
	require.NoError(t, back.err)
	db := back.mocks.one(t, "aws:rds/instance:Instance")
	assert.Equal(t, standbyWriter.exports["dbInstanceArn"], db.Inputs["replicateSourceDb"].StringValue())
	assert.Contains(t, db.Inputs["kmsKeyId"].StringValue(), ":eu-west-1:")
	assert.NotContains(t, db.Inputs, resource.PropertyKey("password"))
	assert.Len(t, back.mocks.byType("random:index/randomPassword:RandomPassword"), 1, "the primary keeps owning the credentials")
	assert.Len(t, back.mocks.byType("aws:secretsmanager/secret:Secret"), 1)
	assertDatabaseKept(t, back)
	assert.NotEmpty(t, back.exports["replicaLagAlarmName"])

	// The explicit rebuild step lifts the protections, and only then.
	rebuild := runStack(t, "primary", withValue(t, cfg, "taskflow:database.rebuild", true), standbyWriter.exports)
	require.NoError(t, rebuild.err)
	rebuilt := rebuild.mocks.one(t, "aws:rds/instance:Instance")
	assert.False(t, rebuilt.Protect)
	assert.False(t, rebuilt.Inputs["deletionProtection"].BoolValue())
	assert.NotEmpty(t, rebuilt.Inputs["finalSnapshotIdentifier"].StringValue(), "a rebuild still leaves a final snapshot")
	assert.NotEqual(t, db.Inputs["finalSnapshotIdentifier"], rebuilt.Inputs["finalSnapshotIdentifier"],
		"each rebuild's final snapshot has a name of its own")
	keepers := rebuild.mocks.one(t, "random:index/randomId:RandomId").Inputs["keepers"].ObjectValue()
	assert.Equal(t, "true", keepers["rebuild"].StringValue())
}

func TestPhaseSwitchedBackIsNormalAgain(t *testing.T) {
	primary, standby := pair(t)
	assert.Equal(t, "writer", primary.exports["dbMode"])
	assert.Equal(t, "replica", standby.exports["dbMode"])
	assert.Equal(t, primary.exports["dbInstanceArn"], standby.mocks.one(t, "aws:rds/instance:Instance").Inputs["replicateSourceDb"].StringValue())
	assertDatabaseKept(t, primary)
	assertDatabaseKept(t, standby)
}

// assertDatabaseKept: in every phase the database keeps deletion
// protection and `protect` unless the explicit rebuild flag is set.
func assertDatabaseKept(t *testing.T, run *stackRun) {
	t.Helper()
	db := run.mocks.one(t, "aws:rds/instance:Instance")
	assert.True(t, db.Protect, "%s: database must be protected", run.mocks.stack)
	assert.True(t, db.Inputs["deletionProtection"].BoolValue(), "%s: deletion protection", run.mocks.stack)
}

func gateCheck(t *testing.T, run *stackRun) *registered {
	t.Helper()
	for _, hc := range run.mocks.byType("aws:route53/healthCheck:HealthCheck") {
		if hc.Inputs["type"].StringValue() == "CALCULATED" {
			return hc
		}
	}
	t.Fatal("no gate health check")
	return nil
}

// changedKeys lists the inputs that differ between two registrations.
func changedKeys(a, b resource.PropertyMap) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || !v.DeepEquals(w) {
			out = append(out, string(k))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, string(k))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
