package e2e

import (
	"net"
	"strconv"
	"testing"
	"time"
)

// The webhook the harness starts listens on loopback only: its port answers
// on 127.0.0.1 and is refused on every other address of this machine.
func TestWebhookListensOnLoopbackOnly(t *testing.T) {
	port := strconv.Itoa(wh.Port)
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 5*time.Second)
	if err != nil {
		t.Fatalf("not reachable on loopback: %v", err)
	}
	c.Close()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	tried := 0
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		tried++
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), port), 2*time.Second)
		if err == nil {
			c.Close()
			t.Errorf("the webhook answers on %s", ipn.IP)
		}
	}
	if tried == 0 {
		t.Skip("this machine has no address but loopback to try")
	}
}
