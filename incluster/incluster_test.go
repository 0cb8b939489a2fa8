package incluster

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/internal/pulumimock"
)

const (
	secretCopy = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:taskflow/db-AbC123"
	regionKey  = "arn:aws:kms:eu-central-1:123456789012:key/regional"
	oidcURL    = "oidc.eks.eu-central-1.amazonaws.com/id/MOCK"
	oidcArn    = "arn:aws:iam::123456789012:oidc-provider/" + oidcURL
	dbHost     = "taskflow-dr-standby-db.cmock.eu-central-1.rds.amazonaws.com"
)

var access = ClusterAccess{OidcProviderArn: pulumi.String(oidcArn), OidcProviderUrl: pulumi.String(oidcURL)}

// build runs fn with the two providers the program passes to the in-cluster
// components: the region's AWS provider (IRSA roles) and the cluster's
// Kubernetes provider.
func build(t *testing.T, fn func(ctx *pulumi.Context, opts pulumi.ResourceOption) error) (*pulumimock.Recorder, error) {
	t.Helper()
	m := pulumimock.New("standby", "eu-central-1", nil)
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws-eu-central-1", &aws.ProviderArgs{Region: pulumi.String("eu-central-1")})
		if err != nil {
			return err
		}
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String(`{"apiVersion":"v1"}`)})
		if err != nil {
			return err
		}
		return fn(ctx, pulumi.Providers(p, k8s))
	})
	return m, err
}

// assertProviders: Kubernetes objects go to the cluster's provider, AWS
// resources to the region's, both inherited from the component.
func assertProviders(t *testing.T, m *pulumimock.Recorder) {
	t.Helper()
	for _, r := range m.All() {
		switch {
		case strings.HasPrefix(r.Type, "kubernetes:") && r.Custom:
			assert.Contains(t, r.Provider, "::k8s::", "%s", r.Name)
		case strings.HasPrefix(r.Type, "aws:"):
			assert.Equal(t, "eu-central-1", m.ProviderRegion(r), "%s", r.Name)
		}
	}
}

func agent(t *testing.T) (*pulumimock.Recorder, map[string]string) {
	t.Helper()
	out := map[string]string{}
	m, err := build(t, func(ctx *pulumi.Context, opts pulumi.ResourceOption) error {
		a, err := NewAgent(ctx, "taskflow-agent", &AgentArgs{
			Region: "eu-central-1", PeerRegion: "eu-west-1", Cluster: "taskflow-dr-standby", PeerCluster: "taskflow-dr-primary",
			Image: pulumi.String("123456789012.dkr.ecr.eu-central-1.amazonaws.com/taskflow-dr-agent:v1"), HeartbeatInterval: "1s",
			DbHost: pulumi.String(dbHost), DbPort: pulumi.Int(5432), DbName: "taskflow",
			Secret: pulumi.String(secretCopy), KmsKey: pulumi.String(regionKey), ClusterAccess: access,
		}, opts)
		if err != nil {
			return err
		}
		for k, v := range map[string]pulumi.StringOutput{"namespace": a.Namespace, "service": a.Service, "statusPath": a.StatusPath, "roleArn": a.RoleArn} {
			got, err := pulumimock.Await(ctx, v)
			if err != nil {
				return err
			}
			out[k] = got.(string)
		}
		return nil
	})
	require.NoError(t, err)
	return m, out
}

func podSpec(t *testing.T, dep *pulumimock.Registered) resource.PropertyMap {
	t.Helper()
	return dep.Inputs["spec"].ObjectValue()["template"].ObjectValue()["spec"].ObjectValue()
}

// TestAgentEnvironmentIsTheContract: every variable cmd/dr-agent requires
// (cmd/dr-agent/README.md) comes from this region: its database, its copy of the
// secret, its cluster; never DR_DB_DSN, which would override them all.
func TestAgentEnvironmentIsTheContract(t *testing.T) {
	m, _ := agent(t)
	dep := m.One(t, "kubernetes:apps/v1:Deployment")
	containers := podSpec(t, dep)["containers"].ArrayValue()
	require.Len(t, containers, 1)
	c := containers[0].ObjectValue()
	env := map[string]string{}
	for _, e := range c["env"].ArrayValue() {
		name := e.ObjectValue()["name"].StringValue()
		_, dup := env[name]
		assert.False(t, dup, "%s set twice", name)
		env[name] = e.ObjectValue()["value"].StringValue()
	}
	assert.Equal(t, map[string]string{
		"DR_DB_HOST": dbHost, "DR_DB_PORT": "5432", "DR_DB_NAME": "taskflow", "DR_DB_SECRET_ARN": secretCopy,
		"DR_REGION": "eu-central-1", "DR_PEER_REGION": "eu-west-1",
		"DR_CLUSTER": "taskflow-dr-standby", "DR_PEER_CLUSTER": "taskflow-dr-primary",
		"DR_HEARTBEAT_INTERVAL": "1s", "DR_LISTEN": ":8080", "DR_METRICS": "cloudwatch",
		"AWS_REGION": "eu-central-1",
	}, env)
	assert.Equal(t, "123456789012.dkr.ecr.eu-central-1.amazonaws.com/taskflow-dr-agent:v1", c["image"].StringValue(), "the region's own repository")
	ports := c["ports"].ArrayValue()
	require.Len(t, ports, 1)
	assert.Equal(t, 8080.0, ports[0].ObjectValue()["containerPort"].NumberValue(), "what DR_LISTEN binds")
}

// TestAgentRunsRestricted: the pod meets the Kubernetes "restricted" Pod
// Security Standard (non-root, no privilege escalation, all capabilities
// dropped, RuntimeDefault seccomp:
// https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
// with a read-only root filesystem, as the distroless nonroot image (uid
// 65532, cmd/dr-agent/image.sh) allows; one replica at a time writes
// heartbeats, so a rollout recreates rather than overlaps.
func TestAgentRunsRestricted(t *testing.T) {
	m, _ := agent(t)
	dep := m.One(t, "kubernetes:apps/v1:Deployment")
	spec := dep.Inputs["spec"].ObjectValue()
	assert.Equal(t, 1.0, spec["replicas"].NumberValue())
	assert.Equal(t, "Recreate", spec["strategy"].ObjectValue()["type"].StringValue())
	pod := podSpec(t, dep)
	assert.Equal(t, AgentName, pod["serviceAccountName"].StringValue())
	psc := pod["securityContext"].ObjectValue()
	assert.True(t, psc["runAsNonRoot"].BoolValue())
	assert.NotZero(t, psc["runAsUser"].NumberValue(), "never uid 0")
	assert.Equal(t, "RuntimeDefault", psc["seccompProfile"].ObjectValue()["type"].StringValue())
	c := pod["containers"].ArrayValue()[0].ObjectValue()
	sc := c["securityContext"].ObjectValue()
	assert.False(t, sc["allowPrivilegeEscalation"].BoolValue())
	assert.True(t, sc["readOnlyRootFilesystem"].BoolValue())
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty("ALL")}, sc["capabilities"].ObjectValue()["drop"].ArrayValue())
	assert.NotContains(t, sc, resource.PropertyKey("privileged"))
	for _, probe := range []resource.PropertyKey{"readinessProbe", "livenessProbe"} {
		get := c[probe].ObjectValue()["httpGet"].ObjectValue()
		assert.Equal(t, "/healthz", get["path"].StringValue(), probe)
		assert.Equal(t, 8080.0, get["port"].NumberValue(), probe)
	}
	assert.Contains(t, c["resources"].ObjectValue()["limits"].ObjectValue(), resource.PropertyKey("memory"))
}

// TestAgentDeployDoesNotWaitForItsImage: the Kubernetes provider waits up
// to 10 minutes for a Deployment to be Available, then fails the update
// (pulumi-kubernetes@v4.32.0:sdk/go/kubernetes/apps/v1/deployment.go:17-37),
// unless the object carries pulumi.com/skipAwait "true"
// (https://github.com/pulumi/pulumi-kubernetes/pull/417). The agent's image
// can only be pushed once the first `pulumi up` has created its repository,
// so without the annotation every first deploy fails.
func TestAgentDeployDoesNotWaitForItsImage(t *testing.T) {
	m, _ := agent(t)
	dep := m.One(t, "kubernetes:apps/v1:Deployment")
	ann := dep.Inputs["metadata"].ObjectValue()["annotations"].ObjectValue()
	assert.Equal(t, "true", ann[SkipAwaitAnnotation].StringValue())
}

// TestAgentServiceIsReachedByItsPortName: the runbook reads the agent only
// through the API server's service proxy, whose URL names the Service's
// port (https://kubernetes.io/docs/tasks/access-application-cluster/access-cluster-services/#manually-constructing-apiserver-proxy-urls):
// /api/v1/namespaces/taskflow-dr/services/dr-agent:http/proxy/status.
func TestAgentServiceIsReachedByItsPortName(t *testing.T) {
	m, out := agent(t)
	svc := m.One(t, "kubernetes:core/v1:Service").Inputs
	meta := svc["metadata"].ObjectValue()
	assert.Equal(t, "dr-agent", meta["name"].StringValue())
	assert.Equal(t, "taskflow-dr", meta["namespace"].StringValue())
	spec := svc["spec"].ObjectValue()
	assert.Equal(t, "ClusterIP", spec["type"].StringValue(), "no endpoint outside the cluster")
	ports := spec["ports"].ArrayValue()
	require.Len(t, ports, 1)
	port := ports[0].ObjectValue()
	assert.Equal(t, "http", port["name"].StringValue())
	assert.Equal(t, 80.0, port["port"].NumberValue())
	assert.Equal(t, 8080.0, port["targetPort"].NumberValue())
	pod := m.One(t, "kubernetes:apps/v1:Deployment").Inputs["spec"].ObjectValue()["template"].ObjectValue()["metadata"].ObjectValue()["labels"].ObjectValue()
	for k, v := range spec["selector"].ObjectValue() {
		assert.Equal(t, v, pod[k], "the Service selects the agent's pods (%s)", k)
	}
	assert.Equal(t, "/api/v1/namespaces/taskflow-dr/services/dr-agent:http/proxy/status", out["statusPath"])
	assert.Equal(t, "taskflow-dr", out["namespace"])
	assert.Equal(t, "dr-agent", out["service"])
	assertProviders(t, m)
}

// policyOf decodes the one inline policy of a role.
func statements(t *testing.T, doc string) []map[string]any {
	t.Helper()
	var d struct{ Statement []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(doc), &d))
	return d.Statement
}

// TestAgentIRSAIsLeastPrivilege: the agent's service account (and only it:
// https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html)
// may read this region's copy of the secret, decrypt with the region's key
// only through Secrets Manager, and put metrics only into the TaskFlowDR
// namespace (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
func TestAgentIRSAIsLeastPrivilege(t *testing.T) {
	m, out := agent(t)
	role := m.One(t, "aws:iam/role:Role")
	trust := statements(t, role.Inputs["assumeRolePolicy"].StringValue())
	require.Len(t, trust, 1)
	assert.Equal(t, map[string]any{"Federated": oidcArn}, trust[0]["Principal"])
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{
		oidcURL + ":sub": "system:serviceaccount:taskflow-dr:dr-agent",
		oidcURL + ":aud": "sts.amazonaws.com",
	}}, trust[0]["Condition"])

	perms := statements(t, m.One(t, "aws:iam/rolePolicy:RolePolicy").Inputs["policy"].StringValue())
	require.Len(t, perms, 3)
	assert.ElementsMatch(t, []any{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}, perms[0]["Action"])
	assert.Equal(t, secretCopy, perms[0]["Resource"], "this region's copy only")
	assert.Equal(t, "kms:Decrypt", perms[1]["Action"])
	assert.Equal(t, regionKey, perms[1]["Resource"])
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager.eu-central-1.amazonaws.com"}}, perms[1]["Condition"])
	assert.Equal(t, "cloudwatch:PutMetricData", perms[2]["Action"])
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "TaskFlowDR"}}, perms[2]["Condition"])

	sa := m.One(t, "kubernetes:core/v1:ServiceAccount").Inputs["metadata"].ObjectValue()
	assert.Equal(t, "dr-agent", sa["name"].StringValue())
	assert.Equal(t, role.Outputs["arn"].StringValue(), sa["annotations"].ObjectValue()["eks.amazonaws.com/role-arn"].StringValue())
	assert.Equal(t, role.Outputs["arn"].StringValue(), out["roleArn"])
}

// TestAppConfigIsRegional: TaskFlow's pods find this region's database and
// secret copy in the taskflow-region ConfigMap, and may read that copy
// only.
func TestAppConfigIsRegional(t *testing.T) {
	m, err := build(t, func(ctx *pulumi.Context, opts pulumi.ResourceOption) error {
		_, err := NewAppConfig(ctx, "taskflow-app", &AppConfigArgs{
			Region: "eu-central-1", Role: "standby", DbMode: "replica", DbHost: pulumi.String(dbHost), DbPort: pulumi.Int(5432),
			DbName: "taskflow", Secret: pulumi.String(secretCopy), KmsKey: pulumi.String(regionKey), Cluster: access,
		}, opts)
		return err
	})
	require.NoError(t, err)
	cm := m.One(t, "kubernetes:core/v1:ConfigMap").Inputs
	assert.Equal(t, "taskflow-region", cm["metadata"].ObjectValue()["name"].StringValue())
	assert.Equal(t, "taskflow", cm["metadata"].ObjectValue()["namespace"].StringValue())
	data := map[string]string{}
	for k, v := range cm["data"].ObjectValue() {
		data[string(k)] = v.StringValue()
	}
	assert.Equal(t, map[string]string{
		"AWS_REGION": "eu-central-1", "DR_ROLE": "standby", "DB_MODE": "replica",
		"DB_HOST": dbHost, "DB_PORT": "5432", "DB_NAME": "taskflow", "DB_SECRET_ARN": secretCopy,
	}, data)
	trust := statements(t, m.One(t, "aws:iam/role:Role").Inputs["assumeRolePolicy"].StringValue())
	assert.Equal(t, "system:serviceaccount:taskflow:taskflow", trust[0]["Condition"].(map[string]any)["StringEquals"].(map[string]any)[oidcURL+":sub"])
	perms := m.One(t, "aws:iam/rolePolicy:RolePolicy").Inputs["policy"].StringValue()
	assert.NotContains(t, perms, "PutMetricData", "the app publishes no DR metrics")
	assert.Contains(t, perms, secretCopy)
	assertProviders(t, m)
}

func gitopsArgs() *GitOpsArgs {
	return &GitOpsArgs{
		Install: true, ChartVersion: "10.1.1",
		RepoURL: "https://github.com/taskflow/taskflow-deploy.git", Path: "deploy", Revision: "main",
		Region: "eu-central-1", Replicas: 2, FailoverReplicas: 4, AppNamespace: pulumi.String("taskflow"),
	}
}

func gitops(t *testing.T, args *GitOpsArgs) (*pulumimock.Recorder, map[string]any, error) {
	t.Helper()
	out := map[string]any{}
	m, err := build(t, func(ctx *pulumi.Context, opts pulumi.ResourceOption) error {
		g, err := NewGitOps(ctx, "taskflow-gitops", args, opts)
		if err != nil {
			return err
		}
		for k, v := range map[string]pulumi.Input{
			"argocdNamespace": g.ArgoCDNamespace, "application": g.Application, "appNamespace": g.AppNamespace,
			"deployment": g.Deployment, "replicas": g.Replicas, "failoverReplicas": g.FailoverReplicas,
		} {
			got, err := pulumimock.Await(ctx, v)
			if err != nil {
				return err
			}
			out[k] = got
		}
		return nil
	})
	return m, out, err
}

func dependsOn(r *pulumimock.Registered, name string) bool {
	for _, d := range r.Dependencies {
		if strings.HasSuffix(d, "::"+name) {
			return true
		}
	}
	return false
}

// TestArgoCDFromThePinnedChartWithoutPublicEndpoint: Argo CD comes from
// its official chart at the pinned version, with the chart's defaults
// changed where they would open a door
// (argoproj/argo-helm@argo-cd-10.1.1:charts/argo-cd/values.yaml: local
// admin on at line 212, Dex at 1140, the server Service at 2464): no local
// admin, no Dex, a ClusterIP server and no ingress. Operators reach it
// through their EKS access entry.
func TestArgoCDFromThePinnedChartWithoutPublicEndpoint(t *testing.T) {
	m, _, err := gitops(t, gitopsArgs())
	require.NoError(t, err)
	rel := m.One(t, "kubernetes:helm.sh/v3:Release").Inputs
	assert.Equal(t, "argo-cd", rel["chart"].StringValue())
	assert.Equal(t, "10.1.1", rel["version"].StringValue(), "pinned")
	assert.Equal(t, "https://argoproj.github.io/argo-helm", rel["repositoryOpts"].ObjectValue()["repo"].StringValue())
	assert.Equal(t, "argocd", rel["namespace"].StringValue())
	assert.Equal(t, "argocd", rel["name"].StringValue(), "the Helm release's name")
	assert.True(t, rel["createNamespace"].BoolValue())
	assert.True(t, rel["atomic"].BoolValue(), "a failed install rolls back")
	// What helmv3.NewRelease always sends (newHelmRelease registers the
	// token itself: pulumi-kubernetes@v4.32.0:sdk/go/kubernetes/helm/v3/release.go:384).
	assert.Equal(t, "true", rel["compat"].StringValue())
	v := rel["values"].ObjectValue()
	assert.False(t, v["configs"].ObjectValue()["cm"].ObjectValue()["admin.enabled"].BoolValue())
	assert.False(t, v["dex"].ObjectValue()["enabled"].BoolValue())
	server := v["server"].ObjectValue()
	assert.Equal(t, "ClusterIP", server["service"].ObjectValue()["type"].StringValue())
	assert.False(t, server["ingress"].ObjectValue()["enabled"].BoolValue())
	assertProviders(t, m)

	skip := gitopsArgs()
	skip.Install = false
	s, _, err := gitops(t, skip)
	require.NoError(t, err)
	assert.Empty(t, s.ByType("kubernetes:helm.sh/v3:Release"), "a cluster that runs Argo CD already gets only the Application")
	assert.Len(t, s.ByType("kubernetes:argoproj.io/v1alpha1:Application"), 1)
}

// TestApplicationLeavesReplicasToTheRunbook: the Application ignores the
// Deployment's /spec/replicas and syncs with RespectIgnoreDifferences, so
// neither self-heal nor a later sync undoes `kubectl scale`
// (https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/,
// https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#respect-ignore-difference-configs);
// it deploys the shared source with this region's values only.
func TestApplicationLeavesReplicasToTheRunbook(t *testing.T) {
	m, out, err := gitops(t, gitopsArgs())
	require.NoError(t, err)
	app := m.One(t, "kubernetes:argoproj.io/v1alpha1:Application")
	meta := app.Inputs["metadata"].ObjectValue()
	assert.Equal(t, "taskflow", meta["name"].StringValue())
	assert.Equal(t, "argocd", meta["namespace"].StringValue())
	spec := app.Inputs["spec"].ObjectValue()
	ignore := spec["ignoreDifferences"].ArrayValue()
	require.Len(t, ignore, 1)
	rule := ignore[0].ObjectValue()
	assert.Equal(t, "apps", rule["group"].StringValue())
	assert.Equal(t, "Deployment", rule["kind"].StringValue())
	assert.Equal(t, "taskflow", rule["name"].StringValue())
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty("/spec/replicas")}, rule["jsonPointers"].ArrayValue())
	sync := spec["syncPolicy"].ObjectValue()
	assert.Contains(t, sync["syncOptions"].ArrayValue(), resource.NewStringProperty("RespectIgnoreDifferences=true"))
	assert.True(t, sync["automated"].ObjectValue()["selfHeal"].BoolValue())

	src := spec["source"].ObjectValue()
	assert.Equal(t, "https://github.com/taskflow/taskflow-deploy.git", src["repoURL"].StringValue())
	assert.Equal(t, "deploy", src["path"].StringValue())
	assert.Equal(t, "main", src["targetRevision"].StringValue())
	values := src["helm"].ObjectValue()["valuesObject"].ObjectValue()
	assert.Equal(t, resource.PropertyMap{
		"region": resource.NewStringProperty("eu-central-1"), "replicas": resource.NewNumberProperty(2), "failoverReplicas": resource.NewNumberProperty(4),
	}, values, "this region's values, nothing else")
	dest := spec["destination"].ObjectValue()
	assert.Equal(t, "https://kubernetes.default.svc", dest["server"].StringValue(), "its own cluster, never the other region's")
	assert.Equal(t, "taskflow", dest["namespace"].StringValue())
	assert.True(t, dependsOn(app, "taskflow-gitops-argocd"), "the Application CRD exists once the chart is installed")

	assert.Equal(t, map[string]any{
		"argocdNamespace": "argocd", "application": "taskflow", "appNamespace": "taskflow",
		"deployment": "taskflow", "replicas": 2, "failoverReplicas": 4,
	}, out)
}

// TestRepositoryCredentials: a public repository gets no Secret; a private
// one gets Argo CD's declarative repository Secret (label
// argocd.argoproj.io/secret-type=repository:
// https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#repositories),
// with the credentials secret in state, before the Application syncs.
func TestRepositoryCredentials(t *testing.T) {
	m, _, err := gitops(t, gitopsArgs())
	require.NoError(t, err)
	assert.Empty(t, m.ByType("kubernetes:core/v1:Secret"), "no credentials, no repository Secret")

	args := gitopsArgs()
	args.HasCredentials = true
	args.RepoCredentials = pulumi.ToSecret(pulumi.String(`{"username":"git-reader","password":"tok3n"}`)).(pulumi.StringOutput)
	m, _, err = gitops(t, args)
	require.NoError(t, err)
	sec := m.One(t, "kubernetes:core/v1:Secret")
	meta := sec.Inputs["metadata"].ObjectValue()
	assert.Equal(t, "argocd", meta["namespace"].StringValue())
	assert.Equal(t, "repository", meta["labels"].ObjectValue()["argocd.argoproj.io/secret-type"].StringValue())
	// The SDK marks the whole map secret when a value in it is.
	stringData := sec.Inputs["stringData"]
	wholeSecret := stringData.IsSecret()
	if wholeSecret {
		stringData = stringData.SecretValue().Element
	}
	data := stringData.ObjectValue()
	assert.Equal(t, "git", data["type"].StringValue())
	assert.Equal(t, "https://github.com/taskflow/taskflow-deploy.git", data["url"].StringValue())
	for key, want := range map[resource.PropertyKey]string{"username": "git-reader", "password": "tok3n"} {
		v := data[key]
		require.True(t, wholeSecret || v.IsSecret(), "%s is a secret in state", key)
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		assert.Equal(t, want, v.StringValue())
	}
	assert.True(t, dependsOn(m.One(t, "kubernetes:argoproj.io/v1alpha1:Application"), "taskflow-gitops-repo"),
		"Argo CD has the credentials before its first sync")

	args.RepoCredentials = pulumi.ToSecret(pulumi.String(`{"username":"git-reader"}`)).(pulumi.StringOutput)
	_, _, err = gitops(t, args)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `taskflow:gitops.repoCredentialsSecret: the secret has no "password"`)
	assert.NotContains(t, err.Error(), "git-reader", "the error never prints the secret")
}
