package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func props(m map[string]any) Props { return FromGo(m) }

func TestDiffReplacesOnNestedForceNewOnly(t *testing.T) {
	olds := props(map[string]any{
		"name":      "c",
		"vpcConfig": map[string]any{"subnetIds": []any{"a", "b"}, "endpointPublicAccess": true},
		"version":   "1.31",
	})
	cases := []struct {
		name     string
		news     Props
		changed  []string
		replaces []string
	}{
		{"same", props(map[string]any{"name": "c", "vpcConfig": map[string]any{"subnetIds": []any{"a", "b"}, "endpointPublicAccess": true}, "version": "1.31"}), nil, nil},
		{"in place", props(map[string]any{"name": "c", "vpcConfig": map[string]any{"subnetIds": []any{"a", "b"}, "endpointPublicAccess": false}, "version": "1.32"}), []string{"version", "vpcConfig"}, nil},
		{"forcenew child", props(map[string]any{"name": "c", "vpcConfig": map[string]any{"subnetIds": []any{"a", "c"}, "endpointPublicAccess": true}, "version": "1.31"}), []string{"vpcConfig"}, []string{"vpcConfig"}},
		{"removed", props(map[string]any{"name": "c", "vpcConfig": map[string]any{"subnetIds": []any{"a", "b"}, "endpointPublicAccess": true}}), []string{"version"}, nil},
	}
	for _, tc := range cases {
		d, err := ComputeDiff(olds, tc.news, []string{"name", "vpcConfig.subnetIds"}, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(d.Changed, ",") != strings.Join(tc.changed, ",") || strings.Join(d.Replaces, ",") != strings.Join(tc.replaces, ",") {
			t.Errorf("%s: changed %v replaces %v, want %v %v", tc.name, d.Changed, d.Replaces, tc.changed, tc.replaces)
		}
	}
}

func TestDiffTreatsUnknownsAsChangesAndSecretsByValue(t *testing.T) {
	olds := props(map[string]any{"vpcId": "vpc-1", "password": "p"})
	olds["password"] = resource.MakeSecret(resource.NewProperty("p"))
	news := props(map[string]any{})
	news["vpcId"] = resource.MakeComputed(resource.NewProperty(""))
	news["password"] = resource.MakeSecret(resource.NewProperty("p"))
	d, err := ComputeDiff(olds, news, []string{"vpcId"}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.Changed, ",") != "vpcId" || strings.Join(d.Replaces, ",") != "vpcId" {
		t.Fatalf("changed %v replaces %v", d.Changed, d.Replaces)
	}
	if k := d.Detailed["vpcId"].GetKind(); k != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Fatalf("kind %v", k)
	}
}

func TestDiffHonoursIgnoreChanges(t *testing.T) {
	olds := props(map[string]any{"tags": map[string]any{"a": "1", "b": "1"}})
	news := props(map[string]any{"tags": map[string]any{"a": "2", "b": "1"}})
	d, err := ComputeDiff(olds, news, nil, false, []string{"tags.a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changed) != 0 {
		t.Fatalf("ignored change reported: %v", d.Changed)
	}
}

func newTestServer(t *Type) *Server {
	return NewServer(&Package{Name: "test", Version: "1.0.0", Types: map[string]*Type{t.Token: t}}, nil)
}

const testURN = "urn:pulumi:s::p::test:index:Thing::thing"

func check(t *testing.T, s *Server, seed string, olds, news Props) Props {
	t.Helper()
	o, _ := Marshal(olds)
	n, _ := Marshal(news)
	resp, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: testURN, Type: "test:index:Thing", Olds: o, News: n, RandomSeed: []byte(seed)})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetFailures()) > 0 {
		t.Fatalf("check failures: %v", resp.GetFailures())
	}
	out, err := Unmarshal(resp.GetInputs())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCheckAutonamesDeterministicallyAndKeepsTheName(t *testing.T) {
	s := newTestServer(&Type{Token: "test:index:Thing", AutoName: &AutoName{Property: "name", Separator: "-", Random: 7}})
	a := check(t, s, "seed", nil, Props{})
	b := check(t, s, "seed", nil, Props{})
	name := Str(a, "name")
	if !strings.HasPrefix(name, "thing-") || len(name) != len("thing-")+7 || name != Str(b, "name") {
		t.Fatalf("autonames %q %q: want thing- plus 7 characters, equal for one seed", name, Str(b, "name"))
	}
	// A later check (another seed: another update) keeps the name.
	c := check(t, s, "other", a, Props{})
	if Str(c, "name") != name {
		t.Fatalf("autoname changed across updates: %q -> %q", name, Str(c, "name"))
	}
	// A name the program pins is not recorded as a default.
	d := check(t, s, "seed", a, props(map[string]any{"name": "pinned"}))
	if defaultsOf(d)["name"] {
		t.Fatal("a pinned name is recorded as a default")
	}
}

func diff(t *testing.T, s *Server, olds, news Props) *pulumirpc.DiffResponse {
	t.Helper()
	o, _ := Marshal(olds)
	n, _ := Marshal(news)
	resp, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: testURN, Olds: o, OldInputs: o, News: n})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestDiffDeletesBeforeReplacingAPinnedName(t *testing.T) {
	s := newTestServer(&Type{Token: "test:index:Thing", ForceNew: []string{"kind"}, AutoName: &AutoName{Property: "name", Separator: "-", Random: 7}})
	auto := check(t, s, "seed", nil, props(map[string]any{"kind": "a"}))
	autoNew := check(t, s, "seed", auto, props(map[string]any{"kind": "b"}))
	if r := diff(t, s, auto, autoNew); len(r.GetReplaces()) != 1 || r.GetDeleteBeforeReplace() {
		t.Fatalf("autonamed: replaces %v dbr %v, want a create-before-delete replace", r.GetReplaces(), r.GetDeleteBeforeReplace())
	}
	pinned := check(t, s, "seed", nil, props(map[string]any{"kind": "a", "name": "x"}))
	pinnedNew := check(t, s, "seed", pinned, props(map[string]any{"kind": "b", "name": "x"}))
	if r := diff(t, s, pinned, pinnedNew); len(r.GetReplaces()) != 1 || !r.GetDeleteBeforeReplace() {
		t.Fatalf("pinned: replaces %v dbr %v, want delete-before-replace", r.GetReplaces(), r.GetDeleteBeforeReplace())
	}
	if r := diff(t, s, pinned, pinned); r.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE || r.GetDeleteBeforeReplace() {
		t.Fatalf("no change: %+v", r)
	}
}

func TestUnknownTypesFailLoudly(t *testing.T) {
	s := newTestServer(&Type{Token: "test:index:Thing"})
	_, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: "urn:pulumi:s::p::test:index:Other::o", Type: "test:index:Other"})
	if err == nil || !strings.Contains(err.Error(), "does not model") {
		t.Fatalf("want an unmodelled-type error, got %v", err)
	}
}
