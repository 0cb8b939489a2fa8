package agent

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadyNodesCountsOnlyReadyTrue: a node counts when its Ready condition
// is True; NotReady and Unknown nodes (one being replaced, one lost) do not,
// and the request carries the service account's token.
func TestReadyNodesCountsOnlyReadyTrue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/nodes" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"kind":"Status","code":403}`, http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte(`{"kind":"NodeList","items":[
			{"status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}]}},
			{"status":{"conditions":[{"type":"Ready","status":"False"}]}},
			{"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}},
			{"status":{"conditions":[{"type":"Ready","status":"True"}]}}]}`))
	}))
	defer srv.Close()
	n, err := (&NodeSource{API: srv.URL, Token: "tok", Client: srv.Client()}).ReadyNodes(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	_, err = (&NodeSource{API: srv.URL, Token: "wrong", Client: srv.Client()}).ReadyNodes(context.Background())
	assert.ErrorContains(t, err, "403")
}

func TestOutsideAClusterNoNodeSource(t *testing.T) {
	src, err := InClusterNodes(func(string) string { return "" })
	require.NoError(t, err)
	assert.Nil(t, src)
}
