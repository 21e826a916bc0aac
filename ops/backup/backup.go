// Package backup streams pg_dump into S3 with live progress, keeps a catalogue and a
// manifest of each backup, proves backups by restoring them into a scratch database, and
// deletes old ones by a retention policy.
//
// The dump path is pg_dump -Fc -Z0 → row counter (ops/pgarchive) → zstd → SHA-256 → S3
// multipart upload, through pipes: memory is bounded by the upload's part buffers and
// nothing touches the disk. The upload completes only after pg_dump exited 0.
package backup

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/rs/zerolog"

	"github.com/tootops/tootops/ops/s3store"
)

// ObjectStore is the S3 bucket, as the backup uses it; *s3store.Store is one.
type ObjectStore interface {
	Upload(ctx context.Context, key string, body io.Reader, o s3store.UploadOptions) (s3store.UploadResult, error)
	Put(ctx context.Context, key string, data []byte, contentType string) error
	Head(ctx context.Context, key string) (s3store.Object, error)
	Get(ctx context.Context, key string) (io.ReadCloser, int64, error)
	List(ctx context.Context, prefix string, fn func(s3store.Object) error) error
	Delete(ctx context.Context, keys ...string) error
	Canary(ctx context.Context, prefix string) error
	AbortPending(ctx context.Context, prefix string) (int, error)
}

// Options configure a Service.
type Options struct {
	Database  string
	Prefix    string // of every key in the bucket, without slashes at the ends
	Source    Source
	Store     ObjectStore
	Catalogue *Catalogue
	// Where names the bucket and the database's place for restore instructions.
	Where Where
	// Level is the zstd level: "fastest", "default" or "better".
	Level     string
	Retention Policy
	// Location is where days, weeks and months of the retention policy begin.
	Location *time.Location
	// PartBudget bounds the memory of the upload's part buffers; 0 means 15 MiB: three
	// 5 MiB parts (one uploading, one filling, and the first, which the upload reads
	// apart), or one part in flight whatever the part size.
	PartBudget int64
	// MaxParts is the store's limit of parts per upload; 0 means S3's 10,000.
	MaxParts int32
	// ReportEvery is how often progress is reported; 0 means every second.
	ReportEvery time.Duration
	Log         zerolog.Logger
	Now         func() time.Time
}

// Service runs backups, verifications and retention for one database.
type Service struct {
	o Options

	mu   sync.Mutex
	live *Live
}

// New returns the service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.PartBudget <= 0 {
		o.PartBudget = 15 << 20
	}
	if o.MaxParts <= 0 {
		o.MaxParts = 10000
	}
	if o.ReportEvery <= 0 {
		o.ReportEvery = time.Second
	}
	if o.Level == "" {
		o.Level = "default"
	}
	o.Log = o.Log.With().Str("component", "backup").Str("database", o.Database).Logger()
	return &Service{o: o}
}

// Database is the database the service backs up.
func (s *Service) Database() string { return s.o.Database }

// Catalogue is the service's catalogue.
func (s *Service) Catalogue() *Catalogue { return s.o.Catalogue }

// encoderLevel maps the config's words to zstd levels.
func encoderLevel(name string) zstd.EncoderLevel {
	switch name {
	case "fastest":
		return zstd.SpeedFastest
	case "better":
		return zstd.SpeedBetterCompression
	}
	return zstd.SpeedDefault
}

// Live is a running backup as `backup status` shows it.
type Live struct {
	Key      string
	JobID    uint64
	Started  time.Time
	Expected int64 // bytes expected to be stored; 0 when unknown
	Estimate bool  // Expected comes from table sizes, not from the previous backup
	stored   atomic.Int64
	raw      atomic.Int64
	table    atomic.Value // string
	rows     atomic.Int64
}

// Stored is how many compressed bytes went to S3 so far.
func (l *Live) Stored() int64 { return l.stored.Load() }

// Raw is how many bytes pg_dump wrote so far.
func (l *Live) Raw() int64 { return l.raw.Load() }

// Table is the table being dumped, and its rows so far.
func (l *Live) Table() (string, int64) {
	t, _ := l.table.Load().(string)
	return t, l.rows.Load()
}

// Running returns the backup in progress, if any.
func (s *Service) Running() (*Live, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live, s.live != nil
}

// counter counts bytes written through it.
type counter struct{ n *atomic.Int64 }

func (c counter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// tailBuffer keeps the last max bytes written to it: pg_dump's stderr, for the failure
// message, without holding a chatty program's whole output.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
