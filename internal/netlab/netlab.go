// Package netlab builds small networks of Linux network namespaces for tests
// and the demo: a hub namespace holding a bridge, and any number of node
// namespaces each attached to it by a veth pair. Everything it creates is
// named after the lab so that several labs (and several test processes) can
// run side by side, and Close removes all of it.
//
// It drives iproute2's `ip` command rather than netlink so that what a test
// does can be replayed by hand from its log.
package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// Lab is a set of namespaces joined by a bridge.
type Lab struct {
	// Prefix starts every namespace and interface name of the lab.
	Prefix string
	hub    string

	mu    sync.Mutex
	nodes []*Node
	procs []*exec.Cmd
}

// Node is one namespace attached to the lab's bridge through Link (its
// interface inside the namespace).
type Node struct {
	lab  *Lab
	Name string // short name given by the caller
	NS   string // namespace name
	Link string // interface name inside the namespace
	MAC  string
}

// New creates the hub namespace and its bridge. prefix should be short (the
// kernel limits interface names to 15 bytes) and unique per process, e.g.
// fmt.Sprintf("t%d", os.Getpid()%100000).
func New(prefix string) (*Lab, error) {
	l := &Lab{Prefix: prefix, hub: prefix + "-hub"}
	steps := [][]string{
		{"netns", "add", l.hub},
		{"-n", l.hub, "link", "set", "lo", "up"},
		{"-n", l.hub, "link", "add", "br0", "type", "bridge"},
		// No STP delay: ports forward as soon as they are up.
		{"-n", l.hub, "link", "set", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0"},
		{"-n", l.hub, "link", "set", "br0", "up"},
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// AddNode creates namespace prefix-name, links it to the bridge with a veth
// pair whose inner end is called eth0, and assigns the given addresses
// (CIDR notation, IPv4 or IPv6).
func (l *Lab) AddNode(name string, addrs ...string) (*Node, error) {
	n := &Node{lab: l, Name: name, NS: l.Prefix + "-" + name, Link: "eth0"}
	l.mu.Lock()
	idx := len(l.nodes)
	l.nodes = append(l.nodes, n)
	l.mu.Unlock()
	outer := fmt.Sprintf("%sv%d", l.Prefix, idx)
	if len(outer) > 15 {
		return nil, fmt.Errorf("netlab: interface name %q too long; use a shorter prefix", outer)
	}
	steps := [][]string{
		{"netns", "add", n.NS},
		{"-n", n.NS, "link", "set", "lo", "up"},
		{"link", "add", outer, "netns", l.hub, "type", "veth", "peer", "name", n.Link, "netns", n.NS},
		{"-n", l.hub, "link", "set", outer, "master", "br0"},
		{"-n", l.hub, "link", "set", outer, "up"},
	}
	for _, a := range addrs {
		args := []string{"-n", n.NS, "addr", "add", a, "dev", n.Link}
		if strings.Contains(a, ":") {
			// Without nodad the address stays tentative for a second and
			// nothing can be sent from it.
			args = append(args, "nodad")
		}
		steps = append(steps, args)
	}
	steps = append(steps, []string{"-n", n.NS, "link", "set", n.Link, "up"})
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return nil, err
		}
	}
	out, err := n.Output("cat", "/sys/class/net/"+n.Link+"/address")
	if err != nil {
		return nil, err
	}
	n.MAC = strings.TrimSpace(out)
	return n, nil
}

// Command returns a command that runs argv inside the node's namespace.
func (n *Node) Command(ctx context.Context, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.NS}, argv...)...)
}

// Output runs argv in the namespace and returns its standard output.
func (n *Node) Output(argv ...string) (string, error) {
	cmd := n.Command(context.Background(), argv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("netlab: %s in %s: %w: %s", strings.Join(argv, " "), n.NS, err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// Start runs argv in the namespace in the background; Close kills it if it
// is still running.
func (n *Node) Start(stdout, stderr *os.File, argv ...string) (*exec.Cmd, error) {
	cmd := n.Command(context.Background(), argv...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("netlab: starting %s in %s: %w", argv[0], n.NS, err)
	}
	n.lab.mu.Lock()
	n.lab.procs = append(n.lab.procs, cmd)
	n.lab.mu.Unlock()
	return cmd, nil
}

// HasAddr reports whether addr (without prefix length) is configured on the
// node's link.
func (n *Node) HasAddr(addr string) (bool, error) {
	out, err := n.Output("ip", "-o", "addr", "show", "dev", n.Link)
	if err != nil {
		return false, err
	}
	for _, f := range strings.Fields(out) {
		if f == addr || strings.HasPrefix(f, addr+"/") {
			return true, nil
		}
	}
	return false, nil
}

// Close kills processes started through the lab and deletes its namespaces
// (deleting a namespace deletes the veth ends and the bridge in it).
func (l *Lab) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.procs {
		if p.ProcessState == nil && p.Process != nil {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}
	var errs []error
	for _, n := range l.nodes {
		if err := ip("netns", "del", n.NS); err != nil {
			errs = append(errs, err)
		}
	}
	if err := ip("netns", "del", l.hub); err != nil {
		errs = append(errs, err)
	}
	l.nodes, l.procs = nil, nil
	return errors.Join(errs...)
}

func ip(args ...string) error {
	cmd := exec.Command("ip", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("netlab: ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
