package cloud

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
)

// RDS instance statuses the lab uses
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status).
const (
	statusAvailable = "available"
	statusCreating  = "creating"
	statusModifying = "modifying"
	statusRebooting = "rebooting"
	statusBackingUp = "backing-up"
	statusDeleting  = "deleting"
	statusFailed    = "failed"
)

type rdsState struct {
	instances map[string]*dbInstance // by lower-case identifier
	snapshots map[string]*dbSnapshot // by lower-case identifier
}

func newRDSState() *rdsState {
	return &rdsState{instances: map[string]*dbInstance{}, snapshots: map[string]*dbSnapshot{}}
}

// dbInstance is an RDS instance and the PostgreSQL cluster behind it.
type dbInstance struct {
	region string
	shape  DBInstance // the described members; status and replication are kept here too
	data   *pg.Cluster
	// source is the instance this one replicates; nil for a writer.
	source   *dbInstance
	replicas []*dbInstance
	// replay is the latest sample of the replica's replication.
	replay     pg.ReplayState
	replayAt   time.Time
	replayErr  error
	promoting  bool
	internalAt time.Time // RDS's own last write on a writer
	deleted    bool
}

func (d *dbInstance) id() string  { return *d.shape.DBInstanceIdentifier }
func (d *dbInstance) arn() string { return *d.shape.DBInstanceArn }
func (d *dbInstance) status() string {
	return deref(d.shape.DBInstanceStatus)
}
func (d *dbInstance) setStatus(s string) { d.shape.DBInstanceStatus = ptr(s) }

type dbSnapshot struct {
	shape DBSnapshot
	file  string
}

func (c *Cloud) registerRDS() {
	register(c, "rds", "CreateDBInstance", false, c.rdsCreateDBInstance)
	register(c, "rds", "CreateDBInstanceReadReplica", false, c.rdsCreateReadReplica)
	register(c, "rds", "DescribeDBInstances", false, c.rdsDescribeDBInstances)
	register(c, "rds", "ModifyDBInstance", false, c.rdsModifyDBInstance)
	register(c, "rds", "PromoteReadReplica", false, c.rdsPromoteReadReplica)
	register(c, "rds", "DeleteDBInstance", false, c.rdsDeleteDBInstance)
	register(c, "rds", "CreateDBSnapshot", false, c.rdsCreateDBSnapshot)
	register(c, "rds", "DescribeDBSnapshots", false, c.rdsDescribeDBSnapshots)
	register(c, "rds", "DeleteDBSnapshot", false, c.rdsDeleteDBSnapshot)
}

// identifierRule is RDS's rule for instance and snapshot identifiers: 1 to
// 63 letters, digits or hyphens; first a letter; no trailing hyphen nor two
// consecutive hyphens; stored lower-case
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html,
// DBInstanceIdentifier constraints).
var identifierRule = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,62}$`)

func checkIdentifier(param, id string) *Error {
	if !identifierRule.MatchString(id) || strings.HasSuffix(id, "-") || strings.Contains(id, "--") {
		return errorf("InvalidParameterValue", "The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.", param)
	}
	return nil
}

// checkBackupWindow applies PreferredBackupWindow's constraints: hh24:mi-hh24:mi
// in UTC, at least 30 minutes
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html).
func checkBackupWindow(w string) *Error {
	from, to, ok := strings.Cut(w, "-")
	start, err1 := time.Parse("15:04", from)
	end, err2 := time.Parse("15:04", to)
	if !ok || err1 != nil || err2 != nil || len(from) != 5 || len(to) != 5 {
		return errorf("InvalidParameterValue", "The parameter PreferredBackupWindow must be in the format hh24:mi-hh24:mi.")
	}
	d := end.Sub(start)
	if d < 0 {
		d += 24 * time.Hour
	}
	if d < 30*time.Minute {
		return errorf("InvalidParameterValue", "The backup window must be at least 30 minutes.")
	}
	return nil
}

// checkRetention applies BackupRetentionPeriod's range, 0 to 35
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html).
func checkRetention(n int) *Error {
	if n < 0 || n > 35 {
		return errorf("InvalidParameterValue", "The parameter BackupRetentionPeriod must be between 0 and 35.")
	}
	return nil
}

// dbNotFound is RDS's DBInstanceNotFound (HTTP 404,
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html#API_DescribeDBInstances_Errors).
func dbNotFound(id string) *Error {
	return notFound("DBInstanceNotFound", "DBInstance %s not found.", id)
}

// parseDBArn splits arn:aws:rds:REGION:ACCOUNT:db:ID.
func parseDBArn(s string) (region, id string, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "rds" || parts[5] != "db" {
		return "", "", false
	}
	return parts[3], parts[6], true
}

// findDBLocked finds an instance by identifier or ARN in region; c.mu held.
func (c *Cloud) findDBLocked(region, idOrArn string) (*dbInstance, *Error) {
	id := idOrArn
	if r, aid, ok := parseDBArn(idOrArn); ok {
		if r != region {
			return nil, dbNotFound(idOrArn)
		}
		id = aid
	}
	db, ok := c.regions[region].rds.instances[strings.ToLower(id)]
	if !ok || db.deleted {
		return nil, dbNotFound(id)
	}
	return db, nil
}

// endpointHost is an RDS endpoint's address: the identifier, an
// account-and-region label, the region, rds.amazonaws.com
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Endpoint.html).
func (c *Cloud) endpointHost(region, id string) string {
	sum := sha256.Sum256([]byte(c.opts.Account + region))
	return fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", id, hex.EncodeToString(sum[:])[:11], region)
}

// defaultMinor is the minor version RDS picks for a major-only
// EngineVersion. The lab's choice of a minor RDS still creates (issue 9:
// RDS no longer creates 16.5–16.8); the data plane is PostgreSQL 15
// whatever the version says.
var defaultMinor = map[string]string{"15": "15.14", "16": "16.10", "17": "17.6"}

func resolveEngineVersion(v string) string {
	if m, ok := defaultMinor[v]; ok {
		return m
	}
	if v == "" {
		return defaultMinor["16"]
	}
	return v
}

func (c *Cloud) rdsCreateDBInstance(ctx context.Context, region string, in *CreateDBInstanceInput) (*DBInstanceOutput, error) {
	id := strings.ToLower(*in.DBInstanceIdentifier)
	if err := checkIdentifier("DBInstanceIdentifier", id); err != nil {
		return nil, err
	}
	if *in.Engine != "postgres" {
		return nil, errorf("InvalidParameterValue", "Invalid DB engine: %s (the lab runs PostgreSQL only)", *in.Engine)
	}
	// PostgreSQL needs a master user, its password (or a managed one) and
	// storage (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html:
	// MasterUsername, MasterUserPassword, AllocatedStorage "Required unless…").
	if deref(in.MasterUsername) == "" {
		return nil, errorf("InvalidParameterValue", "The parameter MasterUsername must be provided and must not be blank.")
	}
	if deref(in.MasterUserPassword) == "" && !deref(in.ManageMasterUserPassword) {
		return nil, errorf("InvalidParameterValue", "The parameter MasterUserPassword must be provided and must not be blank.")
	}
	if in.MasterUserPassword != nil && len(*in.MasterUserPassword) < 8 {
		return nil, errorf("InvalidParameterValue", "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.")
	}
	if in.AllocatedStorage == nil {
		return nil, errorf("InvalidParameterValue", "The parameter AllocatedStorage must be provided and must not be blank.")
	}
	// BackupRetentionPeriod defaults to 1 from the API.
	retention := 1
	if in.BackupRetentionPeriod != nil {
		retention = *in.BackupRetentionPeriod
	}
	if err := checkRetention(retention); err != nil {
		return nil, err
	}
	if w := deref(in.PreferredBackupWindow); w != "" {
		if err := checkBackupWindow(w); err != nil {
			return nil, err
		}
	}
	if err := c.checkKmsRegion(region, in.KmsKeyId); err != nil {
		return nil, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	rs := c.regions[region].rds
	if old, ok := rs.instances[id]; ok && !old.deleted {
		return nil, errorf("DBInstanceAlreadyExists", "DB instance already exists")
	}
	now := time.Now()
	db := &dbInstance{region: region}
	port := deref(in.Port)
	if port == 0 {
		port = 5432
	}
	s := &db.shape
	s.DBInstanceIdentifier = ptr(id)
	s.DBInstanceArn = ptr(fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", region, c.opts.Account, id))
	s.DbiResourceId = ptr(fmt.Sprintf("db-%s", strings.ToUpper(randomID(26))))
	s.DBInstanceClass = in.DBInstanceClass
	s.Engine = in.Engine
	s.EngineVersion = ptr(resolveEngineVersion(deref(in.EngineVersion)))
	s.DBName = in.DBName
	s.MasterUsername = in.MasterUsername
	s.AllocatedStorage = in.AllocatedStorage
	s.MaxAllocatedStorage = in.MaxAllocatedStorage
	s.BackupRetentionPeriod = ptr(retention)
	s.PreferredBackupWindow = orDefault(in.PreferredBackupWindow, "03:00-03:30")
	s.PreferredMaintenanceWindow = orDefault(in.PreferredMaintenanceWindow, "sun:05:00-sun:05:30")
	s.MultiAZ = ptr(deref(in.MultiAZ))
	s.AutoMinorVersionUpgrade = ptr(in.AutoMinorVersionUpgrade == nil || *in.AutoMinorVersionUpgrade)
	s.StorageType = orDefault(in.StorageType, "gp2")
	s.StorageEncrypted = ptr(deref(in.StorageEncrypted))
	if deref(in.StorageEncrypted) {
		s.KmsKeyId = orDefault(in.KmsKeyId, fmt.Sprintf("arn:aws:kms:%s:%s:key/aws-rds-default", region, c.opts.Account))
	}
	c.applyCommonCreate(db, region, commonCreate{
		class: in.DBInstanceClass, az: in.AvailabilityZone, port: port, sgs: in.VpcSecurityGroupIds,
		subnetGroup: in.DBSubnetGroupName, paramGroup: in.DBParameterGroupName, optionGroup: in.OptionGroupName,
		public: in.PubliclyAccessible, tags: in.Tags, copyTags: in.CopyTagsToSnapshot,
		monitoring: in.MonitoringInterval, monitoringRole: in.MonitoringRoleArn, iamAuth: in.EnableIAMDatabaseAuthentication,
		pi: in.EnablePerformanceInsights, piKey: in.PerformanceInsightsKMSKeyId, piRetention: in.PerformanceInsightsRetentionPeriod,
		logs: in.EnableCloudwatchLogsExports, protect: in.DeletionProtection, iops: in.Iops, throughput: in.StorageThroughput,
		ca: in.CACertificateIdentifier, network: in.NetworkType, license: in.LicenseModel,
	})
	s.InstanceCreateTime = At(now)
	db.setStatus(statusCreating)
	rs.instances[id] = db
	password := deref(in.MasterUserPassword)
	name := fmt.Sprintf("db%d", c.nextSeq())
	c.logf("rds %s: creating %s (writer)", region, id)
	c.background(func(ctx context.Context) { c.buildWriter(ctx, db, name, password) })
	return &DBInstanceOutput{DBInstance: c.describeDBLocked(db)}, nil
}

// commonCreate are the members CreateDBInstance and its replica variant share.
type commonCreate struct {
	class, az, subnetGroup, paramGroup, optionGroup, monitoringRole, piKey, ca, network, license *string
	port                                                                                         int
	sgs, logs                                                                                    []string
	public, copyTags, iamAuth, pi, protect                                                       *bool
	monitoring, piRetention, iops, throughput                                                    *int
	tags                                                                                         []Tag
}

func (c *Cloud) applyCommonCreate(db *dbInstance, region string, in commonCreate) {
	s := &db.shape
	if in.class != nil {
		s.DBInstanceClass = in.class
	}
	s.AvailabilityZone = orDefault(in.az, region+"a")
	s.Endpoint = &RDSEndpoint{Address: ptr(c.endpointHost(region, *s.DBInstanceIdentifier)), Port: ptr(in.port), HostedZoneId: ptr(rdsHostedZone(region))}
	s.DbInstancePort = ptr(0)
	for _, sg := range in.sgs {
		s.VpcSecurityGroups = append(s.VpcSecurityGroups, VpcSecurityGroupMember{VpcSecurityGroupId: ptr(sg), Status: ptr("active")})
	}
	s.DBSubnetGroup = &DBSubnetGroup{DBSubnetGroupName: orDefault(in.subnetGroup, "default"), SubnetGroupStatus: ptr("Complete")}
	s.DBParameterGroups = []DBParameterGroupStatus{{DBParameterGroupName: orDefault(in.paramGroup, "default.postgres16"), ParameterApplyStatus: ptr("in-sync")}}
	s.OptionGroupMemberships = []OptionGroupMembership{{OptionGroupName: orDefault(in.optionGroup, "default:postgres-16"), Status: ptr("in-sync")}}
	s.PubliclyAccessible = ptr(deref(in.public))
	s.TagList = append([]Tag(nil), in.tags...)
	s.CopyTagsToSnapshot = ptr(deref(in.copyTags))
	s.MonitoringInterval = ptr(deref(in.monitoring))
	s.MonitoringRoleArn = in.monitoringRole
	s.IAMDatabaseAuthenticationEnabled = ptr(deref(in.iamAuth))
	s.PerformanceInsightsEnabled = ptr(deref(in.pi))
	if deref(in.pi) {
		s.PerformanceInsightsKMSKeyId = in.piKey
		s.PerformanceInsightsRetentionPeriod = ptr(7)
		if in.piRetention != nil {
			s.PerformanceInsightsRetentionPeriod = in.piRetention
		}
	}
	s.EnabledCloudwatchLogsExports = append([]string(nil), in.logs...)
	s.DeletionProtection = ptr(deref(in.protect))
	s.Iops = in.iops
	s.StorageThroughput = in.throughput
	s.CACertificateIdentifier = orDefault(in.ca, "rds-ca-rsa2048-g1")
	s.NetworkType = orDefault(in.network, "IPV4")
	s.LicenseModel = orDefault(in.license, "postgresql-license")
}

// rdsHostedZone is the Route 53 zone of RDS endpoints in a region; the
// lab uses one label per region.
func rdsHostedZone(region string) string {
	sum := sha256.Sum256([]byte("rds-zone-" + region))
	return "Z" + strings.ToUpper(hex.EncodeToString(sum[:]))[:13]
}

func orDefault(p *string, def string) *string {
	if p == nil || *p == "" {
		return ptr(def)
	}
	return p
}

// checkKmsRegion refuses a KMS key ARN from another region: RDS encrypts
// with a key in the instance's own region, which is why a cross-region
// replica needs its own key
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html,
// KmsKeyId).
func (c *Cloud) checkKmsRegion(region string, key *string) *Error {
	k := deref(key)
	if !strings.HasPrefix(k, "arn:") {
		return nil
	}
	parts := strings.Split(k, ":")
	if len(parts) > 3 && parts[3] != region {
		return errorf("KMSKeyNotAccessibleFault", "The specified KMS key [%s] does not exist, is not enabled or you do not have permissions to access it.", k)
	}
	return nil
}

// buildWriter creates the PostgreSQL cluster of a new writer, its
// database and its master user.
func (c *Cloud) buildWriter(ctx context.Context, db *dbInstance, name, password string) {
	root := filepath.Join(c.opts.Dir, "pg")
	err := os.MkdirAll(root, 0o755)
	var cl *pg.Cluster
	if err == nil {
		var port int
		if port, err = pg.FreePort(); err == nil {
			cl, err = pg.NewWriter(ctx, root, name, port)
		}
	}
	if err == nil {
		err = initDatabase(ctx, cl, deref(db.shape.MasterUsername), password, deref(db.shape.DBName))
	}
	c.finishBuild(db, cl, err)
}

// initDatabase creates the master role and the initial database as RDS
// does at creation.
func initDatabase(ctx context.Context, cl *pg.Cluster, user, password, dbname string) error {
	if err := cl.Exec(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEDB CREATEROLE PASSWORD %s", quoteIdent(user), quoteLiteral(password))); err != nil {
		return err
	}
	if dbname != "" && dbname != "postgres" {
		return cl.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s OWNER %s", quoteIdent(dbname), quoteIdent(user)))
	}
	return nil
}

func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// finishBuild records the outcome of a background build.
func (c *Cloud) finishBuild(db *dbInstance, cl *pg.Cluster, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || db.deleted {
		if err != nil {
			c.logf("rds %s: %s failed: %v", db.region, db.id(), err)
			db.setStatus(statusFailed)
		}
		if cl != nil {
			if cerr := cl.Close(); cerr != nil {
				c.logf("rds %s: close %s: %v", db.region, db.id(), cerr)
			}
		}
		return
	}
	db.data = cl
	db.shape.DbInstancePort = ptr(0)
	db.setStatus(statusAvailable)
	c.logf("rds %s: %s available", db.region, db.id())
}

func (c *Cloud) rdsCreateReadReplica(ctx context.Context, region string, in *CreateDBInstanceReadReplicaInput) (*DBInstanceOutput, error) {
	id := strings.ToLower(*in.DBInstanceIdentifier)
	if err := checkIdentifier("DBInstanceIdentifier", id); err != nil {
		return nil, err
	}
	if err := c.checkKmsRegion(region, in.KmsKeyId); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rs := c.regions[region].rds
	if old, ok := rs.instances[id]; ok && !old.deleted {
		return nil, errorf("DBInstanceAlreadyExists", "DB instance already exists")
	}
	// A source in another region is named by its ARN; an identifier is
	// looked up in this region only
	// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html,
	// SourceDBInstanceIdentifier: "If the source DB instance is in a
	// different AWS Region, you must specify a valid DB instance ARN").
	srcRegion := region
	srcID := *in.SourceDBInstanceIdentifier
	if r, aid, ok := parseDBArn(srcID); ok {
		srcRegion, srcID = r, aid
	}
	if _, known := c.regions[srcRegion]; !known || c.down[srcRegion] {
		return nil, dbNotFound(*in.SourceDBInstanceIdentifier)
	}
	src, err := c.findDBLocked(srcRegion, srcID)
	if err != nil {
		return nil, dbNotFound(*in.SourceDBInstanceIdentifier)
	}
	if src.status() != statusAvailable || src.data == nil {
		return nil, errorf("InvalidDBInstanceState", "DB Instance %s is not in available state.", src.id())
	}
	// Read replicas need the source's automated backups
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Create.html:
	// "you must turn on automatic backups on the source DB instance").
	if deref(src.shape.BackupRetentionPeriod) == 0 {
		return nil, errorf("InvalidDBInstanceState", "Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.")
	}
	crossRegion := srcRegion != region
	// An encrypted source's cross-region replica needs a key in the
	// destination region (same page, KmsKeyId).
	if crossRegion && deref(src.shape.StorageEncrypted) && deref(in.KmsKeyId) == "" {
		return nil, errorf("InvalidParameterCombination", "Cross-region read replica of an encrypted DB instance requires KmsKeyId for the destination region %s.", region)
	}
	port := deref(in.Port)
	if port == 0 {
		port = deref(src.shape.Endpoint.Port)
	}
	db := &dbInstance{region: region, source: src}
	s := &db.shape
	s.DBInstanceIdentifier = ptr(id)
	s.DBInstanceArn = ptr(fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", region, c.opts.Account, id))
	s.DbiResourceId = ptr(fmt.Sprintf("db-%s", strings.ToUpper(randomID(26))))
	s.DBInstanceClass = src.shape.DBInstanceClass
	s.Engine = src.shape.Engine
	s.EngineVersion = src.shape.EngineVersion
	s.DBName = src.shape.DBName
	s.MasterUsername = src.shape.MasterUsername
	s.AllocatedStorage = src.shape.AllocatedStorage
	if in.AllocatedStorage != nil {
		s.AllocatedStorage = in.AllocatedStorage
	}
	s.MaxAllocatedStorage = in.MaxAllocatedStorage
	// A PostgreSQL replica has no automated backups of its own.
	s.BackupRetentionPeriod = ptr(0)
	s.PreferredBackupWindow = src.shape.PreferredBackupWindow
	s.PreferredMaintenanceWindow = ptr("sun:05:00-sun:05:30")
	s.MultiAZ = ptr(deref(in.MultiAZ))
	s.AutoMinorVersionUpgrade = ptr(in.AutoMinorVersionUpgrade == nil || *in.AutoMinorVersionUpgrade)
	s.StorageType = orDefault(in.StorageType, deref(src.shape.StorageType))
	s.StorageEncrypted = src.shape.StorageEncrypted
	if deref(src.shape.StorageEncrypted) {
		s.KmsKeyId = src.shape.KmsKeyId
		if in.KmsKeyId != nil {
			s.KmsKeyId = in.KmsKeyId
		}
	}
	c.applyCommonCreate(db, region, commonCreate{
		class: in.DBInstanceClass, az: in.AvailabilityZone, port: port, sgs: in.VpcSecurityGroupIds,
		subnetGroup: in.DBSubnetGroupName, paramGroup: in.DBParameterGroupName, optionGroup: in.OptionGroupName,
		public: in.PubliclyAccessible, tags: in.Tags, copyTags: in.CopyTagsToSnapshot,
		monitoring: in.MonitoringInterval, monitoringRole: in.MonitoringRoleArn, iamAuth: in.EnableIAMDatabaseAuthentication,
		pi: in.EnablePerformanceInsights, piKey: in.PerformanceInsightsKMSKeyId, piRetention: in.PerformanceInsightsRetentionPeriod,
		logs: in.EnableCloudwatchLogsExports, protect: in.DeletionProtection, iops: in.Iops, throughput: in.StorageThroughput,
		network: in.NetworkType,
	})
	s.InstanceCreateTime = At(time.Now())
	db.setStatus(statusCreating)
	rs.instances[id] = db
	src.replicas = append(src.replicas, db)
	name := fmt.Sprintf("db%d", c.nextSeq())
	srcCluster := src.data
	c.logf("rds %s: creating %s, replica of %s (%s)", region, id, src.arn(), srcRegion)
	c.background(func(ctx context.Context) { c.buildReplica(ctx, db, name, srcCluster, srcRegion) })
	return &DBInstanceOutput{DBInstance: c.describeDBLocked(db)}, nil
}

// buildReplica clones the source into a new PostgreSQL standby streaming
// from it, through the lab's replication path between the regions.
func (c *Cloud) buildReplica(ctx context.Context, db *dbInstance, name string, src *pg.Cluster, srcRegion string) {
	root := filepath.Join(c.opts.Dir, "pg")
	err := os.MkdirAll(root, 0o755)
	var cl *pg.Cluster
	if err == nil {
		var port int
		if port, err = pg.FreePort(); err == nil {
			addr := fmt.Sprintf("127.0.0.1:%d", src.Port)
			if c.opts.ReplicationPath != nil {
				addr, err = c.opts.ReplicationPath(srcRegion, db.region, addr)
			}
			if err == nil {
				cl, err = pg.NewReplicaVia(ctx, root, name, port, src, addr)
			}
		}
	}
	c.finishBuild(db, cl, err)
}

// describeDBLocked renders the instance as DescribeDBInstances shows it.
func (c *Cloud) describeDBLocked(db *dbInstance) *DBInstance {
	out := db.shape
	out.VpcSecurityGroups = append([]VpcSecurityGroupMember(nil), db.shape.VpcSecurityGroups...)
	out.TagList = append([]Tag(nil), db.shape.TagList...)
	out.EnabledCloudwatchLogsExports = append([]string(nil), db.shape.EnabledCloudwatchLogsExports...)
	if db.shape.Endpoint != nil {
		ep := *db.shape.Endpoint
		out.Endpoint = &ep
	}
	if db.shape.PendingModifiedValues != nil {
		p := *db.shape.PendingModifiedValues
		out.PendingModifiedValues = &p
	} else {
		out.PendingModifiedValues = &PendingModifiedValues{}
	}
	// A replica names its source by identifier in the same region and by
	// ARN across regions; a source lists its replicas the same way
	// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html).
	if src := db.source; src != nil {
		ref := src.id()
		if src.region != db.region {
			ref = src.arn()
		}
		out.ReadReplicaSourceDBInstanceIdentifier = ptr(ref)
		status, normal := "replicating", true
		if db.status() == statusAvailable && db.replayErr == nil && !db.replayAt.IsZero() && !db.replay.Streaming {
			status, normal = "error", false
		}
		out.StatusInfos = []DBInstanceStatusInfo{{StatusType: ptr("read replication"), Normal: ptr(normal), Status: ptr(status)}}
	}
	for _, r := range db.replicas {
		ref := r.id()
		if r.region != db.region {
			ref = r.arn()
		}
		out.ReadReplicaDBInstanceIdentifiers = append(out.ReadReplicaDBInstanceIdentifiers, ref)
	}
	if deref(db.shape.MultiAZ) {
		out.SecondaryAvailabilityZone = ptr(db.region + "b")
	}
	if db.status() == statusAvailable && deref(db.shape.BackupRetentionPeriod) > 0 {
		out.LatestRestorableTime = At(time.Now().Add(-5 * time.Minute))
	}
	return &out
}

func (c *Cloud) rdsDescribeDBInstances(_ context.Context, region string, in *DescribeDBInstancesInput) (*DescribeDBInstancesOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &DescribeDBInstancesOutput{DBInstances: []DBInstance{}}
	if id := deref(in.DBInstanceIdentifier); id != "" {
		db, err := c.findDBLocked(region, id)
		if err != nil {
			return nil, err
		}
		out.DBInstances = append(out.DBInstances, *c.describeDBLocked(db))
		return out, nil
	}
	var ids []string
	for id, db := range c.regions[region].rds.instances {
		if !db.deleted {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		out.DBInstances = append(out.DBInstances, *c.describeDBLocked(c.regions[region].rds.instances[id]))
	}
	return out, nil
}

func (c *Cloud) rdsModifyDBInstance(_ context.Context, region string, in *ModifyDBInstanceInput) (*DBInstanceOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	db, err := c.findDBLocked(region, *in.DBInstanceIdentifier)
	if err != nil {
		return nil, err
	}
	// Modifications need an available instance
	// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html#API_ModifyDBInstance_Errors,
	// InvalidDBInstanceState).
	if db.status() != statusAvailable {
		return nil, errorf("InvalidDBInstanceState", "Database instance is not in available state.")
	}
	if in.BackupRetentionPeriod != nil {
		if err := checkRetention(*in.BackupRetentionPeriod); err != nil {
			return nil, err
		}
		// "Can't be set to 0 if the DB instance is a source to read
		// replicas" (API_ModifyDBInstance.html, BackupRetentionPeriod).
		if *in.BackupRetentionPeriod == 0 && len(db.replicas) > 0 {
			return nil, errorf("InvalidParameterCombination", "Cannot set backup retention period to 0 for a DB instance that is the source of read replicas.")
		}
	}
	if w := deref(in.PreferredBackupWindow); w != "" {
		if err := checkBackupWindow(w); err != nil {
			return nil, err
		}
	}
	if in.MasterUserPassword != nil && len(*in.MasterUserPassword) < 8 {
		return nil, errorf("InvalidParameterValue", "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.")
	}
	s := &db.shape
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = v
		}
	}
	seti := func(dst **int, v *int) {
		if v != nil {
			*dst = v
		}
	}
	setb := func(dst **bool, v *bool) {
		if v != nil {
			*dst = v
		}
	}
	setb(&s.DeletionProtection, in.DeletionProtection)
	seti(&s.BackupRetentionPeriod, in.BackupRetentionPeriod)
	set(&s.PreferredBackupWindow, in.PreferredBackupWindow)
	set(&s.PreferredMaintenanceWindow, in.PreferredMaintenanceWindow)
	setb(&s.AutoMinorVersionUpgrade, in.AutoMinorVersionUpgrade)
	setb(&s.CopyTagsToSnapshot, in.CopyTagsToSnapshot)
	seti(&s.MonitoringInterval, in.MonitoringInterval)
	set(&s.MonitoringRoleArn, in.MonitoringRoleArn)
	setb(&s.PubliclyAccessible, in.PubliclyAccessible)
	setb(&s.IAMDatabaseAuthenticationEnabled, in.EnableIAMDatabaseAuthentication)
	setb(&s.PerformanceInsightsEnabled, in.EnablePerformanceInsights)
	set(&s.PerformanceInsightsKMSKeyId, in.PerformanceInsightsKMSKeyId)
	seti(&s.PerformanceInsightsRetentionPeriod, in.PerformanceInsightsRetentionPeriod)
	seti(&s.MaxAllocatedStorage, in.MaxAllocatedStorage)
	set(&s.CACertificateIdentifier, in.CACertificateIdentifier)
	set(&s.NetworkType, in.NetworkType)
	seti(&s.Iops, in.Iops)
	seti(&s.StorageThroughput, in.StorageThroughput)
	if in.VpcSecurityGroupIds != nil {
		s.VpcSecurityGroups = nil
		for _, sg := range in.VpcSecurityGroupIds {
			s.VpcSecurityGroups = append(s.VpcSecurityGroups, VpcSecurityGroupMember{VpcSecurityGroupId: ptr(sg), Status: ptr("active")})
		}
	}
	if in.DBParameterGroupName != nil {
		s.DBParameterGroups = []DBParameterGroupStatus{{DBParameterGroupName: in.DBParameterGroupName, ParameterApplyStatus: ptr("pending-reboot")}}
	}
	if cfg := in.CloudwatchLogsExportConfiguration; cfg != nil {
		logs := map[string]bool{}
		for _, l := range s.EnabledCloudwatchLogsExports {
			logs[l] = true
		}
		for _, l := range cfg.EnableLogTypes {
			logs[l] = true
		}
		for _, l := range cfg.DisableLogTypes {
			delete(logs, l)
		}
		s.EnabledCloudwatchLogsExports = nil
		for l := range logs {
			s.EnabledCloudwatchLogsExports = append(s.EnabledCloudwatchLogsExports, l)
		}
		sort.Strings(s.EnabledCloudwatchLogsExports)
	}
	immediate := deref(in.ApplyImmediately)
	// Without ApplyImmediately, class, storage, version and Multi-AZ
	// changes wait for the maintenance window as pending modified values
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.DBInstance.Modifying.html#USER_ModifyInstance.ApplyImmediately);
	// the lab never reaches a maintenance window.
	pending := func(apply func(p *PendingModifiedValues)) {
		if s.PendingModifiedValues == nil {
			s.PendingModifiedValues = &PendingModifiedValues{}
		}
		apply(s.PendingModifiedValues)
	}
	if in.DBInstanceClass != nil && *in.DBInstanceClass != deref(s.DBInstanceClass) {
		if immediate {
			s.DBInstanceClass = in.DBInstanceClass
		} else {
			pending(func(p *PendingModifiedValues) { p.DBInstanceClass = in.DBInstanceClass })
		}
	}
	if in.AllocatedStorage != nil && *in.AllocatedStorage != deref(s.AllocatedStorage) {
		if immediate {
			s.AllocatedStorage = in.AllocatedStorage
		} else {
			pending(func(p *PendingModifiedValues) { p.AllocatedStorage = in.AllocatedStorage })
		}
	}
	if in.StorageType != nil && *in.StorageType != deref(s.StorageType) {
		if immediate {
			s.StorageType = in.StorageType
		} else {
			pending(func(p *PendingModifiedValues) { p.StorageType = in.StorageType })
		}
	}
	if in.EngineVersion != nil && !strings.HasPrefix(deref(s.EngineVersion), *in.EngineVersion) {
		v := resolveEngineVersion(*in.EngineVersion)
		if major(v) != major(deref(s.EngineVersion)) && !deref(in.AllowMajorVersionUpgrade) {
			return nil, errorf("InvalidParameterCombination", "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.")
		}
		if immediate {
			s.EngineVersion = ptr(v)
		} else {
			pending(func(p *PendingModifiedValues) { p.EngineVersion = ptr(v) })
		}
	}
	if in.MultiAZ != nil && *in.MultiAZ != deref(s.MultiAZ) {
		switch {
		case !immediate:
			pending(func(p *PendingModifiedValues) { p.MultiAZ = in.MultiAZ })
		case *in.MultiAZ:
			// Converting to Multi-AZ: "modifying" while RDS snapshots the
			// instance and restores the standby, with no downtime
			// (https://repost.aws/knowledge-center/rds-convert-single-az-multi-az).
			db.setStatus(statusModifying)
			c.logf("rds %s: %s converting to Multi-AZ", region, db.id())
			c.background(func(ctx context.Context) {
				if !sleep(ctx, c.scaled(c.timings.MultiAZConversion)) {
					return
				}
				c.mu.Lock()
				defer c.mu.Unlock()
				if db.deleted {
					return
				}
				db.shape.MultiAZ = ptr(true)
				if db.status() == statusModifying {
					db.setStatus(statusAvailable)
				}
				c.logf("rds %s: %s is Multi-AZ", region, db.id())
			})
		default:
			s.MultiAZ = ptr(false)
		}
	}
	return &DBInstanceOutput{DBInstance: c.describeDBLocked(db)}, nil
}

func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

func (c *Cloud) rdsPromoteReadReplica(_ context.Context, region string, in *PromoteReadReplicaInput) (*DBInstanceOutput, error) {
	// Without BackupRetentionPeriod the promoted instance keeps backups for
	// 1 day ("Default: 1",
	// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html).
	retention := 1
	if in.BackupRetentionPeriod != nil {
		retention = *in.BackupRetentionPeriod
	}
	if err := checkRetention(retention); err != nil {
		return nil, err
	}
	if w := deref(in.PreferredBackupWindow); w != "" {
		if err := checkBackupWindow(w); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	db, err := c.findDBLocked(region, *in.DBInstanceIdentifier)
	if err != nil {
		return nil, err
	}
	// Only a read replica can be promoted: "Must match the identifier of
	// an existing read replica DB instance"; otherwise
	// InvalidDBInstanceState (same page, Errors). This is what refuses the
	// provider's second promotion after a command-line one
	// (issue 9 item 4; terraform-provider-aws internal/service/rds/instance.go
	// calls PromoteReadReplica whenever replicate_source_db is cleared).
	if db.source == nil {
		return nil, errorf("InvalidDBInstanceState", "DB Instance is not a read replica.")
	}
	// "a read replica cannot be promoted to a standalone instance when it
	// is in the backing-up status" (same page); nor in any state but
	// available.
	if db.status() != statusAvailable || db.promoting {
		return nil, errorf("InvalidDBInstanceState", "DB Instance %s is not in available state (%s).", db.id(), db.status())
	}
	db.promoting = true
	db.setStatus(statusModifying)
	window := in.PreferredBackupWindow
	c.logf("rds %s: promoting %s (backup retention %d)", region, db.id(), retention)
	c.background(func(ctx context.Context) { c.promote(ctx, db, retention, window) })
	return &DBInstanceOutput{DBInstance: c.describeDBLocked(db)}, nil
}

// promote runs a promotion: "modifying", then PostgreSQL is promoted and
// the instance reboots ("When you promote a read replica, RDS reboots the
// DB instance before making it available",
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html),
// then "available" as a standalone writer.
func (c *Cloud) promote(ctx context.Context, db *dbInstance, retention int, window *string) {
	if !sleep(ctx, c.scaled(c.timings.PromoteModifying)) {
		return
	}
	rebootStart := time.Now()
	err := db.data.Promote(ctx)
	c.mu.Lock()
	if err != nil {
		c.logf("rds %s: promote %s: %v", db.region, db.id(), err)
		db.setStatus(statusFailed)
		db.promoting = false
		c.mu.Unlock()
		return
	}
	c.detachReplicaLocked(db)
	db.shape.BackupRetentionPeriod = ptr(retention)
	if window != nil {
		db.shape.PreferredBackupWindow = window
	}
	db.setStatus(statusRebooting)
	cl := db.data
	c.mu.Unlock()
	// The reboot is a real restart: sessions drop as they do on RDS, and
	// nothing connects until it is over (an instant PostgreSQL restart
	// would accept writes for most of "rebooting", kinder than RDS).
	err = cl.Stop(ctx)
	if !sleep(ctx, c.scaled(c.timings.PromoteRebooting)-time.Since(rebootStart)) {
		return
	}
	err = errors.Join(err, cl.Start(ctx))
	c.mu.Lock()
	defer c.mu.Unlock()
	db.promoting = false
	if err != nil {
		c.logf("rds %s: reboot %s: %v", db.region, db.id(), err)
		db.setStatus(statusFailed)
		return
	}
	db.setStatus(statusAvailable)
	c.logf("rds %s: %s promoted, available", db.region, db.id())
}

// detachReplicaLocked makes db a standalone instance in the model.
func (c *Cloud) detachReplicaLocked(db *dbInstance) {
	if src := db.source; src != nil {
		for i, r := range src.replicas {
			if r == db {
				src.replicas = append(src.replicas[:i:i], src.replicas[i+1:]...)
				break
			}
		}
	}
	db.source = nil
	db.replay = pg.ReplayState{}
	db.replayAt = time.Time{}
}

func (c *Cloud) rdsDeleteDBInstance(_ context.Context, region string, in *DeleteDBInstanceInput) (*DBInstanceOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	db, err := c.findDBLocked(region, *in.DBInstanceIdentifier)
	if err != nil {
		return nil, err
	}
	if db.status() == statusDeleting {
		return nil, errorf("InvalidDBInstanceState", "Instance %s is already being deleted.", db.id())
	}
	// Deletion protection refuses the delete
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html#USER_DeletionProtection;
	// the error as terraform-provider-aws#26233 quotes it).
	if deref(db.shape.DeletionProtection) {
		return nil, errorf("InvalidParameterCombination", "Cannot delete protected DB Instance, please disable deletion protection and try again.")
	}
	final := deref(in.FinalDBSnapshotIdentifier)
	// A replica takes no final snapshot (terraform-provider-aws#4276:
	// "InvalidParameterCombination: FinalDBSnapshotIdentifier can not be
	// specified when deleting a replica instance").
	if db.source != nil && final != "" {
		return nil, errorf("InvalidParameterCombination", "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance")
	}
	// A writer needs one unless SkipFinalSnapshot ("The
	// FinalDBSnapshotIdentifier parameter must be specified if
	// SkipFinalSnapshot is disabled",
	// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html;
	// the error as terraform-provider-aws#33539 quotes it).
	if db.source == nil && final == "" && !deref(in.SkipFinalSnapshot) {
		return nil, errorf("InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
	}
	if final != "" && deref(in.SkipFinalSnapshot) {
		return nil, errorf("InvalidParameterCombination", "FinalDBSnapshotIdentifier can not be specified when SkipFinalSnapshot is enabled.")
	}
	var snap *dbSnapshot
	if final != "" {
		if e := checkIdentifier("FinalDBSnapshotIdentifier", final); e != nil {
			return nil, e
		}
		if e := c.checkSnapshotFreeLocked(region, final); e != nil {
			return nil, e
		}
		snap = c.newSnapshotLocked(region, db, strings.ToLower(final), "manual")
	}
	db.setStatus(statusDeleting)
	out := c.describeDBLocked(db)
	c.logf("rds %s: deleting %s (final snapshot %q)", region, db.id(), final)
	c.background(func(ctx context.Context) { c.deleteDB(ctx, db, snap) })
	return &DBInstanceOutput{DBInstance: out}, nil
}

// deleteDB takes the final snapshot, if any, and removes the instance. Its
// replicas, left without a source, are promoted, as RDS does when a source
// is deleted ("each read replica is promoted to a standalone DB instance",
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Delete.html).
func (c *Cloud) deleteDB(ctx context.Context, db *dbInstance, snap *dbSnapshot) {
	if snap != nil {
		c.takeSnapshot(ctx, db, snap)
	}
	c.mu.Lock()
	cl := db.data
	replicas := append([]*dbInstance(nil), db.replicas...)
	db.deleted = true
	db.data = nil
	c.detachReplicaLocked(db)
	for _, r := range replicas {
		c.detachReplicaLocked(r)
	}
	delete(c.regions[db.region].rds.instances, strings.ToLower(db.id()))
	c.mu.Unlock()
	for _, r := range replicas {
		if r.data != nil {
			if err := r.data.Promote(ctx); err != nil {
				c.logf("rds %s: promote %s after its source's deletion: %v", r.region, r.id(), err)
			}
		}
	}
	if cl != nil {
		if err := cl.Close(); err != nil {
			c.logf("rds %s: remove %s: %v", db.region, db.id(), err)
		}
	}
	c.logf("rds %s: %s deleted", db.region, db.id())
}

// checkSnapshotFreeLocked refuses a snapshot identifier in use
// (DBSnapshotAlreadyExists,
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html#API_CreateDBSnapshot_Errors).
func (c *Cloud) checkSnapshotFreeLocked(region, id string) *Error {
	if _, ok := c.regions[region].rds.snapshots[strings.ToLower(id)]; ok {
		return errorf("DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot with the identifier %s already exists.", strings.ToLower(id))
	}
	return nil
}

func (c *Cloud) newSnapshotLocked(region string, db *dbInstance, id, kind string) *dbSnapshot {
	now := time.Now()
	snap := &dbSnapshot{
		shape: DBSnapshot{
			DBSnapshotIdentifier:       ptr(id),
			DBInstanceIdentifier:       ptr(db.id()),
			SnapshotCreateTime:         At(now),
			OriginalSnapshotCreateTime: At(now),
			Engine:                     db.shape.Engine,
			EngineVersion:              db.shape.EngineVersion,
			AllocatedStorage:           db.shape.AllocatedStorage,
			Status:                     ptr("creating"),
			Port:                       db.shape.Endpoint.Port,
			AvailabilityZone:           db.shape.AvailabilityZone,
			InstanceCreateTime:         db.shape.InstanceCreateTime,
			MasterUsername:             db.shape.MasterUsername,
			SnapshotType:               ptr(kind),
			PercentProgress:            ptr(0),
			StorageType:                db.shape.StorageType,
			Encrypted:                  db.shape.StorageEncrypted,
			KmsKeyId:                   db.shape.KmsKeyId,
			DBSnapshotArn:              ptr(fmt.Sprintf("arn:aws:rds:%s:%s:snapshot:%s", region, c.opts.Account, id)),
			DbiResourceId:              db.shape.DbiResourceId,
		},
		file: filepath.Join(c.opts.Dir, "snapshots", region, id+".dump"),
	}
	if deref(db.shape.CopyTagsToSnapshot) {
		snap.shape.TagList = append([]Tag(nil), db.shape.TagList...)
	}
	c.regions[region].rds.snapshots[id] = snap
	return snap
}

// takeSnapshot dumps the instance's database into the snapshot's file.
func (c *Cloud) takeSnapshot(ctx context.Context, db *dbInstance, snap *dbSnapshot) {
	c.mu.Lock()
	cl := db.data
	c.mu.Unlock()
	err := os.MkdirAll(filepath.Dir(snap.file), 0o755)
	if err == nil && cl != nil {
		err = cl.Snapshot(ctx, snap.file)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.logf("rds %s: snapshot %s: %v", db.region, *snap.shape.DBSnapshotIdentifier, err)
		snap.shape.Status = ptr("failed")
		return
	}
	snap.shape.Status = ptr("available")
	snap.shape.PercentProgress = ptr(100)
	c.logf("rds %s: snapshot %s of %s available", db.region, *snap.shape.DBSnapshotIdentifier, db.id())
}

func (c *Cloud) rdsCreateDBSnapshot(_ context.Context, region string, in *CreateDBSnapshotInput) (*DBSnapshotOutput, error) {
	id := strings.ToLower(*in.DBSnapshotIdentifier)
	if err := checkIdentifier("DBSnapshotIdentifier", id); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkSnapshotFreeLocked(region, id); err != nil {
		return nil, err
	}
	db, err := c.findDBLocked(region, *in.DBInstanceIdentifier)
	if err != nil {
		return nil, err
	}
	// A snapshot needs an available instance (InvalidDBInstanceState, same
	// page's Errors).
	if db.status() != statusAvailable || db.data == nil {
		return nil, errorf("InvalidDBInstanceState", "Cannot create a snapshot because the database instance %s is not currently in the available state.", db.id())
	}
	snap := c.newSnapshotLocked(region, db, id, "manual")
	snap.shape.TagList = append(snap.shape.TagList, in.Tags...)
	db.setStatus(statusBackingUp)
	out := snap.shape
	c.background(func(ctx context.Context) {
		c.takeSnapshot(ctx, db, snap)
		c.mu.Lock()
		if db.status() == statusBackingUp {
			db.setStatus(statusAvailable)
		}
		c.mu.Unlock()
	})
	return &DBSnapshotOutput{DBSnapshot: &out}, nil
}

func (c *Cloud) rdsDescribeDBSnapshots(_ context.Context, region string, in *DescribeDBSnapshotsInput) (*DescribeDBSnapshotsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rs := c.regions[region].rds
	out := &DescribeDBSnapshotsOutput{DBSnapshots: []DBSnapshot{}}
	if id := deref(in.DBSnapshotIdentifier); id != "" {
		snap, ok := rs.snapshots[strings.ToLower(id)]
		if !ok {
			// DBSnapshotNotFound, HTTP 404
			// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html#API_DescribeDBSnapshots_Errors).
			return nil, notFound("DBSnapshotNotFound", "DBSnapshot %s not found.", id)
		}
		out.DBSnapshots = append(out.DBSnapshots, snap.shape)
		return out, nil
	}
	var ids []string
	for id, snap := range rs.snapshots {
		if inst := deref(in.DBInstanceIdentifier); inst != "" && !strings.EqualFold(*snap.shape.DBInstanceIdentifier, inst) {
			continue
		}
		if t := deref(in.SnapshotType); t != "" && t != *snap.shape.SnapshotType {
			continue
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out.DBSnapshots = append(out.DBSnapshots, rs.snapshots[id].shape)
	}
	return out, nil
}

func (c *Cloud) rdsDeleteDBSnapshot(_ context.Context, region string, in *DeleteDBSnapshotInput) (*DBSnapshotOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rs := c.regions[region].rds
	id := strings.ToLower(*in.DBSnapshotIdentifier)
	snap, ok := rs.snapshots[id]
	if !ok {
		return nil, notFound("DBSnapshotNotFound", "DBSnapshot %s not found.", id)
	}
	// "The DB snapshot must be in the available state to be deleted"
	// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBSnapshot.html).
	if *snap.shape.Status != "available" {
		return nil, errorf("InvalidDBSnapshotState", "Cannot delete the snapshot because it is not in the available state.")
	}
	delete(rs.snapshots, id)
	if err := os.Remove(snap.file); err != nil && !errors.Is(err, os.ErrNotExist) {
		c.logf("rds %s: remove snapshot file: %v", region, err)
	}
	out := snap.shape
	out.Status = ptr("deleted")
	return &DBSnapshotOutput{DBSnapshot: &out}, nil
}

// startRDSMetrics samples every replica's replication each second and
// publishes RDS's ReplicaLag to CloudWatch every RDSMetricPeriod (scaled).
// For PostgreSQL ReplicaLag is the age of the last replayed transaction:
// "SELECT extract(epoch from now() - pg_last_xact_replay_timestamp())"
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.Monitor.html),
// so an idle writer makes it grow, as on AWS.
func (c *Cloud) startRDSMetrics(r *region) {
	c.background(func(ctx context.Context) {
		sample := time.NewTicker(time.Second)
		defer sample.Stop()
		publish := time.NewTicker(c.scaled(c.timings.RDSMetricPeriod))
		defer publish.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sample.C:
				c.sampleReplicas(ctx, r)
			case <-publish.C:
				c.publishReplicaLag(r)
			}
		}
	})
}

func (c *Cloud) sampleReplicas(ctx context.Context, r *region) {
	type target struct {
		db *dbInstance
		cl *pg.Cluster
	}
	var targets, writers []target
	now := time.Now()
	c.mu.Lock()
	regionDown := c.down[r.name]
	for _, db := range r.rds.instances {
		switch {
		case db.data == nil || db.status() != statusAvailable:
		case regionDown && db.source == nil:
			// A cut region's writers are gone with it: nothing writes there.
		case db.source != nil:
			targets = append(targets, target{db, db.data})
		case now.Sub(db.internalAt) >= c.scaled(c.timings.RDSInternalWrite):
			db.internalAt = now
			writers = append(writers, target{db, db.data})
		}
	}
	c.mu.Unlock()
	// RDS's own periodic write on each writer: with no user writes, the
	// replicas' ReplicaLag grows until it and falls back.
	for _, w := range writers {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := w.cl.Exec(qctx, `CREATE SCHEMA IF NOT EXISTS rdsadmin_lab;
			CREATE TABLE IF NOT EXISTS rdsadmin_lab.heartbeat(id int PRIMARY KEY, at timestamptz NOT NULL);
			INSERT INTO rdsadmin_lab.heartbeat VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET at = excluded.at`)
		cancel()
		if err != nil && ctx.Err() == nil {
			c.logf("rds %s: internal write on %s: %v", r.name, w.db.id(), err)
		}
	}
	for _, t := range targets {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := t.cl.Replay(qctx)
		cancel()
		c.mu.Lock()
		if t.db.source != nil {
			t.db.replay, t.db.replayErr, t.db.replayAt = st, err, time.Now()
		}
		c.mu.Unlock()
	}
}

func (c *Cloud) publishReplicaLag(r *region) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, db := range r.rds.instances {
		if db.source == nil || db.replayErr != nil || !db.replay.Known {
			continue
		}
		// The sample is at most a second old; RDS's own collection is
		// no fresher.
		lag := db.replay.ReplayAge + time.Since(db.replayAt)
		r.cloudwatch.putLocked("AWS/RDS", "ReplicaLag", []Dimension{{Name: ptr("DBInstanceIdentifier"), Value: ptr(db.id())}},
			datum{at: time.Now(), value: lag.Seconds(), unit: "Seconds", resolution: 60})
	}
}

// DatabaseDSN returns a libpq URL for a database of an instance, for the
// lab's own clients (the app stand-ins, the DR agents, the game-day tool):
// it goes through the identifier's stable endpoint, so it keeps working
// across a promotion's reboot and a replacement under the same identifier,
// as an RDS endpoint does. It errs for an unknown region.
func (c *Cloud) DatabaseDSN(region, id, database string) (string, error) {
	if _, ok := c.regions[region]; !ok {
		return "", fmt.Errorf("cloud: no region %s", region)
	}
	addr, err := c.endpointFor(region, id)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable&connect_timeout=2", addr, database), nil
}

// Database returns the PostgreSQL cluster behind an instance, for the lab's
// fault injection and checks; nil while it has none.
func (c *Cloud) Database(region, id string) *pg.Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.regions[region]
	if !ok {
		return nil
	}
	if db, ok := r.rds.instances[strings.ToLower(id)]; ok {
		return db.data
	}
	return nil
}

// StopDatabases kills every database of the region at once (no checkpoint,
// no last WAL flush): the region's outage.
func (c *Cloud) StopDatabases(ctx context.Context, region string) error {
	var errs []error
	for _, cl := range c.clusters(region) {
		errs = append(errs, cl.StopImmediate(ctx))
	}
	return errors.Join(errs...)
}

// StartDatabases brings a region's databases back after StopDatabases: the
// old writer returns, diverged, as it would after an outage.
func (c *Cloud) StartDatabases(ctx context.Context, region string) error {
	var errs []error
	for _, cl := range c.clusters(region) {
		errs = append(errs, cl.Start(ctx))
	}
	return errors.Join(errs...)
}

func (c *Cloud) clusters(region string) []*pg.Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*pg.Cluster
	if r, ok := c.regions[region]; ok {
		for _, db := range r.rds.instances {
			if db.data != nil {
				out = append(out, db.data)
			}
		}
	}
	return out
}
