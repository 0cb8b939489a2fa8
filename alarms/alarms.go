// Package alarms is TaskFlow DR's alarms and the encrypted topics they
// notify: the primary's health as Route 53 sees it (in us-east-1, where
// Route 53 publishes its metrics) and the replica's real replication delay
// as the DR agent measures it.
package alarms

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
	"github.com/taskflow/taskflow-dr/policy"
)

// The DR agent's metric the replica-delay alarm watches.
const (
	AgentNamespace       = "TaskFlowDR"
	ReplicationDelay     = "ReplicationDelay"
	ClusterDimensionName = "Cluster"
)

// Args says which alarms a stack has.
type Args struct {
	// Email, when set, is subscribed to the topics.
	Email string
	// KmsKeyArn encrypts the regional topic (the region's key, whose
	// policy lets CloudWatch publish to it).
	KmsKeyArn pulumi.StringInput
	// Account and Partition name the us-east-1 key's policy.
	Account, Partition string
	// Health, on the primary, alarms on the endpoint probe in us-east-1.
	Health *HealthArgs
	// ReplicaDelay, when the database is a replica, alarms on the agent's
	// measured delay above the RPO objective.
	ReplicaDelay *ReplicaDelayArgs
}

// HealthArgs is the us-east-1 alarm on the primary's endpoint probe.
type HealthArgs struct {
	EndpointHealthCheckId pulumi.StringInput
	// Provider is the us-east-1 provider: CloudWatch alarm actions must be
	// in the alarm's region, so the alarm, its topic and the topic's key
	// live there, deliberately not under the stack's regional provider.
	Provider pulumi.ProviderResource
}

// ReplicaDelayArgs is the replica-delay alarm.
type ReplicaDelayArgs struct {
	// Cluster is this region's cluster, the agent metric's dimension.
	Cluster    string
	RPOSeconds int
}

// Alarms are the stack's alarms and the topics they notify.
type Alarms struct {
	pulumi.ResourceState

	TopicArn             pulumi.StringOutput `pulumi:"topicArn"`
	HealthCheckTopicArn  pulumi.StringOutput `pulumi:"healthCheckTopicArn"`
	HealthCheckAlarmName pulumi.StringOutput `pulumi:"healthCheckAlarmName"`
	ReplicaLagAlarmName  pulumi.StringOutput `pulumi:"replicaLagAlarmName"`
}

// New creates the topics and alarms.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Alarms, error) {
	c := &Alarms{}
	if err := component.Register(ctx, "Alarms", name, c, opts...); err != nil {
		return nil, err
	}
	topic, err := c.topic(ctx, name+"-topic", args.Email, args.KmsKeyArn)
	if err != nil {
		return nil, err
	}
	c.TopicArn = topic.Arn
	c.HealthCheckTopicArn = pulumi.String("").ToStringOutput()
	c.HealthCheckAlarmName = pulumi.String("").ToStringOutput()
	c.ReplicaLagAlarmName = pulumi.String("").ToStringOutput()
	if args.Health != nil {
		if err := c.healthAlarm(ctx, name, args); err != nil {
			return nil, err
		}
	}
	if d := args.ReplicaDelay; d != nil {
		alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-replica-delay", &cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.Sprintf("TaskFlow database replica is more than the RPO objective (%d s) behind its writer, as the DR agent measures it: a failover now would lose more than promised. No data is an incident too: the agent is silent.", d.RPOSeconds),
			Namespace:        pulumi.String(AgentNamespace),
			MetricName:       pulumi.String(ReplicationDelay),
			Dimensions:       pulumi.StringMap{ClusterDimensionName: pulumi.String(d.Cluster)},
			Statistic:        pulumi.String("Maximum"),
			// A 10 s period needs the agent's high-resolution metric
			// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#high-resolution-alarms).
			Period:             pulumi.Int(10),
			EvaluationPeriods:  pulumi.Int(3),
			DatapointsToAlarm:  pulumi.Int(3),
			Threshold:          pulumi.Float64(float64(d.RPOSeconds)),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			TreatMissingData:   pulumi.String("breaching"),
			AlarmActions:       pulumi.Array{topic.Arn},
			OkActions:          pulumi.Array{topic.Arn},
		}, pulumi.Parent(c))
		if err != nil {
			return nil, fmt.Errorf("alarms %s: replica-delay alarm: %w", name, err)
		}
		c.ReplicaLagAlarmName = alarm.Name
	}
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// healthAlarm is the us-east-1 alarm on Route 53's HealthCheckStatus of the
// endpoint probe, with a topic and key of its own there.
func (c *Alarms) healthAlarm(ctx *pulumi.Context, name string, args *Args) error {
	us := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(args.Health.Provider)}
	keyPolicy, err := policy.RegionalKey(args.Partition, args.Account, "us-east-1").JSON()
	if err != nil {
		return err
	}
	key, err := kms.NewKey(ctx, name+"-health-kms", &kms.KeyArgs{
		Description:       pulumi.String("TaskFlow DR health-check alarm topic (us-east-1)"),
		EnableKeyRotation: pulumi.Bool(true),
		Policy:            pulumi.String(keyPolicy),
	}, us...)
	if err != nil {
		return fmt.Errorf("alarms %s: us-east-1 key: %w", name, err)
	}
	hcTopic, err := c.topic(ctx, name+"-health-topic", args.Email, key.Arn, pulumi.Provider(args.Health.Provider))
	if err != nil {
		return err
	}
	alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-primary-health", &cloudwatch.MetricAlarmArgs{
		AlarmDescription:   pulumi.String("TaskFlow primary is unhealthy as Route 53 sees it: DNS is failing over to the standby. Follow runbooks/failover.md."),
		Namespace:          pulumi.String("AWS/Route53"),
		MetricName:         pulumi.String("HealthCheckStatus"),
		Dimensions:         pulumi.StringMap{"HealthCheckId": args.Health.EndpointHealthCheckId},
		Statistic:          pulumi.String("Minimum"),
		Period:             pulumi.Int(60),
		EvaluationPeriods:  pulumi.Int(1),
		Threshold:          pulumi.Float64(1),
		ComparisonOperator: pulumi.String("LessThanThreshold"),
		TreatMissingData:   pulumi.String("breaching"),
		AlarmActions:       pulumi.Array{hcTopic.Arn},
		OkActions:          pulumi.Array{hcTopic.Arn},
	}, us...)
	if err != nil {
		return fmt.Errorf("alarms %s: health-check alarm: %w", name, err)
	}
	c.HealthCheckTopicArn = hcTopic.Arn
	c.HealthCheckAlarmName = alarm.Name
	return nil
}

// topic creates a KMS-encrypted SNS topic and, when an address is given,
// its e-mail subscription.
func (c *Alarms) topic(ctx *pulumi.Context, name, email string, key pulumi.StringInput, extra ...pulumi.ResourceOption) (*sns.Topic, error) {
	opts := append([]pulumi.ResourceOption{pulumi.Parent(c)}, extra...)
	topic, err := sns.NewTopic(ctx, name, &sns.TopicArgs{
		DisplayName:    pulumi.String("TaskFlow DR alarms"),
		KmsMasterKeyId: key,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("alarm topic %s: %w", name, err)
	}
	if email != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(email),
		}, opts...); err != nil {
			return nil, fmt.Errorf("alarm topic %s e-mail subscription: %w", name, err)
		}
	}
	return topic, nil
}
