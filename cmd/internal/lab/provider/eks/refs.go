package eks

import (
	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// componentRef is a component read back from a resource reference.
type componentRef struct {
	pulumi.ResourceState
	Core pulumi.AnyOutput `pulumi:"core"`
}

// refModule rehydrates the resource references a component receives (a
// Cluster passed to a ManagedNodeGroup, roles, the aws-auth ConfigMap)
// into resources whose outputs are readable, as the SDK does for
// references to types it has a module for (sdk/go/pulumi/rpc.go
// unmarshalResourceReference): the resource is "got" by URN, its outputs
// read through the engine's getResource. Unknown in a preview, they stay
// unknown: nothing here needs them to be known.
type refModule struct{ component bool }

func (refModule) Version() semver.Version { return semver.Version{} }

func (m refModule) Construct(ctx *pulumi.Context, name, typ, urn string) (pulumi.Resource, error) {
	if m.component {
		r := &componentRef{}
		return r, ctx.RegisterComponentResource(typ, name, r, pulumi.URN_(urn))
	}
	r := &custom{}
	return r, ctx.RegisterResource(typ, name, nil, r, pulumi.URN_(urn))
}

func init() {
	pulumi.RegisterResourceModule("eks", "index", refModule{component: true})
	for _, mod := range []string{"eks/cluster", "iam/role", "ec2/securityGroup", "iam/openIdConnectProvider"} {
		pulumi.RegisterResourceModule("aws", mod, refModule{})
	}
	pulumi.RegisterResourceModule("kubernetes", "core/v1", refModule{})
}
