package incluster

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

// Argo CD's names in each cluster.
const (
	ArgoCDNamespace = "argocd"
	ArgoCDChartRepo = "https://argoproj.github.io/argo-helm"
	ApplicationName = "taskflow"
)

// GitOpsArgs configures Argo CD and TaskFlow's Application in one region.
type GitOpsArgs struct {
	// Install installs Argo CD; false on a cluster that already runs it.
	Install      bool
	ChartVersion string
	// RepoURL, Path and Revision are the same in both regions.
	RepoURL, Path, Revision string
	// RepoCredentials is the repository's username and password (secret),
	// from this region's copy of the Secrets Manager secret; nil for a
	// public repository.
	RepoCredentials pulumi.StringOutput
	HasCredentials  bool
	// Region, Replicas and FailoverReplicas are this region's own values.
	Region           string
	Replicas         int
	FailoverReplicas int
	// AppNamespace is created by AppConfig; the Application deploys into it.
	AppNamespace pulumi.StringInput
}

// GitOps is Argo CD (installed from its official Helm chart, at a pinned
// version, with no public endpoint and no local admin: operators reach it
// with `argocd --core` or kubectl through their EKS access entry) and
// TaskFlow's Application.
//
// The runbook and Argo CD do not fight over TaskFlow's size: the
// Application ignores the Deployment's `/spec/replicas` and respects that
// when it syncs (RespectIgnoreDifferences), so neither self-heal nor a later
// sync undoes `kubectl scale` — the runbook's pause to 0 and its failover
// size (https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/,
// https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#respect-ignore-difference-configs).
// Git's replica count applies when the Deployment is first created.
type GitOps struct {
	pulumi.ResourceState

	ArgoCDNamespace  pulumi.StringOutput `pulumi:"argocdNamespace"`
	Application      pulumi.StringOutput `pulumi:"application"`
	AppNamespace     pulumi.StringOutput `pulumi:"appNamespace"`
	Deployment       pulumi.StringOutput `pulumi:"deployment"`
	Replicas         pulumi.IntOutput    `pulumi:"replicas"`
	FailoverReplicas pulumi.IntOutput    `pulumi:"failoverReplicas"`
}

// NewGitOps installs Argo CD (unless told not to) and adds the Application.
func NewGitOps(ctx *pulumi.Context, name string, args *GitOpsArgs, opts ...pulumi.ResourceOption) (*GitOps, error) {
	c := &GitOps{}
	if err := component.Register(ctx, "GitOps", name, c, opts...); err != nil {
		return nil, err
	}
	var deps []pulumi.Resource
	if args.Install {
		release, err := newHelmRelease(ctx, name+"-argocd", helmReleaseArgs{
			Name: "argocd", Chart: "argo-cd", Version: args.ChartVersion, Repo: ArgoCDChartRepo,
			Namespace: ArgoCDNamespace, CreateNamespace: true, Atomic: true, Values: ArgoCDValues(),
		}, pulumi.Parent(c))
		if err != nil {
			return nil, fmt.Errorf("gitops %s: argo cd: %w", name, err)
		}
		deps = append(deps, release)
	}
	if args.HasCredentials {
		secret, err := repoSecret(ctx, c, name, args, deps)
		if err != nil {
			return nil, err
		}
		deps = append(deps, secret)
	}
	app, err := apiextensions.NewCustomResource(ctx, name+"-application", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("argoproj.io/v1alpha1"),
		Kind:       pulumi.String("Application"),
		Metadata: metav1.ObjectMetaArgs{
			Name:      pulumi.String(ApplicationName),
			Namespace: pulumi.String(ArgoCDNamespace),
		},
		OtherFields: ApplicationSpec(args),
	}, pulumi.Parent(c), pulumi.DependsOn(deps))
	if err != nil {
		return nil, fmt.Errorf("gitops %s: application: %w", name, err)
	}
	c.ArgoCDNamespace = pulumi.String(ArgoCDNamespace).ToStringOutput()
	c.Application = app.Metadata.Name().Elem()
	c.AppNamespace = args.AppNamespace.ToStringOutput()
	c.Deployment = pulumi.String(AppDeployment).ToStringOutput()
	c.Replicas = pulumi.Int(args.Replicas).ToIntOutput()
	c.FailoverReplicas = pulumi.Int(args.FailoverReplicas).ToIntOutput()
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// ArgoCDValues are the chart's values we change from its defaults
// (argoproj/argo-helm@argo-cd-10.1.1:charts/argo-cd/values.yaml): no local
// admin (line 212 turns it on), no Dex (1140), the API server only inside
// the cluster (2464) and no ingress.
func ArgoCDValues() pulumi.Map {
	return pulumi.Map{
		"configs": pulumi.Map{
			"cm":   pulumi.Map{"admin.enabled": pulumi.Bool(false)},
			"rbac": pulumi.Map{"policy.default": pulumi.String("")},
		},
		"dex": pulumi.Map{"enabled": pulumi.Bool(false)},
		"server": pulumi.Map{
			"service": pulumi.Map{"type": pulumi.String("ClusterIP")},
			"ingress": pulumi.Map{"enabled": pulumi.Bool(false)},
		},
	}
}

// ApplicationSpec is the Application's spec: the same source in both
// regions, this region's values, automated sync with self-heal, and the
// Deployment's replica count left to the runbook.
func ApplicationSpec(args *GitOpsArgs) kubernetes.UntypedArgs {
	return kubernetes.UntypedArgs{"spec": pulumi.Map{
		"project": pulumi.String("default"),
		"source": pulumi.Map{
			"repoURL":        pulumi.String(args.RepoURL),
			"path":           pulumi.String(args.Path),
			"targetRevision": pulumi.String(args.Revision),
			"helm": pulumi.Map{"valuesObject": pulumi.Map{
				"region":           pulumi.String(args.Region),
				"replicas":         pulumi.Int(args.Replicas),
				"failoverReplicas": pulumi.Int(args.FailoverReplicas),
			}},
		},
		"destination": pulumi.Map{
			"server":    pulumi.String("https://kubernetes.default.svc"),
			"namespace": args.AppNamespace,
		},
		"syncPolicy": pulumi.Map{
			"automated":   pulumi.Map{"prune": pulumi.Bool(true), "selfHeal": pulumi.Bool(true)},
			"syncOptions": pulumi.StringArray{pulumi.String("RespectIgnoreDifferences=true")},
		},
		"ignoreDifferences": pulumi.Array{pulumi.Map{
			"group":        pulumi.String("apps"),
			"kind":         pulumi.String("Deployment"),
			"name":         pulumi.String(AppDeployment),
			"jsonPointers": pulumi.StringArray{pulumi.String("/spec/replicas")},
		}},
	}}
}

// repoSecret is Argo CD's declarative repository credential
// (https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#repositories),
// made from this region's copy of the credentials secret and kept secret in
// state.
func repoSecret(ctx *pulumi.Context, c *GitOps, name string, args *GitOpsArgs, deps []pulumi.Resource) (*corev1.Secret, error) {
	field := func(key string) pulumi.StringOutput {
		return pulumi.ToSecret(args.RepoCredentials.ApplyT(func(raw string) (string, error) {
			var creds map[string]string
			if err := json.Unmarshal([]byte(raw), &creds); err != nil {
				return "", fmt.Errorf("taskflow:gitops.repoCredentialsSecret: the secret must be JSON with username and password")
			}
			v, ok := creds[key]
			if !ok || v == "" {
				return "", fmt.Errorf("taskflow:gitops.repoCredentialsSecret: the secret has no %q", key)
			}
			return v, nil
		})).(pulumi.StringOutput)
	}
	s, err := corev1.NewSecret(ctx, name+"-repo", &corev1.SecretArgs{
		Metadata: metav1.ObjectMetaArgs{
			Name:      pulumi.String("taskflow-repo"),
			Namespace: pulumi.String(ArgoCDNamespace),
			Labels:    pulumi.StringMap{"argocd.argoproj.io/secret-type": pulumi.String("repository")},
		},
		StringData: pulumi.StringMap{
			"type":     pulumi.String("git"),
			"url":      pulumi.String(args.RepoURL),
			"username": field("username"),
			"password": field("password"),
		},
	}, pulumi.Parent(c), pulumi.DependsOn(deps), pulumi.AdditionalSecretOutputs([]string{"stringData", "data"}))
	if err != nil {
		return nil, fmt.Errorf("gitops %s: repository secret: %w", name, err)
	}
	return s, nil
}
