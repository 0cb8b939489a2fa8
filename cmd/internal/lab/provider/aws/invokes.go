package aws

import (
	"fmt"
	"strings"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
)

// invokes are the functions the program and pulumi-eks call.
func invokes() map[string]provider.InvokeFunc {
	return map[string]provider.InvokeFunc{
		"aws:index/getCallerIdentity:getCallerIdentity": func(*provider.Ctx, provider.Props) (provider.Props, error) {
			return provider.FromGo(map[string]any{
				"accountId": Account(), "id": Account(),
				"arn":    fmt.Sprintf("arn:aws:iam::%s:user/drlab", Account()),
				"userId": "AIDA" + provider.StableHex(17, "drlab-user"),
			}), nil
		},
		"aws:index/getPartition:getPartition": func(*provider.Ctx, provider.Props) (provider.Props, error) {
			return provider.FromGo(map[string]any{
				"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws",
			}), nil
		},
		"aws:index/getRegion:getRegion": func(c *provider.Ctx, args provider.Props) (provider.Props, error) {
			r := provider.Str(args, "name")
			if r == "" {
				r = region(c)
			}
			return provider.FromGo(map[string]any{
				"id": r, "name": r, "region": r, "endpoint": "ec2." + r + ".amazonaws.com", "description": r,
			}), nil
		},
		"aws:index/getAvailabilityZones:getAvailabilityZones": func(c *provider.Ctx, _ provider.Props) (provider.Props, error) {
			r := region(c)
			var names, ids []any
			for _, l := range []string{"a", "b", "c"} {
				names = append(names, r+l)
				ids = append(ids, azID(r+l))
			}
			return provider.FromGo(map[string]any{"id": r, "names": names, "zoneIds": ids, "groupNames": []any{r}}), nil
		},
		"aws:route53/getZone:getZone": getZone,
		"aws:ssm/getParameter:getParameter": func(c *provider.Ctx, args provider.Props) (provider.Props, error) {
			name := provider.Str(args, "name")
			// The public parameters pulumi-eks reads for its AMIs
			// (https://docs.aws.amazon.com/eks/latest/userguide/retrieve-ami-id.html).
			if !strings.HasPrefix(name, "/aws/service/eks/optimized-ami/") {
				return nil, fmt.Errorf("ParameterNotFound: the lab serves the EKS optimized AMI parameters only, not %s", name)
			}
			v := "ami-" + provider.StableHex(17, region(c), name)
			return provider.FromGo(map[string]any{
				"id": name, "name": name, "value": v, "insecureValue": v, "type": "String", "version": 1,
				"arn": arn("ssm", region(c), "parameter"+name),
			}), nil
		},
	}
}
