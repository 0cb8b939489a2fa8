package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
)

// GrafanaArgs places the Grafana dashboard.
type GrafanaArgs struct {
	// Namespace is the DR agent's namespace: the ServiceMonitor sits beside
	// the agent's Service, the ConfigMap beside it.
	Namespace pulumi.StringInput
	Cluster   string
	Region    string
	// AgentService is the agent's Service, scraped on its "http" port.
	AgentService string
}

// Grafana is a ServiceMonitor for the DR agent and a dashboard ConfigMap
// with the label kube-prometheus-stack's Grafana sidecar loads
// (`grafana_dashboard: "1"`; the sidecar must search this namespace:
// `grafana.sidecar.dashboards.searchNamespace: ALL`, README).
type Grafana struct {
	pulumi.ResourceState

	ConfigMap pulumi.StringOutput `pulumi:"configMap"`
}

// NewGrafana creates the ServiceMonitor and the dashboard through the
// region's Kubernetes provider (opts).
func NewGrafana(ctx *pulumi.Context, name string, args *GrafanaArgs, opts ...pulumi.ResourceOption) (*Grafana, error) {
	c := &Grafana{}
	if err := component.Register(ctx, "GrafanaDashboard", name, c, opts...); err != nil {
		return nil, err
	}
	if _, err := apiextensions.NewCustomResource(ctx, name+"-servicemonitor", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("monitoring.coreos.com/v1"),
		Kind:       pulumi.String("ServiceMonitor"),
		Metadata:   metav1.ObjectMetaArgs{Name: pulumi.String(args.AgentService), Namespace: args.Namespace},
		OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{
			"selector":  pulumi.Map{"matchLabels": pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(args.AgentService)}},
			"endpoints": pulumi.Array{pulumi.Map{"port": pulumi.String("http"), "path": pulumi.String("/metrics"), "interval": pulumi.String("15s")}},
		}},
	}, pulumi.Parent(c)); err != nil {
		return nil, fmt.Errorf("grafana %s: service monitor: %w", name, err)
	}
	body, err := GrafanaDashboard(args.Cluster, args.Region)
	if err != nil {
		return nil, fmt.Errorf("grafana %s: %w", name, err)
	}
	cm, err := corev1.NewConfigMap(ctx, name+"-dashboard", &corev1.ConfigMapArgs{
		Metadata: metav1.ObjectMetaArgs{
			Name:        pulumi.String("taskflow-dr-dashboard"),
			Namespace:   args.Namespace,
			Labels:      pulumi.StringMap{"grafana_dashboard": pulumi.String("1")},
			Annotations: pulumi.StringMap{"grafana_folder": pulumi.String("TaskFlow DR")},
		},
		Data: pulumi.StringMap{"taskflow-dr.json": pulumi.String(body)},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("grafana %s: dashboard: %w", name, err)
	}
	c.ConfigMap = cm.Metadata.Name().Elem()
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// GrafanaDashboard is the dashboard JSON: the DR agent's delay and role,
// and the cluster's Ready nodes and TaskFlow replicas from kube-state-metrics.
// Route 53, ALB and RDS metrics live in CloudWatch (the CloudWatch
// dashboard); Prometheus has what runs in the cluster.
func GrafanaDashboard(cluster, region string) (string, error) {
	panel := func(id int, title, expr, unit string, x, y int) map[string]any {
		return map[string]any{
			"id": id, "title": title, "type": "timeseries",
			"gridPos":     map[string]any{"x": x, "y": y, "w": 12, "h": 8},
			"targets":     []any{map[string]any{"expr": expr, "refId": "A"}},
			"fieldConfig": map[string]any{"defaults": map[string]any{"unit": unit}},
		}
	}
	d := map[string]any{
		"title":         fmt.Sprintf("TaskFlow DR — %s (%s)", cluster, region),
		"uid":           "taskflow-dr-" + cluster,
		"schemaVersion": 39,
		"time":          map[string]any{"from": "now-3h", "to": "now"},
		"panels": []any{
			panel(1, "Replication delay (DR agent)", `taskflow_dr_replication_delay_seconds`, "s", 0, 0),
			panel(2, "Agent role (1 = writer)", `taskflow_dr_role{role="writer"}`, "none", 12, 0),
			panel(3, "Newest heartbeat sequence", `taskflow_dr_heartbeat_newest_sequence`, "none", 0, 8),
			panel(4, "Nodes Ready", `sum(kube_node_status_condition{condition="Ready",status="true"})`, "none", 12, 8),
			panel(5, "TaskFlow replicas available", `kube_deployment_status_replicas_available{namespace="taskflow",deployment="taskflow"}`, "none", 0, 16),
		},
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode grafana dashboard: %w", err)
	}
	return string(b), nil
}
