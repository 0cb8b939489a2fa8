package shim

import (
	"slices"
	"strings"
	"testing"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/awsapi"
)

// The wrapper runs the real CLI at the lab's endpoint with the lab's
// credentials, and lets nothing of the machine's AWS setup in.
func TestAWSCommand(t *testing.T) {
	env := []string{"PATH=/bin", "AWS_PROFILE=prod", "AWS_ACCESS_KEY_ID=AKIAREAL", "AWS_SESSION_TOKEN=tok", "AWS_PAGER=", EnvAWSEndpoint + "=http://127.0.0.1:1234"}
	prog, argv, out, err := AWSCommand([]string{"rds", "describe-db-instances", "--region", "eu-central-1"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if prog != DefaultAWSCLI || strings.Join(argv, " ") != DefaultAWSCLI+" --endpoint-url http://127.0.0.1:1234 rds describe-db-instances --region eu-central-1" {
		t.Fatalf("%s %v", prog, argv)
	}
	for _, want := range []string{"AWS_ACCESS_KEY_ID=" + awsapi.AccessKeyID, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "PATH=/bin"} {
		if !slices.Contains(out, want) {
			t.Errorf("environment lacks %s: %v", want, out)
		}
	}
	for _, gone := range []string{"AWS_PROFILE=prod", "AWS_ACCESS_KEY_ID=AKIAREAL", "AWS_SESSION_TOKEN=tok"} {
		if slices.Contains(out, gone) {
			t.Errorf("environment keeps %s", gone)
		}
	}
	if _, _, _, err := AWSCommand([]string{"--endpoint-url", "x", "sts", "get-caller-identity"}, env); err == nil {
		t.Error("a second --endpoint-url accepted")
	}
	if _, _, _, err := AWSCommand(nil, []string{"PATH=/bin"}); err == nil {
		t.Error("no endpoint accepted")
	}
}
