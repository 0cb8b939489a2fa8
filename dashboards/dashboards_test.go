package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/internal/pulumimock"
)

// The standby's dashboard: its own region eu-central-1, the primary as
// its peer. The ALB and target group dimension values are the final
// portions of their ARNs
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html#load-balancer-metric-dimensions-alb).
const (
	ownAlb      = "app/taskflow-dr-standby-alb/0123456789abcdef"
	ownTG       = "targetgroup/taskflow-tg-mock1234/fedcba9876543210"
	peerAlb     = "app/taskflow-dr-primary-alb/a1b2c3d4e5f60718"
	gateID      = "hc-gate-0001"
	endpointID  = "hc-endpoint-0002"
	fenceAlarm  = "taskflow-dr-fence-primary"
	budgetTotal = 900
)

func standbyArgs() *Args {
	return &Args{
		Name: "taskflow-dr-standby", Stack: "standby", Account: pulumimock.Account,
		Own:          Side{Region: "eu-central-1", Cluster: "taskflow-dr-standby", AlbName: "taskflow-dr-standby-alb", DbInstanceID: "taskflow-dr-standby-db"},
		Peer:         Side{Region: "eu-west-1", Cluster: "taskflow-dr-primary", AlbName: "taskflow-dr-primary-alb", DbInstanceID: "taskflow-dr-primary-db"},
		AlbArnSuffix: pulumi.String(ownAlb), TargetGroupArnSuffix: pulumi.String(ownTG),
		GateHealthCheckID: pulumi.String(gateID), EndpointHealthCheckID: pulumi.String(endpointID),
		FenceAlarmName: fenceAlarm, FenceAlarmRegion: "eu-central-1",
		RTOBudget:  map[string]int{"detectionSeconds": 90, "promotionSeconds": 300, "totalSeconds": budgetTotal},
		RPOSeconds: 10,
	}
}

func resolvedArgs() Resolved {
	return Resolved{AlbArnSuffix: ownAlb, TargetGroupArnSuffix: ownTG, GateHealthCheckID: gateID, EndpointHealthCheckID: endpointID}
}

// dashboard decodes the body CloudWatch receives back into the widget
// struct of CloudWatch's body structure (dashboards.go cites it).
type dashboard struct {
	Widgets []widget `json:"widgets"`
}

func body(t *testing.T) dashboard {
	t.Helper()
	s, err := Body(standbyArgs(), resolvedArgs())
	require.NoError(t, err)
	var d dashboard
	require.NoError(t, json.Unmarshal([]byte(s), &d))
	require.NotEmpty(t, d.Widgets)
	return d
}

// metric is one metric line of a widget: namespace, name and dimensions,
// or a math/search expression.
type metric struct {
	namespace, name, expression string
	dims                        map[string]string
	region                      string
}

// metrics lists every metric line of the dashboard with its widget's
// region, in the dashboard body's array form: [Namespace, MetricName,
// DimName, DimValue, ..., {rendering options}]
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html#CloudWatch-Dashboard-Properties-Metrics-Array-Format).
func metrics(t *testing.T, d dashboard) []metric {
	t.Helper()
	var out []metric
	for _, w := range d.Widgets {
		if w.Type != "metric" {
			continue
		}
		region, _ := w.Properties["region"].(string)
		require.NotEmpty(t, region, "metric widget %q names its region", w.Properties["title"])
		for _, line := range w.Properties["metrics"].([]any) {
			parts := line.([]any)
			if opts, ok := parts[0].(map[string]any); ok {
				out = append(out, metric{expression: opts["expression"].(string), region: region})
				continue
			}
			m := metric{namespace: parts[0].(string), name: parts[1].(string), dims: map[string]string{}, region: region}
			rest := parts[2:]
			if len(rest)%2 == 1 {
				_, ok := rest[len(rest)-1].(map[string]any)
				require.True(t, ok, "a trailing element is the rendering options")
				rest = rest[:len(rest)-1]
			}
			for i := 0; i < len(rest); i += 2 {
				m.dims[rest[i].(string)] = rest[i+1].(string)
			}
			out = append(out, m)
		}
	}
	return out
}

func find(ms []metric, namespace, name string) []metric {
	var out []metric
	for _, m := range ms {
		if m.namespace == namespace && m.name == name {
			out = append(out, m)
		}
	}
	return out
}

// TestWidgetsReferenceThisStacksResources: each metric names this stack's
// own resources in this stack's region: the database, the ALB and target
// group, the replica's agent; Route 53's checks are read where Route 53
// publishes them (us-east-1 only:
// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html).
func TestWidgetsReferenceThisStacksResources(t *testing.T) {
	ms := metrics(t, body(t))
	delay := find(ms, "TaskFlowDR", "ReplicationDelay")
	require.Len(t, delay, 1)
	assert.Equal(t, metric{namespace: "TaskFlowDR", name: "ReplicationDelay", dims: map[string]string{"Cluster": "taskflow-dr-standby"}, region: "eu-central-1"}, delay[0])
	// The primary writer's agent publishes its acknowledged heartbeat into
	// the peer region, under its own cluster (cmd/dr-agent/README.md): here.
	acked := find(ms, "TaskFlowDR", "AckedHeartbeatSequence")
	require.Len(t, acked, 1)
	assert.Equal(t, map[string]string{"Cluster": "taskflow-dr-primary"}, acked[0].dims)
	assert.Equal(t, "eu-central-1", acked[0].region)

	// Every agent counts its own cluster's Ready nodes (drmetrics.ReadyNodes).
	ready := find(ms, "TaskFlowDR", "ReadyNodes")
	require.Len(t, ready, 1)
	assert.Equal(t, metric{namespace: "TaskFlowDR", name: "ReadyNodes", dims: map[string]string{"Cluster": "taskflow-dr-standby"}, region: "eu-central-1"}, ready[0])

	for _, name := range []string{"ReplicaLag", "CPUUtilization", "DatabaseConnections", "FreeStorageSpace"} {
		got := find(ms, "AWS/RDS", name)
		require.Len(t, got, 1, name)
		assert.Equal(t, map[string]string{"DBInstanceIdentifier": "taskflow-dr-standby-db"}, got[0].dims, name)
		assert.Equal(t, "eu-central-1", got[0].region, name)
	}

	health := find(ms, "AWS/Route53", "HealthCheckStatus")
	require.Len(t, health, 2)
	var ids []string
	for _, h := range health {
		assert.Equal(t, "us-east-1", h.region)
		ids = append(ids, h.dims["HealthCheckId"])
	}
	assert.ElementsMatch(t, []string{gateID, endpointID}, ids)

	var albLines int
	for _, m := range ms {
		if m.namespace != "AWS/ApplicationELB" {
			continue
		}
		albLines++
		assert.Equal(t, "eu-central-1", m.region, "%s: the own ALB's metrics in its region", m.name)
		assert.Equal(t, ownAlb, m.dims["LoadBalancer"], m.name)
		if tg, ok := m.dims["TargetGroup"]; ok {
			assert.Equal(t, ownTG, tg, m.name)
		}
	}
	assert.GreaterOrEqual(t, albLines, 3, "healthy targets and both 5xx counts")
	healthy := find(ms, "AWS/ApplicationELB", "HealthyHostCount")
	require.NotEmpty(t, healthy)
	assert.Equal(t, ownTG, healthy[0].dims["TargetGroup"], "HealthyHostCount needs the target group dimension")
}

// TestCustomMetricsAreOnesTheAgentPublishes: a widget on a TaskFlowDR
// metric nobody publishes stays empty forever. The agent publishes exactly
// these (cmd/dr-agent/README.md; cmd/internal/drmetrics).
func TestCustomMetricsAreOnesTheAgentPublishes(t *testing.T) {
	published := []string{"ReplicationDelay", "AckedHeartbeatSequence", "AckedHeartbeatTime", "AgentIsWriter", "ReadyNodes"}
	for _, m := range metrics(t, body(t)) {
		if m.namespace == "TaskFlowDR" {
			assert.Contains(t, published, m.name, "no agent publishes TaskFlowDR/%s", m.name)
			assert.Equal(t, []string{"Cluster"}, keys(m.dims), "the agent's only dimension is Cluster")
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestNodeGroupSizeIsShown: the node group's size, from metrics AWS
// publishes without setup: every node is an instance target of the ALB's
// target group (the group is attached to the node group's Auto Scaling
// group: region.loadBalancer), so healthy plus unhealthy targets are the
// running nodes (HealthyHostCount, UnHealthyHostCount: same page as the
// dimensions above).
func TestNodeGroupSizeIsShown(t *testing.T) {
	d := body(t)
	var found bool
	for _, w := range d.Widgets {
		title, _ := w.Properties["title"].(string)
		if !strings.Contains(title, "node group") {
			continue
		}
		found = true
		assert.Equal(t, "eu-central-1", w.Properties["region"])
		var names []string
		for _, line := range w.Properties["metrics"].([]any) {
			parts := line.([]any)
			names = append(names, parts[1].(string))
			assert.Equal(t, "AWS/ApplicationELB", parts[0])
			assert.Equal(t, []any{"TargetGroup", ownTG, "LoadBalancer", ownAlb}, parts[2:6])
		}
		assert.ElementsMatch(t, []string{"HealthyHostCount", "UnHealthyHostCount"}, names)
	}
	assert.True(t, found, "a widget shows the node group's size")
}

// tokens splits a string the way CloudWatch search does: non-alphanumeric
// characters delimit, a camel-case capital or a digit starts a new token
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html,
// Tokenization).
func tokens(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = nil
		}
	}
	var prev rune
	for _, r := range s {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case len(cur) > 0 && (unicode.IsUpper(r) && unicode.IsLower(prev) || unicode.IsDigit(r) != unicode.IsDigit(prev)):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return out
}

// searchMatches says whether a SEARCH term (`value` or `"value"`) matches a
// dimension value (same page, Partial matches, Exact matches and
// Non-alphanumeric characters). A quoted term matches only the exact
// string: "Custom" does not find CustomCount1. An unquoted term matches
// when its tokens appear consecutively among the value's: network-errors
// finds Network-Errors-2 and NetworkErrors2. The page also makes some
// composite matches case-sensitive; the names searched here are lower
// case on both sides, so that rule cannot make this fake kinder than
// CloudWatch for them.
func searchMatches(term, value string) bool {
	if strings.HasPrefix(term, `"`) {
		return strings.Trim(term, `"`) == value
	}
	want, have := tokens(term), tokens(value)
	for i := 0; i+len(want) <= len(have); i++ {
		match := true
		for j, w := range want {
			match = match && strings.EqualFold(have[i+j], w)
		}
		if match {
			return true
		}
	}
	return false
}

func TestSearchFakeFollowsTheDocumentedExamples(t *testing.T) {
	assert.True(t, searchMatches("count", "CustomCount1"))
	assert.True(t, searchMatches("COUNT", "CustomCount1"))
	assert.True(t, searchMatches("CustomCount", "CustomCount1"))
	assert.True(t, searchMatches(`"CustomCount1"`, "CustomCount1"))
	assert.False(t, searchMatches(`"customcount1"`, "CustomCount1"))
	assert.False(t, searchMatches(`"Custom"`, "CustomCount1"))
	for _, term := range []string{"network/errors", "network+errors", "network-errors", "Network_Errors"} {
		assert.True(t, searchMatches(term, "Network-Errors-2"), term)
		assert.True(t, searchMatches(term, "NetworkErrors2"), term)
	}
	assert.True(t, searchMatches(`"Network-Errors-2"`, "Network-Errors-2"))
	assert.False(t, searchMatches(`"Network_Errors_2"`, "Network-Errors-2"))
	assert.False(t, searchMatches("errors-network", "Network-Errors-2"), "tokens in order")
}

var (
	searchRe = regexp.MustCompile(`^SEARCH\('\{([^}]*)\} (.*)', '(\w+)', (\d+)\)$`)
	termRe   = regexp.MustCompile(`(\w+)=("[^"]*"|[^\s"]+)`)
)

// TestPeerAlbBySearchOnItsPinnedName: this stack may not know the peer's
// ALB ARN (the standby may not exist yet), so its widget finds the peer's
// metrics with SEARCH on the pinned ALB name, in the peer's region. The
// search must find the peer ALB's dimension value (app/<name>/<id>) and
// nothing of this region's.
func TestPeerAlbBySearchOnItsPinnedName(t *testing.T) {
	d := body(t)
	var exprs []metric
	for _, m := range metrics(t, d) {
		if m.expression != "" {
			exprs = append(exprs, m)
		}
	}
	require.Len(t, exprs, 3, "healthy targets and both 5xx counts")
	for _, e := range exprs {
		assert.Equal(t, "eu-west-1", e.region, "the peer's widget reads the peer's region")
		parts := searchRe.FindStringSubmatch(e.expression)
		require.NotNil(t, parts, "a SEARCH expression: %s", e.expression)
		schema := strings.Split(parts[1], ",")
		assert.Equal(t, "AWS/ApplicationELB", schema[0])
		assert.Contains(t, schema, "LoadBalancer")
		terms := map[string]string{}
		for _, m := range termRe.FindAllStringSubmatch(parts[2], -1) {
			terms[m[1]] = m[2]
		}
		lb, ok := terms["LoadBalancer"]
		require.True(t, ok, "the search names the load balancer: %s", e.expression)
		assert.True(t, searchMatches(lb, peerAlb), "%s must find the peer's ALB %s", lb, peerAlb)
		assert.False(t, searchMatches(lb, ownAlb), "%s must not find this region's ALB", lb)
		assert.False(t, searchMatches(lb, "app/k8s-other-alb/0123456789abcdef"))
		metricName := strings.Trim(terms["MetricName"], `"`)
		assert.Contains(t, []string{"HealthyHostCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"}, metricName)
		if metricName == "HealthyHostCount" {
			assert.Contains(t, schema, "TargetGroup", "HealthyHostCount exists only per target group")
		}
	}
}

// TestFenceAndBudget: the fence alarm by its ARN in the region it lives
// in; the RTO budget as text, term by term.
func TestFenceAndBudget(t *testing.T) {
	d := body(t)
	var alarms, texts []map[string]any
	for _, w := range d.Widgets {
		switch w.Type {
		case "alarm":
			alarms = append(alarms, w.Properties)
		case "text":
			texts = append(texts, w.Properties)
		}
	}
	require.Len(t, alarms, 1)
	assert.Equal(t, []any{"arn:aws:cloudwatch:eu-central-1:123456789012:alarm:" + fenceAlarm}, alarms[0]["alarms"])
	require.Len(t, texts, 1)
	md := texts[0]["markdown"].(string)
	for _, row := range []string{"| detection | 90 |", "| promotion | 300 |", fmt.Sprintf("| total | %d |", budgetTotal)} {
		assert.Contains(t, md, row)
	}
	assert.Contains(t, md, "RPO objective 10 s")
	assert.Contains(t, md, "standby (eu-central-1)")
}

// TestLayoutFitsTheGrid: a dashboard is 24 columns wide; widgets do not
// overlap (same body-structure page: x, width).
func TestLayoutFitsTheGrid(t *testing.T) {
	d := body(t)
	type cell struct{ x, y int }
	taken := map[cell]bool{}
	for _, w := range d.Widgets {
		require.Positive(t, w.Width)
		require.Positive(t, w.Height)
		assert.LessOrEqual(t, w.X+w.Width, 24)
		for x := w.X; x < w.X+w.Width; x++ {
			for y := w.Y; y < w.Y+w.Height; y++ {
				assert.False(t, taken[cell{x, y}], "widgets overlap at %d,%d", x, y)
				taken[cell{x, y}] = true
			}
		}
	}
}

// TestDashboardInItsOwnRegion: the dashboard is created through the
// provider the stack passes (its own region's CloudWatch, which survives
// the loss of the other region), with the body of the resolved resources.
func TestDashboardInItsOwnRegion(t *testing.T) {
	m := pulumimock.New("standby", "eu-central-1", nil)
	out := map[string]string{}
	require.NoError(t, m.Run(nil, func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws-eu-central-1", &aws.ProviderArgs{Region: pulumi.String("eu-central-1")})
		if err != nil {
			return err
		}
		c, err := NewCloudWatch(ctx, "taskflow-dashboard", standbyArgs(), pulumi.Provider(p))
		if err != nil {
			return err
		}
		for k, v := range map[string]pulumi.StringOutput{"name": c.DashboardName, "url": c.DashboardURL} {
			got, err := pulumimock.Await(ctx, v)
			if err != nil {
				return err
			}
			out[k] = got.(string)
		}
		return nil
	}))
	dash := m.One(t, "aws:cloudwatch/dashboard:Dashboard")
	assert.Equal(t, "eu-central-1", m.ProviderRegion(dash))
	assert.Equal(t, "taskflow-dr-standby", dash.Inputs["dashboardName"].StringValue())
	want, err := Body(standbyArgs(), resolvedArgs())
	require.NoError(t, err)
	assert.JSONEq(t, want, dash.Inputs["dashboardBody"].StringValue())
	assert.Equal(t, "taskflow-dr-standby", out["name"])
	assert.Equal(t, "https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards/dashboard/taskflow-dr-standby", out["url"])
}

// TestGrafanaDashboardIsLoadedBySidecar: the ConfigMap carries the label
// the Grafana chart's dashboard sidecar watches by default in
// kube-prometheus-stack (grafana/helm-charts: charts/grafana/values.yaml,
// sidecar.dashboards.label grafana_dashboard, labelValue "1"), and the
// ServiceMonitor scrapes the agent's Service on its named port.
func TestGrafanaDashboardIsLoadedBySidecar(t *testing.T) {
	m := pulumimock.New("standby", "eu-central-1", nil)
	require.NoError(t, m.Run(nil, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String(`{"apiVersion":"v1"}`)})
		if err != nil {
			return err
		}
		_, err = NewGrafana(ctx, "taskflow-grafana", &GrafanaArgs{
			Namespace: pulumi.String("taskflow-dr"), Cluster: "taskflow-dr-standby", Region: "eu-central-1", AgentService: "dr-agent",
		}, pulumi.Provider(k8s))
		return err
	}))
	cm := m.One(t, "kubernetes:core/v1:ConfigMap")
	assert.Contains(t, cm.Provider, "::k8s::")
	meta := cm.Inputs["metadata"].ObjectValue()
	assert.Equal(t, "1", meta["labels"].ObjectValue()["grafana_dashboard"].StringValue())
	var g map[string]any
	require.NoError(t, json.Unmarshal([]byte(cm.Inputs["data"].ObjectValue()["taskflow-dr.json"].StringValue()), &g))
	assert.Equal(t, "taskflow-dr-taskflow-dr-standby", g["uid"], "one dashboard per cluster")
	assert.Contains(t, g["title"], "eu-central-1")
	exprs := ""
	for _, p := range g["panels"].([]any) {
		exprs += p.(map[string]any)["targets"].([]any)[0].(map[string]any)["expr"].(string) + "\n"
	}
	for _, metric := range []string{"taskflow_dr_replication_delay_seconds", "taskflow_dr_heartbeat_newest_sequence", `taskflow_dr_role{role="writer"}`} {
		assert.Contains(t, exprs, metric, "the agent's /metrics (cmd/dr-agent/README.md)")
	}
	sm := m.One(t, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor").Inputs["spec"].ObjectValue()
	ep := sm["endpoints"].ArrayValue()[0].ObjectValue()
	assert.Equal(t, "http", ep["port"].StringValue(), "the agent Service's port name")
	assert.Equal(t, "/metrics", ep["path"].StringValue())
	assert.Equal(t, "dr-agent", sm["selector"].ObjectValue()["matchLabels"].ObjectValue()["app.kubernetes.io/name"].StringValue())
}
