package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

const (
	testProject = "taskflow-dr"
	testAccount = "123456789012"
	testZoneID  = "Z0TASKFLOW"
)

// registered is one resource the program registered, as the engine saw it.
type registered struct {
	Type          string
	Name          string
	ID            string
	Custom        bool
	Inputs        resource.PropertyMap
	Outputs       resource.PropertyMap
	Provider      string            // "urn::id" of the explicit provider, custom resources
	Providers     map[string]string // per package, components
	Parent        string
	Protect       bool
	IgnoreChanges []string
}

// recorder is the one recording mock every graph test uses: it answers
// like AWS would (ids, ARNs, endpoints in the provider's region) and keeps
// every registration for the assertions.
type recorder struct {
	mu        sync.Mutex
	stack     string
	region    string // the stack's, for resources read without a provider
	resources []*registered
	calls     []string
	// peerOutputs is what the StackReference to the peer returns.
	peerOutputs map[string]any
	// eksCluster and oidcProvider are resources read before the program
	// runs; the eks component's resource-typed outputs point at them.
	eksClusterURN, oidcProviderURN string
}

func newRecorder(stack string, peerOutputs map[string]any) *recorder {
	return &recorder{stack: stack, peerOutputs: peerOutputs}
}

func (m *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, args.Token)
	m.mu.Unlock()
	switch args.Token {
	case "aws:route53/getZone:getZone":
		name := args.Args["name"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{"zoneId": testZoneID, "name": name, "id": testZoneID}), nil
	}
	return nil, fmt.Errorf("unexpected invoke %s", args.Token)
}

func (m *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := &registered{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs, Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Providers = rpc.GetProviders()
		r.Protect = rpc.GetProtect()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
	}
	id, outputs, err := m.answer(args)
	if err != nil {
		return "", nil, err
	}
	r.ID, r.Outputs = id, outputs
	m.mu.Lock()
	defer m.mu.Unlock()
	if args.ReadRPC == nil {
		m.resources = append(m.resources, r)
	}
	return id, outputs, nil
}

// answer makes up what the provider would return for a resource.
func (m *recorder) answer(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	in := args.Inputs.Copy()
	region := m.regionOf(args.Provider)
	if args.ReadRPC != nil {
		region = m.region
	}
	physical := args.Name + "-mock1234"
	arn := func(service, kind string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s%s", service, region, testAccount, kind, physical)
	}
	set := func(k string, v any) { in[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	switch args.TypeToken {
	case "pulumi:providers:aws":
		return "provider-" + args.Name, in, nil
	case "pulumi:pulumi:StackReference":
		if m.peerOutputs == nil {
			return "", nil, fmt.Errorf("no peer stack %s in this test", in["name"].StringValue())
		}
		return in["name"].StringValue(), resource.NewPropertyMapFromMap(map[string]any{
			"name": in["name"].StringValue(), "outputs": m.peerOutputs, "secretOutputNames": []any{},
		}), nil
	case "random:index/randomPassword:RandomPassword":
		set("result", "mock-generated-password-0123456789")
	case "random:index/randomId:RandomId":
		set("hex", fmt.Sprintf("%08x", len(in["keepers"].ObjectValue()["rebuild"].StringValue())))
	case "eks:index:Cluster":
		set("kubeconfig", map[string]any{"apiVersion": "v1"})
		set("kubeconfigJson", `{"apiVersion":"v1"}`)
		in["eksCluster"] = resource.MakeCustomResourceReference(resource.URN(m.eksClusterURN), "eks-cluster-id", "")
		in["core"] = resource.NewObjectProperty(resource.PropertyMap{
			"endpoint":     resource.NewStringProperty("https://eks.example"),
			"oidcProvider": resource.MakeCustomResourceReference(resource.URN(m.oidcProviderURN), "oidc-id", ""),
		})
		set("defaultNodeGroup", map[string]any{"autoScalingGroupName": args.Name + "-asg-mock"})
	case "aws:eks/cluster:Cluster": // read before the run: see withEKSReferences
		name := testProject + "-" + m.stack
		set("name", name)
		set("arn", arn("eks", "cluster/"))
		set("endpoint", "https://"+name+".eks.amazonaws.com")
		set("certificateAuthority", map[string]any{"data": "Q0EtREFUQQ=="})
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		set("arn", fmt.Sprintf("arn:aws:iam::%s:oidc-provider/oidc.eks.%s.amazonaws.com/id/MOCK", testAccount, region))
		set("url", fmt.Sprintf("oidc.eks.%s.amazonaws.com/id/MOCK", region))
	case "aws:kms/key:Key":
		set("arn", arn("kms", "key/"))
		set("keyId", physical)
	case "aws:rds/instance:Instance":
		set("identifier", physical)
		set("arn", arn("rds", "db:"))
		host := physical + ".cmock." + region + ".rds.amazonaws.com"
		set("address", host)
		set("endpoint", fmt.Sprintf("%s:%d", host, int(in["port"].NumberValue())))
	case "aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup":
		set("name", physical)
	case "aws:ecr/repository:Repository":
		set("arn", arn("ecr", "repository/"))
		set("repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", testAccount, region, in["name"].StringValue()))
		set("registryId", testAccount)
	case "aws:lb/loadBalancer:LoadBalancer":
		set("arn", arn("elasticloadbalancing", "loadbalancer/app/"))
		set("arnSuffix", "app/"+physical)
		set("dnsName", physical+"."+region+".elb.amazonaws.com")
		set("zoneId", "ZALB"+strings.ToUpper(strings.ReplaceAll(region, "-", "")))
	case "aws:acm/certificate:Certificate":
		set("arn", arn("acm", "certificate/"))
		set("domainValidationOptions", []any{map[string]any{
			"domainName":          in["domainName"].StringValue(),
			"resourceRecordName":  "_v." + in["domainName"].StringValue() + ".",
			"resourceRecordType":  "CNAME",
			"resourceRecordValue": "_x.acm-validations.aws.",
		}})
	case "aws:acm/certificateValidation:CertificateValidation":
		set("certificateArn", in["certificateArn"].StringValue())
	case "aws:secretsmanager/secret:Secret":
		set("arn", fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbC123", region, testAccount, in["name"].StringValue()))
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		set("name", physical)
		set("arn", arn("cloudwatch", "alarm:"))
	case "aws:route53/record:Record":
		set("fqdn", in["name"].StringValue())
	default:
		set("arn", arn(strings.Split(strings.TrimPrefix(args.TypeToken, "aws:"), "/")[0], ""))
	}
	return physical, in, nil
}

// regionOf is the region of the AWS provider a resource names ("urn::id";
// the mock gives providers the id "provider-<name>").
func (m *recorder) regionOf(providerRef string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.resources {
		if r.Type == "pulumi:providers:aws" && strings.HasSuffix(providerRef, "::provider-"+r.Name) {
			if v, ok := r.Inputs["region"]; ok && v.IsString() {
				return v.StringValue()
			}
		}
	}
	return "no-region"
}

// byType returns the registered resources of one type.
func (m *recorder) byType(typ string) []*registered {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*registered
	for _, r := range m.resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func (m *recorder) one(t *testing.T, typ string) *registered {
	t.Helper()
	rs := m.byType(typ)
	require.Len(t, rs, 1, "want exactly one %s", typ)
	return rs[0]
}

// all returns every registration, in order.
func (m *recorder) all() []*registered {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*registered(nil), m.resources...)
}

// providerRegion is the region of the explicit provider a resource names.
func (m *recorder) providerRegion(r *registered) string { return m.regionOf(r.Provider) }

// stackConfig loads a real Pulumi.<stack>.yaml into the flat form the
// engine hands a program: "taskflow:key" -> string, structured values as
// JSON.
func stackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("Pulumi." + stack + ".yaml")
	require.NoError(t, err)
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	out := map[string]string{}
	for k, v := range doc.Config {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		out[k] = string(b)
	}
	return out
}

// withConfig is the RunOption that hands the program its stack config.
func withConfig(cfg map[string]string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) { info.Config = cfg }
}

// stackRun is one run of the program under mocks.
type stackRun struct {
	mocks   *recorder
	exports map[string]any
	err     error
}

// runStack runs the whole program for a stack under the recording mock and
// resolves its exports.
func runStack(t *testing.T, stack string, cfg map[string]string, peerOutputs map[string]any) *stackRun {
	t.Helper()
	m := newRecorder(stack, peerOutputs)
	m.region = cfg["taskflow:region"]
	res := &stackRun{mocks: m, exports: map[string]any{}}
	res.err = pulumi.RunErr(withEKSReferences(m, func(ctx *pulumi.Context) error {
		exports, err := program(ctx)
		if err != nil {
			return err
		}
		for name, out := range exports {
			v, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(out))
			if err != nil {
				return fmt.Errorf("await export %s: %w", name, err)
			}
			res.exports[name] = v.Value
		}
		return nil
	}), pulumi.WithMocks(testProject, stack, m), withConfig(cfg))
	return res
}

// withEKSReferences registers (by reading) the AWS resources that the eks
// component's resource-typed outputs refer to. pulumi-eks is a remote
// component: under mocks it has no children, and a resource reference only
// resolves to a resource the mock monitor has seen.
func withEKSReferences(m *recorder, program pulumi.RunFunc) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		var cluster awseks.Cluster
		if err := ctx.ReadResource("aws:eks/cluster:Cluster", "mock-eks-cluster", pulumi.ID("eks-cluster-id"), nil, &cluster); err != nil {
			return err
		}
		var oidc iam.OpenIdConnectProvider
		if err := ctx.ReadResource("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "mock-oidc", pulumi.ID("oidc-id"), nil, &oidc); err != nil {
			return err
		}
		for _, target := range []struct {
			urn pulumi.URNOutput
			dst *string
		}{{cluster.URN(), &m.eksClusterURN}, {oidc.URN(), &m.oidcProviderURN}} {
			v, err := internals.UnsafeAwaitOutput(ctx.Context(), target.urn)
			if err != nil {
				return err
			}
			*target.dst = string(v.Value.(pulumi.URN))
		}
		return program(ctx)
	}
}

// names lists resource names, for readable failure messages.
func names(rs []*registered) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Type + "::" + r.Name
	}
	sort.Strings(out)
	return out
}
