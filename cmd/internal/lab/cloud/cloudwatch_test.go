package cloud

import (
	"strings"
	"testing"
	"time"
)

func putValue(t *testing.T, c *Cloud, region, ns, name, dimName, dimValue string, v float64, res int) {
	t.Helper()
	call[Empty](t, c, region, "monitoring", "PutMetricData", &PutMetricDataInput{Namespace: &ns, MetricData: []MetricDatum{{
		MetricName: &name, Dimensions: []Dimension{{Name: &dimName, Value: &dimValue}}, Value: &v, Unit: s("Count"), StorageResolution: &res,
	}}})
}

func alarmState(t *testing.T, c *Cloud, region, name string) string {
	t.Helper()
	out := call[DescribeAlarmsOutput](t, c, region, "monitoring", "DescribeAlarms", &DescribeAlarmsInput{AlarmNames: []string{name}})
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("alarm %s: %d found", name, len(out.MetricAlarms))
	}
	return *out.MetricAlarms[0].StateValue
}

// fenceAlarm is the contract's fence alarm (runbooks/dr-design.md §6).
func fenceAlarm(t *testing.T, c *Cloud) {
	t.Helper()
	call[Empty](t, c, central, "monitoring", "PutMetricAlarm", &PutMetricAlarmInput{
		AlarmName: s("taskflow-dr-fence-primary"), Namespace: s("TaskFlowDR"), MetricName: s("PrimaryFenced"),
		Dimensions: []Dimension{{Name: s("FencedStack"), Value: s("primary")}}, Statistic: s("Maximum"), Period: i(60),
		EvaluationPeriods: i(1), Threshold: f(1), ComparisonOperator: s("GreaterThanOrEqualToThreshold"), TreatMissingData: s("ignore"),
	})
}

func f(v float64) *float64 { return &v }

// The fence alarm: INSUFFICIENT_DATA when created, ALARM within a period
// of a 1, and it keeps its state when data stops (TreatMissingData
// ignore); a 0 takes it back to OK.
func TestFenceAlarmKeepsItsStateWhenDataStops(t *testing.T) {
	c := newTestCloud(t, Timings{})
	fenceAlarm(t, c)
	if st := alarmState(t, c, central, "taskflow-dr-fence-primary"); st != "INSUFFICIENT_DATA" {
		t.Fatalf("new alarm %s, want INSUFFICIENT_DATA", st)
	}
	period := time.Minute / testScale
	time.Sleep(3 * period)
	if st := alarmState(t, c, central, "taskflow-dr-fence-primary"); st != "INSUFFICIENT_DATA" {
		t.Fatalf("no data, ignore: %s, want the state kept", st)
	}
	start := time.Now()
	putValue(t, c, central, "TaskFlowDR", "PrimaryFenced", "FencedStack", "primary", 1, 60)
	eventually(t, 5*period, "ALARM", func() bool { return alarmState(t, c, central, "taskflow-dr-fence-primary") == "ALARM" })
	if took := time.Since(start); took > 2*period+evalTick {
		t.Fatalf("ALARM after %s, more than two scaled periods", took)
	}
	time.Sleep(5 * period)
	if st := alarmState(t, c, central, "taskflow-dr-fence-primary"); st != "ALARM" {
		t.Fatalf("after the data stopped: %s, want ALARM kept", st)
	}
	putValue(t, c, central, "TaskFlowDR", "PrimaryFenced", "FencedStack", "primary", 0, 60)
	eventually(t, 5*period, "OK", func() bool { return alarmState(t, c, central, "taskflow-dr-fence-primary") == "OK" })
	// The alarm lives in its region only.
	refused(t, c, west, "monitoring", "DeleteAlarms", &DeleteAlarmsInput{AlarmNames: []string{"taskflow-dr-fence-primary"}}, "ResourceNotFound")
}

// The replica-delay alarm treats missing data as breaching: a silent agent
// is an incident (cmd/dr-agent/README.md).
func TestMissingDataBreaching(t *testing.T) {
	c := newTestCloud(t, Timings{})
	call[Empty](t, c, central, "monitoring", "PutMetricAlarm", &PutMetricAlarmInput{
		AlarmName: s("delay"), Namespace: s("TaskFlowDR"), MetricName: s("ReplicationDelay"),
		Dimensions: []Dimension{{Name: s("Cluster"), Value: s("taskflow-dr-standby")}}, Statistic: s("Maximum"), Period: i(10),
		EvaluationPeriods: i(3), DatapointsToAlarm: i(2), Threshold: f(10), ComparisonOperator: s("GreaterThanThreshold"), TreatMissingData: s("breaching"),
	})
	eventually(t, 2*time.Second, "ALARM with no data", func() bool { return alarmState(t, c, central, "delay") == "ALARM" })
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				putValue(t, c, central, "TaskFlowDR", "ReplicationDelay", "Cluster", "taskflow-dr-standby", 0.8, 1)
			}
		}
	}()
	eventually(t, 2*time.Second, "OK while the agent reports", func() bool { return alarmState(t, c, central, "delay") == "OK" })
	close(stop)
	<-done
	eventually(t, 2*time.Second, "ALARM once the agent is silent", func() bool { return alarmState(t, c, central, "delay") == "ALARM" })
}

func TestMetricRules(t *testing.T) {
	c := newTestCloud(t, Timings{})
	refused(t, c, west, "monitoring", "PutMetricData", &PutMetricDataInput{Namespace: s("AWS/RDS"), MetricData: []MetricDatum{{MetricName: s("x"), Value: f(1)}}}, "InvalidParameterValue")
	refused(t, c, west, "monitoring", "PutMetricData", &PutMetricDataInput{Namespace: s("N"), MetricData: []MetricDatum{{MetricName: s("x"), Value: f(1), StorageResolution: i(5)}}}, "InvalidParameterValue")
	refused(t, c, west, "monitoring", "PutMetricData", &PutMetricDataInput{Namespace: s("N"), MetricData: []MetricDatum{{MetricName: s("x"), Value: f(1), Unit: s("Furlongs")}}}, "InvalidParameterValue")
	refused(t, c, west, "monitoring", "PutMetricData", &PutMetricDataInput{Namespace: s("N"), MetricData: []MetricDatum{{MetricName: s("x")}}}, "InvalidParameterCombination")
	refused(t, c, west, "monitoring", "PutMetricAlarm", &PutMetricAlarmInput{AlarmName: s("a"), Namespace: s("N"), MetricName: s("x"), Statistic: s("Maximum"),
		Period: i(45), EvaluationPeriods: i(1), Threshold: f(1), ComparisonOperator: s("GreaterThanThreshold")}, "InvalidParameterValue")
	refused(t, c, west, "monitoring", "PutMetricAlarm", &PutMetricAlarmInput{AlarmName: s("a"), Namespace: s("N"), MetricName: s("x"), Statistic: s("Maximum"),
		Period: i(60), EvaluationPeriods: i(1), Threshold: f(1), ComparisonOperator: s("GreaterThanThreshold"), TreatMissingData: s("ignored")}, "InvalidParameterValue")
	e := refused(t, c, west, "monitoring", "GetMetricStatistics", &GetMetricStatisticsInput{Namespace: s("N"), MetricName: s("x"),
		StartTime: At(time.Now().Add(-48 * time.Hour)), EndTime: At(time.Now()), Period: i(60), Statistics: []string{"Maximum"}}, "InvalidParameterCombination")
	if !strings.Contains(e.Message, "1440") {
		t.Fatalf("message %q", e.Message)
	}
	// An empty answer is a list, not an error.
	out := call[GetMetricStatisticsOutput](t, c, west, "monitoring", "GetMetricStatistics", &GetMetricStatisticsInput{Namespace: s("N"), MetricName: s("x"),
		StartTime: At(time.Now().Add(-time.Hour)), EndTime: At(time.Now()), Period: i(60), Statistics: []string{"Maximum"}})
	if out.Datapoints == nil || len(out.Datapoints) != 0 {
		t.Fatalf("datapoints %v, want an empty list", out.Datapoints)
	}
}

func TestGetMetricDataReadsThePeersRecord(t *testing.T) {
	c := newTestCloud(t, Timings{})
	for k := range 3 {
		call[Empty](t, c, central, "monitoring", "PutMetricData", &PutMetricDataInput{Namespace: s("TaskFlowDR"), MetricData: []MetricDatum{{
			MetricName: s("AckedHeartbeatSequence"), Dimensions: []Dimension{{Name: s("Cluster"), Value: s("taskflow-dr-primary")}},
			Value: f(float64(100 + k)), Timestamp: At(time.Now().Add(time.Duration(k-3) * time.Second)), StorageResolution: i(1),
		}}})
	}
	out := call[GetMetricDataOutput](t, c, central, "monitoring", "GetMetricData", &GetMetricDataInput{
		StartTime: At(time.Now().Add(-time.Minute)), EndTime: At(time.Now().Add(time.Second)),
		MetricDataQueries: []MetricDataQuery{{Id: s("seq"), MetricStat: &MetricStat{Period: i(1), Stat: s("Maximum"), Metric: &Metric{
			Namespace: s("TaskFlowDR"), MetricName: s("AckedHeartbeatSequence"), Dimensions: []Dimension{{Name: s("Cluster"), Value: s("taskflow-dr-primary")}},
		}}}},
	})
	r := out.MetricDataResults[0]
	if len(r.Values) != 3 || r.Values[0] != 102 || !r.Timestamps[0].After(r.Timestamps[2].Time) {
		t.Fatalf("values %v at %v: want newest first (TimestampDescending), 102 first", r.Values, r.Timestamps)
	}
}
