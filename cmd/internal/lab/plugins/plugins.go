// Package plugins is the lab's multi-call plugin binary: invoked as
// pulumi-language-go it is the Go language host (package langhost), invoked
// as pulumi-resource-<name> the resource provider of that name. The
// engine finds them as ambient plugins on PATH
// (sdk/go/common/workspace/plugins.go:2211-2273: a plugin on $PATH is used
// whatever version is asked for), so the lab's CLI runs offline with
// PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true.
package plugins

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/langhost"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/aws"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/eks"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/kubernetes"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/random"
)

// LanguageHost is the executable name the engine runs for `runtime: go`.
const LanguageHost = "pulumi-language-go"

// providers are the resource plugins by executable name. Their versions
// are the ones the program's Go SDKs ask for (each package's Version).
var providers = map[string]func() *provider.Package{
	"pulumi-resource-aws":        aws.Package,
	"pulumi-resource-eks":        eks.Package,
	"pulumi-resource-kubernetes": kubernetes.Package,
	"pulumi-resource-random":     random.Package,
}

// Names lists every executable name the binary answers to.
func Names() []string {
	out := []string{LanguageHost}
	for n := range providers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Main runs the plugin named by argv0's base name; ok is false when the
// name is not a plugin's.
func Main(argv0 string, args []string) (code int, ok bool) {
	name := filepath.Base(argv0)
	if name == LanguageHost {
		return langhost.Main(args), true
	}
	if pkg, found := providers[name]; found {
		return provider.Main(pkg()), true
	}
	return 0, false
}

// Provider is one resource plugin the binary serves.
type Provider struct {
	// Name is the package name ("aws"); the executable is
	// pulumi-resource-<Name>.
	Name, Version string
}

// Providers lists the resource plugins with the versions they answer for.
func Providers() []Provider {
	var out []Provider
	for _, n := range ProviderNames() {
		p := providers[n]()
		out = append(out, Provider{Name: p.Name, Version: p.Version})
	}
	return out
}

// ProviderNames lists the resource plugins' executable names.
func ProviderNames() []string {
	out := make([]string, 0, len(providers))
	for n := range providers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Install makes dir hold a symlink to exe for each of names. The resource
// plugins go in a directory on the lab CLI's PATH; the language host goes
// next to the CLI binary, where the engine looks for the language plugins
// it bundles: found only on PATH, `go` is used with a warning on every
// command ("using pulumi-language-go from $PATH",
// sdk/go/common/workspace/plugins.go:2255-2270).
func Install(dir, exe string, names ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plugin dir: %w", err)
	}
	for _, n := range names {
		link := filepath.Join(dir, n)
		if err := os.Remove(link); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("replace %s: %w", link, err)
		}
		if err := os.Symlink(exe, link); err != nil {
			return fmt.Errorf("plugin %s: %w", n, err)
		}
	}
	return nil
}
