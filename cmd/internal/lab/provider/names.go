package provider

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// LowerHex is the default random alphabet (resource.NewUniqueName).
	LowerHex = "0123456789abcdef"
	// LowerAlnum is lowercase letters and digits.
	LowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	// UpperAlnum is what AWS uses in generated physical IDs (EKS endpoint
	// hosts, CloudFormation suffixes).
	UpperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// autoname names t.AutoName.Property in news when absent: it keeps the
// name a previous Check generated (recorded in olds' __defaults), honours
// the engine's autonaming proposal (CheckRequest.autonaming, used when the
// project configures pulumi:autonaming), and otherwise draws from the
// engine's deterministic seed so that a preview and the update that
// follows agree, as resource.NewUniqueName does for the real providers.
func autoname(an *AutoName, urn resource.URN, seed []byte, olds, news Props, defaults map[string]bool, eng *pulumirpc.CheckRequest_AutonamingOptions) error {
	key := resource.PropertyKey(an.Property)
	if v, ok := news[key]; ok && !v.IsNull() {
		return nil
	}
	if v, ok := olds[key]; ok && !v.IsNull() && defaultsOf(olds)[an.Property] {
		news[key] = v
		defaults[an.Property] = true
		return nil
	}
	var name string
	if eng != nil {
		switch eng.GetMode() {
		case pulumirpc.CheckRequest_AutonamingOptions_DISABLE:
			return fmt.Errorf("autonaming is disabled, but %s is not set", an.Property)
		case pulumirpc.CheckRequest_AutonamingOptions_ENFORCE, pulumirpc.CheckRequest_AutonamingOptions_PROPOSE:
			name = eng.GetProposedName()
		}
	}
	if name == "" {
		charset := []rune(an.Charset)
		if len(charset) == 0 {
			charset = []rune(LowerHex)
		}
		var err error
		name, err = resource.NewUniqueName(seed, urn.Name()+an.Separator, an.Random, an.MaxLen, charset)
		if err != nil {
			return fmt.Errorf("autoname %s: %w", an.Property, err)
		}
	}
	if an.Lower {
		name = strings.ToLower(name)
	}
	news[key] = resource.NewProperty(name)
	defaults[an.Property] = true
	return nil
}

// RandomString returns n characters from charset, from crypto/rand.
func RandomString(n int, charset string) string {
	runes := []rune(charset)
	out := make([]rune, n)
	for i := range out {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(runes))))
		if err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		out[i] = runes[j.Int64()]
	}
	return string(out)
}

// RandomHex returns n lowercase hex characters.
func RandomHex(n int) string { return RandomString(n, LowerHex) }

// StableHex returns n hex characters derived from parts: for identifiers
// AWS derives deterministically (the same certificate validation record in
// every region, for instance).
func StableHex(n int, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	s := hex.EncodeToString(h[:])
	for len(s) < n {
		h = sha256.Sum256([]byte(s))
		s += hex.EncodeToString(h[:])
	}
	return s[:n]
}

// UUID returns a random version-4 UUID.
func UUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
