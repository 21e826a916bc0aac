package state

import bolt "go.etcd.io/bbolt"

// OpenWith opens a store with an explicit migration list, so tests can prove that
// migrations run forward once each, in order.
func OpenWith(path string, steps []func(*bolt.Tx) error) (*Store, error) {
	ms := make([]migration, len(steps))
	for i, s := range steps {
		ms[i] = s
	}
	return open(path, ms)
}

// FirstMigrations are the first n released steps, so a test can make a file of an older
// schema and open it with this build.
func FirstMigrations(n int) []func(*bolt.Tx) error {
	steps := make([]func(*bolt.Tx) error, n)
	for i := range n {
		steps[i] = migrations[i]
	}
	return steps
}
