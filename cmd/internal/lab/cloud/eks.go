package cloud

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// EKS statuses (https://docs.aws.amazon.com/eks/latest/APIReference/API_Cluster.html,
// API_Nodegroup.html).
const (
	eksCreating = "CREATING"
	eksActive   = "ACTIVE"
	eksUpdating = "UPDATING"
	eksDeleting = "DELETING"
)

// defaultKubernetesVersion is the version a cluster gets when none is
// named: the lab's choice (the program always names one); EKS picks its
// current default (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).
const defaultKubernetesVersion = "1.34"

type eksState struct {
	clusters map[string]*eksCluster
}

func newEKSState() *eksState { return &eksState{clusters: map[string]*eksCluster{}} }

type eksCluster struct {
	region     string
	shape      EKSCluster
	nodegroups map[string]*nodegroup
	updates    map[string]*EKSUpdate
	kube       *kubeState
}

type nodegroup struct {
	shape     Nodegroup
	asgName   string
	instances []*instance
	updates   []string
}

// instance is an EC2 instance of a node group: a Kubernetes node once
// booted.
type instance struct {
	id, name, az string
	launched     time.Time
	terminating  time.Time // zero unless scaled in
}

func (c *Cloud) registerEKS() {
	register(c, "eks", "CreateCluster", false, c.eksCreateCluster)
	register(c, "eks", "DescribeCluster", false, c.eksDescribeCluster)
	register(c, "eks", "DeleteCluster", false, c.eksDeleteCluster)
	register(c, "eks", "CreateNodegroup", false, c.eksCreateNodegroup)
	register(c, "eks", "DescribeNodegroup", false, c.eksDescribeNodegroup)
	register(c, "eks", "UpdateNodegroupConfig", false, c.eksUpdateNodegroupConfig)
	register(c, "eks", "DeleteNodegroup", false, c.eksDeleteNodegroup)
	register(c, "eks", "ListNodegroups", false, c.eksListNodegroups)
	register(c, "eks", "DescribeUpdate", false, c.eksDescribeUpdate)
	c.registerKube()
}

func clusterNotFound(name string) *Error {
	return notFound("ResourceNotFoundException", "No cluster found for name: %s.", name)
}

func (c *Cloud) clusterLocked(region, name string) (*eksCluster, *Error) {
	cl, ok := c.regions[region].eks.clusters[name]
	if !ok {
		return nil, clusterNotFound(name)
	}
	return cl, nil
}

// clusterEndpoint is an EKS API server's URL:
// https://<32 hex>.<label>.<region>.eks.amazonaws.com
// (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html).
func clusterEndpoint(account, region, name string) string {
	sum := sha256.Sum256([]byte(account + region + name))
	return fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", strings.ToUpper(hex.EncodeToString(sum[:16])), region)
}

func (c *Cloud) eksCreateCluster(_ context.Context, region string, in *CreateClusterInput) (*ClusterOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	es := c.regions[region].eks
	name := *in.Name
	// Names: 1-100 letters, digits, hyphens, underscores, starting with a
	// letter or digit (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html).
	if len(name) > 100 || !identStart(name) {
		return nil, errorf("InvalidParameterException", "The cluster name %q is invalid.", name)
	}
	if _, ok := es.clusters[name]; ok {
		return nil, conflict("ResourceInUseException", "Cluster already exists with name: %s", name)
	}
	vpc := in.ResourcesVpcConfig
	if len(vpc.SubnetIds) < 2 {
		// "You must specify at least two subnets in different Availability
		// Zones" (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html).
		return nil, errorf("InvalidParameterException", "Subnets specified must be in at least two different AZs")
	}
	if m := deref(deref(in.AccessConfig).AuthenticationMode); m != "" && m != "CONFIG_MAP" && m != "API" && m != "API_AND_CONFIG_MAP" {
		return nil, errorf("InvalidParameterException", "Invalid authenticationMode %s", m)
	}
	version := deref(in.Version)
	if version == "" {
		version = defaultKubernetesVersion
	}
	now := time.Now()
	arn := fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", region, c.opts.Account, name)
	endpoint := clusterEndpoint(c.opts.Account, region, name)
	cl := &eksCluster{region: region, nodegroups: map[string]*nodegroup{}, updates: map[string]*EKSUpdate{}, kube: newKubeState()}
	access := AccessConfig{AuthenticationMode: ptr("CONFIG_MAP"), BootstrapClusterCreatorAdminPermissions: ptr(true)}
	if in.AccessConfig != nil {
		if in.AccessConfig.AuthenticationMode != nil {
			access.AuthenticationMode = in.AccessConfig.AuthenticationMode
		}
		if in.AccessConfig.BootstrapClusterCreatorAdminPermissions != nil {
			access.BootstrapClusterCreatorAdminPermissions = in.AccessConfig.BootstrapClusterCreatorAdminPermissions
		}
	}
	sum := sha256.Sum256([]byte(arn))
	oidcID := strings.ToUpper(hex.EncodeToString(sum[:16]))
	cl.shape = EKSCluster{
		Name: ptr(name), Arn: ptr(arn), CreatedAt: At(now), Version: ptr(version), RoleArn: in.RoleArn,
		ResourcesVpcConfig: &VpcConfigResponse{
			SubnetIds: slices.Clone(vpc.SubnetIds), SecurityGroupIds: nonNil(slices.Clone(vpc.SecurityGroupIds)),
			ClusterSecurityGroupId: ptr("sg-" + randomID(17)), VpcId: ptr("vpc-" + randomID(17)),
			EndpointPublicAccess:  ptr(vpc.EndpointPublicAccess == nil || *vpc.EndpointPublicAccess),
			EndpointPrivateAccess: ptr(deref(vpc.EndpointPrivateAccess)),
			PublicAccessCidrs:     nonNil(slices.Clone(vpc.PublicAccessCidrs)),
		},
		KubernetesNetworkConfig: &KubernetesNetworkConfig{ServiceIpv4Cidr: ptr("172.20.0.0/16"), IpFamily: ptr("ipv4")},
		Logging:                 in.Logging,
		Identity:                &Identity{Oidc: &OIDC{Issuer: ptr(fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", region, oidcID))}},
		Status:                  ptr(eksCreating),
		CertificateAuthority:    &Certificate{Data: ptr(base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nlab certificate authority of " + arn + "\n-----END CERTIFICATE-----\n")))},
		ClientRequestToken:      in.ClientRequestToken,
		PlatformVersion:         ptr("eks.1"),
		Tags:                    maps.Clone(in.Tags),
		EncryptionConfig:        in.EncryptionConfig,
		AccessConfig:            &access,
		UpgradePolicy:           orDefaultUpgrade(in.UpgradePolicy),
	}
	if len(cl.shape.ResourcesVpcConfig.PublicAccessCidrs) == 0 && deref(cl.shape.ResourcesVpcConfig.EndpointPublicAccess) {
		cl.shape.ResourcesVpcConfig.PublicAccessCidrs = []string{"0.0.0.0/0"}
	}
	if cl.shape.Logging == nil {
		cl.shape.Logging = &Logging{ClusterLogging: []LogSetup{{Types: []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}, Enabled: ptr(false)}}}
	}
	es.clusters[name] = cl
	c.logf("eks %s: creating cluster %s", region, name)
	c.afterLocked(c.timings.ClusterCreate, func() {
		if cur, ok := es.clusters[name]; ok && cur == cl && *cl.shape.Status == eksCreating {
			cl.shape.Status = ptr(eksActive)
			cl.shape.Endpoint = ptr(endpoint)
			c.logf("eks %s: cluster %s ACTIVE", region, name)
		}
	})
	return &ClusterOutput{Cluster: c.describeClusterLocked(cl)}, nil
}

func orDefaultUpgrade(p *UpgradePolicy) *UpgradePolicy {
	if p == nil || p.SupportType == nil {
		return &UpgradePolicy{SupportType: ptr("EXTENDED")}
	}
	return p
}

func identStart(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || (r != '-' && r != '_')) {
			return false
		}
	}
	return true
}

// afterLocked runs f under c.mu after the scaled AWS duration d.
func (c *Cloud) afterLocked(d time.Duration, f func()) {
	c.background(func(ctx context.Context) {
		if !sleep(ctx, c.scaled(d)) {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		f()
	})
}

func (c *Cloud) describeClusterLocked(cl *eksCluster) *EKSCluster {
	out := cl.shape
	out.Tags = maps.Clone(cl.shape.Tags)
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	return &out
}

func (c *Cloud) eksDescribeCluster(_ context.Context, region string, in *ClusterNameInput) (*ClusterOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.clusterLocked(region, *in.Name)
	if err != nil {
		return nil, err
	}
	return &ClusterOutput{Cluster: c.describeClusterLocked(cl)}, nil
}

func (c *Cloud) eksDeleteCluster(_ context.Context, region string, in *ClusterNameInput) (*ClusterOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.clusterLocked(region, *in.Name)
	if err != nil {
		return nil, err
	}
	// A cluster with node groups cannot be deleted
	// (https://docs.aws.amazon.com/eks/latest/APIReference/API_DeleteCluster.html:
	// "If you have managed node groups … you must delete them first").
	if len(cl.nodegroups) > 0 {
		return nil, conflict("ResourceInUseException", "Cluster has nodegroups attached")
	}
	if *cl.shape.Status == eksDeleting {
		return nil, conflict("ResourceInUseException", "Cluster %s is already being deleted", *in.Name)
	}
	cl.shape.Status = ptr(eksDeleting)
	name := *in.Name
	c.afterLocked(c.timings.ClusterDelete, func() {
		if cur, ok := c.regions[region].eks.clusters[name]; ok && cur == cl {
			delete(c.regions[region].eks.clusters, name)
			c.logf("eks %s: cluster %s deleted", region, name)
		}
	})
	return &ClusterOutput{Cluster: c.describeClusterLocked(cl)}, nil
}

// checkScaling applies NodegroupScalingConfig's rules: minSize ≥ 0,
// maxSize ≥ 1, desiredSize ≥ 0, minSize ≤ desiredSize ≤ maxSize
// (https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupScalingConfig.html);
// the messages as EKS words them (terraform-aws-modules/terraform-aws-eks#3306:
// "Minimum capacity 8 can't be greater than desired size 4";
// ministryofjustice/cloud-platform-infrastructure#4595: "desiredSize can't
// be greater than maxSize").
func checkScaling(s NodegroupScalingConfig) *Error {
	lo, hi, want := deref(s.MinSize), deref(s.MaxSize), deref(s.DesiredSize)
	switch {
	case lo < 0:
		return errorf("InvalidParameterException", "minSize can't be negative")
	case hi < 1:
		return errorf("InvalidParameterException", "maxSize must be at least 1")
	case want < 0:
		return errorf("InvalidParameterException", "desiredSize can't be negative")
	case lo > want:
		return errorf("InvalidParameterException", "Minimum capacity %d can't be greater than desired size %d", lo, want)
	case want > hi:
		return errorf("InvalidParameterException", "desiredSize can't be greater than maxSize")
	case lo > hi:
		return errorf("InvalidParameterException", "Minimum capacity %d can't be greater than max size %d", lo, hi)
	}
	return nil
}

func (c *Cloud) eksCreateNodegroup(_ context.Context, region string, in *CreateNodegroupInput) (*NodegroupOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.clusterLocked(region, *in.ClusterName)
	if err != nil {
		return nil, err
	}
	// Node groups join an ACTIVE cluster (InvalidRequestException: "The
	// request is invalid given the state of the cluster",
	// https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html#API_CreateNodegroup_Errors).
	if *cl.shape.Status != eksActive {
		return nil, errorf("InvalidRequestException", "Cluster '%s' is not in ACTIVE status", *in.ClusterName)
	}
	name := *in.NodegroupName
	if _, ok := cl.nodegroups[name]; ok {
		return nil, conflict("ResourceInUseException", "NodeGroup already exists with name %s and cluster name %s", name, *in.ClusterName)
	}
	// Without a scaling config the lab takes min 1, max 2, desired 2, the
	// EKS console's defaults (assumption: the API reference states none;
	// the providers always send one).
	scaling := NodegroupScalingConfig{MinSize: ptr(1), MaxSize: ptr(2), DesiredSize: ptr(2)}
	if s := in.ScalingConfig; s != nil {
		if s.MinSize != nil {
			scaling.MinSize = s.MinSize
		}
		if s.MaxSize != nil {
			scaling.MaxSize = s.MaxSize
		}
		if s.DesiredSize != nil {
			scaling.DesiredSize = s.DesiredSize
		}
	}
	if err := checkScaling(scaling); err != nil {
		return nil, err
	}
	update := NodegroupUpdateConfig{MaxUnavailable: ptr(1)}
	if in.UpdateConfig != nil {
		update = *in.UpdateConfig
		if u := deref(update.MaxUnavailable); update.MaxUnavailable != nil && (u < 1 || u > *scaling.MaxSize) {
			// terraform-provider-aws#26535 quotes EKS's message.
			return nil, errorf("InvalidParameterException", "max-unavailable must be within the range 1 and max size of the node group")
		}
	}
	// A launch template excludes the settings it carries
	// (https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html).
	if in.LaunchTemplate != nil && (in.DiskSize != nil || in.RemoteAccess != nil) {
		return nil, errorf("InvalidParameterException", "Disk size and remote access must be set in the launch template, not in the request, when a launch template is specified.")
	}
	if in.LaunchTemplate != nil && in.LaunchTemplate.Name == nil && in.LaunchTemplate.Id == nil {
		return nil, errorf("InvalidParameterException", "Either launch template ID or name must be specified")
	}
	now := time.Now()
	uid := newUUID()
	amiType := orDefault(in.AmiType, "AL2023_x86_64_STANDARD")
	ng := &nodegroup{asgName: "eks-" + name + "-" + uid}
	ng.shape = Nodegroup{
		NodegroupName: ptr(name), ClusterName: in.ClusterName,
		NodegroupArn:   ptr(fmt.Sprintf("arn:aws:eks:%s:%s:nodegroup/%s/%s/%s", region, c.opts.Account, *in.ClusterName, name, uid)),
		Version:        orDefault(in.Version, *cl.shape.Version),
		ReleaseVersion: orDefault(in.ReleaseVersion, *orDefault(in.Version, *cl.shape.Version)+".0-20261120"),
		CreatedAt:      At(now), ModifiedAt: At(now), Status: ptr(eksCreating),
		CapacityType: orDefault(in.CapacityType, "ON_DEMAND"), ScalingConfig: &scaling,
		InstanceTypes: in.InstanceTypes, Subnets: slices.Clone(in.Subnets), RemoteAccess: in.RemoteAccess,
		AmiType: amiType, NodeRole: in.NodeRole, Labels: maps.Clone(in.Labels), Taints: slices.Clone(in.Taints),
		Resources: &NodegroupResources{AutoScalingGroups: []AutoScalingGroupRef{{Name: ptr(ng.asgName)}}},
		DiskSize:  in.DiskSize, Health: &NodegroupHealth{Issues: []Issue{}}, UpdateConfig: &update,
		NodeRepairConfig: in.NodeRepairConfig, LaunchTemplate: in.LaunchTemplate, Tags: maps.Clone(in.Tags),
	}
	if in.LaunchTemplate == nil {
		if ng.shape.DiskSize == nil {
			ng.shape.DiskSize = ptr(20)
		}
		if len(ng.shape.InstanceTypes) == 0 {
			ng.shape.InstanceTypes = []string{"t3.medium"}
		}
	}
	cl.nodegroups[name] = ng
	c.resizeLocked(region, ng, *scaling.DesiredSize, now)
	c.logf("eks %s: creating node group %s/%s, %d nodes", region, *in.ClusterName, name, *scaling.DesiredSize)
	c.afterLocked(c.timings.NodegroupCreate, func() {
		if *ng.shape.Status == eksCreating {
			ng.shape.Status = ptr(eksActive)
			ng.shape.ModifiedAt = At(time.Now())
			c.logf("eks %s: node group %s ACTIVE", region, name)
		}
	})
	return &NodegroupOutput{Nodegroup: describeNodegroup(ng)}, nil
}

// resizeLocked launches or terminates instances to reach want, as the
// node group's Auto Scaling group does. New instances boot for NodeBoot;
// the newest are scaled in first.
func (c *Cloud) resizeLocked(region string, ng *nodegroup, want int, now time.Time) {
	var live []*instance
	for _, in := range ng.instances {
		if in.terminating.IsZero() {
			live = append(live, in)
		}
	}
	for len(live) < want {
		n := c.nextSeq()
		az := region + string(rune('a'+n%3))
		in := &instance{
			id:       fmt.Sprintf("i-%017x", n*7919+0x0abc),
			name:     fmt.Sprintf("ip-10-%d-%d-%d.%s.compute.internal", n%3, (n*37)%256, (n*101)%254+1, region),
			az:       az,
			launched: now,
		}
		ng.instances = append(ng.instances, in)
		live = append(live, in)
	}
	for i := len(live) - 1; i >= want; i-- {
		live[i].terminating = now
	}
	// Terminated instances leave the node list after NodeTerminate.
	ng.instances = slices.DeleteFunc(ng.instances, func(in *instance) bool {
		return !in.terminating.IsZero() && now.Sub(in.terminating) >= c.scaled(c.timings.NodeTerminate)
	})
}

func describeNodegroup(ng *nodegroup) *Nodegroup {
	out := ng.shape
	sc := *ng.shape.ScalingConfig
	out.ScalingConfig = &sc
	out.Labels = maps.Clone(ng.shape.Labels)
	out.Tags = maps.Clone(ng.shape.Tags)
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	return &out
}

func (c *Cloud) nodegroupLocked(region, cluster, name string) (*eksCluster, *nodegroup, *Error) {
	cl, err := c.clusterLocked(region, cluster)
	if err != nil {
		return nil, nil, err
	}
	ng, ok := cl.nodegroups[name]
	if !ok {
		return nil, nil, notFound("ResourceNotFoundException", "No node group found for name: %s.", name)
	}
	return cl, ng, nil
}

func (c *Cloud) eksDescribeNodegroup(_ context.Context, region string, in *NodegroupNameInput) (*NodegroupOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ng, err := c.nodegroupLocked(region, *in.ClusterName, *in.NodegroupName)
	if err != nil {
		return nil, err
	}
	return &NodegroupOutput{Nodegroup: describeNodegroup(ng)}, nil
}

func (c *Cloud) eksUpdateNodegroupConfig(_ context.Context, region string, in *UpdateNodegroupConfigInput) (*UpdateOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ng, err := c.nodegroupLocked(region, *in.ClusterName, *in.NodegroupName)
	if err != nil {
		return nil, err
	}
	// An update with nothing to change is refused (CAPA#3435 quotes EKS:
	// "InvalidParameterException: You cannot specify an empty request").
	if in.Labels == nil && in.Taints == nil && in.ScalingConfig == nil && in.UpdateConfig == nil && in.NodeRepairConfig == nil {
		return nil, errorf("InvalidParameterException", "You cannot specify an empty request")
	}
	// One update at a time: a node group that is not ACTIVE refuses with
	// ResourceInUseException
	// (https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupConfig.html#API_UpdateNodegroupConfig_Errors).
	if st := *ng.shape.Status; st != eksActive {
		return nil, conflict("ResourceInUseException", "Nodegroup %s is currently %s and cannot be updated until it is ACTIVE", *in.NodegroupName, st)
	}
	scaling := *ng.shape.ScalingConfig
	var params []UpdateParam
	if s := in.ScalingConfig; s != nil {
		if s.MinSize != nil {
			scaling.MinSize = s.MinSize
			params = append(params, UpdateParam{Type: ptr("MinSize"), Value: ptr(strconv.Itoa(*s.MinSize))})
		}
		if s.MaxSize != nil {
			scaling.MaxSize = s.MaxSize
			params = append(params, UpdateParam{Type: ptr("MaxSize"), Value: ptr(strconv.Itoa(*s.MaxSize))})
		}
		if s.DesiredSize != nil {
			scaling.DesiredSize = s.DesiredSize
			params = append(params, UpdateParam{Type: ptr("DesiredSize"), Value: ptr(strconv.Itoa(*s.DesiredSize))})
		}
		if err := checkScaling(scaling); err != nil {
			return nil, err
		}
	}
	if u := in.UpdateConfig; u != nil && u.MaxUnavailable != nil && (*u.MaxUnavailable < 1 || *u.MaxUnavailable > *scaling.MaxSize) {
		return nil, errorf("InvalidParameterException", "max-unavailable must be within the range 1 and max size of the node group")
	}
	now := time.Now()
	id := newUUID()
	update := &EKSUpdate{Id: ptr(id), Status: ptr("InProgress"), Type: ptr("ConfigUpdate"), Params: nonNil(params), CreatedAt: At(now), Errors: []ErrorDetail{}}
	cl.updates[id] = update
	ng.updates = append(ng.updates, id)
	ng.shape.Status = ptr(eksUpdating)
	ng.shape.ModifiedAt = At(now)
	// The Auto Scaling group takes the new sizes at once; the node group
	// reports the update done after NodegroupUpdate, with the instances
	// still booting.
	if in.ScalingConfig != nil {
		c.resizeLocked(region, ng, *scaling.DesiredSize, now)
	}
	c.logf("eks %s: node group %s updating to min %d desired %d max %d", region, *in.NodegroupName, *scaling.MinSize, *scaling.DesiredSize, *scaling.MaxSize)
	labels, taints, updateCfg, repair := in.Labels, in.Taints, in.UpdateConfig, in.NodeRepairConfig
	c.afterLocked(c.timings.NodegroupUpdate, func() {
		ng.shape.ScalingConfig = &scaling
		if labels != nil {
			if ng.shape.Labels == nil {
				ng.shape.Labels = map[string]string{}
			}
			maps.Copy(ng.shape.Labels, labels.AddOrUpdateLabels)
			for _, k := range labels.RemoveLabels {
				delete(ng.shape.Labels, k)
			}
		}
		if taints != nil {
			ng.shape.Taints = slices.DeleteFunc(ng.shape.Taints, func(t Taint) bool {
				return slices.ContainsFunc(taints.RemoveTaints, func(r Taint) bool { return deref(r.Key) == deref(t.Key) })
			})
			ng.shape.Taints = append(ng.shape.Taints, taints.AddOrUpdateTaints...)
		}
		if updateCfg != nil {
			ng.shape.UpdateConfig = updateCfg
		}
		if repair != nil {
			ng.shape.NodeRepairConfig = repair
		}
		if *ng.shape.Status == eksUpdating {
			ng.shape.Status = ptr(eksActive)
		}
		ng.shape.ModifiedAt = At(time.Now())
		update.Status = ptr("Successful")
		c.logf("eks %s: node group %s ACTIVE", region, *ng.shape.NodegroupName)
	})
	out := *update
	return &UpdateOutput{Update: &out}, nil
}

func (c *Cloud) eksDeleteNodegroup(_ context.Context, region string, in *NodegroupNameInput) (*NodegroupOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ng, err := c.nodegroupLocked(region, *in.ClusterName, *in.NodegroupName)
	if err != nil {
		return nil, err
	}
	if *ng.shape.Status == eksDeleting {
		return nil, conflict("ResourceInUseException", "Nodegroup %s is already being deleted", *in.NodegroupName)
	}
	ng.shape.Status = ptr(eksDeleting)
	c.resizeLocked(region, ng, 0, time.Now())
	name := *in.NodegroupName
	c.afterLocked(c.timings.NodegroupDelete, func() {
		if cur, ok := cl.nodegroups[name]; ok && cur == ng {
			delete(cl.nodegroups, name)
			c.logf("eks %s: node group %s deleted", region, name)
		}
	})
	return &NodegroupOutput{Nodegroup: describeNodegroup(ng)}, nil
}

func (c *Cloud) eksListNodegroups(_ context.Context, region string, in *ListNodegroupsInput) (*ListNodegroupsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.clusterLocked(region, *in.ClusterName)
	if err != nil {
		return nil, err
	}
	out := &ListNodegroupsOutput{Nodegroups: []string{}}
	for name := range cl.nodegroups {
		out.Nodegroups = append(out.Nodegroups, name)
	}
	sort.Strings(out.Nodegroups)
	return out, nil
}

func (c *Cloud) eksDescribeUpdate(_ context.Context, region string, in *DescribeUpdateInput) (*UpdateOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.clusterLocked(region, *in.Name)
	if err != nil {
		return nil, err
	}
	u, ok := cl.updates[*in.UpdateId]
	if !ok {
		return nil, notFound("ResourceNotFoundException", "No update found for ID: %s", *in.UpdateId)
	}
	out := *u
	return &UpdateOutput{Update: &out}, nil
}

// ClusterForEndpoint finds a cluster by its API server URL (what a
// kubeconfig written by `aws eks update-kubeconfig` names).
func (c *Cloud) ClusterForEndpoint(endpoint string) (region, name string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.regions {
		for _, cl := range r.eks.clusters {
			if deref(cl.shape.Endpoint) == endpoint {
				return r.name, *cl.shape.Name, true
			}
		}
	}
	return "", "", false
}
