// Package shim holds the commands the lab puts first on the runbook's
// PATH, as modes of the multi-call drlab binary:
//
//   - aws: the real AWS CLI v2 (/usr/bin/aws), pointed at the lab's AWS
//     endpoint with the lab's credentials. Everything else is the real
//     client's: flags, parameter validation, waiters, --query, --output.
//   - kubectl, getent, curl: answered from the lab (the cluster state of
//     the lab cloud, its DNS server, its stand-in endpoints), as strict as
//     the real tools for the calls the runbook makes.
//
// Why kubectl, getent and curl stay lab-answered: the lab has no
// Kubernetes API server (no kubelet, no etcd, no pods), only the cluster
// state the cloud models, so the real kubectl would have nothing to talk
// to; the shim reads the kubeconfig the real `aws eks update-kubeconfig`
// wrote and answers the runbook's calls with kubectl 1.32's output,
// messages and exit statuses. getent and curl must resolve through the
// lab's DNS server (Route 53's answers) rather than the machine's
// resolver, and reach stand-ins that speak plain HTTP on a loopback port
// where AWS has TLS on 443; the real tools cannot be told either without
// root. The AWS CLI needs no such stand-in: --endpoint-url is enough.
package shim

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/awsapi"
)

// Environment the shims read; the lab sets it for the runbook.
const (
	EnvAWSEndpoint = "DRLAB_AWS_ENDPOINT" // the lab's AWS endpoint, http://127.0.0.1:PORT
	EnvAWSCLI      = "DRLAB_AWS_CLI"      // the real AWS CLI; /usr/bin/aws when unset
)

// DefaultAWSCLI is Debian's AWS CLI v2 (awscli 2.9.19). The `aws` a
// developer has on PATH may be a pyenv v1 shim: never use that.
const DefaultAWSCLI = "/usr/bin/aws"

// AWSCommand returns the program, argv and environment that run the real
// CLI against the lab for args (the command line after "aws").
func AWSCommand(args, environ []string) (string, []string, []string, error) {
	endpoint := envValue(environ, EnvAWSEndpoint)
	if endpoint == "" {
		return "", nil, nil, fmt.Errorf("%s is not set: the lab's aws runs inside the lab", EnvAWSEndpoint)
	}
	for _, a := range args {
		if a == "--endpoint-url" || strings.HasPrefix(a, "--endpoint-url=") {
			return "", nil, nil, fmt.Errorf("the lab sets --endpoint-url itself; the runbook must not")
		}
	}
	cli := envValue(environ, EnvAWSCLI)
	if cli == "" {
		cli = DefaultAWSCLI
	}
	argv := append([]string{cli, "--endpoint-url", endpoint}, args...)
	// The lab's credentials only: no profile, config or instance metadata
	// of the machine may leak in.
	env := slices.DeleteFunc(slices.Clone(environ), func(kv string) bool {
		for _, drop := range []string{"AWS_PROFILE=", "AWS_DEFAULT_PROFILE=", "AWS_SESSION_TOKEN=", "AWS_ACCESS_KEY_ID=",
			"AWS_SECRET_ACCESS_KEY=", "AWS_CONFIG_FILE=", "AWS_SHARED_CREDENTIALS_FILE=", "AWS_CA_BUNDLE=", "AWS_ENDPOINT_URL"} {
			if strings.HasPrefix(kv, drop) {
				return true
			}
		}
		return false
	})
	env = append(env,
		"AWS_ACCESS_KEY_ID="+awsapi.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+awsapi.SecretAccessKey,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
	)
	return cli, argv, env, nil
}

// RunAWS replaces the process with the real CLI; it returns only on error,
// with the exit status the CLI uses for a failure before any call (255).
func RunAWS(args []string) int {
	cli, argv, env, err := AWSCommand(args, os.Environ())
	if err != nil {
		fmt.Fprintln(os.Stderr, "drlab aws:", err)
		return 255
	}
	err = syscall.Exec(cli, argv, env)
	fmt.Fprintf(os.Stderr, "drlab aws: exec %s: %v (CI installs Debian's awscli)\n", cli, err)
	return 255
}

func envValue(environ []string, key string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(environ[i], key+"="); ok {
			return v
		}
	}
	return ""
}
