// Package replication is TaskFlow DR's cross-region copies of what is not
// a database: container images (ECR replication with a creation template)
// and the database credentials (a multi-region secret).
package replication

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
)

// SecretName is the secret's physical name: pinned, because the replica in
// the peer region carries the same name and the apps of both regions look
// it up by it.
const SecretName = "taskflow/db"

// DatabaseSecretArgs is what goes into the secret, and where.
type DatabaseSecretArgs struct {
	Username string
	Password pulumi.StringInput
	Port     int
	DbName   string
	// KmsKeyArn encrypts the home copy (this region's key).
	KmsKeyArn pulumi.StringInput
	// ReplicaRegion is the peer region the secret is replicated to.
	ReplicaRegion string
}

// DatabaseSecret is the multi-region secret holding the database
// credentials. It holds credentials only, never a host: the host is
// regional and comes from each region's ConfigMap, so the same secret is
// right in both regions.
type DatabaseSecret struct {
	pulumi.ResourceState

	// Arn is the home (this region's) copy.
	Arn pulumi.StringOutput `pulumi:"arn"`
	// ReplicaArn is the copy in the peer region: same name and suffix,
	// other region, as Secrets Manager names replicas.
	ReplicaArn pulumi.StringOutput `pulumi:"replicaArn"`
}

// NewDatabaseSecret creates the secret and its replica. The replica is
// encrypted with the peer region's AWS-managed Secrets Manager key: the
// peer's own key does not exist when the primary is first deployed (the
// standby comes second), and a replica cannot name a key in another stack.
func NewDatabaseSecret(ctx *pulumi.Context, name string, args *DatabaseSecretArgs, opts ...pulumi.ResourceOption) (*DatabaseSecret, error) {
	c := &DatabaseSecret{}
	if err := component.Register(ctx, "DatabaseSecret", name, c, opts...); err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(c)}
	secret, err := secretsmanager.NewSecret(ctx, name+"-secret", &secretsmanager.SecretArgs{
		Name:                 pulumi.String(SecretName),
		Description:          pulumi.String("TaskFlow database credentials (no host: the host is regional, see the taskflow-region ConfigMap)"),
		KmsKeyId:             args.KmsKeyArn,
		RecoveryWindowInDays: pulumi.Int(30),
		Replicas: secretsmanager.SecretReplicaArray{secretsmanager.SecretReplicaArgs{
			Region: pulumi.String(args.ReplicaRegion),
		}},
	}, child...)
	if err != nil {
		return nil, fmt.Errorf("database secret %s: %w", name, err)
	}
	value := args.Password.ToStringOutput().ApplyT(func(password string) (string, error) {
		return CredentialsJSON(args.Username, password, args.Port, args.DbName)
	}).(pulumi.StringOutput)
	if _, err := secretsmanager.NewSecretVersion(ctx, name+"-value", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(value).(pulumi.StringOutput),
	}, child...); err != nil {
		return nil, fmt.Errorf("database secret %s value: %w", name, err)
	}
	c.Arn = secret.Arn
	c.ReplicaArn = secret.Arn.ApplyT(func(arn string) (string, error) {
		return ReplicaSecretArn(arn, args.ReplicaRegion)
	}).(pulumi.StringOutput)
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// CredentialsJSON is the secret's value, in the shape RDS's own secrets
// use so that standard tooling (and the rotation lambdas) read it — minus
// the host.
func CredentialsJSON(username, password string, port int, dbName string) (string, error) {
	b, err := json.Marshal(map[string]any{
		"engine":   "postgres",
		"username": username,
		"password": password,
		"port":     port,
		"dbname":   dbName,
	})
	if err != nil {
		return "", fmt.Errorf("encode database credentials: %w", err)
	}
	return string(b), nil
}

// ReplicaSecretArn is the ARN of a secret's replica in another region:
// Secrets Manager keeps the name and the random suffix and changes only the
// region field.
func ReplicaSecretArn(arn, region string) (string, error) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[2] != "secretsmanager" {
		return "", fmt.Errorf("%q is not a Secrets Manager secret ARN", arn)
	}
	parts[3] = region
	return strings.Join(parts, ":"), nil
}
