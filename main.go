// Command taskflow-dr is the Pulumi program behind TaskFlow's warm standby:
// one program, one stack per region (primary in eu-west-1, standby in
// eu-central-1). It reads as the topology: config, providers, peer, region,
// wiring, exports. The design is runbooks/dr-design.md.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/config"
	"github.com/taskflow/taskflow-dr/outputs"
	"github.com/taskflow/taskflow-dr/peer"
)

func main() { pulumi.Run(run) }

// run is the program `pulumi up` runs.
func run(ctx *pulumi.Context) error {
	_, err := program(ctx)
	return err
}

// componentName names the components in both stacks: URNs are per stack,
// and one name keeps the database's URN the same shape everywhere.
const componentName = "taskflow"

// program is the whole program. It returns the exports as well as
// exporting them, so that the tests, which run it under mocks, can feed
// one stack's outputs to the other's StackReference.
func program(ctx *pulumi.Context) (pulumi.Map, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, err
	}
	prov, err := newProviders(ctx, cfg)
	if err != nil {
		return nil, err
	}
	pr, err := readPeer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	reg, err := newRegion(ctx, cfg, prov, pr)
	if err != nil {
		return nil, err
	}
	w, err := wire(ctx, cfg, prov, reg, pr)
	if err != nil {
		return nil, err
	}
	return outputs.Export(ctx, cfg.Role, cfg.Database.Mode, w.exports())
}

// readPeer reads the peer stack when this stack needs something of it. The
// standby always does: the primary is deployed first and owns the secret,
// the fence's wiring and the hosted zone's lookup. The primary does only in replica mode (the failback), so
// that it can be deployed before the standby exists.
func readPeer(ctx *pulumi.Context, cfg *config.Config) (*peer.Peer, error) {
	var required []string
	if cfg.Database.Mode == config.ModeReplica {
		required = append(required, outputs.DbMode, outputs.DbInstanceArn, outputs.DbInstanceClass)
	}
	if cfg.Role == config.RoleStandby {
		required = append(required, outputs.DbSecretReplicaArn, outputs.FenceHealthCheckID,
			outputs.HealthCheckID, outputs.EndpointHealthCheckID, outputs.HostedZoneID)
	}
	if len(required) == 0 {
		return nil, nil
	}
	required = append(required, outputs.Region, outputs.Role)
	p, err := peer.Read(ctx, "peer", cfg.Peer.Stack, required)
	if err != nil {
		return nil, err
	}
	if err := p.CheckRegion(cfg.Peer.Region); err != nil {
		return nil, err
	}
	return p, nil
}
