package eks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
)

// nodeGroupPassThrough are ManagedNodeGroup arguments handed to
// aws.eks.NodeGroup as they are (nodegroup.ts:1757-1785: `...nodeGroupArgs`).
var nodeGroupPassThrough = []string{
	"amiType", "capacityType", "diskSize", "forceUpdateVersion", "instanceTypes", "labels", "launchTemplate",
	"nodeGroupName", "nodeGroupNamePrefix", "releaseVersion", "remoteAccess", "tags", "taints", "version",
}

// constructManagedNodeGroup is nodegroup.ts ManagedNodeGroupInternal and
// createManagedNodeGroupInternal (:1590-1790): checks, then one
// aws.eks.NodeGroup named like the component, parented to it, depending on
// the cluster's aws-auth ConfigMap.
func constructManagedNodeGroup(raw provider.Props) pprovider.ConstructFunc {
	return func(ctx *pulumi.Context, typ, name string, inputs pprovider.ConstructInputs, options pulumi.ResourceOption) (*pprovider.ConstructResult, error) {
		for _, k := range []string{"kubeletExtraArgs", "bootstrapExtraArgs", "enableIMDSv2"} {
			if provider.Has(raw, k) {
				return nil, fmt.Errorf("eks.ManagedNodeGroup %s: %q needs a custom launch template, which the drlab eks provider does not model", name, k)
			}
		}
		hasRole, hasArn := provider.Has(raw, "nodeRole"), provider.Has(raw, "nodeRoleArn")
		switch {
		case !hasRole && !hasArn:
			return nil, fmt.Errorf("eks.ManagedNodeGroup %s: An IAM role, or role ARN must be provided to create a managed node group", name)
		case hasRole && hasArn:
			return nil, fmt.Errorf("eks.ManagedNodeGroup %s: nodeRole and nodeRoleArn are mutually exclusive to create a managed node group", name)
		}
		args, err := inputs.Map()
		if err != nil {
			return nil, err
		}
		comp := &component{}
		if err := ctx.RegisterComponentResource(typ, name, comp, options); err != nil {
			return nil, err
		}
		core, err := clusterCore(ctx, raw)
		if err != nil {
			return nil, fmt.Errorf("eks.ManagedNodeGroup %s: %w", name, err)
		}

		roleArn := provider.Str(raw, "nodeRoleArn")
		if hasRole {
			urn, _, _ := provider.ResourceRef(raw, "nodeRole")
			st, err := resourceState(ctx, urn)
			if err != nil {
				return nil, err
			}
			roleArn, _ = st["arn"].(string)
		}
		// nodegroup.ts:1670-1688: without access entries the role must be
		// one of the cluster's instance roles (aws-auth maps only those).
		mode := core.authMode
		if mode != "API" && mode != "API_AND_CONFIG_MAP" && roleArn != "" {
			found := false
			for _, a := range core.instanceRoleArns {
				found = found || a == roleArn
			}
			if !found {
				return nil, fmt.Errorf("eks.ManagedNodeGroup %s: A managed node group cannot be created without first setting its role in the cluster's instanceRoles", name)
			}
		}

		props := pulumi.Map{}
		for _, k := range nodeGroupPassThrough {
			if provider.Has(raw, k) {
				props[k] = args[k]
			}
		}
		if provider.Has(raw, "clusterName") {
			props["clusterName"] = args["clusterName"]
		} else {
			props["clusterName"] = pulumi.String(core.clusterName)
		}
		props["nodeRoleArn"] = pulumi.String(roleArn)
		sc := provider.Obj(raw, "scalingConfig")
		size := func(k string, def int) int {
			if v, ok := sc[resource.PropertyKey(k)]; ok && v.IsNumber() {
				return int(v.NumberValue())
			}
			return def
		}
		// nodegroup.ts:1762-1771: desired 2, min 1, max 2 by default.
		props["scalingConfig"] = pulumi.Map{
			"desiredSize": pulumi.Int(size("desiredSize", 2)),
			"minSize":     pulumi.Int(size("minSize", 1)),
			"maxSize":     pulumi.Int(size("maxSize", 2)),
		}
		if provider.Has(raw, "subnetIds") {
			props["subnetIds"] = args["subnetIds"]
		} else {
			props["subnetIds"] = pulumi.ToStringArray(core.subnetIds)
		}
		opts := []pulumi.ResourceOption{pulumi.Parent(comp)}
		switch {
		case core.nodeAccess != nil:
			opts = append(opts, pulumi.DependsOn([]pulumi.Resource{core.nodeAccess}))
		case provider.Obj(raw, "cluster") != nil:
			// CoreData passed as an object: its eksNodeAccess resource.
			opts = append(opts, pulumi.DependsOnInputs(pulumi.Any(args["cluster"]).ApplyT(func(v any) []pulumi.Resource {
				m, _ := v.(map[string]any)
				if r, ok := m["eksNodeAccess"].(pulumi.Resource); ok {
					return []pulumi.Resource{r}
				}
				return nil
			}).(pulumi.ResourceArrayOutput)))
		}
		ng, err := register(ctx, "aws:eks/nodeGroup:NodeGroup", name, props, opts...)
		if err != nil {
			return nil, err
		}
		state := pulumi.Map{"nodeGroup": resourceOf(ng)}
		if err := ctx.RegisterResourceOutputs(comp, state); err != nil {
			return nil, err
		}
		return &pprovider.ConstructResult{URN: comp.URN(), State: state}, nil
	}
}

// coreInfo is what a node group needs of its cluster.
type coreInfo struct {
	clusterName      string
	authMode         string
	instanceRoleArns []string
	subnetIds        []string
	// nodeAccess is the cluster's aws-auth ConfigMap, when read from a
	// cluster reference.
	nodeAccess pulumi.Resource
}

// clusterCore reads the cluster argument: a reference to an eks.Cluster
// (its `core` output, read through getResource) or a CoreData object.
func clusterCore(ctx *pulumi.Context, raw provider.Props) (*coreInfo, error) {
	var core map[string]any
	if urn, _, ok := provider.ResourceRef(raw, "cluster"); ok {
		st, err := resourceState(ctx, urn)
		if err != nil {
			return nil, err
		}
		core, _ = st["core"].(map[string]any)
	} else if obj := provider.Obj(raw, "cluster"); obj != nil {
		core = obj.MapRepl(nil, func(v resource.PropertyValue) (any, bool) {
			if v.IsResourceReference() {
				return string(v.ResourceReferenceValue().URN), true
			}
			return nil, false
		})
	}
	if core == nil {
		return nil, fmt.Errorf("cluster: expected an eks.Cluster or its core data")
	}
	info := &coreInfo{}
	clusterURN, err := urnOf(core["cluster"])
	if err != nil {
		return nil, fmt.Errorf("cluster.core.cluster: %w", err)
	}
	cl, err := resourceState(ctx, clusterURN)
	if err != nil {
		return nil, err
	}
	info.clusterName, _ = cl["name"].(string)
	if ac, ok := cl["accessConfig"].(map[string]any); ok {
		info.authMode, _ = ac["authenticationMode"].(string)
	}
	if roles, ok := core["instanceRoles"].([]any); ok {
		for _, r := range roles {
			u, err := urnOf(r)
			if err != nil {
				return nil, fmt.Errorf("cluster.core.instanceRoles: %w", err)
			}
			st, err := resourceState(ctx, u)
			if err != nil {
				return nil, err
			}
			if a, ok := st["arn"].(string); ok {
				info.instanceRoleArns = append(info.instanceRoleArns, a)
			}
		}
	}
	for _, k := range []string{"subnetIds", "privateSubnetIds", "publicSubnetIds"} {
		if s := toStrings(core[k]); len(s) > 0 {
			info.subnetIds = s
			break
		}
	}
	if na, ok := core["eksNodeAccess"].(pulumi.Resource); ok {
		info.nodeAccess = na
	}
	return info, nil
}

// urnOf returns the URN of a rehydrated resource (whose URN is known from
// the reference) or of a URN string.
func urnOf(v any) (string, error) {
	switch r := v.(type) {
	case string:
		return r, nil
	case pulumi.Resource:
		ch := make(chan string, 1)
		r.URN().ApplyT(func(u pulumi.URN) int { ch <- string(u); return 0 })
		return <-ch, nil
	default:
		return "", fmt.Errorf("expected a resource, got %T", v)
	}
}
