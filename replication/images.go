package replication

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ImageReplicationType is the component's Pulumi type.
const ImageReplicationType = "taskflow:dr:ImageReplication"

// ImageReplicationArgs names what is replicated where.
type ImageReplicationArgs struct {
	// Repository is the repository name, the same in both regions.
	Repository string
	// RegistryId is this account's registry (the destination is in the
	// same account, in the peer region).
	RegistryId pulumi.StringInput
	PeerRegion string
}

// ImageReplication replicates pushes to the repository into the peer
// region's repository of the same name, which the peer stack creates with
// its own settings (its key, its lifecycle). A registry has exactly one
// replication configuration, so this is the only one the program makes.
// ECR copies only new pushes: images older than this configuration must be
// pushed again.
type ImageReplication struct {
	pulumi.ResourceState
}

// NewImageReplication creates the registry's replication configuration.
func NewImageReplication(ctx *pulumi.Context, name string, args ImageReplicationArgs, provider *aws.Provider, opts ...pulumi.ResourceOption) (*ImageReplication, error) {
	c := &ImageReplication{}
	if err := ctx.RegisterComponentResource(ImageReplicationType, name, c, append(opts, pulumi.Providers(provider))...); err != nil {
		return nil, fmt.Errorf("register image replication %s: %w", name, err)
	}
	_, err := ecr.NewReplicationConfiguration(ctx, name+"-config", &ecr.ReplicationConfigurationArgs{
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
							Filter:     pulumi.String(args.Repository),
							FilterType: pulumi.String("PREFIX_MATCH"),
						},
					},
				},
			},
		},
	}, pulumi.Parent(c), pulumi.Provider(provider))
	if err != nil {
		return nil, fmt.Errorf("image replication %s: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{}); err != nil {
		return nil, fmt.Errorf("register image replication %s outputs: %w", name, err)
	}
	return c, nil
}
