// Command taskflow-dr is the Pulumi program behind TaskFlow's warm standby:
// one program, one stack per region (primary in eu-west-1, standby in
// eu-central-1). See README.md and ../shared/DESIGN.md.
package main

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/config"
	"github.com/taskflow/taskflow-dr/dns"
	"github.com/taskflow/taskflow-dr/region"
	"github.com/taskflow/taskflow-dr/replication"
)

func main() { pulumi.Run(run) }

// run is the program `pulumi up` runs.
func run(ctx *pulumi.Context) error {
	_, err := program(ctx)
	return err
}

// componentName names the region component in both stacks: URNs are per
// stack, and one name keeps the database's URN the same shape everywhere.
const componentName = "taskflow"

// program is the whole program: config, providers, components, exports.
// It returns the exports as well as exporting them, so that the tests,
// which run it under mocks, can feed one stack's outputs to the other's
// StackReference.
func program(ctx *pulumi.Context) (pulumi.Map, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, err
	}
	prov, err := newProviders(ctx, cfg)
	if err != nil {
		return nil, err
	}
	peer, err := readPeer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	creds, err := credentials(ctx, cfg, prov)
	if err != nil {
		return nil, err
	}
	dbArgs, err := databaseArgs(cfg, peer, creds)
	if err != nil {
		return nil, err
	}
	dbArgs.FinalSnapshotSuffix, err = replication.NewFinalSnapshotSuffix(ctx, componentName+"-db-final-snapshot", cfg.Database.Rebuild, prov.random)
	if err != nil {
		return nil, err
	}

	zoneID, err := dns.LookupZone(ctx, cfg.Domain, prov.regional)
	if err != nil {
		return nil, err
	}
	cert, err := dns.NewCertificate(ctx, componentName+"-app", dns.CertificateArgs{Host: cfg.AppHost, ZoneId: zoneID}, prov.regional)
	if err != nil {
		return nil, err
	}
	reg, err := region.New(ctx, componentName, region.Args{
		Role:            cfg.Role,
		Region:          cfg.Region,
		ClusterName:     cfg.Project + "-" + cfg.Stack,
		Network:         cfg.Network,
		Cluster:         cfg.Cluster,
		Database:        dbArgs,
		AppHost:         cfg.AppHost,
		HealthCheckPath: cfg.DNS.HealthCheckPath,
		CertificateArn:  cert.Arn,
	}, region.Providers{AWS: prov.regional, EKS: prov.eks})
	if err != nil {
		return nil, err
	}

	wiring, err := wire(ctx, cfg, prov, reg, peer, creds, zoneID)
	if err != nil {
		return nil, err
	}

	exports := regionExports(cfg, reg, dbArgs, zoneID)
	for name, value := range wiring.exports() {
		exports[name] = value
	}
	for name, value := range exports {
		ctx.Export(name, value)
	}
	return exports, nil
}

// readPeer reads the peer stack when this stack needs something of it: a
// replica needs the writer's ARN and class; the standby needs the ARN of
// the secret's replica in its region (the primary owns the secret).
func readPeer(ctx *pulumi.Context, cfg *config.Config) (*replication.Peer, error) {
	var required []string
	if cfg.Database.Mode == config.ModeReplica {
		required = append(required, replication.OutputDbMode, replication.OutputDbInstanceArn, replication.OutputDbInstanceClass)
	}
	if cfg.Role == config.RoleStandby {
		required = append(required, replication.OutputDbSecretReplica)
	}
	if len(required) == 0 {
		return nil, nil
	}
	required = append(required, replication.OutputRegion, replication.OutputRole)
	peer, err := replication.ReadPeer(ctx, "peer", cfg.Peer.Stack, required)
	if err != nil {
		return nil, err
	}
	if err := peer.CheckRegion(cfg.Peer.Region); err != nil {
		return nil, err
	}
	return peer, nil
}

// credentials generates the master password on the primary, which owns
// the credentials in every phase: the password keeps its value even while
// the primary's database is a replica during failback. The standby has none.
func credentials(ctx *pulumi.Context, cfg *config.Config, prov *providers) (pulumi.StringInput, error) {
	if cfg.Role != config.RolePrimary {
		return nil, nil
	}
	return replication.NewMasterPassword(ctx, componentName+"-db-password", prov.random)
}

// databaseArgs resolves what the database needs from outside the region: in
// replica mode the writer's ARN and class from the peer; a writer created
// by the primary, the generated password.
func databaseArgs(cfg *config.Config, peer *replication.Peer, password pulumi.StringInput) (region.DatabaseArgs, error) {
	args := region.DatabaseArgs{Database: cfg.Database, InstanceClass: pulumi.String(cfg.Database.InstanceClass)}
	if cfg.Database.Mode == config.ModeReplica {
		source, err := peer.WriterArn()
		if err != nil {
			return args, err
		}
		args.ReplicateSourceArn = pulumi.String(source)
		if cfg.Database.InstanceClass == "" {
			args.InstanceClass = pulumi.String(peer.Get(replication.OutputDbInstanceClass))
		}
	}
	if cfg.Database.Mode == config.ModeWriter {
		args.MasterPassword = password
	}
	return args, nil
}

// regionExports is the region's part of the runbook's API. Renaming an
// output is a breaking change: README's table and the runbook tests move
// with it.
func regionExports(cfg *config.Config, reg *region.Region, db region.DatabaseArgs, zoneID string) pulumi.Map {
	out := pulumi.Map{}
	minSize, desired, maxSize := cfg.Cluster.Sizes()
	source := pulumi.StringInput(pulumi.String(""))
	if db.ReplicateSourceArn != nil {
		source = db.ReplicateSourceArn
	}
	out["region"] = pulumi.String(cfg.Region)
	out["role"] = pulumi.String(string(cfg.Role))
	out["peerStack"] = pulumi.String(cfg.Peer.Stack)
	out["peerRegion"] = pulumi.String(cfg.Peer.Region)
	out["vpcId"] = reg.VpcId
	out["clusterName"] = reg.ClusterName
	out["kubeconfig"] = reg.Kubeconfig
	out["nodeGroup"] = pulumi.Map{
		"asgName":             reg.NodeGroupAsgName,
		"minSize":             pulumi.Int(minSize),
		"desiredSize":         pulumi.Int(desired),
		"maxSize":             pulumi.Int(maxSize),
		"failoverMinSize":     pulumi.Int(cfg.Cluster.FailoverMinSize),
		"failoverDesiredSize": pulumi.Int(cfg.Cluster.FailoverDesiredSize),
		"failoverMaxSize":     pulumi.Int(cfg.Cluster.FailoverMaxSize),
		"scale":               pulumi.String(string(cfg.Cluster.Scale)),
	}
	out["dbMode"] = pulumi.String(string(cfg.Database.Mode))
	out["dbInstanceId"] = reg.DbInstanceId
	out["dbInstanceArn"] = reg.DbInstanceArn
	out["dbInstanceUrn"] = reg.DbInstanceUrn
	out["dbInstanceClass"] = reg.DbInstanceClass
	out["dbEndpoint"] = reg.DbEndpoint
	out["dbAddress"] = reg.DbAddress
	out["dbPort"] = reg.DbPort
	out["dbReplicationSourceArn"] = source
	out["kmsKeyArn"] = reg.KmsKeyArn
	out["ecrRepositoryUrl"] = reg.RepositoryUrl
	out["ecrRepositoryName"] = reg.RepositoryName
	out["albDnsName"] = reg.AlbDnsName
	out["albZoneId"] = reg.AlbZoneId
	out["hostedZoneId"] = pulumi.String(zoneID)
	out["appHost"] = pulumi.String(cfg.AppHost)
	out["appUrl"] = pulumi.String(fmt.Sprintf("https://%s", cfg.AppHost))

	budget := cfg.RTOBudget().Seconds()
	rto := pulumi.IntMap{}
	for k, v := range budget {
		rto[k] = pulumi.Int(v)
	}
	out["rtoBudget"] = rto
	out["rpoObjectiveSeconds"] = pulumi.Int(int(cfg.Objectives.RPO.Seconds()))
	return out
}
