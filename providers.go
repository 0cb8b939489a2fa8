package main

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/config"
)

// metricsRegion is where Route 53 publishes health-check metrics, so where
// the health-check alarm must live.
const metricsRegion = "us-east-1"

// providers are every provider the program uses. Default providers are
// disabled in Pulumi.yaml, so each resource inherits one of these from the
// component it belongs to, or names one.
type providers struct {
	// regional is the stack's own region.
	regional *aws.Provider
	// metrics is us-east-1, for Route 53 health-check metrics and alarms.
	metrics *aws.Provider
	// peer is the peer's region, on the primary only: the fence signal
	// lives in the standby region (dns.Fence).
	peer   *aws.Provider
	eks    *eks.Provider
	random *random.Provider
	// account and partition come from the regional provider's credentials.
	account, partition string
}

// newProviders creates the AWS, EKS and random providers from config.
func newProviders(ctx *pulumi.Context, cfg *config.Config) (*providers, error) {
	tags := aws.ProviderDefaultTagsArgs{Tags: pulumi.StringMap{
		"app":        pulumi.String("taskflow"),
		"stack":      pulumi.String(cfg.Stack),
		"role":       pulumi.String(string(cfg.Role)),
		"managed-by": pulumi.String("pulumi:" + cfg.Project),
	}}
	awsIn := func(region string) (*aws.Provider, error) {
		p, err := aws.NewProvider(ctx, "aws-"+region, &aws.ProviderArgs{Region: pulumi.String(region), DefaultTags: tags})
		if err != nil {
			return nil, fmt.Errorf("aws provider for %s: %w", region, err)
		}
		return p, nil
	}
	p := &providers{}
	var err error
	if p.regional, err = awsIn(cfg.Region); err != nil {
		return nil, err
	}
	if p.metrics, err = awsIn(metricsRegion); err != nil {
		return nil, err
	}
	if cfg.Role == config.RolePrimary {
		if p.peer, err = awsIn(cfg.Peer.Region); err != nil {
			return nil, err
		}
	}
	if p.eks, err = eks.NewProvider(ctx, "eks", nil); err != nil {
		return nil, fmt.Errorf("eks provider: %w", err)
	}
	if p.random, err = random.NewProvider(ctx, "random", nil); err != nil {
		return nil, fmt.Errorf("random provider: %w", err)
	}
	id, err := aws.GetCallerIdentity(ctx, nil, pulumi.Provider(p.regional))
	if err != nil {
		return nil, fmt.Errorf("read the AWS account of the stack's credentials: %w", err)
	}
	part, err := aws.GetPartition(ctx, nil, pulumi.Provider(p.regional))
	if err != nil {
		return nil, fmt.Errorf("read the AWS partition: %w", err)
	}
	p.account, p.partition = id.AccountId, part.Partition
	return p, nil
}

// kubernetesProvider reaches the region's cluster through the kubeconfig
// the region component renders (its token command names the region and
// assumes the operator role).
func kubernetesProvider(ctx *pulumi.Context, kubeconfig pulumi.StringInput) (*kubernetes.Provider, error) {
	// ConfigMaps update in place: the failover changes taskflow-region's
	// DB_MODE, and pulumi-kubernetes would otherwise replace the ConfigMap
	// (delete first, since it is named) under running pods
	// (pulumi-kubernetes@v4.32.0 provider option enableConfigMapMutable).
	p, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
		Kubeconfig:             kubeconfig,
		EnableConfigMapMutable: pulumi.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("kubernetes provider: %w", err)
	}
	return p, nil
}
