package cloudtest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/rpc"
)

// Topology is what SeedDR created: the names and ids the stacks' outputs
// carry (outputs/outputs.go), for tests that drive the runbook's calls.
type Topology struct {
	Zone, AppHost                        string
	WriterID, WriterArn, ReplicaID       string
	ReplicaArn                           string
	Clusters                             map[string]string // region → cluster name
	Nodegroup                            string
	EndpointCheck, FenceCheck, GateCheck string
	FenceAlarm                           string
	SecretName, SecretArn                string
	Repository, ImageTag, ImageDigest    string
	PrimaryALB, StandbyALB               string
}

// SeedDR creates, through the RPC as the provider plugins do, the DR
// topology of the two stacks: the writer and its cross-region replica,
// both clusters with a node group and the taskflow and dr-agent objects,
// the zone, the endpoint check, the fence alarm and its metric check, the
// gate (threshold 2), the failover records, the replicated secret, the
// repositories with replication and a creation template, and a release
// image pushed after replication was set up. It waits until every part is
// ready.
func SeedDR(ctx context.Context, c *rpc.Client) (*Topology, error) {
	top := &Topology{
		Zone: "taskflow.example.com", AppHost: "app.taskflow.example.com",
		WriterID: "taskflow-db", ReplicaID: "taskflow-db",
		Clusters:  map[string]string{Primary: "taskflow-dr-primary", Standby: "taskflow-dr-standby"},
		Nodegroup: "taskflow-nodes", FenceAlarm: "taskflow-dr-fence-primary", SecretName: "taskflow/db",
		Repository: "taskflow", ImageTag: "lab-release", ImageDigest: "sha256:" + fmt.Sprintf("%064x", 0xdeadbeef),
		PrimaryALB: "primary-alb-1.eu-west-1.elb.amazonaws.com", StandbyALB: "standby-alb-1.eu-central-1.elb.amazonaws.com",
	}
	s := func(v string) *string { return &v }
	i := func(v int) *int { return &v }
	b := func(v bool) *bool { return &v }
	f := func(v float64) *float64 { return &v }
	steps := []func() error{
		func() error {
			var out cloud.DBInstanceOutput
			err := c.Call(ctx, Primary, "rds", "CreateDBInstance", &cloud.CreateDBInstanceInput{
				DBInstanceIdentifier: s(top.WriterID), DBInstanceClass: s("db.r6g.large"), Engine: s("postgres"), EngineVersion: s("16"),
				AllocatedStorage: i(100), MasterUsername: s("taskflow_admin"), MasterUserPassword: s("lab-password"), DBName: s("taskflow"),
				BackupRetentionPeriod: i(7), DeletionProtection: b(true), StorageEncrypted: b(true),
				KmsKeyId: s("arn:aws:kms:eu-west-1:000000000000:key/primary"), MultiAZ: b(true),
			}, &out)
			top.WriterArn = deref(out.DBInstance.DBInstanceArn)
			return err
		},
		func() error { return waitDB(ctx, c, Primary, top.WriterID) },
		func() error {
			var out cloud.DBInstanceOutput
			err := c.Call(ctx, Standby, "rds", "CreateDBInstanceReadReplica", &cloud.CreateDBInstanceReadReplicaInput{
				DBInstanceIdentifier: s(top.ReplicaID), SourceDBInstanceIdentifier: s(top.WriterArn), DBInstanceClass: s("db.r6g.large"),
				KmsKeyId: s("arn:aws:kms:eu-central-1:000000000000:key/standby"), DeletionProtection: b(true),
			}, &out)
			top.ReplicaArn = deref(out.DBInstance.DBInstanceArn)
			return err
		},
		func() error { return waitDB(ctx, c, Standby, top.ReplicaID) },
	}
	for _, region := range []string{Primary, Standby} {
		cluster := top.Clusters[region]
		steps = append(steps,
			func() error {
				return c.Call(ctx, region, "eks", "CreateCluster", &cloud.CreateClusterInput{Name: s(cluster), RoleArn: s("arn:aws:iam::000000000000:role/eks"),
					ResourcesVpcConfig: &cloud.VpcConfigRequest{SubnetIds: []string{"subnet-a", "subnet-b"}}, AccessConfig: &cloud.AccessConfig{AuthenticationMode: s("API")}}, nil)
			},
			func() error {
				return poll(ctx, "cluster "+cluster, func() (bool, error) {
					var out cloud.ClusterOutput
					err := c.Call(ctx, region, "eks", "DescribeCluster", &cloud.ClusterNameInput{Name: s(cluster)}, &out)
					return err == nil && *out.Cluster.Status == "ACTIVE", err
				})
			},
			func() error {
				return c.Call(ctx, region, "eks", "CreateNodegroup", &cloud.CreateNodegroupInput{ClusterName: s(cluster), NodegroupName: s(top.Nodegroup),
					Subnets: []string{"subnet-a", "subnet-b"}, NodeRole: s("arn:aws:iam::000000000000:role/node"), AmiType: s("AL2023_x86_64_STANDARD"),
					ScalingConfig:  &cloud.NodegroupScalingConfig{MinSize: i(2), DesiredSize: i(2), MaxSize: i(6)},
					LaunchTemplate: &cloud.LaunchTemplateSpecification{Name: s("taskflow-nodes"), Version: s("1")}}, nil)
			},
			func() error {
				for _, m := range []string{
					`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"taskflow"}}`,
					`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"taskflow-dr"}}`,
					`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"taskflow","namespace":"taskflow"},"spec":{"replicas":3}}`,
					`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"dr-agent","namespace":"taskflow-dr"},"spec":{"replicas":1}}`,
					`{"apiVersion":"v1","kind":"Service","metadata":{"name":"dr-agent","namespace":"taskflow-dr"},"spec":{"ports":[{"name":"http","port":80,"targetPort":8080}]}}`,
				} {
					if err := c.Call(ctx, region, "kubernetes", "ApplyObject", &cloud.KubeObjectInput{ClusterName: s(cluster), Object: json.RawMessage(m)}, nil); err != nil {
						return err
					}
				}
				return nil
			},
		)
	}
	steps = append(steps,
		func() error {
			return c.Call(ctx, Standby, "monitoring", "PutMetricAlarm", &cloud.PutMetricAlarmInput{AlarmName: s(top.FenceAlarm), Namespace: s("TaskFlowDR"),
				MetricName: s("PrimaryFenced"), Dimensions: []cloud.Dimension{{Name: s("FencedStack"), Value: s("primary")}}, Statistic: s("Maximum"),
				Period: i(60), EvaluationPeriods: i(1), Threshold: f(1), ComparisonOperator: s("GreaterThanOrEqualToThreshold"), TreatMissingData: s("ignore")}, nil)
		},
		func() error {
			var z cloud.CreateHostedZoneOutput
			if err := c.Call(ctx, Primary, "route53", "CreateHostedZone", &cloud.CreateHostedZoneInput{Name: s(top.Zone), CallerReference: s("seed-zone")}, &z); err != nil {
				return err
			}
			var ep, fence, gate cloud.HealthCheckOutput
			if err := c.Call(ctx, Primary, "route53", "CreateHealthCheck", &cloud.CreateHealthCheckInput{CallerReference: s("seed-endpoint"), HealthCheckConfig: &cloud.HealthCheckConfig{
				Type: s("HTTPS"), FullyQualifiedDomainName: s(top.PrimaryALB), Port: i(443), ResourcePath: s("/healthz"), RequestInterval: i(10),
				FailureThreshold: i(3), EnableSNI: b(true), Regions: []string{"us-east-1", "eu-west-1", "ap-southeast-1"}}}, &ep); err != nil {
				return err
			}
			if err := c.Call(ctx, Standby, "route53", "CreateHealthCheck", &cloud.CreateHealthCheckInput{CallerReference: s("seed-fence"), HealthCheckConfig: &cloud.HealthCheckConfig{
				Type: s("CLOUDWATCH_METRIC"), AlarmIdentifier: &cloud.AlarmIdentifier{Region: s(Standby), Name: s(top.FenceAlarm)}, InsufficientDataHealthStatus: s("Healthy")}}, &fence); err != nil {
				return err
			}
			if err := c.Call(ctx, Primary, "route53", "CreateHealthCheck", &cloud.CreateHealthCheckInput{CallerReference: s("seed-gate"), HealthCheckConfig: &cloud.HealthCheckConfig{
				Type: s("CALCULATED"), ChildHealthChecks: []string{*ep.HealthCheck.Id, *fence.HealthCheck.Id}, HealthThreshold: i(2)}}, &gate); err != nil {
				return err
			}
			top.EndpointCheck, top.FenceCheck, top.GateCheck = *ep.HealthCheck.Id, *fence.HealthCheck.Id, *gate.HealthCheck.Id
			top.Zone = *z.HostedZone.Id
			return c.Call(ctx, Primary, "route53", "ChangeResourceRecordSets", &cloud.ChangeResourceRecordSetsInput{HostedZoneId: z.HostedZone.Id, ChangeBatch: &cloud.ChangeBatch{Changes: []cloud.Change{
				{Action: s("CREATE"), ResourceRecordSet: &cloud.ResourceRecordSet{Name: s(top.AppHost), Type: s("CNAME"), TTL: i(60), SetIdentifier: s("primary-eu-west-1"),
					Failover: s("PRIMARY"), HealthCheckId: gate.HealthCheck.Id, ResourceRecords: []cloud.ResourceRecord{{Value: s(top.PrimaryALB)}}}},
				{Action: s("CREATE"), ResourceRecordSet: &cloud.ResourceRecordSet{Name: s(top.AppHost), Type: s("CNAME"), TTL: i(60), SetIdentifier: s("standby-eu-central-1"),
					Failover: s("SECONDARY"), ResourceRecords: []cloud.ResourceRecord{{Value: s(top.StandbyALB)}}}},
			}}}, nil)
		},
		func() error {
			var out cloud.CreateSecretOutput
			err := c.Call(ctx, Primary, "secretsmanager", "CreateSecret", &cloud.CreateSecretInput{Name: s(top.SecretName), SecretString: s(`{"username":"taskflow_admin"}`),
				AddReplicaRegions: []cloud.ReplicaRegionType{{Region: s(Standby)}}}, &out)
			top.SecretArn = deref(out.ARN)
			return err
		},
		func() error {
			for _, region := range []string{Primary, Standby} {
				if err := c.Call(ctx, region, "ecr", "CreateRepository", &cloud.CreateRepositoryInput{RepositoryName: s(top.Repository), ImageTagMutability: s("IMMUTABLE")}, nil); err != nil {
					return err
				}
			}
			if err := c.Call(ctx, Primary, "ecr", "PutReplicationConfiguration", &cloud.PutReplicationConfigurationInput{ReplicationConfiguration: &cloud.ReplicationConfiguration{
				Rules: []cloud.ReplicationRule{{Destinations: []cloud.ReplicationDestination{{Region: s(Standby), RegistryId: s(cloud.DefaultAccount)}}}}}}, nil); err != nil {
				return err
			}
			return c.Call(ctx, Primary, "ecr", "LabPutImage", &cloud.LabPutImageInput{RepositoryName: s(top.Repository), ImageDigest: s(top.ImageDigest), ImageTag: s(top.ImageTag)}, nil)
		},
		// Everything settles: node groups ACTIVE, records INSYNC, the
		// secret InSync, the image replicated.
		func() error {
			return poll(ctx, "the topology to settle", func() (bool, error) {
				for _, region := range []string{Primary, Standby} {
					var ng cloud.NodegroupOutput
					if err := c.Call(ctx, region, "eks", "DescribeNodegroup", &cloud.NodegroupNameInput{ClusterName: s(top.Clusters[region]), NodegroupName: s(top.Nodegroup)}, &ng); err != nil || *ng.Nodegroup.Status != "ACTIVE" {
						return false, err
					}
				}
				var d cloud.DescribeSecretOutput
				if err := c.Call(ctx, Primary, "secretsmanager", "DescribeSecret", &cloud.SecretIDInput{SecretId: s(top.SecretName)}, &d); err != nil || *d.ReplicationStatus[0].Status != "InSync" {
					return false, err
				}
				var im cloud.DescribeImagesOutput
				if err := c.Call(ctx, Standby, "ecr", "DescribeImages", &cloud.DescribeImagesInput{RepositoryName: s(top.Repository),
					ImageIds: []cloud.ImageIdentifier{{ImageTag: s(top.ImageTag)}}}, &im); err != nil {
					return false, nil
				}
				var rr cloud.ListResourceRecordSetsOutput
				return true, c.Call(ctx, Primary, "route53", "ListResourceRecordSets", &cloud.ListResourceRecordSetsInput{HostedZoneId: s(top.Zone)}, &rr)
			})
		},
	)
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("seed the DR topology: %w", err)
		}
	}
	return top, nil
}

func waitDB(ctx context.Context, c *rpc.Client, region, id string) error {
	return poll(ctx, "database "+id+" in "+region, func() (bool, error) {
		var out cloud.DescribeDBInstancesOutput
		err := c.Call(ctx, region, "rds", "DescribeDBInstances", &cloud.DescribeDBInstancesInput{DBInstanceIdentifier: &id}, &out)
		if err != nil {
			return false, err
		}
		if st := *out.DBInstances[0].DBInstanceStatus; st == "failed" {
			return false, fmt.Errorf("database %s in %s failed", id, region)
		}
		return *out.DBInstances[0].DBInstanceStatus == "available", nil
	})
}

// poll calls cond every 50 ms for up to two minutes.
func poll(ctx context.Context, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
