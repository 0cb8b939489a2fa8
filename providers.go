package main

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/config"
)

// metricsRegion is where Route 53 publishes health-check metrics, so where
// the health-check alarm must live.
const metricsRegion = "us-east-1"

// providers are every provider the program uses. Default providers are
// disabled in Pulumi.yaml, so each resource names one of these.
type providers struct {
	// regional is the stack's own region.
	regional *aws.Provider
	// metrics is us-east-1, for Route 53 health-check metrics and alarms.
	metrics *aws.Provider
	eks     *eks.Provider
	random  *random.Provider
}

func newProviders(ctx *pulumi.Context, cfg *config.Config) (*providers, error) {
	tags := aws.ProviderDefaultTagsArgs{Tags: pulumi.StringMap{
		"app":        pulumi.String("taskflow"),
		"stack":      pulumi.String(cfg.Stack),
		"role":       pulumi.String(string(cfg.Role)),
		"managed-by": pulumi.String("pulumi:" + cfg.Project),
	}}
	regional, err := aws.NewProvider(ctx, "aws-"+cfg.Region, &aws.ProviderArgs{
		Region:      pulumi.String(cfg.Region),
		DefaultTags: tags,
	})
	if err != nil {
		return nil, fmt.Errorf("aws provider for %s: %w", cfg.Region, err)
	}
	metrics, err := aws.NewProvider(ctx, "aws-"+metricsRegion, &aws.ProviderArgs{
		Region:      pulumi.String(metricsRegion),
		DefaultTags: tags,
	})
	if err != nil {
		return nil, fmt.Errorf("aws provider for %s: %w", metricsRegion, err)
	}
	eksProvider, err := eks.NewProvider(ctx, "eks", nil)
	if err != nil {
		return nil, fmt.Errorf("eks provider: %w", err)
	}
	randomProvider, err := random.NewProvider(ctx, "random", nil)
	if err != nil {
		return nil, fmt.Errorf("random provider: %w", err)
	}
	return &providers{regional: regional, metrics: metrics, eks: eksProvider, random: randomProvider}, nil
}
