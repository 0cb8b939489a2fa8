package main

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/config"
	"github.com/taskflow/taskflow-dr/dns"
	"github.com/taskflow/taskflow-dr/internal/pulumimock"
	"github.com/taskflow/taskflow-dr/outputs"
	"github.com/taskflow/taskflow-dr/region"
)

// The DR lifecycle is config (runbooks/dr-design.md, runbooks/failover.md):
// each phase is a combination of the two stacks' config, and each is run
// here under mocks, the stacks feeding each other's StackReference as they
// would.

func TestPhaseFailedOverPromotesInPlace(t *testing.T) {
	primary, normal := pair(t)
	failedCfg := withValue(t, withValue(t, stackConfig(t, "standby"), "taskflow:database.mode", "writer"), "taskflow:cluster.scale", "failover")
	failed := runStandbyAfter(t, primary, failedCfg)
	require.NoError(t, outputs.Check(config.RoleStandby, config.ModeWriter, failed.exports))

	before, after := normal.mocks.One(t, "aws:rds/instance:Instance"), failed.mocks.One(t, "aws:rds/instance:Instance")
	assert.Equal(t, before.Name, after.Name, "same resource name: same URN")
	assert.Equal(t, before.Parent, after.Parent)
	assert.NotContains(t, after.Inputs, resource.PropertyKey("replicateSourceDb"), "promotion drops the source")
	// Every other change is one the provider updates in place, or one
	// Pulumi ignores on update: the plan is an update (the promotion),
	// never a replacement. identifier, kmsKeyId, storageEncrypted, engine,
	// dbSubnetGroupName and port would force a replacement and must not
	// change.
	changed := changedKeys(before.Inputs, after.Inputs)
	for _, forcesNew := range []string{"identifier", "kmsKeyId", "storageEncrypted", "engine", "dbSubnetGroupName", "availabilityZone"} {
		assert.NotContains(t, changed, forcesNew)
	}
	for _, k := range []string{"dbName", "username", "password"} {
		assert.Contains(t, after.IgnoreChanges, k, "input %s appears on promotion and must be ignored", k)
	}
	assert.Contains(t, changed, "replicateSourceDb")
	// A promoted standby becomes Multi-AZ through this reconcile (its
	// replica was single-AZ), and keeps the configured backups.
	assert.Contains(t, changed, "multiAz")
	assert.True(t, after.Inputs["multiAz"].BoolValue())
	assert.Equal(t, 14.0, after.Inputs["backupRetentionPeriod"].NumberValue())
	assert.Equal(t, "writer", failed.exports["dbMode"])
	assert.Equal(t, "", failed.exports["dbReplicationSourceArn"])
	assert.Empty(t, failed.mocks.ByType("random:index/randomPassword:RandomPassword"), "promotion does not make new credentials")
	assertDatabaseKept(t, failed)

	// The failover scale carries the full load, through the managed node
	// group's scaling config.
	nodes := failed.exports["nodeGroup"].(map[string]any)
	assert.Equal(t, 4, nodes["desiredSize"])
	assert.Equal(t, "failover", nodes["scale"])
	mng := failed.mocks.One(t, "eks:index:ManagedNodeGroup")
	assert.Equal(t, 4.0, mng.Inputs["scalingConfig"].ObjectValue()["desiredSize"].NumberValue())
	assert.NotContains(t, failed.exports, "replicaLagAlarmName", "a writer has no replication delay to alarm on")
}

func TestPhaseFencedKeepsThePrimaryRecordUnhealthy(t *testing.T) {
	normal := runPrimary(t)
	gate := gateCheck(t, normal)
	children := gate.Inputs["childHealthchecks"].ArrayValue()
	require.Len(t, children, 2, "the endpoint probe and the fence")
	assert.Equal(t, 2.0, gate.Inputs["childHealthThreshold"].NumberValue(), "healthy only when both are")
	fence := normal.mocks.Named(t, "aws:route53/healthCheck:HealthCheck", "taskflow-fence-check")
	assert.Equal(t, fence.ID, children[1].StringValue())
	assert.Equal(t, fence.ID, normal.exports["fenceHealthCheckId"])

	// The control-plane fence (dns.fence, the manual fallback): a threshold
	// above the gate's children is always unhealthy, up or down.
	fenced := runStack(t, "primary", withValue(t, stackConfig(t, "primary"), "taskflow:dns.fence", true), nil)
	require.NoError(t, fenced.err)
	assert.Equal(t, float64(dns.GateThreshold(2, true)), gateCheck(t, fenced).Inputs["childHealthThreshold"].NumberValue())
	assert.Equal(t, 3.0, gateCheck(t, fenced).Inputs["childHealthThreshold"].NumberValue())
	for _, hc := range fenced.mocks.ByType("aws:route53/healthCheck:HealthCheck") {
		assert.NotContains(t, hc.Inputs, resource.PropertyKey("disabled"), "a disabled check counts as healthy")
		assert.NotContains(t, hc.Inputs, resource.PropertyKey("invertHealthcheck"), "an inverted check is healthy while the primary is down")
	}
	assert.Equal(t, true, fenced.exports["fenced"])
	assert.Equal(t, false, normal.exports["fenced"])
}

func TestPhaseFailingBackReplicatesTheStandby(t *testing.T) {
	primary := runPrimary(t)
	standbyWriter := runStandbyAfter(t, primary, withValue(t, stackConfig(t, "standby"), "taskflow:database.mode", "writer"))

	cfg := withValue(t, withValue(t, stackConfig(t, "primary"), "taskflow:database.mode", "replica"), "taskflow:dns.fence", true)
	back := runStack(t, "primary", cfg, standbyWriter.exports)
	require.NoError(t, back.err)
	require.NoError(t, outputs.Check(config.RolePrimary, config.ModeReplica, back.exports))
	db := back.mocks.One(t, "aws:rds/instance:Instance")
	assert.Equal(t, standbyWriter.exports["dbInstanceArn"], db.Inputs["replicateSourceDb"].StringValue())
	assert.Contains(t, db.Inputs["kmsKeyId"].StringValue(), ":eu-west-1:")
	assert.NotContains(t, db.Inputs, resource.PropertyKey("password"))
	assert.Len(t, back.mocks.ByType("random:index/randomPassword:RandomPassword"), 1, "the primary keeps owning the credentials")
	assert.Len(t, back.mocks.ByType("aws:secretsmanager/secret:Secret"), 1)
	assertDatabaseKept(t, back)
	assert.NotEmpty(t, back.exports["replicaLagAlarmName"])

	// The explicit rebuild step lifts the protections, and only then.
	rebuild := runStack(t, "primary", withValue(t, cfg, "taskflow:database.rebuild", true), standbyWriter.exports)
	require.NoError(t, rebuild.err)
	rebuilt := rebuild.mocks.One(t, "aws:rds/instance:Instance")
	assert.False(t, rebuilt.Protect)
	assert.False(t, rebuilt.Inputs["deletionProtection"].BoolValue())
}

func TestPhaseSwitchedBackIsNormalAgain(t *testing.T) {
	primary, standby := pair(t)
	assert.Equal(t, "writer", primary.exports["dbMode"])
	assert.Equal(t, "replica", standby.exports["dbMode"])
	assert.Equal(t, primary.exports["dbInstanceArn"], standby.mocks.One(t, "aws:rds/instance:Instance").Inputs["replicateSourceDb"].StringValue())
	assertDatabaseKept(t, primary)
	assertDatabaseKept(t, standby)
}

// TestDeletePathsNeverNameAReplicasFinalSnapshot checks every lifecycle
// transition that deletes a database against RDS's rule: a final snapshot
// identifier is refused when the instance being deleted is a read replica
// ("Must not be provided when deleting a read replica":
// pulumi-aws@v6.83.4:sdk/go/aws/rds/instance.go:527;
// hashicorp/terraform-provider-aws#4276). A deletion uses the state of the
// instance being deleted, so what matters is what each mode registers: a
// writer a unique final snapshot, a replica none.
//
// The rebuild replaces with `pulumi up --replace`. The engine builds the
// replacement from the program's inputs of now, not from the values
// ignoreChanges kept: a targeted replace checks goal.Properties
// (pulumi/pulumi@v3.274.1:pkg/resource/deploy/step_generator.go:1421-1428),
// and so does a replacement a diff triggers (the same file, 2104-2121),
// while only an in-place update keeps the ignored old values (1360-1364).
// So the failback's new replica never carries the old writer's dbName or
// username, which RDS refuses beside replicateSourceDb.
func TestDeletePathsNeverNameAReplicasFinalSnapshot(t *testing.T) {
	primary, standby := pair(t)
	// Destroying the standby: a replica, no final snapshot.
	assertReplicaDeletable(t, standby)
	// The failback's replace deletes the old primary, a writer: a final
	// snapshot, and the new instance is created after the old one is gone
	// (the identifier is pinned).
	assertWriterSnapshot(t, primary)
	failedOver := runStandbyAfter(t, primary, withValue(t, stackConfig(t, "standby"), "taskflow:database.mode", "writer"))
	primaryCfg := withValue(t, withValue(t, stackConfig(t, "primary"), "taskflow:database.mode", "replica"), "taskflow:dns.fence", true)
	dropProtection := runStack(t, "primary", withValue(t, stackConfig(t, "primary"), "taskflow:database.rebuild", true), nil)
	require.NoError(t, dropProtection.err)
	first := assertWriterSnapshot(t, dropProtection)
	rebuilt := runStack(t, "primary", withValue(t, primaryCfg, "taskflow:database.rebuild", true), failedOver.exports)
	require.NoError(t, rebuilt.err)
	assertReplicaDeletable(t, rebuilt)
	newDB := rebuilt.mocks.One(t, "aws:rds/instance:Instance")
	for _, k := range []string{"dbName", "username", "password"} {
		assert.NotContains(t, newDB.Inputs, resource.PropertyKey(k), "the rebuilt replica is created from the program's replica-mode inputs")
	}
	// The switchover's replace deletes the standby, a writer since the
	// failover: a final snapshot of its own name.
	standbyRebuild := runStandbyAfter(t, primary, withValue(t, withValue(t, stackConfig(t, "standby"), "taskflow:database.mode", "writer"), "taskflow:database.rebuild", true))
	assertWriterSnapshot(t, standbyRebuild)
	// A second failback after a complete cycle: the primary is a writer
	// again with rebuild false, then rebuild true draws a new suffix.
	again := runStack(t, "primary", withValue(t, stackConfig(t, "primary"), "taskflow:database.rebuild", false), nil)
	require.NoError(t, again.err)
	second := assertWriterSnapshot(t, again)
	assert.NotEqual(t, first, second, "each rebuild's final snapshot has a name of its own (no DBSnapshotAlreadyExists)")
}

// assertWriterSnapshot: a writer leaves a final snapshot; returns its name.
func assertWriterSnapshot(t *testing.T, run *stackRun) string {
	t.Helper()
	db := run.mocks.One(t, "aws:rds/instance:Instance")
	assert.False(t, db.Inputs["skipFinalSnapshot"].BoolValue(), "%s: a writer takes a final snapshot", run.mocks.Stack())
	name := db.Inputs["finalSnapshotIdentifier"].StringValue()
	assert.Contains(t, name, region.InstanceIdentifier("taskflow-dr-"+run.mocks.Stack())+"-final-")
	assert.True(t, db.DeleteBeforeReplace, "the pinned identifier is freed before the replacement is created")
	return name
}

// assertReplicaDeletable: a replica names no final snapshot.
func assertReplicaDeletable(t *testing.T, run *stackRun) {
	t.Helper()
	db := run.mocks.One(t, "aws:rds/instance:Instance")
	assert.True(t, db.Inputs["skipFinalSnapshot"].BoolValue(), "%s: RDS takes no final snapshot of a replica", run.mocks.Stack())
	assert.NotContains(t, db.Inputs, resource.PropertyKey("finalSnapshotIdentifier"), "%s: RDS refuses a final snapshot identifier for a replica", run.mocks.Stack())
}

// TestDatabaseTimeoutsFitAReplicaBuild: the provider's defaults (40 min
// create, 80 min update) are too short for a production-size cross-region
// replica; config gives hours.
func TestDatabaseTimeoutsFitAReplicaBuild(t *testing.T) {
	_, standby := pair(t)
	db := standby.mocks.One(t, "aws:rds/instance:Instance")
	assert.Equal(t, [3]string{"6h", "6h", "2h"}, db.Timeouts)
}

// assertDatabaseKept: in every phase the database keeps deletion
// protection and `protect` unless the explicit rebuild flag is set.
func assertDatabaseKept(t *testing.T, run *stackRun) {
	t.Helper()
	db := run.mocks.One(t, "aws:rds/instance:Instance")
	assert.True(t, db.Protect, "%s: database must be protected", run.mocks.Stack())
	assert.True(t, db.Inputs["deletionProtection"].BoolValue(), "%s: deletion protection", run.mocks.Stack())
}

func gateCheck(t *testing.T, run *stackRun) *pulumimock.Registered {
	t.Helper()
	for _, hc := range run.mocks.ByType("aws:route53/healthCheck:HealthCheck") {
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
