package random

import (
	"strings"
	"testing"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
)

func TestPasswordHonoursItsConstraints(t *testing.T) {
	typ := Package().Types["random:index/randomPassword:RandomPassword"]
	in := stringDefaults()
	for k, v := range provider.FromGo(map[string]any{"length": 32, "overrideSpecial": "!#", "minLower": 2, "minUpper": 2, "minNumeric": 2, "minSpecial": 2}) {
		in[k] = v
	}
	for range 5 {
		id, outs, err := typ.Create(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		r := outs["result"]
		if id != "none" || !r.IsSecret() {
			t.Fatalf("id %q, result secret %v", id, r.IsSecret())
		}
		pw := r.SecretValue().Element.StringValue()
		count := func(set string) int {
			return len(pw) - len(strings.Map(func(c rune) rune {
				if strings.ContainsRune(set, c) {
					return -1
				}
				return c
			}, pw))
		}
		if len(pw) != 32 || count(lowerChars) < 2 || count(upperChars) < 2 || count(numericChars) < 2 || count("!#") < 2 ||
			count(lowerChars)+count(upperChars)+count(numericChars)+count("!#") != 32 {
			t.Fatalf("password %q breaks its constraints", pw)
		}
	}
	bad := provider.Copy(in)
	bad["length"] = provider.FromGo(map[string]any{"v": 4})["v"]
	if err := validateString(nil, bad); err == nil {
		t.Fatal("minimums above the length accepted")
	}
}

func TestIDForms(t *testing.T) {
	_, outs, err := createID(nil, provider.FromGo(map[string]any{"byteLength": 4}))
	if err != nil {
		t.Fatal(err)
	}
	if h := provider.Str(outs, "hex"); len(h) != 8 {
		t.Fatalf("hex %q", h)
	}
}
