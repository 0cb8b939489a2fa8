package aws

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/langhost"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc/cloudrpctest"
)

// lab is one provider instance (one region) on a fake cloud.
type lab struct {
	t     *testing.T
	s     *provider.Server
	cloud *cloudrpctest.Cloud
}

func newLab(t *testing.T, cloud *cloudrpctest.Cloud, region string) *lab {
	t.Helper()
	srv := httptest.NewServer(cloud)
	t.Cleanup(srv.Close)
	t.Setenv(cloudrpc.EnvCloud, srv.URL)
	t.Setenv(EnvPollInterval, "5ms")
	s := provider.NewServer(Package(), nil)
	args, _ := provider.Marshal(provider.FromGo(map[string]any{"region": region}))
	if _, err := s.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: args}); err != nil {
		t.Fatal(err)
	}
	return &lab{t: t, s: s, cloud: cloud}
}

func newCloud(t *testing.T) *cloudrpctest.Cloud {
	c := cloudrpctest.New(DefaultAccount, "taskflow.example.com")
	c.Delay = 20 * time.Millisecond
	t.Cleanup(c.Close)
	return c
}

func urn(token, name string) string {
	return "urn:pulumi:lab::taskflow-dr::" + token + "::" + name
}

// check runs Check (olds may be nil) and returns the checked inputs.
func (l *lab) check(u string, olds, news provider.Props) (provider.Props, error) {
	o, _ := provider.Marshal(olds)
	n, _ := provider.Marshal(news)
	parts := strings.Split(u, "::")
	resp, err := l.s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: u, Type: parts[2], Olds: o, News: n, RandomSeed: []byte(u)})
	if err != nil {
		return nil, err
	}
	if f := resp.GetFailures(); len(f) > 0 {
		return nil, &checkFailure{f[0].GetReason()}
	}
	return provider.Unmarshal(resp.GetInputs())
}

type checkFailure struct{ reason string }

func (c *checkFailure) Error() string { return c.reason }

func (l *lab) create(u string, in map[string]any) (string, provider.Props, provider.Props) {
	l.t.Helper()
	checked, err := l.check(u, nil, provider.FromGo(in))
	if err != nil {
		l.t.Fatal(err)
	}
	p, _ := provider.Marshal(checked)
	resp, err := l.s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: u, Properties: p})
	if err != nil {
		l.t.Fatal(err)
	}
	outs, _ := provider.Unmarshal(resp.GetProperties())
	return resp.GetId(), checked, outs
}

func (l *lab) update(u, id string, olds, oldInputs provider.Props, news map[string]any) (provider.Props, provider.Props, error) {
	checked, err := l.check(u, oldInputs, provider.FromGo(news))
	if err != nil {
		return nil, nil, err
	}
	o, _ := provider.Marshal(olds)
	oi, _ := provider.Marshal(oldInputs)
	n, _ := provider.Marshal(checked)
	resp, err := l.s.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: u, Id: id, Olds: o, OldInputs: oi, News: n})
	if err != nil {
		return nil, nil, err
	}
	outs, _ := provider.Unmarshal(resp.GetProperties())
	return checked, outs, nil
}

func (l *lab) read(u, id string, olds, oldInputs provider.Props) (string, provider.Props, provider.Props) {
	l.t.Helper()
	o, _ := provider.Marshal(olds)
	oi, _ := provider.Marshal(oldInputs)
	resp, err := l.s.Read(context.Background(), &pulumirpc.ReadRequest{Urn: u, Id: id, Properties: o, Inputs: oi})
	if err != nil {
		l.t.Fatal(err)
	}
	outs, _ := provider.Unmarshal(resp.GetProperties())
	ins, _ := provider.Unmarshal(resp.GetInputs())
	return resp.GetId(), outs, ins
}

func (l *lab) delete(u, id string, olds provider.Props) error {
	p, _ := provider.Marshal(olds)
	_, err := l.s.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: u, Id: id, Properties: p})
	return err
}

const dbToken = "aws:rds/instance:Instance"

func writerArgs() map[string]any {
	return map[string]any{
		"engine": "postgres", "engineVersion": "16.8", "instanceClass": "db.r6g.xlarge", "allocatedStorage": 200,
		"storageEncrypted": true, "kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/k1", "multiAz": true,
		"backupRetentionPeriod": 14, "deletionProtection": true, "skipFinalSnapshot": false,
		"finalSnapshotIdentifier": "taskflow-dr-primary-db-final-aaaa", "dbName": "taskflow",
		"username": "taskflow_admin", "password": "secret-password", "applyImmediately": true,
	}
}

func replicaArgs(source string) map[string]any {
	return map[string]any{
		"engine": "postgres", "engineVersion": "16.8", "instanceClass": "db.r6g.xlarge", "allocatedStorage": 200,
		"storageEncrypted": true, "kmsKeyId": "arn:aws:kms:eu-central-1:123456789012:key/k2", "multiAz": false,
		"backupRetentionPeriod": 14, "deletionProtection": true, "skipFinalSnapshot": false,
		"finalSnapshotIdentifier": "taskflow-dr-standby-db-final-bbbb", "replicateSourceDb": source, "applyImmediately": true,
	}
}

// TestRDSReplicaPromotesWhenTheSourceIsCleared follows
// resourceInstanceUpdate: clearing replicateSourceDb calls
// PromoteReadReplica with the configured retention; naming a new source
// is refused.
func TestRDSReplicaPromotesWhenTheSourceIsCleared(t *testing.T) {
	cloud := newCloud(t)
	primary, standby := newLab(t, cloud, "eu-west-1"), newLab(t, cloud, "eu-central-1")
	_, _, wOuts := primary.create(urn(dbToken, "db"), writerArgs())
	wArn := provider.Str(wOuts, "arn")
	if !regexp.MustCompile(`^arn:aws:rds:eu-west-1:123456789012:db:db[0-9a-f]{7}$`).MatchString(wArn) {
		t.Fatalf("writer ARN %q: want the autonamed identifier db+7 hex (no separator, pulumi-aws resources.go)", wArn)
	}
	u := urn(dbToken, "db")
	id, ins, outs := standby.create(u, replicaArgs(wArn))
	rid := provider.Str(outs, "identifier")
	src, retention, _, _ := cloud.DB("eu-central-1", rid)
	if src != wArn || retention != 14 || provider.Str(outs, "replicateSourceDb") != wArn {
		t.Fatalf("replica: source %q retention %d (CreateDBInstanceReadReplica then ModifyDBInstance for the retention)", src, retention)
	}
	news := replicaArgs("")
	delete(news, "replicateSourceDb")
	news["multiAz"] = true
	_, outs2, err := standby.update(u, id, outs, ins, news)
	if err != nil {
		t.Fatal(err)
	}
	src, retention, multiAZ, _ := cloud.DB("eu-central-1", rid)
	if src != "" || retention != 14 || !multiAZ || provider.Str(outs2, "replicateSourceDb") != "" {
		t.Fatalf("after promotion: source %q retention %d multiAZ %v", src, retention, multiAZ)
	}
	_, _, err = standby.update(u, id, outs, ins, replicaArgs(wArn+"-other"))
	if err == nil || !strings.Contains(err.Error(), "cannot elect new source database") {
		t.Fatalf("new source: want Terraform's refusal, got %v", err)
	}
}

// TestRDSRefreshSeesACLIPromotion: the promotion made outside Pulumi is
// what Read returns, inputs included, so the reconcile up does not
// promote again.
func TestRDSRefreshSeesACLIPromotion(t *testing.T) {
	cloud := newCloud(t)
	primary, standby := newLab(t, cloud, "eu-west-1"), newLab(t, cloud, "eu-central-1")
	_, _, wOuts := primary.create(urn(dbToken, "db"), writerArgs())
	u := urn(dbToken, "db")
	id, ins, outs := standby.create(u, replicaArgs(provider.Str(wOuts, "arn")))
	rid := provider.Str(outs, "identifier")
	if err := cloud.Promote("eu-central-1", rid, 7); err != nil {
		t.Fatal(err)
	}
	// Without a refresh, the provider promotes again: RDS refuses.
	news := replicaArgs("")
	delete(news, "replicateSourceDb")
	if _, _, err := standby.update(u, id, outs, ins, news); err == nil || !strings.Contains(err.Error(), "InvalidDBInstanceState") {
		t.Fatalf("second promotion: want InvalidDBInstanceState, got %v", err)
	}
	// The runbook waits for `available` before it refreshes.
	time.Sleep(3 * cloud.Delay)
	gotID, outs, ins := standby.read(u, id, outs, ins)
	if gotID != id || provider.Has(ins, "replicateSourceDb") || provider.Str(outs, "replicateSourceDb") != "" ||
		provider.Int(ins, "backupRetentionPeriod", 0) != 7 {
		t.Fatalf("refresh: id %q, inputs %v", gotID, ins)
	}
	if _, _, err := standby.update(u, id, outs, ins, news); err != nil {
		t.Fatalf("reconcile after refresh: %v", err)
	}
}

// TestRDSDeleteRules: RDS refuses a protected instance and a final
// snapshot of a replica or under a name in use; Terraform refuses a
// missing snapshot name.
func TestRDSDeleteRules(t *testing.T) {
	cloud := newCloud(t)
	primary, standby := newLab(t, cloud, "eu-west-1"), newLab(t, cloud, "eu-central-1")
	u := urn(dbToken, "db")
	wid, _, wOuts := primary.create(u, writerArgs())
	if err := primary.delete(u, wid, wOuts); err == nil || !strings.Contains(err.Error(), "deletion protection") {
		t.Fatalf("protected: got %v", err)
	}
	rid, _, rOuts := standby.create(u, replicaArgs(provider.Str(wOuts, "arn")))
	rOuts["deletionProtection"] = provider.FromGo(map[string]any{"v": false})["v"]
	if err := standby.delete(u, rid, rOuts); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Fatalf("final snapshot of a replica: got %v", err)
	}
	rOuts["skipFinalSnapshot"] = provider.FromGo(map[string]any{"v": true})["v"]
	if err := standby.delete(u, rid, rOuts); err != nil {
		t.Fatalf("replica without snapshot: %v", err)
	}
	wOuts["deletionProtection"] = provider.FromGo(map[string]any{"v": false})["v"]
	noName := provider.Copy(wOuts)
	delete(noName, "finalSnapshotIdentifier")
	if err := primary.delete(u, wid, noName); err == nil || !strings.Contains(err.Error(), "final_snapshot_identifier is required") {
		t.Fatalf("no snapshot name: got %v", err)
	}
	if err := primary.delete(u, wid, wOuts); err != nil {
		t.Fatal(err)
	}
	w2, _, w2Outs := primary.create(urn(dbToken, "db2"), writerArgs())
	w2Outs["deletionProtection"] = provider.FromGo(map[string]any{"v": false})["v"]
	if err := primary.delete(urn(dbToken, "db2"), w2, w2Outs); err == nil || !strings.Contains(err.Error(), "DBSnapshotAlreadyExists") {
		t.Fatalf("snapshot name in use: got %v", err)
	}
}

func TestRDSCheckRefusesReplicaWithWriterOnlyInputs(t *testing.T) {
	l := newLab(t, newCloud(t), "eu-central-1")
	args := replicaArgs("arn:aws:rds:eu-west-1:123456789012:db:x")
	args["dbName"] = "taskflow"
	if _, err := l.check(urn(dbToken, "db"), nil, provider.FromGo(args)); err == nil || !strings.Contains(err.Error(), "conflicts with replicateSourceDb") {
		t.Fatalf("got %v", err)
	}
}

func TestLaunchConfigurationRefusedInNewAccounts(t *testing.T) {
	l := newLab(t, newCloud(t), "eu-west-1")
	checked, err := l.check(urn("aws:ec2/launchConfiguration:LaunchConfiguration", "lc"), nil, provider.FromGo(map[string]any{"imageId": "ami-1", "instanceType": "m6i.xlarge"}))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := provider.Marshal(checked)
	_, err = l.s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn("aws:ec2/launchConfiguration:LaunchConfiguration", "lc"), Properties: p})
	if err == nil || !strings.Contains(err.Error(), "UnsupportedOperation") {
		t.Fatalf("want the cloud's refusal, got %v", err)
	}
}

func TestRecordCreateDoesNotTakeOverAnExistingRecord(t *testing.T) {
	cloud := newCloud(t)
	l := newLab(t, cloud, "eu-west-1")
	zone := cloud.ZoneID("taskflow.example.com")
	rec := map[string]any{"zoneId": zone, "name": "_x.app.taskflow.example.com.", "type": "CNAME", "ttl": 60, "records": []any{"_y.acm-validations.aws."}}
	id, _, outs := l.create(urn("aws:route53/record:Record", "a"), rec)
	if id != zone+"__x.app.taskflow.example.com_CNAME" || provider.Str(outs, "fqdn") != "_x.app.taskflow.example.com" {
		t.Fatalf("id %q fqdn %q (record.go: zone_name_type ID, normalized name)", id, provider.Str(outs, "fqdn"))
	}
	checked, _ := l.check(urn("aws:route53/record:Record", "b"), nil, provider.FromGo(rec))
	p, _ := provider.Marshal(checked)
	if _, err := l.s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn("aws:route53/record:Record", "b"), Properties: p}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second CREATE: got %v", err)
	}
	rec["allowOverwrite"] = true
	l.create(urn("aws:route53/record:Record", "c"), rec)
}

func TestNodeGroupRefreshReadsTheScaleMadeOutsidePulumi(t *testing.T) {
	cloud := newCloud(t)
	l := newLab(t, cloud, "eu-central-1")
	_, _, cl := l.create(urn("aws:eks/cluster:Cluster", "c"), map[string]any{
		"name": "taskflow-dr-standby", "roleArn": "arn:aws:iam::123456789012:role/r", "version": "1.31",
		"vpcConfig": map[string]any{"subnetIds": []any{"subnet-1", "subnet-2"}, "endpointPublicAccess": true},
	})
	if !strings.HasPrefix(provider.Str(cl, "arn"), "arn:aws:eks:eu-central-1:123456789012:cluster/") {
		t.Fatalf("cluster outputs %v", cl)
	}
	u := urn("aws:eks/nodeGroup:NodeGroup", "ng")
	id, ins, outs := l.create(u, map[string]any{
		"clusterName": "taskflow-dr-standby", "nodeRoleArn": "arn:aws:iam::123456789012:role/n",
		"subnetIds": []any{"subnet-1"}, "scalingConfig": map[string]any{"minSize": 2, "desiredSize": 2, "maxSize": 8},
	})
	name := provider.Str(ins, "nodeGroupName")
	if !strings.HasPrefix(name, "ng-") || id != "taskflow-dr-standby:"+name {
		t.Fatalf("autonamed %q, id %q", name, id)
	}
	if err := cloud.ScaleNodegroup("eu-central-1", "taskflow-dr-standby", name, 3, 4, 8); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	_, _, ins = l.read(u, id, outs, ins)
	if sc := provider.Obj(ins, "scalingConfig"); provider.Int(sc, "desiredSize", 0) != 4 || provider.Int(sc, "minSize", 0) != 3 {
		t.Fatalf("refreshed scaling %v", sc)
	}
}

// TestForceNewNamesAreInputsOfThePulumiSDK checks the table against
// pulumi-aws's Go SDK (in the module cache): every replace-on-change
// property and autonamed property is an input of the type.
func TestForceNewNamesAreInputsOfThePulumiSDK(t *testing.T) {
	dir := filepath.Join(langhost.ModuleCache(), "github.com/pulumi/pulumi-aws/sdk/v6@v"+Version, "go", "aws")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("pulumi-aws SDK not in the module cache: %v", err)
	}
	tag := regexp.MustCompile(`pulumi:"([A-Za-z0-9]+)"`)
	for token, typ := range Package().Types {
		mod, rest, _ := strings.Cut(strings.TrimPrefix(token, "aws:"), "/")
		file, _, _ := strings.Cut(rest, ":")
		src, err := os.ReadFile(filepath.Join(dir, mod, file+".go"))
		if err != nil {
			t.Errorf("%s: %v", token, err)
			continue
		}
		body := string(src)
		start := strings.Index(body, "type "+file+"Args struct {")
		if start < 0 {
			t.Errorf("%s: no %sArgs in the SDK", token, file)
			continue
		}
		end := strings.Index(body[start:], "\n}\n")
		inputs := map[string]bool{}
		for _, m := range tag.FindAllStringSubmatch(body[start:start+end], -1) {
			inputs[m[1]] = true
		}
		props := append([]string{}, typ.ForceNew...)
		if typ.AutoName != nil {
			props = append(props, typ.AutoName.Property)
		}
		for _, p := range props {
			top, _, _ := strings.Cut(p, ".")
			if !inputs[top] {
				t.Errorf("%s: %q is not an input of the SDK's %sArgs", token, p, file)
			}
		}
	}
}
