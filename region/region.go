// Package region is the TaskFlow DR region component, `taskflow:dr:Region`:
// everything one region needs to run TaskFlow on its own (network, KMS key,
// EKS with a managed node group, RDS PostgreSQL and its credentials, ECR,
// ALB). Each stack stamps it exactly once, through the providers the caller
// passes in opts (the stack's region for aws, plus eks and random), so the
// same code builds the primary in eu-west-1 and the standby in eu-central-1.
package region

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
	"github.com/taskflow/taskflow-dr/config"
)

// Kind is the component's type name (`taskflow:dr:Region`).
const Kind = "Region"

// Args is everything the component needs; config values arrive validated.
type Args struct {
	Role config.Role
	// Region, Account and Partition name where the component runs (the
	// key policy and the log bucket need them).
	Region    string
	Account   string
	Partition string
	// ClusterName is the EKS cluster's name, pinned: the runbook's
	// `aws eks update-kubeconfig --name` must be predictable.
	ClusterName string
	Network     config.Network
	Cluster     config.Cluster
	Access      config.Access
	Logs        config.Logs
	Database    DatabaseArgs
	// OwnsRepositories: the primary creates the image repositories; the
	// standby's are created by ECR replication under the creation template
	// the primary puts in its region (replication.ImageReplication), so a
	// push replicated before the standby exists can never make the
	// standby's deploy fail on the name.
	OwnsRepositories bool
	// HealthCheckPath is what the ALB's target group checks on the pods.
	HealthCheckPath string
	// CertificateArn is a validated ACM certificate for the app host in
	// this region (dns.Certificate).
	CertificateArn pulumi.StringInput
}

// DatabaseArgs is the database's config plus what comes from outside the
// region.
type DatabaseArgs struct {
	config.Database
	// InstanceClass is the resolved class: the config's, or in replica mode
	// by default the peer writer's.
	InstanceClass pulumi.StringInput
	// ReplicateSourceArn is the peer writer's ARN in replica mode.
	ReplicateSourceArn pulumi.StringInput
	// OwnsCredentials: the primary generates the master password and keeps
	// it in every phase (it keeps its value while the primary's database is
	// a replica during failback).
	OwnsCredentials bool
}

// Region is the component's state: its outputs are the region's half of the
// runbook's API.
type Region struct {
	pulumi.ResourceState

	VpcId     pulumi.StringOutput `pulumi:"vpcId"`
	KmsKeyArn pulumi.StringOutput `pulumi:"kmsKeyArn"`

	ClusterName     pulumi.StringOutput `pulumi:"clusterName"`
	Kubeconfig      pulumi.StringOutput `pulumi:"kubeconfig"`
	OidcProviderArn pulumi.StringOutput `pulumi:"oidcProviderArn"`
	OidcProviderUrl pulumi.StringOutput `pulumi:"oidcProviderUrl"`
	NodeGroupName   pulumi.StringOutput `pulumi:"nodeGroupName"`
	NodeGroupUrn    pulumi.URNOutput    `pulumi:"nodeGroupUrn"`

	DbInstanceId         pulumi.StringOutput `pulumi:"dbInstanceId"`
	DbInstanceArn        pulumi.StringOutput `pulumi:"dbInstanceArn"`
	DbInstanceUrn        pulumi.URNOutput    `pulumi:"dbInstanceUrn"`
	DbInstanceClass      pulumi.StringOutput `pulumi:"dbInstanceClass"`
	DbEndpoint           pulumi.StringOutput `pulumi:"dbEndpoint"`
	DbAddress            pulumi.StringOutput `pulumi:"dbAddress"`
	DbPort               pulumi.IntOutput    `pulumi:"dbPort"`
	DbReplicationSource  pulumi.StringOutput `pulumi:"dbReplicationSourceArn"`
	DbMasterPassword     pulumi.StringOutput `pulumi:"dbMasterPassword"`
	RepositoryUrl        pulumi.StringOutput `pulumi:"repositoryUrl"`
	RepositoryName       pulumi.StringOutput `pulumi:"repositoryName"`
	AgentRepositoryUrl   pulumi.StringOutput `pulumi:"agentRepositoryUrl"`
	RegistryId           pulumi.StringOutput `pulumi:"registryId"`
	AlbDnsName           pulumi.StringOutput `pulumi:"albDnsName"`
	AlbZoneId            pulumi.StringOutput `pulumi:"albZoneId"`
	AlbArnSuffix         pulumi.StringOutput `pulumi:"albArnSuffix"`
	TargetGroupArnSuffix pulumi.StringOutput `pulumi:"targetGroupArnSuffix"`
	AccessLogsBucket     pulumi.StringOutput `pulumi:"accessLogsBucket"`
}

// New stamps a region. name prefixes every child ("<name>-vpc", ...):
// URNs do not carry the parent's name, so unprefixed children of two stamps
// would collide.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Region, error) {
	r := &Region{}
	if err := component.Register(ctx, Kind, name, r, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, parent: r, args: args}

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
	repos, err := b.repositories(key)
	if err != nil {
		return nil, err
	}
	alb, err := b.loadBalancer(net, cl)
	if err != nil {
		return nil, err
	}

	r.VpcId = net.vpc.ID().ToStringOutput()
	r.KmsKeyArn = key.Arn
	r.ClusterName = cl.name
	r.Kubeconfig = cl.kubeconfig
	r.OidcProviderArn = cl.oidcProviderArn
	r.OidcProviderUrl = cl.oidcProviderUrl
	r.NodeGroupName = cl.nodeGroupName
	r.NodeGroupUrn = cl.nodeGroupUrn
	r.DbInstanceId = db.instance.Identifier
	r.DbInstanceArn = db.instance.Arn
	r.DbInstanceUrn = db.instance.URN()
	r.DbInstanceClass = db.instance.InstanceClass
	r.DbEndpoint = db.instance.Endpoint
	r.DbAddress = db.instance.Address
	r.DbPort = db.instance.Port
	r.DbReplicationSource = db.source
	r.DbMasterPassword = db.password
	r.RepositoryUrl = repos.appURL
	r.RepositoryName = pulumi.String(RepositoryName).ToStringOutput()
	r.AgentRepositoryUrl = repos.agentURL
	r.RegistryId = pulumi.String(args.Account).ToStringOutput()
	r.AlbDnsName = alb.lb.DnsName
	r.AlbZoneId = alb.lb.ZoneId
	r.AlbArnSuffix = alb.lb.ArnSuffix
	r.TargetGroupArnSuffix = alb.targetGroup.ArnSuffix
	r.AccessLogsBucket = alb.logs.Bucket
	if err := component.Finish(ctx, r); err != nil {
		return nil, fmt.Errorf("region %s: %w", name, err)
	}
	return r, nil
}

// builder carries what every part of the region needs.
type builder struct {
	ctx    *pulumi.Context
	name   string
	parent pulumi.Resource
	args   *Args
}

// child names a part "<component name>-<part>".
func (b *builder) child(part string) string { return b.name + "-" + part }

// opts are the options every child takes: its parent, whose providers it
// inherits (the caller passed them to the component).
func (b *builder) opts(extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{pulumi.Parent(b.parent)}, extra...)
}

// nameTag is the Name tag the console shows.
func (b *builder) nameTag(part string) pulumi.StringMap {
	return pulumi.StringMap{"Name": pulumi.String(b.child(part))}
}
