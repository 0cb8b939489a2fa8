package region

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/config"
)

// DatabaseResourceName is the database's resource-name suffix. It is the
// same in both modes, with the same resource type, so that promoting a
// replica (replica -> writer) is an in-place update of one resource and
// never a delete-and-create.
const DatabaseResourceName = "db"

// CreationOnlyInputs are the inputs only a writer is created with. A
// promoted replica never had them ("Cannot be specified for a replica":
// pulumi-aws@v6.83.4:sdk/go/aws/rds/instance.go:486, 668), and dbName forces a
// replacement, so without ignoring them the failover's reconcile would plan
// to replace the promoted database. They are ignored in both modes: the
// engine never carries ignored values into a replacement, neither a
// targeted `--replace` (it checks the program's inputs:
// pulumi/pulumi@v3.274.1:pkg/resource/deploy/step_generator.go:1421-1428)
// nor one a diff triggers (the same file, 2104-2121), so the failback's
// rebuilt replica never inherits the old writer's dbName or username.
var CreationOnlyInputs = []string{"dbName", "username", "password"}

// passwordSpecials are the punctuation characters RDS accepts in a master
// password (it refuses '/', '@', '"' and spaces).
const passwordSpecials = "!#$%&*()-_=+[]{}<>:?"

type database struct {
	instance *rds.Instance
	// source is the writer a replica follows, "" for a writer.
	source pulumi.StringOutput
	// password is the generated master password on the stack that owns
	// the credentials, "" elsewhere (secret).
	password pulumi.StringOutput
}

// database builds the region's PostgreSQL instance: a writer, or a
// cross-region read replica of the peer's writer.
func (b *builder) database(net *network, key *kms.Key, cl *cluster) (*database, error) {
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
		Family:      pulumi.String(ParameterGroupFamily(cfg.Database)),
		Description: pulumi.String("TaskFlow database: TLS only"),
		Parameters: rds.ParameterGroupParameterArray{
			rds.ParameterGroupParameterArgs{Name: pulumi.String("rds.force_ssl"), Value: pulumi.String("1")},
		},
		Tags: b.nameTag("db-params"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: database parameter group: %w", b.name, err)
	}
	identifier := InstanceIdentifier(b.args.ClusterName)
	// RDS exports PostgreSQL logs to this group; created first for its
	// retention and key. The identifier is pinned for that reason
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html:
	// /aws/rds/instance/<identifier>/postgresql).
	logs, err := b.logGroup("db-logs", "/aws/rds/instance/"+identifier+"/postgresql", key)
	if err != nil {
		return nil, err
	}

	args := &rds.InstanceArgs{
		Identifier:                         pulumi.String(identifier),
		Engine:                             pulumi.String("postgres"),
		EngineVersion:                      pulumi.String(cfg.EngineVersion),
		AutoMinorVersionUpgrade:            pulumi.Bool(cfg.AutoMinorVersionUpgrade),
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
		PerformanceInsightsEnabled:         pulumi.Bool(true),
		PerformanceInsightsKmsKeyId:        key.Arn,
		PerformanceInsightsRetentionPeriod: pulumi.Int(7),
		ApplyImmediately:                   pulumi.Bool(true),
		EnabledCloudwatchLogsExports:       pulumi.ToStringArray([]string{"postgresql"}),
		Tags:                               b.nameTag(DatabaseResourceName),
	}
	if cfg.BackupWindow != "" {
		args.BackupWindow = pulumi.String(cfg.BackupWindow)
	}
	if cfg.MaxAllocatedStorage > 0 {
		args.MaxAllocatedStorage = pulumi.Int(cfg.MaxAllocatedStorage)
	}
	db := &database{source: pulumi.String("").ToStringOutput(), password: pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)}
	if cfg.OwnsCredentials {
		if db.password, err = b.masterPassword(); err != nil {
			return nil, err
		}
	}
	switch cfg.Mode {
	case config.ModeWriter:
		args.DbName = pulumi.String(cfg.Name)
		args.Username = pulumi.String(cfg.Username)
		if cfg.OwnsCredentials {
			args.Password = db.password
		}
		// Only a writer leaves a final snapshot, under a name of its own
		// per rebuild so the second failback does not collide with the
		// first one's (DBSnapshotAlreadyExists).
		suffix, err := b.finalSnapshotSuffix()
		if err != nil {
			return nil, err
		}
		args.SkipFinalSnapshot = pulumi.Bool(false)
		args.FinalSnapshotIdentifier = pulumi.Sprintf("%s-final-%s", identifier, suffix)
	case config.ModeReplica:
		if cfg.ReplicateSourceArn == nil {
			return nil, fmt.Errorf("region %s: database in replica mode needs the peer writer's ARN", b.name)
		}
		args.ReplicateSourceDb = cfg.ReplicateSourceArn
		db.source = cfg.ReplicateSourceArn.ToStringOutput()
		// RDS refuses a final snapshot identifier when deleting a read
		// replica ("Must not be provided when deleting a read replica":
		// pulumi-aws@v6.83.4:sdk/go/aws/rds/instance.go:527;
		// hashicorp/terraform-provider-aws#4276): a replica's data is its
		// writer's.
		args.SkipFinalSnapshot = pulumi.Bool(true)
	default:
		return nil, fmt.Errorf("region %s: database mode %q is neither writer nor replica", b.name, cfg.Mode)
	}

	instance, err := rds.NewInstance(b.ctx, b.child(DatabaseResourceName), args, b.opts(
		// A plain `pulumi up` never deletes or replaces the database; the
		// failback runbook's explicit rebuild step lifts this (database.rebuild).
		pulumi.Protect(!cfg.Rebuild),
		pulumi.IgnoreChanges(CreationOnlyInputs),
		// The pinned identifier cannot exist twice: a rebuild deletes the
		// old instance (after the runbook's snapshot, and the writer's own
		// final snapshot) before creating the replica.
		pulumi.DeleteBeforeReplace(true),
		pulumi.Timeouts(&pulumi.CustomTimeouts{
			Create: cfg.CreateTimeout.String(),
			Update: cfg.UpdateTimeout.String(),
			Delete: cfg.DeleteTimeout.String(),
		}),
		pulumi.DependsOn([]pulumi.Resource{logs}),
	)...)
	if err != nil {
		return nil, fmt.Errorf("region %s: database: %w", b.name, err)
	}
	db.instance = instance
	return db, nil
}

// masterPassword generates the writer's master password. Nobody types it:
// the random provider keeps it as a secret in state, it reaches the
// database and the secret only as secret inputs, and apps read it from
// Secrets Manager.
func (b *builder) masterPassword() (pulumi.StringOutput, error) {
	pw, err := random.NewRandomPassword(b.ctx, b.child("db-password"), &random.RandomPasswordArgs{
		Length:          pulumi.Int(32),
		Special:         pulumi.Bool(true),
		OverrideSpecial: pulumi.String(passwordSpecials),
		MinLower:        pulumi.Int(2),
		MinUpper:        pulumi.Int(2),
		MinNumeric:      pulumi.Int(2),
		MinSpecial:      pulumi.Int(2),
	}, b.opts()...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("region %s: database master password: %w", b.name, err)
	}
	return pulumi.ToSecret(pw.Result).(pulumi.StringOutput), nil
}

// finalSnapshotSuffix is a random suffix for the writer's final snapshot,
// drawn anew whenever database.rebuild changes: every rebuild's deletion
// leaves a snapshot of its own name.
func (b *builder) finalSnapshotSuffix() (pulumi.StringOutput, error) {
	id, err := random.NewRandomId(b.ctx, b.child("db-final-snapshot"), &random.RandomIdArgs{
		ByteLength: pulumi.Int(4),
		Keepers:    pulumi.StringMap{"rebuild": pulumi.String(strconv.FormatBool(b.args.Database.Rebuild))},
	}, b.opts()...)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("region %s: final snapshot suffix: %w", b.name, err)
	}
	return id.Hex, nil
}

// InstanceIdentifier is the database's identifier: one per stack.
func InstanceIdentifier(clusterName string) string { return clusterName + "-db" }

// ParameterGroupFamily maps the engine version ("17" or "17.6") to its
// parameter group family ("postgres17").
func ParameterGroupFamily(db config.Database) string { return "postgres" + db.Major() }
