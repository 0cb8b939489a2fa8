package region

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/policy"
)

// kmsKey creates the region's customer-managed key. It encrypts the
// database (a cross-region replica must use a key of its own region), the
// image repositories, the cluster's Kubernetes secrets, the alarm topic and
// the log groups; its policy lets CloudWatch and CloudWatch Logs use it
// (policy.RegionalKey).
func (b *builder) kmsKey() (*kms.Key, error) {
	keyPolicy, err := policy.RegionalKey(b.args.Partition, b.args.Account, b.args.Region).JSON()
	if err != nil {
		return nil, fmt.Errorf("region %s: kms key policy: %w", b.name, err)
	}
	key, err := kms.NewKey(b.ctx, b.child("kms"), &kms.KeyArgs{
		Description:          pulumi.Sprintf("TaskFlow DR %s region data key (%s)", b.args.Role, b.args.Region),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
		Policy:               pulumi.String(keyPolicy),
		Tags:                 b.nameTag("kms"),
	}, b.opts(pulumi.Protect(true))...)
	if err != nil {
		return nil, fmt.Errorf("region %s: kms key: %w", b.name, err)
	}
	// The alias is the one name people look the key up by; it carries the
	// stack so two stacks in one account and region cannot clash.
	if _, err := kms.NewAlias(b.ctx, b.child("kms-alias"), &kms.AliasArgs{
		Name:        pulumi.String("alias/" + b.args.ClusterName),
		TargetKeyId: key.KeyId,
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: kms alias: %w", b.name, err)
	}
	return key, nil
}
