package main

import (
	"fmt"
	"path"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/alarms"
	"github.com/taskflow/taskflow-dr/config"
	"github.com/taskflow/taskflow-dr/dashboards"
	"github.com/taskflow/taskflow-dr/dns"
	"github.com/taskflow/taskflow-dr/incluster"
	"github.com/taskflow/taskflow-dr/outputs"
	"github.com/taskflow/taskflow-dr/peer"
	"github.com/taskflow/taskflow-dr/region"
	"github.com/taskflow/taskflow-dr/replication"
)

// regional is the region and what was resolved to build it.
type regional struct {
	*region.Region
	zoneID      string
	replicaOf   string // the peer writer's ARN in replica mode
	clusterName string
}

// hostedZone is the public zone of taskflow:domain. The primary looks it
// up; the standby takes the primary's answer from its outputs. The lookup
// is ListHostedZonesByName, a call to Route 53's control plane (in
// us-east-1: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/route-53-concepts.html#route-53-concepts-control-and-data-plane),
// and the standby's `pulumi up` is on the failover's path, which must touch
// no control plane outside the standby region (the lab's call table found
// this one).
func hostedZone(ctx *pulumi.Context, cfg *config.Config, prov *providers, pr *peer.Peer) (string, error) {
	if cfg.Role == config.RoleStandby {
		return pr.Get(outputs.HostedZoneID), nil
	}
	return dns.LookupZone(ctx, cfg.Domain, prov.regional)
}

// newRegion stamps the region component with its certificate: the
// database follows the peer's writer in replica mode.
func newRegion(ctx *pulumi.Context, cfg *config.Config, prov *providers, pr *peer.Peer) (*regional, error) {
	zoneID, err := hostedZone(ctx, cfg, prov, pr)
	if err != nil {
		return nil, err
	}
	cert, err := dns.NewCertificate(ctx, componentName+"-app", &dns.CertificateArgs{
		Host: cfg.AppHost, ZoneId: zoneID, OwnsValidationRecord: cfg.Role == config.RolePrimary,
	}, pulumi.Provider(prov.regional))
	if err != nil {
		return nil, err
	}
	r := &regional{zoneID: zoneID, clusterName: cfg.Project + "-" + cfg.Stack}
	db := region.DatabaseArgs{Database: cfg.Database, InstanceClass: pulumi.String(cfg.Database.InstanceClass), OwnsCredentials: cfg.Role == config.RolePrimary}
	if cfg.Database.Mode == config.ModeReplica {
		if r.replicaOf, err = pr.WriterArn(); err != nil {
			return nil, err
		}
		db.ReplicateSourceArn = pulumi.String(r.replicaOf)
		if cfg.Database.InstanceClass == "" {
			db.InstanceClass = pulumi.String(pr.Get(outputs.DbInstanceClass))
		}
	}
	r.Region, err = region.New(ctx, componentName, &region.Args{
		Role: cfg.Role, Region: cfg.Region, Account: prov.account, Partition: prov.partition,
		ClusterName: r.clusterName, Network: cfg.Network, Cluster: cfg.Cluster, Access: cfg.Access, Logs: cfg.Logs,
		Database: db, OwnsRepositories: cfg.Role == config.RolePrimary,
		HealthCheckPath: cfg.DNS.HealthCheckPath, CertificateArn: cert.Arn,
	}, pulumi.Providers(prov.regional, prov.eks, prov.random))
	if err != nil {
		return nil, err
	}
	return r, nil
}

// wiring is what connects the region to its peer, to DNS and to its
// cluster's contents.
type wiring struct {
	cfg       *config.Config
	reg       *regional
	secretArn pulumi.StringOutput
	secretRep pulumi.StringOutput
	failover  *dns.Failover
	fence     fenceSignal
	alarms    *alarms.Alarms
	agent     *incluster.Agent
	gitops    *incluster.GitOps
	dashboard *dashboards.CloudWatch
}

// fenceSignal is the fence as the runbook sees it: made by the primary
// (dns.Fence), exported by the standby, whose region it lives in.
type fenceSignal struct {
	alarmName, healthCheckID pulumi.StringOutput
}

// wire creates everything that connects regions: images, the database
// secret, DNS failover and its fence, alarms, the in-cluster pieces and
// the dashboard.
func wire(ctx *pulumi.Context, cfg *config.Config, prov *providers, reg *regional, pr *peer.Peer) (*wiring, error) {
	w := &wiring{cfg: cfg, reg: reg}
	regionalOpt := pulumi.Provider(prov.regional)
	primary := cfg.Role == config.RolePrimary
	primaryStack := cfg.Stack
	if !primary {
		primaryStack = path.Base(cfg.Peer.Stack)
	}
	fenceAlarm := "taskflow-dr-fence-" + primaryStack

	images := &replication.ImageReplicationArgs{RegistryId: reg.RegistryId, PeerRegion: cfg.Peer.Region}
	if primary {
		images.Template = &replication.TemplateArgs{PeerProvider: prov.peer, RoleName: reg.clusterName + "-ecr-template"}
	}
	if _, err := replication.NewImageReplication(ctx, componentName+"-images", images, regionalOpt); err != nil {
		return nil, err
	}

	if err := w.secret(ctx, pr, regionalOpt); err != nil {
		return nil, err
	}

	health, err := w.health(ctx, prov, fenceAlarm, primaryStack)
	if err != nil {
		return nil, err
	}
	if !primary {
		w.fence = fenceSignal{alarmName: pulumi.String(fenceAlarm).ToStringOutput(), healthCheckID: pulumi.String(pr.Get(outputs.FenceHealthCheckID)).ToStringOutput()}
	}
	failover, err := dns.NewFailover(ctx, componentName+"-dns", &dns.FailoverArgs{
		ZoneId: reg.zoneID, Host: cfg.AppHost, TTL: cfg.DNS.TTL, Target: reg.AlbDnsName,
		SetIdentifier: string(cfg.Role) + "-" + cfg.Region,
		Failover:      map[bool]string{true: dns.Primary, false: dns.Secondary}[primary],
		Health:        health,
	}, regionalOpt)
	if err != nil {
		return nil, err
	}
	w.failover = failover

	alarmArgs := &alarms.Args{Email: cfg.Alarms.Email, KmsKeyArn: reg.KmsKeyArn, Account: prov.account, Partition: prov.partition}
	if primary {
		alarmArgs.Health = &alarms.HealthArgs{EndpointHealthCheckId: failover.EndpointHealthCheckId, Provider: prov.metrics}
	}
	if cfg.Database.Mode == config.ModeReplica {
		alarmArgs.ReplicaDelay = &alarms.ReplicaDelayArgs{Cluster: reg.clusterName, RPOSeconds: int(cfg.Objectives.RPO.Seconds())}
	}
	if w.alarms, err = alarms.New(ctx, componentName+"-alarms", alarmArgs, regionalOpt); err != nil {
		return nil, err
	}

	if err := w.inCluster(ctx, prov); err != nil {
		return nil, err
	}
	return w, w.dashboards(ctx, prov, pr, fenceAlarm)
}

// secret is the multi-region database secret: owned by the primary, which
// keeps the credentials in every phase; the standby uses its own region's
// copy, never the primary's.
func (w *wiring) secret(ctx *pulumi.Context, pr *peer.Peer, opt pulumi.ResourceOption) error {
	cfg := w.cfg
	w.secretRep = pulumi.String("").ToStringOutput()
	if cfg.Role == config.RoleStandby {
		arn, err := pr.ArnInRegion(outputs.DbSecretReplicaArn, cfg.Region)
		if err != nil {
			return err
		}
		w.secretArn = pulumi.String(arn).ToStringOutput()
		return nil
	}
	secret, err := replication.NewDatabaseSecret(ctx, componentName+"-db-secret", &replication.DatabaseSecretArgs{
		Username: cfg.Database.Username, Password: w.reg.DbMasterPassword, Port: cfg.Database.Port,
		DbName: cfg.Database.Name, KmsKeyArn: w.reg.KmsKeyArn, ReplicaRegion: cfg.Peer.Region,
	}, opt)
	if err != nil {
		return err
	}
	w.secretArn, w.secretRep = secret.Arn, secret.ReplicaArn
	return nil
}

// health is the PRIMARY record's health: the endpoint probe and the fence
// (which the primary creates in the standby region), behind the gate. The
// standby's record has none.
func (w *wiring) health(ctx *pulumi.Context, prov *providers, fenceAlarm, primaryStack string) (*dns.HealthArgs, error) {
	cfg := w.cfg
	if cfg.Role != config.RolePrimary {
		return nil, nil
	}
	fence, err := dns.NewFence(ctx, componentName+"-fence", &dns.FenceArgs{
		FencedStack: primaryStack, Region: cfg.Peer.Region, AlarmName: fenceAlarm,
	}, pulumi.Provider(prov.peer))
	if err != nil {
		return nil, err
	}
	w.fence = fenceSignal{alarmName: fence.AlarmName, healthCheckID: fence.HealthCheckId}
	return &dns.HealthArgs{
		Path: cfg.DNS.HealthCheckPath, RequestInterval: cfg.DNS.RequestInterval, FailureThreshold: cfg.DNS.FailureThreshold,
		Fence: fence.HealthCheckId, ControlPlaneFence: cfg.DNS.Fence,
	}, nil
}

// inCluster creates the app config, the DR agent and GitOps through the
// region's Kubernetes provider.
func (w *wiring) inCluster(ctx *pulumi.Context, prov *providers) error {
	cfg, reg := w.cfg, w.reg
	k8s, err := kubernetesProvider(ctx, reg.Kubeconfig)
	if err != nil {
		return err
	}
	opts := pulumi.Providers(prov.regional, k8s)
	access := incluster.ClusterAccess{OidcProviderArn: reg.OidcProviderArn, OidcProviderUrl: reg.OidcProviderUrl}
	app, err := incluster.NewAppConfig(ctx, componentName+"-app", &incluster.AppConfigArgs{
		Region: cfg.Region, Role: string(cfg.Role), DbMode: string(cfg.Database.Mode),
		DbHost: reg.DbAddress, DbPort: reg.DbPort, DbName: cfg.Database.Name,
		Secret: w.secretArn, KmsKey: reg.KmsKeyArn, Cluster: access,
	}, opts)
	if err != nil {
		return err
	}
	peerCluster := cfg.Project + "-" + path.Base(cfg.Peer.Stack)
	if w.agent, err = incluster.NewAgent(ctx, componentName+"-agent", &incluster.AgentArgs{
		Region: cfg.Region, PeerRegion: cfg.Peer.Region, Cluster: reg.clusterName, PeerCluster: peerCluster,
		Image:             pulumi.Sprintf("%s:%s", reg.AgentRepositoryUrl, cfg.Agent.ImageTag),
		HeartbeatInterval: cfg.Agent.HeartbeatInterval.String(),
		DbHost:            reg.DbAddress, DbPort: reg.DbPort, DbName: cfg.Database.Name,
		Secret: w.secretArn, KmsKey: reg.KmsKeyArn, ClusterAccess: access,
	}, opts); err != nil {
		return err
	}
	g := cfg.GitOps
	gitopsArgs := &incluster.GitOpsArgs{
		Install: g.Install, ChartVersion: g.ChartVersion, RepoURL: g.RepoURL, Path: g.Path, Revision: g.Revision,
		Region: cfg.Region, Replicas: g.Replicas, FailoverReplicas: g.FailoverReplicas, AppNamespace: app.Namespace,
	}
	if g.RepoCredentialsSecret != "" {
		// This region's copy: the secret is replicated to the peer region
		// like the database secret, so the standby reads its own.
		v := secretsmanager.LookupSecretVersionOutput(ctx, secretsmanager.LookupSecretVersionOutputArgs{
			SecretId: pulumi.String(g.RepoCredentialsSecret),
		}, pulumi.Provider(prov.regional))
		gitopsArgs.RepoCredentials = pulumi.ToSecret(v.SecretString()).(pulumi.StringOutput)
		gitopsArgs.HasCredentials = true
	}
	if w.gitops, err = incluster.NewGitOps(ctx, componentName+"-gitops", gitopsArgs, opts); err != nil {
		return err
	}
	if g.Grafana {
		if _, err := dashboards.NewGrafana(ctx, componentName+"-grafana", &dashboards.GrafanaArgs{
			Namespace: w.agent.Namespace, Cluster: reg.clusterName, Region: cfg.Region, AgentService: incluster.AgentName,
		}, opts); err != nil {
			return err
		}
	}
	return nil
}

// dashboards creates the region's CloudWatch dashboard.
func (w *wiring) dashboards(ctx *pulumi.Context, prov *providers, pr *peer.Peer, fenceAlarm string) error {
	cfg, reg := w.cfg, w.reg
	peerCluster := cfg.Project + "-" + path.Base(cfg.Peer.Stack)
	args := &dashboards.Args{
		Name: reg.clusterName, Stack: cfg.Stack, Account: prov.account,
		Own:          dashboards.Side{Region: cfg.Region, Cluster: reg.clusterName, AlbName: region.AlbName(reg.clusterName), DbInstanceID: region.InstanceIdentifier(reg.clusterName)},
		Peer:         dashboards.Side{Region: cfg.Peer.Region, Cluster: peerCluster, AlbName: region.AlbName(peerCluster), DbInstanceID: region.InstanceIdentifier(peerCluster)},
		AlbArnSuffix: reg.AlbArnSuffix, TargetGroupArnSuffix: reg.TargetGroupArnSuffix,
		FenceAlarmName: fenceAlarm, FenceAlarmRegion: map[bool]string{true: cfg.Peer.Region, false: cfg.Region}[cfg.Role == config.RolePrimary],
		RTOBudget: cfg.RTOBudget().Seconds(), RPOSeconds: int(cfg.Objectives.RPO.Seconds()),
	}
	if cfg.Role == config.RoleStandby {
		args.GateHealthCheckID, args.EndpointHealthCheckID = pulumi.String(pr.Get(outputs.HealthCheckID)), pulumi.String(pr.Get(outputs.EndpointHealthCheckID))
	} else {
		args.GateHealthCheckID, args.EndpointHealthCheckID = w.failover.GateHealthCheckId, w.failover.EndpointHealthCheckId
	}
	d, err := dashboards.NewCloudWatch(ctx, componentName+"-dashboard", args, pulumi.Provider(prov.regional))
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	w.dashboard = d
	return nil
}

// exports is the runbook's API, in the names of outputs.Table; each value
// comes from the component that made the resource.
func (w *wiring) exports() map[string]pulumi.Input {
	cfg, reg := w.cfg, w.reg
	minSize, desired, maxSize := cfg.Cluster.Sizes()
	budget := pulumi.Map{}
	for k, v := range cfg.RTOBudget().Seconds() {
		budget[k] = pulumi.Int(v)
	}
	out := map[string]pulumi.Input{
		outputs.Region:          pulumi.String(cfg.Region),
		outputs.Role:            pulumi.String(string(cfg.Role)),
		outputs.PeerStack:       pulumi.String(cfg.Peer.Stack),
		outputs.PeerRegion:      pulumi.String(cfg.Peer.Region),
		outputs.VpcID:           reg.VpcId,
		outputs.ClusterName:     reg.ClusterName,
		outputs.Kubeconfig:      reg.Kubeconfig,
		outputs.OperatorRoleArn: pulumi.String(cfg.Access.OperatorRoleArns[0]),
		outputs.NodeGroup: pulumi.Map{
			"name": reg.NodeGroupName, "urn": reg.NodeGroupUrn,
			"minSize": pulumi.Int(minSize), "desiredSize": pulumi.Int(desired), "maxSize": pulumi.Int(maxSize),
			"failoverMinSize":     pulumi.Int(cfg.Cluster.FailoverMinSize),
			"failoverDesiredSize": pulumi.Int(cfg.Cluster.FailoverDesiredSize),
			"failoverMaxSize":     pulumi.Int(cfg.Cluster.FailoverMaxSize),
			"scale":               pulumi.String(string(cfg.Cluster.Scale)),
		},
		outputs.DbMode:                 pulumi.String(string(cfg.Database.Mode)),
		outputs.DbInstanceID:           reg.DbInstanceId,
		outputs.DbInstanceArn:          reg.DbInstanceArn,
		outputs.DbInstanceUrn:          reg.DbInstanceUrn,
		outputs.DbInstanceClass:        reg.DbInstanceClass,
		outputs.DbEndpoint:             reg.DbEndpoint,
		outputs.DbAddress:              reg.DbAddress,
		outputs.DbPort:                 reg.DbPort,
		outputs.DbReplicationSourceArn: reg.DbReplicationSource,
		outputs.DbBackupRetentionDays:  pulumi.Int(cfg.Database.BackupRetentionDays),
		outputs.DbBackupWindow:         pulumi.String(cfg.Database.BackupWindow),
		outputs.KmsKeyArn:              reg.KmsKeyArn,
		outputs.EcrRepositoryURL:       reg.RepositoryUrl,
		outputs.EcrRepositoryName:      reg.RepositoryName,
		outputs.AlbDNSName:             reg.AlbDnsName,
		outputs.AlbZoneID:              reg.AlbZoneId,
		outputs.HostedZoneID:           pulumi.String(reg.zoneID),
		outputs.AppHost:                pulumi.String(cfg.AppHost),
		outputs.AppURL:                 pulumi.Sprintf("https://%s", cfg.AppHost),
		outputs.DbSecretArn:            w.secretArn,
		outputs.DbSecretName:           pulumi.String(replication.SecretName),
		outputs.FailoverRecord: pulumi.Map{
			"name": w.failover.RecordName, "type": w.failover.RecordType, "ttl": w.failover.RecordTTL,
			"setIdentifier": w.failover.RecordSetIdentifier, "failover": w.failover.RecordFailover,
		},
		outputs.AlarmTopicArn: w.alarms.TopicArn,
		outputs.DrAgent: pulumi.Map{
			"namespace": w.agent.Namespace, "service": w.agent.Service, "port": pulumi.String(incluster.AgentPortName),
			"statusPath": w.agent.StatusPath, "metricNamespace": pulumi.String(incluster.AgentMetricNamespace),
		},
		outputs.GitOps: pulumi.Map{
			"argocdNamespace": w.gitops.ArgoCDNamespace, "application": w.gitops.Application,
			"appNamespace": w.gitops.AppNamespace, "deployment": w.gitops.Deployment,
			"replicas": w.gitops.Replicas, "failoverReplicas": w.gitops.FailoverReplicas,
		},
		outputs.DashboardName:       w.dashboard.DashboardName,
		outputs.DashboardURL:        w.dashboard.DashboardURL,
		outputs.RTOBudget:           budget,
		outputs.RPOObjectiveSeconds: pulumi.Int(int(cfg.Objectives.RPO.Seconds())),
	}
	if cfg.Role == config.RolePrimary {
		out[outputs.DbSecretReplicaArn] = w.secretRep
		out[outputs.HealthCheckID] = w.failover.GateHealthCheckId
		out[outputs.EndpointHealthCheckID] = w.failover.EndpointHealthCheckId
		out[outputs.FenceHealthCheckID] = w.failover.FenceHealthCheckId
		out[outputs.Fenced] = pulumi.Bool(cfg.DNS.Fence)
		out[outputs.HealthCheckAlarmName] = w.alarms.HealthCheckAlarmName
		out[outputs.HealthCheckAlarmTopic] = w.alarms.HealthCheckTopicArn
	} else {
		out[outputs.FenceSignal] = pulumi.Map{
			"region": pulumi.String(cfg.Region), "namespace": pulumi.String(dns.FenceNamespace),
			"metricName": pulumi.String(dns.FenceMetricName), "dimensionName": pulumi.String(dns.FenceDimensionName),
			"dimensionValue": pulumi.String(path.Base(cfg.Peer.Stack)),
			"alarmName":      w.fence.alarmName, "healthCheckId": w.fence.healthCheckID,
		}
	}
	if cfg.Database.Mode == config.ModeReplica {
		out[outputs.ReplicaLagAlarmName] = w.alarms.ReplicaLagAlarmName
	}
	return out
}
