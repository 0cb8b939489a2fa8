package cloud

import (
	"context"
	"crypto/rand"
	"fmt"
)

// GetCallerIdentityOutput is STS's GetCallerIdentityResponse
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
type GetCallerIdentityOutput struct {
	UserId  *string `json:"UserId,omitempty"`
	Account *string `json:"Account,omitempty"`
	Arn     *string `json:"Arn,omitempty"`
}

func (c *Cloud) registerSTS() {
	register(c, "sts", "GetCallerIdentity", false, c.stsGetCallerIdentity)
}

// stsGetCallerIdentity answers for the lab's one principal.
func (c *Cloud) stsGetCallerIdentity(_ context.Context, _ string, _ *Empty) (*GetCallerIdentityOutput, error) {
	return &GetCallerIdentityOutput{
		UserId:  ptr("AIDALABOPERATOR000000"),
		Account: ptr(c.opts.Account),
		Arn:     ptr(fmt.Sprintf("arn:aws:iam::%s:user/lab-operator", c.opts.Account)),
	}, nil
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomID returns n random lower-case letters and digits.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("cloud: random: %v", err))
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("cloud: random: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
