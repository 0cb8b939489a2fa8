package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"

	"github.com/taskflow/taskflow-dr/cmd/internal/heartbeat"
)

// appName is the agent's application_name in pg_stat_activity.
const appName = "dr-agent"

// SecretReader is what the agent needs of Secrets Manager
// (*secretsmanager.Client has it).
type SecretReader interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// dbSecret is the part of the secret taskflow/db the agent uses (its port
// and dbname are the ConfigMap's business, DR_DB_PORT and DR_DB_NAME).
type dbSecret struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// connector opens a connection to the region's database: from DR_DB_DSN, or
// from the ConfigMap's endpoint with the user and password of the region's
// secret copy. The secret is read on every connection attempt, so a rotated
// password is picked up by the next reconnect; it is never logged.
type connector struct {
	cfg     Config
	secrets SecretReader
	timeout time.Duration
}

func (c connector) connect(ctx context.Context) (*pgx.Conn, error) {
	if c.cfg.DSN != "" {
		return heartbeat.Connect(ctx, c.cfg.DSN, c.timeout, appName)
	}
	pcfg, err := c.configFromSecret(ctx)
	if err != nil {
		return nil, err
	}
	return heartbeat.ConnectConfig(ctx, pcfg, c.timeout, appName)
}

func (c connector) configFromSecret(ctx context.Context) (*pgx.ConnConfig, error) {
	if c.secrets == nil {
		return nil, errors.New("no Secrets Manager client")
	}
	// GetSecretValue in the agent's own region, on the region's copy:
	// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
	out, err := c.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.cfg.SecretARN)})
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", c.cfg.SecretARN, err)
	}
	var s dbSecret
	if out.SecretString == nil || json.Unmarshal([]byte(*out.SecretString), &s) != nil || s.Username == "" || s.Password == "" {
		// Never echo the secret's text, not even in a JSON error.
		return nil, fmt.Errorf("secret %s is not JSON with username and password", c.cfg.SecretARN)
	}
	// RDS for PostgreSQL 15 forces TLS by default (rds.force_ssl=1), so
	// require it. The server certificate is not verified: the image carries
	// no RDS CA bundle, and the endpoint is private to the VPC.
	// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html
	pcfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=%s sslmode=require",
		quoteValue(c.cfg.DBHost), c.cfg.DBPort, quoteValue(c.cfg.DBName)))
	if err != nil {
		return nil, fmt.Errorf("database endpoint %s: %w", c.cfg.DBEndpoint(), err)
	}
	pcfg.User, pcfg.Password = s.Username, s.Password
	return pcfg, nil
}

// quoteValue quotes a libpq keyword/value connection string value.
// https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING
func quoteValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
