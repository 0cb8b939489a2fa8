package aws

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
)

// eksCluster is EKS's Cluster shape
// (https://docs.aws.amazon.com/eks/latest/APIReference/API_Cluster.html).
type eksCluster struct {
	Name               string `json:"name"`
	Arn                string `json:"arn"`
	CreatedAt          any    `json:"createdAt"`
	Version            string `json:"version"`
	Endpoint           string `json:"endpoint"`
	RoleArn            string `json:"roleArn"`
	Status             string `json:"status"`
	PlatformVersion    string `json:"platformVersion"`
	ResourcesVpcConfig struct {
		SubnetIds              []string `json:"subnetIds"`
		SecurityGroupIds       []string `json:"securityGroupIds"`
		ClusterSecurityGroupID string   `json:"clusterSecurityGroupId"`
		VpcID                  string   `json:"vpcId"`
		EndpointPublicAccess   bool     `json:"endpointPublicAccess"`
		EndpointPrivateAccess  bool     `json:"endpointPrivateAccess"`
		PublicAccessCidrs      []string `json:"publicAccessCidrs"`
	} `json:"resourcesVpcConfig"`
	KubernetesNetworkConfig struct {
		ServiceIpv4Cidr string `json:"serviceIpv4Cidr"`
		ServiceIpv6Cidr string `json:"serviceIpv6Cidr"`
		IPFamily        string `json:"ipFamily"`
	} `json:"kubernetesNetworkConfig"`
	Identity struct {
		Oidc struct {
			Issuer string `json:"issuer"`
		} `json:"oidc"`
	} `json:"identity"`
	CertificateAuthority struct {
		Data string `json:"data"`
	} `json:"certificateAuthority"`
	AccessConfig struct {
		AuthenticationMode                      string `json:"authenticationMode"`
		BootstrapClusterCreatorAdminPermissions *bool  `json:"bootstrapClusterCreatorAdminPermissions"`
	} `json:"accessConfig"`
	Logging struct {
		ClusterLogging []struct {
			Types   []string `json:"types"`
			Enabled bool     `json:"enabled"`
		} `json:"clusterLogging"`
	} `json:"logging"`
	EncryptionConfig []struct {
		Resources []string `json:"resources"`
		Provider  struct {
			KeyArn string `json:"keyArn"`
		} `json:"provider"`
	} `json:"encryptionConfig"`
}

// Terraform's aws_eks_cluster timeouts: Create 30m, Update 60m, Delete 15m
// (internal/service/eks/cluster.go Timeouts).
const (
	eksCreateTimeout = 30 * time.Minute
	eksUpdateTimeout = 60 * time.Minute
	eksDeleteTimeout = 15 * time.Minute
)

func eksClusterType() *provider.Type {
	return &provider.Type{
		Token: "aws:eks/cluster:Cluster",
		// tfaws internal/service/eks/cluster.go: name, role_arn,
		// vpc_config.subnet_ids, vpc_config.security_group_ids,
		// kubernetes_network_config, outpost_config,
		// encryption_config.provider.key_arn, encryption_config.resources,
		// access_config.bootstrap_cluster_creator_admin_permissions,
		// bootstrap_self_managed_addons ForceNew (version, endpoint access,
		// public CIDRs, logging and authentication mode update in place).
		ForceNew: []string{"name", "roleArn", "vpcConfig.subnetIds", "vpcConfig.securityGroupIds",
			"kubernetesNetworkConfig", "outpostConfig", "encryptionConfig.provider.keyArn", "encryptionConfig.resources",
			"accessConfig.bootstrapClusterCreatorAdminPermissions", "bootstrapSelfManagedAddons"},
		AutoName: autoName(),
		Create:   createEKSCluster,
		Update:   updateEKSCluster,
		Read: func(c *provider.Ctx, _ string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			cl, err := describeCluster(c, cloud, provider.Str(olds, "name"))
			if err != nil || cl == nil {
				return nil, nil, err
			}
			outs := merge(olds, clusterOutputs(c, cl, oldInputs))
			ins := provider.Copy(oldInputs)
			if v, ok := outs["version"]; ok && provider.Has(oldInputs, "version") {
				ins["version"] = v
			}
			return outs, ins, nil
		},
		Delete: func(c *provider.Ctx, _ string, olds provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			name := provider.Str(olds, "name")
			err = cloud.Call(c, region(c), "eks", "DeleteCluster", map[string]any{"name": name}, nil)
			if cloudrpc.IsCode(err, "ResourceNotFoundException") {
				return nil
			}
			if err != nil {
				return fmt.Errorf("deleting EKS Cluster (%s): %w", name, err)
			}
			return waitUntil(c, fmt.Sprintf("EKS Cluster (%s) delete", name), eksDeleteTimeout, func() (bool, error) {
				cl, err := describeCluster(c, cloud, name)
				return cl == nil, err
			})
		},
	}
}

func describeCluster(c *provider.Ctx, cloud *cloudrpc.Client, name string) (*eksCluster, error) {
	var out struct {
		Cluster eksCluster `json:"cluster"`
	}
	err := cloud.Call(c, region(c), "eks", "DescribeCluster", map[string]any{"name": name}, &out)
	if cloudrpc.IsCode(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &out.Cluster, nil
}

func waitClusterActive(c *provider.Ctx, cloud *cloudrpc.Client, name string, timeout time.Duration) (*eksCluster, error) {
	var cl *eksCluster
	err := waitUntil(c, fmt.Sprintf("EKS Cluster (%s) to be ACTIVE", name), timeout, func() (bool, error) {
		var err error
		if cl, err = describeCluster(c, cloud, name); err != nil {
			return false, err
		}
		if cl == nil {
			return false, fmt.Errorf("not found")
		}
		switch cl.Status {
		case "ACTIVE":
			return true, nil
		case "CREATING", "UPDATING", "PENDING":
			return false, nil
		default:
			return false, fmt.Errorf("unexpected state %q", cl.Status)
		}
	})
	return cl, err
}

func clusterRequestVpc(in provider.Props) map[string]any {
	vpc := provider.Obj(in, "vpcConfig")
	out := map[string]any{
		"subnetIds":             provider.Strs(vpc, "subnetIds"),
		"securityGroupIds":      orEmptyStrings(provider.Strs(vpc, "securityGroupIds")),
		"endpointPublicAccess":  provider.Bool(vpc, "endpointPublicAccess", true),
		"endpointPrivateAccess": provider.Bool(vpc, "endpointPrivateAccess", false),
	}
	if cidrs := provider.Strs(vpc, "publicAccessCidrs"); len(cidrs) > 0 {
		out["publicAccessCidrs"] = cidrs
	}
	return out
}

func orEmptyStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func clusterLogging(in provider.Props) map[string]any {
	types := provider.Strs(in, "enabledClusterLogTypes")
	return map[string]any{"clusterLogging": []any{map[string]any{"types": orEmptyStrings(types), "enabled": len(types) > 0}}}
}

// createEKSCluster is tfaws internal/service/eks/cluster.go
// resourceClusterCreate: CreateCluster, then wait for ACTIVE.
func createEKSCluster(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
	cloud, err := c.Cloud()
	if err != nil {
		return "", nil, err
	}
	name := provider.Str(in, "name")
	req := map[string]any{
		"name":               name,
		"roleArn":            provider.Str(in, "roleArn"),
		"resourcesVpcConfig": clusterRequestVpc(in),
		"logging":            clusterLogging(in),
		"tags":               tagMap(c, in),
	}
	if v := provider.Str(in, "version"); v != "" {
		req["version"] = v
	}
	if enc := provider.Obj(in, "encryptionConfig"); enc != nil {
		req["encryptionConfig"] = []any{map[string]any{
			"resources": provider.Strs(enc, "resources"),
			"provider":  map[string]any{"keyArn": provider.Str(provider.Obj(enc, "provider"), "keyArn")},
		}}
	}
	if knc := provider.Obj(in, "kubernetesNetworkConfig"); knc != nil {
		req["kubernetesNetworkConfig"] = knc.Mappable()
	}
	if ac := provider.Obj(in, "accessConfig"); ac != nil {
		req["accessConfig"] = ac.Mappable()
	}
	if err := cloud.Call(c, region(c), "eks", "CreateCluster", req, nil); err != nil {
		return "", nil, fmt.Errorf("creating EKS Cluster (%s): %w", name, err)
	}
	cl, err := waitClusterActive(c, cloud, name, eksCreateTimeout)
	if err != nil {
		return "", nil, err
	}
	return name, clusterOutputs(c, cl, in), nil
}

// updateEKSCluster is resourceClusterUpdate: version through
// UpdateClusterVersion; endpoint access, CIDRs, logging and the
// authentication mode through UpdateClusterConfig.
func updateEKSCluster(c *provider.Ctx, _ string, olds, oldInputs, news, outs provider.Props) (provider.Props, error) {
	cloud, err := c.Cloud()
	if err != nil {
		return nil, err
	}
	name := provider.Str(olds, "name")
	if changed(oldInputs, news, "version") {
		if err := cloud.Call(c, region(c), "eks", "UpdateClusterVersion", map[string]any{"name": name, "version": provider.Str(news, "version")}, nil); err != nil {
			return nil, fmt.Errorf("updating EKS Cluster (%s) version: %w", name, err)
		}
		if _, err := waitClusterActive(c, cloud, name, eksUpdateTimeout); err != nil {
			return nil, err
		}
	}
	if changed(oldInputs, news, "vpcConfig") {
		vpc := clusterRequestVpc(news)
		delete(vpc, "subnetIds")
		delete(vpc, "securityGroupIds")
		if err := cloud.Call(c, region(c), "eks", "UpdateClusterConfig", map[string]any{"name": name, "resourcesVpcConfig": vpc}, nil); err != nil {
			return nil, fmt.Errorf("updating EKS Cluster (%s) VPC configuration: %w", name, err)
		}
		if _, err := waitClusterActive(c, cloud, name, eksUpdateTimeout); err != nil {
			return nil, err
		}
	}
	if changed(oldInputs, news, "enabledClusterLogTypes") {
		if err := cloud.Call(c, region(c), "eks", "UpdateClusterConfig", map[string]any{"name": name, "logging": clusterLogging(news)}, nil); err != nil {
			return nil, fmt.Errorf("updating EKS Cluster (%s) logging: %w", name, err)
		}
		if _, err := waitClusterActive(c, cloud, name, eksUpdateTimeout); err != nil {
			return nil, err
		}
	}
	if changed(oldInputs, news, "accessConfig") {
		mode := provider.Str(provider.Obj(news, "accessConfig"), "authenticationMode")
		if mode != "" {
			req := map[string]any{"name": name, "accessConfig": map[string]any{"authenticationMode": mode}}
			if err := cloud.Call(c, region(c), "eks", "UpdateClusterConfig", req, nil); err != nil {
				return nil, fmt.Errorf("updating EKS Cluster (%s) authentication mode: %w", name, err)
			}
			if _, err := waitClusterActive(c, cloud, name, eksUpdateTimeout); err != nil {
				return nil, err
			}
		}
	}
	cl, err := describeCluster(c, cloud, name)
	if err != nil {
		return nil, err
	}
	if cl == nil {
		return nil, fmt.Errorf("EKS Cluster (%s) vanished during update", name)
	}
	return merge(outs, clusterOutputs(c, cl, news)), nil
}

// clusterOutputs maps the Cluster shape onto pulumi-aws's outputs
// (sdk/v6@v6.83.4/go/aws/eks/cluster.go: certificateAuthority is a single
// object, identities a list of {oidcs: [{issuer}]}).
func clusterOutputs(c *provider.Ctx, cl *eksCluster, in provider.Props) provider.Props {
	vpc := map[string]any{
		"clusterSecurityGroupId": cl.ResourcesVpcConfig.ClusterSecurityGroupID,
		"vpcId":                  cl.ResourcesVpcConfig.VpcID,
		"subnetIds":              orEmpty(cl.ResourcesVpcConfig.SubnetIds),
		"securityGroupIds":       orEmpty(cl.ResourcesVpcConfig.SecurityGroupIds),
		"endpointPublicAccess":   cl.ResourcesVpcConfig.EndpointPublicAccess,
		"endpointPrivateAccess":  cl.ResourcesVpcConfig.EndpointPrivateAccess,
		"publicAccessCidrs":      orEmpty(cl.ResourcesVpcConfig.PublicAccessCidrs),
	}
	access := map[string]any{"authenticationMode": cl.AccessConfig.AuthenticationMode}
	if b := cl.AccessConfig.BootstrapClusterCreatorAdminPermissions; b != nil {
		access["bootstrapClusterCreatorAdminPermissions"] = *b
	}
	var logTypes []string
	for _, l := range cl.Logging.ClusterLogging {
		if l.Enabled {
			logTypes = append(logTypes, l.Types...)
		}
	}
	out := map[string]any{
		"arn":                        cl.Arn,
		"name":                       cl.Name,
		"endpoint":                   cl.Endpoint,
		"version":                    cl.Version,
		"platformVersion":            cl.PlatformVersion,
		"status":                     cl.Status,
		"roleArn":                    cl.RoleArn,
		"createdAt":                  fmt.Sprint(cl.CreatedAt),
		"certificateAuthority":       map[string]any{"data": cl.CertificateAuthority.Data},
		"certificateAuthorities":     []any{map[string]any{"data": cl.CertificateAuthority.Data}},
		"identities":                 []any{map[string]any{"oidcs": []any{map[string]any{"issuer": cl.Identity.Oidc.Issuer}}}},
		"vpcConfig":                  vpc,
		"accessConfig":               access,
		"enabledClusterLogTypes":     orEmpty(logTypes),
		"kubernetesNetworkConfig":    map[string]any{"serviceIpv4Cidr": cl.KubernetesNetworkConfig.ServiceIpv4Cidr, "ipFamily": cl.KubernetesNetworkConfig.IPFamily, "serviceIpv6Cidr": cl.KubernetesNetworkConfig.ServiceIpv6Cidr},
		"bootstrapSelfManagedAddons": provider.Bool(in, "bootstrapSelfManagedAddons", true),
	}
	if len(cl.EncryptionConfig) > 0 {
		e := cl.EncryptionConfig[0]
		out["encryptionConfig"] = map[string]any{"resources": orEmpty(e.Resources), "provider": map[string]any{"keyArn": e.Provider.KeyArn}}
	}
	props := provider.FromGo(out)
	props["tagsAll"] = tagsAll(c, in)
	return props
}

// merge overlays b on a copy of a.
func merge(a, b provider.Props) provider.Props {
	out := provider.Copy(a)
	for k, v := range b {
		out[k] = v
	}
	return out
}

// eksNodegroup is EKS's Nodegroup shape
// (https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html).
type eksNodegroup struct {
	NodegroupName  string `json:"nodegroupName"`
	NodegroupArn   string `json:"nodegroupArn"`
	ClusterName    string `json:"clusterName"`
	Version        string `json:"version"`
	ReleaseVersion string `json:"releaseVersion"`
	Status         string `json:"status"`
	CapacityType   string `json:"capacityType"`
	AmiType        string `json:"amiType"`
	NodeRole       string `json:"nodeRole"`
	DiskSize       int    `json:"diskSize"`
	ScalingConfig  struct {
		MinSize     int `json:"minSize"`
		MaxSize     int `json:"maxSize"`
		DesiredSize int `json:"desiredSize"`
	} `json:"scalingConfig"`
	InstanceTypes []string          `json:"instanceTypes"`
	Subnets       []string          `json:"subnets"`
	Labels        map[string]string `json:"labels"`
	Resources     struct {
		AutoScalingGroups []struct {
			Name string `json:"name"`
		} `json:"autoScalingGroups"`
		RemoteAccessSecurityGroup string `json:"remoteAccessSecurityGroup"`
	} `json:"resources"`
}

// Terraform's aws_eks_node_group timeouts: Create 60m, Update 60m, Delete
// 60m (internal/service/eks/node_group.go Timeouts).
const eksNodegroupTimeout = 60 * time.Minute

func eksNodeGroupType() *provider.Type {
	return &provider.Type{
		Token: "aws:eks/nodeGroup:NodeGroup",
		// tfaws internal/service/eks/node_group.go: ami_type,
		// capacity_type, cluster_name, disk_size, instance_types,
		// launch_template.id, launch_template.name, node_group_name,
		// node_group_name_prefix, node_role_arn, remote_access, subnet_ids
		// ForceNew; scaling_config, labels, taints, update_config, version
		// and release_version update in place.
		ForceNew: []string{"amiType", "capacityType", "clusterName", "diskSize", "instanceTypes",
			"launchTemplate.id", "launchTemplate.name", "nodeGroupName", "nodeGroupNamePrefix",
			"nodeRoleArn", "remoteAccess", "subnetIds"},
		// pulumi-aws provider/resources.go aws_eks_node_group:
		// node_group_name is AutoName("nodeGroupName", 255, "-").
		AutoName: &provider.AutoName{Property: "nodeGroupName", Separator: "-", Random: 7, MaxLen: 255},
		Create:   createNodegroup,
		Update:   updateNodegroup,
		Read: func(c *provider.Ctx, _ string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			ng, err := describeNodegroup(c, cloud, provider.Str(olds, "clusterName"), provider.Str(olds, "nodeGroupName"))
			if err != nil || ng == nil {
				return nil, nil, err
			}
			outs := merge(olds, nodegroupOutputs(c, ng, oldInputs))
			ins := provider.Copy(oldInputs)
			// A scale made with `aws eks update-nodegroup-config` is what
			// a refresh brings back into the inputs.
			ins["scalingConfig"] = outs["scalingConfig"]
			return outs, ins, nil
		},
		Delete: func(c *provider.Ctx, _ string, olds provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			cluster, name := provider.Str(olds, "clusterName"), provider.Str(olds, "nodeGroupName")
			err = cloud.Call(c, region(c), "eks", "DeleteNodegroup", map[string]any{"clusterName": cluster, "nodegroupName": name}, nil)
			if cloudrpc.IsCode(err, "ResourceNotFoundException") {
				return nil
			}
			if err != nil {
				return fmt.Errorf("deleting EKS Node Group (%s:%s): %w", cluster, name, err)
			}
			return waitUntil(c, fmt.Sprintf("EKS Node Group (%s:%s) delete", cluster, name), eksNodegroupTimeout, func() (bool, error) {
				ng, err := describeNodegroup(c, cloud, cluster, name)
				return ng == nil, err
			})
		},
	}
}

func describeNodegroup(c *provider.Ctx, cloud *cloudrpc.Client, cluster, name string) (*eksNodegroup, error) {
	var out struct {
		Nodegroup eksNodegroup `json:"nodegroup"`
	}
	err := cloud.Call(c, region(c), "eks", "DescribeNodegroup", map[string]any{"clusterName": cluster, "nodegroupName": name}, &out)
	if cloudrpc.IsCode(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &out.Nodegroup, nil
}

func waitNodegroupActive(c *provider.Ctx, cloud *cloudrpc.Client, cluster, name string) (*eksNodegroup, error) {
	var ng *eksNodegroup
	err := waitUntil(c, fmt.Sprintf("EKS Node Group (%s:%s) to be ACTIVE", cluster, name), eksNodegroupTimeout, func() (bool, error) {
		var err error
		if ng, err = describeNodegroup(c, cloud, cluster, name); err != nil {
			return false, err
		}
		if ng == nil {
			return false, fmt.Errorf("not found")
		}
		switch ng.Status {
		case "ACTIVE":
			return true, nil
		case "CREATING", "UPDATING":
			return false, nil
		default:
			return false, fmt.Errorf("unexpected state %q", ng.Status)
		}
	})
	return ng, err
}

func scaling(in provider.Props) map[string]any {
	sc := provider.Obj(in, "scalingConfig")
	return map[string]any{
		"minSize":     provider.Int(sc, "minSize", 0),
		"maxSize":     provider.Int(sc, "maxSize", 0),
		"desiredSize": provider.Int(sc, "desiredSize", 0),
	}
}

// createNodegroup is resourceNodeGroupCreate: CreateNodegroup, then wait
// for ACTIVE.
func createNodegroup(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
	cloud, err := c.Cloud()
	if err != nil {
		return "", nil, err
	}
	cluster, name := provider.Str(in, "clusterName"), provider.Str(in, "nodeGroupName")
	req := map[string]any{
		"clusterName":   cluster,
		"nodegroupName": name,
		"nodeRole":      provider.Str(in, "nodeRoleArn"),
		"subnets":       provider.Strs(in, "subnetIds"),
		"scalingConfig": scaling(in),
		"tags":          tagMap(c, in),
	}
	optional(req, in, map[string]string{
		"amiType": "amiType", "capacityType": "capacityType", "diskSize": "diskSize",
		"releaseVersion": "releaseVersion", "version": "version",
	})
	if v := provider.Strs(in, "instanceTypes"); len(v) > 0 {
		req["instanceTypes"] = v
	}
	if v := provider.StrMap(in, "labels"); len(v) > 0 {
		req["labels"] = v
	}
	for _, k := range []string{"taints", "launchTemplate", "remoteAccess", "updateConfig"} {
		if v, ok := in[resource.PropertyKey(k)]; ok && !v.IsNull() {
			req[k] = v.Mappable()
		}
	}
	if err := cloud.Call(c, region(c), "eks", "CreateNodegroup", req, nil); err != nil {
		return "", nil, fmt.Errorf("creating EKS Node Group (%s:%s): %w", cluster, name, err)
	}
	ng, err := waitNodegroupActive(c, cloud, cluster, name)
	if err != nil {
		return "", nil, err
	}
	return cluster + ":" + name, nodegroupOutputs(c, ng, in), nil
}

// updateNodegroup is resourceNodeGroupUpdate: labels, taints, scaling and
// update config through UpdateNodegroupConfig; version through
// UpdateNodegroupVersion.
func updateNodegroup(c *provider.Ctx, _ string, olds, oldInputs, news, outs provider.Props) (provider.Props, error) {
	cloud, err := c.Cloud()
	if err != nil {
		return nil, err
	}
	cluster, name := provider.Str(olds, "clusterName"), provider.Str(olds, "nodeGroupName")
	req := map[string]any{"clusterName": cluster, "nodegroupName": name}
	if changed(oldInputs, news, "scalingConfig") {
		req["scalingConfig"] = scaling(news)
	}
	if changed(oldInputs, news, "labels") {
		add, remove := map[string]string{}, []string{}
		oldL, newL := provider.StrMap(oldInputs, "labels"), provider.StrMap(news, "labels")
		for k, v := range newL {
			if oldL[k] != v {
				add[k] = v
			}
		}
		for k := range oldL {
			if _, ok := newL[k]; !ok {
				remove = append(remove, k)
			}
		}
		req["labels"] = map[string]any{"addOrUpdateLabels": add, "removeLabels": remove}
	}
	if changed(oldInputs, news, "updateConfig") {
		req["updateConfig"] = provider.Obj(news, "updateConfig").Mappable()
	}
	if len(req) > 2 {
		if err := cloud.Call(c, region(c), "eks", "UpdateNodegroupConfig", req, nil); err != nil {
			return nil, fmt.Errorf("updating EKS Node Group (%s:%s) config: %w", cluster, name, err)
		}
		if _, err := waitNodegroupActive(c, cloud, cluster, name); err != nil {
			return nil, err
		}
	}
	if changed(oldInputs, news, "version") || changed(oldInputs, news, "releaseVersion") {
		vreq := map[string]any{"clusterName": cluster, "nodegroupName": name}
		optional(vreq, news, map[string]string{"version": "version", "releaseVersion": "releaseVersion"})
		if err := cloud.Call(c, region(c), "eks", "UpdateNodegroupVersion", vreq, nil); err != nil {
			return nil, fmt.Errorf("updating EKS Node Group (%s:%s) version: %w", cluster, name, err)
		}
		if _, err := waitNodegroupActive(c, cloud, cluster, name); err != nil {
			return nil, err
		}
	}
	ng, err := describeNodegroup(c, cloud, cluster, name)
	if err != nil {
		return nil, err
	}
	if ng == nil {
		return nil, fmt.Errorf("EKS Node Group (%s:%s) vanished during update", cluster, name)
	}
	return merge(outs, nodegroupOutputs(c, ng, news)), nil
}

// nodegroupOutputs maps the Nodegroup shape onto pulumi-aws's outputs
// (resources is [{autoscalingGroups: [{name}], remoteAccessSecurityGroupId}]).
func nodegroupOutputs(c *provider.Ctx, ng *eksNodegroup, in provider.Props) provider.Props {
	var asgs []any
	for _, g := range ng.Resources.AutoScalingGroups {
		asgs = append(asgs, map[string]any{"name": g.Name})
	}
	if asgs == nil {
		asgs = []any{}
	}
	out := map[string]any{
		"arn":            ng.NodegroupArn,
		"status":         ng.Status,
		"version":        ng.Version,
		"releaseVersion": ng.ReleaseVersion,
		"capacityType":   ng.CapacityType,
		"amiType":        ng.AmiType,
		"instanceTypes":  orEmpty(ng.InstanceTypes),
		"scalingConfig":  map[string]any{"minSize": ng.ScalingConfig.MinSize, "maxSize": ng.ScalingConfig.MaxSize, "desiredSize": ng.ScalingConfig.DesiredSize},
		"resources":      []any{map[string]any{"autoscalingGroups": asgs, "remoteAccessSecurityGroupId": ng.Resources.RemoteAccessSecurityGroup}},
	}
	if ng.DiskSize > 0 {
		out["diskSize"] = ng.DiskSize
	}
	props := provider.FromGo(out)
	props["tagsAll"] = tagsAll(c, in)
	return props
}
