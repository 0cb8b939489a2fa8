// Package component holds the one shape every TaskFlow DR component has:
// NewX(ctx, name, args, opts...) registers `taskflow:dr:<Name>`, creates its
// children with pulumi.Parent(component) (they inherit the providers the
// caller passed in opts), fills the struct's exported output fields and
// calls Finish, which registers exactly those fields as the component's
// outputs, so the two can never drift apart.
package component

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypePrefix is the package part of every component's type token.
const TypePrefix = "taskflow:dr:"

// Register registers c as a component `taskflow:dr:<kind>` named name.
func Register(ctx *pulumi.Context, kind, name string, c pulumi.ComponentResource, opts ...pulumi.ResourceOption) error {
	if err := ctx.RegisterComponentResource(TypePrefix+kind, name, c, opts...); err != nil {
		return fmt.Errorf("register %s %s: %w", kind, name, err)
	}
	return nil
}

// Finish registers the component's outputs: every exported field tagged
// `pulumi:"<key>"`, under that key. A field left unset is an error: an
// output the component declares but never fills would resolve to nothing.
func Finish(ctx *pulumi.Context, c pulumi.ComponentResource) error {
	outputs, err := Outputs(c)
	if err != nil {
		return err
	}
	if err := ctx.RegisterResourceOutputs(c, outputs); err != nil {
		return fmt.Errorf("register outputs of %T: %w", c, err)
	}
	return nil
}

// Outputs collects the tagged output fields of a component struct.
func Outputs(c pulumi.ComponentResource) (pulumi.Map, error) {
	v := reflect.ValueOf(c)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("component %T: want a pointer to a struct", c)
	}
	v = v.Elem()
	t := v.Type()
	out := pulumi.Map{}
	var unset []string
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("pulumi"), ",")
		if key == "" || !f.IsExported() {
			continue
		}
		field := v.Field(i)
		in, ok := field.Interface().(pulumi.Input)
		if !ok || isUnset(field) {
			unset = append(unset, f.Name)
			continue
		}
		out[key] = in
	}
	if len(unset) > 0 {
		return nil, fmt.Errorf("component %T: output field(s) %s never set", c, strings.Join(unset, ", "))
	}
	return out, nil
}

// isUnset reports a zero Output: the SDK's output types are structs
// embedding a *OutputState, nil until the output is created.
func isUnset(field reflect.Value) bool {
	if field.Kind() == reflect.Interface || field.Kind() == reflect.Pointer {
		return field.IsNil()
	}
	if field.Kind() != reflect.Struct || field.NumField() == 0 {
		return false
	}
	inner := field.Field(0)
	return inner.Kind() == reflect.Pointer && inner.IsNil()
}
