package awsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/cloudtest"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/rpc"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/shim"
)

// cli runs the real AWS CLI through the lab's wrapper, with the options
// every runbook call carries (runbooks/dr-design.md §6).
type cli struct {
	t        *testing.T
	endpoint string
}

type result struct {
	stdout, stderr string
	code           int
}

func (c cli) run(args ...string) result {
	c.t.Helper()
	full := append(slices(args), "--cli-connect-timeout", "5", "--cli-read-timeout", "20")
	prog, argv, env, err := shim.AWSCommand(full, append(os.Environ(), "AWS_PAGER=", shim.EnvAWSEndpoint+"="+c.endpoint))
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(prog, argv[1:]...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

func slices(s []string) []string { return append([]string(nil), s...) }

// in binds the runner to a subtest.
func (c cli) in(t *testing.T) cli { return cli{t: t, endpoint: c.endpoint} }

// ok runs a call that must succeed and returns its trimmed stdout.
func (c cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("aws %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// fails runs a call that must fail as the CLI reports an AWS error: exit
// 254 and "An error occurred (Code) when calling the Op operation: …".
func (c cli) fails(code, op string, args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	want := "An error occurred (" + code + ") when calling the " + op + " operation: "
	if r.code != 254 || !strings.Contains(r.stderr, want) {
		c.t.Fatalf("aws %s: exit %d, stderr %q; want 254 and %q", strings.Join(args, " "), r.code, r.stderr, want)
	}
	return strings.TrimSpace(r.stderr[strings.Index(r.stderr, want)+len(want):])
}

// until polls a call until its output is want.
func (c cli) until(want string, timeout time.Duration, args ...string) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if last = c.ok(args...); last == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.t.Fatalf("aws %s: %q, want %q after %s", strings.Join(args, " "), last, want, timeout)
}

func requireCLI(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(shim.DefaultAWSCLI); err != nil {
		t.Skipf("the real AWS CLI v2 is not installed at %s (CI installs Debian's awscli): %v", shim.DefaultAWSCLI, err)
	}
	if _, err := pg.BinDir(); err != nil {
		t.Skip(err)
	}
}

// seeded starts a lab and seeds the DR topology.
func seeded(t *testing.T, timings cloud.Timings) (*cloudtest.Lab, *cloudtest.Topology, cli) {
	t.Helper()
	lab := cloudtest.Start(t, cloudtest.Config{Timings: timings})
	top, err := cloudtest.SeedDR(context.Background(), rpc.New(lab.RPC))
	if err != nil {
		t.Fatal(err)
	}
	return lab, top, cli{t: t, endpoint: lab.AWS}
}

// Every call shape of runbooks/dr-design.md §6 through the real CLI, against one
// seeded lab: the preflight's reads, the failover's branches (together, as
// the failover runs them), the failback's snapshot, the manual fence, and
// a region outage.
func TestRunbookCallsThroughTheRealCLI(t *testing.T) {
	requireCLI(t)
	if testing.Short() {
		t.Skip("runs the real AWS CLI some fifty times")
	}
	lab, top, aws := seeded(t, cloud.Timings{ClusterCreate: 100 * time.Second, NodegroupCreate: 20 * time.Second, NodegroupUpdate: 1000 * time.Second})
	sr := cloudtest.Standby
	cluster := top.Clusters[sr]

	t.Run("preflight", func(t *testing.T) { preflightCalls(t, aws.in(t), top) })

	failoverStart := time.Now()
	t.Run("failover", func(t *testing.T) {
		t.Run("scale the node group", func(t *testing.T) {
			t.Parallel()
			aws := aws.in(t)
			out := aws.ok("eks", "update-nodegroup-config", "--region", sr, "--cluster-name", cluster, "--nodegroup-name", top.Nodegroup,
				"--scaling-config", "minSize=4,maxSize=8,desiredSize=4", "--output", "json")
			var upd struct{ Update struct{ Status, Type string } }
			if err := json.Unmarshal([]byte(out), &upd); err != nil || upd.Update.Status != "InProgress" || upd.Update.Type != "ConfigUpdate" {
				t.Fatalf("update: %s (%v)", out, err)
			}
			aws.fails("ResourceInUseException", "UpdateNodegroupConfig", "eks", "update-nodegroup-config", "--region", sr, "--cluster-name", cluster,
				"--nodegroup-name", top.Nodegroup, "--scaling-config", "minSize=4,maxSize=8,desiredSize=5", "--output", "json")
			q := []string{"eks", "describe-nodegroup", "--region", sr, "--cluster-name", cluster, "--nodegroup-name", top.Nodegroup,
				"--query", "nodegroup.[status,scalingConfig.minSize,scalingConfig.desiredSize,scalingConfig.maxSize]", "--output", "text"}
			aws.until("ACTIVE\t4\t4\t8", 30*time.Second, q...)
			msg := aws.fails("InvalidParameterException", "UpdateNodegroupConfig", "eks", "update-nodegroup-config", "--region", sr, "--cluster-name", cluster,
				"--nodegroup-name", top.Nodegroup, "--scaling-config", "minSize=5,maxSize=8,desiredSize=4")
			if msg != "Minimum capacity 5 can't be greater than desired size 4" {
				t.Fatalf("message %q", msg)
			}
			aws.fails("ResourceNotFoundException", "DescribeNodegroup", "eks", "describe-nodegroup", "--region", sr, "--cluster-name", cluster, "--nodegroup-name", "nope")
		})

		t.Run("kubeconfig", func(t *testing.T) {
			t.Parallel()
			aws := aws.in(t)
			kc := filepath.Join(t.TempDir(), "kubeconfig")
			aws.ok("eks", "update-kubeconfig", "--region", sr, "--name", cluster, "--kubeconfig", kc,
				"--role-arn", "arn:aws:iam::000000000000:role/operator")
			raw, err := os.ReadFile(kc)
			if err != nil {
				t.Fatal(err)
			}
			endpoint := aws.ok("eks", "describe-cluster", "--region", sr, "--name", cluster, "--query", "cluster.endpoint", "--output", "text")
			for _, want := range []string{"server: " + endpoint, "arn:aws:eks:eu-central-1:000000000000:cluster/" + cluster, "get-token", "arn:aws:iam::000000000000:role/operator"} {
				if !strings.Contains(string(raw), want) {
					t.Fatalf("kubeconfig lacks %q:\n%s", want, raw)
				}
			}
			aws.fails("ResourceNotFoundException", "DescribeCluster", "eks", "describe-cluster", "--region", sr, "--name", "nope")
			// The lab's kubectl reads the kubeconfig the real CLI wrote.
			var out, errb bytes.Buffer
			k := &shim.Kubectl{Client: rpc.New(lab.RPC), Stdout: &out, Stderr: &errb, Poll: 50 * time.Millisecond}
			if code := k.Run(context.Background(), []string{"--kubeconfig", kc, "get", "nodes", "--no-headers"}); code != 0 || strings.Count(out.String(), "\n") < 2 {
				t.Fatalf("kubectl get nodes with the CLI's kubeconfig: exit %d, %q %q", code, out.String(), errb.String())
			}
		})

		t.Run("fence", func(t *testing.T) {
			t.Parallel()
			aws := aws.in(t)
			q := []string{"cloudwatch", "describe-alarms", "--region", sr, "--alarm-names", top.FenceAlarm, "--query", "MetricAlarms[0].StateValue", "--output", "text"}
			if got := aws.ok(q...); got != "INSUFFICIENT_DATA" {
				t.Fatalf("fence alarm before any signal: %s", got)
			}
			aws.ok("cloudwatch", "put-metric-data", "--region", sr, "--namespace", "TaskFlowDR", "--metric-name", "PrimaryFenced",
				"--dimensions", "FencedStack=primary", "--value", "1", "--unit", "Count", "--storage-resolution", "60")
			aws.until("ALARM", 10*time.Second, q...)
			aws.ok("cloudwatch", "put-metric-data", "--region", sr, "--namespace", "TaskFlowDR", "--metric-name", "PrimaryFenced",
				"--dimensions", "FencedStack=primary", "--value", "0", "--unit", "Count", "--storage-resolution", "60")
			aws.until("OK", 10*time.Second, q...)
			aws.fails("InvalidParameterValue", "PutMetricData", "cloudwatch", "put-metric-data", "--region", sr, "--namespace", "AWS/RDS",
				"--metric-name", "x", "--value", "1")
		})

		t.Run("promote", func(t *testing.T) {
			t.Parallel()
			aws := aws.in(t)
			q := []string{"rds", "describe-db-instances", "--region", sr, "--db-instance-identifier", top.ReplicaID,
				"--query", "DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier]", "--output", "text"}
			if got := aws.ok(q...); got != "available\t"+top.WriterArn {
				t.Fatalf("replica: %q", got)
			}
			msg := aws.fails("InvalidDBInstanceState", "PromoteReadReplica", "rds", "promote-read-replica", "--region", cloudtest.Primary,
				"--db-instance-identifier", top.WriterID, "--output", "json")
			if msg != "DB Instance is not a read replica." {
				t.Fatalf("message %q", msg)
			}
			out := aws.ok("rds", "promote-read-replica", "--region", sr, "--db-instance-identifier", top.ReplicaID,
				"--backup-retention-period", "7", "--preferred-backup-window", "03:00-03:30", "--output", "json")
			var p struct {
				DBInstance struct{ DBInstanceStatus string }
			}
			if err := json.Unmarshal([]byte(out), &p); err != nil || p.DBInstance.DBInstanceStatus != "modifying" {
				t.Fatalf("promote: %s", out)
			}
			aws.fails("InvalidDBInstanceState", "PromoteReadReplica", "rds", "promote-read-replica", "--region", sr,
				"--db-instance-identifier", top.ReplicaID, "--backup-retention-period", "7")
			aws.until("available\tNone", 30*time.Second, q...)
			got := aws.ok("rds", "describe-db-instances", "--region", sr, "--db-instance-identifier", top.ReplicaID,
				"--query", "DBInstances[0].[BackupRetentionPeriod,PreferredBackupWindow]", "--output", "text")
			if got != "7\t03:00-03:30" {
				t.Fatalf("after promotion: %q", got)
			}
			aws.fails("DBInstanceNotFound", "DescribeDBInstances", "rds", "describe-db-instances", "--region", sr, "--db-instance-identifier", "nope")
			aws.fails("InvalidParameterValue", "PromoteReadReplica", "rds", "promote-read-replica", "--region", sr,
				"--db-instance-identifier", top.ReplicaID, "--preferred-backup-window", "03:00-03:10")
		})

	})

	// The failover never touched eu-west-1 nor the Route 53 control plane
	// (the one eu-west-1 call is the refused promotion of the writer).
	for _, call := range lab.Cloud.Calls() {
		if call.Via != "wire" || call.At.Before(failoverStart) {
			continue
		}
		if call.Region == cloudtest.Primary && call.Op != "PromoteReadReplica" || call.Region == "us-east-1" {
			t.Errorf("the failover's calls reached %s: %s.%s", call.Region, call.Service, call.Op)
		}
	}

	t.Run("failback", func(t *testing.T) { failbackCalls(t, aws.in(t), top) })
	t.Run("outage", func(t *testing.T) { outageCalls(t, aws.in(t), lab) })
}

// preflightCalls are the preflight's reads (runbooks/dr-design.md §6, preflight), in
// parallel groups.
func preflightCalls(t *testing.T, aws cli, top *cloudtest.Topology) {
	pr, sr := cloudtest.Primary, cloudtest.Standby
	group := func(name string, f func(aws cli)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(aws.in(t))
		})
	}
	group("images", func(aws cli) {
		for _, region := range []string{pr, sr} {
			got := aws.ok("ecr", "describe-images", "--region", region, "--repository-name", top.Repository, "--image-ids", "imageTag="+top.ImageTag,
				"--query", "imageDetails[0].imageDigest", "--output", "text")
			if got != top.ImageDigest {
				aws.t.Fatalf("%s: digest %q, want %s", region, got, top.ImageDigest)
			}
		}
		// A missing tag is an error, never "None" (issue 9 item 11).
		msg := aws.fails("ImageNotFoundException", "DescribeImages", "ecr", "describe-images", "--region", sr, "--repository-name", top.Repository,
			"--image-ids", "imageTag=missing", "--query", "imageDetails[0].imageDigest", "--output", "text")
		if msg != "The image with imageId {imageDigest:'null', imageTag:'missing'} does not exist within the repository with name 'taskflow' in the registry with id '000000000000'" {
			aws.t.Fatalf("message %q", msg)
		}
		aws.fails("RepositoryNotFoundException", "DescribeImages", "ecr", "describe-images", "--region", sr, "--repository-name", "nope", "--image-ids", "imageTag=x")
	})
	group("secret", func(aws cli) {
		status := aws.ok("secretsmanager", "describe-secret", "--region", pr, "--secret-id", top.SecretName,
			"--query", "ReplicationStatus[?Region=='"+sr+"'].Status | [0]", "--output", "text")
		if status != "InSync" {
			aws.t.Fatalf("secret replica %q", status)
		}
		// A secret with no replication reads None, not empty (issue 9 item 11).
		if got := aws.ok("secretsmanager", "describe-secret", "--region", sr, "--secret-id", top.SecretName, "--query", "ReplicationStatus", "--output", "text"); got != "None" {
			aws.t.Fatalf("replica's ReplicationStatus %q, want None", got)
		}
		aws.fails("ResourceNotFoundException", "DescribeSecret", "secretsmanager", "describe-secret", "--region", pr, "--secret-id", "nope")
	})
	group("route53", func(aws cli) {
		obs := aws.ok("route53", "get-health-check-status", "--region", "us-east-1", "--health-check-id", top.EndpointCheck,
			"--query", "HealthCheckObservations[].StatusReport.Status", "--output", "json")
		var reports []string
		if err := json.Unmarshal([]byte(obs), &reports); err != nil {
			aws.t.Fatalf("observations %s: %v", obs, err)
		}
		for _, r := range reports {
			// The seeded load balancers do not resolve in this test: the
			// checkers report the failure as Route 53 words it.
			if !strings.HasPrefix(r, "Failure: DNS resolution failed") && !strings.HasPrefix(r, "Success") {
				aws.t.Fatalf("report %q", r)
			}
		}
		gate := aws.ok("route53", "get-health-check", "--region", "us-east-1", "--health-check-id", top.GateCheck,
			"--query", "HealthCheck.HealthCheckConfig.[Type,HealthThreshold,join(',', ChildHealthChecks)]", "--output", "text")
		if gate != "CALCULATED\t2\t"+top.EndpointCheck+","+top.FenceCheck {
			aws.t.Fatalf("gate %q", gate)
		}
		aws.fails("NoSuchHealthCheck", "GetHealthCheck", "route53", "get-health-check", "--region", "us-east-1", "--health-check-id", "00000000-0000-0000-0000-000000000000")
	})
	group("nodes", func(aws cli) {
		got := aws.ok("eks", "describe-nodegroup", "--region", sr, "--cluster-name", top.Clusters[sr], "--nodegroup-name", top.Nodegroup,
			"--query", "nodegroup.status", "--output", "text")
		if got != "ACTIVE" {
			aws.t.Fatalf("standby node group %s", got)
		}
		// An unknown Auto Scaling group is an empty list: the query prints None.
		if got := aws.ok("autoscaling", "describe-auto-scaling-groups", "--region", sr, "--auto-scaling-group-names", "nope",
			"--query", "AutoScalingGroups[0].[MinSize,DesiredCapacity,MaxSize]", "--output", "text"); got != "None" {
			aws.t.Fatalf("unknown group %q", got)
		}
		if got := aws.ok("autoscaling", "describe-auto-scaling-groups", "--region", sr,
			"--query", "AutoScalingGroups[0].[MinSize,DesiredCapacity,MaxSize,length(Instances)]", "--output", "text"); got != "2\t2\t6\t2" {
			aws.t.Fatalf("standby group %q", got)
		}
	})
	group("cloudwatch", func(aws cli) {
		if got := aws.ok("cloudwatch", "describe-alarms", "--region", sr, "--alarm-names", top.FenceAlarm,
			"--query", "MetricAlarms[0].[StateValue,TreatMissingData,Period]", "--output", "text"); !strings.HasSuffix(got, "\tignore\t60") {
			aws.t.Fatalf("fence alarm %q", got)
		}
		// RDS's ReplicaLag, over CloudWatch's query protocol.
		end := time.Now().UTC()
		lag := aws.ok("cloudwatch", "get-metric-statistics", "--region", sr, "--namespace", "AWS/RDS", "--metric-name", "ReplicaLag",
			"--dimensions", "Name=DBInstanceIdentifier,Value="+top.ReplicaID, "--start-time", end.Add(-10*time.Minute).Format(time.RFC3339),
			"--end-time", end.Format(time.RFC3339), "--period", "60", "--statistics", "Maximum", "--query", "length(Datapoints)", "--output", "text")
		if lag == "0" {
			aws.t.Fatal("no ReplicaLag datapoint")
		}
		if got := aws.ok("sts", "get-caller-identity", "--region", sr, "--query", "Account", "--output", "text"); got != cloud.DefaultAccount {
			aws.t.Fatalf("account %q", got)
		}
	})
}

// failbackCalls are the failback's snapshot and the manual fence.
func failbackCalls(t *testing.T, aws cli, top *cloudtest.Topology) {
	sr := cloudtest.Standby
	out := aws.ok("rds", "create-db-snapshot", "--region", sr, "--db-instance-identifier", top.ReplicaID, "--db-snapshot-identifier", "failback-1", "--output", "json")
	var snap struct {
		DBSnapshot struct{ Status, DBSnapshotIdentifier string }
	}
	if err := json.Unmarshal([]byte(out), &snap); err != nil || snap.DBSnapshot.Status != "creating" {
		t.Fatalf("snapshot: %s", out)
	}
	aws.fails("DBSnapshotAlreadyExists", "CreateDBSnapshot", "rds", "create-db-snapshot", "--region", sr, "--db-instance-identifier", top.ReplicaID,
		"--db-snapshot-identifier", "failback-1", "--output", "json")
	aws.until("available", 30*time.Second, "rds", "describe-db-snapshots", "--region", sr, "--db-snapshot-identifier", "failback-1",
		"--query", "DBSnapshots[0].Status", "--output", "text")
	// The real waiter polls the same call.
	aws.ok("rds", "wait", "db-snapshot-available", "--region", sr, "--db-snapshot-identifier", "failback-1")
	aws.fails("DBSnapshotNotFound", "DescribeDBSnapshots", "rds", "describe-db-snapshots", "--region", sr, "--db-snapshot-identifier", "nope")
	aws.ok("rds", "wait", "db-instance-available", "--region", sr, "--db-instance-identifier", top.ReplicaID)
	// The deletion rules, as the provider meets them.
	aws.fails("InvalidParameterCombination", "DeleteDBInstance", "rds", "delete-db-instance", "--region", sr, "--db-instance-identifier", top.ReplicaID,
		"--skip-final-snapshot")

	// The control-plane manual fallback: the gate's threshold 3 of 2.
	aws.ok("route53", "update-health-check", "--region", "us-east-1", "--health-check-id", top.GateCheck, "--health-threshold", "3", "--output", "json")
	if got := aws.ok("route53", "get-health-check", "--region", "us-east-1", "--health-check-id", top.GateCheck,
		"--query", "HealthCheck.[HealthCheckConfig.HealthThreshold,HealthCheckVersion]", "--output", "text"); got != "3\t2" {
		t.Fatalf("gate after the update %q", got)
	}
}

// outageCalls: a region whose endpoints are gone fails at the transport
// (exit 255), not with an AWS error.
func outageCalls(t *testing.T, aws cli, lab *cloudtest.Lab) {
	lab.Cloud.SetRegionDown(cloudtest.Primary, true)
	defer lab.Cloud.SetRegionDown(cloudtest.Primary, false)
	r := aws.run("rds", "describe-db-instances", "--region", cloudtest.Primary, "--output", "text")
	if r.code != 255 || strings.Contains(r.stderr, "An error occurred (") {
		t.Fatalf("region down: exit %d, %q; want 255 and a connection error", r.code, r.stderr)
	}
	if got := aws.ok("rds", "describe-db-instances", "--region", cloudtest.Standby, "--query", "length(DBInstances)", "--output", "text"); got != "1" {
		t.Fatalf("the standby region answers %q", got)
	}
}
