package cloud

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// eksTimings keep the control plane quick; node timings stay the defaults.
var eksTimings = Timings{ClusterCreate: 50 * time.Second, NodegroupCreate: 20 * time.Second}

func createCluster(t *testing.T, c *Cloud, region, name string, desired int) {
	t.Helper()
	call[ClusterOutput](t, c, region, "eks", "CreateCluster", &CreateClusterInput{Name: &name, RoleArn: s("arn:aws:iam::000000000000:role/eks"),
		ResourcesVpcConfig: &VpcConfigRequest{SubnetIds: []string{"subnet-a", "subnet-b"}}, AccessConfig: &AccessConfig{AuthenticationMode: s("API")}})
	refused(t, c, region, "eks", "CreateNodegroup", &CreateNodegroupInput{ClusterName: &name, NodegroupName: s("ng"), Subnets: []string{"subnet-a"},
		NodeRole: s("arn:aws:iam::000000000000:role/node")}, "InvalidRequestException")
	eventually(t, 5*time.Second, "cluster ACTIVE", func() bool {
		out := call[ClusterOutput](t, c, region, "eks", "DescribeCluster", &ClusterNameInput{Name: &name})
		return *out.Cluster.Status == "ACTIVE" && strings.HasPrefix(deref(out.Cluster.Endpoint), "https://")
	})
	call[NodegroupOutput](t, c, region, "eks", "CreateNodegroup", &CreateNodegroupInput{ClusterName: &name, NodegroupName: s("ng"), Subnets: []string{"subnet-a"},
		NodeRole: s("arn:aws:iam::000000000000:role/node"), ScalingConfig: &NodegroupScalingConfig{MinSize: i(min(1, desired)), DesiredSize: &desired, MaxSize: i(6)},
		LaunchTemplate: &LaunchTemplateSpecification{Name: s("lt"), Version: s("1")}, AmiType: s("AL2023_x86_64_STANDARD")})
}

func nodes(t *testing.T, c *Cloud, region, cluster string) (ready, total int) {
	t.Helper()
	out := call[ListNodesOutput](t, c, region, "kubernetes", "ListNodes", &KubeClusterInput{ClusterName: &cluster})
	for _, n := range out.Nodes {
		total++
		if n.Ready {
			ready++
		}
	}
	return ready, total
}

func ngStatus(t *testing.T, c *Cloud, region, cluster string) *Nodegroup {
	t.Helper()
	return call[NodegroupOutput](t, c, region, "eks", "DescribeNodegroup", &NodegroupNameInput{ClusterName: &cluster, NodegroupName: s("ng")}).Nodegroup
}

// Scaling a node group: UPDATING then ACTIVE with the new sizes, the new
// nodes NotReady until they have booted; a second update while UPDATING
// is refused.
func TestNodegroupScaleUpBootsNodes(t *testing.T) {
	c := newTestCloud(t, eksTimings)
	createCluster(t, c, central, "taskflow-dr-standby", 2)
	eventually(t, 5*time.Second, "node group ACTIVE", func() bool { return *ngStatus(t, c, central, "taskflow-dr-standby").Status == "ACTIVE" })
	eventually(t, 5*time.Second, "2 Ready nodes", func() bool { r, _ := nodes(t, c, central, "taskflow-dr-standby"); return r == 2 })

	refused(t, c, central, "eks", "UpdateNodegroupConfig", &UpdateNodegroupConfigInput{ClusterName: s("taskflow-dr-standby"), NodegroupName: s("ng"),
		ScalingConfig: &NodegroupScalingConfig{MinSize: i(5), DesiredSize: i(4)}}, "InvalidParameterException")
	refused(t, c, central, "eks", "UpdateNodegroupConfig", &UpdateNodegroupConfigInput{ClusterName: s("taskflow-dr-standby"), NodegroupName: s("ng")}, "InvalidParameterException")

	start := time.Now()
	up := call[UpdateOutput](t, c, central, "eks", "UpdateNodegroupConfig", &UpdateNodegroupConfigInput{ClusterName: s("taskflow-dr-standby"), NodegroupName: s("ng"),
		ScalingConfig: &NodegroupScalingConfig{MinSize: i(4), DesiredSize: i(4), MaxSize: i(8)}})
	if *up.Update.Status != "InProgress" || *ngStatus(t, c, central, "taskflow-dr-standby").Status != "UPDATING" {
		t.Fatalf("update %s, node group %s", *up.Update.Status, *ngStatus(t, c, central, "taskflow-dr-standby").Status)
	}
	e := refused(t, c, central, "eks", "UpdateNodegroupConfig", &UpdateNodegroupConfigInput{ClusterName: s("taskflow-dr-standby"), NodegroupName: s("ng"),
		ScalingConfig: &NodegroupScalingConfig{DesiredSize: i(5)}}, "ResourceInUseException")
	if e.HTTPStatus() != 409 {
		t.Fatalf("status %d, want 409", e.HTTPStatus())
	}
	if r, total := nodes(t, c, central, "taskflow-dr-standby"); r != 2 || total != 4 {
		t.Fatalf("right after the update: %d Ready of %d, want 2 of 4 (two booting)", r, total)
	}
	eventually(t, 5*time.Second, "ACTIVE with the new sizes", func() bool {
		ng := ngStatus(t, c, central, "taskflow-dr-standby")
		return *ng.Status == "ACTIVE" && *ng.ScalingConfig.DesiredSize == 4 && *ng.ScalingConfig.MinSize == 4
	})
	eventually(t, 5*time.Second, "4 Ready nodes", func() bool { r, _ := nodes(t, c, central, "taskflow-dr-standby"); return r == 4 })
	if took, boot := time.Since(start), DefaultTimings().NodeBoot/testScale; took < boot {
		t.Fatalf("nodes Ready after %s, before the %s boot", took, boot)
	}
	done := call[UpdateOutput](t, c, central, "eks", "DescribeUpdate", &DescribeUpdateInput{Name: s("taskflow-dr-standby"), UpdateId: up.Update.Id, NodegroupName: s("ng")})
	if *done.Update.Status != "Successful" {
		t.Fatalf("update %s", *done.Update.Status)
	}
	// The Auto Scaling group underneath shows the same sizes; an unknown
	// group is an empty list.
	asg := call[DescribeAutoScalingGroupsOutput](t, c, central, "autoscaling", "DescribeAutoScalingGroups", &DescribeAutoScalingGroupsInput{})
	if len(asg.AutoScalingGroups) != 1 || *asg.AutoScalingGroups[0].DesiredCapacity != 4 || len(asg.AutoScalingGroups[0].Instances) != 4 {
		t.Fatalf("auto scaling groups %+v", asg.AutoScalingGroups)
	}
	none := call[DescribeAutoScalingGroupsOutput](t, c, central, "autoscaling", "DescribeAutoScalingGroups", &DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"nope"}})
	if none.AutoScalingGroups == nil || len(none.AutoScalingGroups) != 0 {
		t.Fatalf("unknown group: %v, want an empty list", none.AutoScalingGroups)
	}
	refused(t, c, central, "eks", "DeleteCluster", &ClusterNameInput{Name: s("taskflow-dr-standby")}, "ResourceInUseException")
}

// A Deployment's pods run on Ready nodes and are Ready after PodStart; the
// lab's hook hears the ready count.
func TestDeploymentFollowsNodes(t *testing.T) {
	c := newTestCloud(t, eksTimings)
	var mu sync.Mutex
	heard := map[string]int{}
	c.OnReadyReplicas(func(region, cluster, ns, name string, ready int) {
		mu.Lock()
		defer mu.Unlock()
		heard[cluster+"/"+ns+"/"+name] = ready
	})
	createCluster(t, c, central, "taskflow-dr-standby", 0)
	eventually(t, 5*time.Second, "node group ACTIVE", func() bool { return *ngStatus(t, c, central, "taskflow-dr-standby").Status == "ACTIVE" })
	apply := func(manifest string) {
		call[KubeObjectOutput](t, c, central, "kubernetes", "ApplyObject", &KubeObjectInput{ClusterName: s("taskflow-dr-standby"), Object: json.RawMessage(manifest)})
	}
	refused(t, c, central, "kubernetes", "ApplyObject", &KubeObjectInput{ClusterName: s("taskflow-dr-standby"),
		Object: json.RawMessage(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"taskflow","namespace":"taskflow"},"spec":{"replicas":2}}`)}, "NotFound")
	apply(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"taskflow"}}`)
	apply(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"taskflow","namespace":"taskflow"},"spec":{"replicas":2}}`)
	time.Sleep(500 * time.Millisecond)
	if got := readyReplicas(t, c); got != 0 {
		t.Fatalf("%d ready replicas without nodes", got)
	}
	call[UpdateOutput](t, c, central, "eks", "UpdateNodegroupConfig", &UpdateNodegroupConfigInput{ClusterName: s("taskflow-dr-standby"), NodegroupName: s("ng"),
		ScalingConfig: &NodegroupScalingConfig{DesiredSize: i(1)}})
	eventually(t, 5*time.Second, "2 ready replicas", func() bool { return readyReplicas(t, c) == 2 })
	mu.Lock()
	got := heard["taskflow-dr-standby/taskflow/taskflow"]
	mu.Unlock()
	if got != 2 {
		t.Fatalf("the hook heard %d", got)
	}
	call[KubeObjectOutput](t, c, central, "kubernetes", "Scale", &ScaleInput{ClusterName: s("taskflow-dr-standby"), APIVersion: s("apps/v1"), Kind: s("Deployment"),
		Namespace: s("taskflow"), Name: s("taskflow"), Replicas: i(0)})
	eventually(t, 2*time.Second, "0 ready replicas", func() bool { return readyReplicas(t, c) == 0 })
	refused(t, c, central, "kubernetes", "Annotate", &AnnotateInput{ClusterName: s("taskflow-dr-standby"), APIVersion: s("apps/v1"), Kind: s("Deployment"),
		Namespace: s("taskflow"), Name: s("nope"), Set: map[string]string{"a": "b"}}, "NotFound")
}

func readyReplicas(t *testing.T, c *Cloud) int {
	out := call[KubeObjectOutput](t, c, central, "kubernetes", "GetObject", &KubeRefInput{ClusterName: s("taskflow-dr-standby"), APIVersion: s("apps/v1"),
		Kind: s("Deployment"), Namespace: s("taskflow"), Name: s("taskflow")})
	var obj struct {
		Status struct {
			ReadyReplicas int `json:"readyReplicas"`
		} `json:"status"`
	}
	if err := json.Unmarshal(out.Object, &obj); err != nil {
		t.Fatal(err)
	}
	return obj.Status.ReadyReplicas
}
