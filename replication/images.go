package replication

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
	"github.com/taskflow/taskflow-dr/policy"
)

// RepositoryPrefix is the replication filter and the creation template's
// prefix. ECR's PREFIX_MATCH matches every repository whose name starts
// with it: `taskflow` and `taskflow-dr-agent` (region.RepositoryName and
// region.AgentRepositoryName: region's tests check), and any future
// `taskflow-*` repository too.
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RepositoryFilter.html)
const RepositoryPrefix = "taskflow"

// ImageReplicationArgs names what is replicated where.
type ImageReplicationArgs struct {
	// RegistryId is this account's registry (the destination is in the
	// same account, in the peer region).
	RegistryId pulumi.StringInput
	PeerRegion string
	// Template, on the primary, is the repository creation template in the
	// peer region, created through PeerProvider; nil on the standby, whose
	// replication writes into the primary's own repositories.
	Template *TemplateArgs
}

// TemplateArgs places the creation template in the peer region.
type TemplateArgs struct {
	// PeerProvider is the peer region's provider: the template must exist
	// there before the first push is replicated, so the stack deployed
	// first (the primary) creates it, whatever the order of deployments.
	PeerProvider pulumi.ProviderResource
	// RoleName names the role ECR assumes to create the repositories.
	RoleName string
}

// ImageReplication is the registry's replication configuration (a
// registry has exactly one, so this is the only one the program makes) and,
// on the primary, the repository creation template that gives every
// repository replication creates in the peer region our settings:
// immutable tags, KMS, our lifecycle. The standby therefore never creates
// `taskflow` itself: a push replicated before the standby is deployed would
// make its deploy fail on the name. ECR copies only pushes made after
// replication is configured: older images must be pushed again, and
// `dr preflight` compares the release image's digest in both regions.
type ImageReplication struct {
	pulumi.ResourceState

	Destination pulumi.StringOutput `pulumi:"destination"`
	// TemplatePrefix is the creation template's prefix ("" on the standby).
	TemplatePrefix pulumi.StringOutput `pulumi:"templatePrefix"`
}

// NewImageReplication creates the replication configuration and, on the
// primary, the creation template in the peer region.
func NewImageReplication(ctx *pulumi.Context, name string, args *ImageReplicationArgs, opts ...pulumi.ResourceOption) (*ImageReplication, error) {
	c := &ImageReplication{}
	if err := component.Register(ctx, "ImageReplication", name, c, opts...); err != nil {
		return nil, err
	}
	var deps []pulumi.Resource
	c.TemplatePrefix = pulumi.String("").ToStringOutput()
	if args.Template != nil {
		template, err := c.creationTemplate(ctx, name, args.Template)
		if err != nil {
			return nil, err
		}
		c.TemplatePrefix = template.Prefix
		deps = append(deps, template)
	}
	if _, err := ecr.NewReplicationConfiguration(ctx, name+"-config", &ecr.ReplicationConfigurationArgs{
		ReplicationConfiguration: ecr.ReplicationConfigurationReplicationConfigurationArgs{
			Rules: ecr.ReplicationConfigurationReplicationConfigurationRuleArray{
				ecr.ReplicationConfigurationReplicationConfigurationRuleArgs{
					Destinations: ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArray{
						ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs{
							Region:     pulumi.String(args.PeerRegion),
							RegistryId: args.RegistryId,
						},
					},
					RepositoryFilters: ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArray{
						ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs{
							Filter:     pulumi.String(RepositoryPrefix),
							FilterType: pulumi.String("PREFIX_MATCH"),
						},
					},
				},
			},
		},
	}, pulumi.Parent(c), pulumi.DependsOn(deps)); err != nil {
		return nil, fmt.Errorf("image replication %s: %w", name, err)
	}
	c.Destination = pulumi.String(args.PeerRegion).ToStringOutput()
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// creationTemplate applies immutable tags, KMS encryption (the peer
// region's AWS-managed ECR key: the standby's own key does not exist when
// the primary is deployed first) and the lifecycle policy to every
// repository replication creates in the peer region. With KMS the template
// needs a role ECR assumes to create the repository ("Required if using repository tags or KMS encryption":
// pulumi-aws@v6.83.4:sdk/go/aws/ecr/repositoryCreationTemplate.go:126;
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html).
func (c *ImageReplication) creationTemplate(ctx *pulumi.Context, name string, args *TemplateArgs) (*ecr.RepositoryCreationTemplate, error) {
	trust, err := policy.Document{Version: "2012-10-17", Statement: []policy.Statement{{
		Effect: "Allow", Principal: map[string]any{"Service": "ecr.amazonaws.com"}, Action: "sts:AssumeRole",
	}}}.JSON()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-template-role", &iam.RoleArgs{
		Name:             pulumi.String(args.RoleName),
		Description:      pulumi.String("ECR creates replicated TaskFlow repositories with our key"),
		AssumeRolePolicy: pulumi.String(trust),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("image replication %s: template role: %w", name, err)
	}
	perms, err := policy.Document{Version: "2012-10-17", Statement: []policy.Statement{
		{Effect: "Allow", Action: []string{"ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource", "ecr:PutLifecyclePolicy"}, Resource: "*"},
		{Effect: "Allow", Action: []string{"kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey*", "kms:RetireGrant"}, Resource: "*"},
	}}.JSON()
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-template-policy", &iam.RolePolicyArgs{Role: role.Name, Policy: pulumi.String(perms)}, pulumi.Parent(c)); err != nil {
		return nil, fmt.Errorf("image replication %s: template role policy: %w", name, err)
	}
	lifecycle, err := policy.ImageLifecycle()
	if err != nil {
		return nil, err
	}
	template, err := ecr.NewRepositoryCreationTemplate(ctx, name+"-template", &ecr.RepositoryCreationTemplateArgs{
		Prefix:             pulumi.String(RepositoryPrefix),
		Description:        pulumi.String("TaskFlow repositories created by replication: immutable tags, the region's key"),
		AppliedFors:        pulumi.StringArray{pulumi.String("REPLICATION")},
		ImageTagMutability: pulumi.String("IMMUTABLE"),
		EncryptionConfigurations: ecr.RepositoryCreationTemplateEncryptionConfigurationArray{ecr.RepositoryCreationTemplateEncryptionConfigurationArgs{
			EncryptionType: pulumi.String("KMS"),
		}},
		LifecyclePolicy: pulumi.String(lifecycle),
		CustomRoleArn:   role.Arn,
	}, pulumi.Parent(c), pulumi.Provider(args.PeerProvider))
	if err != nil {
		return nil, fmt.Errorf("image replication %s: creation template: %w", name, err)
	}
	return template, nil
}
