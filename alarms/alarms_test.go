package alarms

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/internal/pulumimock"
)

const regionalKey = "arn:aws:kms:eu-west-1:123456789012:key/regional"

// alarmsRun is one Alarms component built alone, and its resolved outputs.
type alarmsRun struct {
	m   *pulumimock.Recorder
	out map[string]string
}

// build creates the component through the stack's regional provider
// (eu-west-1, in opts) and, for the health alarm, a us-east-1 provider the
// args name, as the program does.
func build(t *testing.T, email string, health, delay bool) alarmsRun {
	t.Helper()
	m := pulumimock.New("primary", "eu-west-1", nil)
	out := map[string]string{}
	require.NoError(t, m.Run(nil, func(ctx *pulumi.Context) error {
		regional, err := aws.NewProvider(ctx, "aws-eu-west-1", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		args := &Args{Email: email, KmsKeyArn: pulumi.String(regionalKey), Account: pulumimock.Account, Partition: "aws"}
		if health {
			us, err := aws.NewProvider(ctx, "aws-us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
			if err != nil {
				return err
			}
			args.Health = &HealthArgs{EndpointHealthCheckId: pulumi.String("hc-endpoint"), Provider: us}
		}
		if delay {
			args.ReplicaDelay = &ReplicaDelayArgs{Cluster: "taskflow-dr-standby", RPOSeconds: 10}
		}
		a, err := New(ctx, "taskflow-alarms", args, pulumi.Provider(regional))
		if err != nil {
			return err
		}
		for k, v := range map[string]pulumi.StringOutput{
			"topic": a.TopicArn, "healthTopic": a.HealthCheckTopicArn, "healthAlarm": a.HealthCheckAlarmName, "delayAlarm": a.ReplicaLagAlarmName,
		} {
			got, err := pulumimock.Await(ctx, v)
			if err != nil {
				return err
			}
			out[k] = got.(string)
		}
		return nil
	}))
	return alarmsRun{m: m, out: out}
}

// topicIn is the only SNS topic in region.
func (r alarmsRun) topicIn(t *testing.T, region string) *pulumimock.Registered {
	t.Helper()
	var found []*pulumimock.Registered
	for _, tp := range r.m.ByType("aws:sns/topic:Topic") {
		if r.m.ProviderRegion(tp) == region {
			found = append(found, tp)
		}
	}
	require.Len(t, found, 1, "one topic in %s", region)
	return found[0]
}

// TestEmailSubscribesEveryTopic: with an address, each topic has one e-mail
// subscription, made in the topic's own region (SNS is a regional API: a
// subscription is created at the topic's regional endpoint,
// https://docs.aws.amazon.com/general/latest/gr/sns.html); without one,
// none (the config package requires a waiver then).
func TestEmailSubscribesEveryTopic(t *testing.T) {
	r := build(t, "dr-oncall@taskflow.example.com", true, false)
	subs := r.m.ByType("aws:sns/topicSubscription:TopicSubscription")
	require.Len(t, subs, 2, "the regional topic and the us-east-1 health topic")
	byTopic := map[string]*pulumimock.Registered{}
	for _, s := range subs {
		assert.Equal(t, "email", s.Inputs["protocol"].StringValue())
		assert.Equal(t, "dr-oncall@taskflow.example.com", s.Inputs["endpoint"].StringValue())
		byTopic[s.Inputs["topic"].StringValue()] = s
	}
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		topic := r.topicIn(t, region)
		s, ok := byTopic[topic.Outputs["arn"].StringValue()]
		require.True(t, ok, "the %s topic has a subscription", region)
		assert.Equal(t, region, r.m.ProviderRegion(s), "subscribed in the topic's region")
	}

	none := build(t, "", true, true)
	assert.Empty(t, none.m.ByType("aws:sns/topicSubscription:TopicSubscription"), "no address, no subscription")
	assert.Len(t, none.m.ByType("aws:sns/topic:Topic"), 2, "the topics exist for out-of-band subscribers")
}

// TestTopicsAreEncryptedWithKeysCloudWatchMayUse: CloudWatch can publish to
// an encrypted topic only if the key's policy lets it; the AWS-managed SNS
// key does not, so each topic uses a customer key of its own region
// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
func TestTopicsAreEncryptedWithKeysCloudWatchMayUse(t *testing.T) {
	r := build(t, "", true, false)
	regional := r.topicIn(t, "eu-west-1")
	assert.Equal(t, regionalKey, regional.Inputs["kmsMasterKeyId"].StringValue(), "the region's key")

	key := r.m.One(t, "aws:kms/key:Key")
	assert.Equal(t, "us-east-1", r.m.ProviderRegion(key), "a key in the health topic's region")
	assert.True(t, key.Inputs["enableKeyRotation"].BoolValue())
	assert.Contains(t, key.Inputs["policy"].StringValue(), `"Service":"cloudwatch.amazonaws.com"`)
	assert.Contains(t, key.Inputs["policy"].StringValue(), "arn:aws:iam::123456789012:root")
	health := r.topicIn(t, "us-east-1")
	assert.Equal(t, key.Outputs["arn"].StringValue(), health.Inputs["kmsMasterKeyId"].StringValue())
}

// TestHealthAlarmLivesInUsEast1: Route 53 publishes health-check metrics in
// US East (N. Virginia) only
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html),
// so the alarm on the endpoint probe, its topic and the topic's key go
// through the us-east-1 provider the args name, while everything else
// inherits the stack's regional provider. The alarm notifies the topic
// beside it (alarms.go keeps an alarm's actions in its own region).
func TestHealthAlarmLivesInUsEast1(t *testing.T) {
	r := build(t, "dr-oncall@taskflow.example.com", true, false)
	var alarm *pulumimock.Registered
	for _, res := range r.m.All() {
		if !res.Custom || strings.HasPrefix(res.Type, "pulumi:providers:") {
			continue
		}
		want := "eu-west-1"
		if strings.Contains(res.Name, "health") {
			want = "us-east-1"
		}
		assert.Equal(t, want, r.m.ProviderRegion(res), "%s %s", res.Type, res.Name)
		if res.Type == "aws:cloudwatch/metricAlarm:MetricAlarm" {
			alarm = res
		}
	}
	require.NotNil(t, alarm)
	assert.Equal(t, "taskflow-alarms-primary-health", alarm.Name)
	in := alarm.Inputs
	assert.Equal(t, "AWS/Route53", in["namespace"].StringValue())
	assert.Equal(t, "HealthCheckStatus", in["metricName"].StringValue())
	assert.Equal(t, resource.PropertyMap{"HealthCheckId": resource.NewStringProperty("hc-endpoint")}, in["dimensions"].ObjectValue(),
		"the endpoint probe, not the gate: the gate is unhealthy whenever the primary is fenced")
	// HealthCheckStatus is 1 healthy, 0 unhealthy: alarm on a minimum below 1
	// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html, metrics in AWS/Route53).
	assert.Equal(t, "Minimum", in["statistic"].StringValue())
	assert.Equal(t, "LessThanThreshold", in["comparisonOperator"].StringValue())
	assert.Equal(t, 1.0, in["threshold"].NumberValue())
	assert.Equal(t, "breaching", in["treatMissingData"].StringValue(), "no data from Route 53 is not good news")

	topic := r.topicIn(t, "us-east-1").Outputs["arn"].StringValue()
	assert.Equal(t, []string{topic}, pulumimock.Strings(in["alarmActions"]))
	assert.Equal(t, []string{topic}, pulumimock.Strings(in["okActions"]))
	assert.Equal(t, topic, r.out["healthTopic"])
	assert.Equal(t, alarm.Outputs["name"].StringValue(), r.out["healthAlarm"])
	assert.Contains(t, r.out["topic"], ":eu-west-1:")
}

// TestReplicaDelayAlarm watches the DR agent's measured delay (cmd/dr-agent/README.md: TaskFlowDR/ReplicationDelay, Cluster=<own cluster>, published at 1 s
// resolution), never RDS ReplicaLag. A 10 s period needs that
// high-resolution metric
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#high-resolution-alarms);
// a silent agent is an incident, so missing data breaches
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
func TestReplicaDelayAlarm(t *testing.T) {
	r := build(t, "", false, true)
	alarm := r.m.One(t, "aws:cloudwatch/metricAlarm:MetricAlarm")
	assert.Equal(t, "eu-west-1", r.m.ProviderRegion(alarm), "in the replica's own region")
	in := alarm.Inputs
	assert.Equal(t, "TaskFlowDR", in["namespace"].StringValue())
	assert.Equal(t, "ReplicationDelay", in["metricName"].StringValue())
	assert.Equal(t, resource.PropertyMap{"Cluster": resource.NewStringProperty("taskflow-dr-standby")}, in["dimensions"].ObjectValue())
	assert.Equal(t, "Maximum", in["statistic"].StringValue())
	assert.Contains(t, []float64{10, 30}, in["period"].NumberValue(), "a high-resolution alarm period")
	assert.Equal(t, 10.0, in["period"].NumberValue())
	assert.Equal(t, 10.0, in["threshold"].NumberValue(), "the RPO objective, in seconds")
	assert.Equal(t, "GreaterThanThreshold", in["comparisonOperator"].StringValue())
	assert.Equal(t, "breaching", in["treatMissingData"].StringValue())
	assert.Equal(t, in["evaluationPeriods"].NumberValue(), in["datapointsToAlarm"].NumberValue(), "every datapoint of the window breaches")
	topic := r.topicIn(t, "eu-west-1").Outputs["arn"].StringValue()
	assert.Equal(t, []string{topic}, pulumimock.Strings(in["alarmActions"]))
	assert.Equal(t, []string{topic}, pulumimock.Strings(in["okActions"]))
	assert.Equal(t, alarm.Outputs["name"].StringValue(), r.out["delayAlarm"])
	assert.Equal(t, "", r.out["healthAlarm"], "no health alarm on this stack")
	assert.Equal(t, "", r.out["healthTopic"])
	assert.Empty(t, r.m.ByType("aws:kms/key:Key"), "no us-east-1 key without the health alarm")
}

func TestWriterWithoutHealthHasTopicOnly(t *testing.T) {
	r := build(t, "x@example.com", false, false)
	assert.Empty(t, r.m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm"))
	assert.Len(t, r.m.ByType("aws:sns/topic:Topic"), 1)
	assert.Equal(t, "", r.out["delayAlarm"])
	assert.NotEmpty(t, r.out["topic"])
}
