package provider

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Diff is a computed difference between old and new inputs.
type Diff struct {
	// Changed are the top-level properties that differ.
	Changed []string
	// Replaces are the top-level properties whose change forces a
	// replacement.
	Replaces []string
	// Detailed is keyed by property path.
	Detailed map[string]*pulumirpc.PropertyDiff
}

// indexRE matches list indices in a property path.
var indexRE = regexp.MustCompile(`\[[0-9]+\]|\[\*\]`)

// forceNewMatch tells whether a changed path falls under a ForceNew
// pattern. Patterns use Pulumi property names with "." between levels and
// ignore list indices: "vpcConfig.subnetIds" matches
// "vpcConfig.subnetIds[2]" and "vpcConfig[0].subnetIds". A change of a
// parent ("vpcConfig" added or removed) matches its ForceNew children
// because leaf paths are reported for added and removed objects.
func forceNewMatch(patterns []string, path string) bool {
	p := indexRE.ReplaceAllString(path, "")
	for _, pat := range patterns {
		pat = indexRE.ReplaceAllString(pat, "")
		if p == pat || strings.HasPrefix(p, pat+".") {
			return true
		}
	}
	return false
}

// ComputeDiff compares old inputs with new checked inputs. forceNew lists
// the replace-on-change paths; allForceNew replaces on any change; ignore
// lists the engine's ignoreChanges paths (already applied by the engine to
// news, filtered again here as the protocol allows).
func ComputeDiff(olds, news Props, forceNew []string, allForceNew bool, ignore []string) (*Diff, error) {
	var ignorePaths []resource.PropertyPath
	for _, s := range ignore {
		p, err := resource.ParsePropertyPath(s)
		if err != nil {
			return nil, fmt.Errorf("ignoreChanges path %q: %w", s, err)
		}
		ignorePaths = append(ignorePaths, p)
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	d := &Diff{Detailed: map[string]*pulumirpc.PropertyDiff{}}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, string(k))
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if k == defaultsKey {
			continue
		}
		o, hasOld := olds[resource.PropertyKey(k)]
		n, hasNew := news[resource.PropertyKey(k)]
		if hasOld && o.IsNull() {
			hasOld = false
		}
		if hasNew && n.IsNull() {
			hasNew = false
		}
		var paths []string
		leafPaths(k, o, hasOld, n, hasNew, &paths)
		paths = withoutIgnored(paths, ignorePaths)
		if len(paths) == 0 {
			continue
		}
		replace := allForceNew
		for _, p := range paths {
			if forceNewMatch(forceNew, p) {
				replace = true
			}
		}
		d.Changed = append(d.Changed, k)
		if replace {
			d.Replaces = append(d.Replaces, k)
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case !hasOld:
			kind = pulumirpc.PropertyDiff_ADD
		case !hasNew:
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if replace {
			kind = map[pulumirpc.PropertyDiff_Kind]pulumirpc.PropertyDiff_Kind{
				pulumirpc.PropertyDiff_ADD:    pulumirpc.PropertyDiff_ADD_REPLACE,
				pulumirpc.PropertyDiff_DELETE: pulumirpc.PropertyDiff_DELETE_REPLACE,
				pulumirpc.PropertyDiff_UPDATE: pulumirpc.PropertyDiff_UPDATE_REPLACE,
			}[kind]
		}
		d.Detailed[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return d, nil
}

func withoutIgnored(paths []string, ignore []resource.PropertyPath) []string {
	if len(ignore) == 0 {
		return paths
	}
	var out []string
	for _, s := range paths {
		p, err := resource.ParsePropertyPath(s)
		if err != nil {
			out = append(out, s)
			continue
		}
		skip := false
		for _, ig := range ignore {
			if ig.Contains(p) {
				skip = true
				break
			}
		}
		if !skip {
			out = append(out, s)
		}
	}
	return out
}

// leafPaths appends the paths under prefix where the two values differ.
// Objects and lists are walked; an object or list present on one side only
// contributes all of its leaves, so a ForceNew child of a new block is
// seen. An unknown value is a change (it may differ once known).
func leafPaths(prefix string, o resource.PropertyValue, hasOld bool, n resource.PropertyValue, hasNew bool, out *[]string) {
	if hasOld && hasNew {
		ou, oKnown := unwrap(o)
		nu, nKnown := unwrap(n)
		if !oKnown || !nKnown {
			*out = append(*out, prefix)
			return
		}
		switch {
		case ou.IsObject() && nu.IsObject():
			om, nm := ou.ObjectValue(), nu.ObjectValue()
			keys := map[resource.PropertyKey]bool{}
			for k := range om {
				keys[k] = true
			}
			for k := range nm {
				keys[k] = true
			}
			for k := range keys {
				ov, ho := om[k]
				nv, hn := nm[k]
				leafPaths(prefix+"."+string(k), ov, ho && !ov.IsNull(), nv, hn && !nv.IsNull(), out)
			}
			return
		case ou.IsArray() && nu.IsArray():
			oa, na := ou.ArrayValue(), nu.ArrayValue()
			size := max(len(oa), len(na))
			for i := range size {
				var ov, nv resource.PropertyValue
				ho, hn := i < len(oa), i < len(na)
				if ho {
					ov = oa[i]
				}
				if hn {
					nv = na[i]
				}
				leafPaths(fmt.Sprintf("%s[%d]", prefix, i), ov, ho && !ov.IsNull(), nv, hn && !nv.IsNull(), out)
			}
			return
		default:
			if !equalLeaf(ou, nu) {
				*out = append(*out, prefix)
			}
			return
		}
	}
	if !hasOld && !hasNew {
		return
	}
	v := n
	if hasOld {
		v = o
	}
	u, known := unwrap(v)
	if !known {
		*out = append(*out, prefix)
		return
	}
	switch {
	case u.IsObject() && len(u.ObjectValue()) > 0:
		for k, e := range u.ObjectValue() {
			leafPaths(prefix+"."+string(k), e, hasOld && !e.IsNull(), e, hasNew && !e.IsNull(), out)
		}
	case u.IsArray() && len(u.ArrayValue()) > 0:
		for i, e := range u.ArrayValue() {
			leafPaths(fmt.Sprintf("%s[%d]", prefix, i), e, hasOld && !e.IsNull(), e, hasNew && !e.IsNull(), out)
		}
	default:
		*out = append(*out, prefix)
	}
}

// equalLeaf compares two known, unwrapped scalar-ish values. Resource
// references compare by URN and ID.
func equalLeaf(a, b resource.PropertyValue) bool {
	if a.IsResourceReference() && b.IsResourceReference() {
		ra, rb := a.ResourceReferenceValue(), b.ResourceReferenceValue()
		return ra.URN == rb.URN && ra.ID.DeepEquals(rb.ID)
	}
	return a.DeepEquals(b)
}
