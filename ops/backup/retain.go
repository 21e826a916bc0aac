package backup

import (
	"context"

	"github.com/tootops/tootops/ops/s3store"
)

// Retain applies the retention policy to the bucket: it lists the database's folder
// page by page, considers only keys of the bot's own pattern, and deletes each dropped
// dump together with its manifest (and manifests whose dump is gone). It returns how many
// backups are kept and how many were deleted.
func (s *Service) Retain(ctx context.Context) (kept, deleted int, err error) {
	var cands []Candidate
	var listed []string
	err = s.o.Store.List(ctx, ListPrefix(s.o.Prefix, s.o.Database), func(o s3store.Object) error {
		listed = append(listed, o.Key)
		taken, ok := ParseKey(s.o.Prefix, s.o.Database, o.Key)
		if !ok {
			return nil
		}
		r, _, err := s.o.Catalogue.Get(o.Key)
		if err != nil {
			return err
		}
		cands = append(cands, Candidate{Key: o.Key, Taken: taken, Verified: r.Verify != nil && r.Verify.OK})
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	d := Plan(cands, s.o.Retention, s.o.Location)
	doomed := append(d.DeleteKeys(), OrphanManifests(s.o.Prefix, s.o.Database, listed)...)
	if len(doomed) > 0 {
		if err := s.o.Store.Delete(ctx, doomed...); err != nil {
			return len(d.Keep), 0, err
		}
	}
	for _, c := range d.Drop {
		if err := s.o.Catalogue.Update(c.Key, func(r *Record) { r.Status = Deleted }); err != nil {
			return len(d.Keep), len(d.Drop), err
		}
	}
	if len(d.Drop) > 0 {
		s.o.Log.Info().Int("kept", len(d.Keep)).Int("deleted", len(d.Drop)).Msg(d.Summary())
	}
	return len(d.Keep), len(d.Drop), nil
}
