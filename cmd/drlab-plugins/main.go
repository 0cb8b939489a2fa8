// Command drlab-plugins is the lab's Pulumi plugins in one binary: the Go
// language host and the aws, eks, kubernetes and random resource providers,
// chosen by the name it is invoked as (see package plugins). Invoked as
// itself it installs the links:
//
//	drlab-plugins install DIR        # DIR/pulumi-resource-{aws,eks,kubernetes,random}: put DIR on the CLI's PATH
//	drlab-plugins install-host DIR   # DIR/pulumi-language-go: DIR is the CLI binary's own directory
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/plugins"
)

func main() {
	if code, ok := plugins.Main(os.Args[0], os.Args[1:]); ok {
		os.Exit(code)
	}
	if len(os.Args) == 3 && (os.Args[1] == "install" || os.Args[1] == "install-host") {
		names := plugins.ProviderNames()
		if os.Args[1] == "install-host" {
			names = []string{plugins.LanguageHost}
		}
		self, err := os.Executable()
		if err == nil {
			self, err = filepath.EvalSymlinks(self)
		}
		if err == nil {
			err = plugins.Install(os.Args[2], self, names...)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "drlab-plugins:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintf(os.Stderr, "usage: drlab-plugins install DIR | install-host DIR\n(invoked as one of %v it is that plugin)\n", plugins.Names())
	os.Exit(2)
}
