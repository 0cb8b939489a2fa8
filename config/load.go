package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Load reads and validates the stack's `taskflow:*` config. The error, when
// there is one, lists every bad key at once so one preview fixes them all.
func Load(ctx *pulumi.Context) (*Config, error) {
	cfg := pulumiconfig.New(ctx, Namespace)
	return Parse(cfg.Get, ctx.Project(), ctx.Stack(), time.Now().UTC())
}

// Parse builds the Config from a key lookup (the key without namespace; ""
// when unset). It is Load without Pulumi, for tests and tools. today is the
// date the Kubernetes and PostgreSQL versions must be supported on.
func Parse(get func(key string) string, project, stack string, today time.Time) (*Config, error) {
	c := defaults()
	c.Project, c.Stack, c.Today = project, stack, today
	c.Role = Role(get("role"))
	c.Region = get("region")
	c.Domain = get("domain")
	c.AppHost = get("appHost")
	fillDerivedDefaults(&c)

	var errs []error
	objects := []struct {
		key  string
		into any
	}{
		{"peer", &c.Peer},
		{"network", &c.Network},
		{"cluster", &c.Cluster},
		{"access", &c.Access},
		{"database", &c.Database},
		{"dns", &c.DNS},
		{"alarms", &c.Alarms},
		{"logs", &c.Logs},
		{"agent", &c.Agent},
		{"gitops", &c.GitOps},
		{"objectives", &c.Objectives},
	}
	for _, o := range objects {
		if err := decodeObject(o.key, get(o.key), o.into); err != nil {
			errs = append(errs, err)
		}
	}
	fillSizes(&c)
	if len(errs) == 0 {
		errs = c.validate()
	}
	if len(errs) > 0 {
		return nil, &Error{Problems: errs}
	}
	return &c, nil
}

// decodeObject decodes a structured value over the defaults already in into.
// Unknown fields are errors: a misspelt key would otherwise silently fall
// back to its default.
func decodeObject(key, raw string, into any) error {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return fieldErr(key+"."+typeErr.Field, "must be a %s, got %s", typeErr.Type, typeErr.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return fieldErr(key, "unknown key %q (see the README's config reference)", field)
		default:
			return fieldErr(key, "must be an object of the documented keys: %v", err)
		}
	}
	return nil
}

// Error is every problem found in a stack's config.
type Error struct{ Problems []error }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  - " + p.Error()
	}
	return fmt.Sprintf("invalid stack config (nothing was created):\n%s", strings.Join(lines, "\n"))
}

// Unwrap exposes each problem to errors.Is/As.
func (e *Error) Unwrap() []error { return e.Problems }

// FieldError is one bad key.
type FieldError struct {
	Key string // full key, e.g. "taskflow:dns.ttl"
	Msg string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

func fieldErr(key, format string, args ...any) error {
	return &FieldError{Key: Namespace + ":" + key, Msg: fmt.Sprintf(format, args...)}
}

func errNotDuration(got string) error {
	return fmt.Errorf("want a duration such as \"15m\" or \"90s\", got %s", got)
}
