package labenv_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/app"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/cloudtest"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/rpc"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/labenv"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/shim"
)

// stage starts a stage, seeds the DR topology and serves both regions'
// apps, as the rehearsal does after `pulumi up`.
func stage(t *testing.T) (*labenv.Env, *cloudtest.Topology) {
	t.Helper()
	if _, err := pg.BinDir(); err != nil {
		t.Skip(err)
	}
	dir, err := pg.TempRoot("labenv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx := context.Background()
	env, err := labenv.Start(ctx, labenv.Options{Dir: dir, Scale: 100, Logf: t.Logf,
		Timings: cloud.Timings{ClusterCreate: 100 * time.Second, NodegroupCreate: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	top, err := cloudtest.SeedDR(ctx, rpc.New(env.RPCURL))
	if err != nil {
		t.Fatal(err)
	}
	for region, lb := range map[string]string{cloudtest.Primary: top.PrimaryALB, cloudtest.Standby: top.StandbyALB} {
		if err := env.SetLoadBalancer(lb, region); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Cloud.Database(cloudtest.Primary, top.WriterID).Exec(ctx, app.Schema); err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{cloudtest.Primary, cloudtest.Standby} {
		if err := env.ServeApp(region, top.WriterID); err != nil {
			t.Fatal(err)
		}
	}
	return env, top
}

// kubeconfig writes what `aws eks update-kubeconfig` writes for a cluster.
func kubeconfig(t *testing.T, env *labenv.Env, region, cluster string) string {
	t.Helper()
	var out cloud.ClusterOutput
	if err := rpc.New(env.RPCURL).Call(context.Background(), region, "eks", "DescribeCluster", &cloud.ClusterNameInput{Name: &cluster}, &out); err != nil {
		t.Fatal(err)
	}
	arn := *out.Cluster.Arn
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	body := fmt.Sprintf(`apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: %s
contexts:
- context:
    cluster: %s
    user: %s
  name: %s
current-context: %s
kind: Config
preferences: {}
users:
- name: %s
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args: [--region, %s, eks, get-token, --cluster-name, %s]
      command: aws
`, *out.Cluster.CertificateAuthority.Data, *out.Cluster.Endpoint, arn, arn, arn, arn, arn, arn, region, cluster)
	if err := os.WriteFile(kc, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc
}

func kubectl(t *testing.T, env *labenv.Env, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	k := &shim.Kubectl{Client: rpc.New(env.RPCURL), Stdout: &out, Stderr: &errb, Poll: 50 * time.Millisecond}
	code := k.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

func TestKubectlFromTheCloud(t *testing.T) {
	env, top := stage(t)
	sr := cloudtest.Standby
	kc := kubeconfig(t, env, sr, top.Clusters[sr])

	var nodes string
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _, code := kubectl(t, env, "--kubeconfig", kc, "get", "nodes", "--no-headers")
		if code != 0 {
			t.Fatalf("get nodes: exit %d", code)
		}
		if nodes = out; strings.Count(out, " Ready ") == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(nodes), "\n")
	if len(lines) != 2 || strings.Fields(lines[0])[1] != "Ready" || strings.Fields(lines[0])[2] != "<none>" || !strings.HasPrefix(strings.Fields(lines[0])[4], "v1.") {
		t.Fatalf("nodes:\n%s", nodes)
	}

	out, _, code := kubectl(t, env, "--kubeconfig", kc, "-n", "taskflow", "rollout", "status", "deployment/taskflow", "--timeout=10s")
	if code != 0 || !strings.HasSuffix(out, "deployment \"taskflow\" successfully rolled out\n") {
		t.Fatalf("rollout status: exit %d:\n%s", code, out)
	}
	// Pause writes, as the switchover does, keeping the count in the
	// annotation.
	out, _, code = kubectl(t, env, "--kubeconfig", kc, "-n", "taskflow", "annotate", "deployment/taskflow", "taskflow.dr/replicas-before-pause=3", "--overwrite")
	if code != 0 || out != "deployment.apps/taskflow annotated\n" {
		t.Fatalf("annotate: %d %q", code, out)
	}
	_, errOut, code := kubectl(t, env, "--kubeconfig", kc, "-n", "taskflow", "annotate", "deployment/taskflow", "taskflow.dr/replicas-before-pause=5")
	if code != 1 || !strings.Contains(errOut, "--overwrite is false but found the following declared annotation(s): 'taskflow.dr/replicas-before-pause' already has a value (3)") {
		t.Fatalf("annotate without --overwrite: %d %q", code, errOut)
	}
	out, _, code = kubectl(t, env, "--kubeconfig", kc, "-n", "taskflow", "scale", "deployment/taskflow", "--replicas=0")
	if code != 0 || out != "deployment.apps/taskflow scaled\n" {
		t.Fatalf("scale: %d %q", code, out)
	}
	out, _, _ = kubectl(t, env, "--kubeconfig", kc, "-n", "taskflow", "get", "deployment/taskflow", "-o",
		`jsonpath={.spec.replicas} {.status.readyReplicas} {.metadata.annotations.taskflow\.dr/replicas-before-pause}`)
	if !strings.HasPrefix(out, "0 ") || !strings.HasSuffix(out, " 3") {
		t.Fatalf("jsonpath: %q", out)
	}
	_, errOut, code = kubectl(t, env, "--kubeconfig", kc, "-n", "taskflow", "get", "deployment/nope", "-o", "jsonpath={.spec.replicas}")
	if code != 1 || strings.TrimSpace(errOut) != `Error from server (NotFound): deployments.apps "nope" not found` {
		t.Fatalf("missing deployment: %d %q", code, errOut)
	}
	_, errOut, code = kubectl(t, env, "--kubeconfig", kc, "-n", "taskflow", "scale", "deployment/taskflow")
	if code != 1 || !strings.Contains(errOut, `required flag(s) "replicas" not set`) {
		t.Fatalf("scale without replicas: %d %q", code, errOut)
	}

	// The DR agent's status, through the API server's service proxy.
	statusPath := "/api/v1/namespaces/taskflow-dr/services/dr-agent:http/proxy/status"
	_, errOut, code = kubectl(t, env, "--kubeconfig", kc, "get", "--raw", statusPath)
	if code != 1 || !strings.Contains(errOut, `Error from server (ServiceUnavailable): no endpoints available for service "dr-agent"`) {
		t.Fatalf("no agent: %d %q", code, errOut)
	}
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/status" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, `{"role":"replica","newestSeq":7}`)
	}))
	t.Cleanup(agent.Close)
	if err := env.SetAgent(sr, top.Clusters[sr], strings.TrimPrefix(agent.URL, "http://")); err != nil {
		t.Fatal(err)
	}
	out, _, code = kubectl(t, env, "--kubeconfig", kc, "get", "--raw", statusPath)
	if code != 0 || strings.TrimSpace(out) != `{"role":"replica","newestSeq":7}` {
		t.Fatalf("agent status: %d %q", code, out)
	}

	// Nodes: a scale-up shows NotReady nodes until they boot; wait --all
	// fails on a single NotReady node (issue 9 item 11).
	var upd cloud.UpdateOutput
	if err := rpc.New(env.RPCURL).Call(context.Background(), sr, "eks", "UpdateNodegroupConfig", &cloud.UpdateNodegroupConfigInput{
		ClusterName: ptr(top.Clusters[sr]), NodegroupName: &top.Nodegroup, ScalingConfig: &cloud.NodegroupScalingConfig{DesiredSize: ptr(3)}}, &upd); err != nil {
		t.Fatal(err)
	}
	out, _, _ = kubectl(t, env, "--kubeconfig", kc, "get", "nodes", "--no-headers")
	if strings.Count(out, " NotReady ") != 1 {
		t.Fatalf("right after the scale-up:\n%s", out)
	}
	_, errOut, code = kubectl(t, env, "--kubeconfig", kc, "wait", "--for=condition=Ready", "nodes", "--all", "--timeout=0.1s")
	if code != 1 || !strings.Contains(errOut, "error: timed out waiting for the condition on nodes/") {
		t.Fatalf("wait: %d %q", code, errOut)
	}

	// The region cut: its API server is unreachable.
	pkc := kubeconfig(t, env, cloudtest.Primary, top.Clusters[cloudtest.Primary])
	if err := env.CutRegion(context.Background(), cloudtest.Primary); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = kubectl(t, env, "--kubeconfig", pkc, "get", "nodes")
	if code != 1 || !strings.HasPrefix(errOut, "Unable to connect to the server: ") {
		t.Fatalf("cut region: %d %q", code, errOut)
	}
}

func ptr[T any](v T) *T { return &v }

// DNS and the load balancers: the app host follows Route 53's failover
// records as the runbook's getent and curl see them.
func TestGetentAndCurlFollowFailover(t *testing.T) {
	env, top := stage(t)
	net := func() (*shim.Net, *bytes.Buffer, *bytes.Buffer) {
		var out, errb bytes.Buffer
		return &shim.Net{DNS: env.DNSAddr, AppPort: env.AppPort, Stdout: &out, Stderr: &errb}, &out, &errb
	}
	getent := func(name string) (string, int) {
		n, out, _ := net()
		code := n.Getent(context.Background(), []string{"ahostsv4", name})
		return out.String(), code
	}
	curl := func(args ...string) (string, int) {
		n, _, errb := net()
		code := n.Curl(context.Background(), args)
		return errb.String(), code
	}
	// Pods Ready on both sides: the primary serves.
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, code := getent(top.AppHost)
		if code == 0 && strings.HasPrefix(out, "127.0.0.11") && env.App(cloudtest.Primary).Replicas() == 3 {
			if !strings.Contains(out, "STREAM "+top.PrimaryALB) {
				t.Fatalf("getent's canonical name:\n%s", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("getent %s: %d %q (primary replicas %d)", top.AppHost, code, out, env.App(cloudtest.Primary).Replicas())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if msg, code := curl("-fsS", "--max-time", "5", "-o", "/dev/null", "https://"+top.AppHost+"/healthz"); code != 0 {
		t.Fatalf("curl: %d %s", code, msg)
	}
	if _, code := getent("nope." + "taskflow.example.com"); code != 2 {
		t.Fatalf("getent of an unknown name: exit %d, want 2", code)
	}
	if msg, code := curl("-fsS", "https://nope.taskflow.example.com/healthz"); code != 6 || !strings.Contains(msg, "curl: (6) Could not resolve host: nope.taskflow.example.com") {
		t.Fatalf("curl unknown host: %d %q", code, msg)
	}
	// The standby's load balancer directly, as the preflight reaches it.
	if msg, code := curl("-fsS", "--max-time", "5", "-o", "/dev/null", "--connect-to", top.AppHost+":443:"+top.StandbyALB+":443", "https://"+top.AppHost+"/healthz"); code != 0 {
		t.Fatalf("curl --connect-to: %d %s", code, msg)
	}

	// The outage: after Route 53's detection the host answers the standby.
	cut := time.Now()
	if err := env.CutRegion(context.Background(), cloudtest.Primary); err != nil {
		t.Fatal(err)
	}
	if msg, code := curl("-fsS", "--max-time", "2", "-o", "/dev/null", "--connect-to", top.AppHost+":443:"+top.PrimaryALB+":443", "https://"+top.AppHost+"/healthz"); code != 7 {
		t.Fatalf("curl to the cut region: %d %q, want 7", code, msg)
	}
	for {
		out, _ := getent(top.AppHost)
		if strings.HasPrefix(out, "127.0.0.12") {
			break
		}
		if time.Since(cut) > 10*time.Second {
			t.Fatalf("still %q after %s", out, time.Since(cut))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Detection is three failed 10 s checks, scaled: 0.2 s at least.
	if took := time.Since(cut); took < 200*time.Millisecond {
		t.Fatalf("the standby answered %s after the cut, before three failed checks", took)
	}
	// The standby's app answers from a replica: healthy, writes refused.
	if msg, code := curl("-fsS", "--max-time", "5", "-o", "/dev/null", "https://"+top.AppHost+"/healthz"); code != 0 {
		t.Fatalf("curl the standby: %d %s", code, msg)
	}
}
