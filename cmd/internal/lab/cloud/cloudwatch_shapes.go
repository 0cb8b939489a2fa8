package cloud

// CloudWatch shapes, member names as in the CloudWatch API reference
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/). The
// query protocol's lists use the default "member" element.

// Dimension is the API's Dimension.
type Dimension struct {
	Name  *string `json:"Name,omitempty" aws:"req"`
	Value *string `json:"Value,omitempty" aws:"req"`
}

// StatisticSet is the API's StatisticSet.
type StatisticSet struct {
	SampleCount *float64 `json:"SampleCount,omitempty" aws:"req"`
	Sum         *float64 `json:"Sum,omitempty" aws:"req"`
	Minimum     *float64 `json:"Minimum,omitempty" aws:"req"`
	Maximum     *float64 `json:"Maximum,omitempty" aws:"req"`
}

// MetricDatum is the API's MetricDatum.
type MetricDatum struct {
	MetricName        *string       `json:"MetricName,omitempty" aws:"req"`
	Dimensions        []Dimension   `json:"Dimensions,omitempty"`
	Timestamp         *Timestamp    `json:"Timestamp,omitempty"`
	Value             *float64      `json:"Value,omitempty"`
	StatisticValues   *StatisticSet `json:"StatisticValues,omitempty"`
	Values            []float64     `json:"Values,omitempty"`
	Counts            []float64     `json:"Counts,omitempty"`
	Unit              *string       `json:"Unit,omitempty"`
	StorageResolution *int          `json:"StorageResolution,omitempty"`
}

// PutMetricDataInput is the API's PutMetricDataInput.
type PutMetricDataInput struct {
	Namespace              *string       `json:"Namespace,omitempty" aws:"req"`
	MetricData             []MetricDatum `json:"MetricData,omitempty"`
	StrictEntityValidation *bool         `json:"StrictEntityValidation,omitempty"`
}

// Empty is the output of operations that return nothing.
type Empty struct{}

// GetMetricStatisticsInput is the API's GetMetricStatisticsInput.
type GetMetricStatisticsInput struct {
	Namespace          *string     `json:"Namespace,omitempty" aws:"req"`
	MetricName         *string     `json:"MetricName,omitempty" aws:"req"`
	Dimensions         []Dimension `json:"Dimensions,omitempty"`
	StartTime          *Timestamp  `json:"StartTime,omitempty" aws:"req"`
	EndTime            *Timestamp  `json:"EndTime,omitempty" aws:"req"`
	Period             *int        `json:"Period,omitempty" aws:"req"`
	Statistics         []string    `json:"Statistics,omitempty"`
	ExtendedStatistics []string    `json:"ExtendedStatistics,omitempty"`
	Unit               *string     `json:"Unit,omitempty"`
}

// Datapoint is the API's Datapoint.
type Datapoint struct {
	Timestamp   *Timestamp `json:"Timestamp,omitempty"`
	SampleCount *float64   `json:"SampleCount,omitempty"`
	Average     *float64   `json:"Average,omitempty"`
	Sum         *float64   `json:"Sum,omitempty"`
	Minimum     *float64   `json:"Minimum,omitempty"`
	Maximum     *float64   `json:"Maximum,omitempty"`
	Unit        *string    `json:"Unit,omitempty"`
}

// GetMetricStatisticsOutput is the API's GetMetricStatisticsOutput.
type GetMetricStatisticsOutput struct {
	Label      *string     `json:"Label,omitempty"`
	Datapoints []Datapoint `json:"Datapoints"`
}

// Metric is the API's Metric.
type Metric struct {
	Namespace  *string     `json:"Namespace,omitempty"`
	MetricName *string     `json:"MetricName,omitempty"`
	Dimensions []Dimension `json:"Dimensions,omitempty"`
}

// MetricStat is the API's MetricStat.
type MetricStat struct {
	Metric *Metric `json:"Metric,omitempty" aws:"req"`
	Period *int    `json:"Period,omitempty" aws:"req"`
	Stat   *string `json:"Stat,omitempty" aws:"req"`
	Unit   *string `json:"Unit,omitempty"`
}

// MetricDataQuery is the API's MetricDataQuery.
type MetricDataQuery struct {
	Id         *string     `json:"Id,omitempty" aws:"req"`
	MetricStat *MetricStat `json:"MetricStat,omitempty"`
	Expression *string     `json:"Expression,omitempty"`
	Label      *string     `json:"Label,omitempty"`
	ReturnData *bool       `json:"ReturnData,omitempty"`
	Period     *int        `json:"Period,omitempty"`
	AccountId  *string     `json:"AccountId,omitempty"`
}

// LabelOptions is the API's LabelOptions.
type LabelOptions struct {
	Timezone *string `json:"Timezone,omitempty"`
}

// GetMetricDataInput is the API's GetMetricDataInput.
type GetMetricDataInput struct {
	MetricDataQueries []MetricDataQuery `json:"MetricDataQueries,omitempty" aws:"req"`
	StartTime         *Timestamp        `json:"StartTime,omitempty" aws:"req"`
	EndTime           *Timestamp        `json:"EndTime,omitempty" aws:"req"`
	NextToken         *string           `json:"NextToken,omitempty"`
	ScanBy            *string           `json:"ScanBy,omitempty"`
	MaxDatapoints     *int              `json:"MaxDatapoints,omitempty"`
	LabelOptions      *LabelOptions     `json:"LabelOptions,omitempty"`
}

// MessageData is the API's MessageData.
type MessageData struct {
	Code  *string `json:"Code,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// MetricDataResult is the API's MetricDataResult.
type MetricDataResult struct {
	Id         *string       `json:"Id,omitempty"`
	Label      *string       `json:"Label,omitempty"`
	Timestamps []Timestamp   `json:"Timestamps"`
	Values     []float64     `json:"Values"`
	StatusCode *string       `json:"StatusCode,omitempty"`
	Messages   []MessageData `json:"Messages,omitempty"`
}

// GetMetricDataOutput is the API's GetMetricDataOutput.
type GetMetricDataOutput struct {
	MetricDataResults []MetricDataResult `json:"MetricDataResults"`
	NextToken         *string            `json:"NextToken,omitempty"`
	Messages          []MessageData      `json:"Messages,omitempty"`
}

// PutMetricAlarmInput is the API's PutMetricAlarmInput.
type PutMetricAlarmInput struct {
	AlarmName                        *string           `json:"AlarmName,omitempty" aws:"req"`
	AlarmDescription                 *string           `json:"AlarmDescription,omitempty"`
	ActionsEnabled                   *bool             `json:"ActionsEnabled,omitempty"`
	OKActions                        []string          `json:"OKActions,omitempty"`
	AlarmActions                     []string          `json:"AlarmActions,omitempty"`
	InsufficientDataActions          []string          `json:"InsufficientDataActions,omitempty"`
	MetricName                       *string           `json:"MetricName,omitempty"`
	Namespace                        *string           `json:"Namespace,omitempty"`
	Statistic                        *string           `json:"Statistic,omitempty"`
	ExtendedStatistic                *string           `json:"ExtendedStatistic,omitempty"`
	Dimensions                       []Dimension       `json:"Dimensions,omitempty"`
	Period                           *int              `json:"Period,omitempty"`
	Unit                             *string           `json:"Unit,omitempty"`
	EvaluationPeriods                *int              `json:"EvaluationPeriods,omitempty" aws:"req"`
	DatapointsToAlarm                *int              `json:"DatapointsToAlarm,omitempty"`
	Threshold                        *float64          `json:"Threshold,omitempty"`
	ComparisonOperator               *string           `json:"ComparisonOperator,omitempty" aws:"req"`
	TreatMissingData                 *string           `json:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile *string           `json:"EvaluateLowSampleCountPercentile,omitempty"`
	Metrics                          []MetricDataQuery `json:"Metrics,omitempty"`
	Tags                             []Tag             `json:"Tags,omitempty"`
	ThresholdMetricId                *string           `json:"ThresholdMetricId,omitempty"`
}

// MetricAlarm is the API's MetricAlarm.
type MetricAlarm struct {
	AlarmName                          *string           `json:"AlarmName,omitempty"`
	AlarmArn                           *string           `json:"AlarmArn,omitempty"`
	AlarmDescription                   *string           `json:"AlarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp *Timestamp        `json:"AlarmConfigurationUpdatedTimestamp,omitempty"`
	ActionsEnabled                     *bool             `json:"ActionsEnabled,omitempty"`
	OKActions                          []string          `json:"OKActions"`
	AlarmActions                       []string          `json:"AlarmActions"`
	InsufficientDataActions            []string          `json:"InsufficientDataActions"`
	StateValue                         *string           `json:"StateValue,omitempty"`
	StateReason                        *string           `json:"StateReason,omitempty"`
	StateReasonData                    *string           `json:"StateReasonData,omitempty"`
	StateUpdatedTimestamp              *Timestamp        `json:"StateUpdatedTimestamp,omitempty"`
	MetricName                         *string           `json:"MetricName,omitempty"`
	Namespace                          *string           `json:"Namespace,omitempty"`
	Statistic                          *string           `json:"Statistic,omitempty"`
	ExtendedStatistic                  *string           `json:"ExtendedStatistic,omitempty"`
	Dimensions                         []Dimension       `json:"Dimensions"`
	Period                             *int              `json:"Period,omitempty"`
	Unit                               *string           `json:"Unit,omitempty"`
	EvaluationPeriods                  *int              `json:"EvaluationPeriods,omitempty"`
	DatapointsToAlarm                  *int              `json:"DatapointsToAlarm,omitempty"`
	Threshold                          *float64          `json:"Threshold,omitempty"`
	ComparisonOperator                 *string           `json:"ComparisonOperator,omitempty"`
	TreatMissingData                   *string           `json:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile   *string           `json:"EvaluateLowSampleCountPercentile,omitempty"`
	Metrics                            []MetricDataQuery `json:"Metrics,omitempty"`
	ThresholdMetricId                  *string           `json:"ThresholdMetricId,omitempty"`
	StateTransitionedTimestamp         *Timestamp        `json:"StateTransitionedTimestamp,omitempty"`
}

// DescribeAlarmsInput is the API's DescribeAlarmsInput.
type DescribeAlarmsInput struct {
	AlarmNames          []string `json:"AlarmNames,omitempty"`
	AlarmNamePrefix     *string  `json:"AlarmNamePrefix,omitempty"`
	AlarmTypes          []string `json:"AlarmTypes,omitempty"`
	ChildrenOfAlarmName *string  `json:"ChildrenOfAlarmName,omitempty"`
	ParentsOfAlarmName  *string  `json:"ParentsOfAlarmName,omitempty"`
	StateValue          *string  `json:"StateValue,omitempty"`
	ActionPrefix        *string  `json:"ActionPrefix,omitempty"`
	MaxRecords          *int     `json:"MaxRecords,omitempty"`
	NextToken           *string  `json:"NextToken,omitempty"`
}

// CompositeAlarm is the API's CompositeAlarm; the lab has none.
type CompositeAlarm struct {
	AlarmName *string `json:"AlarmName,omitempty"`
}

// DescribeAlarmsOutput is the API's DescribeAlarmsOutput.
type DescribeAlarmsOutput struct {
	CompositeAlarms []CompositeAlarm `json:"CompositeAlarms"`
	MetricAlarms    []MetricAlarm    `json:"MetricAlarms"`
	NextToken       *string          `json:"NextToken,omitempty"`
}

// DeleteAlarmsInput is the API's DeleteAlarmsInput.
type DeleteAlarmsInput struct {
	AlarmNames []string `json:"AlarmNames,omitempty" aws:"req"`
}

// ListTagsForResourceInput is CloudWatch's ListTagsForResourceInput.
type ListTagsForResourceInput struct {
	ResourceARN *string `json:"ResourceARN,omitempty" aws:"req"`
}

// ListTagsForResourceOutput is CloudWatch's ListTagsForResourceOutput.
type ListTagsForResourceOutput struct {
	Tags []Tag `json:"Tags"`
}

// TagResourceInput is CloudWatch's TagResourceInput.
type TagResourceInput struct {
	ResourceARN *string `json:"ResourceARN,omitempty" aws:"req"`
	Tags        []Tag   `json:"Tags,omitempty" aws:"req"`
}

// UntagResourceInput is CloudWatch's UntagResourceInput.
type UntagResourceInput struct {
	ResourceARN *string  `json:"ResourceARN,omitempty" aws:"req"`
	TagKeys     []string `json:"TagKeys,omitempty" aws:"req"`
}
