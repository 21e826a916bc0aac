package compose

import cerrdefs "github.com/containerd/errdefs"

// isNotFound reports a container or image that is gone.
func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }

// isConflict reports a container not in a state for the request (killing one that is
// already dead).
func isConflict(err error) bool { return cerrdefs.IsConflict(err) }
