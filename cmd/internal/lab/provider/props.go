package provider

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/protobuf/types/known/structpb"
)

// Props is the property bag hooks work on.
type Props = resource.PropertyMap

// defaultsKey lists, in checked inputs, the properties Check filled in
// (defaults and autonames). It is the bridge's convention
// (pulumi-terraform-bridge's "__defaults"): it is how a later Check keeps an
// autoname, and how Diff tells a user-pinned name (replace must delete
// first) from a generated one.
const defaultsKey = "__defaults"

var marshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: true}

// Unmarshal decodes a gRPC property bag (nil is an empty bag).
func Unmarshal(s *structpb.Struct) (Props, error) {
	if s == nil {
		return Props{}, nil
	}
	return plugin.UnmarshalProperties(s, marshalOpts)
}

// Marshal encodes a property bag for gRPC.
func Marshal(p Props) (*structpb.Struct, error) {
	return plugin.MarshalProperties(p, marshalOpts)
}

// FromGo converts plain Go values (maps, slices, strings, numbers, bools)
// into properties.
func FromGo(m map[string]any) Props {
	return resource.NewPropertyMapFromMap(m)
}

// unwrap strips secret and output wrappers; known reports whether the value
// is known.
func unwrap(v resource.PropertyValue) (resource.PropertyValue, bool) {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsComputed():
			return v, false
		case v.IsOutput():
			o := v.OutputValue()
			if !o.Known {
				return v, false
			}
			v = o.Element
		default:
			return v, true
		}
	}
}

// Known reports whether p[key] is present and fully known.
func Known(p Props, key string) bool {
	v, ok := p[resource.PropertyKey(key)]
	if !ok {
		return false
	}
	return !v.ContainsUnknowns()
}

// Has reports whether p[key] is present and not null.
func Has(p Props, key string) bool {
	v, ok := p[resource.PropertyKey(key)]
	return ok && !v.IsNull()
}

// Str returns p[key] as a string ("" when absent, unknown or not a string).
func Str(p Props, key string) string {
	v, ok := p[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	v, known := unwrap(v)
	if !known || !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// Bool returns p[key] as a bool, with def when absent.
func Bool(p Props, key string, def bool) bool {
	v, ok := p[resource.PropertyKey(key)]
	if !ok {
		return def
	}
	v, known := unwrap(v)
	if !known || !v.IsBool() {
		return def
	}
	return v.BoolValue()
}

// Int returns p[key] as an int, with def when absent.
func Int(p Props, key string, def int) int {
	v, ok := p[resource.PropertyKey(key)]
	if !ok {
		return def
	}
	v, known := unwrap(v)
	if !known || !v.IsNumber() {
		return def
	}
	return int(v.NumberValue())
}

// Obj returns p[key] as an object (nil when absent or not an object).
func Obj(p Props, key string) Props {
	v, ok := p[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	v, known := unwrap(v)
	if !known || !v.IsObject() {
		return nil
	}
	return v.ObjectValue()
}

// Strs returns p[key] as a list of strings (unknown elements are skipped).
func Strs(p Props, key string) []string {
	v, ok := p[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	v, known := unwrap(v)
	if !known || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		e, known := unwrap(e)
		if known && e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// StrMap returns p[key] as a map of strings.
func StrMap(p Props, key string) map[string]string {
	o := Obj(p, key)
	if o == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range o {
		v, known := unwrap(v)
		if known && v.IsString() {
			out[string(k)] = v.StringValue()
		}
	}
	return out
}

// Set sets p[key] to a plain Go value.
func Set(p Props, key string, v any) {
	p[resource.PropertyKey(key)] = resource.NewPropertyValue(v)
}

// SetIfAbsent sets p[key] unless it is present.
func SetIfAbsent(p Props, key string, v any) {
	if _, ok := p[resource.PropertyKey(key)]; !ok {
		Set(p, key, v)
	}
}

// Copy deep-copies a property bag.
func Copy(p Props) Props {
	if p == nil {
		return Props{}
	}
	return p.Copy()
}

// ResourceRef returns the URN and ID of a resource reference at p[key].
func ResourceRef(p Props, key string) (urn, id string, ok bool) {
	v, present := p[resource.PropertyKey(key)]
	if !present {
		return "", "", false
	}
	v, known := unwrap(v)
	if !known || !v.IsResourceReference() {
		return "", "", false
	}
	ref := v.ResourceReferenceValue()
	idv, _ := unwrap(ref.ID)
	if idv.IsString() {
		id = idv.StringValue()
	}
	return string(ref.URN), id, true
}

// defaultsOf returns the properties recorded as filled in by Check.
func defaultsOf(p Props) map[string]bool {
	out := map[string]bool{}
	for _, s := range Strs(p, defaultsKey) {
		out[s] = true
	}
	return out
}

func setDefaults(p Props, names map[string]bool) {
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	arr := make([]resource.PropertyValue, len(list))
	for i, n := range list {
		arr[i] = resource.NewProperty(n)
	}
	p[defaultsKey] = resource.NewProperty(arr)
}

// describe renders a value for error messages.
func describe(v resource.PropertyValue) string {
	v, known := unwrap(v)
	if !known {
		return "<unknown>"
	}
	switch {
	case v.IsString():
		return fmt.Sprintf("%q", v.StringValue())
	case v.IsNull():
		return "null"
	default:
		return strings.TrimSpace(fmt.Sprint(v.V))
	}
}
