package cloud

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Auto Scaling: the groups under the EKS managed node groups, read-only.
// The runbook never scales them (EKS would fight it, issue 9 item 2); it
// reads them only for status.

// AutoScalingLaunchTemplate is the API's LaunchTemplateSpecification.
type AutoScalingLaunchTemplate struct {
	LaunchTemplateId   *string `json:"LaunchTemplateId,omitempty"`
	LaunchTemplateName *string `json:"LaunchTemplateName,omitempty"`
	Version            *string `json:"Version,omitempty"`
}

// AutoScalingInstance is the API's Instance.
type AutoScalingInstance struct {
	InstanceId           *string `json:"InstanceId,omitempty"`
	InstanceType         *string `json:"InstanceType,omitempty"`
	AvailabilityZone     *string `json:"AvailabilityZone,omitempty"`
	LifecycleState       *string `json:"LifecycleState,omitempty"`
	HealthStatus         *string `json:"HealthStatus,omitempty"`
	ProtectedFromScaleIn *bool   `json:"ProtectedFromScaleIn,omitempty"`
}

// TagDescription is the API's TagDescription.
type TagDescription struct {
	ResourceId        *string `json:"ResourceId,omitempty"`
	ResourceType      *string `json:"ResourceType,omitempty"`
	Key               *string `json:"Key,omitempty"`
	Value             *string `json:"Value,omitempty"`
	PropagateAtLaunch *bool   `json:"PropagateAtLaunch,omitempty"`
}

// AutoScalingGroup is the API's AutoScalingGroup.
type AutoScalingGroup struct {
	AutoScalingGroupName   *string                    `json:"AutoScalingGroupName,omitempty"`
	AutoScalingGroupARN    *string                    `json:"AutoScalingGroupARN,omitempty"`
	LaunchTemplate         *AutoScalingLaunchTemplate `json:"LaunchTemplate,omitempty"`
	MinSize                *int                       `json:"MinSize,omitempty"`
	MaxSize                *int                       `json:"MaxSize,omitempty"`
	DesiredCapacity        *int                       `json:"DesiredCapacity,omitempty"`
	DefaultCooldown        *int                       `json:"DefaultCooldown,omitempty"`
	AvailabilityZones      []string                   `json:"AvailabilityZones"`
	LoadBalancerNames      []string                   `json:"LoadBalancerNames"`
	TargetGroupARNs        []string                   `json:"TargetGroupARNs"`
	HealthCheckType        *string                    `json:"HealthCheckType,omitempty"`
	HealthCheckGracePeriod *int                       `json:"HealthCheckGracePeriod,omitempty"`
	Instances              []AutoScalingInstance      `json:"Instances"`
	CreatedTime            *Timestamp                 `json:"CreatedTime,omitempty"`
	SuspendedProcesses     []struct{}                 `json:"SuspendedProcesses"`
	VPCZoneIdentifier      *string                    `json:"VPCZoneIdentifier,omitempty"`
	EnabledMetrics         []struct{}                 `json:"EnabledMetrics"`
	Tags                   []TagDescription           `json:"Tags"`
	TerminationPolicies    []string                   `json:"TerminationPolicies"`
	CapacityRebalance      *bool                      `json:"CapacityRebalance,omitempty"`
}

// AutoScalingFilter is the API's Filter.
type AutoScalingFilter struct {
	Name   *string  `json:"Name,omitempty"`
	Values []string `json:"Values,omitempty"`
}

// DescribeAutoScalingGroupsInput is the API's AutoScalingGroupNamesType.
type DescribeAutoScalingGroupsInput struct {
	AutoScalingGroupNames []string            `json:"AutoScalingGroupNames,omitempty"`
	NextToken             *string             `json:"NextToken,omitempty"`
	MaxRecords            *int                `json:"MaxRecords,omitempty"`
	Filters               []AutoScalingFilter `json:"Filters,omitempty"`
}

// DescribeAutoScalingGroupsOutput is the API's AutoScalingGroupsType.
type DescribeAutoScalingGroupsOutput struct {
	AutoScalingGroups []AutoScalingGroup `json:"AutoScalingGroups"`
	NextToken         *string            `json:"NextToken,omitempty"`
}

func (c *Cloud) registerAutoScaling() {
	register(c, "autoscaling", "DescribeAutoScalingGroups", false, c.asDescribeGroups)
}

// asDescribeGroups lists the node groups' Auto Scaling groups. An unknown
// name is not an error: the answer is an empty list (issue 9 item 11,
// observed with the real CLI).
func (c *Cloud) asDescribeGroups(_ context.Context, region string, in *DescribeAutoScalingGroupsInput) (*DescribeAutoScalingGroupsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	out := &DescribeAutoScalingGroupsOutput{AutoScalingGroups: []AutoScalingGroup{}}
	var groups []AutoScalingGroup
	for _, cl := range c.regions[region].eks.clusters {
		for _, ng := range cl.nodegroups {
			if len(in.AutoScalingGroupNames) > 0 && !slices.Contains(in.AutoScalingGroupNames, ng.asgName) {
				continue
			}
			groups = append(groups, c.describeASGLocked(region, cl, ng, now))
		}
	}
	sort.Slice(groups, func(i, j int) bool { return *groups[i].AutoScalingGroupName < *groups[j].AutoScalingGroupName })
	out.AutoScalingGroups = append(out.AutoScalingGroups, groups...)
	return out, nil
}

func (c *Cloud) describeASGLocked(region string, cl *eksCluster, ng *nodegroup, now time.Time) AutoScalingGroup {
	sc := ng.shape.ScalingConfig
	g := AutoScalingGroup{
		AutoScalingGroupName:   ptr(ng.asgName),
		AutoScalingGroupARN:    ptr(fmt.Sprintf("arn:aws:autoscaling:%s:%s:autoScalingGroup:%s:autoScalingGroupName/%s", region, c.opts.Account, newUUID(), ng.asgName)),
		MinSize:                sc.MinSize,
		MaxSize:                sc.MaxSize,
		DesiredCapacity:        sc.DesiredSize,
		DefaultCooldown:        ptr(300),
		AvailabilityZones:      []string{region + "a", region + "b", region + "c"},
		LoadBalancerNames:      []string{},
		TargetGroupARNs:        []string{},
		HealthCheckType:        ptr("EC2"),
		HealthCheckGracePeriod: ptr(15),
		Instances:              []AutoScalingInstance{},
		CreatedTime:            ng.shape.CreatedAt,
		SuspendedProcesses:     []struct{}{},
		EnabledMetrics:         []struct{}{},
		TerminationPolicies:    []string{"AllocationStrategy", "OldestLaunchTemplate", "OldestInstance"},
		CapacityRebalance:      ptr(true),
		Tags: []TagDescription{{ResourceId: ptr(ng.asgName), ResourceType: ptr("auto-scaling-group"),
			Key: ptr("eks:cluster-name"), Value: cl.shape.Name, PropagateAtLaunch: ptr(true)}},
	}
	for _, in := range ng.instances {
		state := "InService"
		switch {
		case !in.terminating.IsZero():
			state = "Terminating"
		case now.Sub(in.launched) < c.scaled(c.timings.NodeBoot):
			state = "Pending"
		}
		typ := "m6i.large"
		if len(ng.shape.InstanceTypes) > 0 {
			typ = ng.shape.InstanceTypes[0]
		}
		g.Instances = append(g.Instances, AutoScalingInstance{InstanceId: ptr(in.id), InstanceType: ptr(typ), AvailabilityZone: ptr(in.az),
			LifecycleState: ptr(state), HealthStatus: ptr("Healthy"), ProtectedFromScaleIn: ptr(false)})
	}
	return g
}
