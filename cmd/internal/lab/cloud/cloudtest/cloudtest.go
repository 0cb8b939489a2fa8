// Package cloudtest starts a lab cloud for tests: two regions on loopback
// with the §7 RPC, the AWS wire endpoint and the DNS server, and can seed
// it with the DR topology the program creates, through the cloud's own
// operations.
//
//	lab := cloudtest.Start(t, cloudtest.Config{})
//	client := rpc.New(lab.RPC)         // what a provider plugin does
//	env := lab.AWSEnv()                // what the aws wrapper needs
package cloudtest

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/awsapi"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/rpc"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/dnssim"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
)

// The lab's regions (runbooks/dr-design.md §5).
const (
	Primary = "eu-west-1"
	Standby = "eu-central-1"
)

// Config configures a test lab. Zero values: both regions, scale 100
// (AWS's minutes are seconds), the sourced timings.
type Config struct {
	Regions       []string
	Scale         int
	Timings       cloud.Timings
	ResolveTarget func(host string) (netip.AddrPort, bool)
}

// Lab is a running test cloud.
type Lab struct {
	Cloud *cloud.Cloud
	RPC   string // http://127.0.0.1:port, for rpc.New and $DRLAB_CLOUD
	AWS   string // http://127.0.0.1:port, the aws wrapper's --endpoint-url
	DNS   string // 127.0.0.1:port (UDP)
	Dir   string
}

// Start starts a lab cloud; the test's cleanup stops it and removes its
// files.
func Start(t testing.TB, cfg Config) *Lab {
	t.Helper()
	if len(cfg.Regions) == 0 {
		cfg.Regions = []string{Primary, Standby}
	}
	if cfg.Scale == 0 {
		cfg.Scale = 100
	}
	dir, err := pg.TempRoot("cloudtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c, err := cloud.New(cloud.Options{Regions: cfg.Regions, Scale: cfg.Scale, Timings: cfg.Timings, Dir: dir,
		ResolveTarget: cfg.ResolveTarget, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close the lab cloud: %v", err)
		}
	})
	lab := &Lab{Cloud: c, Dir: dir}
	lab.RPC = serve(t, rpc.Handler(c))
	lab.AWS = serve(t, awsapi.Handler(c))
	dns, err := dnssim.Serve(c, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dns.Close() })
	lab.DNS = dns.Addr()
	return lab
}

func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}
