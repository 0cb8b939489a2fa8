package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/config"
	"github.com/taskflow/taskflow-dr/internal/pulumimock"
	"github.com/taskflow/taskflow-dr/internal/stackfile"
	"github.com/taskflow/taskflow-dr/outputs"
)

// The two-stack graph tests: both stacks are built from the real stack
// files, the primary's exports feed the standby's StackReference, and
// invariants hold on every resource.

// stackRun is one run of the program under the recording mock.
type stackRun struct {
	mocks   *pulumimock.Recorder
	exports map[string]any
	err     error
}

func stackConfig(t *testing.T, stack string) map[string]string {
	return stackfile.Load(t, "Pulumi."+stack+".yaml")
}

func withValue(t *testing.T, cfg map[string]string, path string, value any) map[string]string {
	return stackfile.With(t, cfg, path, value)
}

// runStack runs the whole program for a stack and resolves its exports.
func runStack(t *testing.T, stack string, cfg map[string]string, peerOutputs map[string]any) *stackRun {
	t.Helper()
	m := pulumimock.New(stack, cfg["taskflow:region"], peerOutputs)
	res := &stackRun{mocks: m, exports: map[string]any{}}
	res.err = m.Run(cfg, func(ctx *pulumi.Context) error {
		exports, err := program(ctx)
		if err != nil {
			return err
		}
		for name, out := range exports {
			v, err := pulumimock.Await(ctx, out)
			if err != nil {
				return fmt.Errorf("await export %s: %w", name, err)
			}
			res.exports[name] = unsecret(v)
		}
		return nil
	})
	return res
}

// unsecret turns resolved outputs into the plain JSON-like values `pulumi
// stack output --json --show-secrets` prints.
func unsecret(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = unsecret(e)
		}
		return out
	case pulumi.URN:
		return string(x)
	}
	return v
}

// runPrimary runs the primary stack from its real config file.
func runPrimary(t *testing.T) *stackRun {
	t.Helper()
	run := runStack(t, "primary", stackConfig(t, "primary"), nil)
	require.NoError(t, run.err)
	return run
}

// runStandbyAfter runs the standby stack with the primary run's exports as
// its peer's outputs: the two-stack wiring without AWS.
func runStandbyAfter(t *testing.T, primary *stackRun, cfg map[string]string) *stackRun {
	t.Helper()
	run := runStack(t, "standby", cfg, primary.exports)
	require.NoError(t, run.err)
	return run
}

// pair runs both stacks from their real config.
func pair(t *testing.T) (primary, standby *stackRun) {
	t.Helper()
	primary = runPrimary(t)
	return primary, runStandbyAfter(t, primary, stackConfig(t, "standby"))
}

func TestPrimaryStackGraph(t *testing.T) {
	run := runPrimary(t)
	m := run.mocks
	t.Logf("primary: %d resources registered", len(m.All()))
	assertInvariants(t, m, "eu-west-1")
	require.NoError(t, outputs.Check(config.RolePrimary, config.ModeWriter, run.exports), "exports match outputs.Table")

	db := m.One(t, "aws:rds/instance:Instance")
	assert.Equal(t, "writer", run.exports["dbMode"])
	assert.Equal(t, "taskflow", db.Inputs["dbName"].StringValue())
	assert.True(t, db.Inputs["multiAz"].BoolValue(), "a writer is Multi-AZ")
	assert.NotContains(t, db.Inputs, resource.PropertyKey("replicateSourceDb"))
	password := db.Inputs["password"]
	require.True(t, password.IsSecret(), "the master password reaches the database only as a secret")
	assert.Equal(t, "mock-generated-password-0123456789", password.SecretValue().Element.StringValue())
	assert.Contains(t, run.exports["kubeconfig"], "--region")
	assert.Contains(t, run.exports["kubeconfig"], "--role-arn")
	assert.Equal(t, "https://app.taskflow.example.com", run.exports["appUrl"])
	assert.Equal(t, "taskflow-dr-primary", run.exports["clusterName"])
	assert.Equal(t, 14, run.exports["dbBackupRetentionDays"])
}

func TestStandbyReplicatesThePrimary(t *testing.T) {
	primary, standby := pair(t)
	m := standby.mocks
	t.Logf("standby: %d resources registered", len(m.All()))
	assertInvariants(t, m, "eu-central-1")
	require.NoError(t, outputs.Check(config.RoleStandby, config.ModeReplica, standby.exports), "exports match outputs.Table")

	require.Len(t, m.Reads("pulumi:pulumi:StackReference"), 1, "the standby reads the primary")
	// The standby's `pulumi up` is on the failover's path: no Route 53
	// control-plane call (us-east-1), so no zone lookup; it takes the
	// primary's answer.
	const getZone = "aws:route53/getZone:getZone"
	assert.Contains(t, primary.mocks.Invokes(), getZone, "the primary looks the zone up")
	assert.NotContains(t, m.Invokes(), getZone, "the standby calls no Route 53 API at run time")
	assert.Equal(t, primary.exports["hostedZoneId"], standby.exports["hostedZoneId"])
	db := m.One(t, "aws:rds/instance:Instance")
	assert.Equal(t, primary.exports["dbInstanceArn"], db.Inputs["replicateSourceDb"].StringValue(),
		"the replica follows the primary's writer by ARN")
	assert.Equal(t, primary.exports["dbInstanceArn"], standby.exports["dbReplicationSourceArn"])
	assert.Contains(t, db.Inputs["kmsKeyId"].StringValue(), ":eu-central-1:", "encrypted with a standby-region key")
	for _, key := range []string{"dbName", "username", "password"} {
		assert.NotContains(t, db.Inputs, resource.PropertyKey(key), "a replica has no %s of its own", key)
	}
	assert.False(t, db.Inputs["multiAz"].BoolValue(), "the replica stays single-AZ to save money")

	unset := runStandbyAfter(t, primary, withValue(t, stackConfig(t, "standby"), "taskflow:database.instanceClass", nil))
	assert.Equal(t, primary.exports["dbInstanceClass"], unset.mocks.One(t, "aws:rds/instance:Instance").Inputs["instanceClass"].StringValue(),
		"a replica without a class of its own follows the writer's")

	primaryDB := primary.mocks.One(t, "aws:rds/instance:Instance")
	assert.Equal(t, primaryDB.Name, db.Name, "one resource name in both modes")
	assert.Equal(t, primaryDB.Type, db.Type, "one resource type in both modes")
}

func TestPeerWithoutOutputsFailsNamingThem(t *testing.T) {
	run := runStack(t, "standby", stackConfig(t, "standby"), map[string]any{"region": "eu-west-1", "role": "primary"})
	require.Error(t, run.err)
	msg := run.err.Error()
	assert.Contains(t, msg, "organization/taskflow-dr/primary")
	for _, missing := range []string{"dbInstanceArn", "dbMode", "dbInstanceClass", "dbSecretReplicaArn", "fenceHealthCheckId"} {
		assert.Contains(t, msg, missing)
	}
	assert.Empty(t, run.mocks.ByType("aws:rds/instance:Instance"), "no database without its source")
}

// TestPrimaryDeploysBeforeTheStandbyExists: the primary reads nothing of
// the standby in normal operation, so it can be deployed first.
func TestPrimaryDeploysBeforeTheStandbyExists(t *testing.T) {
	run := runStack(t, "primary", stackConfig(t, "primary"), nil)
	require.NoError(t, run.err)
	assert.Empty(t, run.mocks.Reads("pulumi:pulumi:StackReference"))
}

func TestReplicaOfAReplicaIsRefused(t *testing.T) {
	primary := runPrimary(t)
	primary.exports["dbMode"] = "replica"
	run := runStack(t, "standby", stackConfig(t, "standby"), primary.exports)
	require.Error(t, run.err)
	assert.Contains(t, run.err.Error(), "taskflow:database.mode")
}

// TestBadConfigRegistersNothing: a config the config package refuses
// (config/config_test.go holds every case) fails the run before the engine
// sees a single resource.
func TestBadConfigRegistersNothing(t *testing.T) {
	for _, tc := range []struct{ path, value string }{
		{"taskflow:cluster.version", "1.31"},
		{"taskflow:dns.requestInterval", "15"},
		{"taskflow:objectives.rto", "5m"},
	} {
		var v any = tc.value
		if tc.path == "taskflow:dns.requestInterval" {
			v = 15
		}
		run := runStack(t, "primary", withValue(t, stackConfig(t, "primary"), tc.path, v), nil)
		require.Error(t, run.err, tc.path)
		assert.Contains(t, run.err.Error(), tc.path+":")
		assert.Empty(t, pulumimock.Names(run.mocks.All()), "nothing may be registered for bad config (%s)", tc.path)
	}
}

// assertInvariants checks what must hold for every resource of a stack.
func assertInvariants(t *testing.T, m *pulumimock.Recorder, stackRegion string) {
	t.Helper()
	all := m.All()
	require.NotEmpty(t, all)

	// Every custom AWS resource uses an explicit provider: the stack's
	// region, except the few that must live elsewhere by design.
	for _, r := range all {
		if !strings.HasPrefix(r.Type, "aws:") || !r.Custom {
			continue
		}
		want := stackRegion
		switch {
		case usesMetricsRegion(r):
			want = "us-east-1" // Route 53 health-check metrics live only there
		case livesInStandbyRegion(r):
			want = "eu-central-1" // the primary's fence and creation template
		}
		assert.Equal(t, want, m.ProviderRegion(r), "%s %s is in the wrong region", r.Type, r.Name)
	}
	// The pulumi-eks components get the stack's providers from the region
	// component: the engine merges a parent component's providers map into
	// a child component's (pulumi/pulumi@v3.274.1:pkg/resource/deploy/source_eval.go:2708-2725),
	// and pulumi-eks's Construct receives that map.
	reg := m.One(t, "taskflow:dr:Region")
	require.Contains(t, reg.Providers, "aws")
	assert.Contains(t, reg.Providers["aws"], "::aws-"+stackRegion+"::")
	assert.Contains(t, reg.Providers, "eks")
	assert.Contains(t, reg.Providers, "random")
	for _, typ := range []string{"eks:index:Cluster", "eks:index:ManagedNodeGroup"} {
		assert.True(t, strings.HasSuffix(m.One(t, typ).Parent, "::taskflow"), "%s is a child of the region component", typ)
	}

	// Child names are unique and carry their component's name.
	seen := map[string]bool{}
	for _, r := range all {
		key := r.Type + "::" + r.Name
		assert.False(t, seen[key], "duplicate resource %s", key)
		seen[key] = true
		if r.Parent == "" || !strings.Contains(r.Parent, "::taskflow:dr:") {
			continue
		}
		parentName := r.Parent[strings.LastIndex(r.Parent, "::")+2:]
		assert.True(t, strings.HasPrefix(r.Name, parentName+"-"), "%s must be named %s-<part>", r.Name, parentName)
	}
	// Every taskflow component registered its outputs (component.Finish).
	for _, r := range all {
		if strings.HasPrefix(r.Type, "taskflow:dr:") {
			assert.False(t, r.Custom, "%s is a component", r.Name)
		}
	}
	assertSecureDefaults(t, m)
}

// usesMetricsRegion: the primary's health-check alarm, its topic and key
// are in us-east-1 by design; nothing else is.
func usesMetricsRegion(r *pulumimock.Registered) bool {
	return strings.HasPrefix(r.Name, "taskflow-alarms-primary-health") || strings.HasPrefix(r.Name, "taskflow-alarms-health-")
}

// livesInStandbyRegion: the fence signal and the repository creation
// template live in the standby region, made by the primary.
func livesInStandbyRegion(r *pulumimock.Registered) bool {
	return strings.HasPrefix(r.Name, "taskflow-fence-") || r.Name == "taskflow-images-template"
}
