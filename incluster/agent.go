package incluster

import (
	"fmt"
	"strconv"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
	"github.com/taskflow/taskflow-dr/policy"
)

// The DR agent's in-cluster names and metrics namespace: the runbook reads
// it through the API server's service proxy (StatusPath), never through a
// database port or a port-forward.
const (
	AgentNamespace       = "taskflow-dr"
	AgentName            = "dr-agent"
	AgentPortName        = "http"
	AgentMetricNamespace = "TaskFlowDR"
	agentContainerPort   = 8080
)

// StatusPath is the agent's /status through the Kubernetes API server's
// service proxy (`kubectl get --raw`).
const StatusPath = "/api/v1/namespaces/" + AgentNamespace + "/services/" + AgentName + ":" + AgentPortName + "/proxy/status"

// AgentArgs is what the agent needs.
type AgentArgs struct {
	Region, PeerRegion   string
	Cluster, PeerCluster string
	// Image is the agent image (the region's taskflow-dr-agent repository
	// and the configured tag).
	Image pulumi.StringInput
	// HeartbeatInterval is the writer's heartbeat period ("1s").
	HeartbeatInterval string
	DbHost            pulumi.StringInput
	DbPort            pulumi.IntInput
	DbName            string
	Secret            pulumi.StringInput // this region's copy of taskflow/db
	KmsKey            pulumi.StringInput
	ClusterAccess     ClusterAccess
}

// Agent is the DR agent: a Deployment in its own namespace whose service
// account may only read this region's copy of the database secret and put
// metrics in the TaskFlowDR namespace. It finds its role (writer or
// replica) from the database itself, so a promotion or a rebuild switches
// it without a redeploy.
type Agent struct {
	pulumi.ResourceState

	Namespace  pulumi.StringOutput `pulumi:"namespace"`
	Service    pulumi.StringOutput `pulumi:"service"`
	StatusPath pulumi.StringOutput `pulumi:"statusPath"`
	RoleArn    pulumi.StringOutput `pulumi:"roleArn"`
}

// NewAgent deploys the agent.
func NewAgent(ctx *pulumi.Context, name string, args *AgentArgs, opts ...pulumi.ResourceOption) (*Agent, error) {
	c := &Agent{}
	if err := component.Register(ctx, "Agent", name, c, opts...); err != nil {
		return nil, err
	}
	perms := pulumi.All(args.Secret, args.KmsKey).ApplyT(func(v []any) (string, error) {
		return policy.SecretRead(v[0].(string), v[1].(string), args.Region).With(policy.PutMetrics(AgentMetricNamespace)).JSON()
	}).(pulumi.StringOutput)
	role, err := irsaRole(ctx, c, name, args.Region, args.ClusterAccess, AgentNamespace, AgentName, perms)
	if err != nil {
		return nil, err
	}
	ns, err := namespace(ctx, c, name, AgentNamespace)
	if err != nil {
		return nil, err
	}
	if _, err := serviceAccount(ctx, c, name, AgentNamespace, AgentName, role, ns); err != nil {
		return nil, err
	}
	if err := nodeReader(ctx, c, name); err != nil {
		return nil, err
	}
	labels := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(AgentName)}
	if _, err := appsv1.NewDeployment(ctx, name+"-deployment", &appsv1.DeploymentArgs{
		Metadata: agentDeploymentMeta(ns),
		Spec: appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(1),
			// One writer of heartbeats at a time.
			Strategy: appsv1.DeploymentStrategyArgs{Type: pulumi.String("Recreate")},
			Selector: metav1.LabelSelectorArgs{MatchLabels: labels},
			Template: corev1.PodTemplateSpecArgs{
				Metadata: metav1.ObjectMetaArgs{Labels: labels},
				Spec: corev1.PodSpecArgs{
					ServiceAccountName:           pulumi.String(AgentName),
					AutomountServiceAccountToken: pulumi.Bool(true),
					SecurityContext: corev1.PodSecurityContextArgs{
						RunAsNonRoot:   pulumi.Bool(true),
						RunAsUser:      pulumi.Int(65532),
						SeccompProfile: corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
					},
					Containers: corev1.ContainerArray{agentContainer(args)},
				},
			},
		},
	}, pulumi.Parent(c)); err != nil {
		return nil, fmt.Errorf("agent %s: deployment: %w", name, err)
	}
	svc, err := corev1.NewService(ctx, name+"-service", &corev1.ServiceArgs{
		Metadata: objectMeta(AgentNamespace, AgentName, ns),
		Spec: corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: labels,
			Ports: corev1.ServicePortArray{corev1.ServicePortArgs{
				Name: pulumi.String(AgentPortName), Port: pulumi.Int(80), TargetPort: pulumi.Int(agentContainerPort),
			}},
		},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("agent %s: service: %w", name, err)
	}
	c.Namespace = ns.Metadata.Name().Elem()
	c.Service = svc.Metadata.Name().Elem()
	c.StatusPath = pulumi.String(StatusPath).ToStringOutput()
	c.RoleArn = role.Arn
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// agentContainer is the agent's container: the env contract of
// cmd/dr-agent, a read-only root filesystem, no capabilities, and probes on
// /healthz.
func agentContainer(args *AgentArgs) corev1.ContainerArgs {
	env := func(k string, v pulumi.StringInput) corev1.EnvVarArgs {
		return corev1.EnvVarArgs{Name: pulumi.String(k), Value: v}
	}
	probe := corev1.ProbeArgs{
		HttpGet:       corev1.HTTPGetActionArgs{Path: pulumi.String("/healthz"), Port: pulumi.Int(agentContainerPort)},
		PeriodSeconds: pulumi.Int(10),
	}
	return corev1.ContainerArgs{
		Name:  pulumi.String(AgentName),
		Image: args.Image,
		Env: corev1.EnvVarArray{
			env("DR_DB_HOST", args.DbHost),
			env("DR_DB_PORT", args.DbPort.ToIntOutput().ApplyT(strconv.Itoa).(pulumi.StringOutput)),
			env("DR_DB_NAME", pulumi.String(args.DbName)),
			env("DR_DB_SECRET_ARN", args.Secret),
			env("DR_REGION", pulumi.String(args.Region)),
			env("DR_PEER_REGION", pulumi.String(args.PeerRegion)),
			env("DR_CLUSTER", pulumi.String(args.Cluster)),
			env("DR_PEER_CLUSTER", pulumi.String(args.PeerCluster)),
			env("DR_HEARTBEAT_INTERVAL", pulumi.String(args.HeartbeatInterval)),
			env("DR_LISTEN", pulumi.Sprintf(":%d", agentContainerPort)),
			env("DR_METRICS", pulumi.String("cloudwatch")),
			env("AWS_REGION", pulumi.String(args.Region)),
		},
		Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{
			Name: pulumi.String(AgentPortName), ContainerPort: pulumi.Int(agentContainerPort),
		}},
		ReadinessProbe: probe,
		LivenessProbe:  probe,
		Resources: corev1.ResourceRequirementsArgs{
			Requests: pulumi.StringMap{"cpu": pulumi.String("20m"), "memory": pulumi.String("32Mi")},
			Limits:   pulumi.StringMap{"memory": pulumi.String("128Mi")},
		},
		SecurityContext: corev1.SecurityContextArgs{
			AllowPrivilegeEscalation: pulumi.Bool(false),
			ReadOnlyRootFilesystem:   pulumi.Bool(true),
			Capabilities:             corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
		},
	}
}

// nodeReader lets the agent's service account get and list nodes, and
// nothing else in the cluster: it counts the Ready ones for the dashboard.
func nodeReader(ctx *pulumi.Context, c *Agent, name string) error {
	meta := metav1.ObjectMetaArgs{Name: pulumi.String("taskflow-dr-agent-nodes")}
	role, err := rbacv1.NewClusterRole(ctx, name+"-nodes-role", &rbacv1.ClusterRoleArgs{
		Metadata: meta,
		Rules: rbacv1.PolicyRuleArray{rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.StringArray{pulumi.String("")},
			Resources: pulumi.StringArray{pulumi.String("nodes")},
			Verbs:     pulumi.StringArray{pulumi.String("get"), pulumi.String("list")},
		}},
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("agent %s: node reader role: %w", name, err)
	}
	if _, err := rbacv1.NewClusterRoleBinding(ctx, name+"-nodes-binding", &rbacv1.ClusterRoleBindingArgs{
		Metadata: meta,
		RoleRef: rbacv1.RoleRefArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("ClusterRole"), Name: role.Metadata.Name().Elem(),
		},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{
			Kind: pulumi.String("ServiceAccount"), Name: pulumi.String(AgentName), Namespace: pulumi.String(AgentNamespace),
		}},
	}, pulumi.Parent(c)); err != nil {
		return fmt.Errorf("agent %s: node reader binding: %w", name, err)
	}
	return nil
}

// SkipAwaitAnnotation tells the Kubernetes provider not to wait for an
// object to become ready (pulumi-kubernetes's metadata.AnnotationSkipAwait,
// https://github.com/pulumi/pulumi-kubernetes/pull/417).
const SkipAwaitAnnotation = "pulumi.com/skipAwait"

// agentDeploymentMeta is the agent Deployment's metadata. The provider
// waits up to 10 minutes for a Deployment to be Available and then fails
// the update (pulumi-kubernetes@v4.32.0:sdk/go/kubernetes/apps/v1/deployment.go:17-37).
// The agent's image lives in the taskflow-dr-agent repository that this
// same first `pulumi up` creates, and `make agent-image` can push it only
// afterwards (the standby's copy arrives by replication later still), so
// awaiting the Deployment would fail every first deploy. Its health is
// watched where an operator sees it instead: the replica-delay alarm treats
// missing data as breaching, and `dr preflight` reads the agents.
func agentDeploymentMeta(ns *corev1.Namespace) metav1.ObjectMetaArgs {
	meta := objectMeta(AgentNamespace, AgentName, ns)
	meta.Annotations = pulumi.StringMap{SkipAwaitAnnotation: pulumi.String("true")}
	return meta
}
