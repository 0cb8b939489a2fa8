// Package aws is the lab's pulumi-resource-aws, answering for pulumi-aws
// v6.83.4 (the version the program's Go SDK asks for,
// sdk/v6@v6.83.4/go/aws/pulumi-plugin.json).
//
// Types are tables (table.go): replace-on-change properties are
// terraform-provider-aws's ForceNew flags (pulumi-aws v6.x bridges
// terraform-provider-aws v5; v7 moved to v6, pulumi/pulumi-aws#5665),
// autonames are pulumi-aws's (provider/autonaming.go: every input `name`,
// NewUniqueHex(name+"-", 7, 255); the exceptions are cited per type), and
// outputs have AWS's shapes: ARNs, IDs and endpoints in AWS's formats.
//
// The resources the DR lifecycle touches act on the lab cloud through
// cloudrpc, as terraform-provider-aws acts on AWS: the RDS instance,
// Route 53 health checks and records, the EKS cluster and managed node
// groups, CloudWatch alarms and dashboards, Secrets Manager secrets, ECR
// repositories and the registry's replication, launch configurations.
package aws

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
)

// Name and Version are the plugin's.
const (
	Name    = "aws"
	Version = "6.83.4"
)

// EnvAccount names the lab account's ID; it must be the lab cloud's.
const EnvAccount = "DRLAB_ACCOUNT_ID"

// DefaultAccount is the lab account when EnvAccount is unset: AWS's
// documentation example account.
const DefaultAccount = "123456789012"

// Account is the lab account's ID.
func Account() string {
	if v := os.Getenv(EnvAccount); v != "" {
		return v
	}
	return DefaultAccount
}

// regionRE is AWS's region name shape (eu-west-1, us-gov-west-1).
var regionRE = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9]$`)

// Package returns the aws plugin.
func Package() *provider.Package {
	p := &provider.Package{
		Name:    Name,
		Version: Version,
		Types:   map[string]*provider.Type{},
		Invokes: invokes(),
		// pulumi-aws requires a region; the program always sets one
		// (providers.go).
		CheckConfig: func(cfg provider.Props) error {
			r := provider.Str(cfg, "region")
			if r == "" {
				return fmt.Errorf("missing required configuration key \"aws:region\"")
			}
			if !regionRE.MatchString(r) {
				return fmt.Errorf("invalid AWS region %q", r)
			}
			return nil
		},
		// A provider whose region changes is replaced, and with it every
		// resource it manages: they are re-created in the new region
		// (pulumi/pulumi-aws#4000, "Replace resources when the AWS region
		// changes", merged 2024-05-29, before v6.83).
		ConfigReplaces: []string{"region"},
	}
	for _, t := range types() {
		if _, dup := p.Types[t.Token]; dup {
			panic("duplicate aws type " + t.Token)
		}
		p.Types[t.Token] = t
	}
	return p
}

// region is the provider's region.
func region(c *provider.Ctx) string { return provider.Str(c.Config, "region") }

// arn formats arn:aws:<service>:<region>:<account>:<resource>.
func arn(service, region, res string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, Account(), res)
}

// ec2ID is an EC2-style resource ID: prefix, "-", 17 lowercase hex
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html).
func ec2ID(prefix string) string { return prefix + "-" + provider.RandomHex(17) }

// tagsAll is the provider's default tags overlaid with the resource's
// (terraform-provider-aws internal/tags: DefaultTagsConfig.MergeTags).
func tagsAll(c *provider.Ctx, in provider.Props) resource.PropertyValue {
	out := resource.PropertyMap{}
	if dt := provider.Obj(c.Config, "defaultTags"); dt != nil {
		for k, v := range provider.StrMap(dt, "tags") {
			out[resource.PropertyKey(k)] = resource.NewProperty(v)
		}
	}
	if tags := provider.Obj(in, "tags"); tags != nil {
		for k, v := range tags {
			out[k] = v
		}
	}
	return resource.NewProperty(out)
}

// tagList renders tags as [{Key, Value}] (RDS, Secrets Manager, ...).
func tagList(c *provider.Ctx, in provider.Props) []map[string]string {
	all := tagsAll(c, in).ObjectValue()
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	out := make([]map[string]string, 0, len(keys))
	for _, k := range keys {
		v := all[resource.PropertyKey(k)]
		if v.IsString() {
			out = append(out, map[string]string{"Key": k, "Value": v.StringValue()})
		}
	}
	return out
}

// tagMap renders tags as a plain map (EKS, ECR's REST-JSON APIs).
func tagMap(c *provider.Ctx, in provider.Props) map[string]string {
	out := map[string]string{}
	for k, v := range tagsAll(c, in).ObjectValue() {
		if v.IsString() {
			out[string(k)] = v.StringValue()
		}
	}
	return out
}

// gen describes a type kept in state with computed outputs.
type gen struct {
	token    string
	forceNew []string
	autoName *provider.AutoName
	dbr      bool
	tags     bool
	defaults map[string]any
	validate func(c *provider.Ctx, in provider.Props) error
	// id returns the physical ID.
	id func(c *provider.Ctx, in provider.Props) string
	// outs returns the computed outputs at creation.
	outs func(c *provider.Ctx, id string, in provider.Props) map[string]any
}

func (g gen) typ() *provider.Type {
	t := &provider.Type{
		Token:               g.token,
		ForceNew:            g.forceNew,
		AutoName:            g.autoName,
		DeleteBeforeReplace: g.dbr,
		Validate:            g.validate,
	}
	if len(g.defaults) > 0 {
		t.Defaults = provider.FromGo(g.defaults)
	}
	t.Create = func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
		id := g.id(c, in)
		outs := provider.Props{}
		if g.outs != nil {
			outs = provider.FromGo(g.outs(c, id, in))
		}
		if g.tags {
			outs["tagsAll"] = tagsAll(c, in)
		}
		return id, outs, nil
	}
	if g.tags {
		t.Update = func(c *provider.Ctx, _ string, _, _, news, outs provider.Props) (provider.Props, error) {
			outs["tagsAll"] = tagsAll(c, news)
			return outs, nil
		}
	}
	return t
}

// autoName is pulumi-aws's default for an input `name`
// (pulumi/pulumi-aws provider/autonaming.go: AutoName(name, 255, "-"),
// which is NewUniqueHex(urnName+"-", 7, 255)).
func autoName() *provider.AutoName {
	return &provider.AutoName{Property: "name", Separator: "-", Random: 7, MaxLen: 255}
}

// idName returns the value of an input as the ID.
func idName(prop string) func(*provider.Ctx, provider.Props) string {
	return func(_ *provider.Ctx, in provider.Props) string { return provider.Str(in, prop) }
}

// idPrefixed returns an EC2-style ID.
func idPrefixed(prefix string) func(*provider.Ctx, provider.Props) string {
	return func(*provider.Ctx, provider.Props) string { return ec2ID(prefix) }
}

// azID maps an AZ name to a zone ID the way AWS shows them (euw1-az1).
func azID(az string) string {
	if len(az) < 2 {
		return az
	}
	reg, letter := az[:len(az)-1], az[len(az)-1:]
	parts := strings.Split(reg, "-")
	short := ""
	if len(parts) == 3 {
		short = parts[0] + parts[1][:1] + parts[2]
	}
	return fmt.Sprintf("%s-az%d", short, int(letter[0]-'a')+1)
}
