package incluster

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/utilities"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// helmReleaseType is pulumi-kubernetes' Helm v3 Release.
const helmReleaseType = "kubernetes:helm.sh/v3:Release"

// helmRelease is a Helm v3 Release, registered by its type token with the
// inputs helmv3.NewRelease sends. The SDK's own package (kubernetes/helm/v3)
// also holds the v3 Chart, which imports the types of every Kubernetes API
// group: 62 more packages linked into every binary that imports this one,
// the program's test binaries among them. NewRelease does only this:
// register the token with ReleaseArgs, compat "true", and the package's
// plugin version (pulumi-kubernetes@v4.32.0:sdk/go/kubernetes/helm/v3/release.go:375-392).
type helmRelease struct {
	pulumi.CustomResourceState
}

// helmReleaseArgs are the ReleaseArgs this program sets (field names from
// release.go's releaseArgs pulumi tags).
type helmReleaseArgs struct {
	Name, Chart, Version, Repo, Namespace string
	CreateNamespace, Atomic               bool
	Values                                pulumi.Map
}

func newHelmRelease(ctx *pulumi.Context, name string, args helmReleaseArgs, opts ...pulumi.ResourceOption) (*helmRelease, error) {
	var r helmRelease
	err := ctx.RegisterResource(helmReleaseType, name, pulumi.Map{
		"name":            pulumi.String(args.Name),
		"chart":           pulumi.String(args.Chart),
		"version":         pulumi.String(args.Version),
		"repositoryOpts":  pulumi.Map{"repo": pulumi.String(args.Repo)},
		"namespace":       pulumi.String(args.Namespace),
		"createNamespace": pulumi.Bool(args.CreateNamespace),
		"atomic":          pulumi.Bool(args.Atomic),
		"values":          args.Values,
		"compat":          pulumi.String("true"),
	}, &r, utilities.PkgResourceDefaultOpts(opts)...)
	if err != nil {
		return nil, err
	}
	return &r, nil
}
