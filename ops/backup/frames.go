package backup

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Sizes of the parallel compressor, chosen by measurement on the bench database
// (bench/backup). Frames are compressed independently, so each starts without history:
// against one zstd stream, 8 MiB frames with a 2 MiB window cost 0.4% in size (4 MiB
// frames: 0.6%; a 1 MiB window: 0.7%), which keeps the object below pg_dump's own gzip.
const (
	frameSize   = 8 << 20
	frameWindow = 2 << 20
	chunkSize   = 256 << 10 // input handed to a worker at a time
	// compressWorkers is the frames compressed at once: two use the core PostgreSQL
	// leaves on a small host; more would add memory (a window and a backlog each)
	// without making pg_dump, the other half of the pipeline, any faster.
	compressWorkers = 2
	backlog         = 8 // chunks a worker may have queued
)

// frameEncoder compresses what is written to it into a sequence of independent zstd
// frames of frameSize input bytes each, compressed by `workers` encoders at once and
// written to w in input order. A sequence of frames is one valid zstd stream (RFC 8878
// §3): `zstd -d` and any decoder read it as one.
//
// Why: one zstd stream is sequential and keeps a single core busy; on a small host that
// made compression the slowest stage of a backup while PostgreSQL's core sat partly
// idle. Frames go to the workers in turn; a worker compresses its frame as the input
// arrives (its encoder's window is all the history it keeps) and writes its output
// straight to w once the frames before it are written, buffering only what it makes
// before that. So memory per worker is its encoder's history (twice the window), a
// backlog of chunks and part of a compressed frame, not whole frames. Two workers
// overlap while one drains its backlog after its frame ends and the next starts: 1.23×
// one worker's speed with unlimited input (BenchmarkFrameEncoder); on the 2-core bench
// host a backup went from 1.84× to 1.71× pg_dump's own time (bench/backup).
//
// Write, Close and Abort are for one goroutine. Write blocks while the worker whose turn
// it is has a full backlog.
type frameEncoder struct {
	w       io.Writer
	workers []*frameWorker
	pool    chan []byte // free chunks
	chunk   []byte      // being filled by Write
	size    int         // input bytes per frame: frameSize
	cur     int         // the worker the current frame goes to
	fill    int         // input bytes of the current frame so far
	frames  int         // frames ended so far
	closed  bool
	wg      sync.WaitGroup

	mu  sync.Mutex
	err error // the first failure, returned by every later call
}

type frameWorker struct {
	e    *frameEncoder
	enc  *zstd.Encoder
	in   chan piece
	own  bool          // holds the turn: its output goes straight to w
	buf  bytes.Buffer  // output made before its turn
	turn chan struct{} // holds a token when this worker may write
	next chan struct{} // the next worker's turn
}

// piece is a chunk of input, or the end of a frame.
type piece struct {
	b   []byte
	end bool
}

func newFrameEncoder(w io.Writer, level zstd.EncoderLevel, workers int) (*frameEncoder, error) {
	return newFrameEncoderSize(w, level, workers, frameSize)
}

// newFrameEncoderSize is newFrameEncoder with frames of size input bytes (tests).
func newFrameEncoderSize(w io.Writer, level zstd.EncoderLevel, workers, size int) (*frameEncoder, error) {
	workers = max(workers, 1)
	e := &frameEncoder{w: w, size: size, pool: make(chan []byte, workers*backlog+1)}
	for range cap(e.pool) {
		e.pool <- make([]byte, 0, chunkSize)
	}
	for range workers {
		fw := &frameWorker{e: e, in: make(chan piece, backlog+1), turn: make(chan struct{}, 1)}
		enc, err := zstd.NewWriter(fw, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(frameWindow))
		if err != nil {
			return nil, err
		}
		fw.enc = enc
		e.workers = append(e.workers, fw)
	}
	for i, fw := range e.workers {
		fw.next = e.workers[(i+1)%workers].turn
	}
	e.workers[0].turn <- struct{}{}
	e.wg.Add(workers)
	for _, fw := range e.workers {
		go e.run(fw)
	}
	return e, nil
}

// run compresses the worker's frames. Frames go to the workers in a fixed rotation and a
// worker writes only while it holds the turn, which it passes on at the end of each
// frame, so frames reach w in input order.
func (e *frameEncoder) run(fw *frameWorker) {
	defer e.wg.Done()
	for p := range fw.in {
		if !p.end {
			if e.failed() == nil { // after a failure, only drain
				// Errors are the output's, recorded by fw.Write; the encoder's
				// own are for bad options, which NewWriter checked.
				_, _ = fw.enc.Write(p.b)
			}
			e.pool <- p.b[:0]
			continue
		}
		_ = fw.enc.Close() // the frame's last block and checksum, through fw.Write
		if !fw.own {
			<-fw.turn
		}
		fw.flush()
		fw.own = false
		fw.next <- struct{}{}
		fw.enc.Reset(fw)
	}
}

// Write takes the encoder's output: straight to w while the worker holds the turn,
// buffered before it. It never fails, so the encoder stays usable for the next frame;
// a failed w is recorded and what follows is dropped.
func (fw *frameWorker) Write(p []byte) (int, error) {
	if !fw.own {
		select {
		case <-fw.turn:
			fw.own = true
		default:
			return fw.buf.Write(p)
		}
	}
	fw.flush()
	fw.e.output(p)
	return len(p), nil
}

// flush writes the buffered output; the worker holds the turn.
func (fw *frameWorker) flush() {
	if fw.buf.Len() > 0 {
		fw.e.output(fw.buf.Bytes())
		fw.buf.Reset()
	}
}

// output writes p to w unless w failed before.
func (e *frameEncoder) output(p []byte) {
	if e.failed() != nil {
		return
	}
	if _, err := e.w.Write(p); err != nil {
		e.fail(err)
	}
}

func (e *frameEncoder) failed() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// fail records err unless an earlier error is recorded.
func (e *frameEncoder) fail(err error) {
	e.mu.Lock()
	if e.err == nil {
		e.err = err
	}
	e.mu.Unlock()
}

func (e *frameEncoder) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := e.failed(); err != nil {
			return n, err
		}
		if e.closed {
			return n, errors.New("backup: write after close")
		}
		if e.chunk == nil {
			e.chunk = <-e.pool
		}
		k := min(len(p), chunkSize-len(e.chunk), e.size-e.fill)
		e.chunk = append(e.chunk, p[:k]...)
		e.fill += k
		p, n = p[k:], n+k
		if len(e.chunk) == chunkSize || e.fill == e.size {
			e.send()
		}
		if e.fill == e.size {
			e.endFrame()
		}
	}
	return n, nil
}

// send hands the current chunk to the current frame's worker.
func (e *frameEncoder) send() {
	e.workers[e.cur].in <- piece{b: e.chunk}
	e.chunk = nil
}

// endFrame ends the current frame and moves on to the next worker.
func (e *frameEncoder) endFrame() {
	e.workers[e.cur].in <- piece{end: true}
	e.cur = (e.cur + 1) % len(e.workers)
	e.fill = 0
	e.frames++
}

// Close compresses and writes what is buffered and waits until every frame is written.
// It returns the first error of a write to w, of compression, or the one Abort gave.
func (e *frameEncoder) Close() error {
	if e.closed {
		return e.failed()
	}
	e.closed = true
	if e.failed() == nil {
		if len(e.chunk) > 0 {
			e.send()
		}
		if e.fill > 0 || e.frames == 0 {
			e.endFrame() // an empty input still makes one (empty) frame
		}
	}
	for _, fw := range e.workers {
		close(fw.in)
	}
	e.wg.Wait()
	for _, fw := range e.workers {
		fw.enc.Reset(io.Discard) // Close would end a frame: not into w
		fw.enc.Close()
	}
	return e.failed()
}

// Abort ends the encoder with err; what was not written to w yet is dropped.
func (e *frameEncoder) Abort(err error) {
	e.fail(err)
	e.Close()
}
