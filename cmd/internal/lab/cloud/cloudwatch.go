package cloud

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Alarm states (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html).
const (
	alarmOK           = "OK"
	alarmAlarm        = "ALARM"
	alarmInsufficient = "INSUFFICIENT_DATA"
)

// metricRetention is how long the lab keeps datapoints: CloudWatch keeps
// sub-minute data for 3 hours
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Metric),
// longer than any lab run.
const metricRetention = 3 * time.Hour

type cloudwatchState struct {
	series     map[string]*series // by seriesKey
	alarms     map[string]*alarm  // by name
	tags       map[string][]Tag   // by alarm ARN
	dashboards map[string]*dashboard
}

func newCloudWatchState() *cloudwatchState {
	return &cloudwatchState{series: map[string]*series{}, alarms: map[string]*alarm{}, tags: map[string][]Tag{}}
}

// series is one metric: namespace, name and dimension set.
type series struct {
	namespace, name string
	dims            []Dimension
	points          []datum // in arrival order
}

type datum struct {
	at         time.Time
	value      float64 // a single value; for a statistic set, see stats
	stats      *StatisticSet
	unit       string
	resolution int
}

// seriesKey identifies a metric: dimensions are unordered in the API.
func seriesKey(namespace, name string, dims []Dimension) string {
	parts := make([]string, 0, len(dims))
	for _, d := range dims {
		parts = append(parts, deref(d.Name)+"="+deref(d.Value))
	}
	sort.Strings(parts)
	return namespace + "\x00" + name + "\x00" + strings.Join(parts, "\x00")
}

// putLocked stores a datum; c.mu held.
func (s *cloudwatchState) putLocked(namespace, name string, dims []Dimension, d datum) {
	key := seriesKey(namespace, name, dims)
	m, ok := s.series[key]
	if !ok {
		m = &series{namespace: namespace, name: name, dims: slices.Clone(dims)}
		s.series[key] = m
	}
	cut := time.Now().Add(-metricRetention)
	i := 0
	for i < len(m.points) && m.points[i].at.Before(cut) {
		i++
	}
	m.points = append(m.points[i:], d)
}

func (c *Cloud) registerCloudWatch() {
	register(c, "monitoring", "PutMetricData", false, c.cwPutMetricData)
	register(c, "monitoring", "GetMetricStatistics", false, c.cwGetMetricStatistics)
	register(c, "monitoring", "GetMetricData", false, c.cwGetMetricData)
	register(c, "monitoring", "PutMetricAlarm", false, c.cwPutMetricAlarm)
	register(c, "monitoring", "DescribeAlarms", false, c.cwDescribeAlarms)
	register(c, "monitoring", "DeleteAlarms", false, c.cwDeleteAlarms)
	register(c, "monitoring", "ListTagsForResource", false, c.cwListTags)
	register(c, "monitoring", "TagResource", false, c.cwTagResource)
	register(c, "monitoring", "UntagResource", false, c.cwUntagResource)
	c.registerDashboards()
}

// validUnits are StandardUnit's values
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html).
var validUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true, "Megabytes": true,
	"Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true, "Terabits": true,
	"Percent": true, "Count": true, "Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true,
	"Gigabytes/Second": true, "Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

func invalidParam(name, value string) *Error {
	return errorf("InvalidParameterValue", "The value %s for parameter %s is invalid.", value, name)
}

func (c *Cloud) cwPutMetricData(_ context.Context, region string, in *PutMetricDataInput) (*Empty, error) {
	ns := *in.Namespace
	// "You can't specify a namespace that begins with 'AWS/'"
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html, Namespace).
	if strings.HasPrefix(ns, "AWS/") {
		return nil, errorf("InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid.")
	}
	if len(in.MetricData) == 0 {
		return nil, errorf("MissingParameter", "The parameter MetricData is required.")
	}
	// At most 1000 metrics per call (same page, MetricData).
	if len(in.MetricData) > 1000 {
		return nil, errorf("InvalidParameterValue", "The collection MetricData must not have a size greater than 1000.")
	}
	now := time.Now()
	var data []datum
	for i, m := range in.MetricData {
		d := datum{at: now, unit: "None", resolution: 60}
		if m.Timestamp != nil {
			// Timestamps up to two weeks old and two hours ahead
			// (API_MetricDatum.html, Timestamp).
			if m.Timestamp.Before(now.Add(-14*24*time.Hour)) || m.Timestamp.After(now.Add(2*time.Hour)) {
				return nil, errorf("InvalidParameterValue", "The parameter MetricData.member.%d.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.", i+1)
			}
			d.at = m.Timestamp.Time
		}
		if m.Unit != nil {
			if !validUnits[*m.Unit] {
				return nil, invalidParam(fmt.Sprintf("MetricData.member.%d.Unit", i+1), *m.Unit)
			}
			d.unit = *m.Unit
		}
		if m.StorageResolution != nil {
			// 1 (high resolution) or 60 (API_MetricDatum.html,
			// StorageResolution).
			if r := *m.StorageResolution; r != 1 && r != 60 {
				return nil, invalidParam(fmt.Sprintf("MetricData.member.%d.StorageResolution", i+1), fmt.Sprint(r))
			}
			d.resolution = *m.StorageResolution
		}
		if len(m.Dimensions) > 30 {
			return nil, errorf("InvalidParameterValue", "The collection MetricData.member.%d.Dimensions must not have a size greater than 30.", i+1)
		}
		kinds := 0
		if m.Value != nil {
			kinds++
			// NaN and infinities are refused (API_MetricDatum.html, Value).
			if math.IsNaN(*m.Value) || math.IsInf(*m.Value, 0) {
				return nil, invalidParam(fmt.Sprintf("MetricData.member.%d.Value", i+1), fmt.Sprint(*m.Value))
			}
			d.value = *m.Value
		}
		if m.StatisticValues != nil {
			kinds++
			d.stats = m.StatisticValues
		}
		if len(m.Values) > 0 {
			kinds++
		}
		if kinds != 1 {
			// Exactly one of Value, StatisticValues, Values
			// (API_MetricDatum.html).
			return nil, errorf("InvalidParameterCombination", "The parameters MetricData.member.%d.Value, MetricData.member.%d.StatisticValues and MetricData.member.%d.Values are mutually exclusive and you must specify exactly one of them.", i+1, i+1, i+1)
		}
		if len(m.Values) > 0 {
			if m.Counts != nil && len(m.Counts) != len(m.Values) {
				return nil, errorf("InvalidParameterValue", "The arrays MetricData.member.%d.Values and MetricData.member.%d.Counts must be of the same size.", i+1, i+1)
			}
			st := valuesStats(m.Values, m.Counts)
			d.stats = &st
		}
		data = append(data, d)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cw := c.regions[region].cloudwatch
	for i, m := range in.MetricData {
		cw.putLocked(ns, *m.MetricName, m.Dimensions, data[i])
	}
	return &Empty{}, nil
}

func valuesStats(values, counts []float64) StatisticSet {
	var n, sum float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range values {
		w := 1.0
		if counts != nil {
			w = counts[i]
		}
		n += w
		sum += v * w
		lo, hi = min(lo, v), max(hi, v)
	}
	return StatisticSet{SampleCount: &n, Sum: &sum, Minimum: &lo, Maximum: &hi}
}

// agg accumulates the statistics of datapoints in one period.
type agg struct {
	n, sum, lo, hi float64
	unit           string
}

func (a *agg) add(d datum) {
	if a.n == 0 {
		a.lo, a.hi = math.Inf(1), math.Inf(-1)
	}
	if d.stats != nil {
		a.n += deref(d.stats.SampleCount)
		a.sum += deref(d.stats.Sum)
		a.lo = min(a.lo, deref(d.stats.Minimum))
		a.hi = max(a.hi, deref(d.stats.Maximum))
	} else {
		a.n++
		a.sum += d.value
		a.lo = min(a.lo, d.value)
		a.hi = max(a.hi, d.value)
	}
	a.unit = d.unit
}

// stat returns one of the five standard statistics.
func (a *agg) stat(name string) (float64, bool) {
	if a.n == 0 {
		return 0, false
	}
	switch name {
	case "SampleCount":
		return a.n, true
	case "Sum":
		return a.sum, true
	case "Average":
		return a.sum / a.n, true
	case "Minimum":
		return a.lo, true
	case "Maximum":
		return a.hi, true
	}
	return 0, false
}

var standardStatistics = map[string]bool{"SampleCount": true, "Average": true, "Sum": true, "Minimum": true, "Maximum": true}

// checkPeriod applies the Period rules: 1, 5, 10, 20, 30 or a multiple of
// 60 (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html, Period).
func checkPeriod(param string, p int) *Error {
	switch {
	case p <= 0:
		return invalidParam(param, fmt.Sprint(p))
	case p < 60 && p != 1 && p != 5 && p != 10 && p != 20 && p != 30:
		return invalidParam(param, fmt.Sprint(p))
	case p >= 60 && p%60 != 0:
		return invalidParam(param, fmt.Sprint(p))
	}
	return nil
}

// bucketsLocked aggregates a series into periods aligned on the epoch
// (CloudWatch aligns periods to the clock: "the results are aggregated …
// aligned to the period boundary").
func bucketsLocked(s *series, start, end time.Time, period time.Duration, unit string) map[time.Time]*agg {
	out := map[time.Time]*agg{}
	if s == nil {
		return out
	}
	for _, d := range s.points {
		if d.at.Before(start) || !d.at.Before(end) {
			continue
		}
		if unit != "" && d.unit != unit {
			continue
		}
		b := d.at.Truncate(period)
		a, ok := out[b]
		if !ok {
			a = &agg{}
			out[b] = a
		}
		a.add(d)
	}
	return out
}

// windowLocked aggregates a series over [from, to).
func windowLocked(s *series, from, to time.Time, unit string) *agg {
	a := &agg{}
	if s == nil {
		return a
	}
	for _, d := range s.points {
		if !d.at.Before(from) && d.at.Before(to) && (unit == "" || d.unit == unit) {
			a.add(d)
		}
	}
	return a
}

func (c *Cloud) cwGetMetricStatistics(_ context.Context, region string, in *GetMetricStatisticsInput) (*GetMetricStatisticsOutput, error) {
	if err := checkPeriod("Period", *in.Period); err != nil {
		return nil, err
	}
	// Statistics or ExtendedStatistics, at least one (same page).
	if len(in.Statistics) == 0 && len(in.ExtendedStatistics) == 0 {
		return nil, errorf("MissingParameter", "Must specify either Statistics or ExtendedStatistics.")
	}
	if len(in.ExtendedStatistics) > 0 {
		return nil, errorf("InvalidParameterValue", "The lab computes the standard statistics only, not %v.", in.ExtendedStatistics)
	}
	for _, s := range in.Statistics {
		if !standardStatistics[s] {
			return nil, invalidParam("Statistics", s)
		}
	}
	start, end := in.StartTime.Time, in.EndTime.Time
	if !start.Before(end) {
		return nil, errorf("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
	}
	period := time.Duration(*in.Period) * time.Second
	// At most 1440 datapoints per call (same page).
	if end.Sub(start)/period > 1440 {
		return nil, errorf("InvalidParameterCombination", "You have requested up to %d datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", end.Sub(start)/period)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.regions[region].cloudwatch.series[seriesKey(*in.Namespace, *in.MetricName, in.Dimensions)]
	buckets := bucketsLocked(s, start, end, period, deref(in.Unit))
	out := &GetMetricStatisticsOutput{Label: in.MetricName, Datapoints: []Datapoint{}}
	var times []time.Time
	for t := range buckets {
		times = append(times, t)
	}
	// CloudWatch returns datapoints in no particular order; the lab sorts.
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for _, t := range times {
		a := buckets[t]
		dp := Datapoint{Timestamp: At(t), Unit: ptr(a.unit)}
		for _, st := range in.Statistics {
			v, _ := a.stat(st)
			switch st {
			case "SampleCount":
				dp.SampleCount = ptr(v)
			case "Average":
				dp.Average = ptr(v)
			case "Sum":
				dp.Sum = ptr(v)
			case "Minimum":
				dp.Minimum = ptr(v)
			case "Maximum":
				dp.Maximum = ptr(v)
			}
		}
		out.Datapoints = append(out.Datapoints, dp)
	}
	return out, nil
}

func (c *Cloud) cwGetMetricData(_ context.Context, region string, in *GetMetricDataInput) (*GetMetricDataOutput, error) {
	start, end := in.StartTime.Time, in.EndTime.Time
	if !start.Before(end) {
		return nil, errorf("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
	}
	// At most 500 queries (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
	if len(in.MetricDataQueries) > 500 {
		return nil, errorf("InvalidParameterValue", "The collection MetricDataQueries must not have a size greater than 500.")
	}
	descending := deref(in.ScanBy) != "TimestampAscending"
	c.mu.Lock()
	defer c.mu.Unlock()
	cw := c.regions[region].cloudwatch
	out := &GetMetricDataOutput{MetricDataResults: []MetricDataResult{}, Messages: nil}
	for _, q := range in.MetricDataQueries {
		if q.Expression != nil {
			return nil, errorf("ValidationError", "The lab evaluates MetricStat queries only, not expressions (query %s).", *q.Id)
		}
		ms := q.MetricStat
		if ms == nil {
			return nil, errorf("ValidationError", "Query %s must have exactly one of MetricStat and Expression.", *q.Id)
		}
		if err := checkPeriod("MetricStat.Period", *ms.Period); err != nil {
			return nil, err
		}
		if !standardStatistics[*ms.Stat] {
			return nil, invalidParam("MetricStat.Stat", *ms.Stat)
		}
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		m := ms.Metric
		s := cw.series[seriesKey(deref(m.Namespace), deref(m.MetricName), m.Dimensions)]
		buckets := bucketsLocked(s, start, end, time.Duration(*ms.Period)*time.Second, deref(ms.Unit))
		var times []time.Time
		for t := range buckets {
			times = append(times, t)
		}
		sort.Slice(times, func(i, j int) bool {
			if descending {
				return times[i].After(times[j])
			}
			return times[i].Before(times[j])
		})
		res := MetricDataResult{Id: q.Id, Label: orDefault(q.Label, deref(m.MetricName)), Timestamps: []Timestamp{}, Values: []float64{}, StatusCode: ptr("Complete")}
		for _, t := range times {
			v, _ := buckets[t].stat(*ms.Stat)
			res.Timestamps = append(res.Timestamps, Timestamp{t.UTC()})
			res.Values = append(res.Values, v)
		}
		out.MetricDataResults = append(out.MetricDataResults, res)
	}
	return out, nil
}

// alarm is a metric alarm and its evaluation state.
type alarm struct {
	cfg          MetricAlarm
	state        string
	reason       string
	stateUpdated time.Time
	transitioned time.Time
	nextEval     time.Time
}

var comparisonOperators = map[string]func(v, t float64) bool{
	"GreaterThanOrEqualToThreshold": func(v, t float64) bool { return v >= t },
	"GreaterThanThreshold":          func(v, t float64) bool { return v > t },
	"LessThanThreshold":             func(v, t float64) bool { return v < t },
	"LessThanOrEqualToThreshold":    func(v, t float64) bool { return v <= t },
}

var treatMissing = map[string]bool{"breaching": true, "notBreaching": true, "ignore": true, "missing": true}

func (c *Cloud) cwPutMetricAlarm(_ context.Context, region string, in *PutMetricAlarmInput) (*Empty, error) {
	// The lab evaluates single-metric alarms: Metrics (metric math) is
	// refused rather than ignored.
	if len(in.Metrics) > 0 {
		return nil, errorf("ValidationError", "The lab evaluates single-metric alarms only (Metrics is not supported).")
	}
	if in.MetricName == nil || in.Namespace == nil || in.Period == nil || in.Threshold == nil {
		return nil, errorf("ValidationError", "A single-metric alarm needs MetricName, Namespace, Period and Threshold.")
	}
	// Exactly one of Statistic and ExtendedStatistic
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
	if (in.Statistic == nil) == (in.ExtendedStatistic == nil) {
		return nil, errorf("InvalidParameterCombination", "Exactly one of Statistic or ExtendedStatistic must be specified.")
	}
	if in.ExtendedStatistic != nil || !standardStatistics[*in.Statistic] {
		return nil, invalidParam("Statistic", deref(in.Statistic)+deref(in.ExtendedStatistic))
	}
	// Period: 10, 20, 30 or a multiple of 60; EvaluationPeriods × Period
	// at most one day (same page).
	p := *in.Period
	if p <= 0 || (p < 60 && p != 10 && p != 20 && p != 30) || (p >= 60 && p%60 != 0) {
		return nil, invalidParam("Period", fmt.Sprint(p))
	}
	m := *in.EvaluationPeriods
	if m < 1 {
		return nil, invalidParam("EvaluationPeriods", fmt.Sprint(m))
	}
	if m*p > 86400 {
		return nil, errorf("ValidationError", "The evaluation period of %d seconds is longer than one day (EvaluationPeriods × Period).", m*p)
	}
	n := m
	if in.DatapointsToAlarm != nil {
		n = *in.DatapointsToAlarm
		if n < 1 || n > m {
			return nil, errorf("ValidationError", "DatapointsToAlarm must be between 1 and EvaluationPeriods.")
		}
	}
	if _, ok := comparisonOperators[*in.ComparisonOperator]; !ok {
		return nil, invalidParam("ComparisonOperator", *in.ComparisonOperator)
	}
	missing := "missing"
	if in.TreatMissingData != nil {
		if !treatMissing[*in.TreatMissingData] {
			return nil, invalidParam("TreatMissingData", *in.TreatMissingData)
		}
		missing = *in.TreatMissingData
	}
	if u := deref(in.Unit); u != "" && !validUnits[u] {
		return nil, invalidParam("Unit", u)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cw := c.regions[region].cloudwatch
	now := time.Now()
	arn := fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, c.opts.Account, *in.AlarmName)
	cfg := MetricAlarm{
		AlarmName: in.AlarmName, AlarmArn: ptr(arn), AlarmDescription: in.AlarmDescription,
		AlarmConfigurationUpdatedTimestamp: At(now),
		ActionsEnabled:                     ptr(in.ActionsEnabled == nil || *in.ActionsEnabled),
		OKActions:                          nonNil(in.OKActions), AlarmActions: nonNil(in.AlarmActions),
		InsufficientDataActions: nonNil(in.InsufficientDataActions),
		MetricName:              in.MetricName, Namespace: in.Namespace, Statistic: in.Statistic,
		Dimensions: nonNil(in.Dimensions), Period: in.Period, Unit: in.Unit,
		EvaluationPeriods: in.EvaluationPeriods, DatapointsToAlarm: in.DatapointsToAlarm,
		Threshold: in.Threshold, ComparisonOperator: in.ComparisonOperator, TreatMissingData: ptr(missing),
		EvaluateLowSampleCountPercentile: in.EvaluateLowSampleCountPercentile,
	}
	if a, ok := cw.alarms[*in.AlarmName]; ok {
		// "When you update an existing alarm, its state is left unchanged,
		// but the update completely overwrites the previous configuration"
		// (same page).
		a.cfg = cfg
		return &Empty{}, nil
	}
	// "the alarm state is immediately set to INSUFFICIENT_DATA" (same page).
	cw.alarms[*in.AlarmName] = &alarm{cfg: cfg, state: alarmInsufficient, reason: "Unchecked: Initial alarm creation",
		stateUpdated: now, transitioned: now, nextEval: now}
	if len(in.Tags) > 0 {
		cw.tags[arn] = slices.Clone(in.Tags)
	}
	return &Empty{}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *alarm) describe() MetricAlarm {
	out := a.cfg
	out.StateValue = ptr(a.state)
	out.StateReason = ptr(a.reason)
	out.StateUpdatedTimestamp = At(a.stateUpdated)
	out.StateTransitionedTimestamp = At(a.transitioned)
	return out
}

func (c *Cloud) cwDescribeAlarms(_ context.Context, region string, in *DescribeAlarmsInput) (*DescribeAlarmsOutput, error) {
	// AlarmNames excludes AlarmNamePrefix (API_DescribeAlarms.html:
	// "If you specify this parameter, you cannot specify AlarmNames").
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil {
		return nil, errorf("InvalidParameterCombination", "AlarmNames and AlarmNamePrefix cannot be specified together.")
	}
	if len(in.AlarmNames) > 100 {
		return nil, errorf("InvalidParameterValue", "The collection AlarmNames must not have a size greater than 100.")
	}
	if s := deref(in.StateValue); s != "" && s != alarmOK && s != alarmAlarm && s != alarmInsufficient {
		return nil, invalidParam("StateValue", s)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cw := c.regions[region].cloudwatch
	out := &DescribeAlarmsOutput{CompositeAlarms: []CompositeAlarm{}, MetricAlarms: []MetricAlarm{}}
	var names []string
	for name := range cw.alarms {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a := cw.alarms[name]
		if len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, name) {
			continue
		}
		if p := deref(in.AlarmNamePrefix); p != "" && !strings.HasPrefix(name, p) {
			continue
		}
		if s := deref(in.StateValue); s != "" && a.state != s {
			continue
		}
		out.MetricAlarms = append(out.MetricAlarms, a.describe())
	}
	return out, nil
}

func (c *Cloud) cwDeleteAlarms(_ context.Context, region string, in *DeleteAlarmsInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cw := c.regions[region].cloudwatch
	// "If you specify any alarms that do not exist, the operation returns
	// ResourceNotFound and deletes none"
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html).
	for _, name := range in.AlarmNames {
		if _, ok := cw.alarms[name]; !ok {
			return nil, notFound("ResourceNotFound", "%d alarm(s) not found", 1)
		}
	}
	for _, name := range in.AlarmNames {
		delete(cw.tags, *cw.alarms[name].cfg.AlarmArn)
		delete(cw.alarms, name)
	}
	return &Empty{}, nil
}

func (c *Cloud) cwAlarmByArnLocked(region, arn string) (*alarm, *Error) {
	for _, a := range c.regions[region].cloudwatch.alarms {
		if *a.cfg.AlarmArn == arn {
			return a, nil
		}
	}
	return nil, notFound("ResourceNotFoundException", "Alarm %s not found", arn)
}

func (c *Cloud) cwListTags(_ context.Context, region string, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.cwAlarmByArnLocked(region, *in.ResourceARN); err != nil {
		return nil, err
	}
	return &ListTagsForResourceOutput{Tags: nonNil(slices.Clone(c.regions[region].cloudwatch.tags[*in.ResourceARN]))}, nil
}

func (c *Cloud) cwTagResource(_ context.Context, region string, in *TagResourceInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.cwAlarmByArnLocked(region, *in.ResourceARN); err != nil {
		return nil, err
	}
	cw := c.regions[region].cloudwatch
	cw.tags[*in.ResourceARN] = mergeTags(cw.tags[*in.ResourceARN], in.Tags)
	return &Empty{}, nil
}

func (c *Cloud) cwUntagResource(_ context.Context, region string, in *UntagResourceInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.cwAlarmByArnLocked(region, *in.ResourceARN); err != nil {
		return nil, err
	}
	cw := c.regions[region].cloudwatch
	cw.tags[*in.ResourceARN] = slices.DeleteFunc(cw.tags[*in.ResourceARN], func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
	return &Empty{}, nil
}

// mergeTags sets or replaces tags by key.
func mergeTags(old, add []Tag) []Tag {
	out := slices.Clone(old)
	for _, t := range add {
		i := slices.IndexFunc(out, func(o Tag) bool { return o.Key == t.Key })
		if i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// evalTick is how often the evaluator looks for alarms due: fine enough for
// the shortest scaled period.
const evalTick = 50 * time.Millisecond

// startAlarmEvaluator evaluates each alarm of the region at every period
// boundary of its scaled period (at most a scaled minute: "CloudWatch
// evaluates alarms … once per minute" for standard periods, each period for
// high-resolution ones,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation).
func (c *Cloud) startAlarmEvaluator(r *region) {
	c.background(func(ctx context.Context) {
		t := time.NewTicker(evalTick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				c.evaluateAlarms(r, now)
			}
		}
	})
}

func (c *Cloud) evaluateAlarms(r *region, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range r.cloudwatch.alarms {
		if now.Before(a.nextEval) {
			continue
		}
		period := c.scaled(time.Duration(*a.cfg.Period) * time.Second)
		every := min(period, c.scaled(time.Minute))
		boundary := now.Truncate(every)
		a.nextEval = boundary.Add(every)
		state, reason := c.evaluateLocked(r, a, boundary, period)
		if state == "" || state == a.state {
			continue
		}
		c.logf("cloudwatch %s: alarm %s %s -> %s (%s)", r.name, *a.cfg.AlarmName, a.state, state, reason)
		a.state, a.reason, a.stateUpdated, a.transitioned = state, reason, now, now
	}
}

// evaluateLocked computes an alarm's state at a boundary from its last
// EvaluationPeriods periods, with TreatMissingData as CloudWatch applies it
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data):
//   - every period missing: missing → INSUFFICIENT_DATA, breaching → ALARM,
//     notBreaching → OK, ignore → the state is kept;
//   - otherwise a missing period counts as breaching (breaching), as not
//     breaching (notBreaching), or not at all (ignore, missing), and the
//     alarm is ALARM when DatapointsToAlarm of the counted periods breach.
//
// "" means keep the current state.
func (c *Cloud) evaluateLocked(r *region, a *alarm, boundary time.Time, period time.Duration) (string, string) {
	m := *a.cfg.EvaluationPeriods
	n := m
	if a.cfg.DatapointsToAlarm != nil {
		n = *a.cfg.DatapointsToAlarm
	}
	start := boundary.Add(-time.Duration(m) * period)
	s := r.cloudwatch.series[seriesKey(*a.cfg.Namespace, *a.cfg.MetricName, a.cfg.Dimensions)]
	compare := comparisonOperators[*a.cfg.ComparisonOperator]
	threshold := *a.cfg.Threshold
	treat := *a.cfg.TreatMissingData
	breaching, counted, present := 0, 0, 0
	var last float64
	for k := range m {
		from := start.Add(time.Duration(k) * period)
		v, have := windowLocked(s, from, from.Add(period), deref(a.cfg.Unit)).stat(*a.cfg.Statistic)
		switch {
		case have:
			present++
			counted++
			last = v
			if compare(v, threshold) {
				breaching++
			}
		case treat == "breaching":
			counted++
			breaching++
		case treat == "notBreaching":
			counted++
		}
	}
	if present == 0 {
		switch treat {
		case "missing":
			return alarmInsufficient, fmt.Sprintf("Insufficient Data: %d datapoints were unknown.", m)
		case "breaching":
			return alarmAlarm, fmt.Sprintf("Threshold Crossed: no datapoints were received for %d periods and %d missing datapoints were treated as [Breaching].", m, m)
		case "notBreaching":
			return alarmOK, fmt.Sprintf("Threshold Crossed: no datapoints were received for %d periods and %d missing datapoints were treated as [NonBreaching].", m, m)
		default:
			return "", ""
		}
	}
	if breaching >= n {
		return alarmAlarm, fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints were %s the threshold (%g) (most recent data point: %g).", breaching, counted, describeOp(*a.cfg.ComparisonOperator), threshold, last)
	}
	return alarmOK, fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints were not %s the threshold (%g) (most recent data point: %g).", counted-breaching, counted, describeOp(*a.cfg.ComparisonOperator), threshold, last)
}

func describeOp(op string) string {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return "greater than or equal to"
	case "GreaterThanThreshold":
		return "greater than"
	case "LessThanThreshold":
		return "less than"
	default:
		return "less than or equal to"
	}
}

// AlarmState returns an alarm's state, for the lab's checks.
func (c *Cloud) AlarmState(region, name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.regions[region]
	if !ok {
		return "", false
	}
	a, ok := r.cloudwatch.alarms[name]
	if !ok {
		return "", false
	}
	return a.state, true
}

// alarmStateLocked finds an alarm for Route 53; c.mu held.
func (c *Cloud) alarmStateLocked(region, name string) (*alarm, bool) {
	r, ok := c.regions[region]
	if !ok {
		return nil, false
	}
	a, ok := r.cloudwatch.alarms[name]
	return a, ok
}
