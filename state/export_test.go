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
