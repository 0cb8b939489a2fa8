package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/dns"
)

// pair runs both stacks from their real config, the primary's exports
// feeding the standby's StackReference.
func pair(t *testing.T) (primary, standby *stackRun) {
	t.Helper()
	primary = runPrimary(t)
	standby = runStandbyAfter(t, primary, stackConfig(t, "standby"))
	return primary, standby
}

func TestImagesReplicateToEachOther(t *testing.T) {
	primary, standby := pair(t)
	for _, tc := range []struct {
		run        *stackRun
		peerRegion string
	}{{primary, "eu-central-1"}, {standby, "eu-west-1"}} {
		cfg := tc.run.mocks.one(t, "aws:ecr/replicationConfiguration:ReplicationConfiguration")
		rules := cfg.Inputs["replicationConfiguration"].ObjectValue()["rules"].ArrayValue()
		require.Len(t, rules, 1)
		rule := rules[0].ObjectValue()
		dest := rule["destinations"].ArrayValue()
		require.Len(t, dest, 1)
		assert.Equal(t, tc.peerRegion, dest[0].ObjectValue()["region"].StringValue())
		assert.Equal(t, testAccount, dest[0].ObjectValue()["registryId"].StringValue())
		assert.Equal(t, "taskflow", rule["repositoryFilters"].ArrayValue()[0].ObjectValue()["filter"].StringValue())
	}
}

func TestSecretIsReplicatedAndHoldsNoHost(t *testing.T) {
	primary, standby := pair(t)
	secret := primary.mocks.one(t, "aws:secretsmanager/secret:Secret")
	assert.Equal(t, "taskflow/db", secret.Inputs["name"].StringValue())
	replicas := secret.Inputs["replicas"].ArrayValue()
	require.Len(t, replicas, 1)
	assert.Equal(t, "eu-central-1", replicas[0].ObjectValue()["region"].StringValue())
	assert.Equal(t, primary.mocks.one(t, "aws:kms/key:Key").Outputs["arn"].StringValue(), secret.Inputs["kmsKeyId"].StringValue())

	version := primary.mocks.one(t, "aws:secretsmanager/secretVersion:SecretVersion")
	value := version.Inputs["secretString"]
	require.True(t, value.IsSecret(), "the credentials are a secret in state")
	var creds map[string]any
	require.NoError(t, json.Unmarshal([]byte(value.SecretValue().Element.StringValue()), &creds))
	assert.NotContains(t, creds, "host", "the host is regional: it lives in each region's ConfigMap")
	assert.Equal(t, "mock-generated-password-0123456789", creds["password"])
	assert.Equal(t, "taskflow_admin", creds["username"])

	assert.Empty(t, standby.mocks.byType("aws:secretsmanager/secret:Secret"), "the standby owns no secret")
	assert.Contains(t, primary.exports["dbSecretArn"], ":eu-west-1:")
	assert.Contains(t, standby.exports["dbSecretArn"], ":eu-central-1:", "the standby exports its own region's copy")
	assert.Equal(t, strings.Replace(primary.exports["dbSecretArn"].(string), "eu-west-1", "eu-central-1", 1), standby.exports["dbSecretArn"])
}

func TestEachConfigMapIsLocal(t *testing.T) {
	primary, standby := pair(t)
	for _, run := range []*stackRun{primary, standby} {
		cm := run.mocks.one(t, "kubernetes:core/v1:ConfigMap")
		data := cm.Inputs["data"].ObjectValue()
		db := run.mocks.one(t, "aws:rds/instance:Instance")
		assert.Equal(t, db.Outputs["address"].StringValue(), data["DB_HOST"].StringValue())
		assert.Equal(t, "5432", data["DB_PORT"].StringValue())
		assert.Equal(t, run.exports["dbSecretArn"], data["DB_SECRET_ARN"].StringValue())
		assert.Equal(t, run.exports["region"], data["AWS_REGION"].StringValue())
		assert.Equal(t, run.exports["dbMode"], data["DB_MODE"].StringValue())
		assert.Equal(t, "taskflow-region", cm.Inputs["metadata"].ObjectValue()["name"].StringValue())
	}
	standbyHost := standby.mocks.one(t, "kubernetes:core/v1:ConfigMap").Inputs["data"].ObjectValue()["DB_HOST"].StringValue()
	assert.NotContains(t, standbyHost, "eu-west-1", "the standby's app never points at the primary's database")
	assert.Contains(t, standbyHost, "eu-central-1")
}

func TestIRSAIsLimitedToTheServiceAccountAndLocalSecret(t *testing.T) {
	primary, standby := pair(t)
	for _, run := range []*stackRun{primary, standby} {
		role := run.mocks.one(t, "aws:iam/rolePolicy:RolePolicy")
		var policy struct {
			Statement []struct {
				Action   any
				Resource string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(role.Inputs["policy"].StringValue()), &policy))
		assert.Equal(t, run.exports["dbSecretArn"], policy.Statement[0].Resource, "reads only the local copy")

		trust := run.mocks.one(t, "aws:iam/role:Role").Inputs["assumeRolePolicy"].StringValue()
		assert.Contains(t, trust, `"system:serviceaccount:taskflow:taskflow"`)
		assert.Contains(t, trust, "oidc.eks."+run.exports["region"].(string))
		assert.Contains(t, trust, "sts:AssumeRoleWithWebIdentity")

		sa := run.mocks.one(t, "kubernetes:core/v1:ServiceAccount")
		meta := sa.Inputs["metadata"].ObjectValue()
		assert.Equal(t, "taskflow", meta["name"].StringValue())
		assert.Equal(t, "taskflow", meta["namespace"].StringValue())
		assert.Contains(t, meta["annotations"].ObjectValue(), resource.PropertyKey("eks.amazonaws.com/role-arn"))

		// Kubernetes resources go through the explicit cluster provider.
		k8sProvider := run.mocks.one(t, "pulumi:providers:kubernetes")
		kubeconfig := k8sProvider.Inputs["kubeconfig"]
		require.True(t, kubeconfig.IsSecret())
		assert.Contains(t, kubeconfig.SecretValue().Element.StringValue(), "--region")
		for _, r := range run.mocks.all() {
			if strings.HasPrefix(r.Type, "kubernetes:") {
				assert.Contains(t, r.Provider, "::taskflow-app-k8s::", "%s uses the cluster's provider", r.Name)
			}
		}
	}
}

func TestFailoverRecordsAndOneHealthSignal(t *testing.T) {
	primary, standby := pair(t)
	record := func(run *stackRun) resource.PropertyMap {
		return findByName(t, run.mocks, "aws:route53/record:Record", "taskflow-dns-record").Inputs
	}
	p, s := record(primary), record(standby)
	for _, r := range []resource.PropertyMap{p, s} {
		assert.Equal(t, "app.taskflow.example.com", r["name"].StringValue())
		assert.Equal(t, "CNAME", r["type"].StringValue())
		assert.Equal(t, 60.0, r["ttl"].NumberValue())
	}
	assert.Equal(t, dns.Primary, p["failoverRoutingPolicies"].ArrayValue()[0].ObjectValue()["type"].StringValue())
	assert.Equal(t, dns.Secondary, s["failoverRoutingPolicies"].ArrayValue()[0].ObjectValue()["type"].StringValue())
	assert.Equal(t, primary.exports["albDnsName"], p["records"].ArrayValue()[0].StringValue())
	assert.Equal(t, standby.exports["albDnsName"], s["records"].ArrayValue()[0].StringValue())
	assert.NotEqual(t, p["setIdentifier"].StringValue(), s["setIdentifier"].StringValue())
	assert.NotContains(t, s, resource.PropertyKey("healthCheckId"), "the SECONDARY has no health check")

	// Exactly one endpoint probe across both stacks: HTTPS /healthz on the
	// primary ALB, behind the gate the PRIMARY record uses.
	assert.Empty(t, standby.mocks.byType("aws:route53/healthCheck:HealthCheck"))
	var probes, gates []*registered
	for _, hc := range primary.mocks.byType("aws:route53/healthCheck:HealthCheck") {
		switch hc.Inputs["type"].StringValue() {
		case "HTTPS":
			probes = append(probes, hc)
		case "CALCULATED":
			gates = append(gates, hc)
		}
	}
	require.Len(t, probes, 1)
	require.Len(t, gates, 1)
	probe, gate := probes[0], gates[0]
	assert.Equal(t, "/healthz", probe.Inputs["resourcePath"].StringValue())
	assert.Equal(t, 443.0, probe.Inputs["port"].NumberValue())
	assert.True(t, probe.Inputs["enableSni"].BoolValue())
	assert.GreaterOrEqual(t, len(probe.Inputs["regions"].ArrayValue()), 3)
	assert.Equal(t, primary.exports["albDnsName"], probe.Inputs["fqdn"].StringValue())
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty(probe.ID)}, gate.Inputs["childHealthchecks"].ArrayValue())
	assert.Equal(t, gate.ID, p["healthCheckId"].StringValue())
	assert.Equal(t, gate.ID, primary.exports["healthCheckId"])

	// The health-check alarm is in us-east-1 and watches the probe; the
	// replica-lag alarm is the standby's, at the RPO objective.
	alarm := findByName(t, primary.mocks, "aws:cloudwatch/metricAlarm:MetricAlarm", "taskflow-alarms-primary-health")
	assert.Equal(t, "us-east-1", primary.mocks.providerRegion(alarm))
	assert.Equal(t, probe.ID, alarm.Inputs["dimensions"].ObjectValue()["HealthCheckId"].StringValue())
	lag := findByName(t, standby.mocks, "aws:cloudwatch/metricAlarm:MetricAlarm", "taskflow-alarms-replica-lag")
	assert.Equal(t, "eu-central-1", standby.mocks.providerRegion(lag))
	assert.Equal(t, 10.0, lag.Inputs["threshold"].NumberValue())
	assert.Equal(t, "ReplicaLag", lag.Inputs["metricName"].StringValue())
	assert.Len(t, primary.mocks.byType("aws:cloudwatch/metricAlarm:MetricAlarm"), 1, "no lag alarm on a writer")
}
