package peer

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/internal/pulumimock"
	"github.com/taskflow/taskflow-dr/outputs"
)

const primaryStack = "organization/taskflow-dr/primary"

// primaryOutputs is what the primary stack's state holds, as the standby's
// StackReference reads it.
func primaryOutputs() map[string]any {
	return map[string]any{
		outputs.Region:             "eu-west-1",
		outputs.Role:               "primary",
		outputs.DbMode:             "writer",
		outputs.DbInstanceArn:      "arn:aws:rds:eu-west-1:123456789012:db:taskflow-dr-primary-db",
		outputs.DbSecretReplicaArn: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:taskflow/db-AbC123",
	}
}

// read runs Read under the mock with the peer's outputs (nil: the peer
// stack does not exist).
func read(t *testing.T, peerOutputs map[string]any, required ...string) (*Peer, *pulumimock.Recorder, error) {
	t.Helper()
	m := pulumimock.New("standby", "eu-central-1", peerOutputs)
	var p *Peer
	var readErr error
	if err := m.Run(nil, func(ctx *pulumi.Context) error {
		p, readErr = Read(ctx, "peer", primaryStack, required)
		return nil
	}); err != nil {
		// The engine refuses the reference itself (no such stack).
		return nil, m, err
	}
	return p, m, readErr
}

func TestReadReadsTheNamedStack(t *testing.T) {
	p, m, err := read(t, primaryOutputs(), outputs.Region, outputs.DbMode, outputs.DbInstanceArn)
	require.NoError(t, err)
	refs := m.Reads("pulumi:pulumi:StackReference")
	require.Len(t, refs, 1)
	ref := refs[0]
	assert.Equal(t, "peer", ref.Name)
	assert.Equal(t, primaryStack, ref.Inputs["name"].StringValue())
	assert.Equal(t, primaryStack, p.Stack)
	assert.Equal(t, "eu-west-1", p.Get(outputs.Region))
	assert.Equal(t, "writer", p.Get(outputs.DbMode))
	assert.Empty(t, p.Get(outputs.DbSecretReplicaArn), "only what was asked for is read")
}

// TestReadNamesEveryMissingOutput: a peer deployed by an older program, or
// not yet deployed far enough, fails naming the stack and every missing
// output, sorted, with the command that fixes it. An empty string is as
// good as missing: no ARN is "".
func TestReadNamesEveryMissingOutput(t *testing.T) {
	outs := primaryOutputs()
	delete(outs, outputs.DbInstanceArn)
	outs[outputs.FenceHealthCheckID] = ""
	_, _, err := read(t, outs, outputs.Region, outputs.FenceHealthCheckID, outputs.DbMode, outputs.DbInstanceArn, outputs.DbInstanceClass)
	require.Error(t, err)
	assert.Equal(t, `peer stack "organization/taskflow-dr/primary" (taskflow:peer.stack) lacks the output(s) dbInstanceArn, dbInstanceClass, fenceHealthCheckId: `+
		"deploy it first (`pulumi up -s organization/taskflow-dr/primary`), or fix taskflow:peer.stack", err.Error())
}

func TestReadFailsWhenThePeerStackDoesNotExist(t *testing.T) {
	_, _, err := read(t, nil, outputs.Region)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"organization/taskflow-dr/primary"`)
}

// TestReadAcceptsSecretOutputs: a StackReference hands a secret output back
// as a secret (pulumi/pulumi@v3.274.1:sdk/go/pulumi/stack_reference.go:59-63,
// 99-103); its value counts as present.
func TestReadAcceptsSecretOutputs(t *testing.T) {
	outs := primaryOutputs()
	outs[outputs.DbSecretReplicaArn] = resource.MakeSecret(resource.NewStringProperty("arn:aws:secretsmanager:eu-central-1:123456789012:secret:taskflow/db-AbC123"))
	p, _, err := read(t, outs, outputs.DbSecretReplicaArn)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:secretsmanager:eu-central-1:123456789012:secret:taskflow/db-AbC123", p.Get(outputs.DbSecretReplicaArn))
}

// TestCheckRegionRefusesAMismatch: a peer that runs elsewhere than config
// says would wire the replica and the secret copy to the wrong region.
func TestCheckRegionRefusesAMismatch(t *testing.T) {
	p, _, err := read(t, primaryOutputs(), outputs.Region)
	require.NoError(t, err)
	assert.NoError(t, p.CheckRegion("eu-west-1"))
	err = p.CheckRegion("eu-west-2")
	require.Error(t, err)
	assert.Equal(t, `peer stack "organization/taskflow-dr/primary" runs in eu-west-1 but taskflow:peer.region says eu-west-2`, err.Error())
}

// TestWriterArnRefusesAReplica: RDS cannot chain a cross-region replica to
// a replica of another region here: exactly one stack is the writer.
func TestWriterArnRefusesAReplica(t *testing.T) {
	p, _, err := read(t, primaryOutputs(), outputs.DbMode, outputs.DbInstanceArn)
	require.NoError(t, err)
	arn, err := p.WriterArn()
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:rds:eu-west-1:123456789012:db:taskflow-dr-primary-db", arn)

	outs := primaryOutputs()
	outs[outputs.DbMode] = "replica"
	p, _, err = read(t, outs, outputs.DbMode, outputs.DbInstanceArn)
	require.NoError(t, err)
	_, err = p.WriterArn()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `in "replica" mode, not writer`)
	assert.Contains(t, err.Error(), "taskflow:database.mode")
}

// TestArnInRegion: the standby uses its own region's copies only. An ARN's
// fourth field is its region (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
func TestArnInRegion(t *testing.T) {
	outs := primaryOutputs()
	outs["notAnArn"] = "taskflow/db"
	p, _, err := read(t, outs, outputs.DbSecretReplicaArn, outputs.DbInstanceArn, "notAnArn")
	require.NoError(t, err)

	arn, err := p.ArnInRegion(outputs.DbSecretReplicaArn, "eu-central-1")
	require.NoError(t, err)
	assert.Equal(t, outs[outputs.DbSecretReplicaArn], arn)

	_, err = p.ArnInRegion(outputs.DbInstanceArn, "eu-central-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not in eu-central-1 (taskflow:region)")

	_, err = p.ArnInRegion("notAnArn", "eu-central-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"taskflow/db" is not an ARN`)
}
