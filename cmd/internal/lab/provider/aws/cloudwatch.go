package aws

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
)

// putMetricAlarm builds PutMetricAlarm's input from the inputs
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html,
// tfaws internal/service/cloudwatch/metric_alarm.go expandPutMetricAlarmInput).
func putMetricAlarm(c *provider.Ctx, in provider.Props) map[string]any {
	req := map[string]any{
		"AlarmName":      provider.Str(in, "name"),
		"ActionsEnabled": provider.Bool(in, "actionsEnabled", true),
		"Tags":           tagList(c, in),
	}
	optional(req, in, map[string]string{
		"alarmDescription": "AlarmDescription", "comparisonOperator": "ComparisonOperator",
		"datapointsToAlarm": "DatapointsToAlarm", "evaluateLowSampleCountPercentiles": "EvaluateLowSampleCountPercentile",
		"evaluationPeriods": "EvaluationPeriods", "extendedStatistic": "ExtendedStatistic", "metricName": "MetricName",
		"namespace": "Namespace", "period": "Period", "statistic": "Statistic", "threshold": "Threshold",
		"thresholdMetricId": "ThresholdMetricId", "treatMissingData": "TreatMissingData", "unit": "Unit",
	})
	for prop, api := range map[string]string{"alarmActions": "AlarmActions", "okActions": "OKActions", "insufficientDataActions": "InsufficientDataActions"} {
		if v := provider.Strs(in, prop); len(v) > 0 {
			req[api] = v
		}
	}
	if dims := provider.StrMap(in, "dimensions"); len(dims) > 0 {
		keys := make([]string, 0, len(dims))
		for k := range dims {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var list []map[string]string
		for _, k := range keys {
			list = append(list, map[string]string{"Name": k, "Value": dims[k]})
		}
		req["Dimensions"] = list
	}
	if v, ok := in["metricQueries"]; ok && !v.IsNull() {
		req["Metrics"] = metricQueries(v)
	}
	return req
}

// metricQueries maps pulumi's metricQueries onto MetricDataQuery.
func metricQueries(v resource.PropertyValue) []map[string]any {
	var out []map[string]any
	for _, e := range v.ArrayValue() {
		if !e.IsObject() {
			continue
		}
		q := e.ObjectValue()
		m := map[string]any{"Id": provider.Str(q, "id"), "ReturnData": provider.Bool(q, "returnData", false)}
		optional(m, q, map[string]string{"expression": "Expression", "label": "Label", "period": "Period", "accountId": "AccountId"})
		if met := provider.Obj(q, "metric"); met != nil {
			stat := map[string]any{"Metric": map[string]any{"MetricName": provider.Str(met, "metricName"), "Namespace": provider.Str(met, "namespace")}}
			optional(stat, met, map[string]string{"period": "Period", "stat": "Stat", "unit": "Unit"})
			if dims := provider.StrMap(met, "dimensions"); len(dims) > 0 {
				var list []map[string]string
				for k, v := range dims {
					list = append(list, map[string]string{"Name": k, "Value": v})
				}
				stat["Metric"].(map[string]any)["Dimensions"] = list
			}
			m["MetricStat"] = stat
		}
		out = append(out, m)
	}
	return out
}

func metricAlarmType() *provider.Type {
	return &provider.Type{
		Token: "aws:cloudwatch/metricAlarm:MetricAlarm",
		// tfaws internal/service/cloudwatch/metric_alarm.go: alarm_name
		// (pulumi's `name`) ForceNew; PutMetricAlarm replaces the rest in
		// place.
		ForceNew: []string{"name"},
		AutoName: autoName(),
		Defaults: provider.FromGo(map[string]any{"actionsEnabled": true, "treatMissingData": "missing"}),
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return "", nil, err
			}
			name := provider.Str(in, "name")
			if err := cloud.Call(c, region(c), "monitoring", "PutMetricAlarm", putMetricAlarm(c, in), nil); err != nil {
				return "", nil, fmt.Errorf("creating CloudWatch Metric Alarm (%s): %w", name, err)
			}
			return name, provider.Props{
				"arn":     resource.NewProperty(arn("cloudwatch", region(c), "alarm:"+name)),
				"tagsAll": tagsAll(c, in),
			}, nil
		},
		Update: func(c *provider.Ctx, id string, _, _, news, outs provider.Props) (provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, err
			}
			if err := cloud.Call(c, region(c), "monitoring", "PutMetricAlarm", putMetricAlarm(c, news), nil); err != nil {
				return nil, fmt.Errorf("updating CloudWatch Metric Alarm (%s): %w", id, err)
			}
			outs["tagsAll"] = tagsAll(c, news)
			return outs, nil
		},
		Read: func(c *provider.Ctx, id string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			var out struct{ MetricAlarms []map[string]any }
			req := map[string]any{"AlarmNames": []string{id}, "AlarmTypes": []string{"MetricAlarm"}}
			if err := cloud.Call(c, region(c), "monitoring", "DescribeAlarms", req, &out); err != nil {
				return nil, nil, err
			}
			if len(out.MetricAlarms) == 0 {
				return nil, nil, nil
			}
			outs, ins := provider.Copy(olds), provider.Copy(oldInputs)
			live := out.MetricAlarms[0]
			for prop, api := range map[string]string{"threshold": "Threshold", "evaluationPeriods": "EvaluationPeriods", "period": "Period", "treatMissingData": "TreatMissingData", "comparisonOperator": "ComparisonOperator"} {
				if v, ok := live[api]; ok {
					outs[resource.PropertyKey(prop)] = resource.NewPropertyValue(v)
					if _, was := oldInputs[resource.PropertyKey(prop)]; was {
						ins[resource.PropertyKey(prop)] = resource.NewPropertyValue(v)
					}
				}
			}
			return outs, ins, nil
		},
		Delete: func(c *provider.Ctx, id string, _ provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			err = cloud.Call(c, region(c), "monitoring", "DeleteAlarms", map[string]any{"AlarmNames": []string{id}}, nil)
			if cloudrpc.IsCode(err, "ResourceNotFound") {
				return nil
			}
			return err
		},
	}
}

func dashboardType() *provider.Type {
	return &provider.Type{
		Token: "aws:cloudwatch/dashboard:Dashboard",
		// tfaws internal/service/cloudwatch/dashboard.go: dashboard_name
		// ForceNew; the body is replaced in place by PutDashboard.
		ForceNew: []string{"dashboardName"},
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return "", nil, err
			}
			name := provider.Str(in, "dashboardName")
			req := map[string]any{"DashboardName": name, "DashboardBody": provider.Str(in, "dashboardBody")}
			if err := cloud.Call(c, region(c), "monitoring", "PutDashboard", req, nil); err != nil {
				return "", nil, fmt.Errorf("creating CloudWatch Dashboard (%s): %w", name, err)
			}
			// Dashboards are global: arn:aws:cloudwatch::<account>:dashboard/<name>.
			return name, provider.Props{"dashboardArn": resource.NewProperty(fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", Account(), name))}, nil
		},
		Update: func(c *provider.Ctx, id string, _, _, news, outs provider.Props) (provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, err
			}
			req := map[string]any{"DashboardName": id, "DashboardBody": provider.Str(news, "dashboardBody")}
			if err := cloud.Call(c, region(c), "monitoring", "PutDashboard", req, nil); err != nil {
				return nil, fmt.Errorf("updating CloudWatch Dashboard (%s): %w", id, err)
			}
			return outs, nil
		},
		Read: func(c *provider.Ctx, id string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			var out struct{ DashboardBody string }
			err = cloud.Call(c, region(c), "monitoring", "GetDashboard", map[string]any{"DashboardName": id}, &out)
			if cloudrpc.IsCode(err, "ResourceNotFound", "ResourceNotFoundException") {
				return nil, nil, nil
			}
			if err != nil {
				return nil, nil, err
			}
			outs, ins := provider.Copy(olds), provider.Copy(oldInputs)
			// The body stays the program's in the inputs: CloudWatch may
			// reformat the JSON, and Terraform compares it as JSON
			// (structure.SuppressJsonDiff), not as text.
			outs["dashboardBody"] = resource.NewProperty(out.DashboardBody)
			return outs, ins, nil
		},
		Delete: func(c *provider.Ctx, id string, _ provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			err = cloud.Call(c, region(c), "monitoring", "DeleteDashboards", map[string]any{"DashboardNames": []string{id}}, nil)
			if cloudrpc.IsCode(err, "ResourceNotFound", "ResourceNotFoundException") {
				return nil
			}
			return err
		},
	}
}
