// kvdhcp serves DHCPv4 and DHCPv6 to one guest with KubeVirt's own servers
// (kubevirt.io/kubevirt's pkg/network/dhcp/server and serverv6), called
// with what virt-launcher passes them on the masquerade binding
// (pkg/network/driver/common.go, pkg/network/dhcp/masquerade.go): any
// client's MAC, the gateway as server and router, the pod's name servers
// and search domains, no routes, the pod NIC's MTU, the pod's host name.
// The guest test runs it inside its network namespace and a UTS namespace
// of its own, in place of the launcher.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"kubevirt.io/client-go/log"

	"kubevirt.io/kubevirt/pkg/network/dhcp/server"
	"kubevirt.io/kubevirt/pkg/network/dhcp/serverv6"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kvdhcp:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("kvdhcp", flag.ContinueOnError)
	iface := fs.String("iface", "br0", "the bridge the guest's tap is on")
	ip4 := fs.String("ip", "", "the guest's IPv4 address with prefix (10.0.2.2/24)")
	gw4 := fs.String("gateway", "", "the launcher's IPv4 address: server and router")
	ip6 := fs.String("ip6", "", "the guest's IPv6 address; empty: no DHCPv6")
	mtu := fs.Uint("mtu", 1500, "the pod NIC's MTU (option 26)")
	dns := fs.String("dns", "", "comma-separated IPv4 name servers (option 6)")
	search := fs.String("search", "", "comma-separated search domains (option 119; option 15 from them)")
	hostname := fs.String("hostname", "", "the pod's host name (option 12); set in the process's UTS namespace, which must be its own")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ip, ipNet, err := net.ParseCIDR(*ip4)
	if err != nil {
		return fmt.Errorf("-ip %q: %v", *ip4, err)
	}
	gw := net.ParseIP(*gw4).To4()
	if gw == nil {
		return fmt.Errorf("-gateway %q: not an IPv4 address", *gw4)
	}
	if *mtu < 68 || *mtu > 65535 {
		return fmt.Errorf("-mtu %d: not between 68 and 65535", *mtu)
	}
	var v6 net.IP
	if *ip6 != "" {
		if v6 = net.ParseIP(*ip6); v6 == nil || v6.To4() != nil {
			return fmt.Errorf("-ip6 %q: not an IPv6 address", *ip6)
		}
	}
	var servers [][]byte
	for _, s := range split(*dns) {
		a := net.ParseIP(s).To4()
		if a == nil {
			return fmt.Errorf("-dns %q: not an IPv4 address", s)
		}
		servers = append(servers, a)
	}
	if *hostname != "" {
		// SingleClientDHCPServer sends os.Hostname(), as the launcher's
		// pod has it.
		if err := syscall.Sethostname([]byte(*hostname)); err != nil {
			return fmt.Errorf("-hostname: %v", err)
		}
	}
	// Verbosity 4: the servers log each message they answer, which the
	// guest test reads as the proof of a lease.
	log.InitializeLogging("kvdhcp")
	if err := log.Log.SetVerbosityLevel(4); err != nil {
		return err
	}
	errs := make(chan error, 2)
	go func() {
		errs <- server.SingleClientDHCPServer(nil, ip, ipNet.Mask, *iface, gw, gw, servers, nil, split(*search), uint16(*mtu), nil)
	}()
	if v6 != nil {
		go func() { errs <- serverv6.SingleClientDHCPv6Server(v6, *iface, nil) }()
	}
	err = <-errs
	if err == nil {
		err = errors.New("a DHCP server stopped")
	}
	return err
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
