package replication

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// passwordSpecials are the punctuation characters RDS accepts in a master
// password (it refuses '/', '@', '"' and spaces).
const passwordSpecials = "!#$%&*()-_=+[]{}<>:?"

// NewMasterPassword generates the writer's master password. Nobody types
// it: the random provider keeps it as a secret in state, it reaches the
// database and the secret only as secret inputs, and apps read it from
// Secrets Manager.
func NewMasterPassword(ctx *pulumi.Context, name string, provider *random.Provider, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	pw, err := random.NewRandomPassword(ctx, name, &random.RandomPasswordArgs{
		Length:          pulumi.Int(32),
		Special:         pulumi.Bool(true),
		OverrideSpecial: pulumi.String(passwordSpecials),
		MinLower:        pulumi.Int(2),
		MinUpper:        pulumi.Int(2),
		MinNumeric:      pulumi.Int(2),
		MinSpecial:      pulumi.Int(2),
	}, append(opts, pulumi.Provider(provider))...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("generate database master password: %w", err)
	}
	return pulumi.ToSecret(pw.Result).(pulumi.StringOutput), nil
}

// NewFinalSnapshotSuffix is a random suffix for the database's final
// snapshot that is drawn anew whenever database.rebuild changes: every
// rebuild's deletion leaves a snapshot of its own name.
func NewFinalSnapshotSuffix(ctx *pulumi.Context, name string, rebuild bool, provider *random.Provider, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	id, err := random.NewRandomId(ctx, name, &random.RandomIdArgs{
		ByteLength: pulumi.Int(4),
		Keepers:    pulumi.StringMap{"rebuild": pulumi.String(strconv.FormatBool(rebuild))},
	}, append(opts, pulumi.Provider(provider))...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("final snapshot suffix: %w", err)
	}
	return id.Hex, nil
}
