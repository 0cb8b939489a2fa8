package region

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/policy"
)

// Repository names, pinned: ECR replication writes into the repository of
// the same name in the peer region, so both stacks create exactly these.
// Both start with replication.RepositoryPrefix, the replication filter
// (region_test.go checks).
const (
	RepositoryName      = "taskflow"
	AgentRepositoryName = "taskflow-dr-agent"
)

type repositories struct {
	appURL, agentURL pulumi.StringOutput
}

// repositories creates TaskFlow's and the DR agent's image repositories on
// the stack that owns them; elsewhere their URLs are where replication
// creates them (same account, same names, this region).
func (b *builder) repositories(key *kms.Key) (*repositories, error) {
	if !b.args.OwnsRepositories {
		url := func(name string) pulumi.StringOutput {
			return pulumi.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", b.args.Account, b.args.Region, name)
		}
		return &repositories{appURL: url(RepositoryName), agentURL: url(AgentRepositoryName)}, nil
	}
	app, err := b.repository("ecr", RepositoryName, key)
	if err != nil {
		return nil, err
	}
	agent, err := b.repository("agent-ecr", AgentRepositoryName, key)
	if err != nil {
		return nil, err
	}
	return &repositories{appURL: app.RepositoryUrl, agentURL: agent.RepositoryUrl}, nil
}

// repository creates one image repository: immutable tags (a release tag
// always names the same digest in both regions), scan on push, encryption
// with the region's key, and the lifecycle policy (policy.ImageLifecycle)
// that replication's creation template gives the peer region's copies.
func (b *builder) repository(part, name string, key *kms.Key) (*ecr.Repository, error) {
	repo, err := ecr.NewRepository(b.ctx, b.child(part), &ecr.RepositoryArgs{
		Name:               pulumi.String(name),
		ImageTagMutability: pulumi.String("IMMUTABLE"),
		ImageScanningConfiguration: ecr.RepositoryImageScanningConfigurationArgs{
			ScanOnPush: pulumi.Bool(true),
		},
		EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{ecr.RepositoryEncryptionConfigurationArgs{
			EncryptionType: pulumi.String("KMS"),
			KmsKey:         key.Arn,
		}},
		Tags: b.nameTag(part),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: image repository %s: %w", b.name, name, err)
	}
	lifecycle, err := policy.ImageLifecycle()
	if err != nil {
		return nil, fmt.Errorf("region %s: %w", b.name, err)
	}
	if _, err := ecr.NewLifecyclePolicy(b.ctx, b.child(part+"-lifecycle"), &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(lifecycle),
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: image lifecycle policy of %s: %w", b.name, name, err)
	}
	return repo, nil
}
