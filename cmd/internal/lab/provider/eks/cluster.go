package eks

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
)

// unsupportedClusterArgs are pulumi-eks v2 options the lab does not model:
// a program using one fails here instead of getting a cluster that only
// looks right.
var unsupportedClusterArgs = []string{
	"serviceRole", "clusterSecurityGroup", "creationRoleProvider", "fargate", "instanceRole",
	"instanceProfileName", "proxy", "nodePublicKey", "nodeUserData", "gpu", "nodeAmiId", "vpcCniOptions",
}

// oidcThumbprint is the SHA-1 thumbprint of the root CA behind
// oidc.eks.<region>.amazonaws.com. pulumi-eks fetches it over TLS
// (cluster.ts getIssuerCAThumbprint); the offline lab uses the value AWS
// documents for that CA
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html).
const oidcThumbprint = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

// EnvTimeScale divides the lab's waits (the cluster readiness probe); the
// lab's --scale.
const EnvTimeScale = "DRLAB_TIME_SCALE"

func constructCluster(raw provider.Props) pprovider.ConstructFunc {
	return func(ctx *pulumi.Context, typ, name string, inputs pprovider.ConstructInputs, options pulumi.ResourceOption) (*pprovider.ConstructResult, error) {
		for _, k := range unsupportedClusterArgs {
			if provider.Has(raw, k) {
				return nil, fmt.Errorf("eks.Cluster %s: option %q is not modelled by the drlab eks provider", name, k)
			}
		}
		if !provider.Bool(raw, "useDefaultVpcCni", false) {
			// Without it pulumi-eks registers its own VpcCni resource,
			// which cannot take an explicit provider (pulumi-eks#1294).
			return nil, fmt.Errorf("eks.Cluster %s: the drlab eks provider requires useDefaultVpcCni: true (pulumi-eks's VpcCni resource cannot take an explicit provider)", name)
		}
		args, err := inputs.Map()
		if err != nil {
			return nil, err
		}
		comp := &component{}
		if err := ctx.RegisterComponentResource(typ, name, comp, options); err != nil {
			return nil, err
		}
		b := &clusterBuilder{ctx: ctx, name: name, comp: comp, raw: raw, args: args}
		state, err := b.build()
		if err != nil {
			return nil, fmt.Errorf("eks.Cluster %s: %w", name, err)
		}
		if err := ctx.RegisterResourceOutputs(comp, state); err != nil {
			return nil, err
		}
		return &pprovider.ConstructResult{URN: comp.URN(), State: state}, nil
	}
}

type clusterBuilder struct {
	ctx  *pulumi.Context
	name string
	comp *component
	raw  provider.Props
	args pulumi.Map
}

func (b *clusterBuilder) parent() pulumi.ResourceOption { return pulumi.Parent(b.comp) }

// arg returns an input, or nil when the program left it unset.
func (b *clusterBuilder) arg(key string) pulumi.Input {
	if !provider.Has(b.raw, key) {
		return nil
	}
	return b.args[key]
}

// mergeTags is `{Name: name, ...extra, ...tags}` (cluster.ts tag
// spreads): later keys win.
func mergeTags(nameTag string, inputs ...pulumi.Input) pulumi.StringMapOutput {
	var all []any
	for _, in := range inputs {
		if in != nil {
			all = append(all, in)
		}
	}
	return pulumi.All(all...).ApplyT(func(vs []any) map[string]string {
		out := map[string]string{}
		if nameTag != "" {
			out["Name"] = nameTag
		}
		for _, v := range vs {
			if m, ok := v.(map[string]any); ok {
				for k, x := range m {
					if s, ok := x.(string); ok {
						out[k] = s
					}
				}
			}
		}
		return out
	}).(pulumi.StringMapOutput)
}

func (b *clusterBuilder) build() (pulumi.Map, error) {
	n := b.name
	tags := b.arg("tags")

	// Subnets: subnetIds, or public then private (cluster.ts:480-489).
	var subnetIds pulumi.Input
	switch {
	case b.arg("subnetIds") != nil:
		subnetIds = b.arg("subnetIds")
	default:
		subnetIds = pulumi.All(orEmptyList(b.arg("publicSubnetIds")), orEmptyList(b.arg("privateSubnetIds"))).ApplyT(func(v []any) []string {
			var out []string
			for _, l := range v {
				out = append(out, toStrings(l)...)
			}
			return out
		}).(pulumi.StringArrayOutput)
	}

	// The EKS service role (cluster.ts:497-512).
	eksRole, err := serviceRole(b.ctx, n+"-eksRole", "eks.amazonaws.com", "Allows EKS to manage clusters on your behalf.",
		[]string{"AmazonEKSClusterPolicy"}, tags, b.parent())
	if err != nil {
		return nil, err
	}

	// The cluster security group and its egress rule (cluster.ts:519-551).
	clusterSG, err := register(b.ctx, "aws:ec2/securityGroup:SecurityGroup", n+"-eksClusterSecurityGroup", pulumi.Map{
		"vpcId":               b.args["vpcId"],
		"revokeRulesOnDelete": pulumi.Bool(true),
		"tags":                mergeTags(n+"-eksClusterSecurityGroup", b.arg("clusterSecurityGroupTags"), tags),
	}, b.parent())
	if err != nil {
		return nil, err
	}
	if _, err := register(b.ctx, "aws:ec2/securityGroupRule:SecurityGroupRule", n+"-eksClusterInternetEgressRule", pulumi.Map{
		"description": pulumi.String("Allow internet access."), "type": pulumi.String("egress"),
		"fromPort": pulumi.Int(0), "toPort": pulumi.Int(0), "protocol": pulumi.String("-1"),
		"cidrBlocks": pulumi.StringArray{pulumi.String("0.0.0.0/0")}, "securityGroupId": clusterSG.ID(),
	}, b.parent()); err != nil {
		return nil, err
	}

	// The EKS cluster (cluster.ts:586-631).
	vpcConfig := pulumi.Map{
		"securityGroupIds": pulumi.StringArray{clusterSG.ID().ToStringOutput()},
		"subnetIds":        subnetIds,
	}
	for _, k := range []string{"endpointPrivateAccess", "endpointPublicAccess", "publicAccessCidrs"} {
		if v := b.arg(k); v != nil {
			vpcConfig[k] = v
		}
	}
	clusterProps := pulumi.Map{
		"roleArn":   eksRole.Str("arn"),
		"vpcConfig": vpcConfig,
		"tags":      mergeTags(n+"-eksCluster", b.arg("clusterTags"), tags),
	}
	for src, dst := range map[string]string{"name": "name", "version": "version", "enabledClusterLogTypes": "enabledClusterLogTypes", "defaultAddonsToRemove": "defaultAddonsToRemoves"} {
		if v := b.arg(src); v != nil {
			clusterProps[dst] = v
		}
	}
	if key := b.arg("encryptionConfigKeyArn"); key != nil {
		clusterProps["encryptionConfig"] = pulumi.Map{
			"provider":  pulumi.Map{"keyArn": key},
			"resources": pulumi.StringArray{pulumi.String("secrets")},
		}
	}
	if provider.Has(b.raw, "kubernetesServiceIpAddressRange") || provider.Has(b.raw, "ipFamily") {
		family := provider.Str(b.raw, "ipFamily")
		if family == "" {
			family = "ipv4"
		}
		knc := pulumi.Map{"ipFamily": pulumi.String(family)}
		if family == "ipv4" && b.arg("kubernetesServiceIpAddressRange") != nil {
			knc["serviceIpv4Cidr"] = b.arg("kubernetesServiceIpAddressRange")
		}
		clusterProps["kubernetesNetworkConfig"] = knc
	}
	authMode := provider.Str(b.raw, "authenticationMode")
	if authMode != "" {
		clusterProps["accessConfig"] = pulumi.Map{
			"authenticationMode":                      pulumi.String(authMode),
			"bootstrapClusterCreatorAdminPermissions": pulumi.Bool(true),
		}
	}
	eksCluster, err := register(b.ctx, "aws:eks/cluster:Cluster", n+"-eksCluster", clusterProps, b.parent(),
		pulumi.IgnoreChanges([]string{"accessConfig.bootstrapClusterCreatorAdminPermissions"}))
	if err != nil {
		return nil, err
	}

	// Wait for the API server like pulumi-eks (cluster.ts:640-686): up
	// to 60 probes of <endpoint>/healthz, 5 s apart, outside previews
	// when the endpoint is public.
	endpoint := eksCluster.Str("endpoint").ApplyT(func(ep string) string {
		if !b.ctx.DryRun() && provider.Bool(b.raw, "endpointPublicAccess", false) {
			waitHealthz(b.ctx, eksCluster, ep)
		}
		return ep
	}).(pulumi.StringOutput)

	profile := ""
	if opts := provider.Obj(b.raw, "providerCredentialOpts"); opts != nil {
		profile = provider.Str(opts, "profileName")
	} else if p := os.Getenv("AWS_PROFILE"); p != "" {
		profile = p
	}
	roleArn := ""
	if opts := provider.Obj(b.raw, "providerCredentialOpts"); opts != nil {
		roleArn = provider.Str(opts, "roleArn")
	}
	kubeconfigOf := func(includeProfile bool) pulumi.AnyOutput {
		return pulumi.All(eksCluster.Str("name"), endpoint, eksCluster.Get("certificateAuthority")).ApplyT(func(v []any) any {
			ca, _ := v[2].(map[string]any)
			data, _ := ca["data"].(string)
			return kubeconfig(v[0].(string), v[1].(string), data, includeProfile, profile, roleArn)
		}).(pulumi.AnyOutput)
	}
	kubeconfigWithProfile := kubeconfigOf(true)
	kubeconfigNoProfile := kubeconfigOf(false)

	k8sProps := pulumi.Map{"kubeconfig": toJSON(kubeconfigWithProfile)}
	if v := b.arg("enableConfigMapMutable"); v != nil {
		k8sProps["enableConfigMapMutable"] = v
	}
	k8sProvider := &providerRes{}
	if err := b.ctx.RegisterResource("pulumi:providers:kubernetes", n+"-eks-k8s", k8sProps, k8sProvider, b.parent()); err != nil {
		return nil, err
	}

	skipDefault := provider.Bool(b.raw, "skipDefaultNodeGroup", false)

	// Instance roles (cluster.ts:750-815).
	var instanceRoles pulumi.Input
	var instanceRoleArns pulumi.StringArrayOutput
	var defaultInstanceRole *custom
	var instanceProfile *custom
	if provider.Has(b.raw, "instanceRoles") {
		instanceRoles = b.args["instanceRoles"]
		arns, err := b.refArns(provider.Props{"r": b.raw["instanceRoles"]}, "r")
		if err != nil {
			return nil, err
		}
		instanceRoleArns = pulumi.ToStringArray(arns).ToStringArrayOutput()
	} else {
		role, err := serviceRole(b.ctx, n+"-instanceRole", "ec2.amazonaws.com", "",
			[]string{"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"}, tags, b.parent())
		if err != nil {
			return nil, err
		}
		defaultInstanceRole = role
		instanceRoles = pulumi.Array{resourceOf(role)}
		instanceRoleArns = pulumi.StringArray{role.Str("arn")}.ToStringArrayOutput()
		if !skipDefault {
			if instanceProfile, err = register(b.ctx, "aws:iam/instanceProfile:InstanceProfile", n+"-instanceProfile",
				pulumi.Map{"role": role.ID()}, b.parent()); err != nil {
				return nil, err
			}
		}
	}

	// aws-auth (cluster.ts:816-847) when the authentication mode reads it.
	var nodeAccess *custom
	if authMode == "" || authMode == "CONFIG_MAP" || authMode == "API_AND_CONFIG_MAP" {
		data := pulumi.Map{"mapRoles": pulumi.All(instanceRoleArns, orEmptyList(b.arg("roleMappings"))).ApplyT(func(v []any) string {
			return awsAuthRoles(toStrings(v[0]), v[1])
		}).(pulumi.StringOutput)}
		if um := b.arg("userMappings"); um != nil {
			data["mapUsers"] = pulumi.Any(um).ApplyT(func(v any) string { return awsAuthUsers(v) }).(pulumi.StringOutput)
		}
		if nodeAccess, err = register(b.ctx, "kubernetes:core/v1:ConfigMap", n+"-nodeAccess", pulumi.Map{
			"apiVersion": pulumi.String("v1"), "kind": pulumi.String("ConfigMap"), "immutable": pulumi.Bool(false),
			"metadata": pulumi.Map{
				"name": pulumi.String("aws-auth"), "namespace": pulumi.String("kube-system"),
				"annotations": pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")},
			},
			"data": data,
		}, b.parent(), pulumi.Provider(k8sProvider)); err != nil {
			return nil, err
		}
	}

	// Access entries (cluster.ts:850-875, authenticationMode.ts:178-215).
	var accessEntries []pulumi.Input
	if authMode == "API" || authMode == "API_AND_CONFIG_MAP" {
		entries := map[string]provider.Props{}
		if defaultInstanceRole != nil {
			entries["defaultNodeGroupInstanceRole"] = nil
		}
		for k, v := range provider.Obj(b.raw, "accessEntries") {
			if v.IsObject() {
				entries[string(k)] = v.ObjectValue()
			}
		}
		keys := make([]string, 0, len(entries))
		for k := range entries {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			entry, err := b.accessEntry(key, entries[key], eksCluster, defaultInstanceRole)
			if err != nil {
				return nil, err
			}
			accessEntries = append(accessEntries, resourceOf(entry))
		}
	}

	// Storage classes (cluster.ts:877-902): the string form only.
	storageClasses := pulumi.Map{}
	if sc := provider.Str(b.raw, "storageClasses"); sc != "" {
		cls, err := register(b.ctx, "kubernetes:storage.k8s.io/v1:StorageClass", strings.ToLower(n)+"-"+sc, pulumi.Map{
			"apiVersion": pulumi.String("storage.k8s.io/v1"), "kind": pulumi.String("StorageClass"),
			"metadata":    pulumi.Map{"annotations": pulumi.StringMap{"storageclass.kubernetes.io/is-default-class": pulumi.String("true")}},
			"provisioner": pulumi.String("kubernetes.io/aws-ebs"), "parameters": pulumi.StringMap{"type": pulumi.String(sc)},
		}, b.parent(), pulumi.Provider(k8sProvider))
		if err != nil {
			return nil, err
		}
		storageClasses[sc] = resourceOf(cls)
	} else if provider.Has(b.raw, "storageClasses") {
		return nil, fmt.Errorf("storageClasses: only the string form is modelled by the drlab eks provider")
	}

	// The OIDC provider (cluster.ts:1034-1053).
	var oidc *custom
	if provider.Bool(b.raw, "createOidcProvider", false) {
		issuer := eksCluster.Get("identities").ApplyT(func(v any) string {
			ids, _ := v.([]any)
			if len(ids) == 0 {
				return ""
			}
			m, _ := ids[0].(map[string]any)
			oidcs, _ := m["oidcs"].([]any)
			if len(oidcs) == 0 {
				return ""
			}
			o, _ := oidcs[0].(map[string]any)
			s, _ := o["issuer"].(string)
			return s
		}).(pulumi.StringOutput)
		if oidc, err = register(b.ctx, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", n+"-oidcProvider", pulumi.Map{
			"clientIdLists":   pulumi.StringArray{pulumi.String("sts.amazonaws.com")},
			"url":             issuer,
			"thumbprintLists": pulumi.StringArray{pulumi.String(oidcThumbprint)},
		}, b.parent()); err != nil {
			return nil, err
		}
	}

	// The node security group and its rules (cluster.ts:1919-1935,
	// securitygroup.ts:92-190).
	nodeSG, ingressRule, err := b.nodeSecurityGroup(eksCluster, clusterSG, tags)
	if err != nil {
		return nil, err
	}

	nodeGroupOptions := b.nodeGroupOptions()
	nodeGroupOptions["nodeSecurityGroup"] = resourceOf(nodeSG)
	nodeGroupOptions["clusterIngressRule"] = resourceOf(ingressRule)
	if instanceProfile != nil {
		nodeGroupOptions["instanceProfile"] = resourceOf(instanceProfile)
	}

	configDeps := []any{kubeconfigNoProfile}
	var defaultNodeGroup pulumi.Input
	if !skipDefault {
		ng, stackID, err := b.defaultNodeGroup(eksCluster, nodeSG, ingressRule, instanceProfile, nodeAccess, subnetIds, tags)
		if err != nil {
			return nil, err
		}
		defaultNodeGroup = ng
		configDeps = append(configDeps, stackID)
	}
	kubeconfigOut := pulumi.All(configDeps...).ApplyT(func(v []any) any { return v[0] }).(pulumi.AnyOutput)
	kubeconfigJSON := toJSON(kubeconfigOut)

	// The exported provider (cluster.ts:1964-1970).
	if err := b.ctx.RegisterResource("pulumi:providers:kubernetes", n+"-provider", pulumi.Map{"kubeconfig": kubeconfigJSON}, &providerRes{}, b.parent()); err != nil {
		return nil, err
	}

	core := pulumi.Map{
		"cluster":              resourceOf(eksCluster),
		"clusterSecurityGroup": resourceOf(clusterSG),
		"endpoint":             endpoint,
		"instanceRoles":        instanceRoles,
		"nodeGroupOptions":     nodeGroupOptions,
		"provider":             k8sProvider.ID().ApplyT(func(pulumi.ID) any { return k8sProvider }).(pulumi.AnyOutput),
		"vpcId":                b.args["vpcId"],
		"subnetIds":            subnetIds,
		"kubeconfig":           kubeconfigNoProfile,
		"storageClasses":       storageClasses,
		"clusterIamRole":       resourceOf(eksRole),
	}
	for _, k := range []string{"publicSubnetIds", "privateSubnetIds", "tags", "nodeSecurityGroupTags"} {
		if v := b.arg(k); v != nil {
			core[k] = v
		}
	}
	if nodeAccess != nil {
		core["eksNodeAccess"] = resourceOf(nodeAccess)
	}
	if oidc != nil {
		core["oidcProvider"] = resourceOf(oidc)
	}
	if key := b.arg("encryptionConfigKeyArn"); key != nil {
		core["encryptionConfig"] = pulumi.Map{"provider": pulumi.Map{"keyArn": key}, "resources": pulumi.StringArray{pulumi.String("secrets")}}
	}
	if accessEntries != nil {
		core["accessEntries"] = pulumi.Array(toArrayInputs(accessEntries))
	}

	state := pulumi.Map{
		"core":                  core,
		"clusterSecurityGroup":  resourceOf(clusterSG),
		"eksCluster":            resourceOf(eksCluster),
		"eksClusterIngressRule": resourceOf(ingressRule),
		"instanceRoles":         instanceRoles,
		"nodeSecurityGroup":     resourceOf(nodeSG),
		"kubeconfig":            kubeconfigOut,
		"kubeconfigJson":        kubeconfigJSON,
	}
	if defaultNodeGroup != nil {
		state["defaultNodeGroup"] = defaultNodeGroup
	}
	return state, nil
}

func toArrayInputs(in []pulumi.Input) []pulumi.Input { return in }

// nodeGroupOptions is cluster.ts:445-459: nodeGroupOptions, or the
// singular options gathered into one.
func (b *clusterBuilder) nodeGroupOptions() pulumi.Map {
	out := pulumi.Map{}
	if opts := provider.Obj(b.raw, "nodeGroupOptions"); opts != nil {
		ngo := pulumi.Any(b.args["nodeGroupOptions"])
		for k := range opts {
			key := string(k)
			out[key] = ngo.ApplyT(func(v any) any {
				m, _ := v.(map[string]any)
				return m[key]
			}).(pulumi.AnyOutput)
		}
		return out
	}
	for src, dst := range map[string]string{
		"nodeSubnetIds": "nodeSubnetIds", "nodeAssociatePublicIpAddress": "nodeAssociatePublicIpAddress",
		"instanceType": "instanceType", "nodeRootVolumeEncrypted": "nodeRootVolumeEncrypted",
		"nodeRootVolumeSize": "nodeRootVolumeSize", "minSize": "minSize", "maxSize": "maxSize",
		"desiredCapacity": "desiredCapacity", "version": "version",
	} {
		if v := b.arg(src); v != nil {
			out[dst] = v
		}
	}
	return out
}

// ngOpt reads one node group option as a plain value.
func (b *clusterBuilder) ngOpt(key string) (resource.PropertyValue, bool) {
	if opts := provider.Obj(b.raw, "nodeGroupOptions"); opts != nil {
		v, ok := opts[resource.PropertyKey(key)]
		return v, ok && !v.IsNull()
	}
	v, ok := b.raw[resource.PropertyKey(key)]
	return v, ok && !v.IsNull()
}

func (b *clusterBuilder) nodeSecurityGroup(eksCluster, clusterSG *custom, tags pulumi.Input) (*custom, *custom, error) {
	n := b.name
	sgTags := pulumi.All(eksCluster.Str("name"), orEmptyMap(b.arg("nodeSecurityGroupTags")), orEmptyMap(tags)).ApplyT(func(v []any) map[string]string {
		out := map[string]string{"Name": n + "-nodeSecurityGroup", "kubernetes.io/cluster/" + v[0].(string): "owned"}
		for _, m := range v[1:] {
			for k, x := range toStringMap(m) {
				out[k] = x
			}
		}
		return out
	}).(pulumi.StringMapOutput)
	nodeSG, err := register(b.ctx, "aws:ec2/securityGroup:SecurityGroup", n+"-nodeSecurityGroup", pulumi.Map{
		"vpcId": b.args["vpcId"], "revokeRulesOnDelete": pulumi.Bool(true), "tags": sgTags,
	}, b.parent())
	if err != nil {
		return nil, nil, err
	}
	rules := []struct {
		name, desc, typ, proto string
		from, to               int
		self                   bool
		source                 *custom
		cidr                   bool
		sg                     *custom
	}{
		{"-eksNodeIngressRule", "Allow nodes to communicate with each other", "ingress", "-1", 0, 0, true, nil, false, nodeSG},
		{"-eksNodeClusterIngressRule", "Allow worker Kubelets and pods to receive communication from the cluster control plane", "ingress", "tcp", 1025, 65535, false, clusterSG, false, nodeSG},
		{"-eksExtApiServerClusterIngressRule", "Allow pods running extension API servers on port 443 to receive communication from cluster control plane", "ingress", "tcp", 443, 443, false, clusterSG, false, nodeSG},
		{"-eksNodeInternetEgressRule", "Allow internet access.", "egress", "-1", 0, 0, false, nil, true, nodeSG},
		{"-eksClusterIngressRule", "Allow pods to communicate with the cluster API Server", "ingress", "tcp", 443, 443, false, nodeSG, false, clusterSG},
	}
	var ingress *custom
	for _, r := range rules {
		props := pulumi.Map{
			"description": pulumi.String(r.desc), "type": pulumi.String(r.typ), "protocol": pulumi.String(r.proto),
			"fromPort": pulumi.Int(r.from), "toPort": pulumi.Int(r.to), "securityGroupId": r.sg.ID(),
		}
		if r.self {
			props["self"] = pulumi.Bool(true)
		}
		if r.source != nil {
			props["sourceSecurityGroupId"] = r.source.ID()
		}
		if r.cidr {
			props["cidrBlocks"] = pulumi.StringArray{pulumi.String("0.0.0.0/0")}
		}
		rule, err := register(b.ctx, "aws:ec2/securityGroupRule:SecurityGroupRule", n+r.name, props, b.parent())
		if err != nil {
			return nil, nil, err
		}
		ingress = rule // the last one is the cluster ingress rule
	}
	return nodeSG, ingress, nil
}

// defaultNodeGroup is nodegroup.ts createNodeGroupInternal (:565-940) for
// the cluster's default group: an AL2 launch configuration and a
// CloudFormation stack holding the Auto Scaling group.
func (b *clusterBuilder) defaultNodeGroup(eksCluster, nodeSG, ingressRule, instanceProfile, nodeAccess *custom, clusterSubnets pulumi.Input, tags pulumi.Input) (pulumi.Map, pulumi.IDOutput, error) {
	n := b.name
	if instanceProfile == nil {
		return nil, pulumi.IDOutput{}, fmt.Errorf("an instanceProfile is required")
	}
	suffix, err := register(b.ctx, "eks:index:RandomSuffix", n+"-cfnStackName", pulumi.Map{"input": pulumi.String(n)}, b.parent())
	if err != nil {
		return nil, pulumi.IDOutput{}, err
	}
	stackName := suffix.Str("output")

	var extraIDs []any
	if v, ok := b.ngOpt("extraNodeSecurityGroups"); ok && v.IsArray() {
		for _, e := range v.ArrayValue() {
			if e.IsResourceReference() {
				id, _ := e.ResourceReferenceValue().IDString()
				extraIDs = append(extraIDs, pulumi.String(id))
			}
		}
	}
	nodeSGID := pulumi.All(nodeSG.ID(), ingressRule.ID()).ApplyT(func(v []any) string { return string(v[0].(pulumi.ID)) }).(pulumi.StringOutput)
	sgs := pulumi.All(append([]any{nodeSGID}, extraIDs...)...).ApplyT(func(v []any) []string {
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = fmt.Sprint(x)
		}
		return out
	}).(pulumi.StringArrayOutput)

	var regionResult struct {
		Name string `pulumi:"name"`
	}
	if err := b.ctx.Invoke("aws:index/getRegion:getRegion", map[string]any{}, &regionResult, pulumi.Parent(b.comp)); err != nil {
		return nil, pulumi.IDOutput{}, err
	}
	region := pulumi.String(regionResult.Name).ToStringOutput()

	bootstrapExtra := ""
	if v, ok := b.ngOpt("bootstrapExtraArgs"); ok && v.IsString() {
		bootstrapExtra = " " + v.StringValue()
	}
	userData := pulumi.All(region, eksCluster.Str("name"), eksCluster.Str("endpoint"), eksCluster.Get("certificateAuthority"), stackName).ApplyT(func(v []any) string {
		ca, _ := v[3].(map[string]any)
		data, _ := ca["data"].(string)
		return fmt.Sprintf("#!/bin/bash\n\n/etc/eks/bootstrap.sh --apiserver-endpoint %q --b64-cluster-ca %q %q%s\n\n/opt/aws/bin/cfn-signal --exit-code $? --stack %s --resource NodeGroup --region %s\n",
			v[2], data, v[1], bootstrapExtra, v[4], v[0])
	}).(pulumi.StringOutput)

	version := provider.Str(b.raw, "version")
	if v, ok := b.ngOpt("version"); ok && v.IsString() {
		version = v.StringValue()
	}
	var ami struct {
		Value string `pulumi:"value"`
	}
	// nodegroup.ts getRecommendedAMI: the AL2 x86 image for the version.
	if err := b.ctx.Invoke("aws:ssm/getParameter:getParameter", map[string]any{
		"name": fmt.Sprintf("/aws/service/eks/optimized-ami/%s/amazon-linux-2/recommended/image_id", version),
	}, &ami, pulumi.Parent(b.comp)); err != nil {
		return nil, pulumi.IDOutput{}, err
	}

	publicIP := true
	if v, ok := b.ngOpt("nodeAssociatePublicIpAddress"); ok && v.IsBool() {
		publicIP = v.BoolValue()
	}
	instanceType := "t2.medium"
	if v, ok := b.ngOpt("instanceType"); ok && v.IsString() {
		instanceType = v.StringValue()
	}
	rootEncrypted := false
	if v, ok := b.ngOpt("nodeRootVolumeEncrypted"); ok && v.IsBool() {
		rootEncrypted = v.BoolValue()
	}
	rootSize := 20
	if v, ok := b.ngOpt("nodeRootVolumeSize"); ok && v.IsNumber() {
		rootSize = int(v.NumberValue())
	}
	lc, err := register(b.ctx, "aws:ec2/launchConfiguration:LaunchConfiguration", n+"-nodeLaunchConfiguration", pulumi.Map{
		"associatePublicIpAddress": pulumi.Bool(publicIP),
		"imageId":                  pulumi.String(ami.Value),
		"instanceType":             pulumi.String(instanceType),
		"iamInstanceProfile":       instanceProfile.ID(),
		"securityGroups":           sgs,
		"rootBlockDevice": pulumi.Map{
			"encrypted": pulumi.Bool(rootEncrypted), "volumeSize": pulumi.Int(rootSize),
			"volumeType": pulumi.String("gp2"), "deleteOnTermination": pulumi.Bool(true),
		},
		"userData": userData,
	}, b.parent())
	if err != nil {
		return nil, pulumi.IDOutput{}, err
	}

	// Worker subnets: nodeSubnetIds, else private, else public, else the
	// cluster's.
	var workerSubnets pulumi.Input
	switch {
	case b.ngOptInput("nodeSubnetIds") != nil:
		workerSubnets = b.ngOptInput("nodeSubnetIds")
	case b.arg("privateSubnetIds") != nil:
		workerSubnets = b.arg("privateSubnetIds")
	case b.arg("publicSubnetIds") != nil:
		workerSubnets = b.arg("publicSubnetIds")
	default:
		workerSubnets = clusterSubnets
	}
	size := func(key string, def int) int {
		if v, ok := b.ngOpt(key); ok && v.IsNumber() {
			return int(v.NumberValue())
		}
		return def
	}
	desired, minSize, maxSize := size("desiredCapacity", 2), size("minSize", 1), size("maxSize", 2)
	template := pulumi.All(lc.ID(), eksCluster.Str("name"), pulumi.Any(workerSubnets)).ApplyT(func(v []any) string {
		subnets, _ := json.Marshal(toStrings(v[2]))
		cluster := v[1].(string)
		tagLines := asgTags(map[string]string{"Name": cluster + "-worker", "kubernetes.io/cluster/" + cluster: "owned"})
		return fmt.Sprintf(`
                AWSTemplateFormatVersion: '2010-09-09'
                Outputs:
                    NodeGroup:
                        Value: !Ref NodeGroup
                Resources:
                    NodeGroup:
                        Type: AWS::AutoScaling::AutoScalingGroup
                        Properties:
                          DesiredCapacity: %d
                          LaunchConfigurationName: %s
                          MinSize: %d
                          MaxSize: %d
                          VPCZoneIdentifier: %s
                          Tags:
                          %s
                        UpdatePolicy:
                          AutoScalingRollingUpdate:
                            MinInstancesInService: '1'
                            MaxBatchSize: '1'
                `, desired, v[0], minSize, maxSize, subnets, tagLines)
	}).(pulumi.StringOutput)
	var deps []pulumi.Resource
	if nodeAccess != nil {
		deps = append(deps, nodeAccess)
	}
	stack, err := register(b.ctx, "aws:cloudformation/stack:Stack", n+"-nodes", pulumi.Map{
		"name":         stackName,
		"templateBody": template,
		"tags":         mergeTags(n+"-nodes", b.ngOptInput("cloudFormationTags"), tags),
	}, b.parent(), pulumi.DependsOn(deps))
	if err != nil {
		return nil, pulumi.IDOutput{}, err
	}
	asg := stack.Get("outputs").ApplyT(func(v any) (string, error) {
		m, _ := v.(map[string]any)
		s, ok := m["NodeGroup"].(string)
		if !ok {
			return "", fmt.Errorf("CloudFormation stack is not ready. Stack output key 'NodeGroup' does not exist.")
		}
		return s, nil
	}).(pulumi.StringOutput)
	ng := pulumi.Map{
		"nodeSecurityGroup":    resourceOf(nodeSG),
		"cfnStack":             resourceOf(stack),
		"autoScalingGroupName": asg,
	}
	if extra := b.ngOptInput("extraNodeSecurityGroups"); extra != nil {
		ng["extraNodeSecurityGroups"] = extra
	}
	return ng, stack.ID(), nil
}

func (b *clusterBuilder) ngOptInput(key string) pulumi.Input {
	if opts := provider.Obj(b.raw, "nodeGroupOptions"); opts != nil {
		if v, ok := opts[resource.PropertyKey(key)]; !ok || v.IsNull() {
			return nil
		}
		return pulumi.Any(b.args["nodeGroupOptions"]).ApplyT(func(v any) any {
			m, _ := v.(map[string]any)
			return m[key]
		}).(pulumi.AnyOutput)
	}
	return b.arg(key)
}

// asgTags is nodegroup.ts tagsToAsgTags: YAML list items under Tags.
func asgTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("- Key: %s\n                            Value: %s\n                            PropagateAtLaunch: 'true'", k, tags[k]))
	}
	return strings.Join(lines, "\n                          ")
}

func (b *clusterBuilder) accessEntry(key string, entry provider.Props, eksCluster, defaultRole *custom) (*custom, error) {
	props := pulumi.Map{"clusterName": eksCluster.Str("name")}
	if entry == nil {
		props["principalArn"] = defaultRole.Str("arn")
		props["type"] = pulumi.String("EC2_LINUX")
	} else {
		for _, k := range []string{"principalArn", "type"} {
			if v := provider.Str(entry, k); v != "" {
				props[k] = pulumi.String(v)
			}
		}
		if g := provider.Strs(entry, "kubernetesGroups"); len(g) > 0 {
			props["kubernetesGroups"] = pulumi.ToStringArray(g)
		}
		if u := provider.Str(entry, "username"); u != "" {
			props["userName"] = pulumi.String(u)
		}
	}
	e, err := register(b.ctx, "aws:eks/accessEntry:AccessEntry", b.name+"-"+key, props, b.parent(), pulumi.DependsOn([]pulumi.Resource{eksCluster}))
	if err != nil {
		return nil, err
	}
	pols := provider.Obj(entry, "accessPolicies")
	names := make([]string, 0, len(pols))
	for k := range pols {
		names = append(names, string(k))
	}
	sort.Strings(names)
	for _, pn := range names {
		p := pols[resource.PropertyKey(pn)].ObjectValue()
		scope := provider.Obj(p, "accessScope")
		if _, err := register(b.ctx, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", b.name+"-"+key+"-"+pn, pulumi.Map{
			"accessScope":  pulumi.Any(scope.Mappable()),
			"principalArn": pulumi.String(provider.Str(entry, "principalArn")),
			"policyArn":    pulumi.String(provider.Str(p, "policyArn")),
			"clusterName":  eksCluster.Str("name"),
		}, pulumi.Parent(e), pulumi.DependsOn([]pulumi.Resource{e})); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// refArns reads the ARNs of role references (through the engine's
// getResource, as the SDK rehydrates references).
func (b *clusterBuilder) refArns(p provider.Props, key string) ([]string, error) {
	v := p[resource.PropertyKey(key)]
	if !v.IsArray() {
		return nil, nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if !e.IsResourceReference() {
			continue
		}
		st, err := resourceState(b.ctx, string(e.ResourceReferenceValue().URN))
		if err != nil {
			return nil, err
		}
		if a, ok := st["arn"].(string); ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// resourceState reads a registered resource's outputs through the
// engine's pulumi:pulumi:getResource
// (pkg/resource/deploy/builtins.go:464-490).
func resourceState(ctx *pulumi.Context, urn string) (map[string]any, error) {
	var res struct {
		State map[string]any `pulumi:"state"`
	}
	if err := ctx.Invoke("pulumi:pulumi:getResource", map[string]any{"urn": urn}, &res); err != nil {
		return nil, fmt.Errorf("read %s: %w", urn, err)
	}
	return res.State, nil
}

// kubeconfig is cluster.ts generateKubeconfig (:207-268): an exec user
// running `aws eks get-token --cluster-name <name> --output json`, without
// --region (a pitfall of pulumi-eks v2, fixed in v3.2).
func kubeconfig(cluster, endpoint, caData string, includeProfile bool, profile, roleArn string) map[string]any {
	args := []any{"eks", "get-token", "--cluster-name", cluster, "--output", "json"}
	if roleArn != "" {
		args = append(args, "--role", roleArn)
	}
	env := []any{map[string]any{"name": "KUBERNETES_EXEC_INFO", "value": `{"apiVersion": "client.authentication.k8s.io/v1beta1"}`}}
	if includeProfile && profile != "" {
		env = append(env, map[string]any{"name": "AWS_PROFILE", "value": profile})
	}
	return map[string]any{
		"apiVersion": "v1",
		"clusters": []any{map[string]any{
			"cluster": map[string]any{"server": endpoint, "certificate-authority-data": caData},
			"name":    "kubernetes",
		}},
		"contexts":        []any{map[string]any{"context": map[string]any{"cluster": "kubernetes", "user": "aws"}, "name": "aws"}},
		"current-context": "aws",
		"kind":            "Config",
		"users": []any{map[string]any{
			"name": "aws",
			"user": map[string]any{"exec": map[string]any{
				"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws", "args": args, "env": env,
			}},
		}},
	}
}

func toJSON(o pulumi.AnyOutput) pulumi.StringOutput {
	return o.ApplyT(func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}).(pulumi.StringOutput)
}

// awsAuthRoles renders mapRoles as js-yaml dumps it (authenticationMode.ts
// createAwsAuthData): role mappings first, then the instance roles.
func awsAuthRoles(instanceArns []string, mappings any) string {
	var sb strings.Builder
	write := func(arn, user string, groups []string) {
		fmt.Fprintf(&sb, "- rolearn: %s\n  username: %s\n  groups:\n", arn, user)
		for _, g := range groups {
			fmt.Fprintf(&sb, "    - %s\n", g)
		}
	}
	if list, ok := mappings.([]any); ok {
		for _, m := range list {
			mm, _ := m.(map[string]any)
			arn, _ := mm["roleArn"].(string)
			user, _ := mm["username"].(string)
			write(arn, user, toStrings(mm["groups"]))
		}
	}
	for _, a := range instanceArns {
		write(a, "system:node:{{EC2PrivateDNSName}}", []string{"system:bootstrappers", "system:nodes"})
	}
	return sb.String()
}

func awsAuthUsers(mappings any) string {
	var sb strings.Builder
	if list, ok := mappings.([]any); ok {
		for _, m := range list {
			mm, _ := m.(map[string]any)
			fmt.Fprintf(&sb, "- userarn: %v\n  username: %v\n  groups:\n", mm["userArn"], mm["username"])
			for _, g := range toStrings(mm["groups"]) {
				fmt.Fprintf(&sb, "    - %s\n", g)
			}
		}
	}
	return sb.String()
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		switch x := e.(type) {
		case string:
			out = append(out, x)
		case pulumi.ID:
			out = append(out, string(x))
		}
	}
	if ss, ok := v.([]string); ok {
		out = append(out, ss...)
	}
	return out
}

func toStringMap(v any) map[string]string {
	out := map[string]string{}
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			if s, ok := x.(string); ok {
				out[k] = s
			}
		}
	}
	return out
}

func orEmptyList(in pulumi.Input) pulumi.Input {
	if in == nil {
		return pulumi.Array{}
	}
	return in
}

func orEmptyMap(in pulumi.Input) pulumi.Input {
	if in == nil {
		return pulumi.Map{}
	}
	return in
}

// waitHealthz probes the API server as pulumi-eks does
// (pulumi-eks@v2.8.1:nodejs/eks/cluster.ts:637-677): up to 60 probes, 5 s
// apart, stopping at the first 200 and going on regardless after the last.
// EKS answers /healthz to anonymous callers (system:public-info-viewer), so
// on AWS a live cluster passes the first probe. The lab's endpoints are not
// resolvable names, so the probe asks the lab cloud instead: 200 while the
// cluster exists and its region answers, no answer otherwise. The lab's time
// scale shortens the pause.
func waitHealthz(ctx *pulumi.Context, cluster *custom, endpoint string) {
	scale := 1.0
	if v, err := strconv.ParseFloat(os.Getenv(EnvTimeScale), 64); err == nil && v > 0 {
		scale = v
	}
	const retries = 60
	pause := time.Duration(float64(5*time.Second) / scale)
	for i := range retries {
		if healthz(endpoint) {
			_ = ctx.Log.Info("Cluster is ready", &pulumi.LogArgs{Resource: cluster, Ephemeral: true})
			return
		}
		left := time.Duration(retries-i) * pause
		_ = ctx.Log.Info(fmt.Sprintf("Waiting up to (%d) more seconds for cluster readiness...", int(left.Seconds())),
			&pulumi.LogArgs{Resource: cluster, Ephemeral: true})
		time.Sleep(pause)
	}
}

// healthz is one probe of <endpoint>/healthz with pulumi-eks's 1 s request
// timeout, answered by the lab cloud for the endpoint's region
// (https://<id>.<cell>.<region>.eks.amazonaws.com).
func healthz(endpoint string) bool {
	cloud, err := cloudrpc.FromEnv()
	if err != nil {
		return false
	}
	host := strings.TrimPrefix(endpoint, "https://")
	labels := strings.Split(host, ".")
	if len(labels) < 5 {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return cloud.Call(ctx, labels[2], "kubernetes", "ClusterForEndpoint", map[string]any{"Endpoint": endpoint}, nil) == nil
}
