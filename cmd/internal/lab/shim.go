package lab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"syscall"
	"time"
)

// Environment the shims read, set by the lab for the runbook's processes.
const (
	EnvControl = "DRLAB_CONTROL" // the controller's address, host:port
	EnvPulumi  = "DRLAB_PULUMI"  // the real Pulumi CLI
)

// ShimTools are the commands the old rehearsal answers through its
// controller: `pulumi up` only (pulumi.go). aws, kubectl, getent and curl
// are labenv.ShimTools, answered by package shim.
var ShimTools = []string{"pulumi"}

// execRequest is one shimmed command line, sent to the controller.
type execRequest struct {
	Tool string   `json:"tool"`
	Args []string `json:"args"`
	Dir  string   `json:"dir"`
}

// execResponse is what the command printed and its exit status.
type execResponse struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Code   int    `json:"code"`
}

// RunShim runs a shimmed tool as the process named tool, and returns its
// exit status. `pulumi` other than `pulumi up` becomes the real CLI.
func RunShim(tool string, args []string) int {
	if tool == "pulumi" && !isPulumiUp(args) {
		real := os.Getenv(EnvPulumi)
		if real == "" {
			fmt.Fprintln(os.Stderr, "drlab pulumi shim: "+EnvPulumi+" is not set")
			return 127
		}
		err := syscall.Exec(real, append([]string{real}, args...), os.Environ())
		fmt.Fprintf(os.Stderr, "drlab pulumi shim: exec %s: %v\n", real, err)
		return 127
	}
	addr := os.Getenv(EnvControl)
	if addr == "" {
		fmt.Fprintf(os.Stderr, "drlab %s shim: %s is not set: run it inside the lab\n", tool, EnvControl)
		return 127
	}
	dir, _ := os.Getwd()
	body, _ := json.Marshal(execRequest{Tool: tool, Args: args, Dir: dir})
	client := &http.Client{Timeout: 10 * time.Minute}
	resp, err := client.Post("http://"+addr+"/exec", "application/json", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(os.Stderr, "drlab %s shim: the lab controller is unreachable: %v\n", tool, err)
		return 127
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "drlab %s shim: controller answered %s: %s %v\n", tool, resp.Status, raw, err)
		return 127
	}
	var out execResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		fmt.Fprintf(os.Stderr, "drlab %s shim: bad controller answer: %v\n", tool, err)
		return 127
	}
	fmt.Fprint(os.Stdout, out.Stdout)
	fmt.Fprint(os.Stderr, out.Stderr)
	return out.Code
}

// isPulumiUp tells `pulumi up ...` from every other pulumi command.
func isPulumiUp(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-s" || a == "--stack" || a == "--cwd" || a == "-C":
			i++ // the flag's value
		case len(a) > 0 && a[0] == '-':
		default:
			return a == "up" || a == "update"
		}
	}
	return false
}
