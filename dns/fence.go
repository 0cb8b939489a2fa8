package dns

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
)

// The fence signal's metric: 1 fences the primary, 0 unfences it.
const (
	FenceNamespace     = "TaskFlowDR"
	FenceMetricName    = "PrimaryFenced"
	FenceDimensionName = "FencedStack"
)

// FenceArgs names the fence's parts.
type FenceArgs struct {
	// FencedStack is the primary stack's name, the metric's dimension.
	FencedStack string
	// Region is where the signal lives: the standby's own region.
	Region string
	// AlarmName is the alarm's pinned name (the runbook and Route 53 name
	// it).
	AlarmName string
}

// Fence is the "standby takes over primary" fence: a signal in the standby
// region, flipped by a data-plane call there (`aws cloudwatch
// put-metric-data`), that the primary's gate requires to be healthy. No
// control plane outside the standby region is on the failover's path: not
// eu-west-1, and not Route 53's API in us-east-1, which was impaired for
// hours on 2021-12-07 while DNS answers kept flowing.
//
// The signal is a CloudWatch alarm over a standard-resolution metric (Route
// 53 does not support alarms on high-resolution metrics:
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html)
// that keeps its state when data stops (TreatMissingData ignore), watched by
// a CLOUDWATCH_METRIC health check. Unlike an S3-object check, nothing needs
// to be publicly readable (runbooks/dr-design.md §6 weighs both).
type Fence struct {
	pulumi.ResourceState

	Region         pulumi.StringOutput `pulumi:"region"`
	Namespace      pulumi.StringOutput `pulumi:"namespace"`
	MetricName     pulumi.StringOutput `pulumi:"metricName"`
	DimensionName  pulumi.StringOutput `pulumi:"dimensionName"`
	DimensionValue pulumi.StringOutput `pulumi:"dimensionValue"`
	AlarmName      pulumi.StringOutput `pulumi:"alarmName"`
	HealthCheckId  pulumi.StringOutput `pulumi:"healthCheckId"`
}

// NewFence creates the alarm and the health check on it.
func NewFence(ctx *pulumi.Context, name string, args *FenceArgs, opts ...pulumi.ResourceOption) (*Fence, error) {
	c := &Fence{}
	if err := component.Register(ctx, "Fence", name, c, opts...); err != nil {
		return nil, err
	}
	alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-alarm", &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(args.AlarmName),
		AlarmDescription:   pulumi.Sprintf("TaskFlow DR fence: in ALARM, the PRIMARY record of %s is unhealthy whatever its endpoint says. Set by dr failover, cleared by dr switchover (put-metric-data %s/%s).", args.FencedStack, FenceNamespace, FenceMetricName),
		Namespace:          pulumi.String(FenceNamespace),
		MetricName:         pulumi.String(FenceMetricName),
		Dimensions:         pulumi.StringMap{FenceDimensionName: pulumi.String(args.FencedStack)},
		Statistic:          pulumi.String("Maximum"),
		Period:             pulumi.Int(60),
		EvaluationPeriods:  pulumi.Int(1),
		Threshold:          pulumi.Float64(1),
		ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
		// The fence holds until someone clears it: no data keeps the state
		// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
		TreatMissingData: pulumi.String("ignore"),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("fence %s: alarm: %w", name, err)
	}
	check, err := route53.NewHealthCheck(ctx, name+"-check", &route53.HealthCheckArgs{
		Type:                  pulumi.String("CLOUDWATCH_METRIC"),
		CloudwatchAlarmName:   alarm.Name,
		CloudwatchAlarmRegion: pulumi.String(args.Region),
		// A never-fenced pair (the alarm has no data yet) is not fenced.
		InsufficientDataHealthStatus: pulumi.String("Healthy"),
		Tags:                         pulumi.StringMap{"Name": pulumi.String(name + "-check")},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("fence %s: health check: %w", name, err)
	}
	c.Region = pulumi.String(args.Region).ToStringOutput()
	c.Namespace = alarm.Namespace.Elem()
	c.MetricName = alarm.MetricName.Elem()
	c.DimensionName = pulumi.String(FenceDimensionName).ToStringOutput()
	c.DimensionValue = pulumi.String(args.FencedStack).ToStringOutput()
	c.AlarmName = alarm.Name
	c.HealthCheckId = check.ID().ToStringOutput()
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}
