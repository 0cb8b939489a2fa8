package main

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/region"
)

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

func TestPrimaryStackGraph(t *testing.T) {
	run := runPrimary(t)
	m := run.mocks
	t.Logf("primary: %d resources registered", len(m.all()))
	assertInvariants(t, m, "eu-west-1")

	db := m.one(t, "aws:rds/instance:Instance")
	assert.Equal(t, "writer", run.exports["dbMode"])
	assert.Equal(t, "taskflow", db.Inputs["dbName"].StringValue())
	assert.True(t, db.Inputs["multiAz"].BoolValue(), "a writer is Multi-AZ")
	assert.GreaterOrEqual(t, db.Inputs["backupRetentionPeriod"].NumberValue(), 7.0)
	assert.NotEmpty(t, db.Inputs["finalSnapshotIdentifier"].StringValue())
	assert.False(t, db.Inputs["skipFinalSnapshot"].BoolValue())
	assert.NotContains(t, db.Inputs, resource.PropertyKey("replicateSourceDb"))
	password := db.Inputs["password"]
	require.True(t, password.IsSecret(), "the master password reaches the database only as a secret")
	assert.Equal(t, "mock-generated-password-0123456789", password.SecretValue().Element.StringValue(),
		"the password is the generated one")

	// The secret kubeconfig names its region for `aws eks get-token`.
	assert.Contains(t, run.exports["kubeconfig"], "--region")
	assert.Contains(t, run.exports["kubeconfig"], "eu-west-1")
	for _, key := range []string{"region", "role", "peerStack", "peerRegion", "vpcId", "clusterName", "kubeconfig",
		"dbMode", "dbInstanceId", "dbInstanceArn", "dbEndpoint", "kmsKeyArn", "ecrRepositoryUrl", "albDnsName",
		"albZoneId", "appUrl"} {
		assert.NotEmpty(t, run.exports[key], "output %s", key)
	}
	assert.Equal(t, "https://app.taskflow.example.com", run.exports["appUrl"])
	assert.Equal(t, "taskflow-dr-primary", run.exports["clusterName"])
}

func TestStandbyReplicatesThePrimary(t *testing.T) {
	primary := runPrimary(t)
	standby := runStandbyAfter(t, primary, stackConfig(t, "standby"))
	m := standby.mocks
	t.Logf("standby: %d resources registered", len(m.all()))
	assertInvariants(t, m, "eu-central-1")

	db := m.one(t, "aws:rds/instance:Instance")
	assert.Equal(t, primary.exports["dbInstanceArn"], db.Inputs["replicateSourceDb"].StringValue(),
		"the replica follows the primary's writer by ARN")
	assert.Contains(t, db.Inputs["kmsKeyId"].StringValue(), ":eu-central-1:", "encrypted with a standby-region key")
	assert.Equal(t, m.one(t, "aws:kms/key:Key").Outputs["arn"].StringValue(), db.Inputs["kmsKeyId"].StringValue())
	for _, key := range []string{"dbName", "username", "password"} {
		assert.NotContains(t, db.Inputs, resource.PropertyKey(key), "a replica has no %s of its own", key)
	}
	assert.Equal(t, "db.r6g.xlarge", db.Inputs["instanceClass"].StringValue(), "same class as the writer")
	assert.Empty(t, m.byType("random:index/randomPassword:RandomPassword"), "only the primary owns credentials")
	unset := runStandbyAfter(t, primary, withValue(t, stackConfig(t, "standby"), "taskflow:database.instanceClass", nil))
	assert.Equal(t, primary.exports["dbInstanceClass"], unset.mocks.one(t, "aws:rds/instance:Instance").Inputs["instanceClass"].StringValue(),
		"a replica without a class of its own follows the writer's")

	primaryDB := primary.mocks.one(t, "aws:rds/instance:Instance")
	assert.Equal(t, primaryDB.Name, db.Name, "one resource name in both modes")
	assert.Equal(t, primaryDB.Type, db.Type, "one resource type in both modes")
	assert.Equal(t, primaryDB.Parent[strings.LastIndex(primaryDB.Parent, "::")+2:], db.Parent[strings.LastIndex(db.Parent, "::")+2:])
}

func TestPeerWithoutOutputsFailsNamingThem(t *testing.T) {
	run := runStack(t, "standby", stackConfig(t, "standby"), map[string]any{"region": "eu-west-1", "role": "primary"})
	require.Error(t, run.err)
	msg := run.err.Error()
	assert.Contains(t, msg, "organization/taskflow-dr/primary")
	for _, missing := range []string{"dbInstanceArn", "dbMode", "dbInstanceClass"} {
		assert.Contains(t, msg, missing)
	}
	assert.Empty(t, run.mocks.byType("aws:rds/instance:Instance"), "no database without its source")
}

func TestReplicaOfAReplicaIsRefused(t *testing.T) {
	primary := runPrimary(t)
	primary.exports["dbMode"] = "replica"
	run := runStack(t, "standby", stackConfig(t, "standby"), primary.exports)
	require.Error(t, run.err)
	assert.Contains(t, run.err.Error(), "taskflow:database.mode")
}

// assertInvariants checks what must hold for every resource of a stack.
func assertInvariants(t *testing.T, m *recorder, stackRegion string) {
	t.Helper()
	all := m.all()
	require.NotEmpty(t, all)

	// Every custom AWS resource names an explicit provider of the stack's region.
	for _, r := range all {
		if !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		if assert.NotEmpty(t, r.Provider, "%s %s has no explicit provider", r.Type, r.Name) {
			want := stackRegion
			if usesMetricsRegion(r) {
				want = "us-east-1" // Route 53 health-check metrics live only there
			}
			assert.Equal(t, want, m.providerRegion(r), "%s %s is in the wrong region", r.Type, r.Name)
		}
	}
	// The EKS component gets the stack's provider.
	cluster := m.one(t, "eks:index:Cluster")
	require.Contains(t, cluster.Providers, "aws")
	assert.Contains(t, cluster.Providers["aws"], "aws-"+stackRegion)
	assert.Contains(t, cluster.Providers, "eks")

	// Child names are unique and carry their component's name.
	seen := map[string]bool{}
	for _, r := range all {
		key := r.Type + "::" + r.Name
		assert.False(t, seen[key], "duplicate resource %s", key)
		seen[key] = true
		if r.Parent == "" {
			continue
		}
		parentName := r.Parent[strings.LastIndex(r.Parent, "::")+2:]
		if strings.Contains(r.Parent, "::taskflow:dr:") {
			assert.True(t, strings.HasPrefix(r.Name, parentName+"-"), "%s must be named %s-<part>", r.Name, parentName)
		}
	}

	// The database: encrypted, private, protected twice, backed up,
	// reachable on 5432 only from the nodes' security group.
	db := m.one(t, "aws:rds/instance:Instance")
	assert.True(t, db.Inputs["storageEncrypted"].BoolValue())
	assert.Equal(t, "gp3", db.Inputs["storageType"].StringValue())
	assert.False(t, db.Inputs["publiclyAccessible"].BoolValue())
	assert.True(t, db.Inputs["deletionProtection"].BoolValue())
	assert.True(t, db.Protect, "the database is protected")
	assert.True(t, db.Inputs["performanceInsightsEnabled"].BoolValue())
	assert.GreaterOrEqual(t, db.Inputs["backupRetentionPeriod"].NumberValue(), 1.0)
	assert.ElementsMatch(t, []string{"dbName", "username", "password"}, db.IgnoreChanges)
	params := m.one(t, "aws:rds/parameterGroup:ParameterGroup")
	assert.Equal(t, "postgres16", params.Inputs["family"].StringValue())
	assert.Contains(t, params.Inputs["parameters"].ArrayValue()[0].ObjectValue()["name"].StringValue(), "rds.force_ssl")

	nodes := findByName(t, m, "aws:ec2/securityGroup:SecurityGroup", "taskflow-nodes")
	dbSG := findByName(t, m, "aws:ec2/securityGroup:SecurityGroup", "taskflow-db-sg")
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty(dbSG.ID)}, db.Inputs["vpcSecurityGroupIds"].ArrayValue())
	ingress := dbSG.Inputs["ingress"].ArrayValue()
	require.Len(t, ingress, 1, "one way into the database")
	rule := ingress[0].ObjectValue()
	assert.Equal(t, 5432.0, rule["fromPort"].NumberValue())
	assert.Equal(t, 5432.0, rule["toPort"].NumberValue())
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty(nodes.ID)}, rule["securityGroups"].ArrayValue())
	assert.NotContains(t, rule, resource.PropertyKey("cidrBlocks"))

	// The KMS key rotates and is protected; the repository is `taskflow`.
	key := m.one(t, "aws:kms/key:Key")
	assert.True(t, key.Inputs["enableKeyRotation"].BoolValue())
	assert.True(t, key.Protect)
	repo := m.one(t, "aws:ecr/repository:Repository")
	assert.Equal(t, region.RepositoryName, repo.Inputs["name"].StringValue())
	assert.Equal(t, "IMMUTABLE", repo.Inputs["imageTagMutability"].StringValue())
	assert.Equal(t, "KMS", repo.Inputs["encryptionConfigurations"].ArrayValue()[0].ObjectValue()["encryptionType"].StringValue())

	// HTTPS with the validated certificate, HTTP redirects, /healthz.
	validated := m.one(t, "aws:acm/certificateValidation:CertificateValidation")
	var https, http *registered
	for _, l := range m.byType("aws:lb/listener:Listener") {
		switch l.Inputs["port"].NumberValue() {
		case 443:
			https = l
		case 80:
			http = l
		}
	}
	require.NotNil(t, https)
	require.NotNil(t, http)
	assert.Equal(t, "HTTPS", https.Inputs["protocol"].StringValue())
	assert.Equal(t, validated.Outputs["certificateArn"].StringValue(), https.Inputs["certificateArn"].StringValue())
	assert.Equal(t, region.TLSPolicy, https.Inputs["sslPolicy"].StringValue())
	redirect := http.Inputs["defaultActions"].ArrayValue()[0].ObjectValue()
	assert.Equal(t, "redirect", redirect["type"].StringValue())
	assert.Equal(t, "HTTPS", redirect["redirect"].ObjectValue()["protocol"].StringValue())
	tg := m.one(t, "aws:lb/targetGroup:TargetGroup")
	assert.Equal(t, "/healthz", tg.Inputs["healthCheck"].ObjectValue()["path"].StringValue())
	assert.Equal(t, "instance", tg.Inputs["targetType"].StringValue())
	assert.Equal(t, 30080.0, tg.Inputs["port"].NumberValue())
	attach := m.one(t, "aws:autoscaling/attachment:Attachment")
	assert.Equal(t, tg.Outputs["arn"].StringValue(), attach.Inputs["lbTargetGroupArn"].StringValue())
	record := findByName(t, m, "aws:route53/record:Record", "taskflow-app-validation")
	assert.True(t, record.Inputs["allowOverwrite"].BoolValue(), "the shared validation record allows overwrite")
}

// usesMetricsRegion: the primary's health-check alarm and the topic it
// notifies are in us-east-1 by design; nothing else is.
func usesMetricsRegion(r *registered) bool {
	return r.Name == "taskflow-alarms-primary-health" || strings.HasPrefix(r.Name, "taskflow-alarms-health-topic")
}

func findByName(t *testing.T, m *recorder, typ, name string) *registered {
	t.Helper()
	for _, r := range m.byType(typ) {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no %s named %s among %v", typ, name, names(m.byType(typ)))
	return nil
}

func TestSubnetLayout(t *testing.T) {
	for _, tc := range []struct {
		vpc           string
		public, priv0 string
	}{
		{"10.10.0.0/16", "10.10.192.0/20", "10.10.0.0/18"},
		{"10.20.16.0/20", "10.20.28.0/24", "10.20.16.0/22"},
	} {
		pub, priv, err := region.SubnetLayout(netip.MustParsePrefix(tc.vpc))
		require.NoError(t, err)
		assert.Equal(t, tc.public, pub[0].String())
		assert.Equal(t, tc.priv0, priv[0].String())
		all := append(pub[:], priv[:]...)
		for i := range all {
			assert.True(t, netip.MustParsePrefix(tc.vpc).Contains(all[i].Addr()))
			for j := range all {
				if i != j {
					assert.False(t, all[i].Overlaps(all[j]), "%s overlaps %s", all[i], all[j])
				}
			}
		}
	}
}
