package cloud

// EKS shapes, member names as in the EKS API reference
// (https://docs.aws.amazon.com/eks/latest/APIReference/). Members tagged
// `uri:"name"` travel in the request path, `query:"name"` in the query
// string (REST-JSON).

// VpcConfigRequest is the API's VpcConfigRequest.
type VpcConfigRequest struct {
	SubnetIds             []string `json:"subnetIds,omitempty"`
	SecurityGroupIds      []string `json:"securityGroupIds,omitempty"`
	EndpointPublicAccess  *bool    `json:"endpointPublicAccess,omitempty"`
	EndpointPrivateAccess *bool    `json:"endpointPrivateAccess,omitempty"`
	PublicAccessCidrs     []string `json:"publicAccessCidrs,omitempty"`
}

// VpcConfigResponse is the API's VpcConfigResponse.
type VpcConfigResponse struct {
	SubnetIds              []string `json:"subnetIds"`
	SecurityGroupIds       []string `json:"securityGroupIds"`
	ClusterSecurityGroupId *string  `json:"clusterSecurityGroupId,omitempty"`
	VpcId                  *string  `json:"vpcId,omitempty"`
	EndpointPublicAccess   *bool    `json:"endpointPublicAccess,omitempty"`
	EndpointPrivateAccess  *bool    `json:"endpointPrivateAccess,omitempty"`
	PublicAccessCidrs      []string `json:"publicAccessCidrs"`
}

// KubernetesNetworkConfig is the API's KubernetesNetworkConfigRequest/Response.
type KubernetesNetworkConfig struct {
	ServiceIpv4Cidr *string `json:"serviceIpv4Cidr,omitempty"`
	IpFamily        *string `json:"ipFamily,omitempty"`
}

// LogSetup is the API's LogSetup.
type LogSetup struct {
	Types   []string `json:"types,omitempty"`
	Enabled *bool    `json:"enabled,omitempty"`
}

// Logging is the API's Logging.
type Logging struct {
	ClusterLogging []LogSetup `json:"clusterLogging,omitempty"`
}

// EncryptionConfig is the API's EncryptionConfig.
type EncryptionConfig struct {
	Resources []string            `json:"resources,omitempty"`
	Provider  *EncryptionProvider `json:"provider,omitempty"`
}

// EncryptionProvider is the API's Provider.
type EncryptionProvider struct {
	KeyArn *string `json:"keyArn,omitempty"`
}

// AccessConfig is the API's CreateAccessConfigRequest / AccessConfigResponse.
type AccessConfig struct {
	BootstrapClusterCreatorAdminPermissions *bool   `json:"bootstrapClusterCreatorAdminPermissions,omitempty"`
	AuthenticationMode                      *string `json:"authenticationMode,omitempty"`
}

// UpgradePolicy is the API's UpgradePolicyRequest/Response.
type UpgradePolicy struct {
	SupportType *string `json:"supportType,omitempty"`
}

// Certificate is the API's Certificate.
type Certificate struct {
	Data *string `json:"data,omitempty"`
}

// OIDC is the API's OIDC.
type OIDC struct {
	Issuer *string `json:"issuer,omitempty"`
}

// Identity is the API's Identity.
type Identity struct {
	Oidc *OIDC `json:"oidc,omitempty"`
}

// EKSCluster is the API's Cluster.
type EKSCluster struct {
	Name                    *string                  `json:"name,omitempty"`
	Arn                     *string                  `json:"arn,omitempty"`
	CreatedAt               *Timestamp               `json:"createdAt,omitempty"`
	Version                 *string                  `json:"version,omitempty"`
	Endpoint                *string                  `json:"endpoint,omitempty"`
	RoleArn                 *string                  `json:"roleArn,omitempty"`
	ResourcesVpcConfig      *VpcConfigResponse       `json:"resourcesVpcConfig,omitempty"`
	KubernetesNetworkConfig *KubernetesNetworkConfig `json:"kubernetesNetworkConfig,omitempty"`
	Logging                 *Logging                 `json:"logging,omitempty"`
	Identity                *Identity                `json:"identity,omitempty"`
	Status                  *string                  `json:"status,omitempty"`
	CertificateAuthority    *Certificate             `json:"certificateAuthority,omitempty"`
	ClientRequestToken      *string                  `json:"clientRequestToken,omitempty"`
	PlatformVersion         *string                  `json:"platformVersion,omitempty"`
	Tags                    map[string]string        `json:"tags,omitempty"`
	EncryptionConfig        []EncryptionConfig       `json:"encryptionConfig,omitempty"`
	AccessConfig            *AccessConfig            `json:"accessConfig,omitempty"`
	UpgradePolicy           *UpgradePolicy           `json:"upgradePolicy,omitempty"`
}

// CreateClusterInput is the API's CreateClusterRequest.
type CreateClusterInput struct {
	Name                       *string                  `json:"name,omitempty" aws:"req"`
	Version                    *string                  `json:"version,omitempty"`
	RoleArn                    *string                  `json:"roleArn,omitempty" aws:"req"`
	ResourcesVpcConfig         *VpcConfigRequest        `json:"resourcesVpcConfig,omitempty" aws:"req"`
	KubernetesNetworkConfig    *KubernetesNetworkConfig `json:"kubernetesNetworkConfig,omitempty"`
	Logging                    *Logging                 `json:"logging,omitempty"`
	ClientRequestToken         *string                  `json:"clientRequestToken,omitempty"`
	Tags                       map[string]string        `json:"tags,omitempty"`
	EncryptionConfig           []EncryptionConfig       `json:"encryptionConfig,omitempty"`
	AccessConfig               *AccessConfig            `json:"accessConfig,omitempty"`
	BootstrapSelfManagedAddons *bool                    `json:"bootstrapSelfManagedAddons,omitempty"`
	UpgradePolicy              *UpgradePolicy           `json:"upgradePolicy,omitempty"`
}

// ClusterOutput wraps a Cluster (Create/Describe/DeleteClusterResponse).
type ClusterOutput struct {
	Cluster *EKSCluster `json:"cluster,omitempty"`
}

// ClusterNameInput names a cluster in the path.
type ClusterNameInput struct {
	Name *string `json:"name,omitempty" aws:"req" uri:"name"`
}

// NodegroupScalingConfig is the API's NodegroupScalingConfig.
type NodegroupScalingConfig struct {
	MinSize     *int `json:"minSize,omitempty"`
	MaxSize     *int `json:"maxSize,omitempty"`
	DesiredSize *int `json:"desiredSize,omitempty"`
}

// NodegroupUpdateConfig is the API's NodegroupUpdateConfig.
type NodegroupUpdateConfig struct {
	MaxUnavailable           *int `json:"maxUnavailable,omitempty"`
	MaxUnavailablePercentage *int `json:"maxUnavailablePercentage,omitempty"`
}

// LaunchTemplateSpecification is the API's LaunchTemplateSpecification.
type LaunchTemplateSpecification struct {
	Name    *string `json:"name,omitempty"`
	Version *string `json:"version,omitempty"`
	Id      *string `json:"id,omitempty"`
}

// RemoteAccessConfig is the API's RemoteAccessConfig.
type RemoteAccessConfig struct {
	Ec2SshKey            *string  `json:"ec2SshKey,omitempty"`
	SourceSecurityGroups []string `json:"sourceSecurityGroups,omitempty"`
}

// Taint is the API's Taint.
type Taint struct {
	Key    *string `json:"key,omitempty"`
	Value  *string `json:"value,omitempty"`
	Effect *string `json:"effect,omitempty"`
}

// AutoScalingGroupRef is the API's AutoScalingGroup (a name).
type AutoScalingGroupRef struct {
	Name *string `json:"name,omitempty"`
}

// NodegroupResources is the API's NodegroupResources.
type NodegroupResources struct {
	AutoScalingGroups         []AutoScalingGroupRef `json:"autoScalingGroups"`
	RemoteAccessSecurityGroup *string               `json:"remoteAccessSecurityGroup,omitempty"`
}

// Issue is the API's Issue.
type Issue struct {
	Code        *string  `json:"code,omitempty"`
	Message     *string  `json:"message,omitempty"`
	ResourceIds []string `json:"resourceIds,omitempty"`
}

// NodegroupHealth is the API's NodegroupHealth.
type NodegroupHealth struct {
	Issues []Issue `json:"issues"`
}

// NodeRepairConfig is the API's NodeRepairConfig.
type NodeRepairConfig struct {
	Enabled *bool `json:"enabled,omitempty"`
}

// Nodegroup is the API's Nodegroup.
type Nodegroup struct {
	NodegroupName    *string                      `json:"nodegroupName,omitempty"`
	NodegroupArn     *string                      `json:"nodegroupArn,omitempty"`
	ClusterName      *string                      `json:"clusterName,omitempty"`
	Version          *string                      `json:"version,omitempty"`
	ReleaseVersion   *string                      `json:"releaseVersion,omitempty"`
	CreatedAt        *Timestamp                   `json:"createdAt,omitempty"`
	ModifiedAt       *Timestamp                   `json:"modifiedAt,omitempty"`
	Status           *string                      `json:"status,omitempty"`
	CapacityType     *string                      `json:"capacityType,omitempty"`
	ScalingConfig    *NodegroupScalingConfig      `json:"scalingConfig,omitempty"`
	InstanceTypes    []string                     `json:"instanceTypes,omitempty"`
	Subnets          []string                     `json:"subnets,omitempty"`
	RemoteAccess     *RemoteAccessConfig          `json:"remoteAccess,omitempty"`
	AmiType          *string                      `json:"amiType,omitempty"`
	NodeRole         *string                      `json:"nodeRole,omitempty"`
	Labels           map[string]string            `json:"labels,omitempty"`
	Taints           []Taint                      `json:"taints,omitempty"`
	Resources        *NodegroupResources          `json:"resources,omitempty"`
	DiskSize         *int                         `json:"diskSize,omitempty"`
	Health           *NodegroupHealth             `json:"health,omitempty"`
	UpdateConfig     *NodegroupUpdateConfig       `json:"updateConfig,omitempty"`
	NodeRepairConfig *NodeRepairConfig            `json:"nodeRepairConfig,omitempty"`
	LaunchTemplate   *LaunchTemplateSpecification `json:"launchTemplate,omitempty"`
	Tags             map[string]string            `json:"tags,omitempty"`
}

// CreateNodegroupInput is the API's CreateNodegroupRequest.
type CreateNodegroupInput struct {
	ClusterName        *string                      `json:"clusterName,omitempty" aws:"req" uri:"name"`
	NodegroupName      *string                      `json:"nodegroupName,omitempty" aws:"req"`
	ScalingConfig      *NodegroupScalingConfig      `json:"scalingConfig,omitempty"`
	DiskSize           *int                         `json:"diskSize,omitempty"`
	Subnets            []string                     `json:"subnets,omitempty" aws:"req"`
	InstanceTypes      []string                     `json:"instanceTypes,omitempty"`
	AmiType            *string                      `json:"amiType,omitempty"`
	RemoteAccess       *RemoteAccessConfig          `json:"remoteAccess,omitempty"`
	NodeRole           *string                      `json:"nodeRole,omitempty" aws:"req"`
	Labels             map[string]string            `json:"labels,omitempty"`
	Taints             []Taint                      `json:"taints,omitempty"`
	Tags               map[string]string            `json:"tags,omitempty"`
	ClientRequestToken *string                      `json:"clientRequestToken,omitempty"`
	LaunchTemplate     *LaunchTemplateSpecification `json:"launchTemplate,omitempty"`
	UpdateConfig       *NodegroupUpdateConfig       `json:"updateConfig,omitempty"`
	NodeRepairConfig   *NodeRepairConfig            `json:"nodeRepairConfig,omitempty"`
	CapacityType       *string                      `json:"capacityType,omitempty"`
	Version            *string                      `json:"version,omitempty"`
	ReleaseVersion     *string                      `json:"releaseVersion,omitempty"`
}

// NodegroupOutput wraps a Nodegroup.
type NodegroupOutput struct {
	Nodegroup *Nodegroup `json:"nodegroup,omitempty"`
}

// NodegroupNameInput names a node group in the path.
type NodegroupNameInput struct {
	ClusterName   *string `json:"clusterName,omitempty" aws:"req" uri:"name"`
	NodegroupName *string `json:"nodegroupName,omitempty" aws:"req" uri:"nodegroupName"`
}

// UpdateLabelsPayload is the API's UpdateLabelsPayload.
type UpdateLabelsPayload struct {
	AddOrUpdateLabels map[string]string `json:"addOrUpdateLabels,omitempty"`
	RemoveLabels      []string          `json:"removeLabels,omitempty"`
}

// UpdateTaintsPayload is the API's UpdateTaintsPayload.
type UpdateTaintsPayload struct {
	AddOrUpdateTaints []Taint `json:"addOrUpdateTaints,omitempty"`
	RemoveTaints      []Taint `json:"removeTaints,omitempty"`
}

// UpdateNodegroupConfigInput is the API's UpdateNodegroupConfigRequest.
type UpdateNodegroupConfigInput struct {
	ClusterName        *string                 `json:"clusterName,omitempty" aws:"req" uri:"name"`
	NodegroupName      *string                 `json:"nodegroupName,omitempty" aws:"req" uri:"nodegroupName"`
	Labels             *UpdateLabelsPayload    `json:"labels,omitempty"`
	Taints             *UpdateTaintsPayload    `json:"taints,omitempty"`
	ScalingConfig      *NodegroupScalingConfig `json:"scalingConfig,omitempty"`
	UpdateConfig       *NodegroupUpdateConfig  `json:"updateConfig,omitempty"`
	NodeRepairConfig   *NodeRepairConfig       `json:"nodeRepairConfig,omitempty"`
	ClientRequestToken *string                 `json:"clientRequestToken,omitempty"`
}

// UpdateParam is the API's UpdateParam.
type UpdateParam struct {
	Type  *string `json:"type,omitempty"`
	Value *string `json:"value,omitempty"`
}

// ErrorDetail is the API's ErrorDetail.
type ErrorDetail struct {
	ErrorCode    *string  `json:"errorCode,omitempty"`
	ErrorMessage *string  `json:"errorMessage,omitempty"`
	ResourceIds  []string `json:"resourceIds,omitempty"`
}

// EKSUpdate is the API's Update.
type EKSUpdate struct {
	Id        *string       `json:"id,omitempty"`
	Status    *string       `json:"status,omitempty"`
	Type      *string       `json:"type,omitempty"`
	Params    []UpdateParam `json:"params"`
	CreatedAt *Timestamp    `json:"createdAt,omitempty"`
	Errors    []ErrorDetail `json:"errors"`
}

// UpdateOutput wraps an Update.
type UpdateOutput struct {
	Update *EKSUpdate `json:"update,omitempty"`
}

// DescribeUpdateInput is the API's DescribeUpdateRequest.
type DescribeUpdateInput struct {
	Name          *string `json:"name,omitempty" aws:"req" uri:"name"`
	UpdateId      *string `json:"updateId,omitempty" aws:"req" uri:"updateId"`
	NodegroupName *string `json:"nodegroupName,omitempty" query:"nodegroupName"`
	AddonName     *string `json:"addonName,omitempty" query:"addonName"`
}

// ListNodegroupsInput is the API's ListNodegroupsRequest.
type ListNodegroupsInput struct {
	ClusterName *string `json:"clusterName,omitempty" aws:"req" uri:"name"`
	MaxResults  *int    `json:"maxResults,omitempty" query:"maxResults"`
	NextToken   *string `json:"nextToken,omitempty" query:"nextToken"`
}

// ListNodegroupsOutput is the API's ListNodegroupsResponse.
type ListNodegroupsOutput struct {
	Nodegroups []string `json:"nodegroups"`
	NextToken  *string  `json:"nextToken,omitempty"`
}
