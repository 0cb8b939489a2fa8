package dns

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/internal/pulumimock"
)

const (
	host   = "app.taskflow.example.com"
	target = "taskflow-dr-primary-alb-1234567890.eu-west-1.elb.amazonaws.com"
)

// build runs fn under the mock with an explicit provider for region, as
// the program passes it, and returns the recorder.
func build(t *testing.T, region string, fn func(ctx *pulumi.Context, p *aws.Provider) error) *pulumimock.Recorder {
	t.Helper()
	m := pulumimock.New("primary", region, nil)
	require.NoError(t, m.Run(nil, func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws-"+region, &aws.ProviderArgs{Region: pulumi.String(region)})
		if err != nil {
			return err
		}
		return fn(ctx, p)
	}))
	return m
}

// resolved awaits a component's outputs inside the run.
func resolved(ctx *pulumi.Context, into map[string]any, outs map[string]pulumi.Input) error {
	for k, v := range outs {
		got, err := pulumimock.Await(ctx, v)
		if err != nil {
			return err
		}
		into[k] = got
	}
	return nil
}

func primaryArgs(controlPlaneFence bool) *FailoverArgs {
	return &FailoverArgs{
		ZoneId: pulumimock.ZoneID, Host: host, TTL: 60, Failover: Primary,
		Target: pulumi.String(target), SetIdentifier: "primary-eu-west-1",
		Health: &HealthArgs{
			Path: "/healthz", RequestInterval: 10, FailureThreshold: 3,
			Fence: pulumi.String("hc-fence-in-eu-central-1"), ControlPlaneFence: controlPlaneFence,
		},
	}
}

func failover(t *testing.T, args *FailoverArgs) (*pulumimock.Recorder, map[string]any) {
	t.Helper()
	out := map[string]any{}
	m := build(t, "eu-west-1", func(ctx *pulumi.Context, p *aws.Provider) error {
		f, err := NewFailover(ctx, "taskflow-dns", args, pulumi.Provider(p))
		if err != nil {
			return err
		}
		return resolved(ctx, out, map[string]pulumi.Input{
			"name": f.RecordName, "type": f.RecordType, "ttl": f.RecordTTL, "setIdentifier": f.RecordSetIdentifier,
			"failover": f.RecordFailover, "gate": f.GateHealthCheckId, "endpoint": f.EndpointHealthCheckId, "fence": f.FenceHealthCheckId,
		})
	})
	return m, out
}

func healthCheck(t *testing.T, m *pulumimock.Recorder, typ string) *pulumimock.Registered {
	t.Helper()
	var found *pulumimock.Registered
	for _, hc := range m.ByType("aws:route53/healthCheck:HealthCheck") {
		if hc.Inputs["type"].StringValue() == typ {
			require.Nil(t, found, "one %s check", typ)
			found = hc
		}
	}
	require.NotNil(t, found, "no %s health check", typ)
	return found
}

// TestPrimaryRecordIsGatedByEndpointAndFence: the PRIMARY record carries a
// CALCULATED gate whose children are the endpoint probe and the fence
// check, healthy only when both are (HealthThreshold = children); with the
// control-plane fence the threshold exceeds the children, which Route 53
// always evaluates as unhealthy
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html,
// HealthThreshold).
func TestPrimaryRecordIsGatedByEndpointAndFence(t *testing.T) {
	m, out := failover(t, primaryArgs(false))
	endpoint := healthCheck(t, m, "HTTPS")
	gate := healthCheck(t, m, "CALCULATED")
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty(endpoint.ID), resource.NewStringProperty("hc-fence-in-eu-central-1")},
		gate.Inputs["childHealthchecks"].ArrayValue(), "children: the endpoint probe, then the fence")
	assert.Equal(t, 2.0, gate.Inputs["childHealthThreshold"].NumberValue())

	rec := m.Named(t, "aws:route53/record:Record", "taskflow-dns-record")
	assert.Equal(t, gate.ID, rec.Inputs["healthCheckId"].StringValue(), "the record is gated, not probed directly")
	assert.Equal(t, "CNAME", rec.Inputs["type"].StringValue())
	assert.Equal(t, host, rec.Inputs["name"].StringValue())
	assert.Equal(t, pulumimock.ZoneID, rec.Inputs["zoneId"].StringValue())
	assert.Equal(t, 60.0, rec.Inputs["ttl"].NumberValue())
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty(target)}, rec.Inputs["records"].ArrayValue())
	assert.Equal(t, "primary-eu-west-1", rec.Inputs["setIdentifier"].StringValue())
	policies := rec.Inputs["failoverRoutingPolicies"].ArrayValue()
	require.Len(t, policies, 1)
	assert.Equal(t, "PRIMARY", policies[0].ObjectValue()["type"].StringValue())

	// The outputs are what the resources hold.
	assert.Equal(t, map[string]any{
		"name": host, "type": "CNAME", "ttl": 60, "setIdentifier": "primary-eu-west-1", "failover": "PRIMARY",
		"gate": gate.ID, "endpoint": endpoint.ID, "fence": "hc-fence-in-eu-central-1",
	}, out)

	// Every child inherits the component's provider.
	for _, r := range m.All() {
		if r.Custom && r.Type != "pulumi:providers:aws" {
			assert.Equal(t, "eu-west-1", m.ProviderRegion(r), "%s", r.Name)
		}
	}

	fenced, _ := failover(t, primaryArgs(true))
	assert.Equal(t, 3.0, healthCheck(t, fenced, "CALCULATED").Inputs["childHealthThreshold"].NumberValue(),
		"dns.fence: a threshold above the two children")
}

func TestGateThreshold(t *testing.T) {
	assert.Equal(t, 2, GateThreshold(2, false))
	assert.Equal(t, 3, GateThreshold(2, true))
	assert.Equal(t, 1, GateThreshold(1, false))
}

// TestEndpointProbe: an HTTPS probe of the ALB with SNI (the ALB's listener
// serves the app host's certificate), from Route 53's minimum of three
// checker regions ("Minimum number of 3 items":
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html, Regions),
// at the configured interval and threshold (config validates them).
func TestEndpointProbe(t *testing.T) {
	m, _ := failover(t, primaryArgs(false))
	in := healthCheck(t, m, "HTTPS").Inputs
	assert.Equal(t, target, in["fqdn"].StringValue())
	assert.Equal(t, 443.0, in["port"].NumberValue())
	assert.Equal(t, "/healthz", in["resourcePath"].StringValue())
	assert.Equal(t, 10.0, in["requestInterval"].NumberValue())
	assert.Equal(t, 3.0, in["failureThreshold"].NumberValue())
	assert.True(t, in["enableSni"].BoolValue())
	regions := in["regions"].ArrayValue()
	assert.GreaterOrEqual(t, len(regions), 3)
	seen := map[string]bool{}
	for _, r := range regions {
		assert.False(t, seen[r.StringValue()], "checker region %s twice", r.StringValue())
		seen[r.StringValue()] = true
	}
	for _, k := range []resource.PropertyKey{"disabled", "invertHealthcheck"} {
		assert.NotContains(t, in, k, "a disabled check counts as healthy; an inverted one is healthy while the primary is down")
	}
}

// TestSecondaryRecordHasNoChecks: without a health check on the SECONDARY,
// Route 53 answers it whenever the PRIMARY is unhealthy; with one, an
// unhealthy SECONDARY would send clients back to the dead PRIMARY ("When
// the secondary resource record set is unhealthy, Route 53 responds to DNS
// queries with the applicable value from the primary":
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html, Failover).
func TestSecondaryRecordHasNoChecks(t *testing.T) {
	m, out := failover(t, &FailoverArgs{
		ZoneId: pulumimock.ZoneID, Host: host, TTL: 60, Failover: Secondary,
		Target: pulumi.String("taskflow-dr-standby-alb-1.eu-central-1.elb.amazonaws.com"), SetIdentifier: "standby-eu-central-1",
	})
	assert.Empty(t, m.ByType("aws:route53/healthCheck:HealthCheck"))
	rec := m.Named(t, "aws:route53/record:Record", "taskflow-dns-record")
	assert.NotContains(t, rec.Inputs, resource.PropertyKey("healthCheckId"))
	assert.Equal(t, "SECONDARY", rec.Inputs["failoverRoutingPolicies"].ArrayValue()[0].ObjectValue()["type"].StringValue())
	assert.Equal(t, "SECONDARY", out["failover"])
	assert.Equal(t, "", out["gate"])
	assert.Equal(t, "", out["endpoint"])
	assert.Equal(t, "", out["fence"])
}

// TestFenceIsADataPlaneSignal: the fence is an alarm Route 53 can watch
// (standard resolution, a plain statistic: "High-resolution metrics aren't
// supported", "Extended statistics aren't supported":
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html)
// that keeps its state when data stops (TreatMissingData ignore:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data),
// in the region of the provider it is created through, and a
// CLOUDWATCH_METRIC check on it that is healthy until the alarm has data
// (InsufficientDataHealthStatus:
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html).
func TestFenceIsADataPlaneSignal(t *testing.T) {
	out := map[string]any{}
	m := build(t, "eu-central-1", func(ctx *pulumi.Context, p *aws.Provider) error {
		f, err := NewFence(ctx, "taskflow-fence", &FenceArgs{FencedStack: "primary", Region: "eu-central-1", AlarmName: "taskflow-dr-fence-primary"}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		return resolved(ctx, out, map[string]pulumi.Input{
			"region": f.Region, "namespace": f.Namespace, "metricName": f.MetricName, "dimensionName": f.DimensionName,
			"dimensionValue": f.DimensionValue, "alarmName": f.AlarmName, "healthCheckId": f.HealthCheckId,
		})
	})
	alarm := m.One(t, "aws:cloudwatch/metricAlarm:MetricAlarm")
	assert.Equal(t, "eu-central-1", m.ProviderRegion(alarm), "in the standby region, flipped by a call there")
	in := alarm.Inputs
	assert.Equal(t, "taskflow-dr-fence-primary", in["name"].StringValue())
	assert.Equal(t, "TaskFlowDR", in["namespace"].StringValue())
	assert.Equal(t, "PrimaryFenced", in["metricName"].StringValue())
	assert.Equal(t, resource.PropertyMap{"FencedStack": resource.NewStringProperty("primary")}, in["dimensions"].ObjectValue())
	assert.Contains(t, []string{"Average", "Minimum", "Maximum", "Sum", "SampleCount"}, in["statistic"].StringValue())
	assert.Equal(t, "Maximum", in["statistic"].StringValue())
	assert.NotContains(t, in, resource.PropertyKey("extendedStatistic"))
	assert.NotContains(t, in, resource.PropertyKey("metricQueries"))
	assert.Equal(t, 60.0, in["period"].NumberValue(), "standard resolution: a period of a minute")
	assert.Equal(t, 1.0, in["evaluationPeriods"].NumberValue())
	assert.Equal(t, 1.0, in["threshold"].NumberValue())
	assert.Equal(t, "GreaterThanOrEqualToThreshold", in["comparisonOperator"].StringValue())
	assert.Equal(t, "ignore", in["treatMissingData"].StringValue())

	check := m.One(t, "aws:route53/healthCheck:HealthCheck")
	assert.Equal(t, "CLOUDWATCH_METRIC", check.Inputs["type"].StringValue())
	assert.Equal(t, "taskflow-dr-fence-primary", check.Inputs["cloudwatchAlarmName"].StringValue())
	assert.Equal(t, m.ProviderRegion(alarm), check.Inputs["cloudwatchAlarmRegion"].StringValue(), "the region the alarm was created in")
	assert.Equal(t, "Healthy", check.Inputs["insufficientDataHealthStatus"].StringValue(), "a never-fenced pair is not fenced")

	assert.Equal(t, map[string]any{
		"region": "eu-central-1", "namespace": "TaskFlowDR", "metricName": "PrimaryFenced", "dimensionName": "FencedStack",
		"dimensionValue": "primary", "alarmName": "taskflow-dr-fence-primary", "healthCheckId": check.ID,
	}, out, "the signal the runbook's put-metric-data must match")
}

// certificate builds one region's certificate and returns its ARN output.
func certificate(t *testing.T, owns bool) (*pulumimock.Recorder, string) {
	t.Helper()
	var arn string
	m := build(t, "eu-central-1", func(ctx *pulumi.Context, p *aws.Provider) error {
		c, err := NewCertificate(ctx, "taskflow-app", &CertificateArgs{Host: host, ZoneId: pulumimock.ZoneID, OwnsValidationRecord: owns}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		v, err := pulumimock.Await(ctx, c.Arn)
		arn, _ = v.(string)
		return err
	})
	return m, arn
}

// TestValidationRecordHasOneOwner: ACM gives both regions' certificates for
// one name the same validation CNAME
// (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html), so
// only the owner creates it; the other certificate validates against the
// record name ACM hands it. The provider compares validation_record_fqdns
// with the certificate's record names after dropping a trailing dot on
// both sides (hashicorp/terraform-provider-aws, v5 line:
// internal/service/acm/certificate_validation.go,
// resourceCertificateValidationCreate), so ACM's dotted name is accepted.
func TestValidationRecordHasOneOwner(t *testing.T) {
	owner, arn := certificate(t, true)
	cert := owner.One(t, "aws:acm/certificate:Certificate")
	assert.Equal(t, host, cert.Inputs["domainName"].StringValue())
	assert.Equal(t, "DNS", cert.Inputs["validationMethod"].StringValue())
	assert.Equal(t, "eu-central-1", owner.ProviderRegion(cert), "a certificate for the ALB in its own region")
	dvo := cert.Outputs["domainValidationOptions"].ArrayValue()[0].ObjectValue()

	rec := owner.One(t, "aws:route53/record:Record")
	assert.Equal(t, dvo["resourceRecordName"].StringValue(), rec.Inputs["name"].StringValue())
	assert.Equal(t, dvo["resourceRecordType"].StringValue(), rec.Inputs["type"].StringValue())
	assert.Equal(t, []resource.PropertyValue{dvo["resourceRecordValue"]}, rec.Inputs["records"].ArrayValue())
	assert.Equal(t, pulumimock.ZoneID, rec.Inputs["zoneId"].StringValue())
	// The owner adopts a record left by an earlier owner instead of failing
	// on it (allowOverwrite: pulumi-aws@v6.83.4:sdk/go/aws/route53/record.go:491-494).
	assert.True(t, rec.Inputs["allowOverwrite"].BoolValue())
	validation := owner.One(t, "aws:acm/certificateValidation:CertificateValidation")
	assert.Equal(t, []resource.PropertyValue{rec.Outputs["fqdn"]}, validation.Inputs["validationRecordFqdns"].ArrayValue(),
		"the owner waits for its own record")
	assert.Equal(t, cert.Outputs["arn"].StringValue(), arn, "the ARN once validated")

	user, arn := certificate(t, false)
	assert.Empty(t, user.ByType("aws:route53/record:Record"), "the other stack owns no record: destroying it deletes nothing the owner needs")
	userCert := user.One(t, "aws:acm/certificate:Certificate")
	userDVO := userCert.Outputs["domainValidationOptions"].ArrayValue()[0].ObjectValue()
	validation = user.One(t, "aws:acm/certificateValidation:CertificateValidation")
	assert.Equal(t, []resource.PropertyValue{userDVO["resourceRecordName"]}, validation.Inputs["validationRecordFqdns"].ArrayValue())
	assert.Equal(t, rec.Inputs["name"], userDVO["resourceRecordName"], "the same record the owner created")
	assert.Equal(t, userCert.Outputs["arn"].StringValue(), arn)
}
