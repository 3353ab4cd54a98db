package mqmanager

import "syscall"

// lowerThreadPriority sets the calling thread's nice value: on Linux a
// thread is a task of its own, and setpriority(PRIO_PROCESS, tid) sets that
// task's alone (POSIX would set the whole process's, glibc's nice() does).
// Raising one's own nice value needs no privilege.
func lowerThreadPriority(nice int) error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
}
