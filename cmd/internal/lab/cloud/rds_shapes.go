package cloud

// RDS shapes, member names as in the RDS API reference
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/), list
// element names as in its model (botocore rds/2014-10-31/service-2.json).

// DBInstance is the API's DBInstance.
type DBInstance struct {
	DBInstanceIdentifier                  *string                  `json:"DBInstanceIdentifier,omitempty"`
	DBInstanceClass                       *string                  `json:"DBInstanceClass,omitempty"`
	Engine                                *string                  `json:"Engine,omitempty"`
	DBInstanceStatus                      *string                  `json:"DBInstanceStatus,omitempty"`
	MasterUsername                        *string                  `json:"MasterUsername,omitempty"`
	DBName                                *string                  `json:"DBName,omitempty"`
	Endpoint                              *RDSEndpoint             `json:"Endpoint,omitempty"`
	AllocatedStorage                      *int                     `json:"AllocatedStorage,omitempty"`
	InstanceCreateTime                    *Timestamp               `json:"InstanceCreateTime,omitempty"`
	PreferredBackupWindow                 *string                  `json:"PreferredBackupWindow,omitempty"`
	BackupRetentionPeriod                 *int                     `json:"BackupRetentionPeriod,omitempty"`
	VpcSecurityGroups                     []VpcSecurityGroupMember `json:"VpcSecurityGroups,omitempty" aws:"loc=VpcSecurityGroupMembership"`
	DBParameterGroups                     []DBParameterGroupStatus `json:"DBParameterGroups,omitempty" aws:"loc=DBParameterGroup"`
	AvailabilityZone                      *string                  `json:"AvailabilityZone,omitempty"`
	DBSubnetGroup                         *DBSubnetGroup           `json:"DBSubnetGroup,omitempty"`
	PreferredMaintenanceWindow            *string                  `json:"PreferredMaintenanceWindow,omitempty"`
	PendingModifiedValues                 *PendingModifiedValues   `json:"PendingModifiedValues,omitempty"`
	MultiAZ                               *bool                    `json:"MultiAZ,omitempty"`
	EngineVersion                         *string                  `json:"EngineVersion,omitempty"`
	AutoMinorVersionUpgrade               *bool                    `json:"AutoMinorVersionUpgrade,omitempty"`
	ReadReplicaSourceDBInstanceIdentifier *string                  `json:"ReadReplicaSourceDBInstanceIdentifier,omitempty"`
	ReadReplicaDBInstanceIdentifiers      []string                 `json:"ReadReplicaDBInstanceIdentifiers,omitempty" aws:"loc=ReadReplicaDBInstanceIdentifier"`
	LicenseModel                          *string                  `json:"LicenseModel,omitempty"`
	Iops                                  *int                     `json:"Iops,omitempty"`
	PubliclyAccessible                    *bool                    `json:"PubliclyAccessible,omitempty"`
	StatusInfos                           []DBInstanceStatusInfo   `json:"StatusInfos,omitempty" aws:"loc=DBInstanceStatusInfo"`
	StorageType                           *string                  `json:"StorageType,omitempty"`
	DbInstancePort                        *int                     `json:"DbInstancePort,omitempty"`
	StorageEncrypted                      *bool                    `json:"StorageEncrypted,omitempty"`
	KmsKeyId                              *string                  `json:"KmsKeyId,omitempty"`
	DbiResourceId                         *string                  `json:"DbiResourceId,omitempty"`
	CACertificateIdentifier               *string                  `json:"CACertificateIdentifier,omitempty"`
	CopyTagsToSnapshot                    *bool                    `json:"CopyTagsToSnapshot,omitempty"`
	MonitoringInterval                    *int                     `json:"MonitoringInterval,omitempty"`
	MonitoringRoleArn                     *string                  `json:"MonitoringRoleArn,omitempty"`
	DBInstanceArn                         *string                  `json:"DBInstanceArn,omitempty"`
	IAMDatabaseAuthenticationEnabled      *bool                    `json:"IAMDatabaseAuthenticationEnabled,omitempty"`
	PerformanceInsightsEnabled            *bool                    `json:"PerformanceInsightsEnabled,omitempty"`
	PerformanceInsightsKMSKeyId           *string                  `json:"PerformanceInsightsKMSKeyId,omitempty"`
	PerformanceInsightsRetentionPeriod    *int                     `json:"PerformanceInsightsRetentionPeriod,omitempty"`
	EnabledCloudwatchLogsExports          []string                 `json:"EnabledCloudwatchLogsExports,omitempty"`
	DeletionProtection                    *bool                    `json:"DeletionProtection,omitempty"`
	MaxAllocatedStorage                   *int                     `json:"MaxAllocatedStorage,omitempty"`
	TagList                               []Tag                    `json:"TagList,omitempty" aws:"loc=Tag"`
	StorageThroughput                     *int                     `json:"StorageThroughput,omitempty"`
	NetworkType                           *string                  `json:"NetworkType,omitempty"`
	LatestRestorableTime                  *Timestamp               `json:"LatestRestorableTime,omitempty"`
	SecondaryAvailabilityZone             *string                  `json:"SecondaryAvailabilityZone,omitempty"`
	OptionGroupMemberships                []OptionGroupMembership  `json:"OptionGroupMemberships,omitempty" aws:"loc=OptionGroupMembership"`
}

// RDSEndpoint is the API's Endpoint.
type RDSEndpoint struct {
	Address      *string `json:"Address,omitempty"`
	Port         *int    `json:"Port,omitempty"`
	HostedZoneId *string `json:"HostedZoneId,omitempty"`
}

// VpcSecurityGroupMember is the API's VpcSecurityGroupMembership.
type VpcSecurityGroupMember struct {
	VpcSecurityGroupId *string `json:"VpcSecurityGroupId,omitempty"`
	Status             *string `json:"Status,omitempty"`
}

// DBParameterGroupStatus is the API's DBParameterGroupStatus.
type DBParameterGroupStatus struct {
	DBParameterGroupName *string `json:"DBParameterGroupName,omitempty"`
	ParameterApplyStatus *string `json:"ParameterApplyStatus,omitempty"`
}

// OptionGroupMembership is the API's OptionGroupMembership.
type OptionGroupMembership struct {
	OptionGroupName *string `json:"OptionGroupName,omitempty"`
	Status          *string `json:"Status,omitempty"`
}

// DBSubnetGroup is the API's DBSubnetGroup (the members a DBInstance shows).
type DBSubnetGroup struct {
	DBSubnetGroupName        *string `json:"DBSubnetGroupName,omitempty"`
	DBSubnetGroupArn         *string `json:"DBSubnetGroupArn,omitempty"`
	SubnetGroupStatus        *string `json:"SubnetGroupStatus,omitempty"`
	VpcId                    *string `json:"VpcId,omitempty"`
	DBSubnetGroupDescription *string `json:"DBSubnetGroupDescription,omitempty"`
}

// PendingModifiedValues is the API's PendingModifiedValues.
type PendingModifiedValues struct {
	DBInstanceClass       *string `json:"DBInstanceClass,omitempty"`
	AllocatedStorage      *int    `json:"AllocatedStorage,omitempty"`
	Port                  *int    `json:"Port,omitempty"`
	BackupRetentionPeriod *int    `json:"BackupRetentionPeriod,omitempty"`
	MultiAZ               *bool   `json:"MultiAZ,omitempty"`
	EngineVersion         *string `json:"EngineVersion,omitempty"`
	StorageType           *string `json:"StorageType,omitempty"`
}

// DBInstanceStatusInfo is the API's DBInstanceStatusInfo.
type DBInstanceStatusInfo struct {
	StatusType *string `json:"StatusType,omitempty"`
	Normal     *bool   `json:"Normal,omitempty"`
	Status     *string `json:"Status,omitempty"`
	Message    *string `json:"Message,omitempty"`
}

// CreateDBInstanceInput is the API's CreateDBInstanceMessage.
type CreateDBInstanceInput struct {
	DBInstanceIdentifier               *string  `json:"DBInstanceIdentifier,omitempty" aws:"req"`
	DBInstanceClass                    *string  `json:"DBInstanceClass,omitempty" aws:"req"`
	Engine                             *string  `json:"Engine,omitempty" aws:"req"`
	DBName                             *string  `json:"DBName,omitempty"`
	AllocatedStorage                   *int     `json:"AllocatedStorage,omitempty"`
	MaxAllocatedStorage                *int     `json:"MaxAllocatedStorage,omitempty"`
	MasterUsername                     *string  `json:"MasterUsername,omitempty"`
	MasterUserPassword                 *string  `json:"MasterUserPassword,omitempty"`
	ManageMasterUserPassword           *bool    `json:"ManageMasterUserPassword,omitempty"`
	VpcSecurityGroupIds                []string `json:"VpcSecurityGroupIds,omitempty" aws:"loc=VpcSecurityGroupId"`
	AvailabilityZone                   *string  `json:"AvailabilityZone,omitempty"`
	DBSubnetGroupName                  *string  `json:"DBSubnetGroupName,omitempty"`
	PreferredMaintenanceWindow         *string  `json:"PreferredMaintenanceWindow,omitempty"`
	DBParameterGroupName               *string  `json:"DBParameterGroupName,omitempty"`
	BackupRetentionPeriod              *int     `json:"BackupRetentionPeriod,omitempty"`
	PreferredBackupWindow              *string  `json:"PreferredBackupWindow,omitempty"`
	Port                               *int     `json:"Port,omitempty"`
	MultiAZ                            *bool    `json:"MultiAZ,omitempty"`
	EngineVersion                      *string  `json:"EngineVersion,omitempty"`
	AutoMinorVersionUpgrade            *bool    `json:"AutoMinorVersionUpgrade,omitempty"`
	LicenseModel                       *string  `json:"LicenseModel,omitempty"`
	Iops                               *int     `json:"Iops,omitempty"`
	StorageThroughput                  *int     `json:"StorageThroughput,omitempty"`
	OptionGroupName                    *string  `json:"OptionGroupName,omitempty"`
	PubliclyAccessible                 *bool    `json:"PubliclyAccessible,omitempty"`
	Tags                               []Tag    `json:"Tags,omitempty" aws:"loc=Tag"`
	StorageType                        *string  `json:"StorageType,omitempty"`
	StorageEncrypted                   *bool    `json:"StorageEncrypted,omitempty"`
	KmsKeyId                           *string  `json:"KmsKeyId,omitempty"`
	CopyTagsToSnapshot                 *bool    `json:"CopyTagsToSnapshot,omitempty"`
	MonitoringInterval                 *int     `json:"MonitoringInterval,omitempty"`
	MonitoringRoleArn                  *string  `json:"MonitoringRoleArn,omitempty"`
	EnableIAMDatabaseAuthentication    *bool    `json:"EnableIAMDatabaseAuthentication,omitempty"`
	EnablePerformanceInsights          *bool    `json:"EnablePerformanceInsights,omitempty"`
	PerformanceInsightsKMSKeyId        *string  `json:"PerformanceInsightsKMSKeyId,omitempty"`
	PerformanceInsightsRetentionPeriod *int     `json:"PerformanceInsightsRetentionPeriod,omitempty"`
	EnableCloudwatchLogsExports        []string `json:"EnableCloudwatchLogsExports,omitempty"`
	DeletionProtection                 *bool    `json:"DeletionProtection,omitempty"`
	CACertificateIdentifier            *string  `json:"CACertificateIdentifier,omitempty"`
	NetworkType                        *string  `json:"NetworkType,omitempty"`
}

// CreateDBInstanceReadReplicaInput is the API's
// CreateDBInstanceReadReplicaMessage. It has no DBName, MasterUsername or
// MasterUserPassword: a replica inherits them.
type CreateDBInstanceReadReplicaInput struct {
	DBInstanceIdentifier               *string  `json:"DBInstanceIdentifier,omitempty" aws:"req"`
	SourceDBInstanceIdentifier         *string  `json:"SourceDBInstanceIdentifier,omitempty" aws:"req"`
	DBInstanceClass                    *string  `json:"DBInstanceClass,omitempty"`
	AvailabilityZone                   *string  `json:"AvailabilityZone,omitempty"`
	Port                               *int     `json:"Port,omitempty"`
	MultiAZ                            *bool    `json:"MultiAZ,omitempty"`
	AutoMinorVersionUpgrade            *bool    `json:"AutoMinorVersionUpgrade,omitempty"`
	Iops                               *int     `json:"Iops,omitempty"`
	StorageThroughput                  *int     `json:"StorageThroughput,omitempty"`
	OptionGroupName                    *string  `json:"OptionGroupName,omitempty"`
	DBParameterGroupName               *string  `json:"DBParameterGroupName,omitempty"`
	PubliclyAccessible                 *bool    `json:"PubliclyAccessible,omitempty"`
	Tags                               []Tag    `json:"Tags,omitempty" aws:"loc=Tag"`
	DBSubnetGroupName                  *string  `json:"DBSubnetGroupName,omitempty"`
	VpcSecurityGroupIds                []string `json:"VpcSecurityGroupIds,omitempty" aws:"loc=VpcSecurityGroupId"`
	StorageType                        *string  `json:"StorageType,omitempty"`
	CopyTagsToSnapshot                 *bool    `json:"CopyTagsToSnapshot,omitempty"`
	MonitoringInterval                 *int     `json:"MonitoringInterval,omitempty"`
	MonitoringRoleArn                  *string  `json:"MonitoringRoleArn,omitempty"`
	KmsKeyId                           *string  `json:"KmsKeyId,omitempty"`
	EnableIAMDatabaseAuthentication    *bool    `json:"EnableIAMDatabaseAuthentication,omitempty"`
	EnablePerformanceInsights          *bool    `json:"EnablePerformanceInsights,omitempty"`
	PerformanceInsightsKMSKeyId        *string  `json:"PerformanceInsightsKMSKeyId,omitempty"`
	PerformanceInsightsRetentionPeriod *int     `json:"PerformanceInsightsRetentionPeriod,omitempty"`
	EnableCloudwatchLogsExports        []string `json:"EnableCloudwatchLogsExports,omitempty"`
	DeletionProtection                 *bool    `json:"DeletionProtection,omitempty"`
	MaxAllocatedStorage                *int     `json:"MaxAllocatedStorage,omitempty"`
	AllocatedStorage                   *int     `json:"AllocatedStorage,omitempty"`
	NetworkType                        *string  `json:"NetworkType,omitempty"`
	// SourceRegion is the SDKs' client-side parameter for presigning; it
	// never reaches RDS on the wire, and the RPC refuses it the same way.
}

// DBInstanceOutput wraps one DBInstance (CreateDBInstanceResult,
// PromoteReadReplicaResult, ModifyDBInstanceResult, DeleteDBInstanceResult…).
type DBInstanceOutput struct {
	DBInstance *DBInstance `json:"DBInstance,omitempty"`
}

// DescribeDBInstancesInput is the API's DescribeDBInstancesMessage.
type DescribeDBInstancesInput struct {
	DBInstanceIdentifier *string  `json:"DBInstanceIdentifier,omitempty"`
	Filters              []Filter `json:"Filters,omitempty" aws:"loc=Filter"`
	MaxRecords           *int     `json:"MaxRecords,omitempty"`
	Marker               *string  `json:"Marker,omitempty"`
}

// Filter is RDS's Filter.
type Filter struct {
	Name   *string  `json:"Name,omitempty" aws:"req"`
	Values []string `json:"Values,omitempty" aws:"req,loc=Value"`
}

// DescribeDBInstancesOutput is the API's DBInstanceMessage.
type DescribeDBInstancesOutput struct {
	Marker      *string      `json:"Marker,omitempty"`
	DBInstances []DBInstance `json:"DBInstances" aws:"loc=DBInstance"`
}

// ModifyDBInstanceInput is the API's ModifyDBInstanceMessage.
type ModifyDBInstanceInput struct {
	DBInstanceIdentifier               *string                            `json:"DBInstanceIdentifier,omitempty" aws:"req"`
	AllocatedStorage                   *int                               `json:"AllocatedStorage,omitempty"`
	DBInstanceClass                    *string                            `json:"DBInstanceClass,omitempty"`
	DBSubnetGroupName                  *string                            `json:"DBSubnetGroupName,omitempty"`
	VpcSecurityGroupIds                []string                           `json:"VpcSecurityGroupIds,omitempty" aws:"loc=VpcSecurityGroupId"`
	ApplyImmediately                   *bool                              `json:"ApplyImmediately,omitempty"`
	MasterUserPassword                 *string                            `json:"MasterUserPassword,omitempty"`
	DBParameterGroupName               *string                            `json:"DBParameterGroupName,omitempty"`
	BackupRetentionPeriod              *int                               `json:"BackupRetentionPeriod,omitempty"`
	PreferredBackupWindow              *string                            `json:"PreferredBackupWindow,omitempty"`
	PreferredMaintenanceWindow         *string                            `json:"PreferredMaintenanceWindow,omitempty"`
	MultiAZ                            *bool                              `json:"MultiAZ,omitempty"`
	EngineVersion                      *string                            `json:"EngineVersion,omitempty"`
	AllowMajorVersionUpgrade           *bool                              `json:"AllowMajorVersionUpgrade,omitempty"`
	AutoMinorVersionUpgrade            *bool                              `json:"AutoMinorVersionUpgrade,omitempty"`
	Iops                               *int                               `json:"Iops,omitempty"`
	StorageThroughput                  *int                               `json:"StorageThroughput,omitempty"`
	OptionGroupName                    *string                            `json:"OptionGroupName,omitempty"`
	StorageType                        *string                            `json:"StorageType,omitempty"`
	CopyTagsToSnapshot                 *bool                              `json:"CopyTagsToSnapshot,omitempty"`
	MonitoringInterval                 *int                               `json:"MonitoringInterval,omitempty"`
	MonitoringRoleArn                  *string                            `json:"MonitoringRoleArn,omitempty"`
	PubliclyAccessible                 *bool                              `json:"PubliclyAccessible,omitempty"`
	EnableIAMDatabaseAuthentication    *bool                              `json:"EnableIAMDatabaseAuthentication,omitempty"`
	EnablePerformanceInsights          *bool                              `json:"EnablePerformanceInsights,omitempty"`
	PerformanceInsightsKMSKeyId        *string                            `json:"PerformanceInsightsKMSKeyId,omitempty"`
	PerformanceInsightsRetentionPeriod *int                               `json:"PerformanceInsightsRetentionPeriod,omitempty"`
	CloudwatchLogsExportConfiguration  *CloudwatchLogsExportConfiguration `json:"CloudwatchLogsExportConfiguration,omitempty"`
	DeletionProtection                 *bool                              `json:"DeletionProtection,omitempty"`
	MaxAllocatedStorage                *int                               `json:"MaxAllocatedStorage,omitempty"`
	CACertificateIdentifier            *string                            `json:"CACertificateIdentifier,omitempty"`
	NetworkType                        *string                            `json:"NetworkType,omitempty"`
}

// CloudwatchLogsExportConfiguration is the API's shape of that name.
type CloudwatchLogsExportConfiguration struct {
	EnableLogTypes  []string `json:"EnableLogTypes,omitempty"`
	DisableLogTypes []string `json:"DisableLogTypes,omitempty"`
}

// PromoteReadReplicaInput is the API's PromoteReadReplicaMessage.
type PromoteReadReplicaInput struct {
	DBInstanceIdentifier  *string `json:"DBInstanceIdentifier,omitempty" aws:"req"`
	BackupRetentionPeriod *int    `json:"BackupRetentionPeriod,omitempty"`
	PreferredBackupWindow *string `json:"PreferredBackupWindow,omitempty"`
}

// DeleteDBInstanceInput is the API's DeleteDBInstanceMessage.
type DeleteDBInstanceInput struct {
	DBInstanceIdentifier      *string `json:"DBInstanceIdentifier,omitempty" aws:"req"`
	SkipFinalSnapshot         *bool   `json:"SkipFinalSnapshot,omitempty"`
	FinalDBSnapshotIdentifier *string `json:"FinalDBSnapshotIdentifier,omitempty"`
	DeleteAutomatedBackups    *bool   `json:"DeleteAutomatedBackups,omitempty"`
}

// DBSnapshot is the API's DBSnapshot.
type DBSnapshot struct {
	DBSnapshotIdentifier       *string    `json:"DBSnapshotIdentifier,omitempty"`
	DBInstanceIdentifier       *string    `json:"DBInstanceIdentifier,omitempty"`
	SnapshotCreateTime         *Timestamp `json:"SnapshotCreateTime,omitempty"`
	Engine                     *string    `json:"Engine,omitempty"`
	AllocatedStorage           *int       `json:"AllocatedStorage,omitempty"`
	Status                     *string    `json:"Status,omitempty"`
	Port                       *int       `json:"Port,omitempty"`
	AvailabilityZone           *string    `json:"AvailabilityZone,omitempty"`
	InstanceCreateTime         *Timestamp `json:"InstanceCreateTime,omitempty"`
	MasterUsername             *string    `json:"MasterUsername,omitempty"`
	EngineVersion              *string    `json:"EngineVersion,omitempty"`
	SnapshotType               *string    `json:"SnapshotType,omitempty"`
	PercentProgress            *int       `json:"PercentProgress,omitempty"`
	StorageType                *string    `json:"StorageType,omitempty"`
	Encrypted                  *bool      `json:"Encrypted,omitempty"`
	KmsKeyId                   *string    `json:"KmsKeyId,omitempty"`
	DBSnapshotArn              *string    `json:"DBSnapshotArn,omitempty"`
	DbiResourceId              *string    `json:"DbiResourceId,omitempty"`
	TagList                    []Tag      `json:"TagList,omitempty" aws:"loc=Tag"`
	OriginalSnapshotCreateTime *Timestamp `json:"OriginalSnapshotCreateTime,omitempty"`
}

// CreateDBSnapshotInput is the API's CreateDBSnapshotMessage.
type CreateDBSnapshotInput struct {
	DBSnapshotIdentifier *string `json:"DBSnapshotIdentifier,omitempty" aws:"req"`
	DBInstanceIdentifier *string `json:"DBInstanceIdentifier,omitempty" aws:"req"`
	Tags                 []Tag   `json:"Tags,omitempty" aws:"loc=Tag"`
}

// DBSnapshotOutput wraps one DBSnapshot (CreateDBSnapshotResult).
type DBSnapshotOutput struct {
	DBSnapshot *DBSnapshot `json:"DBSnapshot,omitempty"`
}

// DescribeDBSnapshotsInput is the API's DescribeDBSnapshotsMessage.
type DescribeDBSnapshotsInput struct {
	DBInstanceIdentifier *string  `json:"DBInstanceIdentifier,omitempty"`
	DBSnapshotIdentifier *string  `json:"DBSnapshotIdentifier,omitempty"`
	SnapshotType         *string  `json:"SnapshotType,omitempty"`
	Filters              []Filter `json:"Filters,omitempty" aws:"loc=Filter"`
	MaxRecords           *int     `json:"MaxRecords,omitempty"`
	Marker               *string  `json:"Marker,omitempty"`
	IncludeShared        *bool    `json:"IncludeShared,omitempty"`
	IncludePublic        *bool    `json:"IncludePublic,omitempty"`
	DbiResourceId        *string  `json:"DbiResourceId,omitempty"`
}

// DescribeDBSnapshotsOutput is the API's DBSnapshotMessage.
type DescribeDBSnapshotsOutput struct {
	Marker      *string      `json:"Marker,omitempty"`
	DBSnapshots []DBSnapshot `json:"DBSnapshots" aws:"loc=DBSnapshot"`
}

// DeleteDBSnapshotInput is the API's DeleteDBSnapshotMessage.
type DeleteDBSnapshotInput struct {
	DBSnapshotIdentifier *string `json:"DBSnapshotIdentifier,omitempty" aws:"req"`
}
