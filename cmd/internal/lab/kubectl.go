package lab

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

const pauseAnnotation = "taskflow.dr/replicas-before-pause"

// kubectl answers the kubectl calls runbooks/bin/dr makes. The cluster is
// the one whose kubeconfig the aws shim's `eks update-kubeconfig` wrote;
// the taskflow deployment is the region's app endpoint.
func (l *Lab) kubectl(_ context.Context, args []string) (string, error) {
	var rest []string
	flags := map[string]string{}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "-n" || a == "-o" || a == "--kubeconfig") && i+1 < len(args):
			flags[strings.TrimLeft(a, "-")] = args[i+1]
			i++
		case strings.HasPrefix(a, "--"):
			k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
			flags[k] = v
		default:
			rest = append(rest, a)
		}
	}
	raw, err := os.ReadFile(flags["kubeconfig"])
	if err != nil {
		return "", fmt.Errorf("drlab kubectl: --kubeconfig FILE written by `aws eks update-kubeconfig` is required: %w", err)
	}
	var awsRegion string
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "# drlab-region: "); ok {
			awsRegion = strings.TrimSpace(v)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.reachable(awsRegion); err != nil {
		return "", fmt.Errorf("Unable to connect to the server: the lab's %s is down", awsRegion)
	}
	r, _ := l.byRegion(awsRegion)
	verb := strings.Join(rest, " ")
	switch {
	case verb == "get nodes":
		var b strings.Builder
		for i := range r.asg[1] {
			fmt.Fprintf(&b, "lab-%s-node-%d   Ready    <none>   1d    v1.31.0\n", r.stack, i+1)
		}
		return b.String(), nil
	case verb == "wait nodes" && flags["for"] == "condition=Ready":
		return "", nil
	case verb == "get deployment/taskflow":
		switch flags["o"] {
		case "jsonpath={.spec.replicas}", "jsonpath={.status.replicas}":
			return strconv.Itoa(r.replicas), nil
		case `jsonpath={.metadata.annotations.taskflow\.dr/replicas-before-pause}`:
			return r.annotation, nil
		}
	case strings.HasPrefix(verb, "annotate deployment/taskflow "):
		arg := strings.TrimPrefix(verb, "annotate deployment/taskflow ")
		switch {
		case arg == pauseAnnotation+"-":
			r.annotation = ""
			return "deployment.apps/taskflow annotated\n", nil
		case strings.HasPrefix(arg, pauseAnnotation+"="):
			r.annotation = strings.TrimPrefix(arg, pauseAnnotation+"=")
			return "deployment.apps/taskflow annotated\n", nil
		}
	case verb == "scale deployment/taskflow":
		n, err := strconv.Atoi(flags["replicas"])
		if err != nil || n < 0 {
			return "", fmt.Errorf("drlab kubectl: --replicas must be a number, got %q", flags["replicas"])
		}
		r.replicas = n
		r.app.SetReplicas(n)
		l.opts.Logf("lab: %s taskflow scaled to %d", r.name, n)
		return "deployment.apps/taskflow scaled\n", nil
	case verb == "rollout status deployment/taskflow":
		if r.replicas == 0 {
			return "", fmt.Errorf("error: deployment \"taskflow\" has 0 replicas")
		}
		return "deployment \"taskflow\" successfully rolled out\n", nil
	}
	return "", fmt.Errorf("drlab kubectl: the lab does not answer: kubectl %s", strings.Join(args, " "))
}

// getent answers `getent ahostsv4 NAME` from the lab's DNS simulator (the
// app host) or the lab's load balancers.
func (l *Lab) getent(ctx context.Context, args []string) (string, error) {
	if len(args) != 2 || args[0] != "ahostsv4" {
		return "", fmt.Errorf("drlab getent: the lab answers only `getent ahostsv4 NAME`")
	}
	ip, err := l.resolve(ctx, args[1])
	if err != nil {
		return "", &codeError{code: 2, msg: ""}
	}
	return fmt.Sprintf("%s       STREAM %s\n%s       DGRAM  \n%s       RAW    \n", ip, args[1], ip, ip), nil
}

// resolve maps a name to a lab address: a load balancer's name to its
// region's address, anything else through the DNS simulator.
func (l *Lab) resolve(ctx context.Context, name string) (netip.Addr, error) {
	l.mu.Lock()
	for _, r := range l.regions {
		if r.albName == name {
			l.mu.Unlock()
			return r.ip, nil
		}
	}
	addr := l.sim.Addr()
	l.mu.Unlock()
	resolver := net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", addr)
	}}
	ips, err := resolver.LookupNetIP(ctx, "ip4", name)
	if err != nil || len(ips) == 0 {
		return netip.Addr{}, fmt.Errorf("resolve %s: %w", name, err)
	}
	return ips[0].Unmap(), nil
}

// curl answers `curl -fsS --max-time N -o /dev/null https://HOST/PATH`: the
// host is resolved through the lab's DNS and the request goes to that
// region's endpoint (plain HTTP on the lab's port: the lab has no TLS).
func (l *Lab) curl(ctx context.Context, args []string) (string, error) {
	c := parseCLI(args)
	var target string
	for _, w := range c.words {
		if strings.HasPrefix(w, "https://") || strings.HasPrefix(w, "http://") {
			target = w
		}
	}
	if target == "" {
		return "", fmt.Errorf("drlab curl: no URL in: curl %s", strings.Join(args, " "))
	}
	rest := target[strings.Index(target, "://")+3:]
	host, path, _ := strings.Cut(rest, "/")
	ip, err := l.resolve(ctx, host)
	if err != nil {
		return "", &codeError{code: 6, msg: "curl: (6) Could not resolve host: " + host}
	}
	timeout := 5 * time.Second
	if s, err := strconv.Atoi(c.flags["max-time"]); err == nil {
		timeout = time.Duration(s) * time.Second
	}
	client := http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(fmt.Sprintf("http://%s/%s", netip.AddrPortFrom(ip, uint16(l.appPort)), path))
	if err != nil {
		return "", &codeError{code: 7, msg: "curl: (7) Failed to connect to " + host + ": " + err.Error()}
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return "", &codeError{code: 22, msg: fmt.Sprintf("curl: (22) The requested URL returned error: %d", resp.StatusCode)}
	}
	return "", nil
}
