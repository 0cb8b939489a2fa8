// Package peer is the other stack of the pair, read through a
// StackReference: its outputs come from the state backend (which lives
// outside both regions), never from the peer region's APIs, so the standby
// can read the primary's while eu-west-1 is down.
package peer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/outputs"
)

// Peer is the other stack of the pair, as its last `pulumi up` left it.
// Values are plain strings: they are read and checked before this stack
// registers anything that depends on them.
type Peer struct {
	Stack   string
	outputs map[string]string
}

// Read references the peer stack and reads the named outputs, failing with
// a message that names the stack and every missing output.
func Read(ctx *pulumi.Context, name, stack string, required []string, opts ...pulumi.ResourceOption) (*Peer, error) {
	ref, err := pulumi.NewStackReference(ctx, name, &pulumi.StackReferenceArgs{Name: pulumi.String(stack)}, opts...)
	if err != nil {
		return nil, fmt.Errorf("reference peer stack %q (taskflow:peer.stack): %w", stack, err)
	}
	p := &Peer{Stack: stack, outputs: map[string]string{}}
	var missing []string
	for _, key := range required {
		details, err := ref.GetOutputDetails(key)
		if err != nil {
			return nil, fmt.Errorf("read output %q of peer stack %q: %w", key, stack, err)
		}
		v := details.Value
		if v == nil {
			v = details.SecretValue
		}
		s, ok := v.(string)
		if ok && s != "" {
			p.outputs[key] = s
			continue
		}
		missing = append(missing, key)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("peer stack %q (taskflow:peer.stack) lacks the output(s) %s: deploy it first (`pulumi up -s %s`), or fix taskflow:peer.stack",
			stack, strings.Join(missing, ", "), stack)
	}
	return p, nil
}

// Get returns an output Read was asked for.
func (p *Peer) Get(key string) string { return p.outputs[key] }

// CheckRegion fails when the peer runs somewhere other than where this
// stack's config says it does: the replica and the secret copy would be
// wired to the wrong region.
func (p *Peer) CheckRegion(want string) error {
	if got := p.Get(outputs.Region); got != want {
		return fmt.Errorf("peer stack %q runs in %s but taskflow:peer.region says %s", p.Stack, got, want)
	}
	return nil
}

// WriterArn returns the peer database's ARN for a replica to follow. A
// replica of a replica (or of a writer that has been demoted since) is
// refused: the config of the two stacks disagrees about who writes.
func (p *Peer) WriterArn() (string, error) {
	if mode := p.Get(outputs.DbMode); mode != "writer" {
		return "", fmt.Errorf("taskflow:database.mode is replica, but the database of peer stack %q is in %q mode, not writer: exactly one stack of the pair must be the writer", p.Stack, mode)
	}
	return p.Get(outputs.DbInstanceArn), nil
}

// ArnInRegion returns the output key's ARN after checking that it lives in
// region: the standby must use the copies in its own region, never reach
// back to the primary's.
func (p *Peer) ArnInRegion(key, region string) (string, error) {
	arn := p.Get(key)
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", fmt.Errorf("peer stack %q output %s: %q is not an ARN", p.Stack, key, arn)
	}
	if parts[3] != region {
		return "", fmt.Errorf("peer stack %q output %s: %s is not in %s (taskflow:region)", p.Stack, key, arn, region)
	}
	return arn, nil
}
