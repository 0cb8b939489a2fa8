package region

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RepositoryName is the image repository's physical name. It is pinned
// because ECR replication writes into the repository of the same name in
// the peer region: both stacks must create exactly this one.
const RepositoryName = "taskflow"

// untaggedImageDays is how long an untagged image (a failed or superseded
// push) is kept; keptReleaseImages is how many tagged images are kept, far
// more than a rollback ever needs.
const (
	untaggedImageDays = 14
	keptReleaseImages = 200
)

// repository creates the region's image repository: immutable tags (a
// release tag always names the same digest in both regions), scan on push,
// encryption with the region's key.
func (b *builder) repository(key *kms.Key) (*ecr.Repository, error) {
	repo, err := ecr.NewRepository(b.ctx, b.child("ecr"), &ecr.RepositoryArgs{
		Name:               pulumi.String(RepositoryName),
		ImageTagMutability: pulumi.String("IMMUTABLE"),
		ImageScanningConfiguration: ecr.RepositoryImageScanningConfigurationArgs{
			ScanOnPush: pulumi.Bool(true),
		},
		EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{ecr.RepositoryEncryptionConfigurationArgs{
			EncryptionType: pulumi.String("KMS"),
			KmsKey:         key.Arn,
		}},
		Tags: b.nameTag("ecr"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: image repository: %w", b.name, err)
	}
	policy, err := lifecyclePolicy()
	if err != nil {
		return nil, fmt.Errorf("region %s: %w", b.name, err)
	}
	if _, err := ecr.NewLifecyclePolicy(b.ctx, b.child("ecr-lifecycle"), &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(policy),
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: image lifecycle policy: %w", b.name, err)
	}
	return repo, nil
}

func lifecyclePolicy() (string, error) {
	policy := map[string]any{"rules": []any{
		map[string]any{
			"rulePriority": 1,
			"description":  fmt.Sprintf("expire untagged images after %d days", untaggedImageDays),
			"selection": map[string]any{
				"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": untaggedImageDays,
			},
			"action": map[string]any{"type": "expire"},
		},
		map[string]any{
			"rulePriority": 2,
			"description":  fmt.Sprintf("keep the newest %d tagged images", keptReleaseImages),
			"selection": map[string]any{
				"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keptReleaseImages,
			},
			"action": map[string]any{"type": "expire"},
		},
	}}
	out, err := json.Marshal(policy)
	if err != nil {
		return "", fmt.Errorf("image lifecycle policy: %w", err)
	}
	return string(out), nil
}
