package region

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type cluster struct {
	name              pulumi.StringOutput
	kubeconfig        pulumi.StringOutput
	oidcProviderArn   pulumi.StringOutput
	oidcProviderUrl   pulumi.StringOutput
	nodeSecurityGroup *ec2.SecurityGroup
	asgName           pulumi.StringOutput
}

// cluster builds EKS through pulumi-eks v2: worker nodes in the private
// subnets only, a node group sized from config, an OIDC provider for IRSA,
// secrets encrypted with the region's key.
func (b *builder) cluster(net *network, key *kms.Key) (*cluster, error) {
	cfg := b.args.Cluster
	// Our own node security group, attached to every node next to the one
	// pulumi-eks makes: the database and the ALB admit traffic from it, so
	// the rules that matter are ours and visible in this program.
	nodes, err := ec2.NewSecurityGroup(b.ctx, b.child("nodes"), &ec2.SecurityGroupArgs{
		VpcId:       net.vpc.ID(),
		Description: pulumi.String("TaskFlow worker nodes: source of database traffic, target of ALB traffic"),
		Egress: ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{
			Protocol: pulumi.String("-1"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0),
			CidrBlocks: pulumi.StringArray{pulumi.String("0.0.0.0/0")},
		}},
		Tags: b.nameTag("nodes"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: node security group: %w", b.name, err)
	}

	minSize, desired, maxSize := cfg.Sizes()
	publicAccessCidrs := pulumi.ToStringArray(cfg.PublicAccessCIDRs)
	if len(cfg.PublicAccessCIDRs) == 0 {
		publicAccessCidrs = nil
	}
	noPublicIP := false
	useDefaultVpcCni := true
	c, err := eks.NewCluster(b.ctx, b.child("eks"), &eks.ClusterArgs{
		Name:                   pulumi.String(b.args.ClusterName),
		Version:                pulumi.String(cfg.Version),
		VpcId:                  net.vpc.ID().ToStringOutput(),
		PublicSubnetIds:        net.publicSubnetIds(),
		PrivateSubnetIds:       net.privateSubnetIds(),
		EndpointPublicAccess:   pulumi.Bool(cfg.EndpointPublicAccess),
		EndpointPrivateAccess:  pulumi.Bool(cfg.EndpointPrivateAccess),
		PublicAccessCidrs:      publicAccessCidrs,
		CreateOidcProvider:     pulumi.Bool(true),
		EncryptionConfigKeyArn: key.Arn,
		EnabledClusterLogTypes: pulumi.ToStringArray([]string{"api", "audit", "authenticator"}),
		// pulumi-eks's own VPC CNI resource cannot take an explicit
		// provider (pulumi-eks#1294) and default providers are disabled:
		// keep EKS's default CNI and manage it as the add-on below.
		UseDefaultVpcCni: &useDefaultVpcCni,
		NodeGroupOptions: &eks.ClusterNodeGroupOptionsArgs{
			InstanceType:                 pulumi.String(cfg.InstanceType),
			MinSize:                      pulumi.Int(minSize),
			DesiredCapacity:              pulumi.Int(desired),
			MaxSize:                      pulumi.Int(maxSize),
			NodeAssociatePublicIpAddress: &noPublicIP,
			NodeRootVolumeEncrypted:      pulumi.Bool(true),
			ExtraNodeSecurityGroups:      ec2.SecurityGroupArray{nodes},
		},
		Tags: pulumi.StringMap{"Name": pulumi.String(b.args.ClusterName)},
	}, pulumi.Parent(b.parent), pulumi.Providers(b.provider, b.eksProvider))
	if err != nil {
		return nil, fmt.Errorf("region %s: eks cluster: %w", b.name, err)
	}

	if _, err := awseks.NewAddon(b.ctx, b.child("vpc-cni"), &awseks.AddonArgs{
		ClusterName:              c.EksCluster.Name(),
		AddonName:                pulumi.String("vpc-cni"),
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("PRESERVE"),
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: vpc-cni add-on: %w", b.name, err)
	}

	eksCluster := c.EksCluster
	kubeconfig := pulumi.All(eksCluster.Name(), eksCluster.Endpoint(), eksCluster.CertificateAuthority().Data().Elem()).
		ApplyT(func(v []any) (string, error) {
			return Kubeconfig(v[0].(string), b.args.Region, v[1].(string), v[2].(string))
		}).(pulumi.StringOutput)
	oidc := c.Core.OidcProvider()
	return &cluster{
		name:              eksCluster.Name(),
		kubeconfig:        pulumi.ToSecret(kubeconfig).(pulumi.StringOutput),
		oidcProviderArn:   oidc.Arn(),
		oidcProviderUrl:   oidc.Url(),
		nodeSecurityGroup: nodes,
		asgName:           c.DefaultNodeGroup.AutoScalingGroupName().Elem(),
	}, nil
}

// Kubeconfig renders a kubeconfig for the cluster whose token command names
// the region. pulumi-eks v2's own kubeconfig runs `aws eks get-token`
// without --region (fixed only in v3.2), so it follows the caller's
// AWS_REGION and fails for a cluster in another region.
func Kubeconfig(clusterName, region, endpoint, caData string) (string, error) {
	cfg := map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"current-context": clusterName,
		"clusters": []any{map[string]any{
			"name":    clusterName,
			"cluster": map[string]any{"server": endpoint, "certificate-authority-data": caData},
		}},
		"contexts": []any{map[string]any{
			"name":    clusterName,
			"context": map[string]any{"cluster": clusterName, "user": clusterName},
		}},
		"users": []any{map[string]any{
			"name": clusterName,
			"user": map[string]any{"exec": map[string]any{
				"apiVersion": "client.authentication.k8s.io/v1beta1",
				"command":    "aws",
				"args":       []string{"eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"},
			}},
		}},
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("kubeconfig for %s: %w", clusterName, err)
	}
	return string(out), nil
}
