// Package random is the lab's pulumi-resource-random, answering for
// pulumi-random v4.18.4 (sdk/v4@v4.18.4/go/random/pulumi-plugin.json). The
// values are real random values drawn here, as the real provider draws
// them in Create; nothing lives in the lab cloud.
package random

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/bcrypt"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
)

// Name and Version are the plugin's.
const (
	Name    = "random"
	Version = "4.18.4"
)

// Every argument of every random resource requires replacement: in
// terraform-provider-random (bridged by pulumi-random v4) each attribute
// carries a RequiresReplace plan modifier
// (internal/provider/resource_password.go, resource_string.go,
// resource_id.go, resource_integer.go, resource_pet.go, resource_uuid.go).

// Package returns the random plugin.
func Package() *provider.Package {
	p := &provider.Package{Name: Name, Version: Version, Types: map[string]*provider.Type{}}
	for _, t := range []*provider.Type{
		{Token: "random:index/randomPassword:RandomPassword", AllForceNew: true, Defaults: stringDefaults(), Validate: validateString, Create: createString(true)},
		{Token: "random:index/randomString:RandomString", AllForceNew: true, Defaults: stringDefaults(), Validate: validateString, Create: createString(false)},
		{Token: "random:index/randomId:RandomId", AllForceNew: true, Create: createID},
		{Token: "random:index/randomInteger:RandomInteger", AllForceNew: true, Create: createInteger},
		{Token: "random:index/randomUuid:RandomUuid", AllForceNew: true, Create: func(*provider.Ctx, provider.Props) (string, provider.Props, error) {
			u := provider.UUID()
			return u, provider.Props{"result": resource.NewProperty(u)}, nil
		}},
		{Token: "random:index/randomPet:RandomPet", AllForceNew: true, Defaults: provider.FromGo(map[string]any{"length": 2, "separator": "-"}), Create: createPet},
	} {
		p.Types[t.Token] = t
	}
	return p
}

// stringDefaults are resource_password.go's and resource_string.go's
// defaults.
func stringDefaults() provider.Props {
	return provider.FromGo(map[string]any{
		"lower": true, "upper": true, "numeric": true, "number": true, "special": true,
		"minLower": 0, "minUpper": 0, "minNumeric": 0, "minSpecial": 0,
	})
}

// validateString is the providers' rule that the minimums fit the length.
func validateString(_ *provider.Ctx, in provider.Props) error {
	n := provider.Int(in, "length", 0)
	if n < 1 {
		return fmt.Errorf("length must be at least 1")
	}
	sum := provider.Int(in, "minLower", 0) + provider.Int(in, "minUpper", 0) + provider.Int(in, "minNumeric", 0) + provider.Int(in, "minSpecial", 0)
	if sum > n {
		return fmt.Errorf("length (%d) must be >= the sum of the minimums (%d)", n, sum)
	}
	return nil
}

const (
	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars = "0123456789"
	// The default specials of terraform-provider-random (internal/random).
	defaultSpecial = "!@#$%&*()-_=+[]{}<>:?"
)

func pick(charset string) byte {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(charset))))
	if err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return charset[n.Int64()]
}

// createString draws the value: the minimums first, then the rest from
// the union of the enabled sets, then a shuffle.
func createString(secret bool) func(*provider.Ctx, provider.Props) (string, provider.Props, error) {
	return func(_ *provider.Ctx, in provider.Props) (string, provider.Props, error) {
		n := provider.Int(in, "length", 0)
		special := defaultSpecial
		if provider.Has(in, "overrideSpecial") {
			special = provider.Str(in, "overrideSpecial")
		}
		sets := []struct {
			on    bool
			chars string
			min   int
		}{
			{provider.Bool(in, "lower", true), lowerChars, provider.Int(in, "minLower", 0)},
			{provider.Bool(in, "upper", true), upperChars, provider.Int(in, "minUpper", 0)},
			{provider.Bool(in, "numeric", true) && provider.Bool(in, "number", true), numericChars, provider.Int(in, "minNumeric", 0)},
			{provider.Bool(in, "special", true), special, provider.Int(in, "minSpecial", 0)},
		}
		var all string
		var out []byte
		for _, s := range sets {
			if !s.on || s.chars == "" {
				continue
			}
			all += s.chars
			for range s.min {
				out = append(out, pick(s.chars))
			}
		}
		if all == "" {
			return "", nil, fmt.Errorf("no characters to choose from: enable lower, upper, numeric or special")
		}
		for len(out) < n {
			out = append(out, pick(all))
		}
		for i := len(out) - 1; i > 0; i-- {
			j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
			if err != nil {
				return "", nil, err
			}
			out[i], out[j.Int64()] = out[j.Int64()], out[i]
		}
		result := string(out)
		outs := provider.Props{}
		if secret {
			hash, err := bcrypt.GenerateFromPassword(out, bcrypt.DefaultCost)
			if err != nil {
				return "", nil, fmt.Errorf("bcrypt: %w", err)
			}
			// pulumi-random marks result and bcryptHash secret; the
			// password's ID is "none" (resource_password.go Create).
			outs["result"] = resource.MakeSecret(resource.NewProperty(result))
			outs["bcryptHash"] = resource.MakeSecret(resource.NewProperty(string(hash)))
			return "none", outs, nil
		}
		outs["result"] = resource.NewProperty(result)
		return result, outs, nil
	}
}

// createID draws byteLength random bytes (resource_id.go: ID is the
// base64url form; hex, dec and b64 forms are outputs).
func createID(_ *provider.Ctx, in provider.Props) (string, provider.Props, error) {
	n := provider.Int(in, "byteLength", 0)
	if n < 1 {
		return "", nil, fmt.Errorf("byteLength must be at least 1")
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	prefix := provider.Str(in, "prefix")
	id := base64.RawURLEncoding.EncodeToString(b)
	dec := new(big.Int).SetBytes(b).String()
	return id, provider.FromGo(map[string]any{
		"b64Url": prefix + id,
		"b64Std": prefix + base64.StdEncoding.EncodeToString(b),
		"hex":    prefix + hex.EncodeToString(b),
		"dec":    prefix + dec,
	}), nil
}

func createInteger(_ *provider.Ctx, in provider.Props) (string, provider.Props, error) {
	lo, hi := provider.Int(in, "min", 0), provider.Int(in, "max", 0)
	if hi < lo {
		return "", nil, fmt.Errorf("min (%d) must be <= max (%d)", lo, hi)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(hi-lo+1)))
	if err != nil {
		return "", nil, err
	}
	v := lo + int(n.Int64())
	return strconv.Itoa(v), provider.FromGo(map[string]any{"result": v}), nil
}

var petWords = []string{"brave", "calm", "eager", "fond", "glad", "jolly", "keen", "lucid", "merry", "noble", "otter", "panda", "quail", "raven", "seal", "tapir", "urchin", "vole", "wren", "yak"}

func createPet(_ *provider.Ctx, in provider.Props) (string, provider.Props, error) {
	n, sep := provider.Int(in, "length", 2), provider.Str(in, "separator")
	var id string
	if p := provider.Str(in, "prefix"); p != "" {
		id = p
	}
	for i := range n {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(petWords))))
		if err != nil {
			return "", nil, err
		}
		w := petWords[j.Int64()]
		if id != "" || i > 0 {
			id += sep
		}
		id += w
	}
	return id, provider.Props{}, nil
}
