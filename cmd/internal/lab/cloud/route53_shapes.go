package cloud

// Route 53 shapes, member names as in the Route 53 API reference
// (https://docs.aws.amazon.com/Route53/latest/APIReference/), list element
// names as in its model (botocore route53/2013-04-01/service-2.json).
// Members tagged `uri:"Name"` travel in the request path on the REST wire.

// AlarmIdentifier is the API's AlarmIdentifier.
type AlarmIdentifier struct {
	Region *string `json:"Region,omitempty" aws:"req"`
	Name   *string `json:"Name,omitempty" aws:"req"`
}

// HealthCheckConfig is the API's HealthCheckConfig.
type HealthCheckConfig struct {
	IPAddress                    *string          `json:"IPAddress,omitempty"`
	Port                         *int             `json:"Port,omitempty"`
	Type                         *string          `json:"Type,omitempty" aws:"req"`
	ResourcePath                 *string          `json:"ResourcePath,omitempty"`
	FullyQualifiedDomainName     *string          `json:"FullyQualifiedDomainName,omitempty"`
	SearchString                 *string          `json:"SearchString,omitempty"`
	RequestInterval              *int             `json:"RequestInterval,omitempty"`
	FailureThreshold             *int             `json:"FailureThreshold,omitempty"`
	MeasureLatency               *bool            `json:"MeasureLatency,omitempty"`
	Inverted                     *bool            `json:"Inverted,omitempty"`
	Disabled                     *bool            `json:"Disabled,omitempty"`
	HealthThreshold              *int             `json:"HealthThreshold,omitempty"`
	ChildHealthChecks            []string         `json:"ChildHealthChecks,omitempty" aws:"loc=ChildHealthCheck"`
	EnableSNI                    *bool            `json:"EnableSNI,omitempty"`
	Regions                      []string         `json:"Regions,omitempty" aws:"loc=Region"`
	AlarmIdentifier              *AlarmIdentifier `json:"AlarmIdentifier,omitempty"`
	InsufficientDataHealthStatus *string          `json:"InsufficientDataHealthStatus,omitempty"`
	RoutingControlArn            *string          `json:"RoutingControlArn,omitempty"`
}

// CloudWatchAlarmConfiguration is the API's shape of that name.
type CloudWatchAlarmConfiguration struct {
	EvaluationPeriods  *int        `json:"EvaluationPeriods,omitempty"`
	Threshold          *float64    `json:"Threshold,omitempty"`
	ComparisonOperator *string     `json:"ComparisonOperator,omitempty"`
	Period             *int        `json:"Period,omitempty"`
	MetricName         *string     `json:"MetricName,omitempty"`
	Namespace          *string     `json:"Namespace,omitempty"`
	Statistic          *string     `json:"Statistic,omitempty"`
	Dimensions         []Dimension `json:"Dimensions,omitempty" aws:"loc=Dimension"`
}

// HealthCheck is the API's HealthCheck.
type HealthCheck struct {
	Id                           *string                       `json:"Id,omitempty"`
	CallerReference              *string                       `json:"CallerReference,omitempty"`
	HealthCheckConfig            *HealthCheckConfig            `json:"HealthCheckConfig,omitempty"`
	HealthCheckVersion           *int                          `json:"HealthCheckVersion,omitempty"`
	CloudWatchAlarmConfiguration *CloudWatchAlarmConfiguration `json:"CloudWatchAlarmConfiguration,omitempty"`
}

// CreateHealthCheckInput is the API's CreateHealthCheckRequest.
type CreateHealthCheckInput struct {
	CallerReference   *string            `json:"CallerReference,omitempty" aws:"req"`
	HealthCheckConfig *HealthCheckConfig `json:"HealthCheckConfig,omitempty" aws:"req"`
}

// HealthCheckOutput wraps a HealthCheck (Create/Get/UpdateHealthCheckResponse).
type HealthCheckOutput struct {
	HealthCheck *HealthCheck `json:"HealthCheck,omitempty"`
}

// HealthCheckIDInput names a health check in the path.
type HealthCheckIDInput struct {
	HealthCheckId *string `json:"HealthCheckId,omitempty" aws:"req" uri:"HealthCheckId"`
}

// UpdateHealthCheckInput is the API's UpdateHealthCheckRequest.
type UpdateHealthCheckInput struct {
	HealthCheckId                *string          `json:"HealthCheckId,omitempty" aws:"req" uri:"HealthCheckId"`
	HealthCheckVersion           *int             `json:"HealthCheckVersion,omitempty"`
	IPAddress                    *string          `json:"IPAddress,omitempty"`
	Port                         *int             `json:"Port,omitempty"`
	ResourcePath                 *string          `json:"ResourcePath,omitempty"`
	FullyQualifiedDomainName     *string          `json:"FullyQualifiedDomainName,omitempty"`
	SearchString                 *string          `json:"SearchString,omitempty"`
	FailureThreshold             *int             `json:"FailureThreshold,omitempty"`
	Inverted                     *bool            `json:"Inverted,omitempty"`
	Disabled                     *bool            `json:"Disabled,omitempty"`
	HealthThreshold              *int             `json:"HealthThreshold,omitempty"`
	ChildHealthChecks            []string         `json:"ChildHealthChecks,omitempty" aws:"loc=ChildHealthCheck"`
	EnableSNI                    *bool            `json:"EnableSNI,omitempty"`
	Regions                      []string         `json:"Regions,omitempty" aws:"loc=Region"`
	AlarmIdentifier              *AlarmIdentifier `json:"AlarmIdentifier,omitempty"`
	InsufficientDataHealthStatus *string          `json:"InsufficientDataHealthStatus,omitempty"`
	ResetElements                []string         `json:"ResetElements,omitempty" aws:"loc=ResettableElementName"`
}

// StatusReport is the API's StatusReport.
type StatusReport struct {
	Status      *string    `json:"Status,omitempty"`
	CheckedTime *Timestamp `json:"CheckedTime,omitempty"`
}

// HealthCheckObservation is the API's HealthCheckObservation.
type HealthCheckObservation struct {
	Region       *string       `json:"Region,omitempty"`
	IPAddress    *string       `json:"IPAddress,omitempty"`
	StatusReport *StatusReport `json:"StatusReport,omitempty"`
}

// GetHealthCheckStatusOutput is the API's GetHealthCheckStatusResponse.
type GetHealthCheckStatusOutput struct {
	HealthCheckObservations []HealthCheckObservation `json:"HealthCheckObservations" aws:"loc=HealthCheckObservation"`
}

// ListHealthChecksInput is the API's ListHealthChecksRequest.
type ListHealthChecksInput struct {
	Marker   *string `json:"Marker,omitempty" query:"marker"`
	MaxItems *string `json:"MaxItems,omitempty" query:"maxitems"`
}

// ListHealthChecksOutput is the API's ListHealthChecksResponse.
type ListHealthChecksOutput struct {
	HealthChecks []HealthCheck `json:"HealthChecks" aws:"loc=HealthCheck"`
	Marker       *string       `json:"Marker,omitempty"`
	IsTruncated  *bool         `json:"IsTruncated,omitempty"`
	NextMarker   *string       `json:"NextMarker,omitempty"`
	MaxItems     *string       `json:"MaxItems,omitempty"`
}

// HostedZoneConfig is the API's HostedZoneConfig.
type HostedZoneConfig struct {
	Comment     *string `json:"Comment,omitempty"`
	PrivateZone *bool   `json:"PrivateZone,omitempty"`
}

// HostedZone is the API's HostedZone.
type HostedZone struct {
	Id                     *string           `json:"Id,omitempty"`
	Name                   *string           `json:"Name,omitempty"`
	CallerReference        *string           `json:"CallerReference,omitempty"`
	Config                 *HostedZoneConfig `json:"Config,omitempty"`
	ResourceRecordSetCount *int              `json:"ResourceRecordSetCount,omitempty"`
}

// DelegationSet is the API's DelegationSet.
type DelegationSet struct {
	NameServers []string `json:"NameServers" aws:"loc=NameServer"`
}

// ChangeInfo is the API's ChangeInfo.
type ChangeInfo struct {
	Id          *string    `json:"Id,omitempty"`
	Status      *string    `json:"Status,omitempty"`
	SubmittedAt *Timestamp `json:"SubmittedAt,omitempty"`
	Comment     *string    `json:"Comment,omitempty"`
}

// CreateHostedZoneInput is the API's CreateHostedZoneRequest (public zones).
type CreateHostedZoneInput struct {
	Name             *string           `json:"Name,omitempty" aws:"req"`
	CallerReference  *string           `json:"CallerReference,omitempty" aws:"req"`
	HostedZoneConfig *HostedZoneConfig `json:"HostedZoneConfig,omitempty"`
	DelegationSetId  *string           `json:"DelegationSetId,omitempty"`
}

// CreateHostedZoneOutput is the API's CreateHostedZoneResponse.
type CreateHostedZoneOutput struct {
	HostedZone    *HostedZone    `json:"HostedZone,omitempty"`
	ChangeInfo    *ChangeInfo    `json:"ChangeInfo,omitempty"`
	DelegationSet *DelegationSet `json:"DelegationSet,omitempty"`
}

// HostedZoneIDInput names a hosted zone in the path.
type HostedZoneIDInput struct {
	Id *string `json:"Id,omitempty" aws:"req" uri:"Id"`
}

// GetHostedZoneOutput is the API's GetHostedZoneResponse.
type GetHostedZoneOutput struct {
	HostedZone    *HostedZone    `json:"HostedZone,omitempty"`
	DelegationSet *DelegationSet `json:"DelegationSet,omitempty"`
}

// ListHostedZonesInput is the API's ListHostedZonesRequest.
type ListHostedZonesInput struct {
	Marker          *string `json:"Marker,omitempty" query:"marker"`
	MaxItems        *string `json:"MaxItems,omitempty" query:"maxitems"`
	DelegationSetId *string `json:"DelegationSetId,omitempty" query:"delegationsetid"`
}

// ListHostedZonesOutput is the API's ListHostedZonesResponse.
type ListHostedZonesOutput struct {
	HostedZones []HostedZone `json:"HostedZones" aws:"loc=HostedZone"`
	Marker      *string      `json:"Marker,omitempty"`
	IsTruncated *bool        `json:"IsTruncated,omitempty"`
	NextMarker  *string      `json:"NextMarker,omitempty"`
	MaxItems    *string      `json:"MaxItems,omitempty"`
}

// ListHostedZonesByNameInput is the API's ListHostedZonesByNameRequest.
type ListHostedZonesByNameInput struct {
	DNSName      *string `json:"DNSName,omitempty" query:"dnsname"`
	HostedZoneId *string `json:"HostedZoneId,omitempty" query:"hostedzoneid"`
	MaxItems     *string `json:"MaxItems,omitempty" query:"maxitems"`
}

// ListHostedZonesByNameOutput is the API's ListHostedZonesByNameResponse.
type ListHostedZonesByNameOutput struct {
	HostedZones      []HostedZone `json:"HostedZones" aws:"loc=HostedZone"`
	DNSName          *string      `json:"DNSName,omitempty"`
	HostedZoneId     *string      `json:"HostedZoneId,omitempty"`
	IsTruncated      *bool        `json:"IsTruncated,omitempty"`
	NextDNSName      *string      `json:"NextDNSName,omitempty"`
	NextHostedZoneId *string      `json:"NextHostedZoneId,omitempty"`
	MaxItems         *string      `json:"MaxItems,omitempty"`
}

// ResourceRecord is the API's ResourceRecord.
type ResourceRecord struct {
	Value *string `json:"Value,omitempty" aws:"req"`
}

// AliasTarget is the API's AliasTarget.
type AliasTarget struct {
	HostedZoneId         *string `json:"HostedZoneId,omitempty" aws:"req"`
	DNSName              *string `json:"DNSName,omitempty" aws:"req"`
	EvaluateTargetHealth *bool   `json:"EvaluateTargetHealth,omitempty" aws:"req"`
}

// ResourceRecordSet is the API's ResourceRecordSet.
type ResourceRecordSet struct {
	Name             *string          `json:"Name,omitempty" aws:"req"`
	Type             *string          `json:"Type,omitempty" aws:"req"`
	SetIdentifier    *string          `json:"SetIdentifier,omitempty"`
	Weight           *int             `json:"Weight,omitempty"`
	Region           *string          `json:"Region,omitempty"`
	Failover         *string          `json:"Failover,omitempty"`
	MultiValueAnswer *bool            `json:"MultiValueAnswer,omitempty"`
	TTL              *int             `json:"TTL,omitempty"`
	ResourceRecords  []ResourceRecord `json:"ResourceRecords,omitempty" aws:"loc=ResourceRecord"`
	AliasTarget      *AliasTarget     `json:"AliasTarget,omitempty"`
	HealthCheckId    *string          `json:"HealthCheckId,omitempty"`
}

// Change is the API's Change.
type Change struct {
	Action            *string            `json:"Action,omitempty" aws:"req"`
	ResourceRecordSet *ResourceRecordSet `json:"ResourceRecordSet,omitempty" aws:"req"`
}

// ChangeBatch is the API's ChangeBatch.
type ChangeBatch struct {
	Comment *string  `json:"Comment,omitempty"`
	Changes []Change `json:"Changes,omitempty" aws:"req,loc=Change"`
}

// ChangeResourceRecordSetsInput is the API's ChangeResourceRecordSetsRequest.
type ChangeResourceRecordSetsInput struct {
	HostedZoneId *string      `json:"HostedZoneId,omitempty" aws:"req" uri:"Id"`
	ChangeBatch  *ChangeBatch `json:"ChangeBatch,omitempty" aws:"req"`
}

// ChangeInfoOutput wraps a ChangeInfo (ChangeResourceRecordSetsResponse, GetChangeResponse).
type ChangeInfoOutput struct {
	ChangeInfo *ChangeInfo `json:"ChangeInfo,omitempty"`
}

// GetChangeInput is the API's GetChangeRequest.
type GetChangeInput struct {
	Id *string `json:"Id,omitempty" aws:"req" uri:"Id"`
}

// ListResourceRecordSetsInput is the API's ListResourceRecordSetsRequest.
type ListResourceRecordSetsInput struct {
	HostedZoneId          *string `json:"HostedZoneId,omitempty" aws:"req" uri:"Id"`
	StartRecordName       *string `json:"StartRecordName,omitempty" query:"name"`
	StartRecordType       *string `json:"StartRecordType,omitempty" query:"type"`
	StartRecordIdentifier *string `json:"StartRecordIdentifier,omitempty" query:"identifier"`
	MaxItems              *string `json:"MaxItems,omitempty" query:"maxitems"`
}

// ListResourceRecordSetsOutput is the API's ListResourceRecordSetsResponse.
type ListResourceRecordSetsOutput struct {
	ResourceRecordSets   []ResourceRecordSet `json:"ResourceRecordSets" aws:"loc=ResourceRecordSet"`
	IsTruncated          *bool               `json:"IsTruncated,omitempty"`
	NextRecordName       *string             `json:"NextRecordName,omitempty"`
	NextRecordType       *string             `json:"NextRecordType,omitempty"`
	NextRecordIdentifier *string             `json:"NextRecordIdentifier,omitempty"`
	MaxItems             *string             `json:"MaxItems,omitempty"`
}

// Route53ListTagsInput is Route 53's ListTagsForResourceRequest.
type Route53ListTagsInput struct {
	ResourceType *string `json:"ResourceType,omitempty" aws:"req" uri:"ResourceType"`
	ResourceId   *string `json:"ResourceId,omitempty" aws:"req" uri:"ResourceId"`
}

// ResourceTagSet is Route 53's ResourceTagSet.
type ResourceTagSet struct {
	ResourceType *string `json:"ResourceType,omitempty"`
	ResourceId   *string `json:"ResourceId,omitempty"`
	Tags         []Tag   `json:"Tags" aws:"loc=Tag"`
}

// Route53ListTagsOutput is Route 53's ListTagsForResourceResponse.
type Route53ListTagsOutput struct {
	ResourceTagSet *ResourceTagSet `json:"ResourceTagSet,omitempty"`
}

// ChangeTagsForResourceInput is Route 53's ChangeTagsForResourceRequest.
type ChangeTagsForResourceInput struct {
	ResourceType  *string  `json:"ResourceType,omitempty" aws:"req" uri:"ResourceType"`
	ResourceId    *string  `json:"ResourceId,omitempty" aws:"req" uri:"ResourceId"`
	AddTags       []Tag    `json:"AddTags,omitempty" aws:"loc=Tag"`
	RemoveTagKeys []string `json:"RemoveTagKeys,omitempty" aws:"loc=Key"`
}
