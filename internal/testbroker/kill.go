package testbroker

import (
	"fmt"
	"syscall"
	"time"
)

// Kill ends the node as a crash or a power cut would: SIGKILL to its VM
// (the beam process, our child, and the helpers in its process group), no
// shutdown at all. Its peers see it go at once (the distribution link
// closes); its clients' sockets are reset by the kernel. The data folder
// stays, so Start brings it back.
func (n *Node) Kill() error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.cmd, n.exited = nil, nil
	n.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("node %s is not running", n.Name)
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-exited:
		return nil
	case <-time.After(StopTimeout):
		return fmt.Errorf("node %s did not exit after SIGKILL", n.Name)
	}
}

// Running reports whether the node's VM is running (booted, not stopped
// or killed since).
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}
