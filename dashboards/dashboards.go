// Package dashboards is the pictures of the DR state: a CloudWatch
// dashboard in each region's own CloudWatch (so it survives the loss of the
// other region) and, in clusters that run kube-prometheus-stack, a Grafana
// dashboard of the same signals from Prometheus.
package dashboards

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
)

// Route53MetricsRegion is where Route 53 publishes health-check metrics:
// the health widgets read them from there, and only they depend on it.
const Route53MetricsRegion = "us-east-1"

// Side is one region's identifiers the dashboard shows.
type Side struct {
	Region string
	// Cluster is the EKS cluster (the DR agent's metric dimension).
	Cluster string
	// AlbName is the region's pinned ALB name.
	AlbName string
	// DbInstanceID is the region's database.
	DbInstanceID string
}

// Args is what the dashboard shows. The own region's ALB is named by the
// ARN suffixes of its resources; the peer's, which this stack may not know
// (the standby may not exist yet), by a search on its pinned name.
type Args struct {
	AlbArnSuffix, TargetGroupArnSuffix pulumi.StringInput
	Name                               string
	Stack                              string
	Account                            string
	Own                                Side
	Peer                               Side
	// The primary's Route 53 checks: the gate and the endpoint probe.
	// FenceAlarmName is the fence alarm (in the standby region).
	GateHealthCheckID, EndpointHealthCheckID pulumi.StringInput
	FenceAlarmName, FenceAlarmRegion         string
	// RTOBudget is the stack's computed budget, shown as text.
	RTOBudget  map[string]int
	RPOSeconds int
}

// CloudWatch is the region's dashboard.
type CloudWatch struct {
	pulumi.ResourceState

	DashboardName pulumi.StringOutput `pulumi:"dashboardName"`
	DashboardURL  pulumi.StringOutput `pulumi:"dashboardUrl"`
}

// NewCloudWatch creates the dashboard through the stack's regional
// provider (opts).
func NewCloudWatch(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*CloudWatch, error) {
	c := &CloudWatch{}
	if err := component.Register(ctx, "Dashboard", name, c, opts...); err != nil {
		return nil, err
	}
	body := pulumi.All(args.AlbArnSuffix, args.TargetGroupArnSuffix, args.GateHealthCheckID, args.EndpointHealthCheckID).ApplyT(func(v []any) (string, error) {
		return Body(args, Resolved{AlbArnSuffix: v[0].(string), TargetGroupArnSuffix: v[1].(string), GateHealthCheckID: v[2].(string), EndpointHealthCheckID: v[3].(string)})
	}).(pulumi.StringOutput)
	d, err := cloudwatch.NewDashboard(ctx, name+"-cloudwatch", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(args.Name),
		DashboardBody: body,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", name, err)
	}
	c.DashboardName = d.DashboardName
	c.DashboardURL = pulumi.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s", args.Own.Region, args.Own.Region, d.DashboardName)
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Resolved are the identifiers known only once resources exist.
type Resolved struct {
	AlbArnSuffix, TargetGroupArnSuffix       string
	GateHealthCheckID, EndpointHealthCheckID string
}

// widget is one CloudWatch dashboard widget
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
type widget struct {
	Type       string         `json:"type"`
	X          int            `json:"x"`
	Y          int            `json:"y"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Properties map[string]any `json:"properties"`
}

// Body renders the dashboard. Every metric names this stack's own
// resources, or the peer's where a widget shows both regions; widgets that
// read another region say so with their own "region".
func Body(a *Args, r Resolved) (string, error) {
	var ws []widget
	row := 0
	add := func(w widget) {
		w.X, w.Y = (len(ws)%2)*12, row
		if len(ws)%2 == 1 {
			row += 6
		}
		if w.Width == 0 {
			w.Width, w.Height = 12, 6
		}
		ws = append(ws, w)
	}
	add(textWidget(budgetMarkdown(a)))
	add(metricWidget("Replication delay (DR agent) and RDS ReplicaLag", a.Own.Region, replicationMetrics(a), map[string]any{
		"yAxis":       map[string]any{"left": map[string]any{"label": "seconds", "min": 0}},
		"annotations": map[string]any{"horizontal": []any{map[string]any{"label": "RPO objective", "value": a.RPOSeconds}}},
	}))
	add(metricWidget("Primary as Route 53 sees it (1 healthy)", Route53MetricsRegion, healthMetrics(r), nil))
	add(widget{Type: "alarm", Properties: map[string]any{
		"title":  "Fence (ALARM = PRIMARY record forced unhealthy)",
		"alarms": []string{fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", a.FenceAlarmRegion, a.Account, a.FenceAlarmName)},
	}})
	add(metricWidget("ALB "+a.Own.Region+" (this region): healthy targets and 5xx", a.Own.Region, albMetrics(r.AlbArnSuffix, r.TargetGroupArnSuffix), nil))
	add(metricWidget("ALB "+a.Peer.Region+" (peer region): healthy targets and 5xx", a.Peer.Region, peerAlbMetrics(a.Peer.AlbName), nil))
	add(metricWidget("Database "+a.Own.DbInstanceID+": CPU, connections, free storage", a.Own.Region, dbMetrics(a.Own), nil))
	add(metricWidget("Nodes of the node group ("+a.Own.Cluster+"), as ALB targets", a.Own.Region, nodeMetrics(r.AlbArnSuffix, r.TargetGroupArnSuffix),
		map[string]any{"stacked": true}))
	add(metricWidget("Ready nodes of the cluster ("+a.Own.Cluster+"), counted by the DR agent", a.Own.Region, readyNodeMetrics(a.Own.Cluster), nil))
	b, err := json.Marshal(map[string]any{"widgets": ws})
	if err != nil {
		return "", fmt.Errorf("encode dashboard: %w", err)
	}
	return string(b), nil
}

func metricWidget(title, region string, metrics [][]any, extra map[string]any) widget {
	p := map[string]any{"title": title, "region": region, "metrics": metrics, "view": "timeSeries", "stat": "Maximum", "period": 60}
	for k, v := range extra {
		p[k] = v
	}
	return widget{Type: "metric", Properties: p}
}

func textWidget(markdown string) widget {
	return widget{Type: "text", Properties: map[string]any{"markdown": markdown}}
}

func replicationMetrics(a *Args) [][]any {
	m := [][]any{
		{"TaskFlowDR", "ReplicationDelay", "Cluster", a.Own.Cluster, map[string]any{"label": "delay measured by the DR agent (" + a.Own.Cluster + ")", "period": 10}},
		{"TaskFlowDR", "AckedHeartbeatSequence", "Cluster", a.Peer.Cluster, map[string]any{"label": "peer writer's acknowledged heartbeat (sequence)", "yAxis": "right"}},
	}
	if a.Own.DbInstanceID != "" {
		m = append(m, []any{"AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", a.Own.DbInstanceID,
			map[string]any{"label": "RDS ReplicaLag (time since the last replayed transaction; not alarmed)"}})
	}
	return m
}

func healthMetrics(r Resolved) [][]any {
	return [][]any{
		{"AWS/Route53", "HealthCheckStatus", "HealthCheckId", r.EndpointHealthCheckID, map[string]any{"label": "endpoint probe", "stat": "Minimum"}},
		{"AWS/Route53", "HealthCheckStatus", "HealthCheckId", r.GateHealthCheckID, map[string]any{"label": "gate (PRIMARY record)", "stat": "Minimum"}},
	}
}

func albMetrics(alb, targetGroup string) [][]any {
	return [][]any{
		{"AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", targetGroup, "LoadBalancer", alb, map[string]any{"stat": "Minimum", "label": "healthy targets"}},
		{"AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", alb, map[string]any{"stat": "Sum", "label": "target 5xx", "yAxis": "right"}},
		{"AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", alb, map[string]any{"stat": "Sum", "label": "ALB 5xx", "yAxis": "right"}},
	}
}

// nodeMetrics is the node group's size from metrics AWS publishes without
// setup: the target group is attached to the node group's Auto Scaling
// group, so every running node is a target, healthy or not
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
// The Auto Scaling group's own metrics are off unless enabled on a group
// EKS manages.
func nodeMetrics(alb, targetGroup string) [][]any {
	return [][]any{
		{"AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", targetGroup, "LoadBalancer", alb, map[string]any{"stat": "Maximum", "label": "healthy nodes"}},
		{"AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", targetGroup, "LoadBalancer", alb, map[string]any{"stat": "Maximum", "label": "unhealthy nodes"}},
	}
}

// readyNodeMetrics is the DR agent's count of the cluster's Ready nodes
// (TaskFlowDR ReadyNodes, published by every agent in its own region): what
// the runbook's scale step waits for; no datapoint while the agent cannot
// reach the API server.
func readyNodeMetrics(cluster string) [][]any {
	return [][]any{
		{"TaskFlowDR", "ReadyNodes", "Cluster", cluster, map[string]any{"stat": "Minimum", "label": "Ready nodes (DR agent)"}},
	}
}

// peerAlbMetrics finds the peer's ALB by its pinned name with SEARCH
// expressions. The LoadBalancer dimension is app/<name>/<id>, so the name
// is a partial match (its tokens in order), never an exact one: a quoted
// term matches only the whole value
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html).
func peerAlbMetrics(albName string) [][]any {
	search := func(id, dims, metric, stat, label string) []any {
		return []any{map[string]any{
			"id": id, "label": label,
			"expression": fmt.Sprintf(`SEARCH('{AWS/ApplicationELB,%s} LoadBalancer=%s MetricName="%s"', '%s', 60)`, dims, albName, metric, stat),
		}}
	}
	return [][]any{
		search("healthy", "LoadBalancer,TargetGroup", "HealthyHostCount", "Minimum", "healthy targets"),
		search("target5xx", "LoadBalancer", "HTTPCode_Target_5XX_Count", "Sum", "target 5xx"),
		search("elb5xx", "LoadBalancer", "HTTPCode_ELB_5XX_Count", "Sum", "ALB 5xx"),
	}
}

func dbMetrics(s Side) [][]any {
	return [][]any{
		{"AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", s.DbInstanceID, map[string]any{"label": "CPU %"}},
		{"AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", s.DbInstanceID, map[string]any{"label": "connections"}},
		{"AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", s.DbInstanceID, map[string]any{"label": "free storage (bytes)", "yAxis": "right", "stat": "Minimum"}},
	}
}

// budgetMarkdown shows the stack's RTO budget, term by term.
func budgetMarkdown(a *Args) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## TaskFlow DR: %s (%s)\n\nRTO budget (seconds; `rtoBudget` output, computed at preview):\n\n| term | seconds |\n|---|---|\n", a.Stack, a.Own.Region)
	keys := make([]string, 0, len(a.RTOBudget))
	for k := range a.RTOBudget {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "| %s | %d |\n", strings.TrimSuffix(k, "Seconds"), a.RTOBudget[k])
	}
	fmt.Fprintf(&b, "\nRPO objective %d s. Runbook: runbooks/failover.md", a.RPOSeconds)
	return b.String()
}
