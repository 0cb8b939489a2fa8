// Package provider is the lab's resource-provider plugin framework: one
// gRPC ResourceProvider server per Pulumi package (aws, eks, kubernetes,
// random), whose resource types are described by tables (what replaces on
// change, what is autonamed, which outputs are computed and how) and, for
// the resources the DR lifecycle touches, by hooks that act on the lab
// cloud (package cloudrpc, cmd/internal/lab/engine/README.md).
//
// The engine does the rest, as with the real providers: protect, --replace,
// ignoreChanges, refresh and preview --expect-no-changes are engine
// behaviours over the Check/Diff/Create/Read/Update/Delete answers given
// here (pkg/resource/deploy/step_generator.go, v3.274.1).
package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
)

// Package describes one provider plugin.
type Package struct {
	Name    string
	Version string
	// Types are the custom resource types, by token.
	Types map[string]*Type
	// Invokes are the functions, by token.
	Invokes map[string]InvokeFunc
	// Components are the remote components served through Construct.
	Components map[string]ComponentFunc
	// CheckConfig validates the provider's configuration (nil: accept).
	CheckConfig func(news Props) error
	// ConfigReplaces lists provider config keys whose change replaces the
	// provider (and so every resource it manages).
	ConfigReplaces []string
	// Fallback, if set, serves types absent from Types (e.g. any
	// Kubernetes kind); nil makes an unknown type an error.
	Fallback func(token string) (*Type, bool)
}

// ComponentFunc returns the Construct function of one component, given
// the request's raw inputs (known values as plain properties, for the
// decisions a component takes before registering its children: which
// optional children exist).
type ComponentFunc func(raw Props) pprovider.ConstructFunc

// InvokeFunc serves one function.
type InvokeFunc func(c *Ctx, args Props) (Props, error)

// AutoName describes a property the provider names when it is absent.
type AutoName struct {
	// Property is the input property, e.g. "name", "identifier".
	Property string
	// Separator goes between the resource's name and the random part.
	Separator string
	// Random is the number of random characters.
	Random int
	// MaxLen caps the name (0: none).
	MaxLen int
	// Charset of the random part (default lowercase hex).
	Charset string
	// Lower lowercases the result.
	Lower bool
}

// Type describes one resource type.
type Type struct {
	Token string
	// ForceNew lists input property paths whose change replaces the
	// resource (see forceNewMatch). Each entry's source is cited where
	// the table is built.
	ForceNew []string
	// AllForceNew replaces on any input change.
	AllForceNew bool
	// AutoName names a property when the program leaves it unset.
	AutoName *AutoName
	// DeleteBeforeReplace forces delete-then-create on replacement even
	// for an autonamed resource (a singleton per parent, for instance).
	DeleteBeforeReplace bool
	// Defaults are input defaults applied at Check.
	Defaults Props
	// Normalize fills in provider-specific defaults in news at Check
	// (after Defaults and AutoName): nested autonames, for instance. olds
	// are the previous inputs; defaults records what it filled in.
	Normalize func(c *Ctx, olds, news Props, defaults map[string]bool) error
	// ForceNewFor adds replace-on-change paths that depend on the
	// provider's configuration or the inputs (nil: ForceNew only).
	ForceNewFor func(c *Ctx, news Props) []string
	// DeleteBeforeReplaceFor decides delete-before-replace from the
	// inputs (nil: the AutoName rule).
	DeleteBeforeReplaceFor func(oldInputs, news Props) bool
	// Validate checks the checked inputs (nil: accept). It is called
	// with c.Preview true when inputs may hold unknowns.
	Validate func(c *Ctx, news Props) error
	// Create makes the resource; it returns its ID and the outputs it
	// computes (merged over the inputs). Nil: GenID plus Computed.
	Create func(c *Ctx, inputs Props) (id string, computed Props, err error)
	// Update changes the resource in place; outs holds the provisional
	// outputs (old computed values overlaid with the new inputs) and it
	// returns the final outputs. Nil: outs as is.
	Update func(c *Ctx, id string, olds, oldInputs, news, outs Props) (Props, error)
	// Read returns the live outputs and the inputs they imply, or nil
	// outputs when the resource is gone. Nil: the state as stored.
	Read func(c *Ctx, id string, olds, oldInputs Props) (outs, ins Props, err error)
	// Delete removes the resource. Nil: nothing to do.
	Delete func(c *Ctx, id string, olds Props) error
}

// Ctx is what a hook sees.
type Ctx struct {
	context.Context
	URN resource.URN
	// Config is the provider's configuration.
	Config Props
	// Preview is true during a preview (no side effects allowed).
	Preview bool
	// Seed is the engine's deterministic random seed for Check (may be
	// empty outside Check).
	Seed  []byte
	cloud *cloudOnce
	log   func(msg string)
}

type cloudOnce struct {
	once   sync.Once
	client *cloudrpc.Client
	err    error
}

// Cloud returns the lab cloud client ($DRLAB_CLOUD).
func (c *Ctx) Cloud() (*cloudrpc.Client, error) {
	c.cloud.once.Do(func() { c.cloud.client, c.cloud.err = cloudrpc.FromEnv() })
	return c.cloud.client, c.cloud.err
}

// Logf reports progress to the engine (shown next to the resource).
func (c *Ctx) Logf(format string, args ...any) {
	if c.log != nil {
		c.log(fmt.Sprintf(format, args...))
	}
}

// Name is the resource's name (from its URN).
func (c *Ctx) Name() string { return c.URN.Name() }
