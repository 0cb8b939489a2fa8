package heartbeat

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:s3cret@db.internal:5432/app?sslmode=require": "postgres://app:xxxxx@db.internal:5432/app?sslmode=require",
		"host=db user=app password=s3cret dbname=app":                "host=db user=app password=xxxxx dbname=app",
		"host=db password='with space' user=app":                     "host=db password=xxxxx user=app",
		"postgresql://db/app?password=s3cret":                        "postgresql://db/app?password=xxxxx",
		"host=127.0.0.1 port=5432 user=postgres":                     "host=127.0.0.1 port=5432 user=postgres",
	} {
		got := RedactDSN(in)
		assert.Equal(t, want, got)
		assert.NotContains(t, got, "s3cret")
	}
}
