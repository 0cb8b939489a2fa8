package main

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/internal/pulumimock"
	"github.com/taskflow/taskflow-dr/region"
)

// assertSecureDefaults is what a checkov or tfsec review asks of every
// stack (issue 9, item 9), checked on the registered resources.
func assertSecureDefaults(t *testing.T, m *pulumimock.Recorder) {
	t.Helper()
	// The Kubernetes API is not open to the internet (CKV_AWS_38).
	cluster := m.One(t, "eks:index:Cluster")
	if cluster.Inputs["endpointPublicAccess"].BoolValue() {
		cidrs := cluster.Inputs["publicAccessCidrs"].ArrayValue()
		require.NotEmpty(t, cidrs, "a public API endpoint names who may reach it (EKS defaults to 0.0.0.0/0)")
		for _, c := range cidrs {
			assert.NotEqual(t, "0.0.0.0/0", c.StringValue())
		}
	}
	assert.Equal(t, "API", cluster.Inputs["authenticationMode"].StringValue(), "EKS access entries, not the creator alone")
	assert.True(t, cluster.Inputs["skipDefaultNodeGroup"].BoolValue(), "no AL2 launch-configuration node group")
	// Access entries are ours, not pulumi-eks's (pulumi/pulumi-eks#1435
	// breaks reading `core` from Go when pulumi-eks makes any): the operator
	// role is cluster admin, the CI preview role reads.
	assert.NotContains(t, cluster.Inputs, resource.PropertyKey("accessEntries"))
	require.Len(t, cluster.Inputs["instanceRoles"].ArrayValue(), 1, "the node role is ours")
	policies := map[string]string{}
	for _, a := range m.ByType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation") {
		policies[a.Inputs["principalArn"].StringValue()] = a.Inputs["policyArn"].StringValue()
	}
	assert.Equal(t, map[string]string{
		"arn:aws:iam::123456789012:role/taskflow-oncall":     region.ClusterAdminPolicy,
		"arn:aws:iam::123456789012:role/taskflow-ci-preview": region.AdminViewPolicy,
	}, policies)
	for _, e := range m.ByType("aws:eks/accessEntry:AccessEntry") {
		assert.Equal(t, "STANDARD", e.Inputs["type"].StringValue())
	}

	// IMDSv2 only, and pods kept away from the node role (hop limit 1).
	lt := m.One(t, "aws:ec2/launchTemplate:LaunchTemplate")
	md := lt.Inputs["metadataOptions"].ObjectValue()
	assert.Equal(t, "required", md["httpTokens"].StringValue())
	assert.Equal(t, float64(region.IMDSHopLimit), md["httpPutResponseHopLimit"].NumberValue())
	assert.Equal(t, 1.0, md["httpPutResponseHopLimit"].NumberValue())
	ebs := lt.Inputs["blockDeviceMappings"].ArrayValue()[0].ObjectValue()["ebs"].ObjectValue()
	assert.Equal(t, "true", ebs["encrypted"].StringValue(), "encrypted root volume")

	// The ALB keeps its access logs and cannot be deleted by accident.
	alb := m.One(t, "aws:lb/loadBalancer:LoadBalancer")
	assert.True(t, alb.Inputs["enableDeletionProtection"].BoolValue())
	logs := alb.Inputs["accessLogs"].ObjectValue()
	assert.True(t, logs["enabled"].BoolValue())
	bucket := m.One(t, "aws:s3/bucketV2:BucketV2")
	assert.Equal(t, bucket.Outputs["bucket"].StringValue(), logs["bucket"].StringValue())
	sse := m.One(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
	assert.Equal(t, "AES256", sse.Inputs["rules"].ArrayValue()[0].ObjectValue()["applyServerSideEncryptionByDefault"].ObjectValue()["sseAlgorithm"].StringValue(),
		"ALB log delivery supports SSE-S3 only")
	lifecycle := m.One(t, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
	assert.Equal(t, 90.0, lifecycle.Inputs["rules"].ArrayValue()[0].ObjectValue()["expiration"].ObjectValue()["days"].NumberValue())
	pab := m.One(t, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.True(t, pab.Inputs[resource.PropertyKey(k)].BoolValue(), k)
	}

	// Every SNS topic is encrypted; every log group has a retention and
	// our key.
	topics := m.ByType("aws:sns/topic:Topic")
	require.NotEmpty(t, topics)
	for _, tp := range topics {
		assert.NotEmpty(t, tp.Inputs["kmsMasterKeyId"].StringValue(), "topic %s is encrypted", tp.Name)
	}
	groups := m.ByType("aws:cloudwatch/logGroup:LogGroup")
	require.Len(t, groups, 2, "EKS control plane and PostgreSQL")
	for _, g := range groups {
		assert.Equal(t, 90.0, g.Inputs["retentionInDays"].NumberValue(), "log group %s", g.Name)
		assert.NotEmpty(t, g.Inputs["kmsKeyId"].StringValue(), "log group %s is encrypted", g.Name)
	}
	// Alarm delivery is configured (the shipped stacks name an address).
	for _, s := range m.ByType("aws:sns/topicSubscription:TopicSubscription") {
		assert.Equal(t, "email", s.Inputs["protocol"].StringValue())
	}
	assert.Len(t, m.ByType("aws:sns/topicSubscription:TopicSubscription"), len(topics), "every topic has a subscriber")

	// The database: encrypted, private, protected twice, backed up,
	// reachable on its port only from the nodes' security group.
	db := m.One(t, "aws:rds/instance:Instance")
	assert.True(t, db.Inputs["storageEncrypted"].BoolValue())
	assert.False(t, db.Inputs["publiclyAccessible"].BoolValue())
	assert.True(t, db.Inputs["deletionProtection"].BoolValue())
	assert.True(t, db.Protect, "the database is protected")
	assert.GreaterOrEqual(t, db.Inputs["backupRetentionPeriod"].NumberValue(), 1.0)
	params := m.One(t, "aws:rds/parameterGroup:ParameterGroup")
	assert.Equal(t, "postgres17", params.Inputs["family"].StringValue())
	assert.Equal(t, "rds.force_ssl", params.Inputs["parameters"].ArrayValue()[0].ObjectValue()["name"].StringValue())
	nodes := m.Named(t, "aws:ec2/securityGroup:SecurityGroup", "taskflow-nodes")
	dbSG := m.Named(t, "aws:ec2/securityGroup:SecurityGroup", "taskflow-db-sg")
	ingress := dbSG.Inputs["ingress"].ArrayValue()
	require.Len(t, ingress, 1, "one way into the database")
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty(nodes.ID)}, ingress[0].ObjectValue()["securityGroups"].ArrayValue())

	// The KMS keys rotate; the regional one is protected.
	for _, k := range m.ByType("aws:kms/key:Key") {
		assert.True(t, k.Inputs["enableKeyRotation"].BoolValue(), k.Name)
		assert.Contains(t, k.Inputs["policy"].StringValue(), "cloudwatch.amazonaws.com", "CloudWatch may publish to topics encrypted with %s", k.Name)
	}
	assert.True(t, m.Named(t, "aws:kms/key:Key", "taskflow-kms").Protect)
	// No IAM policy grants "*" actions.
	for _, p := range m.ByType("aws:iam/rolePolicy:RolePolicy") {
		assert.NotContains(t, p.Inputs["policy"].StringValue(), `"Action":"*"`, p.Name)
	}
}
