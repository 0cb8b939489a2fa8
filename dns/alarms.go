package dns

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AlarmsType is the component's Pulumi type.
const AlarmsType = "taskflow:dr:Alarms"

// AlarmsArgs says which alarms a stack has.
type AlarmsArgs struct {
	// Email, when set, is subscribed to the topics.
	Email string
	// EndpointHealthCheckId, on the primary, is alarmed on in us-east-1.
	EndpointHealthCheckId pulumi.StringInput
	// ReplicaInstanceId, when the database is a replica, is alarmed on for
	// lag above RPOSeconds.
	ReplicaInstanceId pulumi.StringInput
	RPOSeconds        int
}

// Alarms are the stack's alarms and the topics they notify. CloudWatch
// alarm actions must be in the alarm's region, so the health-check alarm
// (us-east-1, where Route 53 publishes its metrics) notifies a topic there,
// and the replica-lag alarm a topic in the stack's region.
type Alarms struct {
	pulumi.ResourceState

	TopicArn             pulumi.StringOutput `pulumi:"topicArn"`
	HealthCheckTopicArn  pulumi.StringOutput `pulumi:"healthCheckTopicArn"`
	HealthCheckAlarmName pulumi.StringOutput `pulumi:"healthCheckAlarmName"`
	ReplicaLagAlarmName  pulumi.StringOutput `pulumi:"replicaLagAlarmName"`
}

// NewAlarms creates the topics and alarms; regional is the stack's region,
// metrics is us-east-1.
func NewAlarms(ctx *pulumi.Context, name string, args AlarmsArgs, regional, metrics *aws.Provider, opts ...pulumi.ResourceOption) (*Alarms, error) {
	c := &Alarms{}
	if err := ctx.RegisterComponentResource(AlarmsType, name, c, append(opts, pulumi.Providers(regional))...); err != nil {
		return nil, fmt.Errorf("register alarms %s: %w", name, err)
	}
	topic, err := c.topic(ctx, name+"-topic", args.Email, regional)
	if err != nil {
		return nil, err
	}
	c.TopicArn = topic.Arn
	c.HealthCheckTopicArn = pulumi.String("").ToStringOutput()
	c.HealthCheckAlarmName = pulumi.String("").ToStringOutput()
	c.ReplicaLagAlarmName = pulumi.String("").ToStringOutput()

	if args.EndpointHealthCheckId != nil {
		hcTopic, err := c.topic(ctx, name+"-health-topic", args.Email, metrics)
		if err != nil {
			return nil, err
		}
		alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-primary-health", &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String("TaskFlow primary is unhealthy as Route 53 sees it: DNS is failing over to the standby. Follow runbooks/failover.md."),
			Namespace:          pulumi.String("AWS/Route53"),
			MetricName:         pulumi.String("HealthCheckStatus"),
			Dimensions:         pulumi.StringMap{"HealthCheckId": args.EndpointHealthCheckId},
			Statistic:          pulumi.String("Minimum"),
			Period:             pulumi.Int(60),
			EvaluationPeriods:  pulumi.Int(1),
			Threshold:          pulumi.Float64(1),
			ComparisonOperator: pulumi.String("LessThanThreshold"),
			TreatMissingData:   pulumi.String("breaching"),
			AlarmActions:       pulumi.Array{hcTopic.Arn},
			OkActions:          pulumi.Array{hcTopic.Arn},
		}, pulumi.Parent(c), pulumi.Provider(metrics))
		if err != nil {
			return nil, fmt.Errorf("alarms %s: health-check alarm: %w", name, err)
		}
		c.HealthCheckTopicArn = hcTopic.Arn
		c.HealthCheckAlarmName = alarm.Name
	}
	if args.ReplicaInstanceId != nil {
		alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-replica-lag", &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.Sprintf("TaskFlow database replica lags more than the RPO objective (%d s): a failover now would lose more than promised.", args.RPOSeconds),
			Namespace:          pulumi.String("AWS/RDS"),
			MetricName:         pulumi.String("ReplicaLag"),
			Dimensions:         pulumi.StringMap{"DBInstanceIdentifier": args.ReplicaInstanceId},
			Statistic:          pulumi.String("Maximum"),
			Period:             pulumi.Int(60),
			EvaluationPeriods:  pulumi.Int(3),
			DatapointsToAlarm:  pulumi.Int(2),
			Threshold:          pulumi.Float64(float64(args.RPOSeconds)),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			// A replica that stopped reporting lag has stopped replicating.
			TreatMissingData: pulumi.String("breaching"),
			AlarmActions:     pulumi.Array{topic.Arn},
			OkActions:        pulumi.Array{topic.Arn},
		}, pulumi.Parent(c), pulumi.Provider(regional))
		if err != nil {
			return nil, fmt.Errorf("alarms %s: replica-lag alarm: %w", name, err)
		}
		c.ReplicaLagAlarmName = alarm.Name
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"topicArn": c.TopicArn, "healthCheckAlarmName": c.HealthCheckAlarmName, "replicaLagAlarmName": c.ReplicaLagAlarmName,
	}); err != nil {
		return nil, fmt.Errorf("register alarms %s outputs: %w", name, err)
	}
	return c, nil
}

// topic creates an SNS topic (and the e-mail subscription) through provider.
func (c *Alarms) topic(ctx *pulumi.Context, name, email string, provider *aws.Provider) (*sns.Topic, error) {
	topic, err := sns.NewTopic(ctx, name, &sns.TopicArgs{
		DisplayName: pulumi.String("TaskFlow DR alarms"),
	}, pulumi.Parent(c), pulumi.Provider(provider))
	if err != nil {
		return nil, fmt.Errorf("alarm topic %s: %w", name, err)
	}
	if email != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(email),
		}, pulumi.Parent(c), pulumi.Provider(provider)); err != nil {
			return nil, fmt.Errorf("alarm topic %s e-mail subscription: %w", name, err)
		}
	}
	return topic, nil
}
