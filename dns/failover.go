package dns

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
)

// Route 53 failover record roles.
const (
	Primary   = "PRIMARY"
	Secondary = "SECONDARY"
)

// CheckerRegions are the Route 53 checker locations probing the primary:
// three is Route 53's minimum, spread over two continents so one checker
// region's trouble cannot fail the primary over.
var CheckerRegions = []string{"eu-west-1", "us-east-1", "us-west-2"}

// FailoverArgs describes one stack's half of the failover pair.
type FailoverArgs struct {
	ZoneId string
	// Host is the app host, the name of both failover records.
	Host string
	TTL  int
	// Failover is Primary or Secondary.
	Failover string
	// Target is this region's ALB DNS name.
	Target pulumi.StringInput
	// SetIdentifier tells the two records apart.
	SetIdentifier string
	// Health configures the health checks; only the PRIMARY has them (a
	// single health signal: the SECONDARY is served whenever the PRIMARY is
	// unhealthy).
	Health *HealthArgs
}

// HealthArgs is the health of the PRIMARY record: an HTTPS probe of the
// primary ALB and the fence check, behind a CALCULATED gate.
type HealthArgs struct {
	Path             string
	RequestInterval  int
	FailureThreshold int
	// Fence is the fence's health check (Fence), healthy unless fenced.
	Fence pulumi.StringInput
	// ControlPlaneFence is dns.fence: the gate's threshold above its
	// children, always unhealthy (the manual fallback; see Fence for the
	// path the failover takes).
	ControlPlaneFence bool
}

// Failover is a failover record and, on the primary, its health checks.
// Its outputs are read from the resources it made: the runbook's
// `failoverRecord` output is what Route 53 holds, not what config asked.
type Failover struct {
	pulumi.ResourceState

	RecordName          pulumi.StringOutput `pulumi:"recordName"`
	RecordType          pulumi.StringOutput `pulumi:"recordType"`
	RecordTTL           pulumi.IntOutput    `pulumi:"recordTtl"`
	RecordSetIdentifier pulumi.StringOutput `pulumi:"recordSetIdentifier"`
	RecordFailover      pulumi.StringOutput `pulumi:"recordFailover"`
	// GateHealthCheckId is the check attached to the PRIMARY record. Empty
	// on the SECONDARY.
	GateHealthCheckId pulumi.StringOutput `pulumi:"gateHealthCheckId"`
	// EndpointHealthCheckId is the HTTPS probe of the primary ALB, the one
	// whose status and CloudWatch metric tell whether the primary is up.
	EndpointHealthCheckId pulumi.StringOutput `pulumi:"endpointHealthCheckId"`
	// FenceHealthCheckId is the fence child wired into the gate.
	FenceHealthCheckId pulumi.StringOutput `pulumi:"fenceHealthCheckId"`
}

// GateThreshold is the gate's HealthThreshold: all children healthy
// (endpoint up and not fenced), or, with the control-plane fence, one more
// than its children. A CALCULATED check whose threshold exceeds its children
// is always unhealthy
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html,
// HealthThreshold). Inverting or disabling a check would not fence: an
// inverted endpoint check is healthy exactly when the primary is down, and a
// disabled one counts as healthy.
func GateThreshold(children int, controlPlaneFence bool) int {
	if controlPlaneFence {
		return children + 1
	}
	return children
}

// NewFailover creates the record (and the health checks on the primary).
func NewFailover(ctx *pulumi.Context, name string, args *FailoverArgs, opts ...pulumi.ResourceOption) (*Failover, error) {
	c := &Failover{}
	if err := component.Register(ctx, "Failover", name, c, opts...); err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(c)}
	record := &route53.RecordArgs{
		ZoneId:        pulumi.String(args.ZoneId),
		Name:          pulumi.String(args.Host),
		Type:          pulumi.String("CNAME"),
		Ttl:           pulumi.Int(args.TTL),
		Records:       pulumi.StringArray{args.Target},
		SetIdentifier: pulumi.String(args.SetIdentifier),
		FailoverRoutingPolicies: route53.RecordFailoverRoutingPolicyArray{
			route53.RecordFailoverRoutingPolicyArgs{Type: pulumi.String(args.Failover)},
		},
	}
	c.GateHealthCheckId = pulumi.String("").ToStringOutput()
	c.EndpointHealthCheckId = pulumi.String("").ToStringOutput()
	c.FenceHealthCheckId = pulumi.String("").ToStringOutput()
	if h := args.Health; h != nil {
		endpoint, err := route53.NewHealthCheck(ctx, name+"-endpoint-check", &route53.HealthCheckArgs{
			Type:             pulumi.String("HTTPS"),
			Fqdn:             args.Target,
			Port:             pulumi.Int(443),
			ResourcePath:     pulumi.String(h.Path),
			RequestInterval:  pulumi.Int(h.RequestInterval),
			FailureThreshold: pulumi.Int(h.FailureThreshold),
			EnableSni:        pulumi.Bool(true),
			Regions:          pulumi.ToStringArray(CheckerRegions),
			MeasureLatency:   pulumi.Bool(true),
			Tags:             pulumi.StringMap{"Name": pulumi.String(name + "-endpoint-check")},
		}, child...)
		if err != nil {
			return nil, fmt.Errorf("failover %s: endpoint health check: %w", name, err)
		}
		children := pulumi.StringArray{endpoint.ID(), h.Fence}
		c.FenceHealthCheckId = h.Fence.ToStringOutput()
		gate, err := route53.NewHealthCheck(ctx, name+"-gate-check", &route53.HealthCheckArgs{
			Type:                 pulumi.String("CALCULATED"),
			ChildHealthchecks:    children,
			ChildHealthThreshold: pulumi.Int(GateThreshold(len(children), h.ControlPlaneFence)),
			Tags:                 pulumi.StringMap{"Name": pulumi.String(name + "-gate-check")},
		}, child...)
		if err != nil {
			return nil, fmt.Errorf("failover %s: gate health check: %w", name, err)
		}
		record.HealthCheckId = gate.ID()
		c.GateHealthCheckId = gate.ID().ToStringOutput()
		c.EndpointHealthCheckId = endpoint.ID().ToStringOutput()
	}
	rec, err := route53.NewRecord(ctx, name+"-record", record, child...)
	if err != nil {
		return nil, fmt.Errorf("failover %s: %s record: %w", name, args.Failover, err)
	}
	c.RecordName = rec.Name
	c.RecordType = rec.Type
	c.RecordTTL = rec.Ttl.Elem()
	c.RecordSetIdentifier = rec.SetIdentifier.Elem()
	c.RecordFailover = rec.FailoverRoutingPolicies.Index(pulumi.Int(0)).Type()
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}
