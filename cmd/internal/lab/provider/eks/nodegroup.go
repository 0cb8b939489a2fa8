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

		// The cluster's core data: an eks.Cluster's `core` output, or
		// CoreData given as an object.
		core := pulumi.Any(args["cluster"]).ApplyT(func(v any) (pulumi.AnyOutput, error) {
			switch c := v.(type) {
			case *componentRef:
				return c.Core, nil
			case map[string]any:
				return pulumi.Any(c), nil
			}
			return pulumi.AnyOutput{}, fmt.Errorf("eks.ManagedNodeGroup %s: cluster must be an eks.Cluster or its core data, not %T", name, v)
		}).(pulumi.AnyOutput)
		field := func(key string) pulumi.AnyOutput {
			return core.ApplyT(func(v any) any {
				m, _ := v.(map[string]any)
				return m[key]
			}).(pulumi.AnyOutput)
		}
		eksCluster := field("cluster").ApplyT(func(v any) (*custom, error) {
			r, ok := v.(*custom)
			if !ok {
				return nil, fmt.Errorf("eks.ManagedNodeGroup %s: cluster.core.cluster is %T, not an aws.eks.Cluster", name, v)
			}
			return r, nil
		}).(pulumi.AnyOutput)
		clusterName := eksCluster.ApplyT(func(v any) pulumi.StringOutput { return v.(*custom).Str("name") }).(pulumi.StringOutput)
		authMode := eksCluster.ApplyT(func(v any) pulumi.StringOutput {
			return v.(*custom).AccessConfig.ApplyT(func(ac any) string {
				m, _ := ac.(map[string]any)
				s, _ := m["authenticationMode"].(string)
				return s
			}).(pulumi.StringOutput)
		}).(pulumi.StringOutput)
		instanceRoleArns := field("instanceRoles").ApplyT(func(v any) pulumi.StringArrayOutput {
			list, _ := v.([]any)
			var arns pulumi.StringArray
			for _, r := range list {
				if role, ok := r.(*custom); ok {
					arns = append(arns, role.Str("arn"))
				}
			}
			return arns.ToStringArrayOutput()
		}).(pulumi.StringArrayOutput)

		var roleArn pulumi.StringOutput
		if hasArn {
			roleArn = pulumi.Sprintf("%s", args["nodeRoleArn"])
		} else {
			roleArn = pulumi.Any(args["nodeRole"]).ApplyT(func(v any) (pulumi.StringOutput, error) {
				r, ok := v.(*custom)
				if !ok {
					return pulumi.StringOutput{}, fmt.Errorf("eks.ManagedNodeGroup %s: nodeRole is %T, not an aws.iam.Role", name, v)
				}
				return r.Str("arn"), nil
			}).(pulumi.StringOutput)
		}
		// nodegroup.ts:1670-1688: without access entries the role must be
		// one of the cluster's instance roles (aws-auth maps only those).
		checkedRoleArn := pulumi.All(roleArn, instanceRoleArns, authMode).ApplyT(func(v []any) (string, error) {
			arn, roles, mode := v[0].(string), v[1].([]string), v[2].(string)
			if mode == "API" || mode == "API_AND_CONFIG_MAP" {
				return arn, nil
			}
			for _, r := range roles {
				if r == arn {
					return arn, nil
				}
			}
			return "", fmt.Errorf("eks.ManagedNodeGroup %s: A managed node group cannot be created without first setting its role in the cluster's instanceRoles", name)
		}).(pulumi.StringOutput)

		props := pulumi.Map{"nodeRoleArn": checkedRoleArn}
		for _, k := range nodeGroupPassThrough {
			if provider.Has(raw, k) {
				props[k] = args[k]
			}
		}
		if provider.Has(raw, "clusterName") {
			props["clusterName"] = args["clusterName"]
		} else {
			props["clusterName"] = clusterName
		}
		sc := provider.Obj(raw, "scalingConfig")
		size := func(k string, def int) pulumi.Input {
			if v, ok := sc[resource.PropertyKey(k)]; ok && !v.IsNull() {
				return pulumi.Any(args["scalingConfig"]).ApplyT(func(x any) any {
					m, _ := x.(map[string]any)
					return m[k]
				}).(pulumi.AnyOutput)
			}
			return pulumi.Int(def)
		}
		// nodegroup.ts:1762-1771: desired 2, min 1, max 2 by default.
		props["scalingConfig"] = pulumi.Map{
			"desiredSize": size("desiredSize", 2), "minSize": size("minSize", 1), "maxSize": size("maxSize", 2),
		}
		if provider.Has(raw, "subnetIds") {
			props["subnetIds"] = args["subnetIds"]
		} else {
			props["subnetIds"] = core.ApplyT(func(v any) []string {
				m, _ := v.(map[string]any)
				for _, k := range []string{"subnetIds", "privateSubnetIds", "publicSubnetIds"} {
					if s := toStrings(m[k]); len(s) > 0 {
						return s
					}
				}
				return []string{}
			}).(pulumi.StringArrayOutput)
		}
		nodeAccess := field("eksNodeAccess").ApplyT(func(v any) []pulumi.Resource {
			if r, ok := v.(pulumi.Resource); ok {
				return []pulumi.Resource{r}
			}
			return nil
		}).(pulumi.ResourceArrayOutput)
		ng, err := register(ctx, "aws:eks/nodeGroup:NodeGroup", name, props, pulumi.Parent(comp), pulumi.DependsOnInputs(nodeAccess))
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
