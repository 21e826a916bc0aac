package s3store_test

import (
	"testing"

	"github.com/tootops/tootops/ops/s3store"
)

const (
	mib = 1 << 20
	gib = 1 << 30
)

func TestPartSize(t *testing.T) {
	for _, tc := range []struct {
		name     string
		expected int64
		maxParts int32
		want     int64
	}{
		{"nothing known", 0, 0, 8 * mib},
		{"negative", -5, 10000, 8 * mib},
		{"1.9 GB", 1_900_000_000, 10000, 5 * mib},
		{"24 GiB still fits 5 MiB", 24 * gib, 10000, 5 * mib},
		{"25 GiB", 25 * gib, 10000, 6 * mib},
		{"39 GiB fits 8 MiB", 39 * gib, 10000, 8 * mib},
		{"40 GiB", 40 * gib, 10000, 9 * mib},
		{"200 GB", 200_000_000_000, 10000, 39 * mib},
		{"200 GiB", 200 * gib, 10000, 41 * mib},
		{"maxParts 0 is 10000", 200 * gib, 0, 41 * mib},
		{"maxParts above 10000 is 10000", 200 * gib, 20000, 41 * mib},
		{"1000 parts", 10 * gib, 1000, 21 * mib},
		{"huge is capped", 1 << 62, 10000, 5 * gib},
		{"just below the cap", 5 * gib * 5000, 10000, 5 * gib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s3store.PartSize(tc.expected, tc.maxParts); got != tc.want {
				t.Errorf("PartSize(%d, %d) = %d (%.2f MiB), want %d (%d MiB)", tc.expected, tc.maxParts, got, float64(got)/mib, tc.want, tc.want/mib)
			}
		})
	}
}

// TestPartSizeSuffices checks the promise: maxParts parts always hold twice the expected
// size, below S3's largest object.
func TestPartSizeSuffices(t *testing.T) {
	for _, maxParts := range []int32{1, 2, 7, 1000, 9999, 10000} {
		for expected := int64(1); expected < 20<<40; expected = expected*3 + 12345 {
			ps := s3store.PartSize(expected, maxParts)
			if ps%mib != 0 || ps < s3store.MinPartSize || ps > s3store.MaxPartSize {
				t.Fatalf("PartSize(%d, %d) = %d: not whole MiB in [5 MiB, 5 GiB]", expected, maxParts, ps)
			}
			if ps < s3store.MaxPartSize && ps*int64(maxParts) < 2*expected {
				t.Fatalf("PartSize(%d, %d) = %d: %d parts hold %d < 2×expected", expected, maxParts, ps, maxParts, ps*int64(maxParts))
			}
		}
	}
}

func TestConcurrency(t *testing.T) {
	for _, tc := range []struct {
		partSize, budget int64
		want             int
	}{
		{8 * mib, 64 * mib, 6},   // 8 buffers of 8 MiB
		{8 * mib, 48 * mib, 4},   // the research's 8 MiB × (4+1) pool, plus the first part
		{8 * mib, 8 * mib, 1},    // never below 1
		{8 * mib, 0, 1},          // never below 1
		{41 * mib, 256 * mib, 4}, // 6 buffers fit
		{5 * mib, 1 * gib, 10},   // at most 10 (Spaces: 10 concurrent PUTs per object)
		{0, 80 * mib, 8},         // 0 is the default 8 MiB
	} {
		if got := s3store.Concurrency(tc.partSize, tc.budget); got != tc.want {
			t.Errorf("Concurrency(%d MiB, %d MiB) = %d, want %d", tc.partSize/mib, tc.budget/mib, got, tc.want)
		}
	}
}
