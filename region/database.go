package region

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/config"
)

// DatabaseResourceName is the database's resource-name suffix. It is the
// same in both modes, with the same resource type, so that promoting a
// replica (replica -> writer) is an in-place update of one resource and
// never a delete-and-create.
const DatabaseResourceName = "db"

// creationOnlyInputs are the inputs only a writer is created with. A
// promoted replica never had them: when its config turns to writer mode the
// program sets them, and without ignoring them Pulumi would plan to replace
// the database to add a database name. They matter at creation only.
var creationOnlyInputs = []string{"dbName", "username", "password"}

// database builds the region's PostgreSQL instance: a writer, or a
// cross-region read replica of the peer's writer.
func (b *builder) database(net *network, key *kms.Key, cl *cluster) (*rds.Instance, error) {
	cfg := b.args.Database
	sg, err := ec2.NewSecurityGroup(b.ctx, b.child("db-sg"), &ec2.SecurityGroupArgs{
		VpcId:       net.vpc.ID(),
		Description: pulumi.String("TaskFlow database: PostgreSQL from the worker nodes only"),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Description:    pulumi.String("PostgreSQL from TaskFlow nodes"),
			Protocol:       pulumi.String("tcp"),
			FromPort:       pulumi.Int(cfg.Port),
			ToPort:         pulumi.Int(cfg.Port),
			SecurityGroups: pulumi.StringArray{cl.nodeSecurityGroup.ID()},
		}},
		Tags: b.nameTag("db-sg"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: database security group: %w", b.name, err)
	}
	subnets, err := rds.NewSubnetGroup(b.ctx, b.child("db-subnets"), &rds.SubnetGroupArgs{
		Description: pulumi.String("TaskFlow database: private subnets"),
		SubnetIds:   net.privateSubnetIds(),
		Tags:        b.nameTag("db-subnets"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: database subnet group: %w", b.name, err)
	}
	params, err := rds.NewParameterGroup(b.ctx, b.child("db-params"), &rds.ParameterGroupArgs{
		Family:      pulumi.String(ParameterGroupFamily(cfg.EngineVersion)),
		Description: pulumi.String("TaskFlow database: TLS only"),
		Parameters: rds.ParameterGroupParameterArray{
			rds.ParameterGroupParameterArgs{Name: pulumi.String("rds.force_ssl"), Value: pulumi.String("1")},
		},
		Tags: b.nameTag("db-params"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: database parameter group: %w", b.name, err)
	}

	args := &rds.InstanceArgs{
		Engine:                             pulumi.String("postgres"),
		EngineVersion:                      pulumi.String(cfg.EngineVersion),
		InstanceClass:                      cfg.InstanceClass,
		StorageType:                        pulumi.String("gp3"),
		AllocatedStorage:                   pulumi.Int(cfg.AllocatedStorage),
		StorageEncrypted:                   pulumi.Bool(true),
		KmsKeyId:                           key.Arn,
		Port:                               pulumi.Int(cfg.Port),
		DbSubnetGroupName:                  subnets.Name,
		VpcSecurityGroupIds:                pulumi.StringArray{sg.ID()},
		ParameterGroupName:                 params.Name,
		PubliclyAccessible:                 pulumi.Bool(false),
		MultiAz:                            pulumi.Bool(cfg.MultiAZEnabled()),
		BackupRetentionPeriod:              pulumi.Int(cfg.BackupRetentionDays),
		CopyTagsToSnapshot:                 pulumi.Bool(true),
		DeletionProtection:                 pulumi.Bool(!cfg.Rebuild),
		SkipFinalSnapshot:                  pulumi.Bool(false),
		PerformanceInsightsEnabled:         pulumi.Bool(true),
		PerformanceInsightsKmsKeyId:        key.Arn,
		PerformanceInsightsRetentionPeriod: pulumi.Int(7),
		AutoMinorVersionUpgrade:            pulumi.Bool(true),
		ApplyImmediately:                   pulumi.Bool(true),
		EnabledCloudwatchLogsExports:       pulumi.ToStringArray([]string{"postgresql"}),
		Tags:                               b.nameTag(DatabaseResourceName),
	}
	if cfg.MaxAllocatedStorage > 0 {
		args.MaxAllocatedStorage = pulumi.Int(cfg.MaxAllocatedStorage)
	}
	switch cfg.Mode {
	case config.ModeWriter:
		args.DbName = pulumi.String(cfg.Name)
		args.Username = pulumi.String(cfg.Username)
		if cfg.MasterPassword != nil {
			args.Password = cfg.MasterPassword
		}
	case config.ModeReplica:
		if cfg.ReplicateSourceArn == nil {
			return nil, fmt.Errorf("region %s: database in replica mode needs the peer writer's ARN", b.name)
		}
		args.ReplicateSourceDb = cfg.ReplicateSourceArn
	default:
		return nil, fmt.Errorf("region %s: database mode %q is neither writer nor replica", b.name, cfg.Mode)
	}
	// The final snapshot a deletion leaves behind: named after the cluster
	// and a suffix that changes with every rebuild, so that the second
	// failback of a stack does not collide with the first one's snapshot.
	args.FinalSnapshotIdentifier = pulumi.Sprintf("%s-db-final-%s", b.args.ClusterName, cfg.FinalSnapshotSuffix)

	db, err := rds.NewInstance(b.ctx, b.child(DatabaseResourceName), args, b.opts(
		// A plain `pulumi up` never deletes or replaces the database; the
		// failback runbook's explicit rebuild step lifts this (database.rebuild).
		pulumi.Protect(!cfg.Rebuild),
		pulumi.IgnoreChanges(creationOnlyInputs),
	)...)
	if err != nil {
		return nil, fmt.Errorf("region %s: database: %w", b.name, err)
	}
	return db, nil
}

// ParameterGroupFamily maps an engine version ("16.8") to its parameter
// group family ("postgres16").
func ParameterGroupFamily(engineVersion string) string {
	major, _, _ := strings.Cut(engineVersion, ".")
	return "postgres" + major
}
