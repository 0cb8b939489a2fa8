package cloud

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
)

// Timings are how long AWS takes for what it does slowly, before the lab's
// scale factor divides them. Zero fields take DefaultTimings' values. The
// table in runbooks/gameday/lab-timings.md is WriteTimingTable's output
// (a test keeps them equal).
type Timings struct {
	// PromoteModifying is the time a promoted read replica spends in
	// "modifying" before PostgreSQL is promoted and the instance reboots.
	PromoteModifying time.Duration `timing:"RDS PromoteReadReplica: modifying"`
	// PromoteRebooting is the reboot that ends a promotion: the database
	// restarts (connections drop) and the instance is "rebooting".
	PromoteRebooting time.Duration `timing:"RDS PromoteReadReplica: rebooting"`
	// MultiAZConversion is ModifyDBInstance MultiAZ=true applied
	// immediately: "modifying", with no downtime, until the standby exists.
	MultiAZConversion time.Duration `timing:"RDS Single-AZ to Multi-AZ conversion"`
	// RDSMetricPeriod is how often RDS publishes an instance's metrics
	// (ReplicaLag) to CloudWatch.
	RDSMetricPeriod time.Duration `timing:"RDS metrics to CloudWatch (ReplicaLag)"`
	// RDSInternalWrite is how often RDS itself commits a transaction on an
	// instance with no user writes, which bounds an idle writer's
	// ReplicaLag sawtooth.
	RDSInternalWrite time.Duration `timing:"RDS internal write on an idle instance"`
	// NodeBoot is an EKS managed node's time from the Auto Scaling group's
	// launch to kubelet Ready.
	NodeBoot time.Duration `timing:"EKS node: launch to Ready"`
	// NodeTerminate is a scaled-in node's time NotReady before it leaves
	// the node list.
	NodeTerminate time.Duration `timing:"EKS node: scale-in to gone"`
	// NodegroupUpdate is UpdateNodegroupConfig's UPDATING phase before the
	// node group is ACTIVE again with the new scaling config.
	NodegroupUpdate time.Duration `timing:"EKS UpdateNodegroupConfig: UPDATING"`
	// NodegroupCreate and NodegroupDelete are CREATING and DELETING.
	NodegroupCreate time.Duration `timing:"EKS CreateNodegroup: CREATING"`
	NodegroupDelete time.Duration `timing:"EKS DeleteNodegroup: DELETING"`
	// ClusterCreate and ClusterDelete are an EKS control plane's CREATING
	// and DELETING.
	ClusterCreate time.Duration `timing:"EKS CreateCluster: CREATING"`
	ClusterDelete time.Duration `timing:"EKS DeleteCluster: DELETING"`
	// PodStart is a scheduled pod's time to Ready on a Ready node (image
	// pull, start, readiness probe).
	PodStart time.Duration `timing:"Kubernetes pod: scheduled to Ready"`
	// ChangePropagation is a Route 53 change's PENDING before INSYNC.
	ChangePropagation time.Duration `timing:"Route 53 change: PENDING to INSYNC"`
	// SecretReplication is a replica secret's InProgress before InSync.
	SecretReplication time.Duration `timing:"Secrets Manager replica: InProgress to InSync"`
	// ImageReplication is an ECR push's time to appear in a replication
	// destination.
	ImageReplication time.Duration `timing:"ECR cross-Region image replication"`
}

// timingSources say where each default comes from.
var timingSources = map[string]string{
	"PromoteModifying": "AWS: promotion \"can take several minutes or longer to complete, depending on the size of the read replica\" " +
		"(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html). Modifying + rebooting = 5 min, " +
		"the program's own objectives.promotionEstimate default (config/defaults.go), so the lab times the runbook against the estimate the RTO budget uses.",
	"PromoteRebooting": "AWS: \"When you promote a read replica, RDS reboots the DB instance before making it available\" (same page). " +
		"The split of the five minutes, one of them rebooting, is an assumption.",
	"MultiAZConversion": "AWS: the conversion takes a snapshot and restores it into the standby's volumes, with no downtime " +
		"(https://repost.aws/knowledge-center/rds-convert-single-az-multi-az); its length grows with the data. 20 min is an assumption for the shipped 100 GiB, not a published figure.",
	"RDSMetricPeriod": "AWS: \"Amazon RDS automatically sends metrics to CloudWatch every minute\" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html).",
	"RDSInternalWrite": "Issue 11, from AWS's RDS for PostgreSQL read-replica documentation: an idle writer shows \"up to five minutes\" of ReplicaLag; " +
		"the bound comes from RDS's own periodic writes on the instance, taken as one every 5 min.",
	"NodeBoot": "Published measurement: \"an additional 45-90 seconds when new node provisioning is required\" " +
		"(https://devfloor9.github.io/engineering-playbook/en/docs/infrastructure-optimization/karpenter-autoscaling); the upper end is taken.",
	"NodeTerminate": "Assumption: the kubelet stops posting status once the instance terminates; the node controller marks it NotReady and removes it " +
		"(Kubernetes node-monitor-grace-period is 40 s: https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/).",
	"NodegroupUpdate": "Assumption, no published figure found: EKS applies a scaling-config update to the node group's Auto Scaling group and reports the update " +
		"Successful without waiting for the instances (they boot afterwards, NodeBoot).",
	"NodegroupCreate": "Assumption: a new node group is ACTIVE once its first nodes have joined, so its CREATING is taken equal to NodeBoot plus NodegroupUpdate.",
	"NodegroupDelete": "Assumption: DELETING drains and terminates the nodes (NodeTerminate) plus the Auto Scaling group's deletion.",
	"ClusterCreate":   "Published by the EKS team: \"EKS cluster control plane provisioning time currently averages 15 minutes\" (https://github.com/aws/containers-roadmap/issues/1227).",
	"ClusterDelete":   "Assumption: deleting a control plane takes a fraction of creating one.",
	"PodStart": "Assumption: image already on the node, the app's start and its first readiness probe. The RTO budget's own " +
		"objectives.appRecoveryEstimate (2 min, config/defaults.go) stays the budget's term; the lab measures against it.",
	"ChangePropagation": "AWS: \"changes generally propagate to all Route 53 name servers within 60 seconds\" " +
		"(https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).",
	"SecretReplication": "Assumption, no published figure found: a replica's status reads InProgress briefly before InSync.",
	"ImageReplication": "Assumption, no published figure found; replication copies only pushes made after it is configured " +
		"(https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html), which the lab enforces whatever the delay.",
}

// DefaultTimings are the sourced defaults (see timingSources).
func DefaultTimings() Timings {
	return Timings{
		PromoteModifying:  4 * time.Minute,
		PromoteRebooting:  1 * time.Minute,
		MultiAZConversion: 20 * time.Minute,
		RDSMetricPeriod:   1 * time.Minute,
		RDSInternalWrite:  5 * time.Minute,
		NodeBoot:          90 * time.Second,
		NodeTerminate:     40 * time.Second,
		NodegroupUpdate:   20 * time.Second,
		NodegroupCreate:   110 * time.Second,
		NodegroupDelete:   2 * time.Minute,
		ClusterCreate:     15 * time.Minute,
		ClusterDelete:     5 * time.Minute,
		PodStart:          30 * time.Second,
		ChangePropagation: 60 * time.Second,
		SecretReplication: 30 * time.Second,
		ImageReplication:  2 * time.Minute,
	}
}

// withDefaults fills zero fields from DefaultTimings.
func (t Timings) withDefaults() Timings {
	def := reflect.ValueOf(DefaultTimings())
	v := reflect.ValueOf(&t).Elem()
	for i := range v.NumField() {
		if v.Field(i).Int() == 0 {
			v.Field(i).Set(def.Field(i))
		}
	}
	return t
}

// WriteTimingTable writes the markdown table of the timing model: each
// duration on AWS, in the lab at scale, and its source.
func WriteTimingTable(w io.Writer, scale int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| what | on AWS | in the lab at scale 1/%d | field | source |\n|---|---|---|---|---|\n", scale)
	def := reflect.ValueOf(DefaultTimings())
	t := def.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		d := time.Duration(def.Field(i).Int())
		src, ok := timingSources[f.Name]
		if !ok {
			return fmt.Errorf("timing %s has no source", f.Name)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %s |\n", f.Tag.Get("timing"), d, d/time.Duration(scale), f.Name, src)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
