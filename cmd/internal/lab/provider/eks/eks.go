// Package eks is the lab's pulumi-resource-eks, answering for pulumi-eks
// v2.8.1 (sdk/v2@v2.8.1/go/eks/pulumi-plugin.json). Cluster and
// ManagedNodeGroup are remote components: Construct registers, through the
// engine, the children pulumi-eks v2.8.1 registers (same types, names and
// parents, pulumi/pulumi-eks@v2.8.1:nodejs/eks/cluster.ts createCore and
// createCluster, nodegroup.ts), so every output the program reads has its
// real shape: eksCluster, core.oidcProvider, core.cluster, instanceRoles,
// nodeGroup, ... are references to registered aws resources, served by the
// lab's aws plugin (and so by the lab cloud).
package eks

import (
	"crypto/sha1" //nolint:gosec // pulumi-eks names policy attachments by a sha1 prefix.
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
)

// Name and Version are the plugin's.
const (
	Name    = "eks"
	Version = "2.8.1"
)

const eksSource = "pulumi/pulumi-eks@v2.8.1"

// Package returns the eks plugin.
func Package() *provider.Package {
	return &provider.Package{
		Name:    Name,
		Version: Version,
		Types: map[string]*provider.Type{
			// nodejs/eks/cmd/provider/randomSuffix.ts: the ID is the
			// resource's name and the output the input plus "-" and 8
			// random hex characters, drawn again on every update.
			"eks:index:RandomSuffix": {
				Token: "eks:index:RandomSuffix",
				Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
					return c.Name(), provider.FromGo(map[string]any{"output": provider.Str(in, "input") + "-" + provider.RandomHex(8)}), nil
				},
				Update: func(_ *provider.Ctx, _ string, _, _, news, outs provider.Props) (provider.Props, error) {
					outs["output"] = resource.NewProperty(provider.Str(news, "input") + "-" + provider.RandomHex(8))
					return outs, nil
				},
			},
		},
		Components: map[string]provider.ComponentFunc{
			"eks:index:Cluster":          constructCluster,
			"eks:index:ManagedNodeGroup": constructManagedNodeGroup,
		},
	}
}

// component is a registered component resource.
type component struct {
	pulumi.ResourceState
}

// custom is a registered custom resource with the outputs the components
// read. Each is its own field: in a preview the SDK marks a catch-all
// `pulumi:""` map unknown as soon as one output is null or unknown
// (sdk/go/pulumi/context.go:2547-2562), which would make every child's
// outputs unknown in previews and show replacements where nothing changes.
type custom struct {
	pulumi.CustomResourceState
	Arn                  pulumi.AnyOutput `pulumi:"arn"`
	Name                 pulumi.AnyOutput `pulumi:"name"`
	Endpoint             pulumi.AnyOutput `pulumi:"endpoint"`
	CertificateAuthority pulumi.AnyOutput `pulumi:"certificateAuthority"`
	Identities           pulumi.AnyOutput `pulumi:"identities"`
	AccessConfig         pulumi.AnyOutput `pulumi:"accessConfig"`
	Output               pulumi.AnyOutput `pulumi:"output"`
	Outputs              pulumi.AnyOutput `pulumi:"outputs"`
}

// providerRes is a registered provider resource.
type providerRes struct {
	pulumi.ProviderResourceState
}

func register(ctx *pulumi.Context, typ, name string, props pulumi.Map, opts ...pulumi.ResourceOption) (*custom, error) {
	r := &custom{}
	if err := ctx.RegisterResource(typ, name, props, r, opts...); err != nil {
		return nil, fmt.Errorf("%s %s: %w", typ, name, err)
	}
	return r, nil
}

// Get reads one of the outputs custom holds.
func (r *custom) Get(key string) pulumi.AnyOutput {
	switch key {
	case "arn":
		return r.Arn
	case "name":
		return r.Name
	case "endpoint":
		return r.Endpoint
	case "certificateAuthority":
		return r.CertificateAuthority
	case "identities":
		return r.Identities
	case "accessConfig":
		return r.AccessConfig
	case "output":
		return r.Output
	case "outputs":
		return r.Outputs
	}
	panic("drlab eks: output " + key + " is not read by the components; add a field to custom")
}

// Str reads a string output.
func (r *custom) Str(key string) pulumi.StringOutput {
	return r.Get(key).ApplyT(func(v any) string {
		s, _ := v.(string)
		return s
	}).(pulumi.StringOutput)
}

// resourceOf returns r as an output that resolves once r has its ID, for
// use as a resource reference inside component outputs.
func resourceOf(r pulumi.CustomResource) pulumi.AnyOutput {
	return r.ID().ApplyT(func(pulumi.ID) any { return r }).(pulumi.AnyOutput)
}

// sha1Prefix is servicerole.ts's sha1hash: the first 8 hex digits.
func sha1Prefix(s string) string {
	h := sha1.Sum([]byte(s)) //nolint:gosec
	return hex.EncodeToString(h[:])[:8]
}

// serviceRole is servicerole.ts ServiceRole: a component holding an IAM role
// that `service` may assume and its managed policy attachments, named
// "<name>-role" and "<name>-<sha1(policy id)>".
func serviceRole(ctx *pulumi.Context, name, service, description string, policies []string, tags pulumi.Input, opts ...pulumi.ResourceOption) (*custom, error) {
	comp := &component{}
	if err := ctx.RegisterComponentResource("eks:index:ServiceRole", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("service role %s: %w", name, err)
	}
	policy, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Action": []string{"sts:AssumeRole"}, "Effect": "Allow",
			"Principal": map[string]any{"Service": []string{service}},
		}},
	})
	if err != nil {
		return nil, err
	}
	props := pulumi.Map{"assumeRolePolicy": pulumi.String(string(policy))}
	if description != "" {
		props["description"] = pulumi.String(description)
	}
	if tags != nil {
		props["tags"] = tags
	}
	role, err := register(ctx, "aws:iam/role:Role", name+"-role", props, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	var deps []any
	for _, p := range policies {
		id := "arn:aws:iam::aws:policy/" + p
		att, err := register(ctx, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name+"-"+sha1Prefix(id), pulumi.Map{
			"policyArn": pulumi.String(id),
			"role":      role.ID(),
		}, pulumi.Parent(comp))
		if err != nil {
			return nil, err
		}
		deps = append(deps, att.ID())
	}
	out := pulumi.All(append([]any{role.ID()}, deps...)...).ApplyT(func([]any) any { return role }).(pulumi.AnyOutput)
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"role": out}); err != nil {
		return nil, err
	}
	return role, nil
}
