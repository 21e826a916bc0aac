package s3store

// PartSize is the part size for a stream expected to be about expected bytes, such that
// maxParts parts (0: 10000) hold twice that: the stream's length is unknown when the
// upload starts and the part size cannot change afterwards. It is a whole number of MiB,
// at least MinPartSize (part buffers are most of an upload's memory) and at most
// MaxPartSize; DefaultPartSize when nothing is expected.
//
// For 10000 parts: up to 24 GiB expected → 5 MiB; 39 GiB → 8 MiB; 200 GiB → 41 MiB.
func PartSize(expected int64, maxParts int32) int64 {
	if maxParts <= 0 || maxParts > MaxParts {
		maxParts = MaxParts
	}
	m := int64(maxParts)
	if expected <= 0 {
		return DefaultPartSize
	}
	if expected/m >= MaxPartSize/2 { // also keeps 2*expected from overflowing
		return MaxPartSize
	}
	need := (2*expected + m - 1) / m // ceil(2·expected / maxParts)
	need = (need + MiB - 1) / MiB * MiB
	return min(max(need, MinPartSize), MaxPartSize)
}

// Concurrency is how many parts may be in flight within a memory budget of bytes.
//
// Upload holds Concurrency+1 part buffers (transfermanager's pool, allocated when the
// multipart upload starts) plus the first part, which transfermanager reads with
// io.ReadAll outside the pool: PartSize × (Concurrency+2) in all. The result is at least
// 1 and at most MaxConcurrency.
func Concurrency(partSize, budget int64) int {
	if partSize <= 0 {
		partSize = DefaultPartSize
	}
	n := budget/partSize - 2
	return int(min(max(n, 1), MaxConcurrency))
}
