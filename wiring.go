package main

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/config"
	"github.com/taskflow/taskflow-dr/dns"
	"github.com/taskflow/taskflow-dr/region"
	"github.com/taskflow/taskflow-dr/replication"
)

// wiring is what connects the region to its peer and to DNS.
type wiring struct {
	cfg          *config.Config
	secretArn    pulumi.StringOutput
	secretRepArn pulumi.StringOutput
	failover     *dns.Failover
	alarms       *dns.Alarms
}

// wire creates the cross-region wiring: images replicated to the peer, the
// multi-region secret (owned by the primary), the in-cluster app config,
// this stack's failover record and its alarms.
func wire(ctx *pulumi.Context, cfg *config.Config, prov *providers, reg *region.Region, peer *replication.Peer,
	password pulumi.StringInput, zoneID string,
) (*wiring, error) {
	w := &wiring{cfg: cfg, secretRepArn: pulumi.String("").ToStringOutput()}
	if _, err := replication.NewImageReplication(ctx, componentName+"-images", replication.ImageReplicationArgs{
		Repository: region.RepositoryName,
		RegistryId: reg.RegistryId,
		PeerRegion: cfg.Peer.Region,
	}, prov.regional); err != nil {
		return nil, err
	}

	switch cfg.Role {
	case config.RolePrimary:
		secret, err := replication.NewDatabaseSecret(ctx, componentName+"-db-secret", replication.DatabaseSecretArgs{
			Username:      cfg.Database.Username,
			Password:      password,
			Port:          cfg.Database.Port,
			DbName:        cfg.Database.Name,
			KmsKeyArn:     reg.KmsKeyArn,
			ReplicaRegion: cfg.Peer.Region,
		}, prov.regional)
		if err != nil {
			return nil, err
		}
		w.secretArn, w.secretRepArn = secret.Arn, secret.ReplicaArn
	case config.RoleStandby:
		arn := peer.Get(replication.OutputDbSecretReplica)
		if err := checkArnRegion(arn, cfg.Region); err != nil {
			return nil, fmt.Errorf("peer stack %q output %s: %w", peer.Stack, replication.OutputDbSecretReplica, err)
		}
		w.secretArn = pulumi.String(arn).ToStringOutput()
	}

	if _, err := replication.NewAppConfig(ctx, componentName+"-app", replication.AppConfigArgs{
		Region: cfg.Region,
		Role:   string(cfg.Role),
		DbMode: string(cfg.Database.Mode),
		DbHost: reg.DbAddress,
		DbPort: reg.DbPort,
		Secret: w.secretArn,
		KmsKey: reg.KmsKeyArn,
		Cluster: replication.ClusterAccess{
			Kubeconfig:      reg.Kubeconfig,
			OidcProviderArn: reg.OidcProviderArn,
			OidcProviderUrl: reg.OidcProviderUrl,
		},
	}, prov.regional); err != nil {
		return nil, err
	}

	failoverArgs := dns.FailoverArgs{
		ZoneId:        zoneID,
		Host:          cfg.AppHost,
		TTL:           cfg.DNS.TTL,
		Target:        reg.AlbDnsName,
		SetIdentifier: string(cfg.Role) + "-" + cfg.Region,
		Failover:      dns.Secondary,
	}
	if cfg.Role == config.RolePrimary {
		failoverArgs.Failover = dns.Primary
		failoverArgs.Health = &dns.HealthArgs{
			Path:             cfg.DNS.HealthCheckPath,
			RequestInterval:  cfg.DNS.RequestInterval,
			FailureThreshold: cfg.DNS.FailureThreshold,
			Fenced:           cfg.DNS.Fence,
		}
	}
	failover, err := dns.NewFailover(ctx, componentName+"-dns", failoverArgs, prov.regional)
	if err != nil {
		return nil, err
	}
	w.failover = failover

	alarmArgs := dns.AlarmsArgs{Email: cfg.Alarms.Email, RPOSeconds: int(cfg.Objectives.RPO.Seconds())}
	if cfg.Role == config.RolePrimary {
		alarmArgs.EndpointHealthCheckId = failover.EndpointHealthCheckId
	}
	if cfg.Database.Mode == config.ModeReplica {
		alarmArgs.ReplicaInstanceId = reg.DbInstanceId
	}
	alarms, err := dns.NewAlarms(ctx, componentName+"-alarms", alarmArgs, prov.regional, prov.metrics)
	if err != nil {
		return nil, err
	}
	w.alarms = alarms
	return w, nil
}

// exports is the wiring's part of the runbook's API.
func (w *wiring) exports() pulumi.Map {
	cfg := w.cfg
	out := pulumi.Map{
		"dbSecretArn":  w.secretArn,
		"dbSecretName": pulumi.String(replication.SecretName),
		"failoverRecord": pulumi.Map{
			"name":          pulumi.String(cfg.AppHost),
			"type":          pulumi.String("CNAME"),
			"ttl":           pulumi.Int(cfg.DNS.TTL),
			"setIdentifier": pulumi.String(string(cfg.Role) + "-" + cfg.Region),
			"failover":      pulumi.String(map[bool]string{true: dns.Primary, false: dns.Secondary}[cfg.Role == config.RolePrimary]),
		},
		"alarmTopicArn": w.alarms.TopicArn,
	}
	if cfg.Role == config.RolePrimary {
		out["dbSecretReplicaArn"] = w.secretRepArn
		out["healthCheckId"] = w.failover.GateHealthCheckId
		out["endpointHealthCheckId"] = w.failover.EndpointHealthCheckId
		out["fenced"] = pulumi.Bool(cfg.DNS.Fence)
		out["healthCheckAlarmName"] = w.alarms.HealthCheckAlarmName
		out["healthCheckAlarmTopicArn"] = w.alarms.HealthCheckTopicArn
	}
	if cfg.Database.Mode == config.ModeReplica {
		out["replicaLagAlarmName"] = w.alarms.ReplicaLagAlarmName
	}
	return out
}

// checkArnRegion fails unless arn is in region: the standby must use the
// secret copy in its own region, never reach back to the primary's.
func checkArnRegion(arn, region string) error {
	rep, err := replication.ReplicaSecretArn(arn, region)
	if err != nil {
		return err
	}
	if rep != arn {
		return fmt.Errorf("%s is not in %s (taskflow:region)", arn, region)
	}
	return nil
}
