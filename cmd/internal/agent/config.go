// Package agent is the DR agent (cmd/dr-agent): one per region, it finds
// its database's role from the database itself, writes a heartbeat every
// interval while that database is the writer and measures the replication
// delay from the newest replayed heartbeat while it is a replica, and
// publishes both to CloudWatch and on HTTP (cmd/dr-agent/README.md). The heartbeat
// itself is package heartbeat's, shared with the game-day tool.
package agent

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/heartbeat"
)

// Environment variables (cmd/dr-agent/README.md).
const (
	EnvDBHost      = "DR_DB_HOST"
	EnvDBPort      = "DR_DB_PORT"
	EnvDBName      = "DR_DB_NAME"
	EnvSecretARN   = "DR_DB_SECRET_ARN"
	EnvDSN         = "DR_DB_DSN"
	EnvRegion      = "DR_REGION"
	EnvPeerRegion  = "DR_PEER_REGION"
	EnvCluster     = "DR_CLUSTER"
	EnvPeerCluster = "DR_PEER_CLUSTER"
	EnvInterval    = "DR_HEARTBEAT_INTERVAL"
	EnvRetention   = "DR_RETENTION"
	EnvListen      = "DR_LISTEN"
	EnvMetrics     = "DR_METRICS"
)

// Metrics destinations.
const (
	MetricsCloudWatch = "cloudwatch"
	MetricsOff        = "off"
)

// MinRetention keeps at least this much history: the replica reads only the
// newest row, but a failover's RPO is read from the rows that replicated.
const MinRetention = time.Minute

// Config is the agent's configuration, from the environment.
type Config struct {
	// DSN, for tests and the lab, overrides the four DB settings below.
	DSN string
	// DBHost, DBPort, DBName come from the region's ConfigMap; the user and
	// password from the region's copy of the secret taskflow/db.
	DBHost    string
	DBPort    uint16
	DBName    string
	SecretARN string

	Region, PeerRegion   string
	Cluster, PeerCluster string

	Interval  time.Duration
	Retention time.Duration
	Listen    string
	Metrics   string
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in
// production) and reports every problem at once, naming the variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		DSN:         getenv(EnvDSN),
		DBHost:      getenv(EnvDBHost),
		DBName:      getenv(EnvDBName),
		SecretARN:   getenv(EnvSecretARN),
		Region:      getenv(EnvRegion),
		PeerRegion:  getenv(EnvPeerRegion),
		Cluster:     getenv(EnvCluster),
		PeerCluster: getenv(EnvPeerCluster),
		Listen:      orDefault(getenv(EnvListen), ":8080"),
		Metrics:     orDefault(getenv(EnvMetrics), MetricsCloudWatch),
	}
	var errs []error
	var err error
	if c.Interval, err = duration(getenv, EnvInterval, time.Second); err != nil {
		errs = append(errs, err)
	}
	if c.Retention, err = duration(getenv, EnvRetention, 24*time.Hour); err != nil {
		errs = append(errs, err)
	}
	if c.DSN == "" {
		for name, v := range map[string]string{EnvDBHost: c.DBHost, EnvDBName: c.DBName, EnvSecretARN: c.SecretARN, EnvDBPort: getenv(EnvDBPort)} {
			if v == "" {
				errs = append(errs, fmt.Errorf("%s is required unless %s is set", name, EnvDSN))
			}
		}
		if p := getenv(EnvDBPort); p != "" {
			port, perr := strconv.ParseUint(p, 10, 16)
			if perr != nil || port == 0 {
				errs = append(errs, fmt.Errorf("%s=%q is not a TCP port", EnvDBPort, p))
			}
			c.DBPort = uint16(port)
		}
	}
	for name, v := range map[string]string{EnvRegion: c.Region, EnvPeerRegion: c.PeerRegion, EnvCluster: c.Cluster, EnvPeerCluster: c.PeerCluster} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", name))
		}
	}
	if c.Region != "" && c.Region == c.PeerRegion {
		errs = append(errs, fmt.Errorf("%s and %s are both %q: the acknowledged heartbeat must outlive the writer's region", EnvRegion, EnvPeerRegion, c.Region))
	}
	if c.Interval != 0 && c.Interval < heartbeat.MinInterval {
		errs = append(errs, fmt.Errorf("%s=%v is below the minimum %v", EnvInterval, c.Interval, heartbeat.MinInterval))
	}
	if c.Retention != 0 && c.Retention < MinRetention {
		errs = append(errs, fmt.Errorf("%s=%v is below the minimum %v", EnvRetention, c.Retention, MinRetention))
	}
	if c.Metrics != MetricsCloudWatch && c.Metrics != MetricsOff {
		errs = append(errs, fmt.Errorf("%s=%q: want %q or %q", EnvMetrics, c.Metrics, MetricsCloudWatch, MetricsOff))
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return Config{}, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// DBEndpoint names the database for logs: host:port/name, never a password.
func (c Config) DBEndpoint() string {
	if c.DSN != "" {
		return heartbeat.RedactDSN(c.DSN)
	}
	return fmt.Sprintf("%s:%d/%s", c.DBHost, c.DBPort, c.DBName)
}

func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q is not a positive duration (e.g. 1s, 500ms, 24h)", name, v)
	}
	return d, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// sortErrors orders messages so the same bad environment always gives the
// same message (the checks above range over maps).
func sortErrors(errs []error) {
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
}
