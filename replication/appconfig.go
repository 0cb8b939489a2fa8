package replication

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AppConfigType is the component's Pulumi type.
const AppConfigType = "taskflow:dr:AppConfig"

// The in-cluster names TaskFlow's manifests (deployed by Argo CD) rely on.
const (
	AppNamespace      = "taskflow"
	AppServiceAccount = "taskflow"
	AppConfigMap      = "taskflow-region"
)

// AppConfigArgs is what one region's app needs to start on its own.
type AppConfigArgs struct {
	Region  string
	Role    string
	DbMode  string
	DbHost  pulumi.StringInput
	DbPort  pulumi.IntInput
	Secret  pulumi.StringInput // this region's copy of the secret
	KmsKey  pulumi.StringInput // this region's key, which encrypts the home copy
	Cluster ClusterAccess
}

// ClusterAccess is how the component reaches the region's cluster.
type ClusterAccess struct {
	// Kubeconfig names the region in its token command (region.Kubeconfig).
	Kubeconfig      pulumi.StringInput
	OidcProviderArn pulumi.StringInput
	OidcProviderUrl pulumi.StringInput
}

// AppConfig is the namespace, the ConfigMap with the region's own database
// endpoint and secret copy, and the IRSA service account that may read that
// copy: everything TaskFlow's pods need from this program, local to the
// region, so a region's app starts with the other region gone.
type AppConfig struct {
	pulumi.ResourceState

	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
}

// NewAppConfig creates the Kubernetes side through an explicit provider
// built from the region's kubeconfig, and the IAM role behind the service
// account through the regional AWS provider.
func NewAppConfig(ctx *pulumi.Context, name string, args AppConfigArgs, provider *aws.Provider, opts ...pulumi.ResourceOption) (*AppConfig, error) {
	c := &AppConfig{}
	if err := ctx.RegisterComponentResource(AppConfigType, name, c, append(opts, pulumi.Providers(provider))...); err != nil {
		return nil, fmt.Errorf("register app config %s: %w", name, err)
	}
	awsChild := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(provider)}

	trust := pulumi.All(args.Cluster.OidcProviderArn, args.Cluster.OidcProviderUrl).ApplyT(func(v []any) (string, error) {
		return IRSATrustPolicy(v[0].(string), v[1].(string), AppNamespace, AppServiceAccount)
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name+"-irsa", &iam.RoleArgs{
		Description:      pulumi.Sprintf("TaskFlow pods in %s: read this region's database secret", args.Region),
		AssumeRolePolicy: trust,
	}, awsChild...)
	if err != nil {
		return nil, fmt.Errorf("app config %s: IRSA role: %w", name, err)
	}
	policy := pulumi.All(args.Secret, args.KmsKey).ApplyT(func(v []any) (string, error) {
		return SecretReadPolicy(v[0].(string), v[1].(string), args.Region)
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-irsa-secret", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, awsChild...); err != nil {
		return nil, fmt.Errorf("app config %s: IRSA policy: %w", name, err)
	}

	k8s, err := kubernetes.NewProvider(ctx, name+"-k8s", &kubernetes.ProviderArgs{
		Kubeconfig:            args.Cluster.Kubeconfig,
		EnableServerSideApply: pulumi.Bool(true),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("app config %s: kubernetes provider: %w", name, err)
	}
	k8sChild := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(k8s)}
	ns, err := corev1.NewNamespace(ctx, name+"-namespace", &corev1.NamespaceArgs{
		Metadata: metav1.ObjectMetaArgs{Name: pulumi.String(AppNamespace)},
	}, k8sChild...)
	if err != nil {
		return nil, fmt.Errorf("app config %s: namespace: %w", name, err)
	}
	meta := func(n string) metav1.ObjectMetaArgs {
		return metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: ns.Metadata.Name().Elem()}
	}
	if _, err := corev1.NewConfigMap(ctx, name+"-configmap", &corev1.ConfigMapArgs{
		Metadata: meta(AppConfigMap),
		Data: pulumi.StringMap{
			"DB_HOST":       args.DbHost,
			"DB_PORT":       args.DbPort.ToIntOutput().ApplyT(strconv.Itoa).(pulumi.StringOutput),
			"DB_SECRET_ARN": args.Secret,
			"AWS_REGION":    pulumi.String(args.Region),
			"DR_ROLE":       pulumi.String(args.Role),
			"DB_MODE":       pulumi.String(args.DbMode),
		},
	}, k8sChild...); err != nil {
		return nil, fmt.Errorf("app config %s: configmap: %w", name, err)
	}
	sa := meta(AppServiceAccount)
	sa.Annotations = pulumi.StringMap{"eks.amazonaws.com/role-arn": role.Arn}
	if _, err := corev1.NewServiceAccount(ctx, name+"-serviceaccount", &corev1.ServiceAccountArgs{Metadata: sa}, k8sChild...); err != nil {
		return nil, fmt.Errorf("app config %s: service account: %w", name, err)
	}
	c.RoleArn = role.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"roleArn": c.RoleArn}); err != nil {
		return nil, fmt.Errorf("register app config %s outputs: %w", name, err)
	}
	return c, nil
}

// IRSATrustPolicy lets exactly one service account assume the role through
// the cluster's OIDC provider.
func IRSATrustPolicy(oidcProviderArn, oidcProviderURL, namespace, serviceAccount string) (string, error) {
	issuer := strings.TrimPrefix(oidcProviderURL, "https://")
	return policyJSON(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": oidcProviderArn},
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Condition": map[string]any{"StringEquals": map[string]any{
				issuer + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
				issuer + ":aud": "sts.amazonaws.com",
			}},
		}},
	})
}

// SecretReadPolicy allows reading one secret, and decrypting with the
// region's key only through Secrets Manager in that region.
func SecretReadPolicy(secretArn, kmsKeyArn, region string) (string, error) {
	return policyJSON(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Effect":   "Allow",
				"Action":   []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
				"Resource": secretArn,
			},
			map[string]any{
				"Effect":    "Allow",
				"Action":    "kms:Decrypt",
				"Resource":  kmsKeyArn,
				"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager." + region + ".amazonaws.com"}},
			},
		},
	})
}

func policyJSON(doc map[string]any) (string, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode IAM policy: %w", err)
	}
	return string(b), nil
}
