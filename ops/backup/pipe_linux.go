package backup

import (
	"os"

	"golang.org/x/sys/unix"
)

// setPipeSize asks the kernel for a pipe buffer of n bytes; errors are ignored, the
// pipe keeps its size.
func setPipeSize(f *os.File, n int) {
	if c, err := f.SyscallConn(); err == nil {
		_ = c.Control(func(fd uintptr) { _, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, n) })
	}
}
