package cloudrpctest

import (
	"fmt"
	"strings"
	"time"
)

type dbInstance struct {
	region, id, arn, resourceID string
	class, engine, version      string
	storage, maxStorage         int
	storageType                 string
	encrypted                   bool
	kmsKey                      string
	multiAZ                     bool
	retention                   int
	backupWindow                string
	source                      string // replica of (ARN); "" for a writer
	deletionProtection          bool
	port                        int
	username, dbName            string
	subnetGroup, paramGroup     string
	sgs                         []string
	// busyUntil and busyStatus model a transition in progress.
	busyUntil  time.Time
	busyStatus string
	goneAt     time.Time // deleting: gone after this
}

func (d *dbInstance) status(now time.Time) string {
	if !d.goneAt.IsZero() {
		return "deleting"
	}
	if now.Before(d.busyUntil) {
		return d.busyStatus
	}
	return "available"
}

// db finds an instance by identifier (or by ARN for cross-region
// sources), dropping it when its deletion has completed.
func (c *Cloud) db(region, idOrArn string) *dbInstance {
	now := time.Now()
	for k, d := range c.dbs {
		if !d.goneAt.IsZero() && now.After(d.goneAt) {
			delete(c.dbs, k)
		}
	}
	if strings.HasPrefix(idOrArn, "arn:") {
		for _, d := range c.dbs {
			if d.arn == idOrArn {
				return d
			}
		}
		return nil
	}
	return c.dbs[region+"/"+idOrArn]
}

func (c *Cloud) busy(d *dbInstance, status string) {
	d.busyStatus, d.busyUntil = status, time.Now().Add(c.Delay)
}

func (c *Cloud) shape(d *dbInstance) map[string]any {
	var replicas []string
	for _, o := range c.dbs {
		if o.source == d.arn {
			replicas = append(replicas, o.id)
		}
	}
	var sgs []any
	for _, s := range d.sgs {
		sgs = append(sgs, map[string]any{"VpcSecurityGroupId": s, "Status": "active"})
	}
	out := map[string]any{
		"DBInstanceIdentifier": d.id, "DBInstanceArn": d.arn, "DbiResourceId": d.resourceID,
		"DBInstanceClass": d.class, "DBInstanceStatus": d.status(time.Now()), "Engine": d.engine,
		"EngineVersion": d.version, "AllocatedStorage": d.storage, "StorageType": d.storageType,
		"StorageEncrypted": d.encrypted, "KmsKeyId": d.kmsKey, "MultiAZ": d.multiAZ,
		"BackupRetentionPeriod": d.retention, "PreferredBackupWindow": d.backupWindow,
		"PreferredMaintenanceWindow":            "sun:05:00-sun:05:30",
		"ReadReplicaSourceDBInstanceIdentifier": d.source, "ReadReplicaDBInstanceIdentifiers": replicas,
		"DeletionProtection": d.deletionProtection, "AvailabilityZone": d.region + "a",
		"MasterUsername": d.username, "DBName": d.dbName, "PubliclyAccessible": false,
		"AutoMinorVersionUpgrade": true, "CACertificateIdentifier": "rds-ca-rsa2048-g1",
		"Endpoint":          map[string]any{"Address": fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", d.id, randHexStable(d.arn), d.region), "Port": d.port, "HostedZoneId": "Z29XKXDKYMONMX"},
		"DBSubnetGroup":     map[string]any{"DBSubnetGroupName": d.subnetGroup},
		"DBParameterGroups": []any{map[string]any{"DBParameterGroupName": d.paramGroup}},
		"VpcSecurityGroups": sgs,
	}
	if d.maxStorage > 0 {
		out["MaxAllocatedStorage"] = d.maxStorage
	}
	return out
}

func randHexStable(s string) string {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return fmt.Sprintf("%012x", h)[:12]
}

func (c *Cloud) newDB(region string, in map[string]any) *dbInstance {
	id := str(in, "DBInstanceIdentifier")
	d := &dbInstance{
		region: region, id: id, arn: fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", region, c.Account, id),
		resourceID: "db-" + strings.ToUpper(randHex(26)), class: str(in, "DBInstanceClass"),
		storageType: "gp2", port: 5432, subnetGroup: str(in, "DBSubnetGroupName"),
		paramGroup: str(in, "DBParameterGroupName"), sgs: strs(in, "VpcSecurityGroupIds"),
	}
	if v := str(in, "StorageType"); v != "" {
		d.storageType = v
	}
	if v, ok := num(in, "Port"); ok {
		d.port = v
	}
	if v, ok := flag(in, "MultiAZ"); ok {
		d.multiAZ = v
	}
	if v, ok := flag(in, "DeletionProtection"); ok {
		d.deletionProtection = v
	}
	if v, ok := num(in, "MaxAllocatedStorage"); ok {
		d.maxStorage = v
	}
	return d
}

// createDB: DBInstanceAlreadyExists for a used identifier
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
func (c *Cloud) createDB(region string, in map[string]any) (any, *apiError) {
	id := str(in, "DBInstanceIdentifier")
	if c.db(region, id) != nil {
		return nil, errf("DBInstanceAlreadyExists", "DB instance already exists")
	}
	d := c.newDB(region, in)
	d.engine, d.version = str(in, "Engine"), str(in, "EngineVersion")
	d.storage, _ = num(in, "AllocatedStorage")
	d.encrypted, _ = flag(in, "StorageEncrypted")
	d.kmsKey = str(in, "KmsKeyId")
	d.retention = 1 // API_CreateDBInstance BackupRetentionPeriod default 1
	if v, ok := num(in, "BackupRetentionPeriod"); ok {
		d.retention = v
	}
	d.backupWindow = str(in, "PreferredBackupWindow")
	if d.backupWindow == "" {
		d.backupWindow = "03:00-03:30"
	}
	d.username, d.dbName = str(in, "MasterUsername"), str(in, "DBName")
	if d.username == "" || str(in, "MasterUserPassword") == "" {
		return nil, errf("InvalidParameterValue", "MasterUsername and MasterUserPassword are required")
	}
	c.busy(d, "creating")
	c.dbs[region+"/"+id] = d
	return map[string]any{"DBInstance": c.shape(d)}, nil
}

// createReplica: the source must exist; a cross-region replica names it
// by ARN and needs a KMS key of its own region when the source is
// encrypted (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html).
func (c *Cloud) createReplica(region string, in map[string]any) (any, *apiError) {
	id, srcID := str(in, "DBInstanceIdentifier"), str(in, "SourceDBInstanceIdentifier")
	if c.db(region, id) != nil {
		return nil, errf("DBInstanceAlreadyExists", "DB instance already exists")
	}
	src := c.db(region, srcID)
	if src == nil {
		return nil, errf("DBInstanceNotFound", "DBInstance %s not found.", srcID)
	}
	if src.region != region {
		if !strings.HasPrefix(srcID, "arn:") {
			return nil, errf("InvalidParameterValue", "a cross-region replica's source must be given by ARN")
		}
		if src.encrypted {
			k := str(in, "KmsKeyId")
			if k == "" || !strings.Contains(k, ":"+region+":") {
				return nil, errf("InvalidParameterCombination", "encrypted cross-region replica needs a KMS key in %s", region)
			}
		}
	}
	if src.source != "" {
		return nil, errf("InvalidDBInstanceState", "the source is itself a read replica")
	}
	d := c.newDB(region, in)
	d.engine, d.version, d.storage, d.encrypted = src.engine, src.version, src.storage, src.encrypted
	d.username, d.dbName, d.retention, d.backupWindow = src.username, src.dbName, 0, src.backupWindow
	d.kmsKey = str(in, "KmsKeyId")
	if d.kmsKey == "" {
		d.kmsKey = src.kmsKey
	}
	d.source = src.arn
	if d.class == "" {
		d.class = src.class
	}
	c.busy(d, "creating")
	c.dbs[region+"/"+id] = d
	return map[string]any{"DBInstance": c.shape(d)}, nil
}

func (c *Cloud) describeDBs(region string, in map[string]any) (any, *apiError) {
	if id := str(in, "DBInstanceIdentifier"); id != "" {
		d := c.db(region, id)
		if d == nil {
			return nil, errf("DBInstanceNotFound", "DBInstance %s not found.", id)
		}
		return map[string]any{"DBInstances": []any{c.shape(d)}}, nil
	}
	var out []any
	for _, k := range sortedKeys(c.dbs) {
		if d := c.dbs[k]; d.region == region {
			out = append(out, c.shape(d))
		}
	}
	return map[string]any{"DBInstances": out}, nil
}

// modifyDB: only an available instance can be modified
// (API_ModifyDBInstance: InvalidDBInstanceState).
func (c *Cloud) modifyDB(region string, in map[string]any) (any, *apiError) {
	d := c.db(region, str(in, "DBInstanceIdentifier"))
	if d == nil {
		return nil, errf("DBInstanceNotFound", "DBInstance %s not found.", str(in, "DBInstanceIdentifier"))
	}
	if s := d.status(time.Now()); s != "available" {
		return nil, errf("InvalidDBInstanceState", "Database instance is not in available state (%s).", s)
	}
	if v, ok := num(in, "BackupRetentionPeriod"); ok {
		if d.source != "" && v == 0 {
			return nil, errf("InvalidParameterCombination", "a replica needs backups to be retained")
		}
		d.retention = v
	}
	if v := str(in, "PreferredBackupWindow"); v != "" {
		d.backupWindow = v
	}
	if v, ok := flag(in, "MultiAZ"); ok {
		d.multiAZ = v
	}
	if v, ok := flag(in, "DeletionProtection"); ok {
		d.deletionProtection = v
	}
	if v := str(in, "DBInstanceClass"); v != "" {
		d.class = v
	}
	if v, ok := num(in, "MaxAllocatedStorage"); ok {
		d.maxStorage = v
	}
	if v := str(in, "DBParameterGroupName"); v != "" {
		d.paramGroup = v
	}
	c.busy(d, "modifying")
	return map[string]any{"DBInstance": c.shape(d)}, nil
}

// promote: refused unless a replica; BackupRetentionPeriod defaults to 1
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html).
func (c *Cloud) promote(region string, in map[string]any) (any, *apiError) {
	d := c.db(region, str(in, "DBInstanceIdentifier"))
	if d == nil {
		return nil, errf("DBInstanceNotFound", "DBInstance %s not found.", str(in, "DBInstanceIdentifier"))
	}
	if d.source == "" {
		return nil, errf("InvalidDBInstanceState", "DB Instance is not a read replica.")
	}
	if s := d.status(time.Now()); s != "available" {
		return nil, errf("InvalidDBInstanceState", "Database instance is not in available state (%s).", s)
	}
	d.retention = 1
	if v, ok := num(in, "BackupRetentionPeriod"); ok {
		d.retention = v
	}
	if v := str(in, "PreferredBackupWindow"); v != "" {
		d.backupWindow = v
	}
	d.source = ""
	c.busy(d, "modifying")
	return map[string]any{"DBInstance": c.shape(d)}, nil
}

// deleteDB: refused under deletion protection; a replica takes no final
// snapshot; a final snapshot name in use is refused
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html).
func (c *Cloud) deleteDB(region string, in map[string]any) (any, *apiError) {
	d := c.db(region, str(in, "DBInstanceIdentifier"))
	if d == nil {
		return nil, errf("DBInstanceNotFound", "DBInstance %s not found.", str(in, "DBInstanceIdentifier"))
	}
	if !d.goneAt.IsZero() {
		return nil, errf("InvalidDBInstanceState", "Instance %s is already being deleted.", d.id)
	}
	if d.deletionProtection {
		return nil, errf("InvalidParameterCombination", "Cannot delete protected DB Instance, please disable deletion protection and try again.")
	}
	skip, _ := flag(in, "SkipFinalSnapshot")
	snap := str(in, "FinalDBSnapshotIdentifier")
	switch {
	case !skip && d.source != "":
		return nil, errf("InvalidParameterCombination", "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance")
	case !skip && snap == "":
		return nil, errf("InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
	case !skip && c.snapshots[region+"/"+snap]:
		return nil, errf("DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot with the identifier %s already exists.", snap)
	}
	if !skip {
		c.snapshots[region+"/"+snap] = true
	}
	d.goneAt = time.Now().Add(c.Delay)
	return map[string]any{"DBInstance": c.shape(d)}, nil
}

// Promote makes a replica a writer as the AWS CLI would (for tests of a
// refresh after an out-of-band promotion).
func (c *Cloud) Promote(region, id string, retention int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.promote(region, map[string]any{"DBInstanceIdentifier": id, "BackupRetentionPeriod": float64(retention)})
	if err != nil {
		return fmt.Errorf("%s: %s", err.Code, err.Message)
	}
	return nil
}

// DB reports an instance's source ARN, backup retention and Multi-AZ.
func (c *Cloud) DB(region, id string) (source string, retention int, multiAZ, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.db(region, id)
	if d == nil {
		return "", 0, false, false
	}
	return d.source, d.retention, d.multiAZ, true
}

// DBs lists the instance identifiers of a region.
func (c *Cloud) DBs(region string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, k := range sortedKeys(c.dbs) {
		if d := c.db(region, strings.TrimPrefix(k, region+"/")); d != nil && d.region == region {
			out = append(out, d.id)
		}
	}
	return out
}

// Snapshots lists the DB snapshot identifiers of a region.
func (c *Cloud) Snapshots(region string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, k := range sortedKeys(c.snapshots) {
		if strings.HasPrefix(k, region+"/") {
			out = append(out, strings.TrimPrefix(k, region+"/"))
		}
	}
	return out
}
