package cloud

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// dbStatus reads an instance's status, "" once it is gone.
func dbStatus(t *testing.T, c *Cloud, region, id string) (string, *DBInstance) {
	t.Helper()
	out, err := try[DescribeDBInstancesOutput](c, region, "rds", "DescribeDBInstances", &DescribeDBInstancesInput{DBInstanceIdentifier: &id})
	if err != nil {
		return "", nil
	}
	return *out.DBInstances[0].DBInstanceStatus, &out.DBInstances[0]
}

func waitStatus(t *testing.T, c *Cloud, region, id, want string) *DBInstance {
	t.Helper()
	var db *DBInstance
	eventually(t, 60*time.Second, id+" "+want, func() bool {
		var st string
		st, db = dbStatus(t, c, region, id)
		return st == want
	})
	return db
}

// createPair builds the lab's pair: an encrypted writer in eu-west-1 and
// its cross-region replica in eu-central-1, as the program does.
func createPair(t *testing.T, c *Cloud) (writerArn string) {
	t.Helper()
	w := call[DBInstanceOutput](t, c, west, "rds", "CreateDBInstance", &CreateDBInstanceInput{
		DBInstanceIdentifier: s("taskflow-db"), DBInstanceClass: s("db.r6g.large"), Engine: s("postgres"), EngineVersion: s("16"),
		AllocatedStorage: i(100), MasterUsername: s("taskflow_admin"), MasterUserPassword: s("correct-horse"), DBName: s("taskflow"),
		StorageEncrypted: b(true), KmsKeyId: s("arn:aws:kms:eu-west-1:000000000000:key/west"), BackupRetentionPeriod: i(7),
		DeletionProtection: b(true),
	})
	if got := *w.DBInstance.DBInstanceStatus; got != "creating" {
		t.Fatalf("new writer status %s, want creating", got)
	}
	if got := *w.DBInstance.EngineVersion; !strings.HasPrefix(got, "16.") {
		t.Fatalf("engine version %s, want a 16.x minor", got)
	}
	waitStatus(t, c, west, "taskflow-db", "available")
	writerArn = *w.DBInstance.DBInstanceArn

	// A cross-region source is named by ARN: an identifier is looked up in
	// the replica's own region only.
	refused(t, c, central, "rds", "CreateDBInstanceReadReplica", &CreateDBInstanceReadReplicaInput{
		DBInstanceIdentifier: s("taskflow-db"), SourceDBInstanceIdentifier: s("taskflow-db"), KmsKeyId: s("arn:aws:kms:eu-central-1:000000000000:key/central"),
	}, "DBInstanceNotFound")
	// An encrypted source needs a key in the destination region.
	refused(t, c, central, "rds", "CreateDBInstanceReadReplica", &CreateDBInstanceReadReplicaInput{
		DBInstanceIdentifier: s("taskflow-db"), SourceDBInstanceIdentifier: &writerArn,
	}, "InvalidParameterCombination")
	refused(t, c, central, "rds", "CreateDBInstanceReadReplica", &CreateDBInstanceReadReplicaInput{
		DBInstanceIdentifier: s("taskflow-db"), SourceDBInstanceIdentifier: &writerArn, KmsKeyId: s("arn:aws:kms:eu-west-1:000000000000:key/west"),
	}, "KMSKeyNotAccessibleFault")
	call[DBInstanceOutput](t, c, central, "rds", "CreateDBInstanceReadReplica", &CreateDBInstanceReadReplicaInput{
		DBInstanceIdentifier: s("taskflow-db"), SourceDBInstanceIdentifier: &writerArn, KmsKeyId: s("arn:aws:kms:eu-central-1:000000000000:key/central"),
		DeletionProtection: b(true),
	})
	r := waitStatus(t, c, central, "taskflow-db", "available")
	if got := deref(r.ReadReplicaSourceDBInstanceIdentifier); got != writerArn {
		t.Fatalf("replica's source %q, want the writer's ARN %s", got, writerArn)
	}
	_, wd := dbStatus(t, c, west, "taskflow-db")
	if len(wd.ReadReplicaDBInstanceIdentifiers) != 1 || !strings.Contains(wd.ReadReplicaDBInstanceIdentifiers[0], "eu-central-1") {
		t.Fatalf("writer's replicas %v, want the replica's ARN", wd.ReadReplicaDBInstanceIdentifiers)
	}
	return writerArn
}

func TestRDSLifecycle(t *testing.T) {
	requirePostgres(t)
	c := newTestCloud(t, Timings{})
	ctx := context.Background()
	createPair(t, c)

	writer, replica := c.Database(west, "taskflow-db"), c.Database(central, "taskflow-db")
	if err := writer.Exec(ctx, "CREATE TABLE t(x int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the row replicated", func() bool {
		n, err := replica.QueryInt64s(ctx, "SELECT count(*) FROM t")
		return err == nil && n[0] == 1
	})

	t.Run("a writer cannot be promoted", func(t *testing.T) {
		refused(t, c, west, "rds", "PromoteReadReplica", &PromoteReadReplicaInput{DBInstanceIdentifier: s("taskflow-db")}, "InvalidDBInstanceState")
	})
	t.Run("deletion protection refuses the delete", func(t *testing.T) {
		refused(t, c, central, "rds", "DeleteDBInstance", &DeleteDBInstanceInput{DBInstanceIdentifier: s("taskflow-db"), SkipFinalSnapshot: b(true)}, "InvalidParameterCombination")
	})
	t.Run("a replica takes no final snapshot", func(t *testing.T) {
		call[DBInstanceOutput](t, c, central, "rds", "ModifyDBInstance", &ModifyDBInstanceInput{DBInstanceIdentifier: s("taskflow-db"), DeletionProtection: b(false)})
		e := refused(t, c, central, "rds", "DeleteDBInstance", &DeleteDBInstanceInput{DBInstanceIdentifier: s("taskflow-db"), FinalDBSnapshotIdentifier: s("final-1")}, "InvalidParameterCombination")
		if !strings.Contains(e.Message, "replica") {
			t.Fatalf("message %q", e.Message)
		}
		call[DBInstanceOutput](t, c, central, "rds", "ModifyDBInstance", &ModifyDBInstanceInput{DBInstanceIdentifier: s("taskflow-db"), DeletionProtection: b(true)})
	})
	t.Run("unknown instance", func(t *testing.T) {
		e := refused(t, c, west, "rds", "DescribeDBInstances", &DescribeDBInstancesInput{DBInstanceIdentifier: s("nope")}, "DBInstanceNotFound")
		if e.HTTPStatus() != 404 {
			t.Fatalf("status %d, want 404", e.HTTPStatus())
		}
	})

	endpointDSN, err := c.DatabaseDSN(central, "taskflow-db", "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if err := execVia(ctx, endpointDSN, "SELECT 1"); err != nil {
		t.Fatalf("the replica's endpoint: %v", err)
	}

	// Promotion: modifying, then rebooting, then available as a writer with
	// one day of backups when none is asked for.
	start := time.Now()
	out := call[DBInstanceOutput](t, c, central, "rds", "PromoteReadReplica", &PromoteReadReplicaInput{DBInstanceIdentifier: s("taskflow-db")})
	if got := *out.DBInstance.DBInstanceStatus; got != "modifying" {
		t.Fatalf("status after PromoteReadReplica %s, want modifying", got)
	}
	refused(t, c, central, "rds", "PromoteReadReplica", &PromoteReadReplicaInput{DBInstanceIdentifier: s("taskflow-db")}, "InvalidDBInstanceState")
	waitStatus(t, c, central, "taskflow-db", "rebooting")
	// While it reboots nothing connects: no write lands before RDS makes
	// the instance available.
	if err := execVia(ctx, endpointDSN, "SELECT 1"); err == nil {
		t.Fatal("the database answered while its instance was rebooting")
	}
	promoted := waitStatus(t, c, central, "taskflow-db", "available")
	took := time.Since(start)
	want := (DefaultTimings().PromoteModifying + DefaultTimings().PromoteRebooting) / testScale
	if took < want || took > want+5*time.Second {
		t.Fatalf("promotion took %s, want about %s (5 min scaled 1/%d)", took, want, testScale)
	}
	if promoted.ReadReplicaSourceDBInstanceIdentifier != nil || deref(promoted.BackupRetentionPeriod) != 1 {
		t.Fatalf("promoted: source %v, retention %d; want none and 1 day", promoted.ReadReplicaSourceDBInstanceIdentifier, deref(promoted.BackupRetentionPeriod))
	}
	// The endpoint is the identifier's: the address a client had before
	// the promotion reaches the promoted writer.
	if err := execVia(ctx, endpointDSN, "INSERT INTO t VALUES (2)"); err != nil {
		t.Fatalf("the promoted database refuses writes through its endpoint: %v", err)
	}
	_, wd := dbStatus(t, c, west, "taskflow-db")
	if len(wd.ReadReplicaDBInstanceIdentifiers) != 0 {
		t.Fatalf("the old source still lists %v", wd.ReadReplicaDBInstanceIdentifiers)
	}
	// The provider's second promotion after a command-line one is refused.
	refused(t, c, central, "rds", "PromoteReadReplica", &PromoteReadReplicaInput{DBInstanceIdentifier: s("taskflow-db"), BackupRetentionPeriod: i(7)}, "InvalidDBInstanceState")

	t.Run("snapshots", func(t *testing.T) {
		call[DBSnapshotOutput](t, c, central, "rds", "CreateDBSnapshot", &CreateDBSnapshotInput{DBSnapshotIdentifier: s("failback-1"), DBInstanceIdentifier: s("taskflow-db")})
		refused(t, c, central, "rds", "CreateDBSnapshot", &CreateDBSnapshotInput{DBSnapshotIdentifier: s("failback-1"), DBInstanceIdentifier: s("taskflow-db")}, "DBSnapshotAlreadyExists")
		eventually(t, 30*time.Second, "snapshot available", func() bool {
			out, err := try[DescribeDBSnapshotsOutput](c, central, "rds", "DescribeDBSnapshots", &DescribeDBSnapshotsInput{DBSnapshotIdentifier: s("failback-1")})
			return err == nil && *out.DBSnapshots[0].Status == "available"
		})
		refused(t, c, central, "rds", "DescribeDBSnapshots", &DescribeDBSnapshotsInput{DBSnapshotIdentifier: s("nope")}, "DBSnapshotNotFound")
		waitStatus(t, c, central, "taskflow-db", "available")
	})

	t.Run("deleting a writer", func(t *testing.T) {
		call[DBInstanceOutput](t, c, west, "rds", "ModifyDBInstance", &ModifyDBInstanceInput{DBInstanceIdentifier: s("taskflow-db"), DeletionProtection: b(false)})
		refused(t, c, west, "rds", "DeleteDBInstance", &DeleteDBInstanceInput{DBInstanceIdentifier: s("taskflow-db")}, "InvalidParameterCombination")
		refused(t, c, west, "rds", "DeleteDBInstance", &DeleteDBInstanceInput{DBInstanceIdentifier: s("taskflow-db"), SkipFinalSnapshot: b(true), FinalDBSnapshotIdentifier: s("x")}, "InvalidParameterCombination")
		call[DBSnapshotOutput](t, c, west, "rds", "CreateDBSnapshot", &CreateDBSnapshotInput{DBSnapshotIdentifier: s("final-1"), DBInstanceIdentifier: s("taskflow-db")})
		waitStatus(t, c, west, "taskflow-db", "available")
		refused(t, c, west, "rds", "DeleteDBInstance", &DeleteDBInstanceInput{DBInstanceIdentifier: s("taskflow-db"), FinalDBSnapshotIdentifier: s("final-1")}, "DBSnapshotAlreadyExists")
		out := call[DBInstanceOutput](t, c, west, "rds", "DeleteDBInstance", &DeleteDBInstanceInput{DBInstanceIdentifier: s("taskflow-db"), FinalDBSnapshotIdentifier: s("final-2")})
		if *out.DBInstance.DBInstanceStatus != "deleting" {
			t.Fatalf("status %s, want deleting", *out.DBInstance.DBInstanceStatus)
		}
		eventually(t, 30*time.Second, "the instance gone", func() bool {
			_, err := try[DescribeDBInstancesOutput](c, west, "rds", "DescribeDBInstances", &DescribeDBInstancesInput{DBInstanceIdentifier: s("taskflow-db")})
			return err != nil
		})
		dsn, _ := c.DatabaseDSN(west, "taskflow-db", "postgres")
		if err := execVia(context.Background(), dsn, "SELECT 1"); err == nil {
			t.Fatal("a deleted instance's endpoint still answers")
		}
		snaps := call[DescribeDBSnapshotsOutput](t, c, west, "rds", "DescribeDBSnapshots", &DescribeDBSnapshotsInput{DBInstanceIdentifier: s("taskflow-db")})
		if len(snaps.DBSnapshots) != 2 {
			t.Fatalf("%d snapshots of the deleted writer, want its manual one and its final one", len(snaps.DBSnapshots))
		}
	})
}

// replicaLag reads the ReplicaLag maxima RDS published in the last minute.
func replicaLag(t *testing.T, c *Cloud) []float64 {
	now := time.Now()
	out := call[GetMetricStatisticsOutput](t, c, central, "monitoring", "GetMetricStatistics", &GetMetricStatisticsInput{
		Namespace: s("AWS/RDS"), MetricName: s("ReplicaLag"), Dimensions: []Dimension{{Name: s("DBInstanceIdentifier"), Value: s("taskflow-db")}},
		StartTime: At(now.Add(-time.Minute)), EndTime: At(now.Add(time.Second)), Period: i(1), Statistics: []string{"Maximum"},
	})
	var values []float64
	for _, dp := range out.Datapoints {
		values = append(values, *dp.Maximum)
	}
	return values
}

// RDS's ReplicaLag for PostgreSQL is the age of the last replayed
// transaction: with the writer idle it grows, though nothing is behind,
// until RDS's own periodic write brings it down again.
func TestReplicaLagOnAnIdleWriter(t *testing.T) {
	requirePostgres(t)
	c := newTestCloud(t, Timings{RDSMetricPeriod: 30 * time.Second, RDSInternalWrite: 500 * time.Second})
	createPair(t, c)
	var values []float64
	eventually(t, 20*time.Second, "ReplicaLag datapoints over three seconds", func() bool {
		values = replicaLag(t, c)
		return len(values) >= 4
	})
	grew, fell := false, false
	for k := 1; k < len(values); k++ {
		grew = grew || values[k] > values[k-1]
		fell = fell || values[k] < values[k-1]-0.5
	}
	top := 0.0
	for _, v := range values {
		top = max(top, v)
	}
	// The internal write comes every 5 s (scaled): the lag grows by the
	// second between them and never passes it by much.
	if !grew || top > 5+2 {
		t.Fatalf("ReplicaLag %v: want growth between RDS's writes and a maximum near 5 s", values)
	}
	eventually(t, 15*time.Second, "RDS's write to bring the lag down", func() bool {
		values = replicaLag(t, c)
		for k := 1; k < len(values); k++ {
			fell = fell || values[k] < values[k-1]-0.5
		}
		return fell
	})
}

func TestMultiAZConversionKeepsTheDatabaseWritable(t *testing.T) {
	requirePostgres(t)
	c := newTestCloud(t, Timings{MultiAZConversion: 200 * time.Second})
	call[DBInstanceOutput](t, c, west, "rds", "CreateDBInstance", &CreateDBInstanceInput{
		DBInstanceIdentifier: s("solo"), DBInstanceClass: s("db.t4g.micro"), Engine: s("postgres"), AllocatedStorage: i(20),
		MasterUsername: s("admin"), MasterUserPassword: s("password1"),
	})
	waitStatus(t, c, west, "solo", "available")
	// Without ApplyImmediately the change waits for the maintenance window.
	out := call[DBInstanceOutput](t, c, west, "rds", "ModifyDBInstance", &ModifyDBInstanceInput{DBInstanceIdentifier: s("solo"), MultiAZ: b(true)})
	if !deref(out.DBInstance.PendingModifiedValues.MultiAZ) || deref(out.DBInstance.MultiAZ) {
		t.Fatalf("without ApplyImmediately: pending %v, MultiAZ %v", out.DBInstance.PendingModifiedValues.MultiAZ, out.DBInstance.MultiAZ)
	}
	start := time.Now()
	call[DBInstanceOutput](t, c, west, "rds", "ModifyDBInstance", &ModifyDBInstanceInput{DBInstanceIdentifier: s("solo"), MultiAZ: b(true), ApplyImmediately: b(true)})
	if st, _ := dbStatus(t, c, west, "solo"); st != "modifying" {
		t.Fatalf("status %s, want modifying", st)
	}
	if err := c.Database(west, "solo").Exec(context.Background(), "CREATE TABLE during(x int)"); err != nil {
		t.Fatalf("writes during the conversion: %v", err)
	}
	db := waitStatus(t, c, west, "solo", "available")
	if !deref(db.MultiAZ) || time.Since(start) < 2*time.Second {
		t.Fatalf("MultiAZ %v after %s, want true after 2 s", deref(db.MultiAZ), time.Since(start))
	}
}

func TestIdentifierAndParameterRules(t *testing.T) {
	c := newTestCloud(t, Timings{})
	for _, id := range []string{"1db", "db-", "db--x", strings.Repeat("a", 64)} {
		refused(t, c, west, "rds", "CreateDBInstance", &CreateDBInstanceInput{DBInstanceIdentifier: s(id), DBInstanceClass: s("db.t4g.micro"),
			Engine: s("postgres"), AllocatedStorage: i(20), MasterUsername: s("u"), MasterUserPassword: s("password1")}, "InvalidParameterValue")
	}
	base := func() *CreateDBInstanceInput {
		return &CreateDBInstanceInput{DBInstanceIdentifier: s("db"), DBInstanceClass: s("db.t4g.micro"), Engine: s("postgres"),
			AllocatedStorage: i(20), MasterUsername: s("u"), MasterUserPassword: s("password1")}
	}
	in := base()
	in.MasterUserPassword = s("short")
	refused(t, c, west, "rds", "CreateDBInstance", in, "InvalidParameterValue")
	in = base()
	in.PreferredBackupWindow = s("03:00-03:10")
	refused(t, c, west, "rds", "CreateDBInstance", in, "InvalidParameterValue")
	in = base()
	in.BackupRetentionPeriod = i(36)
	refused(t, c, west, "rds", "CreateDBInstance", in, "InvalidParameterValue")
	in = base()
	in.DBInstanceClass = nil
	e := refused(t, c, west, "rds", "CreateDBInstance", in, "MissingParameter")
	if !strings.Contains(e.Message, "DBInstanceClass") {
		t.Fatalf("message %q does not name the parameter", e.Message)
	}
	refused(t, c, west, "rds", "PromoteReadReplica", &PromoteReadReplicaInput{DBInstanceIdentifier: s("db"), PreferredBackupWindow: s("3-4")}, "InvalidParameterValue")
	refused(t, c, west, "rds", "PromoteReadReplica", &PromoteReadReplicaInput{DBInstanceIdentifier: s("nope")}, "DBInstanceNotFound")
}

// execVia runs a statement through a DSN.
func execVia(ctx context.Context, dsn, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
