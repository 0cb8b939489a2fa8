package config

import "time"

// defaults returns the configuration a stack starts from before its own
// values are read. Role- and region-dependent defaults are filled in by
// fillDerivedDefaults once role and region are known.
func defaults() Config {
	return Config{
		Network: Network{NATGateways: NATPerAZ},
		Cluster: Cluster{
			Version:               "1.31",
			InstanceType:          "m6i.large",
			MinSize:               3,
			DesiredSize:           3,
			MaxSize:               6,
			Scale:                 ScaleNormal,
			EndpointPublicAccess:  true,
			EndpointPrivateAccess: true,
			NodePort:              30080,
		},
		Database: Database{
			EngineVersion:       "16.8",
			AllocatedStorage:    100,
			MaxAllocatedStorage: 500,
			BackupRetentionDays: 7,
			Name:                "taskflow",
			Username:            "taskflow_admin",
			Port:                5432,
		},
		DNS: DNS{
			TTL:              60,
			HealthCheckPath:  "/healthz",
			RequestInterval:  10,
			FailureThreshold: 3,
		},
		Objectives: Objectives{
			RTO:                 Duration{15 * time.Minute},
			RPO:                 Duration{10 * time.Second},
			PromotionEstimate:   Duration{5 * time.Minute},
			AppRecoveryEstimate: Duration{3 * time.Minute},
		},
	}
}

// fillDerivedDefaults sets the defaults that depend on other keys. It runs
// after the scalar keys are read and before the structured ones, so an
// explicit value always wins.
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

// fillFailoverSizes defaults the failover node-group sizes to the normal
// ones: a primary scales no differently on failover.
func fillFailoverSizes(c *Cluster) {
	if c.FailoverMinSize == 0 {
		c.FailoverMinSize = c.MinSize
	}
	if c.FailoverDesiredSize == 0 {
		c.FailoverDesiredSize = c.DesiredSize
	}
	if c.FailoverMaxSize == 0 {
		c.FailoverMaxSize = max(c.MaxSize, c.FailoverDesiredSize)
	}
}
