//go:build linux || darwin || freebsd

package status

import "syscall"

// statfs measures the file system holding path as df does: Used is what is taken
// (blocks less the free ones, the root reserve among those), Free what users may still
// write.
func statfs(path string) (DiskUsage, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return DiskUsage{}, &pathError{path: path, err: err}
	}
	bs := int64(st.Bsize)
	return DiskUsage{
		Total: int64(st.Blocks) * bs,
		Used:  (int64(st.Blocks) - int64(st.Bfree)) * bs,
		Free:  int64(st.Bavail) * bs,
	}, nil
}
