//go:build !(linux || darwin || freebsd)

package status

import "errors"

func statfs(path string) (DiskUsage, error) {
	return DiskUsage{}, &pathError{path: path, err: errors.New("disk use is not measured on this system")}
}
