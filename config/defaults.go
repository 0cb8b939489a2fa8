package config

import "time"

// Shipped versions. Both must be ones AWS creates on the day of a preview:
// see versions.go for the calendars they are checked against.
const (
	// DefaultKubernetesVersion is in EKS standard support until 2027-03-27
	// (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).
	DefaultKubernetesVersion = "1.35"
	// DefaultPostgresMajor is pinned by major only: RDS upgrades minors
	// itself and the provider accepts a prefix of the running version.
	DefaultPostgresMajor = "17"
	// DefaultArgoCDChart is the argo-cd Helm chart (Argo CD v3.4.4):
	// argoproj/argo-helm@argo-cd-10.1.1:charts/argo-cd/Chart.yaml:6.
	DefaultArgoCDChart = "10.1.1"
)

// defaults returns the configuration a stack starts from before its own
// values are read. Role- and region-dependent defaults are filled in by
// fillDerivedDefaults once role and region are known.
func defaults() Config {
	return Config{
		Network: Network{NATGateways: NATPerAZ},
		Cluster: Cluster{
			Version:               DefaultKubernetesVersion,
			InstanceType:          "m6i.large",
			AMIType:               "AL2023_x86_64_STANDARD",
			RootVolumeSize:        50,
			MinSize:               3,
			DesiredSize:           3,
			MaxSize:               6,
			Scale:                 ScaleNormal,
			EndpointPublicAccess:  false,
			EndpointPrivateAccess: true,
			NodePort:              30080,
		},
		Database: Database{
			EngineVersion:           DefaultPostgresMajor,
			AutoMinorVersionUpgrade: true,
			AllocatedStorage:        100,
			MaxAllocatedStorage:     500,
			MultiAZ:                 true,
			ReplicaMultiAZ:          false,
			BackupRetentionDays:     7,
			Name:                    "taskflow",
			Username:                "taskflow_admin",
			Port:                    5432,
			CreateTimeout:           Duration{6 * time.Hour},
			UpdateTimeout:           Duration{6 * time.Hour},
			DeleteTimeout:           Duration{2 * time.Hour},
		},
		DNS: DNS{
			TTL:              60,
			HealthCheckPath:  "/healthz",
			RequestInterval:  10,
			FailureThreshold: 3,
		},
		Logs:  Logs{RetentionDays: 90},
		Agent: Agent{ImageTag: "latest", HeartbeatInterval: Duration{time.Second}},
		GitOps: GitOps{
			Install:          true,
			ChartVersion:     DefaultArgoCDChart,
			Path:             "deploy",
			Revision:         "main",
			Replicas:         3,
			FailoverReplicas: 0, // filled from Replicas
		},
		Objectives: Objectives{
			RTO:                       Duration{15 * time.Minute},
			FullCapacity:              Duration{60 * time.Minute},
			RPO:                       Duration{10 * time.Second},
			DeclarationEstimate:       Duration{5 * time.Minute},
			PromotionEstimate:         Duration{5 * time.Minute},
			AppRecoveryEstimate:       Duration{2 * time.Minute},
			ScaleUpEstimate:           Duration{5 * time.Minute},
			MultiAZConversionEstimate: Duration{30 * time.Minute},
		},
	}
}

// fillDerivedDefaults sets the defaults that depend on the scalar keys. It
// runs after those are read and before the structured ones, so an explicit
// value always wins.
func fillDerivedDefaults(c *Config) {
	if c.AppHost == "" && c.Domain != "" {
		c.AppHost = "app." + c.Domain
	}
	if len(c.Network.AZs) == 0 && c.Region != "" {
		c.Network.AZs = []string{c.Region + "a", c.Region + "b", c.Region + "c"}
	}
	switch c.Role {
	case RolePrimary:
		c.Database.Mode = ModeWriter
	case RoleStandby:
		c.Database.Mode = ModeReplica
	}
	if c.Database.InstanceClass == "" && c.Role == RolePrimary {
		c.Database.InstanceClass = "db.r6g.large"
	}
}

// fillSizes defaults what follows from other keys of the same object: the
// failover node-group sizes from the normal ones (a primary scales no
// differently on failover) and TaskFlow's failover replicas from its normal
// ones.
func fillSizes(c *Config) {
	cl := &c.Cluster
	if cl.FailoverMinSize == 0 {
		cl.FailoverMinSize = cl.MinSize
	}
	if cl.FailoverDesiredSize == 0 {
		cl.FailoverDesiredSize = cl.DesiredSize
	}
	if cl.FailoverMaxSize == 0 {
		cl.FailoverMaxSize = max(cl.MaxSize, cl.FailoverDesiredSize)
	}
	if c.GitOps.FailoverReplicas == 0 {
		c.GitOps.FailoverReplicas = c.GitOps.Replicas
	}
}
