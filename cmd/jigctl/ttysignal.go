package main

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Why with-lock does not always forward SIGINT: Ctrl-C in a terminal makes
// the kernel send SIGINT to the terminal's whole foreground process group.
// with-lock's command is not put in a group of its own, so when jigctl is
// in the foreground the command has already had that SIGINT by the time
// jigctl sees its own copy. Forwarding it as well would deliver a second
// interrupt, which many programs take as "abort now, skip cleanup" (a test
// script could then leave a board's output on). SIGTERM is never sent by
// a terminal, so it is always forwarded.
//
// What cannot be told apart: a `kill -INT` aimed at jigctl alone while it
// is the terminal's foreground job looks the same as Ctrl-C, and is not
// forwarded (the command's own pid is the one to signal then).

// SIGQUIT (Ctrl-\) is the terminal's like SIGINT, and is forwarded on
// the same rule. A SIGHUP reaches jigctl's whole process group, the
// command with it, when it comes from a hangup: the shell that loses its
// terminal sends it to each of its jobs, and the kernel to the foreground
// group when the terminal's session leader goes. So it is forwarded only
// to a command in another process group (which with-lock never makes);
// signal the command's own pid to hang it up alone. Either way jigctl
// does not die of it: it waits for the command and then releases the
// lease, so that no command runs on without one, nor a lease outlives its
// command until it expires.

// shouldForward says whether with-lock sends s, which jigctl received, on
// to its command (pid): SIGTERM always, SIGINT and SIGQUIT unless the
// terminal already sent them to the command (terminalSentToo), SIGHUP
// unless it reached the command's process group (jigctl's).
func shouldForward(s os.Signal, pid int) bool {
	switch s {
	case syscall.SIGTERM:
		return true
	case syscall.SIGHUP:
		pg, err := syscall.Getpgid(pid)
		return err != nil || pg != syscall.Getpgrp()
	}
	return !terminalSentToo(pid)
}

// terminalSentToo says whether a SIGINT jigctl just got can have come from
// its controlling terminal to the command pid as well: jigctl has a
// controlling terminal, whose foreground process group is jigctl's own,
// and the command is still in that group. Anything unknown (no terminal,
// a failed ioctl, a command gone) says no: a signal is better forwarded
// twice than lost.
func terminalSentToo(pid int) bool {
	fg, err := foregroundGroup()
	if err != nil {
		return false
	}
	own := syscall.Getpgrp()
	if fg != own {
		return false // no terminal's signal reaches a background job
	}
	pg, err := syscall.Getpgid(pid)
	return err == nil && pg == own
}

// foregroundGroup is the foreground process group of jigctl's controlling
// terminal (TIOCGPGRP on /dev/tty), or an error if it has none.
func foregroundGroup() (int, error) {
	fd, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	return unix.IoctlGetInt(fd, unix.TIOCGPGRP)
}
