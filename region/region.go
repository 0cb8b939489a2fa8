// Package region is the TaskFlow DR region component, `taskflow:dr:Region`:
// everything one region needs to run TaskFlow on its own (network, KMS key,
// EKS, RDS PostgreSQL, ECR, ALB). Each stack stamps it exactly once, through
// the stack's explicit regional provider, so the same code builds the
// primary in eu-west-1 and the standby in eu-central-1.
package region

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/config"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "taskflow:dr:Region"

// Providers are the explicit providers the component creates everything
// through. Default providers are disabled for the project, so a child that
// forgot its provider fails at preview instead of landing in whatever region
// a laptop's AWS_REGION names.
type Providers struct {
	AWS *aws.Provider
	// EKS serves the pulumi-eks remote component.
	EKS *eks.Provider
}

// Args is everything the component needs; config values arrive already
// validated.
type Args struct {
	Role        config.Role
	Region      string
	ClusterName string
	Network     config.Network
	Cluster     config.Cluster
	Database    DatabaseArgs
	// AppHost is the public name the ALB's certificate covers.
	AppHost string
	// HealthCheckPath is what the ALB's target group checks on the pods.
	HealthCheckPath string
	// CertificateArn is a validated ACM certificate for AppHost in this
	// region (dns.Certificate).
	CertificateArn pulumi.StringInput
}

// DatabaseArgs is the database's config plus what other components supply.
type DatabaseArgs struct {
	config.Database
	// InstanceClass is the resolved class: the config's, or in replica mode
	// by default the peer writer's.
	InstanceClass pulumi.StringInput
	// MasterPassword is the generated master password; only a writer that
	// this stack creates uses it.
	MasterPassword pulumi.StringInput
	// ReplicateSourceArn is the peer writer's ARN in replica mode.
	ReplicateSourceArn pulumi.StringInput
	// FinalSnapshotSuffix makes the final snapshot's name unique per
	// rebuild (replication.NewFinalSnapshotSuffix).
	FinalSnapshotSuffix pulumi.StringInput
}

// Region is the component's state: its outputs are the region's half of the
// runbook's API.
type Region struct {
	pulumi.ResourceState

	VpcId            pulumi.StringOutput      `pulumi:"vpcId"`
	PublicSubnetIds  pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIds pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	KmsKeyArn        pulumi.StringOutput      `pulumi:"kmsKeyArn"`

	ClusterName         pulumi.StringOutput `pulumi:"clusterName"`
	Kubeconfig          pulumi.StringOutput `pulumi:"kubeconfig"`
	OidcProviderArn     pulumi.StringOutput `pulumi:"oidcProviderArn"`
	OidcProviderUrl     pulumi.StringOutput `pulumi:"oidcProviderUrl"`
	NodeSecurityGroupId pulumi.StringOutput `pulumi:"nodeSecurityGroupId"`
	NodeGroupAsgName    pulumi.StringOutput `pulumi:"nodeGroupAsgName"`

	DbInstanceId    pulumi.StringOutput `pulumi:"dbInstanceId"`
	DbInstanceArn   pulumi.StringOutput `pulumi:"dbInstanceArn"`
	DbInstanceUrn   pulumi.URNOutput    `pulumi:"dbInstanceUrn"`
	DbInstanceClass pulumi.StringOutput `pulumi:"dbInstanceClass"`
	DbEndpoint      pulumi.StringOutput `pulumi:"dbEndpoint"`
	DbAddress       pulumi.StringOutput `pulumi:"dbAddress"`
	DbPort          pulumi.IntOutput    `pulumi:"dbPort"`

	RepositoryUrl  pulumi.StringOutput `pulumi:"repositoryUrl"`
	RepositoryName pulumi.StringOutput `pulumi:"repositoryName"`
	RepositoryArn  pulumi.StringOutput `pulumi:"repositoryArn"`
	RegistryId     pulumi.StringOutput `pulumi:"registryId"`

	AlbDnsName     pulumi.StringOutput `pulumi:"albDnsName"`
	AlbZoneId      pulumi.StringOutput `pulumi:"albZoneId"`
	AlbArnSuffix   pulumi.StringOutput `pulumi:"albArnSuffix"`
	TargetGroupArn pulumi.StringOutput `pulumi:"targetGroupArn"`
}

// New stamps a region. name prefixes every child ("<name>-vpc", ...):
// URNs do not carry the parent's name, so unprefixed children of two stamps
// would collide.
func New(ctx *pulumi.Context, name string, args Args, providers Providers, opts ...pulumi.ResourceOption) (*Region, error) {
	if providers.AWS == nil || providers.EKS == nil {
		return nil, fmt.Errorf("region %s: the AWS and EKS providers are required", name)
	}
	r := &Region{}
	opts = append(opts, pulumi.Providers(providers.AWS, providers.EKS))
	if err := ctx.RegisterComponentResource(TypeToken, name, r, opts...); err != nil {
		return nil, fmt.Errorf("register region %s: %w", name, err)
	}
	b := &builder{ctx: ctx, name: name, parent: r, provider: providers.AWS, eksProvider: providers.EKS, args: args}

	net, err := b.network()
	if err != nil {
		return nil, err
	}
	key, err := b.kmsKey()
	if err != nil {
		return nil, err
	}
	cl, err := b.cluster(net, key)
	if err != nil {
		return nil, err
	}
	db, err := b.database(net, key, cl)
	if err != nil {
		return nil, err
	}
	repo, err := b.repository(key)
	if err != nil {
		return nil, err
	}
	alb, err := b.loadBalancer(net, cl)
	if err != nil {
		return nil, err
	}

	r.VpcId = net.vpc.ID().ToStringOutput()
	r.PublicSubnetIds = net.publicSubnetIds()
	r.PrivateSubnetIds = net.privateSubnetIds()
	r.KmsKeyArn = key.Arn
	r.ClusterName = cl.name
	r.Kubeconfig = cl.kubeconfig
	r.OidcProviderArn = cl.oidcProviderArn
	r.OidcProviderUrl = cl.oidcProviderUrl
	r.NodeSecurityGroupId = cl.nodeSecurityGroup.ID().ToStringOutput()
	r.NodeGroupAsgName = cl.asgName
	r.DbInstanceId = db.Identifier
	r.DbInstanceArn = db.Arn
	r.DbInstanceUrn = db.URN()
	r.DbInstanceClass = db.InstanceClass
	r.DbEndpoint = db.Endpoint
	r.DbAddress = db.Address
	r.DbPort = db.Port
	r.RepositoryUrl = repo.RepositoryUrl
	r.RepositoryName = repo.Name
	r.RepositoryArn = repo.Arn
	r.RegistryId = repo.RegistryId
	r.AlbDnsName = alb.lb.DnsName
	r.AlbZoneId = alb.lb.ZoneId
	r.AlbArnSuffix = alb.lb.ArnSuffix
	r.TargetGroupArn = alb.targetGroup.Arn

	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{
		"vpcId":           r.VpcId,
		"kmsKeyArn":       r.KmsKeyArn,
		"clusterName":     r.ClusterName,
		"dbInstanceId":    r.DbInstanceId,
		"dbInstanceArn":   r.DbInstanceArn,
		"dbEndpoint":      r.DbEndpoint,
		"repositoryUrl":   r.RepositoryUrl,
		"albDnsName":      r.AlbDnsName,
		"albZoneId":       r.AlbZoneId,
		"nodeGroupAsg":    r.NodeGroupAsgName,
		"oidcProviderArn": r.OidcProviderArn,
	}); err != nil {
		return nil, fmt.Errorf("register region %s outputs: %w", name, err)
	}
	return r, nil
}

// builder carries what every part of the region needs.
type builder struct {
	ctx         *pulumi.Context
	name        string
	parent      pulumi.Resource
	provider    *aws.Provider
	eksProvider *eks.Provider
	args        Args
}

// child names a part "<component name>-<part>".
func (b *builder) child(part string) string { return b.name + "-" + part }

// opts are the options every custom AWS child takes: its parent and, named
// explicitly, the regional provider.
func (b *builder) opts(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{pulumi.Parent(b.parent), pulumi.Provider(b.provider)}, extra...)
}

// nameTag is the Name tag the console shows.
func (b *builder) nameTag(part string) pulumi.StringMap {
	return pulumi.StringMap{"Name": pulumi.String(b.child(part))}
}
