package kubernetes

import (
	"context"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
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
