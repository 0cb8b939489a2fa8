package langhost

import (
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"golang.org/x/mod/module"
)

// Package is one resource plugin a program needs.
type Package struct {
	Name, Version, Server string
}

// pluginJSON is the pulumi-plugin.json a Pulumi Go SDK ships in its
// package directory, e.g. pulumi-eks/sdk/v2@v2.8.1/go/eks/pulumi-plugin.json:
// {"resource": true, "name": "eks", "version": "2.8.1"}.
type pluginJSON struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

// ModuleCache is where the Go toolchain keeps module sources: $GOMODCACHE,
// else $GOPATH/pkg/mod, else ~/go/pkg/mod (`go help environment`).
func ModuleCache() string {
	if v := os.Getenv("GOMODCACHE"); v != "" {
		return v
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		gopath = filepath.Join(home, "go")
	}
	return filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "pkg", "mod")
}

func readBuildInfoFile(bin string) (*debug.BuildInfo, error) {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("read the Go build info of %s: %w", bin, err)
	}
	return info, nil
}

// RequiredPackages reads which resource plugins the program binary needs.
// The real host asks `go list` about the program's source; a prebuilt
// binary carries its module list (debug/buildinfo), and each Pulumi SDK
// module carries pulumi-plugin.json files naming the plugin and version it
// was generated for. Those are read from the module cache; a module absent
// from the cache falls back to the SDK naming convention
// (github.com/pulumi/pulumi-<name>/sdk[/vN] at the plugin's version).
func RequiredPackages(bin, modCache string) ([]Package, error) {
	info, err := readBuildInfoFile(bin)
	if err != nil {
		return nil, err
	}
	return packagesOf(info.Deps, modCache)
}

func packagesOf(deps []*debug.Module, modCache string) ([]Package, error) {
	seen := map[string]Package{}
	for _, d := range deps {
		mod := d
		if d.Replace != nil {
			mod = d.Replace
		}
		found, err := pluginFiles(mod, modCache)
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			if p, ok := conventionalPackage(d); ok {
				found = []Package{p}
			}
		}
		for _, p := range found {
			if old, dup := seen[p.Name]; dup && old.Version != p.Version {
				return nil, fmt.Errorf("plugin %s required at two versions (%s and %s)", p.Name, old.Version, p.Version)
			}
			seen[p.Name] = p
		}
	}
	out := make([]Package, 0, len(seen))
	for _, p := range seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// pluginFiles reads the resource-plugin pulumi-plugin.json files of one
// module: at its root, one level down, or in go/<pkg>/, where Pulumi's SDK
// generator writes them (sdk/v6@v6.83.4/go/aws/pulumi-plugin.json). A
// deeper search would read every directory of every dependency on each
// `up`.
func pluginFiles(mod *debug.Module, modCache string) ([]Package, error) {
	if modCache == "" || mod.Version == "" || mod.Version == "(devel)" {
		return nil, nil
	}
	escaped, err := module.EscapePath(mod.Path)
	if err != nil {
		return nil, nil
	}
	dir := filepath.Join(modCache, escaped+"@"+mod.Version)
	var out []Package
	for _, pattern := range []string{"pulumi-plugin.json", "*/pulumi-plugin.json", "go/*/pulumi-plugin.json"} {
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, fmt.Errorf("look for pulumi-plugin.json in %s: %w", dir, err)
		}
		for _, m := range matches {
			raw, err := os.ReadFile(m)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return nil, fmt.Errorf("read %s: %w", m, err)
			}
			var pj pluginJSON
			if err := json.Unmarshal(raw, &pj); err != nil {
				return nil, fmt.Errorf("parse %s: %w", m, err)
			}
			if !pj.Resource || pj.Name == "" {
				continue
			}
			v := pj.Version
			if v == "" {
				v = strings.TrimPrefix(mod.Version, "v")
			}
			out = append(out, Package{Name: pj.Name, Version: v, Server: pj.Server})
		}
	}
	return out, nil
}

// conventionalPackage maps github.com/pulumi/pulumi-<name>/sdk[/vN]@vX.Y.Z
// to plugin <name> X.Y.Z.
func conventionalPackage(d *debug.Module) (Package, bool) {
	rest, ok := strings.CutPrefix(d.Path, "github.com/pulumi/pulumi-")
	if !ok {
		return Package{}, false
	}
	name, tail, ok := strings.Cut(rest, "/sdk")
	if !ok || name == "" || (tail != "" && !strings.HasPrefix(tail, "/v")) {
		return Package{}, false
	}
	return Package{Name: name, Version: strings.TrimPrefix(d.Version, "v")}, true
}
