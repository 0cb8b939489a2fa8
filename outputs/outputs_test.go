package outputs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/config"
	"github.com/taskflow/taskflow-dr/internal/pulumimock"
)

// complete returns a value for every output a stack of role exports in
// mode, with every object output carrying exactly its declared fields, as
// the exports (pulumi inputs) and as `pulumi stack output --json` prints
// them.
func complete(role config.Role, mode config.DatabaseMode) (map[string]pulumi.Input, map[string]any) {
	in, plain := map[string]pulumi.Input{}, map[string]any{}
	for _, o := range For(role, mode) {
		if o.Fields == nil {
			in[o.Name], plain[o.Name] = pulumi.String("v-"+o.Name), "v-"+o.Name
			continue
		}
		m, p := pulumi.Map{}, map[string]any{}
		for _, f := range o.Fields {
			m[f], p[f] = pulumi.String(f), f
		}
		in[o.Name], plain[o.Name] = m, p
	}
	return in, plain
}

// export runs Export under the mock, returning its error and, on success,
// each export resolved with its secretness.
func export(t *testing.T, role config.Role, mode config.DatabaseMode, values map[string]pulumi.Input) (map[string]bool, error) {
	t.Helper()
	secret := map[string]bool{}
	var exportErr error
	err := pulumimock.New(string(role), "eu-west-1", nil).Run(nil, func(ctx *pulumi.Context) error {
		out, err := Export(ctx, role, mode, values)
		if err != nil {
			exportErr = err
			return nil
		}
		for name, v := range out {
			r, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(v))
			if err != nil {
				return err
			}
			secret[name] = r.Secret
		}
		return nil
	})
	require.NoError(t, err)
	return secret, exportErr
}

var stacks = []struct {
	role config.Role
	mode config.DatabaseMode
}{
	{config.RolePrimary, config.ModeWriter},
	{config.RolePrimary, config.ModeReplica},
	{config.RoleStandby, config.ModeReplica},
	{config.RoleStandby, config.ModeWriter},
}

func TestTableNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Table {
		assert.False(t, seen[o.Name], "output %s declared twice", o.Name)
		seen[o.Name] = true
		assert.NotEmpty(t, o.Description, "output %s has no description", o.Name)
		fields := map[string]bool{}
		for _, f := range o.Fields {
			assert.False(t, fields[f], "output %s field %s declared twice", o.Name, f)
			fields[f] = true
		}
	}
}

// TestForSelectsByStackAndMode: the runbook's API differs by stack and
// database mode (outputs/outputs.go).
func TestForSelectsByStackAndMode(t *testing.T) {
	names := func(role config.Role, mode config.DatabaseMode) map[string]bool {
		out := map[string]bool{}
		for _, o := range For(role, mode) {
			out[o.Name] = true
		}
		return out
	}
	primary, standby := names(config.RolePrimary, config.ModeWriter), names(config.RoleStandby, config.ModeReplica)
	for _, n := range []string{DbSecretReplicaArn, HealthCheckID, EndpointHealthCheckID, FenceHealthCheckID, Fenced, HealthCheckAlarmName, HealthCheckAlarmTopic} {
		assert.True(t, primary[n], "primary exports %s", n)
		assert.False(t, standby[n], "standby does not export %s", n)
	}
	assert.True(t, standby[FenceSignal])
	assert.False(t, primary[FenceSignal])
	assert.True(t, standby[ReplicaLagAlarmName], "a replica has its delay alarm")
	assert.False(t, primary[ReplicaLagAlarmName], "a writer has none")
	assert.True(t, names(config.RolePrimary, config.ModeReplica)[ReplicaLagAlarmName], "the primary in replica mode (failback) has it")
	assert.False(t, names(config.RoleStandby, config.ModeWriter)[ReplicaLagAlarmName], "a promoted standby has none")
	for _, n := range []string{Region, Kubeconfig, NodeGroup, DbMode, DbInstanceUrn, DrAgent, GitOps, RTOBudget} {
		assert.True(t, primary[n] && standby[n], "%s is in both stacks", n)
	}
}

func TestExportAcceptsExactlyTheDeclaredOutputs(t *testing.T) {
	for _, s := range stacks {
		values, _ := complete(s.role, s.mode)
		secret, err := export(t, s.role, s.mode, values)
		require.NoError(t, err, "%s/%s", s.role, s.mode)
		assert.Len(t, secret, len(For(s.role, s.mode)))
		// A declared secret is encrypted in state even when the value
		// handed in is not.
		assert.True(t, secret[Kubeconfig], "kubeconfig is secret")
		assert.False(t, secret[Region])
	}
}

func TestExportRefusesMissingAndUndeclaredNames(t *testing.T) {
	values, _ := complete(config.RolePrimary, config.ModeWriter)
	delete(values, VpcID)
	_, err := export(t, config.RolePrimary, config.ModeWriter, values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing [vpcId]")

	values, _ = complete(config.RolePrimary, config.ModeWriter)
	values["vpcID"] = pulumi.String("typo")
	_, err = export(t, config.RolePrimary, config.ModeWriter, values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "undeclared [vpcID]")

	// A standby-only output on the primary is undeclared there.
	values, _ = complete(config.RolePrimary, config.ModeWriter)
	values[FenceSignal] = pulumi.Map{}
	_, err = export(t, config.RolePrimary, config.ModeWriter, values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "undeclared [fenceSignal]")
	assert.Contains(t, err.Error(), "primary stack (writer mode)")

	// A writer exports no replica-delay alarm.
	values, _ = complete(config.RoleStandby, config.ModeReplica)
	_, err = export(t, config.RoleStandby, config.ModeWriter, values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "undeclared [replicaLagAlarmName]")
}

func TestExportRefusesWrongObjectFields(t *testing.T) {
	for name, mutate := range map[string]func(map[string]pulumi.Input){
		"missing field": func(v map[string]pulumi.Input) { delete(v[FailoverRecord].(pulumi.Map), "ttl") },
		"extra field":   func(v map[string]pulumi.Input) { v[FailoverRecord].(pulumi.Map)["weight"] = pulumi.Int(1) },
		"scalar":        func(v map[string]pulumi.Input) { v[FailoverRecord] = pulumi.String("app.example.com") },
	} {
		values, _ := complete(config.RolePrimary, config.ModeWriter)
		mutate(values)
		_, err := export(t, config.RolePrimary, config.ModeWriter, values)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "output failoverRecord", name)
	}
}

func TestCheckComparesPrintedOutputs(t *testing.T) {
	for _, s := range stacks {
		_, plain := complete(s.role, s.mode)
		require.NoError(t, Check(s.role, s.mode, plain), "%s/%s", s.role, s.mode)
	}
	_, plain := complete(config.RoleStandby, config.ModeReplica)
	delete(plain, DbInstanceClass)
	err := Check(config.RoleStandby, config.ModeReplica, plain)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing [dbInstanceClass]")

	_, plain = complete(config.RoleStandby, config.ModeReplica)
	plain["asgName"] = "x"
	err = Check(config.RoleStandby, config.ModeReplica, plain)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "undeclared [asgName]")

	_, plain = complete(config.RoleStandby, config.ModeReplica)
	delete(plain[NodeGroup].(map[string]any), "urn")
	plain[NodeGroup].(map[string]any)["asg"] = "x"
	err = Check(config.RoleStandby, config.ModeReplica, plain)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "output nodeGroup field")
	assert.Contains(t, err.Error(), "missing [urn]")
	assert.Contains(t, err.Error(), "undeclared [asg]")

	_, plain = complete(config.RoleStandby, config.ModeReplica)
	plain[FenceSignal] = "not an object"
	err = Check(config.RoleStandby, config.ModeReplica, plain)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "output fenceSignal: want an object")
}

// TestMarkdownListsEveryOutput: the README's table has one row per output,
// in the table's order, with where it exists, its fields and secrecy.
func TestMarkdownListsEveryOutput(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(Markdown(), "\n"), "\n")
	require.Len(t, lines, 2+len(Table), "header, separator, one row per output")
	assert.Equal(t, "| output | stacks | what |", lines[0])
	for i, o := range Table {
		row := lines[2+i]
		assert.True(t, strings.HasPrefix(row, fmt.Sprintf("| `%s` | ", o.Name)), "row %d is %s: %s", i, o.Name, row)
		for _, f := range o.Fields {
			assert.Contains(t, row, f, "row %s lists field %s", o.Name, f)
		}
		assert.Equal(t, o.Secret, strings.Contains(row, "**secret**"), "row %s", o.Name)
	}
	row := func(name string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, "| `"+name+"` |") {
				return l
			}
		}
		return ""
	}
	assert.Contains(t, row(FenceSignal), "| standby |")
	assert.Contains(t, row(HealthCheckID), "| primary |")
	assert.Contains(t, row(ReplicaLagAlarmName), "| replica mode |")
	assert.Contains(t, row(Region), "| both |")
}
