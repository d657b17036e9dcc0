// Package bootstrap reads txsync's configuration, wires its parts together and runs its
// commands. It is the only package that reads the environment.
package bootstrap

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"time"
	_ "time/tzdata" // purchase times are read in the merchants' zone whatever the host has

	"github.com/caarlos0/env/v11"

	"github.com/txsync/txsync/adapters/httpapi"
	"github.com/txsync/txsync/domain/partner"
)

// Config is txsync's configuration, read from TXSYNC_* environment variables.
type Config struct {
	// HTTPAddr is the listen address of the partner API.
	HTTPAddr string `env:"TXSYNC_HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	// AdminAddr is the listen address of the admin API. Keep it off public networks.
	AdminAddr string `env:"TXSYNC_ADMIN_ADDR" envDefault:"127.0.0.1:8081"`
	// AdminToken is the bearer token of the admin API. When empty, a token is generated
	// into DataDir/admin-token (mode 0600) on first start and read from there afterwards.
	AdminToken string `env:"TXSYNC_ADMIN_TOKEN"`
	// MongoDBURI is the store's connection string. When empty, txsync runs the embedded
	// store in DataDir.
	MongoDBURI string `env:"TXSYNC_MONGODB_URI"`
	// Database is the database txsync keeps its collections in.
	Database string `env:"TXSYNC_MONGODB_DATABASE" envDefault:"txsync"`
	// DataDir is the folder of the embedded store and the generated admin token.
	DataDir string `env:"TXSYNC_DATA_DIR" envDefault:"./data"`
	// StoreAddr is the listen address of the embedded store. Empty means a free loopback
	// port for `serve` and 127.0.0.1:27017 for `store`.
	StoreAddr string `env:"TXSYNC_STORE_ADDR"`
	// TimeZone is the merchants' time zone: purchase times without an offset are read in it.
	TimeZone string `env:"TXSYNC_TIMEZONE" envDefault:"Asia/Shanghai"`
	// StoreTimeout bounds the store work of one request; past it the partner gets a 503.
	StoreTimeout time.Duration `env:"TXSYNC_STORE_TIMEOUT" envDefault:"1500ms"`
	// ReadTimeout bounds reading one HTTP request, headers and body.
	ReadTimeout time.Duration `env:"TXSYNC_READ_TIMEOUT" envDefault:"10s"`
	// ShutdownTimeout bounds how long a stopping txsync waits for requests in flight.
	ShutdownTimeout time.Duration `env:"TXSYNC_SHUTDOWN_TIMEOUT" envDefault:"20s"`
	// ClientRefresh is how often each instance reloads disabled clients and per-client rate
	// limits, and so the longest a disabled client's tokens keep working.
	ClientRefresh time.Duration `env:"TXSYNC_CLIENT_REFRESH" envDefault:"30s"`
	// RateLimit and RateBurst are each client's default token bucket: requests per second,
	// and requests at once. A batch costs one unit per purchase.
	RateLimit float64 `env:"TXSYNC_RATE_LIMIT" envDefault:"200"`
	RateBurst int     `env:"TXSYNC_RATE_BURST" envDefault:"1000"`
	// GroupCommit coalesces the inserts of concurrent requests into one write of up to
	// GroupCommitMaxBatch documents, waiting at most GroupCommitMaxWait for more. With no
	// wait, a write takes what queued up while the previous write ran: on the embedded
	// store a 1 ms wait tripled p99 at 400 purchases/s (docs/benchmarks.md).
	GroupCommit         bool          `env:"TXSYNC_GROUP_COMMIT" envDefault:"true"`
	GroupCommitMaxBatch int           `env:"TXSYNC_GROUP_COMMIT_MAX_BATCH" envDefault:"200"`
	GroupCommitMaxWait  time.Duration `env:"TXSYNC_GROUP_COMMIT_MAX_WAIT" envDefault:"0s"`
	// MaxInFlight bounds the purchases the partner API is writing, a batch counting each of
	// its purchases; writes past it get a 503 at once. 0 means no bound.
	MaxInFlight int `env:"TXSYNC_MAX_IN_FLIGHT" envDefault:"1024"`
	// BcryptCost is the work factor of client secret hashes.
	BcryptCost int `env:"TXSYNC_BCRYPT_COST" envDefault:"10"`
	// LogLevel is the lowest level logged: debug, info, warn or error.
	LogLevel slog.Level `env:"TXSYNC_LOG_LEVEL" envDefault:"info"`

	// Telemetry switches, from the standard OpenTelemetry variables. The exporters read the
	// rest (OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME, ...).
	TracesExporter     string `env:"OTEL_TRACES_EXPORTER"`
	OTLPEndpoint       string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTLPTracesEndpoint string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	MetricsExporter    string `env:"OTEL_METRICS_EXPORTER"`

	location *time.Location
}

// ExportTraces reports whether a trace exporter is configured: OTEL_TRACES_EXPORTER names
// one other than none, or an OTLP endpoint is set. With none of them set nothing is
// exported, unlike the OpenTelemetry default of OTLP to localhost.
func (c Config) ExportTraces() bool {
	if c.TracesExporter == "none" {
		return false
	}
	return c.TracesExporter != "" || c.OTLPEndpoint != "" || c.OTLPTracesEndpoint != ""
}

// PushMetrics reports whether OTEL_METRICS_EXPORTER names a push exporter (otlp or
// console). Metrics are served for Prometheus either way.
func (c Config) PushMetrics() bool {
	return c.MetricsExporter != "" && c.MetricsExporter != "none" && c.MetricsExporter != "prometheus"
}

// LoadConfig reads the configuration from the process environment and checks it.
func LoadConfig() (Config, error) {
	return LoadConfigFrom(env.ToMap(os.Environ()))
}

// LoadConfigFrom reads the configuration from variables, as if they were the environment,
// and checks it. Tests use it to configure txsync without touching the process
// environment.
func LoadConfigFrom(variables map[string]string) (Config, error) {
	cfg, err := env.ParseAsWithOptions[Config](env.Options{Environment: variables})
	if err != nil {
		return Config{}, fmt.Errorf("read configuration: %w", nameVariables(err, variables))
	}
	return cfg, cfg.validate()
}

func (c *Config) validate() error {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return fmt.Errorf("TXSYNC_TIMEZONE %q is not a known time zone: %w", c.TimeZone, err)
	}
	c.location = loc

	var errs []error
	for name, d := range map[string]time.Duration{
		"TXSYNC_STORE_TIMEOUT":    c.StoreTimeout,
		"TXSYNC_READ_TIMEOUT":     c.ReadTimeout,
		"TXSYNC_SHUTDOWN_TIMEOUT": c.ShutdownTimeout,
		"TXSYNC_CLIENT_REFRESH":   c.ClientRefresh,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be a positive duration such as 2s, got %s", name, d))
		}
	}
	if c.RateLimit <= 0 || c.RateBurst < 1 {
		errs = append(errs, fmt.Errorf("TXSYNC_RATE_LIMIT must be above 0 and TXSYNC_RATE_BURST at least 1, got %g and %d",
			c.RateLimit, c.RateBurst))
	}
	if c.GroupCommitMaxBatch < 1 || c.GroupCommitMaxWait < 0 {
		errs = append(errs, fmt.Errorf("TXSYNC_GROUP_COMMIT_MAX_BATCH must be at least 1 and TXSYNC_GROUP_COMMIT_MAX_WAIT not negative, got %d and %s",
			c.GroupCommitMaxBatch, c.GroupCommitMaxWait))
	}
	if c.MaxInFlight != 0 && c.MaxInFlight < httpapi.MaxBatchItems {
		errs = append(errs, fmt.Errorf("TXSYNC_MAX_IN_FLIGHT must be 0 (no bound) or at least %d, the largest batch, got %d",
			httpapi.MaxBatchItems, c.MaxInFlight))
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		errs = append(errs, fmt.Errorf("TXSYNC_BCRYPT_COST must be 4 to 31, got %d", c.BcryptCost))
	}
	if c.Database == "" {
		errs = append(errs, errors.New("TXSYNC_MONGODB_DATABASE must not be empty"))
	}
	return errors.Join(errs...)
}

// clientRateLimit returns each client's default rate limit.
func (c Config) clientRateLimit() partner.RateLimit {
	return partner.RateLimit{PerSecond: c.RateLimit, Burst: c.RateBurst}
}

// Location returns the merchants' time zone.
func (c Config) Location() *time.Location {
	return c.location
}

// LogValue shows the configuration in logs with its secrets masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("http_addr", c.HTTPAddr),
		slog.String("admin_addr", c.AdminAddr),
		slog.String("admin_token", mask(c.AdminToken)),
		slog.String("mongodb_uri", redactURI(c.MongoDBURI)),
		slog.String("database", c.Database),
		slog.String("data_dir", c.DataDir),
		slog.String("store_addr", c.StoreAddr),
		slog.String("time_zone", c.TimeZone),
		slog.String("store_timeout", c.StoreTimeout.String()),
		slog.String("read_timeout", c.ReadTimeout.String()),
		slog.String("shutdown_timeout", c.ShutdownTimeout.String()),
		slog.String("client_refresh", c.ClientRefresh.String()),
		slog.Float64("rate_limit", c.RateLimit),
		slog.Int("rate_burst", c.RateBurst),
		slog.Bool("group_commit", c.GroupCommit),
		slog.Int("group_commit_max_batch", c.GroupCommitMaxBatch),
		slog.String("group_commit_max_wait", c.GroupCommitMaxWait.String()),
		slog.Int("max_in_flight", c.MaxInFlight),
		slog.Int("bcrypt_cost", c.BcryptCost),
		slog.String("log_level", c.LogLevel.String()),
		slog.Bool("export_traces", c.ExportTraces()),
		slog.Bool("push_metrics", c.PushMetrics()),
	)
}

func mask(secret string) string {
	if secret == "" {
		return ""
	}
	return "***"
}

// redactURI hides the password of a connection string.
func redactURI(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return mask(uri)
	}
	return u.Redacted()
}

// nameVariables rewrites the parse errors in err, which name Config's Go fields, to name
// the environment variables and the values they had.
func nameVariables(err error, variables map[string]string) error {
	var aggregate env.AggregateError
	if !errors.As(err, &aggregate) {
		return err
	}
	configType := reflect.TypeFor[Config]()
	errs := make([]error, 0, len(aggregate.Errors))
	for _, e := range aggregate.Errors {
		var parse env.ParseError
		field, ok := reflect.StructField{}, false
		if errors.As(e, &parse) {
			field, ok = configType.FieldByName(parse.Name)
		}
		if !ok || field.Tag.Get("env") == "" {
			errs = append(errs, e)
			continue
		}
		name := field.Tag.Get("env")
		errs = append(errs, fmt.Errorf("%s=%q is not a valid %s: %w", name, variables[name], parse.Type, parse.Err))
	}
	return errors.Join(errs...)
}
