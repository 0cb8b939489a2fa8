package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/app"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/pg"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/relay"
)

// The stand-in regions' addresses: DNS answers addresses, not ports, so
// each region's endpoint listens on its own loopback address, on one port.
var (
	primaryIP = netip.MustParseAddr("127.0.0.11")
	standbyIP = netip.MustParseAddr("127.0.0.12")
)

// Start brings the lab up in its normal phase: the primary's database
// writing, the standby's replicating it, both endpoints serving, Route 53
// simulated, and the lab stacks' outputs in the local Pulumi backend. On
// error everything already started is torn down.
func Start(ctx context.Context, opts Options) (_ *Lab, err error) {
	if opts.Scale < 1 {
		return nil, errors.New("lab: the time scale factor must be at least 1")
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if err := opts.loadStackConfigs(); err != nil {
		return nil, err
	}
	l := &Lab{opts: opts, regions: map[string]*region{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Close())
		}
	}()
	l.onShutdown(func() error { return os.RemoveAll(opts.Dir) })
	// 0755: the postgres user must be able to reach its data directories.
	if err := os.MkdirAll(filepath.Join(opts.Dir, "pg"), 0o755); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}

	if l.appPort, err = sharedFreePort(primaryIP, standbyIP); err != nil {
		return nil, err
	}
	writer, err := l.startDatabase(ctx, "primary", nil)
	if err != nil {
		return nil, err
	}
	if err := writer.Exec(ctx, app.Schema); err != nil {
		return nil, fmt.Errorf("lab: create the app's table: %w", err)
	}
	replica, err := l.startReplica(ctx, "standby", writer)
	if err != nil {
		return nil, err
	}
	for _, spec := range []struct {
		stack string
		ip    netip.Addr
		db    *pg.Cluster
	}{{"primary", primaryIP, writer}, {"standby", standbyIP, replica}} {
		cfg := opts.stacks[spec.stack]
		r := &region{stack: spec.stack, name: cfg.Region, ip: spec.ip, db: spec.db, dbGen: 1, protected: true,
			replicas: 3, albName: spec.stack + "-alb." + cfg.Region + ".lab.test"}
		if r.app, err = l.startApp(r); err != nil {
			return nil, err
		}
		r.asg = opts.nodeSizes(spec.stack, string(cfg.Cluster.Scale))
		l.regions[spec.stack] = r
	}

	dnsCfg := opts.stacks["primary"]
	l.sim, err = startLegacySim(legacySimConfig{
		Host:             dnsCfg.AppHost,
		PrimaryIP:        primaryIP,
		StandbyIP:        standbyIP,
		CheckURL:         fmt.Sprintf("http://%s%s", netip.AddrPortFrom(primaryIP, uint16(l.appPort)), dnsCfg.DNS.HealthCheckPath),
		Interval:         opts.scaled(durationSeconds(dnsCfg.DNS.RequestInterval)),
		FailureThreshold: dnsCfg.DNS.FailureThreshold,
		TTL:              opts.scaled(durationSeconds(dnsCfg.DNS.TTL)),
	}, "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lab: DNS simulator: %w", err)
	}
	l.onShutdown(l.sim.Close)

	if err := l.startControl(); err != nil {
		return nil, err
	}
	if l.stacks, err = newPulumiStacks(ctx, opts.PulumiBin, filepath.Join(opts.Dir, "pulumi"), opts.RepoDir); err != nil {
		return nil, err
	}
	for stack, r := range l.regions {
		sc, err := l.stacks.config(ctx, stack)
		if err != nil {
			return nil, err
		}
		if err := l.stacks.setOutputs(ctx, stack, l.outputsFor(r, sc)); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *Lab) startDatabase(ctx context.Context, stack string, source *pg.Cluster) (*pg.Cluster, error) {
	port, err := pg.FreePort()
	if err != nil {
		return nil, fmt.Errorf("lab: port for the %s database: %w", stack, err)
	}
	root := filepath.Join(l.opts.Dir, "pg")
	var c *pg.Cluster
	if source == nil {
		c, err = pg.NewWriter(ctx, root, stack, port)
	} else {
		c, err = pg.NewReplica(ctx, root, stack, port, source)
	}
	if err != nil {
		return nil, fmt.Errorf("lab: %s database: %w", stack, err)
	}
	l.onShutdown(c.Close)
	return c, nil
}

// startReplica starts the standby's replica, through a latency relay when
// the lab simulates cross-region replication lag.
func (l *Lab) startReplica(ctx context.Context, stack string, source *pg.Cluster) (*pg.Cluster, error) {
	if l.opts.ReplicationDelay <= 0 {
		return l.startDatabase(ctx, stack, source)
	}
	link, err := relay.Start(fmt.Sprintf("127.0.0.1:%d", source.Port), l.opts.ReplicationDelay)
	if err != nil {
		return nil, err
	}
	l.onShutdown(link.Close)
	l.relay = link
	port, err := pg.FreePort()
	if err != nil {
		return nil, fmt.Errorf("lab: port for the %s database: %w", stack, err)
	}
	c, err := pg.NewReplicaVia(ctx, filepath.Join(l.opts.Dir, "pg"), stack, port, source, link.Addr())
	if err != nil {
		return nil, fmt.Errorf("lab: %s database: %w", stack, err)
	}
	l.onShutdown(c.Close)
	return c, nil
}

// startApp starts (or restarts, after the outage) a region's endpoint.
func (l *Lab) startApp(r *region) (*app.Endpoint, error) {
	ep, err := app.Start(app.Config{
		Region: r.name,
		Listen: netip.AddrPortFrom(r.ip, uint16(l.appPort)).String(),
		DSN:    r.db.DSN("postgres"),
	})
	if err != nil {
		return nil, fmt.Errorf("lab: %s endpoint: %w", r.name, err)
	}
	ep.SetReplicas(r.replicas)
	l.onShutdown(ep.Close)
	return ep, nil
}

// sharedFreePort finds a port free on every address.
func sharedFreePort(addrs ...netip.Addr) (int, error) {
	for range 50 {
		port, err := pg.FreePort()
		if err != nil {
			return 0, err
		}
		free := true
		for _, a := range addrs {
			ln, err := net.Listen("tcp", net.JoinHostPort(a.String(), strconv.Itoa(port)))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return port, nil
		}
	}
	return 0, errors.New("lab: no port free on every regional address")
}
