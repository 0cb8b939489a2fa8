// Command mngprogram is a small Pulumi program for the lab engine's tests:
// an EKS cluster without its default node group and a managed node group,
// as the DR program builds them (region/cluster.go: ManagedNodeGroup with AL2023),
// through explicit providers.
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "mng")
		awsProv, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("eu-central-1")})
		if err != nil {
			return err
		}
		eksProv, err := eks.NewProvider(ctx, "eks", nil)
		if err != nil {
			return err
		}
		role, err := iam.NewRole(ctx, "nodes", &iam.RoleArgs{
			AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		}, pulumi.Provider(awsProv))
		if err != nil {
			return err
		}
		skip, cni := true, true
		mode := eks.AuthenticationModeApiAndConfigMap
		operator := pulumi.String("arn:aws:iam::123456789012:role/operator")
		admin := pulumi.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")
		var entries map[string]eks.AccessEntryArgs
		// mng:componentAccessEntries asks pulumi-eks for the access entries.
		// In v2.8.1 that breaks any Go program reading the cluster's core
		// (pulumi/pulumi-eks#1435: core.accessEntries holds aws resources
		// where the schema says eks.AccessEntry objects).
		if cfg.GetBool("componentAccessEntries") {
			entries = map[string]eks.AccessEntryArgs{"operator": {
				PrincipalArn: operator,
				AccessPolicies: map[string]eks.AccessPolicyAssociationInput{"admin": eks.AccessPolicyAssociationArgs{
					PolicyArn: admin, AccessScope: awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
				}},
			}}
		}
		cluster, err := eks.NewCluster(ctx, "lab", &eks.ClusterArgs{
			Name:                 pulumi.String("lab-mng"),
			Version:              pulumi.String("1.31"),
			VpcId:                pulumi.String("vpc-0123456789abcdef0"),
			PrivateSubnetIds:     pulumi.ToStringArray([]string{"subnet-0a", "subnet-0b"}),
			SkipDefaultNodeGroup: &skip,
			UseDefaultVpcCni:     &cni,
			InstanceRoles:        iam.RoleArray{role},
			CreateOidcProvider:   pulumi.Bool(true),
			AuthenticationMode:   &mode,
			AccessEntries:        entries,
		}, pulumi.Providers(awsProv, eksProv))
		if err != nil {
			return err
		}
		if entries == nil {
			// The workaround: the access entry as an aws resource.
			entry, err := awseks.NewAccessEntry(ctx, "operator", &awseks.AccessEntryArgs{
				ClusterName: cluster.EksCluster.Name(), PrincipalArn: operator,
			}, pulumi.Provider(awsProv))
			if err != nil {
				return err
			}
			if _, err := awseks.NewAccessPolicyAssociation(ctx, "operator-admin", &awseks.AccessPolicyAssociationArgs{
				ClusterName: cluster.EksCluster.Name(), PrincipalArn: operator, PolicyArn: admin,
				AccessScope: awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
			}, pulumi.Provider(awsProv), pulumi.DependsOn([]pulumi.Resource{entry})); err != nil {
				return err
			}
		}
		ng, err := eks.NewManagedNodeGroup(ctx, "lab-ng", &eks.ManagedNodeGroupArgs{
			Cluster:       cluster,
			NodeRole:      role,
			AmiType:       pulumi.String("AL2023_x86_64_STANDARD"),
			InstanceTypes: pulumi.ToStringArray([]string{"m6i.xlarge"}),
			ScalingConfig: awseks.NodeGroupScalingConfigArgs{
				MinSize: pulumi.Int(2), DesiredSize: pulumi.Int(cfg.RequireInt("desired")), MaxSize: pulumi.Int(8),
			},
		}, pulumi.Providers(awsProv, eksProv))
		if err != nil {
			return err
		}
		ctx.Export("nodeGroupName", ng.NodeGroup.NodeGroupName())
		ctx.Export("nodeGroupUrn", ng.NodeGroup.ApplyT(func(n *awseks.NodeGroup) pulumi.URNOutput { return n.URN() }))
		ctx.Export("nodeGroupArn", ng.NodeGroup.Arn())
		ctx.Export("clusterName", cluster.EksCluster.Name())
		ctx.Export("oidcProviderArn", cluster.Core.OidcProvider().Arn())
		ctx.Export("instanceRoleArn", role.Arn)
		return nil
	})
}
