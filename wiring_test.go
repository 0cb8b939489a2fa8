package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/dns"
	"github.com/taskflow/taskflow-dr/internal/pulumimock"
)

// The cross-region wiring, across both stacks: what one stack makes, the
// other uses, and each region's pieces stay local.

func TestImagesReplicateToEachOther(t *testing.T) {
	primary, standby := pair(t)
	for _, tc := range []struct {
		run        *stackRun
		peerRegion string
	}{{primary, "eu-central-1"}, {standby, "eu-west-1"}} {
		cfg := tc.run.mocks.One(t, "aws:ecr/replicationConfiguration:ReplicationConfiguration")
		rule := cfg.Inputs["replicationConfiguration"].ObjectValue()["rules"].ArrayValue()[0].ObjectValue()
		dest := rule["destinations"].ArrayValue()
		require.Len(t, dest, 1)
		assert.Equal(t, tc.peerRegion, dest[0].ObjectValue()["region"].StringValue())
		assert.Equal(t, pulumimock.Account, dest[0].ObjectValue()["registryId"].StringValue())
		assert.Equal(t, "taskflow", rule["repositoryFilters"].ArrayValue()[0].ObjectValue()["filter"].StringValue())
	}
	// The primary creates the repositories in its region and, in the
	// standby's, the creation template that gives replicated ones our
	// settings; the standby creates none, so a push replicated before it
	// exists can never make its deploy fail on the name.
	assert.Len(t, primary.mocks.ByType("aws:ecr/repository:Repository"), 2)
	assert.Empty(t, standby.mocks.ByType("aws:ecr/repository:Repository"))
	tpl := primary.mocks.One(t, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
	assert.Equal(t, "eu-central-1", primary.mocks.ProviderRegion(tpl))
	assert.Equal(t, "IMMUTABLE", tpl.Inputs["imageTagMutability"].StringValue())
	assert.Equal(t, "KMS", tpl.Inputs["encryptionConfigurations"].ArrayValue()[0].ObjectValue()["encryptionType"].StringValue())
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty("REPLICATION")}, tpl.Inputs["appliedFors"].ArrayValue())
	assert.Equal(t, "123456789012.dkr.ecr.eu-central-1.amazonaws.com/taskflow", standby.exports["ecrRepositoryUrl"])
}

func TestSecretIsReplicatedAndHoldsNoHost(t *testing.T) {
	primary, standby := pair(t)
	secret := primary.mocks.One(t, "aws:secretsmanager/secret:Secret")
	assert.Equal(t, "taskflow/db", secret.Inputs["name"].StringValue())
	replicas := secret.Inputs["replicas"].ArrayValue()
	require.Len(t, replicas, 1)
	assert.Equal(t, "eu-central-1", replicas[0].ObjectValue()["region"].StringValue())

	value := primary.mocks.One(t, "aws:secretsmanager/secretVersion:SecretVersion").Inputs["secretString"]
	require.True(t, value.IsSecret(), "the credentials are a secret in state")
	var creds map[string]any
	require.NoError(t, json.Unmarshal([]byte(value.SecretValue().Element.StringValue()), &creds))
	assert.NotContains(t, creds, "host", "the host is regional: it lives in each region's ConfigMap")
	assert.Equal(t, "mock-generated-password-0123456789", creds["password"])

	assert.Empty(t, standby.mocks.ByType("aws:secretsmanager/secret:Secret"), "the standby owns no secret")
	assert.Equal(t, strings.Replace(primary.exports["dbSecretArn"].(string), "eu-west-1", "eu-central-1", 1), standby.exports["dbSecretArn"])
}

func TestEachRegionsClusterConfigIsLocal(t *testing.T) {
	primary, standby := pair(t)
	for _, run := range []*stackRun{primary, standby} {
		region := run.exports["region"].(string)
		db := run.mocks.One(t, "aws:rds/instance:Instance")
		cm := run.mocks.Named(t, "kubernetes:core/v1:ConfigMap", "taskflow-app-configmap")
		data := cm.Inputs["data"].ObjectValue()
		assert.Equal(t, db.Outputs["address"].StringValue(), data["DB_HOST"].StringValue())
		assert.Equal(t, run.exports["dbSecretArn"], data["DB_SECRET_ARN"].StringValue())
		assert.Equal(t, region, data["AWS_REGION"].StringValue())

		// The DR agent reads this region's database and secret copy, and
		// publishes as this cluster.
		env := map[string]string{}
		dep := run.mocks.Named(t, "kubernetes:apps/v1:Deployment", "taskflow-agent-deployment")
		container := dep.Inputs["spec"].ObjectValue()["template"].ObjectValue()["spec"].ObjectValue()["containers"].ArrayValue()[0].ObjectValue()
		for _, e := range container["env"].ArrayValue() {
			env[e.ObjectValue()["name"].StringValue()] = e.ObjectValue()["value"].StringValue()
		}
		assert.Equal(t, db.Outputs["address"].StringValue(), env["DR_DB_HOST"])
		assert.Equal(t, run.exports["dbSecretArn"], env["DR_DB_SECRET_ARN"])
		assert.Equal(t, run.exports["clusterName"], env["DR_CLUSTER"])
		assert.Contains(t, container["image"].StringValue(), ".dkr.ecr."+region+".amazonaws.com/taskflow-dr-agent:v1")

		// Kubernetes objects go through the region's own cluster provider,
		// whose kubeconfig names the region and the operator role.
		k8s := run.mocks.One(t, "pulumi:providers:kubernetes")
		kc := k8s.Inputs["kubeconfig"]
		require.True(t, kc.IsSecret())
		assert.Contains(t, kc.SecretValue().Element.StringValue(), region)
		assert.Contains(t, kc.SecretValue().Element.StringValue(), "role/taskflow-oncall")
		for _, r := range run.mocks.All() {
			if strings.HasPrefix(r.Type, "kubernetes:") && r.Custom {
				assert.Contains(t, r.Provider, "::k8s::", "%s uses the cluster's provider", r.Name)
			}
		}
	}
}

func TestFailoverRecordsAndTheGate(t *testing.T) {
	primary, standby := pair(t)
	p := primary.mocks.Named(t, "aws:route53/record:Record", "taskflow-dns-record").Inputs
	s := standby.mocks.Named(t, "aws:route53/record:Record", "taskflow-dns-record").Inputs
	assert.Equal(t, dns.Primary, p["failoverRoutingPolicies"].ArrayValue()[0].ObjectValue()["type"].StringValue())
	assert.Equal(t, dns.Secondary, s["failoverRoutingPolicies"].ArrayValue()[0].ObjectValue()["type"].StringValue())
	assert.Equal(t, primary.exports["albDnsName"], p["records"].ArrayValue()[0].StringValue())
	assert.Equal(t, standby.exports["albDnsName"], s["records"].ArrayValue()[0].StringValue())
	assert.NotContains(t, s, resource.PropertyKey("healthCheckId"), "the SECONDARY has no health check")
	assert.Empty(t, standby.mocks.ByType("aws:route53/healthCheck:HealthCheck"))
	// The exported record is what Route 53 holds.
	rec := primary.exports["failoverRecord"].(map[string]any)
	assert.Equal(t, "app.taskflow.example.com", rec["name"])
	assert.Equal(t, "PRIMARY", rec["failover"])
	assert.Equal(t, 60, rec["ttl"])

	gate := gateCheck(t, primary)
	assert.Equal(t, gate.ID, p["healthCheckId"].StringValue())
	assert.Equal(t, gate.ID, primary.exports["healthCheckId"])
}

// TestFenceLivesInTheStandbyRegion: the primary's gate requires a signal
// that lives in eu-central-1 and is flipped there by a data-plane call; the
// standby exports it for the runbook.
func TestFenceLivesInTheStandbyRegion(t *testing.T) {
	primary, standby := pair(t)
	alarm := primary.mocks.Named(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "taskflow-fence-alarm")
	assert.Equal(t, "eu-central-1", primary.mocks.ProviderRegion(alarm))
	assert.Equal(t, "ignore", alarm.Inputs["treatMissingData"].StringValue(), "the fence holds when data stops")
	assert.Equal(t, 60.0, alarm.Inputs["period"].NumberValue(), "standard resolution: Route 53 refuses alarms on high-resolution metrics")
	check := primary.mocks.Named(t, "aws:route53/healthCheck:HealthCheck", "taskflow-fence-check")
	assert.Equal(t, "CLOUDWATCH_METRIC", check.Inputs["type"].StringValue())
	assert.Equal(t, "eu-central-1", check.Inputs["cloudwatchAlarmRegion"].StringValue())
	assert.Equal(t, "Healthy", check.Inputs["insufficientDataHealthStatus"].StringValue())

	signal := standby.exports["fenceSignal"].(map[string]any)
	assert.Equal(t, "eu-central-1", signal["region"])
	assert.Equal(t, alarm.Inputs["name"].StringValue(), signal["alarmName"])
	assert.Equal(t, check.ID, signal["healthCheckId"])
	assert.Equal(t, "TaskFlowDR", signal["namespace"])
	assert.Equal(t, "PrimaryFenced", signal["metricName"])
	assert.Equal(t, "FencedStack", signal["dimensionName"])
	assert.Equal(t, "primary", signal["dimensionValue"])
	assert.Equal(t, alarm.Inputs["dimensions"].ObjectValue()["FencedStack"].StringValue(), signal["dimensionValue"])
}

// TestOneOwnerForTheValidationRecord: ACM gives both regions' certificates
// the same validation record; only the primary owns it, so destroying or
// replacing the standby never deletes what the primary's renewals need.
func TestOneOwnerForTheValidationRecord(t *testing.T) {
	primary, standby := pair(t)
	owned := primary.mocks.Named(t, "aws:route53/record:Record", "taskflow-app-validation")
	for _, r := range standby.mocks.ByType("aws:route53/record:Record") {
		assert.NotEqual(t, "taskflow-app-validation", r.Name, "the standby owns no validation record")
	}
	validation := standby.mocks.One(t, "aws:acm/certificateValidation:CertificateValidation")
	assert.Equal(t, owned.Inputs["name"].StringValue(), validation.Inputs["validationRecordFqdns"].ArrayValue()[0].StringValue(),
		"the standby validates against the record the primary owns")
}

func TestAlarmsWatchTheAgentNotReplicaLag(t *testing.T) {
	primary, standby := pair(t)
	health := primary.mocks.Named(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "taskflow-alarms-primary-health")
	assert.Equal(t, "us-east-1", primary.mocks.ProviderRegion(health))
	assert.Equal(t, primary.exports["endpointHealthCheckId"], health.Inputs["dimensions"].ObjectValue()["HealthCheckId"].StringValue())
	delay := standby.mocks.Named(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "taskflow-alarms-replica-delay")
	assert.Equal(t, "TaskFlowDR", delay.Inputs["namespace"].StringValue())
	assert.Equal(t, "ReplicationDelay", delay.Inputs["metricName"].StringValue())
	assert.Equal(t, "taskflow-dr-standby", delay.Inputs["dimensions"].ObjectValue()["Cluster"].StringValue())
	assert.Equal(t, 10.0, delay.Inputs["threshold"].NumberValue(), "the RPO objective")
	assert.Equal(t, "breaching", delay.Inputs["treatMissingData"].StringValue(), "a silent agent is an incident")
	for _, run := range []*stackRun{primary, standby} {
		for _, a := range run.mocks.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
			assert.NotEqual(t, "ReplicaLag", a.Inputs["metricName"].StringValue(), "RDS ReplicaLag is not alarmed: an idle writer shows minutes of it")
		}
	}
}

// TestSameApplicationInBothRegions: one repository, path and revision;
// each region sets its own values; the repository credentials are secret.
func TestSameApplicationInBothRegions(t *testing.T) {
	withCreds := func(stack string) map[string]string {
		return withValue(t, stackConfig(t, stack), "taskflow:gitops.repoCredentialsSecret", "taskflow/gitops-repo")
	}
	primary := runStack(t, "primary", withCreds("primary"), nil)
	require.NoError(t, primary.err)
	standby := runStandbyAfter(t, primary, withCreds("standby"))
	spec := func(run *stackRun) resource.PropertyMap {
		return run.mocks.Named(t, "kubernetes:argoproj.io/v1alpha1:Application", "taskflow-gitops-application").Inputs["spec"].ObjectValue()
	}
	ps, ss := spec(primary), spec(standby)
	for _, k := range []resource.PropertyKey{"repoURL", "path", "targetRevision"} {
		assert.Equal(t, ps["source"].ObjectValue()[k], ss["source"].ObjectValue()[k], "%s is the same in both regions", k)
	}
	pv, sv := ps["source"].ObjectValue()["helm"].ObjectValue()["valuesObject"].ObjectValue(), ss["source"].ObjectValue()["helm"].ObjectValue()["valuesObject"].ObjectValue()
	assert.Equal(t, "eu-west-1", pv["region"].StringValue())
	assert.Equal(t, "eu-central-1", sv["region"].StringValue())
	assert.Equal(t, 4.0, pv["replicas"].NumberValue())
	assert.Equal(t, 2.0, sv["replicas"].NumberValue(), "the standby runs TaskFlow at its smaller size before any failover")
	assert.Equal(t, 4.0, sv["failoverReplicas"].NumberValue())
	for _, run := range []*stackRun{primary, standby} {
		release := run.mocks.One(t, "kubernetes:helm.sh/v3:Release")
		assert.Equal(t, "10.1.1", release.Inputs["version"].StringValue(), "pinned chart")
		data := run.mocks.Named(t, "kubernetes:core/v1:Secret", "taskflow-gitops-repo").Inputs["stringData"]
		if !data.IsSecret() {
			data = data.ObjectValue()["password"]
		}
		require.True(t, data.IsSecret(), "repository credentials are secret in state")
		out, _ := json.Marshal(run.exports)
		assert.NotContains(t, string(out), "mock-repo-token", "credentials never reach the outputs")
	}
}
