package provider

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	pprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
)

// EngineCheckInterval is how often a plugin checks that the engine that
// started it is still there, and exits when it is not.
const EngineCheckInterval = 2 * time.Second

// Server serves one Package over the ResourceProvider protocol.
type Server struct {
	pulumirpc.UnimplementedResourceProviderServer

	pkg   *Package
	host  *pprovider.HostClient
	cloud *cloudOnce

	mu     sync.RWMutex
	config Props
}

// NewServer returns the server for pkg; host is the engine's host client
// (nil in tests).
func NewServer(pkg *Package, host *pprovider.HostClient) *Server {
	return &Server{pkg: pkg, host: host, cloud: &cloudOnce{}, config: Props{}}
}

// Main runs pkg as a plugin started by the engine. The SDK's
// provider.Main parses the engine's arguments (flags, then the engine
// address), prints the port and serves until the engine signals or goes
// away.
func Main(pkg *Package) int {
	err := pprovider.Main(pkg.Name, func(host *pprovider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		// provider.Main checks the engine only every 5 minutes
		// (sdk/go/pulumi/provider/main.go:131); a CLI killed by the lab's
		// fault injection would leave this process behind that long.
		if addr := flag.Arg(0); addr != "" {
			if err := rpcutil.Healthcheck(context.Background(), addr, EngineCheckInterval, func() { os.Exit(1) }); err != nil {
				return nil, fmt.Errorf("engine health check: %w", err)
			}
		}
		return NewServer(pkg, host), nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-%s (drlab): %v\n", pkg.Name, err)
		return 1
	}
	return 0
}

func (s *Server) ctx(ctx context.Context, urn string, preview bool) *Ctx {
	s.mu.RLock()
	cfg := s.config
	s.mu.RUnlock()
	c := &Ctx{Context: ctx, URN: resource.URN(urn), Config: cfg, Preview: preview, cloud: s.cloud}
	if s.host != nil && urn != "" {
		c.log = func(msg string) { _ = s.host.LogStatus(ctx, diag.Info, resource.URN(urn), msg) }
	}
	return c
}

func (s *Server) typeOf(token string) (*Type, error) {
	if t, ok := s.pkg.Types[token]; ok {
		return t, nil
	}
	if s.pkg.Fallback != nil {
		if t, ok := s.pkg.Fallback(token); ok {
			return t, nil
		}
	}
	return nil, rpcerror.New(codes.Unimplemented, fmt.Sprintf(
		"the drlab %s provider does not model resource type %s: add it to the lab's %s type table with its replace-on-change properties (cited)",
		s.pkg.Name, token, s.pkg.Name))
}

// Handshake answers the engine's capability exchange.
func (s *Server) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{
		AcceptSecrets:                   true,
		AcceptResources:                 true,
		AcceptOutputs:                   false,
		SupportsAutonamingConfiguration: true,
	}, nil
}

// GetPluginInfo reports the version the Go SDKs ask for.
func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.pkg.Version}, nil
}

// GetSchema returns a minimal schema: the package's name and version and
// its remote components (isComponent).
func (s *Server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	resources := map[string]any{}
	for tok := range s.pkg.Components {
		resources[tok] = map[string]any{"isComponent": true}
	}
	for tok := range s.pkg.Types {
		resources[tok] = map[string]any{}
	}
	functions := map[string]any{}
	for tok := range s.pkg.Invokes {
		functions[tok] = map[string]any{}
	}
	b, err := json.Marshal(map[string]any{
		"name": s.pkg.Name, "version": s.pkg.Version,
		"resources": resources, "functions": functions,
	})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: string(b)}, nil
}

// CheckConfig validates the provider configuration.
func (s *Server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if s.pkg.CheckConfig != nil && !news.ContainsUnknowns() {
		if err := s.pkg.CheckConfig(news); err != nil {
			return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
		}
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig compares provider configurations.
func (s *Server) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := Unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		if olds, err = Unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	// The plugin version is the engine's business, not a config change.
	delete(olds, "version")
	delete(news, "version")
	d, err := ComputeDiff(olds, news, s.pkg.ConfigReplaces, false, nil)
	if err != nil {
		return nil, err
	}
	return diffResponse(d, false), nil
}

// Configure stores the provider configuration.
func (s *Server) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	cfg, err := Unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	if len(cfg) == 0 {
		// Older engines send flattened "pkg:config:key" variables.
		cfg = Props{}
		for k, v := range req.GetVariables() {
			key := k
			if i := len(s.pkg.Name) + len(":config:"); len(k) > i && k[:i] == s.pkg.Name+":config:" {
				key = k[i:]
			}
			var parsed any
			if json.Unmarshal([]byte(v), &parsed) == nil {
				cfg[resource.PropertyKey(key)] = resource.NewPropertyValue(parsed)
			} else {
				cfg[resource.PropertyKey(key)] = resource.NewProperty(v)
			}
		}
	}
	s.mu.Lock()
	s.config = cfg
	s.mu.Unlock()
	return &pulumirpc.ConfigureResponse{
		AcceptSecrets:   true,
		SupportsPreview: true,
		AcceptResources: true,
		AcceptOutputs:   false,
	}, nil
}

// Check validates inputs and fills in defaults and autonames.
func (s *Server) Check(ctx context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	t, err := s.typeOf(req.GetType())
	if err != nil {
		return nil, err
	}
	olds, err := Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	defaults := map[string]bool{}
	for k, v := range t.Defaults {
		if cur, ok := news[k]; !ok || cur.IsNull() {
			news[k] = v
			defaults[string(k)] = true
		}
	}
	if t.AutoName != nil {
		if err := autoname(t.AutoName, resource.URN(req.GetUrn()), req.GetRandomSeed(), olds, news, defaults, req.GetAutonaming()); err != nil {
			return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Property: t.AutoName.Property, Reason: err.Error()}}}, nil
		}
	}
	if t.Normalize != nil {
		c := s.ctx(ctx, req.GetUrn(), news.ContainsUnknowns())
		c.Seed = req.GetRandomSeed()
		if err := t.Normalize(c, olds, news, defaults); err != nil {
			return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
		}
	}
	setDefaults(news, defaults)
	if t.Validate != nil {
		c := s.ctx(ctx, req.GetUrn(), news.ContainsUnknowns())
		c.Seed = req.GetRandomSeed()
		if err := t.Validate(c, news); err != nil {
			return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
		}
	}
	out, err := Marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out}, nil
}

// Diff compares the old inputs with the new checked inputs.
func (s *Server) Diff(ctx context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	t, err := s.typeOf(typeOfURN(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	olds, err := Unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		// State written before old inputs were sent: compare against the
		// outputs restricted to the new inputs' keys.
		outs, err := Unmarshal(req.GetOlds())
		if err != nil {
			return nil, err
		}
		news, _ := Unmarshal(req.GetNews())
		for k := range news {
			if v, ok := outs[k]; ok {
				olds[k] = v
			}
		}
	}
	news, err := Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	forceNew := t.ForceNew
	if t.ForceNewFor != nil {
		forceNew = append(append([]string{}, forceNew...), t.ForceNewFor(s.ctx(ctx, req.GetUrn(), false), news)...)
	}
	d, err := ComputeDiff(olds, news, forceNew, t.AllForceNew, req.GetIgnoreChanges())
	if err != nil {
		return nil, err
	}
	dbr := t.DeleteBeforeReplace
	if t.DeleteBeforeReplaceFor != nil {
		dbr = dbr || t.DeleteBeforeReplaceFor(olds, news)
	} else if an := t.AutoName; an != nil && !defaultsOf(news)[an.Property] {
		// A name the program pins cannot exist twice: the bridge deletes
		// first (pulumi-terraform-bridge pkg/tfbridge/provider.go Diff,
		// "nameRequiresDeleteBeforeReplace"), and so does AWS's
		// uniqueness rule force it.
		dbr = true
	}
	return diffResponse(d, dbr), nil
}

func diffResponse(d *Diff, dbr bool) *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		Diffs:           d.Changed,
		Replaces:        d.Replaces,
		DetailedDiff:    d.Detailed,
		HasDetailedDiff: true,
	}
	if len(d.Changed) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	resp.DeleteBeforeReplace = dbr && len(d.Replaces) > 0
	return resp
}

// Create makes the resource (or, in a preview, returns the inputs: the
// SDK treats outputs absent from a preview as unknown,
// sdk/go/pulumi/context.go:2568-2580).
func (s *Server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	t, err := s.typeOf(typeOfURN(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	inputs, err := Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	c := s.ctx(ctx, req.GetUrn(), req.GetPreview())
	outs := Copy(inputs)
	delete(outs, defaultsKey)
	if req.GetPreview() {
		props, err := Marshal(outs)
		if err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Properties: props}, nil
	}
	if t.Create == nil {
		return nil, rpcerror.New(codes.Internal, fmt.Sprintf("type %s has no Create", t.Token))
	}
	id, computed, err := t.Create(c, inputs)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", req.GetUrn(), err)
	}
	for k, v := range computed {
		outs[k] = v
	}
	props, err := Marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Update changes the resource in place.
func (s *Server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	t, err := s.typeOf(typeOfURN(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	olds, err := Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	oldInputs, err := Unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	outs := provisional(olds, oldInputs, news)
	if !req.GetPreview() && t.Update != nil {
		c := s.ctx(ctx, req.GetUrn(), false)
		if outs, err = t.Update(c, req.GetId(), olds, oldInputs, news, outs); err != nil {
			return nil, fmt.Errorf("updating %s: %w", req.GetUrn(), err)
		}
	}
	props, err := Marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// provisional is the outputs after an in-place update before the hook:
// the old computed outputs (old outputs that were not inputs) overlaid with
// the new inputs.
func provisional(olds, oldInputs, news Props) Props {
	outs := Props{}
	for k, v := range olds {
		if _, wasInput := oldInputs[k]; !wasInput {
			outs[k] = v
		}
	}
	for k, v := range news {
		outs[k] = v
	}
	delete(outs, defaultsKey)
	return outs
}

// Read refreshes the resource from where it lives.
func (s *Server) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	t, err := s.typeOf(typeOfURN(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	olds, err := Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	oldInputs, err := Unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	outs, ins := olds, oldInputs
	if t.Read != nil {
		c := s.ctx(ctx, req.GetUrn(), false)
		if outs, ins, err = t.Read(c, req.GetId(), olds, oldInputs); err != nil {
			return nil, fmt.Errorf("reading %s: %w", req.GetUrn(), err)
		}
		if outs == nil {
			// Gone: an empty ID tells the engine to drop it from state.
			return &pulumirpc.ReadResponse{}, nil
		}
	} else if len(olds) == 0 {
		return nil, rpcerror.New(codes.NotFound, fmt.Sprintf(
			"%s %s: the lab keeps this type in state only and cannot read it from an ID alone", t.Token, req.GetId()))
	}
	props, err := Marshal(outs)
	if err != nil {
		return nil, err
	}
	inputs, err := Marshal(ins)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: inputs}, nil
}

// Delete removes the resource.
func (s *Server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	t, err := s.typeOf(typeOfURN(req.GetUrn()))
	if err != nil {
		return nil, err
	}
	if t.Delete == nil {
		return &emptypb.Empty{}, nil
	}
	olds, err := Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	c := s.ctx(ctx, req.GetUrn(), false)
	if err := t.Delete(c, req.GetId(), olds); err != nil {
		return nil, fmt.Errorf("deleting %s: %w", req.GetUrn(), err)
	}
	return &emptypb.Empty{}, nil
}

// Invoke calls a function.
func (s *Server) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	fn, ok := s.pkg.Invokes[req.GetTok()]
	if !ok {
		return nil, rpcerror.New(codes.Unimplemented, fmt.Sprintf("the drlab %s provider does not model function %s", s.pkg.Name, req.GetTok()))
	}
	args, err := Unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	out, err := fn(s.ctx(ctx, "", false), args)
	if err != nil {
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil
	}
	ret, err := Marshal(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

// Construct builds a remote component with the Go SDK, registering its
// children through the engine's monitor.
func (s *Server) Construct(ctx context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	fn, ok := s.pkg.Components[req.GetType()]
	if !ok {
		return nil, rpcerror.New(codes.Unimplemented, fmt.Sprintf("the drlab %s provider has no component %s", s.pkg.Name, req.GetType()))
	}
	if s.host == nil {
		return nil, rpcerror.New(codes.FailedPrecondition, "Construct needs the engine connection")
	}
	raw, err := Unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	return pprovider.Construct(ctx, req, s.host.EngineConn(), fn(raw))
}

// Cancel is a no-op: operations finish or fail on their own deadlines.
func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// GetMapping serves no Terraform mappings.
func (s *Server) GetMapping(context.Context, *pulumirpc.GetMappingRequest) (*pulumirpc.GetMappingResponse, error) {
	return &pulumirpc.GetMappingResponse{}, nil
}

// GetMappings serves no Terraform mappings.
func (s *Server) GetMappings(context.Context, *pulumirpc.GetMappingsRequest) (*pulumirpc.GetMappingsResponse, error) {
	return &pulumirpc.GetMappingsResponse{}, nil
}

func typeOfURN(urn string) string { return string(resource.URN(urn).Type()) }

// TypeTokens lists the package's types (for tests and docs).
func (p *Package) TypeTokens() []string {
	out := make([]string, 0, len(p.Types))
	for k := range p.Types {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
