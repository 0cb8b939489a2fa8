package dns

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// FailoverType is the component's Pulumi type.
const FailoverType = "taskflow:dr:Failover"

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
	// Health configures the health check; only the PRIMARY has one (a
	// single health signal: the SECONDARY is served whenever the PRIMARY is
	// unhealthy).
	Health *HealthArgs
}

// HealthArgs is the health check on the primary ALB.
type HealthArgs struct {
	Path             string
	RequestInterval  int
	FailureThreshold int
	// Fenced keeps the PRIMARY record unhealthy whatever its endpoint says.
	Fenced bool
}

// Failover is a failover record and, on the primary, its health checks.
type Failover struct {
	pulumi.ResourceState

	RecordFqdn pulumi.StringOutput `pulumi:"recordFqdn"`
	// GateHealthCheckId is the check attached to the PRIMARY record; the
	// runbook fences by changing it. Empty on the SECONDARY.
	GateHealthCheckId pulumi.StringOutput `pulumi:"gateHealthCheckId"`
	// EndpointHealthCheckId is the HTTPS probe of the primary ALB, the one
	// whose status and CloudWatch metric tell whether the primary is up.
	EndpointHealthCheckId pulumi.StringOutput `pulumi:"endpointHealthCheckId"`
}

// FencedThreshold is the gate's child threshold while fenced: more than its
// one child, so Route 53 always evaluates the gate as unhealthy. (Inverting
// the check would not fence: an inverted check is healthy exactly when the
// primary is down, and would send traffic back to the dead region.)
const (
	UnfencedThreshold = 1
	FencedThreshold   = 2
)

// NewFailover creates the record (and the health checks on the primary).
func NewFailover(ctx *pulumi.Context, name string, args FailoverArgs, provider *aws.Provider, opts ...pulumi.ResourceOption) (*Failover, error) {
	c := &Failover{}
	if err := ctx.RegisterComponentResource(FailoverType, name, c, append(opts, pulumi.Providers(provider))...); err != nil {
		return nil, fmt.Errorf("register failover %s: %w", name, err)
	}
	child := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(provider)}
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
		threshold := UnfencedThreshold
		if h.Fenced {
			threshold = FencedThreshold
		}
		gate, err := route53.NewHealthCheck(ctx, name+"-gate-check", &route53.HealthCheckArgs{
			Type:                 pulumi.String("CALCULATED"),
			ChildHealthchecks:    pulumi.StringArray{endpoint.ID()},
			ChildHealthThreshold: pulumi.Int(threshold),
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
	c.RecordFqdn = rec.Fqdn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"recordFqdn": c.RecordFqdn, "gateHealthCheckId": c.GateHealthCheckId, "endpointHealthCheckId": c.EndpointHealthCheckId,
	}); err != nil {
		return nil, fmt.Errorf("register failover %s outputs: %w", name, err)
	}
	return c, nil
}
