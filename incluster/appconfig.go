// Package incluster is what this program puts into each region's cluster:
// TaskFlow's regional config and service account, the DR agent that
// measures replication delay, and Argo CD with TaskFlow's Application, so
// that each region runs TaskFlow from Git without depending on the other.
// Every component here is created through the region's Kubernetes provider
// and the region's AWS provider (for the IRSA roles), both passed in opts.
package incluster

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
	"github.com/taskflow/taskflow-dr/policy"
)

// The in-cluster names TaskFlow's manifests (deployed by Argo CD) rely on.
const (
	AppNamespace      = "taskflow"
	AppServiceAccount = "taskflow"
	AppConfigMap      = "taskflow-region"
	AppDeployment     = "taskflow"
)

// ClusterAccess is what the IRSA roles need of the region's cluster.
type ClusterAccess struct {
	OidcProviderArn pulumi.StringInput
	OidcProviderUrl pulumi.StringInput
}

// AppConfigArgs is what one region's app needs to start on its own.
type AppConfigArgs struct {
	Region  string
	Role    string
	DbMode  string
	DbHost  pulumi.StringInput
	DbPort  pulumi.IntInput
	DbName  string
	Secret  pulumi.StringInput // this region's copy of the secret
	KmsKey  pulumi.StringInput // this region's key, which encrypts the home copy
	Cluster ClusterAccess
}

// AppConfig is the namespace, the ConfigMap with the region's own database
// endpoint and secret copy, and the IRSA service account that may read that
// copy: everything TaskFlow's pods need from this program, local to the
// region, so a region's app starts with the other region gone.
type AppConfig struct {
	pulumi.ResourceState

	Namespace pulumi.StringOutput `pulumi:"namespace"`
	RoleArn   pulumi.StringOutput `pulumi:"roleArn"`
}

// NewAppConfig creates the namespace, ConfigMap, role and service account.
func NewAppConfig(ctx *pulumi.Context, name string, args *AppConfigArgs, opts ...pulumi.ResourceOption) (*AppConfig, error) {
	c := &AppConfig{}
	if err := component.Register(ctx, "AppConfig", name, c, opts...); err != nil {
		return nil, err
	}
	role, err := irsaRole(ctx, c, name, args.Region, args.Cluster, AppNamespace, AppServiceAccount,
		pulumi.All(args.Secret, args.KmsKey).ApplyT(func(v []any) (string, error) {
			return policy.SecretRead(v[0].(string), v[1].(string), args.Region).JSON()
		}).(pulumi.StringOutput))
	if err != nil {
		return nil, err
	}
	ns, err := namespace(ctx, c, name, AppNamespace)
	if err != nil {
		return nil, err
	}
	meta := objectMeta(AppNamespace, AppConfigMap, ns)
	if _, err := corev1.NewConfigMap(ctx, name+"-configmap", &corev1.ConfigMapArgs{
		Metadata: meta,
		Data: pulumi.StringMap{
			"AWS_REGION":    pulumi.String(args.Region),
			"DR_ROLE":       pulumi.String(args.Role),
			"DB_MODE":       pulumi.String(args.DbMode),
			"DB_HOST":       args.DbHost,
			"DB_PORT":       args.DbPort.ToIntOutput().ApplyT(strconv.Itoa).(pulumi.StringOutput),
			"DB_NAME":       pulumi.String(args.DbName),
			"DB_SECRET_ARN": args.Secret,
		},
	}, pulumi.Parent(c)); err != nil {
		return nil, fmt.Errorf("app config %s: configmap: %w", name, err)
	}
	if _, err := serviceAccount(ctx, c, name, AppNamespace, AppServiceAccount, role, ns); err != nil {
		return nil, err
	}
	c.Namespace = ns.Metadata.Name().Elem()
	c.RoleArn = role.Arn
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// irsaRole is a role exactly one service account may assume, with one
// inline policy.
func irsaRole(ctx *pulumi.Context, parent pulumi.Resource, name, region string, cl ClusterAccess, namespace, sa string, perms pulumi.StringInput) (*iam.Role, error) {
	trust := pulumi.All(cl.OidcProviderArn, cl.OidcProviderUrl).ApplyT(func(v []any) (string, error) {
		return policy.IRSATrust(v[0].(string), v[1].(string), namespace, sa).JSON()
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name+"-irsa", &iam.RoleArgs{
		Description:      pulumi.Sprintf("%s/%s in %s (IRSA)", namespace, sa, region),
		AssumeRolePolicy: trust,
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, fmt.Errorf("%s: IRSA role: %w", name, err)
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-irsa-policy", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: perms,
	}, pulumi.Parent(parent)); err != nil {
		return nil, fmt.Errorf("%s: IRSA role policy: %w", name, err)
	}
	return role, nil
}

// namespace creates a namespace with its pinned name.
func namespace(ctx *pulumi.Context, parent pulumi.Resource, name, ns string) (*corev1.Namespace, error) {
	n, err := corev1.NewNamespace(ctx, name+"-namespace", &corev1.NamespaceArgs{
		Metadata: metav1.ObjectMetaArgs{Name: pulumi.String(ns)},
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, fmt.Errorf("%s: namespace %s: %w", name, ns, err)
	}
	return n, nil
}

// serviceAccount is a service account annotated with its IRSA role.
func serviceAccount(ctx *pulumi.Context, parent pulumi.Resource, name, ns, sa string, role *iam.Role, n *corev1.Namespace) (*corev1.ServiceAccount, error) {
	meta := objectMeta(ns, sa, n)
	meta.Annotations = pulumi.StringMap{"eks.amazonaws.com/role-arn": role.Arn}
	s, err := corev1.NewServiceAccount(ctx, name+"-serviceaccount", &corev1.ServiceAccountArgs{Metadata: meta}, pulumi.Parent(parent))
	if err != nil {
		return nil, fmt.Errorf("%s: service account: %w", name, err)
	}
	return s, nil
}

// objectMeta names an object in a namespace the program created (the
// namespace output orders the object after it).
func objectMeta(ns, name string, n *corev1.Namespace) metav1.ObjectMetaArgs {
	meta := metav1.ObjectMetaArgs{
		Name:   pulumi.String(name),
		Labels: pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("pulumi-taskflow-dr")},
	}
	if n != nil {
		meta.Namespace = n.Metadata.Name()
	} else {
		meta.Namespace = pulumi.String(ns)
	}
	return meta
}
