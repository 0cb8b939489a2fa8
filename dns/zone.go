// Package dns is TaskFlow DR's Route 53 side: the hosted zone, the ACM
// certificates and their one validation record, the failover records on the
// app host, the health checks behind the PRIMARY record, and the fence in
// the standby region.
package dns

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LookupZone finds the public hosted zone for domain. The zone itself is
// not managed here: it outlives both regions and both stacks.
func LookupZone(ctx *pulumi.Context, domain string, provider pulumi.ProviderResource) (string, error) {
	private := false
	zone, err := route53.LookupZone(ctx, &route53.LookupZoneArgs{
		Name:        &domain,
		PrivateZone: &private,
	}, pulumi.Provider(provider))
	if err != nil {
		return "", fmt.Errorf("look up the public hosted zone for taskflow:domain %q: %w", domain, err)
	}
	return zone.ZoneId, nil
}
