package main

import (
	"net"
	"syscall"
)

// ethernetMSS is the TCP maximum segment size of an Ethernet link (MTU
// 1500 less the IP and TCP headers).
const ethernetMSS = 1460

// ethernetDialer opens broker connections whose segments are Ethernet's
// size, as a fixture PC's are. On loopback the MSS is about 64 KiB, and the
// kernel starts such a socket's send buffer at its net.ipv4.tcp_wmem
// maximum (4 MiB by default); RabbitMQ, accepting a connection, sets its
// Erlang driver buffer to the largest of the socket's send and receive
// buffers, so the broker holds about 4 MiB a loopback connection where it
// holds 300-400 KiB an Ethernet one (whose buffer is 128 KiB). The fleet's
// managers connect this way, so that the broker's memory and work per
// manager are a real fleet's.
func ethernetDialer() *net.Dialer {
	return &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, ethernetMSS)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
}
