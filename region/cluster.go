package region

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/policy"
)

// Access policies of the EKS access entries
// (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
const (
	ClusterAdminPolicy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	AdminViewPolicy    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
)

// IMDSHopLimit is the nodes' instance-metadata hop limit: 1 keeps pods (one
// network hop away from the node) from reaching IMDSv2 and with it the node
// role's credentials; pods get credentials through IRSA instead
// (https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html#_restrict_access_to_the_instance_profile_assigned_to_the_worker_node).
const IMDSHopLimit = 1

type cluster struct {
	name              pulumi.StringOutput
	kubeconfig        pulumi.StringOutput
	oidcProviderArn   pulumi.StringOutput
	oidcProviderUrl   pulumi.StringOutput
	nodeSecurityGroup *ec2.SecurityGroup
	nodeGroupName     pulumi.StringOutput
	nodeGroupUrn      pulumi.URNOutput
	// asgName is the Auto Scaling group EKS made for the managed node
	// group: the ALB's target group is attached to it.
	asgName pulumi.StringOutput
}

// cluster builds EKS through pulumi-eks v2 without its default node group
// (Amazon Linux 2 with bootstrap.sh, which has no AMIs past Kubernetes 1.32,
// in a CloudFormation launch configuration that accounts created since
// 2024-10-01 cannot create: pulumi-eks@v2.8.1:nodejs/eks/nodegroup.ts), and
// a managed node group on Amazon Linux 2023 instead. Access is by EKS
// access entries for the operator roles; secrets are encrypted with the
// region's key.
func (b *builder) cluster(net *network, key *kms.Key) (*cluster, error) {
	cfg := b.args.Cluster
	// Our own node security group, attached to every node next to the
	// cluster security group: the database and the ALB admit traffic from
	// it, so the rules that matter are ours and visible in this program.
	nodes, err := ec2.NewSecurityGroup(b.ctx, b.child("nodes"), &ec2.SecurityGroupArgs{
		VpcId:       net.vpc.ID(),
		Description: pulumi.String("TaskFlow worker nodes: source of database traffic, target of ALB traffic"),
		Egress: ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{
			Description: pulumi.String("nodes reach AWS APIs, ECR and the database"),
			Protocol:    pulumi.String("-1"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0),
			CidrBlocks: pulumi.StringArray{pulumi.String("0.0.0.0/0")},
		}},
		Tags: b.nameTag("nodes"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: node security group: %w", b.name, err)
	}

	// EKS writes control-plane logs to this group; created first so that
	// it has a retention and our key (EKS would create it without either:
	// https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html).
	logs, err := b.logGroup("eks-logs", "/aws/eks/"+b.args.ClusterName+"/cluster", key)
	if err != nil {
		return nil, err
	}

	var publicAccessCidrs pulumi.StringArrayInput
	if cfg.EndpointPublicAccess {
		publicAccessCidrs = pulumi.ToStringArray(cfg.PublicAccessCIDRs)
	}
	nodeRole, err := b.nodeRole()
	if err != nil {
		return nil, err
	}
	useDefaultVpcCni, skipDefaultNodeGroup := true, true
	authMode := eks.AuthenticationModeApi
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
		UseDefaultVpcCni:     &useDefaultVpcCni,
		SkipDefaultNodeGroup: &skipDefaultNodeGroup,
		AuthenticationMode:   &authMode,
		// Our node role, given explicitly, and access entries of our own
		// (accessEntries below) rather than pulumi-eks's: with API mode,
		// any access entry pulumi-eks makes (its default instance role's
		// included) breaks reading `core` from Go in v2.8.1
		// ("expected a eks.AccessEntry, got *eks.AccessEntry":
		// pulumi/pulumi-eks#1435, fixed only by #1481 in v3).
		InstanceRoles: iam.RoleArray{nodeRole},
		// pulumi-eks's own Kubernetes calls assume the operator role too,
		// so any engineer who can assume it can run `pulumi up`.
		ProviderCredentialOpts: &eks.KubeconfigOptionsArgs{RoleArn: pulumi.String(b.args.Access.OperatorRoleArns[0])},
		Tags:                   pulumi.StringMap{"Name": pulumi.String(b.args.ClusterName)},
	}, b.opts(pulumi.DependsOn([]pulumi.Resource{logs}))...)
	if err != nil {
		return nil, fmt.Errorf("region %s: eks cluster: %w", b.name, err)
	}

	if err := b.accessEntries(c.EksCluster.Name()); err != nil {
		return nil, err
	}
	if _, err := awseks.NewAddon(b.ctx, b.child("vpc-cni"), &awseks.AddonArgs{
		ClusterName:              c.EksCluster.Name(),
		AddonName:                pulumi.String("vpc-cni"),
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("PRESERVE"),
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: vpc-cni add-on: %w", b.name, err)
	}

	ng, err := b.nodeGroup(c, net, nodes, nodeRole)
	if err != nil {
		return nil, err
	}

	eksCluster := c.EksCluster
	role := b.args.Access.OperatorRoleArns[0]
	kubeconfig := pulumi.All(eksCluster.Name(), eksCluster.Endpoint(), eksCluster.CertificateAuthority().Data().Elem()).
		ApplyT(func(v []any) (string, error) {
			return Kubeconfig(v[0].(string), b.args.Region, v[1].(string), v[2].(string), role)
		}).(pulumi.StringOutput)
	oidc := c.Core.OidcProvider()
	return &cluster{
		name:              eksCluster.Name(),
		kubeconfig:        pulumi.ToSecret(kubeconfig).(pulumi.StringOutput),
		oidcProviderArn:   oidc.Arn(),
		oidcProviderUrl:   oidc.Url(),
		nodeSecurityGroup: nodes,
		nodeGroupName:     ng.NodeGroup.NodeGroupName(),
		nodeGroupUrn:      ng.NodeGroup.ApplyT(func(n *awseks.NodeGroup) pulumi.URNOutput { return n.URN() }).(pulumi.URNOutput),
		asgName:           ng.NodeGroup.Resources().Index(pulumi.Int(0)).AutoscalingGroups().Index(pulumi.Int(0)).Name().Elem(),
	}, nil
}

// accessEntries gives each operator role cluster admin and the CI preview
// role read-only access, cluster-wide. The node role needs none of ours:
// EKS creates the EC2_LINUX entry of a managed node group's role itself
// (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
func (b *builder) accessEntries(cluster pulumi.StringInput) error {
	grant := func(part, role, policyArn string) error {
		entry, err := awseks.NewAccessEntry(b.ctx, b.child(part), &awseks.AccessEntryArgs{
			ClusterName:  cluster,
			PrincipalArn: pulumi.String(role),
			Type:         pulumi.String("STANDARD"),
		}, b.opts()...)
		if err != nil {
			return fmt.Errorf("region %s: access entry for %s: %w", b.name, role, err)
		}
		if _, err := awseks.NewAccessPolicyAssociation(b.ctx, b.child(part+"-policy"), &awseks.AccessPolicyAssociationArgs{
			ClusterName:  cluster,
			PrincipalArn: entry.PrincipalArn,
			PolicyArn:    pulumi.String(policyArn),
			AccessScope:  awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
		}, b.opts()...); err != nil {
			return fmt.Errorf("region %s: access policy for %s: %w", b.name, role, err)
		}
		return nil
	}
	for i, role := range b.args.Access.OperatorRoleArns {
		if err := grant(fmt.Sprintf("operator-%d", i), role, ClusterAdminPolicy); err != nil {
			return err
		}
	}
	if r := b.args.Access.PreviewRoleArn; r != "" {
		return grant("preview", r, AdminViewPolicy)
	}
	return nil
}

// nodeRolePolicies are the managed policies a node needs: join the cluster,
// run the VPC CNI, pull images (https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html).
var nodeRolePolicies = []string{
	"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
	"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
	"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
}

// nodeRole is the managed node group's instance role.
func (b *builder) nodeRole() (*iam.Role, error) {
	trust, err := policy.Document{Version: "2012-10-17", Statement: []policy.Statement{{
		Effect: "Allow", Principal: map[string]any{"Service": "ec2.amazonaws.com"}, Action: "sts:AssumeRole",
	}}}.JSON()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(b.ctx, b.child("node-role"), &iam.RoleArgs{
		Description:      pulumi.Sprintf("TaskFlow DR %s worker nodes", b.args.ClusterName),
		AssumeRolePolicy: pulumi.String(trust),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: node role: %w", b.name, err)
	}
	for i, arn := range nodeRolePolicies {
		if _, err := iam.NewRolePolicyAttachment(b.ctx, b.child(fmt.Sprintf("node-role-%d", i)), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(arn),
		}, b.opts()...); err != nil {
			return nil, fmt.Errorf("region %s: node role policy %s: %w", b.name, arn, err)
		}
	}
	return role, nil
}

// nodeGroup is the managed node group: AL2023 (EKS configures nodeadm
// itself when the launch template names no AMI:
// https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html),
// sized from config, in the private subnets, on a launch template that
// requires IMDSv2 with a hop limit of 1, an encrypted gp3 root volume and
// our node security group next to the cluster's.
func (b *builder) nodeGroup(c *eks.Cluster, net *network, nodes *ec2.SecurityGroup, nodeRole *iam.Role) (*eks.ManagedNodeGroup, error) {
	cfg := b.args.Cluster
	lt, err := ec2.NewLaunchTemplate(b.ctx, b.child("nodes-lt"), &ec2.LaunchTemplateArgs{
		Description: pulumi.String("TaskFlow managed nodes: IMDSv2 only, hop limit 1, encrypted root volume"),
		MetadataOptions: ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(IMDSHopLimit),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			// AL2023's root device
			// (pulumi-eks@v2.8.1:nodejs/eks/nodegroup.ts, createMNGCustomLaunchTemplate).
			DeviceName: pulumi.String("/dev/xvda"),
			Ebs: ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize: pulumi.Int(cfg.RootVolumeSize),
				VolumeType: pulumi.String("gp3"),
				// The account's EBS key, not ours: a customer key needs the
				// Auto Scaling service-linked role in its policy or instances
				// fail to launch
				// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		// Naming security groups in the launch template replaces the
		// cluster security group EKS would add, so both are named
		// (https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html).
		VpcSecurityGroupIds: pulumi.StringArray{
			nodes.ID(),
			c.EksCluster.VpcConfig().ClusterSecurityGroupId().Elem(),
		},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{ec2.LaunchTemplateTagSpecificationArgs{
			ResourceType: pulumi.String("instance"),
			Tags:         pulumi.StringMap{"Name": pulumi.String(b.args.ClusterName + "-node")},
		}},
		Tags: b.nameTag("nodes-lt"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: node launch template: %w", b.name, err)
	}
	minSize, desired, maxSize := cfg.Sizes()
	ng, err := eks.NewManagedNodeGroup(b.ctx, b.child("nodes-mng"), &eks.ManagedNodeGroupArgs{
		Cluster:       c,
		NodeGroupName: pulumi.String(b.args.ClusterName + "-nodes"),
		NodeRole:      nodeRole,
		AmiType:       pulumi.String(cfg.AMIType),
		InstanceTypes: pulumi.StringArray{pulumi.String(cfg.InstanceType)},
		SubnetIds:     net.privateSubnetIds(),
		ScalingConfig: awseks.NodeGroupScalingConfigArgs{
			MinSize:     pulumi.Int(minSize),
			DesiredSize: pulumi.Int(desired),
			MaxSize:     pulumi.Int(maxSize),
		},
		LaunchTemplate: awseks.NodeGroupLaunchTemplateArgs{
			Id:      lt.ID(),
			Version: lt.LatestVersion.ApplyT(func(v int) string { return fmt.Sprint(v) }).(pulumi.StringOutput),
		},
		Labels: pulumi.StringMap{"taskflow.dr/stack": pulumi.String(b.args.ClusterName)},
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: managed node group: %w", b.name, err)
	}
	return ng, nil
}

// logGroup creates a CloudWatch log group with the configured retention,
// encrypted with the region's key.
func (b *builder) logGroup(part, name string, key *kms.Key) (*cloudwatch.LogGroup, error) {
	lg, err := cloudwatch.NewLogGroup(b.ctx, b.child(part), &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(name),
		RetentionInDays: pulumi.Int(b.args.Logs.RetentionDays),
		KmsKeyId:        key.Arn,
		Tags:            b.nameTag(part),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: log group %s: %w", b.name, name, err)
	}
	return lg, nil
}

// Kubeconfig renders a kubeconfig for the cluster whose token command names
// the region and assumes the operator role. pulumi-eks v2's own kubeconfig
// runs `aws eks get-token` without --region (fixed only in v3.2), so it
// follows the caller's AWS_REGION and fails for a cluster in another
// region; and the role makes it work for every engineer who may assume it,
// not only the cluster's creator.
func Kubeconfig(clusterName, region, endpoint, caData, roleArn string) (string, error) {
	args := []string{"eks", "get-token", "--cluster-name", clusterName, "--region", region}
	if roleArn != "" {
		args = append(args, "--role-arn", roleArn)
	}
	args = append(args, "--output", "json")
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
				"args":       args,
			}},
		}},
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("kubeconfig for %s: %w", clusterName, err)
	}
	return string(out), nil
}
