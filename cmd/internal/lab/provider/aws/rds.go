package aws

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
)

// rdsFile is the upstream source of the RDS instance's behaviour.
const rdsFile = tfaws + ":internal/service/rds/instance.go"

// dbInstance is the part of RDS's DBInstance shape the plugin reads
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html).
type dbInstance struct {
	DBInstanceIdentifier                  string
	DBInstanceArn                         string
	DbiResourceId                         string
	DBInstanceClass                       string
	DBInstanceStatus                      string
	Engine                                string
	EngineVersion                         string
	AllocatedStorage                      int
	MaxAllocatedStorage                   int
	StorageType                           string
	StorageEncrypted                      bool
	KmsKeyId                              string
	MultiAZ                               bool
	BackupRetentionPeriod                 int
	PreferredBackupWindow                 string
	PreferredMaintenanceWindow            string
	ReadReplicaSourceDBInstanceIdentifier string
	ReadReplicaDBInstanceIdentifiers      []string
	DeletionProtection                    bool
	AvailabilityZone                      string
	MasterUsername                        string
	DBName                                string
	PubliclyAccessible                    bool
	AutoMinorVersionUpgrade               bool
	CopyTagsToSnapshot                    bool
	CACertificateIdentifier               string
	Endpoint                              *struct {
		Address      string
		Port         int
		HostedZoneId string
	}
	DBSubnetGroup *struct {
		DBSubnetGroupName string
		VpcId             string
	}
	DBParameterGroups []struct {
		DBParameterGroupName string
	}
	VpcSecurityGroups []struct {
		VpcSecurityGroupId string
	}
	EnabledCloudwatchLogsExports       []string
	PerformanceInsightsEnabled         bool
	PerformanceInsightsKMSKeyId        string
	PerformanceInsightsRetentionPeriod int
}

// Terraform's default timeouts for aws_db_instance (rdsFile: Timeouts:
// Create 40m, Update 80m, Delete 60m).
const (
	rdsCreateTimeout = 40 * time.Minute
	rdsUpdateTimeout = 80 * time.Minute
	rdsDeleteTimeout = 60 * time.Minute
)

func rdsInstanceType() *provider.Type {
	return &provider.Type{
		Token: "aws:rds/instance:Instance",
		// rdsFile schema: availability_zone, backup_target,
		// character_set_name, custom_iam_instance_profile, db_name, engine,
		// kms_key_id, nchar_character_set_name, restore_to_point_in_time,
		// s3_import, snapshot_identifier, storage_encrypted, timezone,
		// username ForceNew. identifier is NOT ForceNew in v5 (renamed in
		// place with NewDBInstanceIdentifier). replicate_source_db is not
		// ForceNew: clearing it promotes (resourceInstanceUpdate).
		ForceNew: []string{"availabilityZone", "backupTarget", "characterSetName", "customIamInstanceProfile",
			"dbName", "engine", "kmsKeyId", "ncharCharacterSetName", "restoreToPointInTime", "s3Import",
			"snapshotIdentifier", "storageEncrypted", "timezone", "username"},
		// pulumi-aws provider/resources.go aws_db_instance: identifier
		// defaults to resource.NewUniqueHex(urnName, 7, 255): no
		// separator.
		AutoName: &provider.AutoName{Property: "identifier", Random: 7, MaxLen: 255, Lower: true},
		// rdsFile schema defaults.
		Defaults: provider.FromGo(map[string]any{
			"autoMinorVersionUpgrade": true, "copyTagsToSnapshot": false, "deleteAutomatedBackups": true,
			"monitoringInterval": 0, "performanceInsightsEnabled": false, "publiclyAccessible": false,
			"skipFinalSnapshot": false,
		}),
		Validate: validateDBInstance,
		Create:   createDBInstance,
		Update:   updateDBInstance,
		Read:     readDBInstance,
		Delete:   deleteDBInstance,
	}
}

// validateDBInstance applies the schema rules Terraform checks at plan time.
func validateDBInstance(c *provider.Ctx, in provider.Props) error {
	if !provider.Has(in, "instanceClass") && !c.Preview {
		return fmt.Errorf("instanceClass is required (%s: instance_class Required)", rdsFile)
	}
	if provider.Has(in, "replicateSourceDb") {
		// db_name and username ConflictsWith replicate_source_db: the
		// schema check fails before any API call. A plain `up` that turns
		// a writer into a replica hits it too, because the engine gives
		// Check the ignored old dbName and username
		// (pkg/resource/deploy/step_generator.go:1360-1365); only a
		// targeted --replace checks the program's inputs alone (:1421-1430).
		for _, k := range []string{"dbName", "username"} {
			if provider.Has(in, k) {
				return fmt.Errorf("Conflicting configuration arguments: %q: conflicts with replicateSourceDb (%s: ConflictsWith)", k, rdsFile)
			}
		}
	}
	if v := provider.Str(in, "finalSnapshotIdentifier"); v != "" {
		if err := validFinalSnapshotID(v); err != nil {
			return err
		}
	}
	if n := provider.Int(in, "backupRetentionPeriod", 0); n < 0 || n > 35 {
		return fmt.Errorf("backupRetentionPeriod %d: must be between 0 and 35 (%s: IntBetween(0, 35))", n, rdsFile)
	}
	return nil
}

// validFinalSnapshotID is rdsFile's final_snapshot_identifier validation.
func validFinalSnapshotID(v string) error {
	switch {
	case v[0] < 'A' || (v[0] > 'Z' && v[0] < 'a') || v[0] > 'z':
		return fmt.Errorf("finalSnapshotIdentifier %q: must begin with alphabetic character", v)
	case strings.Contains(v, "--"):
		return fmt.Errorf("finalSnapshotIdentifier %q: cannot contain two consecutive hyphens", v)
	case strings.HasSuffix(v, "-"):
		return fmt.Errorf("finalSnapshotIdentifier %q: cannot end in a hyphen", v)
	}
	for _, r := range v {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("finalSnapshotIdentifier %q: must only contain alphanumeric characters and hyphens", v)
		}
	}
	return nil
}

func rdsRegion(c *provider.Ctx) string { return region(c) }

// createDBInstance follows resourceInstanceCreate: a replica through
// CreateDBInstanceReadReplica, then ModifyDBInstance for what that call
// cannot set (backup retention and window, maintenance window, max
// storage, parameter group, password); a writer through CreateDBInstance.
func createDBInstance(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
	cloud, err := c.Cloud()
	if err != nil {
		return "", nil, err
	}
	id := provider.Str(in, "identifier")
	var created struct{ DBInstance dbInstance }
	if src := provider.Str(in, "replicateSourceDb"); src != "" {
		req := map[string]any{
			"DBInstanceIdentifier":       id,
			"SourceDBInstanceIdentifier": src,
			"DBInstanceClass":            provider.Str(in, "instanceClass"),
			"AutoMinorVersionUpgrade":    provider.Bool(in, "autoMinorVersionUpgrade", true),
			"CopyTagsToSnapshot":         provider.Bool(in, "copyTagsToSnapshot", false),
			"DeletionProtection":         provider.Bool(in, "deletionProtection", false),
			"PubliclyAccessible":         provider.Bool(in, "publiclyAccessible", false),
			"Tags":                       tagList(c, in),
		}
		optional(req, in, map[string]string{
			"availabilityZone": "AvailabilityZone", "dbSubnetGroupName": "DBSubnetGroupName",
			"iops": "Iops", "monitoringInterval": "MonitoringInterval", "monitoringRoleArn": "MonitoringRoleArn",
			"multiAz": "MultiAZ", "networkType": "NetworkType", "optionGroupName": "OptionGroupName",
			"performanceInsightsEnabled": "EnablePerformanceInsights", "performanceInsightsKmsKeyId": "PerformanceInsightsKMSKeyId",
			"performanceInsightsRetentionPeriod": "PerformanceInsightsRetentionPeriod", "port": "Port",
			"replicaMode": "ReplicaMode", "storageThroughput": "StorageThroughput", "storageType": "StorageType",
		})
		if v := provider.Strs(in, "enabledCloudwatchLogsExports"); len(v) > 0 {
			req["EnableCloudwatchLogsExports"] = v
		}
		if v := provider.Strs(in, "vpcSecurityGroupIds"); len(v) > 0 {
			req["VpcSecurityGroupIds"] = v
		}
		if k := provider.Str(in, "kmsKeyId"); k != "" {
			// A cross-region replica names its source by ARN and its
			// region's key. The SDKs' SourceRegion is not sent: they turn
			// it into the PreSignedUrl the API takes
			// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html,
			// PreSignedUrl), which the lab does not check.
			req["KmsKeyId"] = k
		}
		if provider.Has(in, "allocatedStorage") {
			// rdsFile: "allocated_storage was ignored ... because a replica
			// inherits the primary's allocated_storage".
			c.Logf("allocatedStorage was ignored for DB Instance (%s): a replica inherits the primary's allocated storage", id)
		}
		if err := cloud.Call(c, rdsRegion(c), "rds", "CreateDBInstanceReadReplica", req, &created); err != nil {
			return "", nil, fmt.Errorf("creating RDS DB Instance (read replica) (%s): %w", id, err)
		}
		mod := map[string]any{}
		db := created.DBInstance
		if v := provider.Int(in, "backupRetentionPeriod", -1); v >= 0 && v != db.BackupRetentionPeriod {
			mod["BackupRetentionPeriod"] = v
		}
		if v := provider.Str(in, "backupWindow"); v != "" && v != db.PreferredBackupWindow {
			mod["PreferredBackupWindow"] = v
		}
		if v := provider.Str(in, "maintenanceWindow"); v != "" && v != db.PreferredMaintenanceWindow {
			mod["PreferredMaintenanceWindow"] = v
		}
		if v := provider.Int(in, "maxAllocatedStorage", 0); v > 0 && v != db.MaxAllocatedStorage {
			mod["MaxAllocatedStorage"] = v
		}
		if v := provider.Str(in, "parameterGroupName"); v != "" && (len(db.DBParameterGroups) == 0 || db.DBParameterGroups[0].DBParameterGroupName != v) {
			mod["DBParameterGroupName"] = v
		}
		if v := provider.Str(in, "password"); v != "" {
			mod["MasterUserPassword"] = v
		}
		if err := waitDBAvailable(c, cloud, id, rdsCreateTimeout); err != nil {
			return "", nil, err
		}
		if len(mod) > 0 {
			mod["DBInstanceIdentifier"] = id
			mod["ApplyImmediately"] = true
			if err := cloud.Call(c, rdsRegion(c), "rds", "ModifyDBInstance", mod, nil); err != nil {
				return "", nil, fmt.Errorf("updating RDS DB Instance (%s) after creating it as a replica: %w", id, err)
			}
		}
	} else {
		req := map[string]any{
			"DBInstanceIdentifier":    id,
			"DBInstanceClass":         provider.Str(in, "instanceClass"),
			"Engine":                  provider.Str(in, "engine"),
			"AutoMinorVersionUpgrade": provider.Bool(in, "autoMinorVersionUpgrade", true),
			"CopyTagsToSnapshot":      provider.Bool(in, "copyTagsToSnapshot", false),
			"DeletionProtection":      provider.Bool(in, "deletionProtection", false),
			"PubliclyAccessible":      provider.Bool(in, "publiclyAccessible", false),
			"StorageEncrypted":        provider.Bool(in, "storageEncrypted", false),
			"Tags":                    tagList(c, in),
		}
		optional(req, in, map[string]string{
			"allocatedStorage": "AllocatedStorage", "availabilityZone": "AvailabilityZone",
			"backupRetentionPeriod": "BackupRetentionPeriod", "backupWindow": "PreferredBackupWindow",
			"dbName": "DBName", "dbSubnetGroupName": "DBSubnetGroupName", "engineVersion": "EngineVersion",
			"iops": "Iops", "kmsKeyId": "KmsKeyId", "maintenanceWindow": "PreferredMaintenanceWindow",
			"maxAllocatedStorage": "MaxAllocatedStorage", "monitoringInterval": "MonitoringInterval",
			"multiAz": "MultiAZ", "parameterGroupName": "DBParameterGroupName", "password": "MasterUserPassword",
			"performanceInsightsEnabled": "EnablePerformanceInsights", "performanceInsightsKmsKeyId": "PerformanceInsightsKMSKeyId",
			"performanceInsightsRetentionPeriod": "PerformanceInsightsRetentionPeriod", "port": "Port",
			"storageThroughput": "StorageThroughput", "storageType": "StorageType", "username": "MasterUsername",
		})
		if v := provider.Strs(in, "enabledCloudwatchLogsExports"); len(v) > 0 {
			req["EnableCloudwatchLogsExports"] = v
		}
		if v := provider.Strs(in, "vpcSecurityGroupIds"); len(v) > 0 {
			req["VpcSecurityGroupIds"] = v
		}
		if err := cloud.Call(c, rdsRegion(c), "rds", "CreateDBInstance", req, &created); err != nil {
			return "", nil, fmt.Errorf("creating RDS DB Instance (%s): %w", id, err)
		}
	}
	if err := waitDBAvailable(c, cloud, id, rdsCreateTimeout); err != nil {
		return "", nil, err
	}
	db, err := describeDB(c, cloud, id)
	if err != nil {
		return "", nil, err
	}
	if db == nil {
		return "", nil, fmt.Errorf("RDS DB Instance (%s) vanished after creation", id)
	}
	return db.DbiResourceId, dbOutputs(c, db, in), nil
}

// optional copies present inputs into an API request under their API
// names.
func optional(req map[string]any, in provider.Props, names map[string]string) {
	for prop, api := range names {
		v, ok := in[resource.PropertyKey(prop)]
		if !ok || v.IsNull() || v.ContainsUnknowns() {
			continue
		}
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		req[api] = v.Mappable()
	}
}

func describeDB(c *provider.Ctx, cloud *cloudrpc.Client, id string) (*dbInstance, error) {
	var out struct{ DBInstances []dbInstance }
	err := cloud.Call(c, rdsRegion(c), "rds", "DescribeDBInstances", map[string]any{"DBInstanceIdentifier": id}, &out)
	if cloudrpc.IsCode(err, "DBInstanceNotFound", "DBInstanceNotFoundFault") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(out.DBInstances) != 1 {
		return nil, fmt.Errorf("DescribeDBInstances %s: %d instances", id, len(out.DBInstances))
	}
	return &out.DBInstances[0], nil
}

// Statuses the plugin waits through, and the ones it waits for
// (rdsFile: waitDBInstanceAvailableSDKv2 Pending and Target lists).
var dbPending = map[string]bool{
	"backing-up": true, "configuring-enhanced-monitoring": true, "configuring-iam-database-auth": true,
	"configuring-log-exports": true, "creating": true, "maintenance": true, "modifying": true,
	"moving-to-vpc": true, "rebooting": true, "renaming": true, "resetting-master-credentials": true,
	"starting": true, "stopping": true, "storage-full": true, "upgrading": true,
}
var dbAvailable = map[string]bool{"available": true, "storage-optimization": true}

func waitDBAvailable(c *provider.Ctx, cloud *cloudrpc.Client, id string, timeout time.Duration) error {
	return waitUntil(c, fmt.Sprintf("RDS DB Instance (%s) to be available", id), timeout, func() (bool, error) {
		db, err := describeDB(c, cloud, id)
		if err != nil {
			return false, err
		}
		if db == nil {
			return false, fmt.Errorf("not found")
		}
		switch {
		case dbAvailable[db.DBInstanceStatus]:
			return true, nil
		case dbPending[db.DBInstanceStatus]:
			return false, nil
		default:
			return false, fmt.Errorf("unexpected state %q", db.DBInstanceStatus)
		}
	})
}

// dbOutputs maps a DBInstance onto the resource's outputs (rdsFile:
// resourceInstanceRead's d.Set calls).
func dbOutputs(c *provider.Ctx, db *dbInstance, in provider.Props) provider.Props {
	out := map[string]any{
		"arn":                        db.DBInstanceArn,
		"resourceId":                 db.DbiResourceId,
		"identifier":                 db.DBInstanceIdentifier,
		"instanceClass":              db.DBInstanceClass,
		"status":                     db.DBInstanceStatus,
		"engine":                     db.Engine,
		"engineVersionActual":        db.EngineVersion,
		"allocatedStorage":           db.AllocatedStorage,
		"storageType":                db.StorageType,
		"storageEncrypted":           db.StorageEncrypted,
		"multiAz":                    db.MultiAZ,
		"backupRetentionPeriod":      db.BackupRetentionPeriod,
		"backupWindow":               db.PreferredBackupWindow,
		"maintenanceWindow":          db.PreferredMaintenanceWindow,
		"replicateSourceDb":          db.ReadReplicaSourceDBInstanceIdentifier,
		"replicas":                   orEmpty(db.ReadReplicaDBInstanceIdentifiers),
		"deletionProtection":         db.DeletionProtection,
		"availabilityZone":           db.AvailabilityZone,
		"publiclyAccessible":         db.PubliclyAccessible,
		"autoMinorVersionUpgrade":    db.AutoMinorVersionUpgrade,
		"copyTagsToSnapshot":         db.CopyTagsToSnapshot,
		"caCertIdentifier":           db.CACertificateIdentifier,
		"performanceInsightsEnabled": db.PerformanceInsightsEnabled,
	}
	if db.MaxAllocatedStorage > 0 {
		out["maxAllocatedStorage"] = db.MaxAllocatedStorage
	}
	if db.KmsKeyId != "" {
		out["kmsKeyId"] = db.KmsKeyId
	}
	if db.MasterUsername != "" {
		out["username"] = db.MasterUsername
	}
	if db.DBName != "" {
		out["dbName"] = db.DBName
	}
	// engine_version keeps the configured value while the actual one
	// matches it (rdsFile: compareActualEngineVersion), so a pinned major
	// version shows no diff after AWS's minor upgrades.
	out["engineVersion"] = db.EngineVersion
	if v := provider.Str(in, "engineVersion"); v != "" && strings.HasPrefix(db.EngineVersion, v) {
		out["engineVersion"] = v
	}
	if db.Endpoint != nil {
		out["address"] = db.Endpoint.Address
		out["port"] = db.Endpoint.Port
		out["hostedZoneId"] = db.Endpoint.HostedZoneId
		out["endpoint"] = fmt.Sprintf("%s:%d", db.Endpoint.Address, db.Endpoint.Port)
	}
	if db.DBSubnetGroup != nil {
		out["dbSubnetGroupName"] = db.DBSubnetGroup.DBSubnetGroupName
	}
	if len(db.DBParameterGroups) > 0 {
		out["parameterGroupName"] = db.DBParameterGroups[0].DBParameterGroupName
	}
	var sgs []string
	for _, g := range db.VpcSecurityGroups {
		sgs = append(sgs, g.VpcSecurityGroupId)
	}
	out["vpcSecurityGroupIds"] = orEmpty(sgs)
	if len(db.EnabledCloudwatchLogsExports) > 0 {
		out["enabledCloudwatchLogsExports"] = orEmpty(db.EnabledCloudwatchLogsExports)
	}
	if db.PerformanceInsightsKMSKeyId != "" {
		out["performanceInsightsKmsKeyId"] = db.PerformanceInsightsKMSKeyId
		out["performanceInsightsRetentionPeriod"] = db.PerformanceInsightsRetentionPeriod
	}
	props := provider.FromGo(out)
	props["tagsAll"] = tagsAll(c, in)
	return props
}

// dbLiveInputs are the inputs a refresh takes from the live instance:
// what RDS (or an operator with the AWS CLI) can change behind the
// program's back. A CLI promotion clears replicateSourceDb, which is why
// the runbook refreshes before its reconcile `up` (runbooks/dr-design.md §9).
var dbLiveInputs = []string{
	"replicateSourceDb", "backupRetentionPeriod", "backupWindow", "multiAz", "instanceClass",
	"deletionProtection", "maxAllocatedStorage", "maintenanceWindow", "publiclyAccessible",
}

// readDBInstance is resourceInstanceRead: the live instance, or gone.
func readDBInstance(c *provider.Ctx, _ string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
	cloud, err := c.Cloud()
	if err != nil {
		return nil, nil, err
	}
	id := provider.Str(olds, "identifier")
	db, err := describeDB(c, cloud, id)
	if err != nil || db == nil {
		return nil, nil, err
	}
	outs := dbOutputs(c, db, oldInputs)
	// Inputs that are not AWS-visible (password, final snapshot rules,
	// applyImmediately, ...) survive a refresh as they were.
	for k, v := range olds {
		if _, set := outs[k]; !set {
			outs[k] = v
		}
	}
	ins := provider.Copy(oldInputs)
	for _, k := range dbLiveInputs {
		key := resource.PropertyKey(k)
		_, inInputs := oldInputs[key]
		live, ok := outs[key]
		switch {
		case k == "replicateSourceDb" && (!ok || (live.IsString() && live.StringValue() == "")):
			delete(ins, key)
		case ok && (inInputs || k == "replicateSourceDb"):
			ins[key] = live
		}
	}
	return outs, ins, nil
}

// dbModifyIgnored are the changes that do not call ModifyDBInstance
// (rdsFile: resourceInstanceUpdate's HasChangesExcept list).
var dbModifyIgnored = map[string]bool{
	"allowMajorVersionUpgrade": true, "blueGreenUpdate": true, "deleteAutomatedBackups": true,
	"finalSnapshotIdentifier": true, "replicateSourceDb": true, "skipFinalSnapshot": true,
	"tags": true, "tagsAll": true, "applyImmediately": true, "__defaults": true,
}

// dbModifyFields maps the inputs ModifyDBInstance changes to its members
// (rdsFile: dbInstancePopulateModify).
var dbModifyFields = map[string]string{
	"allocatedStorage": "AllocatedStorage", "iops": "Iops", "autoMinorVersionUpgrade": "AutoMinorVersionUpgrade",
	"backupRetentionPeriod": "BackupRetentionPeriod", "backupWindow": "PreferredBackupWindow",
	"copyTagsToSnapshot": "CopyTagsToSnapshot", "caCertIdentifier": "CACertificateIdentifier",
	"dbSubnetGroupName": "DBSubnetGroupName", "identifier": "NewDBInstanceIdentifier",
	"instanceClass": "DBInstanceClass", "maintenanceWindow": "PreferredMaintenanceWindow",
	"maxAllocatedStorage": "MaxAllocatedStorage", "monitoringInterval": "MonitoringInterval",
	"monitoringRoleArn": "MonitoringRoleArn", "multiAz": "MultiAZ", "networkType": "NetworkType",
	"optionGroupName": "OptionGroupName", "password": "MasterUserPassword", "port": "DBPortNumber",
	"publiclyAccessible": "PubliclyAccessible", "replicaMode": "ReplicaMode",
	"storageThroughput": "StorageThroughput", "storageType": "StorageType",
	"engineVersion": "EngineVersion", "parameterGroupName": "DBParameterGroupName",
	"performanceInsightsEnabled": "EnablePerformanceInsights", "performanceInsightsKmsKeyId": "PerformanceInsightsKMSKeyId",
	"performanceInsightsRetentionPeriod": "PerformanceInsightsRetentionPeriod",
}

func changed(oldInputs, news provider.Props, k string) bool {
	o, ho := oldInputs[resource.PropertyKey(k)]
	n, hn := news[resource.PropertyKey(k)]
	if ho && o.IsNull() {
		ho = false
	}
	if hn && n.IsNull() {
		hn = false
	}
	if ho != hn {
		return true
	}
	return ho && !o.DeepEquals(n)
}

// updateDBInstance is resourceInstanceUpdate: a cleared replicateSourceDb
// promotes first (PromoteReadReplica with the configured backup
// retention and window), a new non-empty one is refused, then the other
// changes go through one ModifyDBInstance.
func updateDBInstance(c *provider.Ctx, _ string, olds, oldInputs, news, outs provider.Props) (provider.Props, error) {
	cloud, err := c.Cloud()
	if err != nil {
		return nil, err
	}
	id := provider.Str(olds, "identifier")
	if changed(oldInputs, news, "replicateSourceDb") {
		if provider.Str(news, "replicateSourceDb") != "" {
			return nil, fmt.Errorf("cannot elect new source database for replication (%s: resourceInstanceUpdate)", rdsFile)
		}
		req := map[string]any{
			"DBInstanceIdentifier":  id,
			"BackupRetentionPeriod": provider.Int(news, "backupRetentionPeriod", 0),
		}
		if w := provider.Str(news, "backupWindow"); w != "" {
			req["PreferredBackupWindow"] = w
		}
		c.Logf("promoting RDS DB Instance %s", id)
		if err := cloud.Call(c, rdsRegion(c), "rds", "PromoteReadReplica", req, nil); err != nil {
			return nil, fmt.Errorf("promoting RDS DB Instance (%s): %w", id, err)
		}
		if err := waitDBAvailable(c, cloud, id, rdsUpdateTimeout); err != nil {
			return nil, fmt.Errorf("promoting RDS DB Instance (%s): %w", id, err)
		}
	}
	var modify []string
	for k := range dbModifyFields {
		if !dbModifyIgnored[k] && changed(oldInputs, news, k) {
			modify = append(modify, k)
		}
	}
	if changed(oldInputs, news, "deletionProtection") || len(modify) > 0 {
		req := map[string]any{
			"DBInstanceIdentifier": id,
			"ApplyImmediately":     provider.Bool(news, "applyImmediately", false),
			// dbInstancePopulateModify always sets DeletionProtection.
			"DeletionProtection": provider.Bool(news, "deletionProtection", false),
		}
		for _, k := range modify {
			v := news[resource.PropertyKey(k)]
			if v.IsSecret() {
				v = v.SecretValue().Element
			}
			req[dbModifyFields[k]] = v.Mappable()
		}
		if changed(oldInputs, news, "engineVersion") {
			req["AllowMajorVersionUpgrade"] = provider.Bool(news, "allowMajorVersionUpgrade", false)
		}
		if changed(oldInputs, news, "maxAllocatedStorage") && provider.Int(news, "maxAllocatedStorage", 0) == 0 {
			// Disabling autoscaling sends the allocated storage.
			req["MaxAllocatedStorage"] = provider.Int(news, "allocatedStorage", 0)
		}
		if err := cloud.Call(c, rdsRegion(c), "rds", "ModifyDBInstance", req, nil); err != nil {
			return nil, fmt.Errorf("updating RDS DB Instance (%s): %w", id, err)
		}
		newID := id
		if changed(oldInputs, news, "identifier") {
			newID = provider.Str(news, "identifier")
		}
		if err := waitDBAvailable(c, cloud, newID, rdsUpdateTimeout); err != nil {
			return nil, fmt.Errorf("updating RDS DB Instance (%s): %w", id, err)
		}
		id = newID
	}
	db, err := describeDB(c, cloud, id)
	if err != nil {
		return nil, err
	}
	if db == nil {
		return nil, fmt.Errorf("RDS DB Instance (%s) vanished during update", id)
	}
	live := dbOutputs(c, db, news)
	for k, v := range live {
		outs[k] = v
	}
	return outs, nil
}

// deleteDBInstance is resourceInstanceDelete: a final snapshot unless
// skipFinalSnapshot, and the identifier is then required; RDS refuses a
// protected instance, a snapshot of a replica and a snapshot name in use,
// and the lab cloud does as RDS does. Terraform lifts deletion protection
// itself only when the configuration has it off and applies immediately.
func deleteDBInstance(c *provider.Ctx, _ string, olds provider.Props) error {
	cloud, err := c.Cloud()
	if err != nil {
		return err
	}
	id := provider.Str(olds, "identifier")
	req := map[string]any{
		"DBInstanceIdentifier":   id,
		"DeleteAutomatedBackups": provider.Bool(olds, "deleteAutomatedBackups", true),
	}
	if provider.Bool(olds, "skipFinalSnapshot", false) {
		req["SkipFinalSnapshot"] = true
	} else {
		snap := provider.Str(olds, "finalSnapshotIdentifier")
		if snap == "" {
			return fmt.Errorf("final_snapshot_identifier is required when skip_final_snapshot is false (%s: resourceInstanceDelete)", rdsFile)
		}
		req["SkipFinalSnapshot"] = false
		req["FinalDBSnapshotIdentifier"] = snap
	}
	err = cloud.Call(c, rdsRegion(c), "rds", "DeleteDBInstance", req, nil)
	if err != nil && strings.Contains(err.Error(), "disable deletion pro") &&
		!provider.Bool(olds, "deletionProtection", false) && provider.Bool(olds, "applyImmediately", false) {
		mod := map[string]any{"DBInstanceIdentifier": id, "ApplyImmediately": true, "DeletionProtection": false}
		if merr := cloud.Call(c, rdsRegion(c), "rds", "ModifyDBInstance", mod, nil); merr != nil {
			return fmt.Errorf("updating RDS DB Instance (%s): %w", id, merr)
		}
		if werr := waitDBAvailable(c, cloud, id, rdsUpdateTimeout); werr != nil {
			return werr
		}
		err = cloud.Call(c, rdsRegion(c), "rds", "DeleteDBInstance", req, nil)
	}
	if cloudrpc.IsCode(err, "DBInstanceNotFound", "DBInstanceNotFoundFault") {
		return nil
	}
	if err != nil && !(cloudrpc.IsCode(err, "InvalidDBInstanceState") && strings.Contains(err.Error(), "is already being deleted")) {
		return fmt.Errorf("deleting RDS DB Instance (%s): %w", id, err)
	}
	return waitUntil(c, fmt.Sprintf("RDS DB Instance (%s) to be deleted", id), rdsDeleteTimeout, func() (bool, error) {
		db, err := describeDB(c, cloud, id)
		return db == nil, err
	})
}
