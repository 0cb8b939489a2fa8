package region

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/config"
	"github.com/taskflow/taskflow-dr/internal/pulumimock"
	"github.com/taskflow/taskflow-dr/policy"
	"github.com/taskflow/taskflow-dr/replication"
)

const (
	oncall      = "arn:aws:iam::123456789012:role/taskflow-oncall"
	oncall2     = "arn:aws:iam::123456789012:role/taskflow-sre"
	preview     = "arn:aws:iam::123456789012:role/taskflow-ci-preview"
	certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/validated"
	writerArn   = "arn:aws:rds:eu-central-1:123456789012:db:taskflow-dr-standby-db"
	clusterName = "taskflow-dr-primary"
)

// regionArgs is a whole region's configuration, written out here rather
// than read from a stack file so that the component is tested alone.
func regionArgs(mode config.DatabaseMode) *Args {
	hours := func(h int) config.Duration { return config.Duration{Duration: time.Duration(h) * time.Hour} }
	return &Args{
		Role: config.RolePrimary, Region: "eu-west-1", Account: pulumimock.Account, Partition: "aws",
		ClusterName: clusterName,
		Network:     config.Network{CIDR: "10.10.0.0/16", AZs: []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, NATGateways: config.NATPerAZ},
		Cluster: config.Cluster{
			Version: "1.35", InstanceType: "m6i.xlarge", AMIType: "AL2023_x86_64_STANDARD", RootVolumeSize: 50,
			MinSize: 2, DesiredSize: 2, MaxSize: 8, FailoverMinSize: 3, FailoverDesiredSize: 4, FailoverMaxSize: 9,
			Scale: config.ScaleNormal, EndpointPublicAccess: true, EndpointPrivateAccess: true,
			PublicAccessCIDRs: []string{"198.51.100.0/24"}, NodePort: 30080,
		},
		Access: config.Access{OperatorRoleArns: []string{oncall, oncall2}, PreviewRoleArn: preview},
		Logs:   config.Logs{RetentionDays: 90},
		Database: DatabaseArgs{
			Database: config.Database{
				Mode: mode, EngineVersion: "17", AutoMinorVersionUpgrade: true, InstanceClass: "db.r6g.xlarge",
				AllocatedStorage: 200, MaxAllocatedStorage: 1000, MultiAZ: true, ReplicaMultiAZ: false,
				BackupRetentionDays: 14, BackupWindow: "02:00-03:00", Name: "taskflow", Username: "taskflow_admin", Port: 5432,
				CreateTimeout: hours(6), UpdateTimeout: hours(5), DeleteTimeout: hours(2),
			},
			InstanceClass:   pulumi.String("db.r6g.xlarge"),
			OwnsCredentials: true,
		},
		OwnsRepositories: true,
		HealthCheckPath:  "/healthz",
		CertificateArn:   pulumi.String(certificate),
	}
}

func replicaArgs() *Args {
	a := regionArgs(config.ModeReplica)
	a.Database.ReplicateSourceArn = pulumi.String(writerArn)
	return a
}

// regionRun is one region built alone and its outputs, resolved.
type regionRun struct {
	m      *pulumimock.Recorder
	out    map[string]any
	secret map[string]bool
}

// build stamps the region with the providers the program passes: the
// stack's AWS provider, eks and random.
func build(t *testing.T, args *Args) (regionRun, error) {
	t.Helper()
	r := regionRun{m: pulumimock.New("primary", args.Region, nil), out: map[string]any{}, secret: map[string]bool{}}
	err := r.m.Run(nil, func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws-"+args.Region, &aws.ProviderArgs{Region: pulumi.String(args.Region)})
		if err != nil {
			return err
		}
		e, err := eks.NewProvider(ctx, "eks", nil)
		if err != nil {
			return err
		}
		rnd, err := random.NewProvider(ctx, "random", nil)
		if err != nil {
			return err
		}
		reg, err := New(ctx, "taskflow", args, pulumi.Providers(p, e, rnd))
		if err != nil {
			return err
		}
		for k, v := range map[string]pulumi.Input{
			"nodeGroupName": reg.NodeGroupName, "nodeGroupUrn": reg.NodeGroupUrn, "kubeconfig": reg.Kubeconfig,
			"dbInstanceId": reg.DbInstanceId, "dbEndpoint": reg.DbEndpoint, "dbPort": reg.DbPort,
			"dbReplicationSource": reg.DbReplicationSource, "dbMasterPassword": reg.DbMasterPassword, "dbInstanceUrn": reg.DbInstanceUrn,
			"repositoryUrl": reg.RepositoryUrl, "agentRepositoryUrl": reg.AgentRepositoryUrl, "registryId": reg.RegistryId,
			"albArnSuffix": reg.AlbArnSuffix, "targetGroupArnSuffix": reg.TargetGroupArnSuffix, "accessLogsBucket": reg.AccessLogsBucket,
		} {
			res, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.ToOutput(v))
			if err != nil {
				return err
			}
			r.out[k], r.secret[k] = res.Value, res.Secret
		}
		return nil
	})
	return r, err
}

func mustBuild(t *testing.T, args *Args) regionRun {
	t.Helper()
	r, err := build(t, args)
	require.NoError(t, err)
	return r
}

// TestSubnetLayout: three private quarters for pods (the VPC CNI gives
// every pod an address from the node's subnet), three public sixteenths in
// the last quarter; none overlaps, all inside the VPC.
func TestSubnetLayout(t *testing.T) {
	for _, tc := range []struct {
		vpc             string
		public, private [3]string
	}{
		{"10.10.0.0/16", [3]string{"10.10.192.0/20", "10.10.208.0/20", "10.10.224.0/20"}, [3]string{"10.10.0.0/18", "10.10.64.0/18", "10.10.128.0/18"}},
		{"10.20.0.0/20", [3]string{"10.20.12.0/24", "10.20.13.0/24", "10.20.14.0/24"}, [3]string{"10.20.0.0/22", "10.20.4.0/22", "10.20.8.0/22"}},
		// Host bits in the configured range are ignored.
		{"172.16.5.0/16", [3]string{"172.16.192.0/20", "172.16.208.0/20", "172.16.224.0/20"}, [3]string{"172.16.0.0/18", "172.16.64.0/18", "172.16.128.0/18"}},
	} {
		vpc := netip.MustParsePrefix(tc.vpc)
		public, private, err := SubnetLayout(vpc)
		require.NoError(t, err, tc.vpc)
		var all []netip.Prefix
		for i := range 3 {
			assert.Equal(t, tc.public[i], public[i].String(), "%s public %d", tc.vpc, i)
			assert.Equal(t, tc.private[i], private[i].String(), "%s private %d", tc.vpc, i)
			all = append(all, public[i], private[i])
		}
		for i, a := range all {
			assert.True(t, vpc.Masked().Contains(a.Addr()) && a.Bits() >= vpc.Bits(), "%s inside %s", a, vpc)
			for _, b := range all[i+1:] {
				assert.False(t, a.Overlaps(b), "%s overlaps %s", a, b)
			}
		}
	}
	// A subnet can be no smaller than /28
	// (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
	_, _, err := SubnetLayout(netip.MustParsePrefix("10.0.0.0/25"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too small")
	_, _, err = SubnetLayout(netip.MustParsePrefix("10.0.0.0/24"))
	assert.NoError(t, err, "a /24 still yields /28 public subnets")
}

// TestNetworkFollowsTheLayout: one public and one private subnet per AZ on
// the layout's ranges, tagged for load balancers
// (https://docs.aws.amazon.com/eks/latest/userguide/network-load-balancing.html:
// kubernetes.io/role/elb on public, kubernetes.io/role/internal-elb on
// private subnets), and each private subnet routed through a NAT gateway in
// its own AZ, or all through one when configured single.
func TestNetworkFollowsTheLayout(t *testing.T) {
	r := mustBuild(t, regionArgs(config.ModeWriter))
	m := r.m
	public, private, err := SubnetLayout(netip.MustParsePrefix("10.10.0.0/16"))
	require.NoError(t, err)
	subnetOf := map[string]string{} // subnet ID -> AZ suffix
	for i, suffix := range []string{"a", "b", "c"} {
		pub := m.Named(t, "aws:ec2/subnet:Subnet", "taskflow-public-"+suffix)
		priv := m.Named(t, "aws:ec2/subnet:Subnet", "taskflow-private-"+suffix)
		assert.Equal(t, public[i].String(), pub.Inputs["cidrBlock"].StringValue())
		assert.Equal(t, private[i].String(), priv.Inputs["cidrBlock"].StringValue())
		assert.Equal(t, "eu-west-1"+suffix, pub.Inputs["availabilityZone"].StringValue())
		assert.Equal(t, "eu-west-1"+suffix, priv.Inputs["availabilityZone"].StringValue())
		assert.Equal(t, "1", pub.Inputs["tags"].ObjectValue()["kubernetes.io/role/elb"].StringValue())
		assert.Equal(t, "1", priv.Inputs["tags"].ObjectValue()["kubernetes.io/role/internal-elb"].StringValue())
		subnetOf[pub.ID], subnetOf[priv.ID] = suffix, suffix
	}
	natAZ := map[string]string{} // NAT ID -> AZ of its public subnet
	for _, nat := range m.ByType("aws:ec2/natGateway:NatGateway") {
		natAZ[nat.ID] = subnetOf[nat.Inputs["subnetId"].StringValue()]
	}
	assert.Len(t, natAZ, 3, "one NAT gateway per AZ")
	routeAZ := map[string]string{} // private route table ID -> NAT's AZ
	for _, rt := range m.ByType("aws:ec2/routeTable:RouteTable") {
		route := rt.Inputs["routes"].ArrayValue()[0].ObjectValue()
		assert.Equal(t, "0.0.0.0/0", route["cidrBlock"].StringValue())
		if nat, ok := route["natGatewayId"]; ok {
			routeAZ[rt.ID] = natAZ[nat.StringValue()]
		}
	}
	for _, a := range m.ByType("aws:ec2/routeTableAssociation:RouteTableAssociation") {
		az, private := routeAZ[a.Inputs["routeTableId"].StringValue()]
		if private {
			assert.Equal(t, subnetOf[a.Inputs["subnetId"].StringValue()], az, "a private subnet leaves through the NAT of its own AZ")
		}
	}
	assert.Len(t, routeAZ, 3)

	single := regionArgs(config.ModeWriter)
	single.Network.NATGateways = config.NATSingle
	s := mustBuild(t, single)
	nats := s.m.ByType("aws:ec2/natGateway:NatGateway")
	require.Len(t, nats, 1)
	for _, rt := range s.m.ByType("aws:ec2/routeTable:RouteTable") {
		if nat, ok := rt.Inputs["routes"].ArrayValue()[0].ObjectValue()["natGatewayId"]; ok {
			assert.Equal(t, nats[0].ID, nat.StringValue())
		}
	}
}

// TestLaunchTemplate: the managed nodes boot AL2023 from EKS's own AMI (no
// image in the template, so EKS bootstraps them:
// https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html),
// require IMDSv2 with a hop limit of 1 so pods cannot reach the node
// role's credentials
// (https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html#_restrict_access_to_the_instance_profile_assigned_to_the_worker_node),
// have an encrypted gp3 root volume on AL2023's root device
// (pulumi-eks@v2.8.1:nodejs/eks/nodegroup.ts, createMNGCustomLaunchTemplate),
// and name both our node security group and the cluster security group:
// security groups in a launch template replace the one EKS would add
// (same launch-templates page).
func TestLaunchTemplate(t *testing.T) {
	r := mustBuild(t, regionArgs(config.ModeWriter))
	lt := r.m.One(t, "aws:ec2/launchTemplate:LaunchTemplate")
	in := lt.Inputs
	md := in["metadataOptions"].ObjectValue()
	assert.Equal(t, "enabled", md["httpEndpoint"].StringValue())
	assert.Equal(t, "required", md["httpTokens"].StringValue())
	assert.Equal(t, 1.0, md["httpPutResponseHopLimit"].NumberValue())
	for _, k := range []resource.PropertyKey{"imageId", "userData", "instanceType"} {
		assert.NotContains(t, in, k, "EKS chooses and bootstraps the AMI; the node group names the instance type")
	}
	bdm := in["blockDeviceMappings"].ArrayValue()
	require.Len(t, bdm, 1)
	assert.Equal(t, "/dev/xvda", bdm[0].ObjectValue()["deviceName"].StringValue())
	ebs := bdm[0].ObjectValue()["ebs"].ObjectValue()
	assert.Equal(t, "gp3", ebs["volumeType"].StringValue())
	assert.Equal(t, "true", ebs["encrypted"].StringValue())
	assert.Equal(t, 50.0, ebs["volumeSize"].NumberValue())
	assert.NotContains(t, ebs, resource.PropertyKey("kmsKeyId"), "the account's EBS key: a customer key needs the Auto Scaling service-linked role in its policy")
	nodes := r.m.Named(t, "aws:ec2/securityGroup:SecurityGroup", "taskflow-nodes")
	assert.Equal(t, []string{nodes.ID, "sg-eks-cluster-mock"}, pulumimock.Strings(in["vpcSecurityGroupIds"]))

	ng := r.m.One(t, "eks:index:ManagedNodeGroup").Inputs
	tmpl := ng["launchTemplate"].ObjectValue()
	assert.Equal(t, lt.ID, tmpl["id"].StringValue())
	assert.Equal(t, "1", tmpl["version"].StringValue(), "the template's latest version")
	assert.Equal(t, "AL2023_x86_64_STANDARD", ng["amiType"].StringValue())
}

// TestManagedNodeGroupSizes: the node group runs the normal sizes, or the
// failover ones when cluster.scale says so, in the private subnets, under
// the pinned name the runbook's update-nodegroup-config uses.
func TestManagedNodeGroupSizes(t *testing.T) {
	for _, tc := range []struct {
		scale         config.NodeScale
		min, des, max float64
	}{{config.ScaleNormal, 2, 2, 8}, {config.ScaleFailover, 3, 4, 9}} {
		args := regionArgs(config.ModeWriter)
		args.Cluster.Scale = tc.scale
		r := mustBuild(t, args)
		ng := r.m.One(t, "eks:index:ManagedNodeGroup")
		sc := ng.Inputs["scalingConfig"].ObjectValue()
		assert.Equal(t, tc.min, sc["minSize"].NumberValue(), tc.scale)
		assert.Equal(t, tc.des, sc["desiredSize"].NumberValue(), tc.scale)
		assert.Equal(t, tc.max, sc["maxSize"].NumberValue(), tc.scale)
		assert.Equal(t, clusterName+"-nodes", ng.Inputs["nodeGroupName"].StringValue())
		assert.Equal(t, []string{"m6i.xlarge"}, pulumimock.Strings(ng.Inputs["instanceTypes"]))
		var private []string
		for _, s := range []string{"a", "b", "c"} {
			private = append(private, r.m.Named(t, "aws:ec2/subnet:Subnet", "taskflow-private-"+s).ID)
		}
		assert.Equal(t, private, pulumimock.Strings(ng.Inputs["subnetIds"]))
		assert.True(t, strings.HasSuffix(ng.Parent, "::taskflow"), "a child of the region")
		assert.Equal(t, clusterName+"-nodes", r.out["nodeGroupName"], "the name EKS holds, for update-nodegroup-config")
		assert.Contains(t, r.out["nodeGroupUrn"], "aws:eks/nodeGroup:NodeGroup", "the URN of the node group, for pulumi refresh --target")
	}
}

// TestAccessEntries: every operator role is cluster admin and the CI
// preview role reads only, through EKS access entries
// (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html),
// not the creator's implicit admin (authenticationMode API). The entries are
// our own aws.eks AccessEntry/AccessPolicyAssociation resources, never
// pulumi-eks's accessEntries: pulumi-eks v2.8.1's Go SDK cannot read the
// cluster's core once it made one (pulumi/pulumi-eks#1435, fixed only in v3).
func TestAccessEntries(t *testing.T) {
	r := mustBuild(t, regionArgs(config.ModeWriter))
	c := r.m.One(t, "eks:index:Cluster").Inputs
	assert.Equal(t, "API", c["authenticationMode"].StringValue())
	assert.True(t, c["skipDefaultNodeGroup"].BoolValue())
	assert.NotContains(t, c, resource.PropertyKey("accessEntries"), "pulumi-eks#1435")

	entries := map[string]resource.PropertyMap{}
	for _, e := range r.m.ByType("aws:eks/accessEntry:AccessEntry") {
		entries[e.Name] = e.Inputs
	}
	policies := map[string]resource.PropertyMap{}
	for _, p := range r.m.ByType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation") {
		policies[p.Name] = p.Inputs
	}
	require.Len(t, entries, 3)
	require.Len(t, policies, 3)
	for part, want := range map[string][2]string{
		"operator-0": {oncall, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"},
		"operator-1": {oncall2, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"},
		"preview":    {preview, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"},
	} {
		e, ok := entries["taskflow-"+part]
		require.True(t, ok, part)
		assert.Equal(t, want[0], e["principalArn"].StringValue(), part)
		assert.Equal(t, "STANDARD", e["type"].StringValue(), part)
		assert.Equal(t, clusterName, e["clusterName"].StringValue(), part)
		p, ok := policies["taskflow-"+part+"-policy"]
		require.True(t, ok, part)
		assert.Equal(t, want[0], p["principalArn"].StringValue(), part)
		assert.Equal(t, want[1], p["policyArn"].StringValue(), part)
		assert.Equal(t, "cluster", p["accessScope"].ObjectValue()["type"].StringValue(), part)
	}
	// pulumi-eks's own Kubernetes calls assume the first operator role.
	assert.Equal(t, oncall, c["providerCredentialOpts"].ObjectValue()["roleArn"].StringValue())
	assert.Equal(t, []string{"198.51.100.0/24"}, pulumimock.Strings(c["publicAccessCidrs"]))

	noPreview := regionArgs(config.ModeWriter)
	noPreview.Access.PreviewRoleArn = ""
	noPreview.Cluster.EndpointPublicAccess = false
	n := mustBuild(t, noPreview)
	assert.Len(t, n.m.ByType("aws:eks/accessEntry:AccessEntry"), 2, "no preview entry without a preview role")
	assert.NotContains(t, n.m.One(t, "eks:index:Cluster").Inputs, resource.PropertyKey("publicAccessCidrs"), "a private endpoint names no public CIDRs")
}

// TestKubeconfigAssumesTheOperatorRoleInItsRegion: the token command names
// the cluster's region and the operator role, so it works from any shell
// and for any engineer allowed to assume the role (aws eks get-token
// --region/--role-arn: https://awscli.amazonaws.com/v2/documentation/api/latest/reference/eks/get-token.html).
func TestKubeconfigAssumesTheOperatorRoleInItsRegion(t *testing.T) {
	r := mustBuild(t, regionArgs(config.ModeWriter))
	assert.True(t, r.secret["kubeconfig"], "the kubeconfig is a secret output")
	var kc struct {
		Clusters []struct {
			Cluster map[string]string `json:"cluster"`
		} `json:"clusters"`
		Users []struct {
			User struct {
				Exec struct {
					Command string   `json:"command"`
					Args    []string `json:"args"`
				} `json:"exec"`
			} `json:"user"`
		} `json:"users"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.out["kubeconfig"].(string)), &kc))
	require.Len(t, kc.Users, 1)
	assert.Equal(t, "aws", kc.Users[0].User.Exec.Command)
	assert.Equal(t, []string{"eks", "get-token", "--cluster-name", clusterName, "--region", "eu-west-1", "--role-arn", oncall, "--output", "json"},
		kc.Users[0].User.Exec.Args)
	require.Len(t, kc.Clusters, 1)
	assert.Equal(t, "https://"+clusterName+".eks.amazonaws.com", kc.Clusters[0].Cluster["server"])
	assert.Equal(t, "Q0EtREFUQQ==", kc.Clusters[0].Cluster["certificate-authority-data"])
}

// dbOf is the one RDS instance of a run.
func dbOf(t *testing.T, r regionRun) *pulumimock.Registered {
	t.Helper()
	return r.m.One(t, "aws:rds/instance:Instance")
}

// TestDatabaseWriter: a writer has its name, user and generated password
// (as a secret), and takes a final snapshot of a name drawn per rebuild, so
// a second failback never hits DBSnapshotAlreadyExists.
func TestDatabaseWriter(t *testing.T) {
	r := mustBuild(t, regionArgs(config.ModeWriter))
	db := dbOf(t, r)
	in := db.Inputs
	assert.Equal(t, clusterName+"-db", in["identifier"].StringValue())
	assert.Equal(t, "taskflow", in["dbName"].StringValue())
	assert.Equal(t, "taskflow_admin", in["username"].StringValue())
	require.True(t, in["password"].IsSecret())
	pw := r.m.One(t, "random:index/randomPassword:RandomPassword")
	assert.Equal(t, pw.Outputs["result"].StringValue(), in["password"].SecretValue().Element.StringValue())
	assert.NotContains(t, pw.Inputs["overrideSpecial"].StringValue(), "/", "RDS refuses / @ \" and space in a master password")
	assert.NotContains(t, pw.Inputs["overrideSpecial"].StringValue(), "@")
	assert.True(t, r.secret["dbMasterPassword"])
	assert.Equal(t, pw.Outputs["result"].StringValue(), r.out["dbMasterPassword"])
	assert.NotContains(t, in, resource.PropertyKey("replicateSourceDb"))
	assert.False(t, in["skipFinalSnapshot"].BoolValue())
	suffix := r.m.One(t, "random:index/randomId:RandomId")
	assert.Equal(t, "false", suffix.Inputs["keepers"].ObjectValue()["rebuild"].StringValue(), "a new suffix whenever database.rebuild changes")
	assert.Equal(t, clusterName+"-db-final-"+suffix.Outputs["hex"].StringValue(), in["finalSnapshotIdentifier"].StringValue())
	assert.True(t, in["multiAz"].BoolValue())
	assert.Equal(t, "02:00-03:00", in["backupWindow"].StringValue())
	assert.Equal(t, 14.0, in["backupRetentionPeriod"].NumberValue())
	assert.Equal(t, "", r.out["dbReplicationSource"])
	assertDatabaseLifecycle(t, r, true)
}

// TestDatabaseReplica: a replica follows the peer's writer by ARN and
// carries none of the writer-only inputs. RDS refuses a final snapshot
// identifier when deleting a read replica ("Must not be provided when
// deleting a read replica": pulumi-aws@v6.83.4:sdk/go/aws/rds/instance.go:527;
// hashicorp/terraform-provider-aws#4276), so it skips the final snapshot.
// dbName and username "Cannot be specified for a replica"
// (pulumi-aws@v6.83.4:sdk/go/aws/rds/instance.go:486, 668).
func TestDatabaseReplica(t *testing.T) {
	r := mustBuild(t, replicaArgs())
	db := dbOf(t, r)
	in := db.Inputs
	assert.Equal(t, writerArn, in["replicateSourceDb"].StringValue())
	assert.True(t, in["skipFinalSnapshot"].BoolValue())
	for _, k := range []resource.PropertyKey{"finalSnapshotIdentifier", "dbName", "username", "password"} {
		assert.NotContains(t, in, k)
	}
	assert.Empty(t, r.m.ByType("random:index/randomId:RandomId"), "no final snapshot, no suffix")
	assert.False(t, in["multiAz"].BoolValue(), "replicaMultiAz: the replica stays single-AZ")
	assert.Equal(t, writerArn, r.out["dbReplicationSource"])
	// The primary keeps owning the credentials while its database is a
	// replica (failback): the password keeps its value for the next writer.
	assert.Len(t, r.m.ByType("random:index/randomPassword:RandomPassword"), 1)
	assertDatabaseLifecycle(t, r, true)

	missing := regionArgs(config.ModeReplica)
	_, err := build(t, missing)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "replica mode needs the peer writer's ARN")
}

// TestDatabaseWriterWithoutCredentials: the standby promoted to writer
// makes no password of its own (the primary owns the credentials) and sends
// none: the promoted replica keeps its writer's.
func TestDatabaseWriterWithoutCredentials(t *testing.T) {
	args := regionArgs(config.ModeWriter)
	args.Database.OwnsCredentials = false
	r := mustBuild(t, args)
	assert.Empty(t, r.m.ByType("random:index/randomPassword:RandomPassword"))
	assert.NotContains(t, dbOf(t, r).Inputs, resource.PropertyKey("password"))
	assert.True(t, r.secret["dbMasterPassword"], "still a secret output, empty")
	assert.Equal(t, "", r.out["dbMasterPassword"])
}

// TestRebuildAloneLiftsTheProtections: only database.rebuild lifts
// `protect` and deletion protection, and it draws a new final-snapshot
// suffix.
func TestRebuildAloneLiftsTheProtections(t *testing.T) {
	for _, mode := range []config.DatabaseMode{config.ModeWriter, config.ModeReplica} {
		args := replicaArgs()
		args.Database.Mode = mode
		args.Database.Rebuild = true
		r := mustBuild(t, args)
		assertDatabaseLifecycle(t, r, false)
		if mode == config.ModeWriter {
			assert.Equal(t, "true", r.m.One(t, "random:index/randomId:RandomId").Inputs["keepers"].ObjectValue()["rebuild"].StringValue())
		}
	}
}

// assertDatabaseLifecycle: the options every database carries.
//   - ignoreChanges on the writer-only inputs, so the failover's reconcile
//     of a promoted replica is an update, never a replacement; the engine
//     builds a --replace from the program's inputs, not from ignored
//     values (pulumi/pulumi@v3.274.1:pkg/resource/deploy/step_generator.go:1421-1428);
//   - DeleteBeforeReplace: the pinned identifier cannot exist twice;
//   - custom timeouts from config, past the provider's 40/80 minute
//     defaults;
//   - protect and deletion protection unless rebuilding;
//   - the log group first, with its retention and key (RDS would create it
//     without either:
//     https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html).
func assertDatabaseLifecycle(t *testing.T, r regionRun, protected bool) {
	t.Helper()
	db := dbOf(t, r)
	assert.ElementsMatch(t, []string{"dbName", "username", "password"}, db.IgnoreChanges)
	assert.True(t, db.DeleteBeforeReplace)
	assert.Equal(t, [3]string{"6h", "5h", "2h"}, db.Timeouts)
	assert.Equal(t, protected, db.Protect)
	assert.Equal(t, protected, db.Inputs["deletionProtection"].BoolValue())
	logs := r.m.Named(t, "aws:cloudwatch/logGroup:LogGroup", "taskflow-db-logs")
	assert.Equal(t, "/aws/rds/instance/"+clusterName+"-db/postgresql", logs.Inputs["name"].StringValue())
	dependsOnLogs := false
	for _, d := range db.Dependencies {
		dependsOnLogs = dependsOnLogs || strings.HasSuffix(d, "::taskflow-db-logs")
	}
	assert.True(t, dependsOnLogs, "the log group exists before RDS exports to it")
	assert.Equal(t, "postgres17", r.m.One(t, "aws:rds/parameterGroup:ParameterGroup").Inputs["family"].StringValue())
	assert.Equal(t, string(db.ID)+".cmock.eu-west-1.rds.amazonaws.com:5432", r.out["dbEndpoint"])
	assert.Equal(t, clusterName+"-db", r.out["dbInstanceId"])
	assert.Contains(t, r.out["dbInstanceUrn"], "aws:rds/instance:Instance::taskflow-db")
}

// TestTargetGroupReachesEveryNode: the ALB's instance target group is
// attached to the Auto Scaling group EKS made for the managed node group,
// so every node, including those a failover scale-up adds, is registered
// as it launches
// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/attach-load-balancer-asg.html),
// on TaskFlow's NodePort, which only the ALB may reach.
func TestTargetGroupReachesEveryNode(t *testing.T) {
	r := mustBuild(t, regionArgs(config.ModeWriter))
	m := r.m
	tg := m.One(t, "aws:lb/targetGroup:TargetGroup")
	assert.Equal(t, "instance", tg.Inputs["targetType"].StringValue())
	assert.Equal(t, 30080.0, tg.Inputs["port"].NumberValue())
	assert.Equal(t, "/healthz", tg.Inputs["healthCheck"].ObjectValue()["path"].StringValue())
	att := m.One(t, "aws:autoscaling/attachment:Attachment")
	assert.Equal(t, "eks-taskflow-dr-primary-nodes-mock", att.Inputs["autoscalingGroupName"].StringValue(),
		"the managed node group's own Auto Scaling group")
	assert.Equal(t, tg.Outputs["arn"].StringValue(), att.Inputs["lbTargetGroupArn"].StringValue())

	nodes := m.Named(t, "aws:ec2/securityGroup:SecurityGroup", "taskflow-nodes")
	alb := m.Named(t, "aws:ec2/securityGroup:SecurityGroup", "taskflow-alb-sg")
	egress := alb.Inputs["egress"].ArrayValue()
	require.Len(t, egress, 1)
	assert.Equal(t, 30080.0, egress[0].ObjectValue()["fromPort"].NumberValue())
	assert.Equal(t, []string{nodes.ID}, pulumimock.Strings(egress[0].ObjectValue()["securityGroups"]))
	rule := m.One(t, "aws:ec2/securityGroupRule:SecurityGroupRule").Inputs
	assert.Equal(t, nodes.ID, rule["securityGroupId"].StringValue())
	assert.Equal(t, alb.ID, rule["sourceSecurityGroupId"].StringValue())
	assert.Equal(t, 30080.0, rule["fromPort"].NumberValue())
	assert.Equal(t, 30080.0, rule["toPort"].NumberValue())

	var https, http resource.PropertyMap
	for _, l := range m.ByType("aws:lb/listener:Listener") {
		switch l.Inputs["protocol"].StringValue() {
		case "HTTPS":
			https = l.Inputs
		case "HTTP":
			http = l.Inputs
		}
	}
	require.NotNil(t, https)
	require.NotNil(t, http)
	assert.Equal(t, certificate, https["certificateArn"].StringValue(), "the validated certificate")
	assert.Equal(t, TLSPolicy, https["sslPolicy"].StringValue())
	assert.Equal(t, tg.Outputs["arn"].StringValue(), https["defaultActions"].ArrayValue()[0].ObjectValue()["targetGroupArn"].StringValue())
	redirect := http["defaultActions"].ArrayValue()[0].ObjectValue()["redirect"].ObjectValue()
	assert.Equal(t, "HTTPS", redirect["protocol"].StringValue())
	assert.Equal(t, "HTTP_301", redirect["statusCode"].StringValue())
	assert.Equal(t, "app/"+AlbName(clusterName)+"/0123456789abcdef", r.out["albArnSuffix"])
	assert.Equal(t, tg.Outputs["arnSuffix"].StringValue(), r.out["targetGroupArnSuffix"])
}

// TestAccessLogBucketPolicy: in regions that predate August 2022 Elastic
// Load Balancing delivers access logs as its regional account, elsewhere
// as the log-delivery service principal
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy:
// 156460612806 for eu-west-1, 054676820928 for eu-central-1), under
// <prefix>/AWSLogs/<account>/; everything without TLS is refused.
func TestAccessLogBucketPolicy(t *testing.T) {
	const bucket = "arn:aws:s3:::logs"
	principal := func(region string) any {
		s, err := AccessLogBucketPolicy("aws", region, pulumimock.Account, bucket).JSON()
		require.NoError(t, err)
		var doc struct{ Statement []map[string]any }
		require.NoError(t, json.Unmarshal([]byte(s), &doc))
		require.Len(t, doc.Statement, 2)
		deliver, tls := doc.Statement[0], doc.Statement[1]
		assert.Equal(t, "s3:PutObject", deliver["Action"])
		assert.Equal(t, bucket+"/alb/AWSLogs/123456789012/*", deliver["Resource"])
		assert.Equal(t, "Deny", tls["Effect"])
		assert.Equal(t, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}, tls["Condition"])
		assert.ElementsMatch(t, []any{bucket, bucket + "/*"}, tls["Resource"])
		return deliver["Principal"]
	}
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::156460612806:root"}, principal("eu-west-1"))
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::054676820928:root"}, principal("eu-central-1"))
	assert.Equal(t, map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}, principal("eu-south-2"), "a region opened after August 2022")

	// In the component: the policy is on the region's bucket, and the ALB
	// is created after it (ELB checks that it may write when access logs
	// are enabled: same page).
	r := mustBuild(t, regionArgs(config.ModeWriter))
	b := r.m.One(t, "aws:s3/bucketV2:BucketV2")
	want, err := AccessLogBucketPolicy("aws", "eu-west-1", pulumimock.Account, b.Outputs["arn"].StringValue()).JSON()
	require.NoError(t, err)
	assert.JSONEq(t, want, r.m.One(t, "aws:s3/bucketPolicy:BucketPolicy").Inputs["policy"].StringValue())
	lb := r.m.One(t, "aws:lb/loadBalancer:LoadBalancer")
	logs := lb.Inputs["accessLogs"].ObjectValue()
	assert.Equal(t, b.Outputs["bucket"].StringValue(), logs["bucket"].StringValue())
	assert.Equal(t, AccessLogPrefix, logs["prefix"].StringValue())
	afterPolicy := false
	for _, d := range lb.Dependencies {
		afterPolicy = afterPolicy || strings.HasSuffix(d, "::taskflow-alb-logs-policy")
	}
	assert.True(t, afterPolicy, "the ALB waits for the bucket policy")
	rule := r.m.One(t, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2").Inputs["rules"].ArrayValue()[0].ObjectValue()
	assert.Equal(t, AccessLogPrefix+"/", rule["filter"].ObjectValue()["prefix"].StringValue())
	assert.Equal(t, 90.0, rule["expiration"].ObjectValue()["days"].NumberValue())
	assert.Equal(t, b.Outputs["bucket"].StringValue(), r.out["accessLogsBucket"])
}

// TestRepositories: the owner creates both repositories (immutable tags,
// scan on push, the region's key); elsewhere the URLs point where
// replication creates them.
func TestRepositories(t *testing.T) {
	r := mustBuild(t, regionArgs(config.ModeWriter))
	key := r.m.Named(t, "aws:kms/key:Key", "taskflow-kms")
	repos := r.m.ByType("aws:ecr/repository:Repository")
	require.Len(t, repos, 2)
	for _, repo := range repos {
		assert.Equal(t, "IMMUTABLE", repo.Inputs["imageTagMutability"].StringValue())
		assert.True(t, repo.Inputs["imageScanningConfiguration"].ObjectValue()["scanOnPush"].BoolValue())
		enc := repo.Inputs["encryptionConfigurations"].ArrayValue()[0].ObjectValue()
		assert.Equal(t, "KMS", enc["encryptionType"].StringValue())
		assert.Equal(t, key.Outputs["arn"].StringValue(), enc["kmsKey"].StringValue())
	}
	assert.Equal(t, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/taskflow", r.out["repositoryUrl"])
	assert.Equal(t, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/taskflow-dr-agent", r.out["agentRepositoryUrl"])

	args := replicaArgs()
	args.Region, args.OwnsRepositories = "eu-central-1", false
	s := mustBuild(t, args)
	assert.Empty(t, s.m.ByType("aws:ecr/repository:Repository"))
	assert.Equal(t, "123456789012.dkr.ecr.eu-central-1.amazonaws.com/taskflow", s.out["repositoryUrl"])
	assert.Equal(t, "123456789012.dkr.ecr.eu-central-1.amazonaws.com/taskflow-dr-agent", s.out["agentRepositoryUrl"])
	assert.Equal(t, pulumimock.Account, s.out["registryId"])
}

// TestRepositoriesAreReplicated: both repositories' names start with the
// replication filter (PREFIX_MATCH matches names that start with it:
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RepositoryFilter.html),
// and carry the lifecycle policy replication's creation template gives
// their copies.
func TestRepositoriesAreReplicated(t *testing.T) {
	for _, name := range []string{RepositoryName, AgentRepositoryName} {
		assert.True(t, strings.HasPrefix(name, replication.RepositoryPrefix), "%s is replicated", name)
	}
	want, err := policy.ImageLifecycle()
	require.NoError(t, err)
	r := mustBuild(t, regionArgs(config.ModeWriter))
	lifecycles := r.m.ByType("aws:ecr/lifecyclePolicy:LifecyclePolicy")
	require.Len(t, lifecycles, 2)
	for _, l := range lifecycles {
		assert.JSONEq(t, want, l.Inputs["policy"].StringValue())
	}
}

// TestChildrenInheritTheStacksProviders: every AWS resource of the region
// goes through the provider the caller passed, and the pulumi-eks
// components receive it too: the engine merges a parent component's
// providers into a child component's
// (pulumi/pulumi@v3.274.1:pkg/resource/deploy/source_eval.go:2708-2725).
func TestChildrenInheritTheStacksProviders(t *testing.T) {
	args := replicaArgs()
	args.Region = "eu-central-1"
	r := mustBuild(t, args)
	for _, res := range r.m.All() {
		if strings.HasPrefix(res.Type, "aws:") && res.Custom {
			assert.Equal(t, "eu-central-1", r.m.ProviderRegion(res), "%s %s", res.Type, res.Name)
		}
	}
	reg := r.m.One(t, "taskflow:dr:Region")
	for _, pkg := range []string{"aws", "eks", "random"} {
		assert.Contains(t, reg.Providers, pkg)
	}
	assert.Contains(t, reg.Providers["aws"], "::aws-eu-central-1::")
	assert.Contains(t, dbOf(t, r).Inputs["kmsKeyId"].StringValue(), ":eu-central-1:", "a cross-region replica uses a key of its own region")
}
