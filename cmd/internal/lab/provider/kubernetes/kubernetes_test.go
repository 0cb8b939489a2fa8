package kubernetes

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc/cloudrpctest"
)

func server(t *testing.T, cfg map[string]any) *provider.Server {
	s := provider.NewServer(Package(), nil)
	args, _ := provider.Marshal(provider.FromGo(cfg))
	if _, err := s.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: args}); err != nil {
		t.Fatal(err)
	}
	return s
}

func check(t *testing.T, s *provider.Server, urn string, olds provider.Props, news map[string]any) provider.Props {
	t.Helper()
	o, _ := provider.Marshal(olds)
	n, _ := provider.Marshal(provider.FromGo(news))
	typ := strings.Split(urn, "::")[2]
	resp, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, Type: typ, Olds: o, News: n, RandomSeed: []byte("seed")})
	if err != nil || len(resp.GetFailures()) > 0 {
		t.Fatalf("check: %v %v", err, resp.GetFailures())
	}
	out, _ := provider.Unmarshal(resp.GetInputs())
	return out
}

func diff(t *testing.T, s *provider.Server, urn string, olds, news provider.Props) *pulumirpc.DiffResponse {
	t.Helper()
	o, _ := provider.Marshal(olds)
	n, _ := provider.Marshal(news)
	resp, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, Olds: o, OldInputs: o, News: n})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

const cmURN = "urn:pulumi:s::p::kubernetes:core/v1:ConfigMap::cm"

func configMap(data string) map[string]any {
	return map[string]any{"metadata": map[string]any{"name": "taskflow-region", "namespace": "taskflow"}, "data": map[string]any{"DB_MODE": data}}
}

// TestConfigMapDataReplacesUnlessMutable is diff.go:33-34: a ConfigMap's
// data replaces it (deleting first, its name being pinned) unless the
// provider has enableConfigMapMutable.
func TestConfigMapDataReplacesUnlessMutable(t *testing.T) {
	s := server(t, map[string]any{})
	old := check(t, s, cmURN, nil, configMap("replica"))
	new := check(t, s, cmURN, old, configMap("writer"))
	if r := diff(t, s, cmURN, old, new); len(r.GetReplaces()) == 0 || !r.GetDeleteBeforeReplace() {
		t.Fatalf("immutable: replaces %v dbr %v", r.GetReplaces(), r.GetDeleteBeforeReplace())
	}
	s = server(t, map[string]any{"enableConfigMapMutable": true})
	if r := diff(t, s, cmURN, old, new); len(r.GetReplaces()) != 0 || r.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME {
		t.Fatalf("mutable: replaces %v changes %v", r.GetReplaces(), r.GetChanges())
	}
}

func TestAutonameAndDefaultNamespace(t *testing.T) {
	s := server(t, map[string]any{})
	in := check(t, s, "urn:pulumi:s::p::kubernetes:core/v1:ServiceAccount::sa", nil, map[string]any{})
	meta := provider.Obj(in, "metadata")
	name := provider.Str(meta, "name")
	if !strings.HasPrefix(name, "sa-") || len(name) != len("sa-")+8 || provider.Str(meta, "namespace") != "default" ||
		provider.StrMap(meta, "annotations")[autonamedAnnotation] != "true" || provider.Str(in, "kind") != "ServiceAccount" {
		t.Fatalf("checked %v", in)
	}
	again := check(t, s, "urn:pulumi:s::p::kubernetes:core/v1:ServiceAccount::sa", in, map[string]any{})
	if provider.Str(provider.Obj(again, "metadata"), "name") != name {
		t.Fatal("autoname not kept")
	}
	ns := check(t, s, "urn:pulumi:s::p::kubernetes:core/v1:Namespace::ns", nil, map[string]any{"metadata": map[string]any{"name": "taskflow"}})
	if _, ok := provider.Obj(ns, "metadata")["namespace"]; ok {
		t.Fatal("a Namespace got a namespace")
	}
	// A renamed, autonamed object is replaced without deleting first.
	renamed := check(t, s, "urn:pulumi:s::p::kubernetes:core/v1:ServiceAccount::sa", in, map[string]any{"metadata": map[string]any{"name": "other"}})
	if r := diff(t, s, "urn:pulumi:s::p::kubernetes:core/v1:ServiceAccount::sa", in, renamed); len(r.GetReplaces()) == 0 || r.GetDeleteBeforeReplace() {
		t.Fatalf("rename: %v dbr %v", r.GetReplaces(), r.GetDeleteBeforeReplace())
	}
}

const depURN = "urn:pulumi:s::p::kubernetes:apps/v1:Deployment::dr-agent"

// deployment is the agent's Deployment shape with one ECR image and,
// when skip, the pulumi.com/skipAwait annotation.
func deployment(image string, replicas int, skip bool) map[string]any {
	meta := map[string]any{"name": "dr-agent", "namespace": "taskflow-dr"}
	if skip {
		meta["annotations"] = map[string]any{skipAwaitAnnotation: "true"}
	}
	return map[string]any{"metadata": meta, "spec": map[string]any{
		"replicas": replicas,
		"selector": map[string]any{"matchLabels": map[string]any{"app": "dr-agent"}},
		"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "dr-agent", "image": image}}}},
	}}
}

// TestAwaitedDeploymentNeedsItsImage is the provider's Deployment await
// (pulumi/pulumi-kubernetes@v4.32.0:sdk/go/kubernetes/apps/v1/deployment.go:17-37):
// a Deployment whose pods cannot pull their image never becomes Available,
// so its create fails, unless pulumi.com/skipAwait is "true"; scaled to 0
// it is Available at once; once the image is in ECR it succeeds.
func TestAwaitedDeploymentNeedsItsImage(t *testing.T) {
	cloud := cloudrpctest.New("000000000000")
	t.Cleanup(cloud.Close)
	srv := httptest.NewServer(cloud)
	t.Cleanup(srv.Close)
	t.Setenv(cloudrpc.EnvCloud, srv.URL)
	const image = "000000000000.dkr.ecr.eu-central-1.amazonaws.com/taskflow-dr-agent:v1"
	s := server(t, map[string]any{})
	create := func(news map[string]any) error {
		in, _ := provider.Marshal(check(t, s, depURN, nil, news))
		_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{Urn: depURN, Properties: in})
		return err
	}

	err := create(deployment(image, 1, false))
	require.Error(t, err, "no repository: the pods never pull")
	assert.Contains(t, err.Error(), "RepositoryNotFoundException")
	assert.Contains(t, err.Error(), "ImagePullBackOff")

	var repo map[string]any
	require.NoError(t, (&cloudrpc.Client{Base: srv.URL, HTTP: srv.Client()}).Call(context.Background(), "eu-central-1", "ecr", "CreateRepository",
		map[string]any{"repositoryName": "taskflow-dr-agent"}, &repo))
	err = create(deployment(image, 1, false))
	require.Error(t, err, "repository without the tag")
	assert.Contains(t, err.Error(), "ImageNotFoundException")

	assert.NoError(t, create(deployment(image, 1, true)), "skipAwait: the provider does not wait")
	assert.NoError(t, create(deployment(image, 0, false)), "0 replicas are Available at once")
	require.NoError(t, cloud.PushImage("eu-central-1", "taskflow-dr-agent", "v1"))
	assert.NoError(t, create(deployment(image, 1, false)), "the image exists")
	assert.NoError(t, create(deployment("registry.k8s.io/pause:3.10", 1, false)), "outside private ECR: pullable")
}
