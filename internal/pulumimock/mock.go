// Package pulumimock is the one recording Pulumi mock the program's graph
// tests share: it answers registrations the way the providers and AWS
// would (identifiers, ARNs and endpoints in the provider's region, the
// pulumi-eks remote components' resource references) and keeps every
// registration, with its options, for the assertions.
package pulumimock

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Account is the AWS account every mocked ARN names.
const (
	Account = "123456789012"
	ZoneID  = "Z0TASKFLOW"
	Project = "taskflow-dr"
)

// Registered is one resource the program registered, as the engine saw it.
type Registered struct {
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
	// DeleteBeforeReplace and the custom timeouts, as registered.
	DeleteBeforeReplace bool
	Timeouts            [3]string // create, update, delete
	Dependencies        []string
}

// Recorder is the mock monitor: it records every registration and answers
// like AWS would.
type Recorder struct {
	mu        sync.Mutex
	stack     string
	region    string // the stack's, for resources read without a provider
	resources []*Registered
	// reads are the resources the program read rather than registered
	// (StackReferences), apart from Run's own.
	reads   []*Registered
	invokes []string
	// PeerOutputs is what the StackReference to the peer returns.
	peerOutputs map[string]any
	// refs are resources read before the program runs, which the eks
	// components' resource-typed outputs point at.
	refs map[string]string
}

// New is a recorder for one stack in region; peerOutputs (nil when the
// peer does not exist) answer its StackReference.
func New(stack, region string, peerOutputs map[string]any) *Recorder {
	return &Recorder{stack: stack, region: region, peerOutputs: peerOutputs, refs: map[string]string{}}
}

// Call answers the invokes the program makes.
func (m *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.invokes = append(m.invokes, args.Token)
	m.mu.Unlock()
	switch args.Token {
	case "aws:route53/getZone:getZone":
		name := args.Args["name"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{"zoneId": ZoneID, "name": name, "id": ZoneID}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{"accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/ci", "id": Account, "userId": "AIDAMOCK"}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}), nil
	case "aws:secretsmanager/getSecretVersion:getSecretVersion":
		id := args.Args["secretId"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": id, "arn": "arn:aws:secretsmanager:" + m.region + ":" + Account + ":secret:" + id + "-AbC123",
			"secretString": `{"username":"git-reader","password":"mock-repo-token"}`, "versionId": "v1",
		}), nil
	}
	return nil, fmt.Errorf("unexpected invoke %s", args.Token)
}

// NewResource records a registration and answers it.
func (m *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := &Registered{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs, Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Providers = rpc.GetProviders()
		r.Protect = rpc.GetProtect()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		r.Dependencies = rpc.GetDependencies()
		if t := rpc.GetCustomTimeouts(); t != nil {
			r.Timeouts = [3]string{t.GetCreate(), t.GetUpdate(), t.GetDelete()}
		}
	}
	id, outputs, err := m.answer(args)
	if err != nil {
		return "", nil, err
	}
	r.ID, r.Outputs = id, outputs
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case args.ReadRPC == nil:
		m.resources = append(m.resources, r)
	case !strings.HasPrefix(args.Name, "mock-"):
		m.reads = append(m.reads, r)
	}
	return id, outputs, nil
}

// answer makes up what the provider would return for a resource.
func (m *Recorder) answer(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	in := args.Inputs.Copy()
	region := m.RegionOf(args.Provider)
	if args.ReadRPC != nil || region == "" {
		region = m.region
	}
	physical := args.Name + "-mock1234"
	arn := func(service, kind string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s%s", service, region, Account, kind, physical)
	}
	set := func(k string, v any) { in[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	str := func(k string) string {
		if v, ok := in[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	switch args.TypeToken {
	case "pulumi:providers:aws", "pulumi:providers:eks", "pulumi:providers:random", "pulumi:providers:kubernetes":
		return "provider-" + args.Name, in, nil
	case "pulumi:pulumi:StackReference":
		if m.peerOutputs == nil {
			return "", nil, fmt.Errorf("unknown stack %q: it does not exist in this test", in["name"].StringValue())
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
		in["eksCluster"] = resource.MakeCustomResourceReference(resource.URN(m.refs["eksCluster"]), "eks-cluster-id", "")
		in["core"] = resource.NewObjectProperty(resource.PropertyMap{
			"endpoint":     resource.NewStringProperty("https://eks.example"),
			"oidcProvider": resource.MakeCustomResourceReference(resource.URN(m.refs["oidc"]), "oidc-id", ""),
		})
		in["instanceRoles"] = resource.NewArrayProperty([]resource.PropertyValue{
			resource.MakeCustomResourceReference(resource.URN(m.refs["instanceRole"]), "instance-role-id", ""),
		})
	case "eks:index:ManagedNodeGroup":
		in["nodeGroup"] = resource.MakeCustomResourceReference(resource.URN(m.refs["nodeGroup"]), "node-group-id", "")
	case "aws:eks/cluster:Cluster": // read before the run (Run)
		name := Project + "-" + m.stack
		set("name", name)
		set("arn", arn("eks", "cluster/"))
		set("endpoint", "https://"+name+".eks.amazonaws.com")
		set("certificateAuthority", map[string]any{"data": "Q0EtREFUQQ=="})
		set("vpcConfig", map[string]any{"clusterSecurityGroupId": "sg-eks-cluster-mock"})
	case "aws:eks/nodeGroup:NodeGroup": // read before the run
		set("nodeGroupName", Project+"-"+m.stack+"-nodes")
		set("resources", []any{map[string]any{"autoscalingGroups": []any{map[string]any{"name": "eks-" + Project + "-" + m.stack + "-nodes-mock"}}}})
	case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
		set("arn", fmt.Sprintf("arn:aws:iam::%s:oidc-provider/oidc.eks.%s.amazonaws.com/id/MOCK", Account, region))
		set("url", fmt.Sprintf("oidc.eks.%s.amazonaws.com/id/MOCK", region))
	case "aws:iam/role:Role":
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, physical))
		set("name", physical)
	case "aws:kms/key:Key":
		set("arn", arn("kms", "key/"))
		set("keyId", physical)
	case "aws:rds/instance:Instance":
		id := str("identifier")
		set("arn", fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", region, Account, id))
		host := id + ".cmock." + region + ".rds.amazonaws.com"
		set("address", host)
		set("endpoint", fmt.Sprintf("%s:%d", host, int(in["port"].NumberValue())))
		return id, in, nil
	case "aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup":
		set("name", physical)
	case "aws:ecr/repository:Repository":
		set("arn", arn("ecr", "repository/"))
		set("repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", Account, region, str("name")))
		set("registryId", Account)
	case "aws:lb/loadBalancer:LoadBalancer":
		set("arn", arn("elasticloadbalancing", "loadbalancer/app/"))
		set("arnSuffix", "app/"+str("name")+"/0123456789abcdef")
		set("dnsName", str("name")+"-1234567890."+region+".elb.amazonaws.com")
		set("zoneId", "ZALB"+strings.ToUpper(strings.ReplaceAll(region, "-", "")))
	case "aws:lb/targetGroup:TargetGroup":
		set("arn", arn("elasticloadbalancing", "targetgroup/"))
		set("arnSuffix", "targetgroup/"+physical+"/fedcba9876543210")
	case "aws:ec2/launchTemplate:LaunchTemplate":
		set("latestVersion", 1)
	case "aws:acm/certificate:Certificate":
		set("arn", arn("acm", "certificate/"))
		// ACM gives every certificate for a name in one account the same
		// validation record.
		set("domainValidationOptions", []any{map[string]any{
			"domainName":          str("domainName"),
			"resourceRecordName":  "_v." + str("domainName") + ".",
			"resourceRecordType":  "CNAME",
			"resourceRecordValue": "_x.acm-validations.aws.",
		}})
	case "aws:acm/certificateValidation:CertificateValidation":
		set("certificateArn", str("certificateArn"))
	case "aws:secretsmanager/secret:Secret":
		set("arn", fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbC123", region, Account, str("name")))
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		if str("name") == "" {
			set("name", physical)
		}
		set("arn", fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, Account, str("name")))
	case "aws:cloudwatch/dashboard:Dashboard":
		set("dashboardArn", fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", Account, str("dashboardName")))
	case "aws:route53/record:Record":
		set("fqdn", str("name"))
	case "aws:s3/bucketV2:BucketV2":
		bucket := str("bucketPrefix") + "mock"
		set("bucket", bucket)
		set("arn", "arn:aws:s3:::"+bucket)
	case "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate":
		set("registryId", Account)
	default:
		if strings.HasPrefix(args.TypeToken, "aws:") {
			set("arn", arn(strings.Split(strings.TrimPrefix(args.TypeToken, "aws:"), "/")[0], ""))
		}
	}
	return physical, in, nil
}

// RegionOf is the region of the AWS provider a resource names ("urn::id";
// the mock gives providers the id "provider-<name>"), "" for none.
func (m *Recorder) RegionOf(providerRef string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.resources {
		if r.Type == "pulumi:providers:aws" && strings.HasSuffix(providerRef, "::provider-"+r.Name) {
			if v, ok := r.Inputs["region"]; ok && v.IsString() {
				return v.StringValue()
			}
		}
	}
	return ""
}

// ByType returns the registered resources of one type, in order.
func (m *Recorder) ByType(typ string) []*Registered { return m.ofType(false, typ) }

// ofType filters the registrations, or the reads, by type.
func (m *Recorder) ofType(reads bool, typ string) []*Registered {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.resources
	if reads {
		list = m.reads
	}
	var out []*Registered
	for _, r := range list {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// One is the only registration of a type; it fails the test otherwise.
func (m *Recorder) One(t testing.TB, typ string) *Registered {
	t.Helper()
	rs := m.ByType(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, got %d: %v", typ, len(rs), Names(rs))
	}
	return rs[0]
}

// Named is the registration of a type with a name; it fails the test
// otherwise.
func (m *Recorder) Named(t testing.TB, typ, name string) *Registered {
	t.Helper()
	for _, r := range m.ByType(typ) {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no %s named %s among %v", typ, name, Names(m.ByType(typ)))
	return nil
}

// Reads returns the resources of a type the program read (a
// StackReference is read, not registered), in order.
func (m *Recorder) Reads(typ string) []*Registered { return m.ofType(true, typ) }

// Strings is an array property's strings, for comparing lists of IDs.
func Strings(v resource.PropertyValue) []string {
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, e.StringValue())
	}
	return out
}

// All returns every registration, in order.
func (m *Recorder) All() []*Registered {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Registered(nil), m.resources...)
}

// Invokes lists the invoke tokens called, in order.
func (m *Recorder) Invokes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.invokes...)
}

// ProviderRegion is the region of the explicit provider a resource uses.
func (m *Recorder) ProviderRegion(r *Registered) string { return m.RegionOf(r.Provider) }

// Stack is the recorder's stack.
func (m *Recorder) Stack() string { return m.stack }

// Run runs fn under the mock with cfg (the flat "taskflow:key" -> value
// map the engine hands a program). Before fn it reads the AWS resources the
// pulumi-eks components' resource-typed outputs refer to: pulumi-eks is a
// remote component, so under mocks it has no children, and a resource
// reference resolves only to a resource the mock monitor has seen.
func (m *Recorder) Run(cfg map[string]string, fn pulumi.RunFunc) error {
	return pulumi.RunErr(func(ctx *pulumi.Context) error {
		reads := []struct{ key, typ, name, id string }{
			{"eksCluster", "aws:eks/cluster:Cluster", "mock-eks-cluster", "eks-cluster-id"},
			{"oidc", "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "mock-oidc", "oidc-id"},
			{"instanceRole", "aws:iam/role:Role", "mock-instance-role", "instance-role-id"},
			{"nodeGroup", "aws:eks/nodeGroup:NodeGroup", "mock-node-group", "node-group-id"},
		}
		for _, r := range reads {
			// Read untyped: only the URN matters here, and not importing
			// the pulumi-aws SDK keeps the test binaries of packages that
			// never touch AWS (peer, outputs, component) small.
			var res readOnly
			if err := ctx.ReadResource(r.typ, r.name, pulumi.ID(r.id), nil, &res); err != nil {
				return err
			}
			v, err := internals.UnsafeAwaitOutput(ctx.Context(), res.URN())
			if err != nil {
				return err
			}
			m.refs[r.key] = string(v.Value.(pulumi.URN))
		}
		return fn(ctx)
	}, pulumi.WithMocks(Project, m.stack, m), func(info *pulumi.RunInfo) { info.Config = cfg })
}

// readOnly is a custom resource read only for its URN.
type readOnly struct{ pulumi.CustomResourceState }

// Await resolves an output inside a run.
func Await(ctx *pulumi.Context, out pulumi.Input) (any, error) {
	v, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(out))
	if err != nil {
		return nil, err
	}
	return v.Value, nil
}

// Names lists registrations as "type::name", sorted, for failure messages.
func Names(rs []*Registered) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Type + "::" + r.Name
	}
	sort.Strings(out)
	return out
}
