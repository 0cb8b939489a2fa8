package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Exit statuses of dr-agent.
const (
	ExitOK     = 0
	ExitError  = 1
	ExitConfig = 2
)

// Main runs the agent until ctx ends: configuration from getenv, logs to
// stderr, HTTP on DR_LISTEN. AWS clients use the SDK's default chain: IRSA
// (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE) in EKS, static keys and
// AWS_ENDPOINT_URL in the lab.
func Main(ctx context.Context, getenv func(string) string, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		log.Error("dr-agent: bad environment", "error", err)
		return ExitConfig
	}
	deps, err := awsDeps(ctx, cfg)
	if err != nil {
		log.Error("dr-agent: AWS configuration", "error", err)
		return ExitError
	}
	deps.Logger = log
	if deps.Nodes, err = InClusterNodes(getenv); err != nil {
		log.Warn("dr-agent: Ready nodes will not be counted", "error", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		log.Error("dr-agent: listen", "addr", cfg.Listen, "error", err)
		return ExitError
	}
	a := New(cfg, deps)
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("serving /status, /metrics and /healthz", "addr", ln.Addr().String())

	runErr := a.Run(ctx)
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Warn("http shutdown", "error", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("http server", "error", err)
		return ExitError
	}
	if runErr != nil {
		log.Error("dr-agent", "error", runErr)
		return ExitError
	}
	return ExitOK
}

// awsDeps builds the clients the configuration needs: CloudWatch in both
// regions unless DR_METRICS=off, Secrets Manager in the own region unless
// DR_DB_DSN is set. Loading the default configuration does not call AWS;
// credentials are fetched (and refreshed) on first use.
func awsDeps(ctx context.Context, cfg Config) (Deps, error) {
	if cfg.Metrics == MetricsOff && cfg.DSN != "" {
		return Deps{}, nil
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(cfg.Region))
	if err != nil {
		return Deps{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	var deps Deps
	if cfg.DSN == "" {
		deps.Secrets = secretsmanager.NewFromConfig(awsCfg)
	}
	if cfg.Metrics == MetricsCloudWatch {
		deps.Own = cloudwatch.NewFromConfig(awsCfg)
		deps.Peer = cloudwatch.NewFromConfig(awsCfg, func(o *cloudwatch.Options) { o.Region = cfg.PeerRegion })
	}
	return deps, nil
}
