package replication

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/internal/pulumimock"
	"github.com/taskflow/taskflow-dr/policy"
)

// providers are the two the primary has: its own region (passed to the
// component in opts) and the peer's (named in the args).
type providers struct{ own, peer *aws.Provider }

func build(t *testing.T, fn func(ctx *pulumi.Context, p providers) error) *pulumimock.Recorder {
	t.Helper()
	m := pulumimock.New("primary", "eu-west-1", nil)
	require.NoError(t, m.Run(nil, func(ctx *pulumi.Context) error {
		var p providers
		var err error
		if p.own, err = aws.NewProvider(ctx, "aws-eu-west-1", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")}); err != nil {
			return err
		}
		if p.peer, err = aws.NewProvider(ctx, "aws-eu-central-1", &aws.ProviderArgs{Region: pulumi.String("eu-central-1")}); err != nil {
			return err
		}
		return fn(ctx, p)
	}))
	return m
}

func await(ctx *pulumi.Context, into *string, out pulumi.StringOutput) error {
	v, err := pulumimock.Await(ctx, out)
	if err != nil {
		return err
	}
	*into = v.(string)
	return nil
}

func images(t *testing.T, withTemplate bool) (*pulumimock.Recorder, string, string) {
	t.Helper()
	var dest, prefix string
	m := build(t, func(ctx *pulumi.Context, p providers) error {
		args := &ImageReplicationArgs{RegistryId: pulumi.String(pulumimock.Account), PeerRegion: "eu-central-1"}
		if withTemplate {
			args.Template = &TemplateArgs{PeerProvider: p.peer, RoleName: "taskflow-dr-primary-ecr-template"}
		}
		c, err := NewImageReplication(ctx, "taskflow-images", args, pulumi.Provider(p.own))
		if err != nil {
			return err
		}
		if err := await(ctx, &dest, c.Destination); err != nil {
			return err
		}
		return await(ctx, &prefix, c.TemplatePrefix)
	})
	return m, dest, prefix
}

// TestReplicationCopiesOurRepositoriesToThePeer: one rule to this
// account's registry in the peer region, filtered by PREFIX_MATCH, which
// matches every repository name that starts with the filter
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RepositoryFilter.html).
func TestReplicationCopiesOurRepositoriesToThePeer(t *testing.T) {
	m, dest, _ := images(t, false)
	cfg := m.One(t, "aws:ecr/replicationConfiguration:ReplicationConfiguration")
	assert.Equal(t, "eu-west-1", m.ProviderRegion(cfg), "the registry's configuration lives in the source region")
	rules := cfg.Inputs["replicationConfiguration"].ObjectValue()["rules"].ArrayValue()
	require.Len(t, rules, 1)
	rule := rules[0].ObjectValue()
	dests := rule["destinations"].ArrayValue()
	require.Len(t, dests, 1)
	assert.Equal(t, "eu-central-1", dests[0].ObjectValue()["region"].StringValue())
	assert.Equal(t, pulumimock.Account, dests[0].ObjectValue()["registryId"].StringValue())
	filters := rule["repositoryFilters"].ArrayValue()
	require.Len(t, filters, 1)
	filter := filters[0].ObjectValue()
	assert.Equal(t, "PREFIX_MATCH", filter["filterType"].StringValue())
	// Our repositories start with it (region_test.go checks their names).
	assert.Equal(t, RepositoryPrefix, filter["filter"].StringValue())
	assert.Equal(t, "eu-central-1", dest)
	assert.Empty(t, m.ByType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"), "the standby's replication needs no template")
	assert.Empty(t, m.ByType("aws:iam/role:Role"))
}

// TestCreationTemplateInThePeerRegion: the primary puts the template where
// replication will create repositories, through the peer provider, before
// the replication configuration exists, so even the first replicated push
// gets immutable tags and KMS. KMS in a template needs a role ECR assumes
// ("Required if using repository tags or KMS encryption":
// pulumi-aws@v6.83.4:sdk/go/aws/ecr/repositoryCreationTemplate.go:126;
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html).
func TestCreationTemplateInThePeerRegion(t *testing.T) {
	m, _, prefix := images(t, true)
	tpl := m.One(t, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
	assert.Equal(t, "eu-central-1", m.ProviderRegion(tpl), "through the peer provider")
	in := tpl.Inputs
	assert.Equal(t, RepositoryPrefix, in["prefix"].StringValue())
	assert.Equal(t, RepositoryPrefix, prefix)
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty("REPLICATION")}, in["appliedFors"].ArrayValue())
	assert.Equal(t, "IMMUTABLE", in["imageTagMutability"].StringValue())
	enc := in["encryptionConfigurations"].ArrayValue()
	require.Len(t, enc, 1)
	assert.Equal(t, "KMS", enc[0].ObjectValue()["encryptionType"].StringValue())
	assert.NotContains(t, enc[0].ObjectValue(), resource.PropertyKey("kmsKey"),
		"the peer region's AWS-managed ECR key: the standby's own key does not exist yet")
	lifecycle, err := policy.ImageLifecycle()
	require.NoError(t, err)
	assert.JSONEq(t, lifecycle, in["lifecyclePolicy"].StringValue(), "the same lifecycle as the repositories we create")

	role := m.One(t, "aws:iam/role:Role")
	assert.Equal(t, role.Outputs["arn"].StringValue(), in["customRoleArn"].StringValue())
	assert.Equal(t, "taskflow-dr-primary-ecr-template", role.Inputs["name"].StringValue())
	var trust map[string]any
	require.NoError(t, json.Unmarshal([]byte(role.Inputs["assumeRolePolicy"].StringValue()), &trust))
	assert.Equal(t, map[string]any{"Service": "ecr.amazonaws.com"}, trust["Statement"].([]any)[0].(map[string]any)["Principal"])
	perms := m.One(t, "aws:iam/rolePolicy:RolePolicy").Inputs["policy"].StringValue()
	for _, action := range []string{"ecr:CreateRepository", "ecr:ReplicateImage", "kms:CreateGrant", "kms:GenerateDataKey*"} {
		assert.Contains(t, perms, `"`+action+`"`)
	}

	cfg := m.One(t, "aws:ecr/replicationConfiguration:ReplicationConfiguration")
	dependsOnTemplate := false
	for _, dep := range cfg.Dependencies {
		dependsOnTemplate = dependsOnTemplate || strings.HasSuffix(dep, "::"+tpl.Name)
	}
	assert.True(t, dependsOnTemplate, "replication starts only once the template exists: %v", cfg.Dependencies)
}

// TestDatabaseSecretIsReplicatedWithoutHost: one secret, encrypted with the
// region's key, replicated to the peer region (whose copy uses that
// region's AWS-managed key: the peer's own key does not exist yet); its
// value holds credentials in RDS's secret shape, never a host, and is a
// secret in state. The replica's ARN is the home ARN with the peer region:
// same name and suffix
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html).
func TestDatabaseSecretIsReplicatedWithoutHost(t *testing.T) {
	const key = "arn:aws:kms:eu-west-1:123456789012:key/regional"
	var arn, replica string
	m := build(t, func(ctx *pulumi.Context, p providers) error {
		s, err := NewDatabaseSecret(ctx, "taskflow-db-secret", &DatabaseSecretArgs{
			Username: "taskflow_admin", Password: pulumi.ToSecret(pulumi.String("s3cr3t!#")).(pulumi.StringOutput),
			Port: 5432, DbName: "taskflow", KmsKeyArn: pulumi.String(key), ReplicaRegion: "eu-central-1",
		}, pulumi.Provider(p.own))
		if err != nil {
			return err
		}
		if err := await(ctx, &arn, s.Arn); err != nil {
			return err
		}
		return await(ctx, &replica, s.ReplicaArn)
	})
	secret := m.One(t, "aws:secretsmanager/secret:Secret")
	assert.Equal(t, "eu-west-1", m.ProviderRegion(secret))
	assert.Equal(t, SecretName, secret.Inputs["name"].StringValue())
	assert.Equal(t, key, secret.Inputs["kmsKeyId"].StringValue())
	replicas := secret.Inputs["replicas"].ArrayValue()
	require.Len(t, replicas, 1)
	assert.Equal(t, resource.PropertyMap{"region": resource.NewStringProperty("eu-central-1")}, replicas[0].ObjectValue(),
		"no key named: the peer region's AWS-managed key")

	value := m.One(t, "aws:secretsmanager/secretVersion:SecretVersion").Inputs["secretString"]
	require.True(t, value.IsSecret(), "the credentials are a secret in state")
	var creds map[string]any
	require.NoError(t, json.Unmarshal([]byte(value.SecretValue().Element.StringValue()), &creds))
	assert.Equal(t, map[string]any{"engine": "postgres", "username": "taskflow_admin", "password": "s3cr3t!#", "port": 5432.0, "dbname": "taskflow"}, creds,
		"no host: each region's ConfigMap has its own")

	assert.Equal(t, secret.Outputs["arn"].StringValue(), arn)
	assert.Equal(t, "arn:aws:secretsmanager:eu-central-1:123456789012:secret:taskflow/db-AbC123", replica)
}

func TestReplicaSecretArn(t *testing.T) {
	got, err := ReplicaSecretArn("arn:aws:secretsmanager:eu-west-1:123456789012:secret:taskflow/db-AbC123", "eu-central-1")
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:secretsmanager:eu-central-1:123456789012:secret:taskflow/db-AbC123", got)
	// A name with colons keeps them (the resource part is everything after
	// the sixth colon).
	got, err = ReplicaSecretArn("arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:a:b-AbC123", "cn-northwest-1")
	require.NoError(t, err)
	assert.Equal(t, "arn:aws-cn:secretsmanager:cn-northwest-1:123456789012:secret:a:b-AbC123", got)
	for _, bad := range []string{"taskflow/db", "arn:aws:rds:eu-west-1:123456789012:db:x", ""} {
		_, err := ReplicaSecretArn(bad, "eu-central-1")
		assert.Error(t, err, bad)
	}
}
