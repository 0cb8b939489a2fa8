package component

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/internal/pulumimock"
)

// thing is a component with every kind of field Finish meets: outputs of
// several types, an input interface, an option in the tag, an untagged
// field and an unexported one. No field may be tagged "urn" (or "id"): the
// SDK gives every tagged output field an output of the registration and
// then takes "urn" for the resource's own URN, so such a field's output is
// never resolved and the run waits for it forever
// (pulumi/pulumi@v3.274.1:sdk/go/pulumi/context.go:2428-2458, 2496).
type thing struct {
	pulumi.ResourceState

	Name     pulumi.StringOutput `pulumi:"name"`
	Count    pulumi.IntOutput    `pulumi:"count"`
	Urn      pulumi.URNOutput    `pulumi:"nodeUrn"`
	Endpoint pulumi.StringInput  `pulumi:"endpoint,optional"`
	Scratch  pulumi.StringOutput // untagged: not an output
	hidden   pulumi.StringOutput `pulumi:"hidden"` //nolint:unused // unexported: not an output
}

func filled() *thing {
	return &thing{
		Name:     pulumi.String("n").ToStringOutput(),
		Count:    pulumi.Int(3).ToIntOutput(),
		Urn:      pulumi.URN("urn:pulumi:s::p::t::n").ToURNOutput(),
		Endpoint: pulumi.String("e"),
	}
}

func TestOutputsAreTheTaggedFieldsUnderTheirTags(t *testing.T) {
	out, err := Outputs(filled())
	require.NoError(t, err)
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"name", "count", "nodeUrn", "endpoint"}, keys,
		"registered under the tag's key (not the field name), untagged and unexported fields left out")
}

func TestOutputsRefuseUnsetFields(t *testing.T) {
	c := filled()
	c.Count = pulumi.IntOutput{}
	c.Endpoint = nil
	_, err := Outputs(c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "output field(s) Count, Endpoint never set", "names every unset field")

	// A tagged field that is not a Pulumi input cannot be registered.
	type plain struct {
		pulumi.ResourceState
		Name string `pulumi:"name"`
	}
	_, err = Outputs(&plain{Name: "x"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Name")
}

// wrapped implements ComponentResource by value, through an embedded
// pointer: not a pointer to a struct, so its fields cannot be read back.
type wrapped struct{ *pulumi.ResourceState }

func TestOutputsWantAPointerToAStruct(t *testing.T) {
	_, err := Outputs(wrapped{&pulumi.ResourceState{}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "want a pointer to a struct")
}

// fill sets the output fields as a component does: after Register, which
// (like every resource registration) replaces the struct's tagged output
// fields with outputs of the registration
// (pulumi/pulumi@v3.274.1:sdk/go/pulumi/context.go:2395-2458, makeResourceState), so
// values set before it are lost.
func fill(c *thing) {
	f := filled()
	c.Name, c.Count, c.Urn, c.Endpoint = f.Name, f.Count, f.Urn, f.Endpoint
}

// TestRegisterAndFinish: Register names the type taskflow:dr:<kind>;
// Finish refuses a component whose declared output was never filled, so
// the component never registers outputs that differ from its fields.
func TestRegisterAndFinish(t *testing.T) {
	m := pulumimock.New("primary", "eu-west-1", nil)
	var finished, unfinished error
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		ok := &thing{}
		if err := Register(ctx, "Thing", "ok", ok); err != nil {
			return err
		}
		fill(ok)
		finished = Finish(ctx, ok)

		bad := &thing{}
		if err := Register(ctx, "Thing", "bad", bad); err != nil {
			return err
		}
		fill(bad)
		bad.Name = pulumi.StringOutput{}
		unfinished = Finish(ctx, bad)
		return nil
	})
	require.NoError(t, err)
	assert.NoError(t, finished)
	require.Error(t, unfinished)
	assert.Contains(t, unfinished.Error(), "component *component.thing: output field(s) Name never set")

	things := m.ByType("taskflow:dr:Thing")
	require.Len(t, things, 2)
	for _, r := range things {
		assert.False(t, r.Custom, "%s is a component, not a custom resource", r.Name)
	}
}
