// Package stackfile reads a Pulumi.<stack>.yaml into the flat form the
// engine hands a program ("taskflow:key" -> string, objects as JSON) and
// edits one key of it, for the tests that run the real stack files.
package stackfile

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Load reads a stack file's config.
func Load(t testing.TB, file string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range doc.Config {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = string(b)
	}
	return out
}

// With returns a copy of cfg with one key changed: path is
// "namespace:key" or "namespace:key.field"; value nil deletes it.
func With(t testing.TB, cfg map[string]string, path string, value any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range cfg {
		out[k] = v
	}
	ns, rest, _ := strings.Cut(path, ":")
	key, field, nested := strings.Cut(rest, ".")
	key = ns + ":" + key
	if !nested {
		if value == nil {
			delete(out, key)
		} else {
			out[key] = value.(string)
		}
		return out
	}
	obj := map[string]any{}
	if raw, ok := out[key]; ok {
		if err := json.Unmarshal([]byte(raw), &obj); err != nil {
			t.Fatal(err)
		}
	}
	if value == nil {
		delete(obj, field)
	} else {
		obj[field] = value
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	out[key] = string(b)
	return out
}
