package vrrp

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata/scenarios/*.txt")

// TestScenarios runs the scenario scripts in testdata/scenarios. A script is
// a list of blocks; each block is one or more commands, a line "----", and
// the output those commands must produce (the actions the instances emitted,
// stamped with the fake clock), ended by a blank line. Lines starting with
// # are comments. Commands:
//
//	router NAME [prio=N] [version=2|3] [interval=DUR] [state=master] [nopreempt]
//	       [preempt_delay=DUR] [down_timer_adverts=N] [garp_delay=DUR] [garp_repeat=N]
//	       [garp_refresh=DUR] [garp_refresh_repeat=N] [garp_lower_prio_repeat=N]
//	       [garp_lower_prio_delay=DUR] [lower_prio_no_advert] [higher_prio_send_advert]
//	       [addr=IP] [vrid=N] [routes] [rules] [notify_priority_changes]
//	group NAME ROUTER...          sync group (before start)
//	start ROUTER...               start at the current time
//	stop ROUTER                   shut down (priority 0 from a master)
//	run DUR                       advance the clock, delivering packets and timers
//	delay DUR                     delivery delay of later packets (default 1ms)
//	loss RATE                     drop this fraction (0..1) of later packets
//	partition R... | R...         cut every link between the two sides
//	heal                          restore all links
//	track ROUTER NAME weight=N up|down
//	state                         print every router's state and priority
//	verbose on|off                also print periodic adverts and timers
//
// Periodic adverts (priority > 0) and timer updates are only printed in
// verbose mode. Run with -rewrite to regenerate the expected output.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runScenario(t, f) })
	}
}

type scenarioBlock struct {
	line     int
	comments []string
	cmds     []string
	want     []string
}

func parseScenario(t *testing.T, path string) []scenarioBlock {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []scenarioBlock
	var cur scenarioBlock
	inOutput := false
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case inOutput && line == "":
			blocks = append(blocks, cur)
			cur, inOutput = scenarioBlock{}, false
		case inOutput:
			cur.want = append(cur.want, line)
		case line == "----":
			inOutput = true
		case strings.HasPrefix(line, "#") || line == "" && len(cur.cmds) == 0:
			if len(cur.cmds) > 0 {
				t.Fatalf("%s:%d: comment inside a command block", path, i+1)
			}
			cur.comments = append(cur.comments, line)
		case line == "":
			t.Fatalf("%s:%d: blank line before ----", path, i+1)
		default:
			if len(cur.cmds) == 0 {
				cur.line = i + 1
			}
			cur.cmds = append(cur.cmds, line)
		}
	}
	if inOutput {
		blocks = append(blocks, cur)
	} else if len(cur.cmds) > 0 {
		t.Fatalf("%s: last block has no ---- line", path)
	}
	return blocks
}

func runScenario(t *testing.T, path string) {
	blocks := parseScenario(t, path)
	n := newSimnet(t, 1)
	groups := map[string][]*Instance{}
	var out strings.Builder
	failed := false
	for _, b := range blocks {
		for _, c := range b.comments {
			out.WriteString(c + "\n")
		}
		n.trace = n.trace[:0]
		for _, c := range b.cmds {
			if err := scenarioCommand(n, groups, c); err != nil {
				t.Fatalf("%s:%d: %s: %v", path, b.line, c, err)
			}
		}
		got := append([]string(nil), n.trace...)
		if strings.Join(got, "\n") != strings.Join(b.want, "\n") && !*rewrite {
			failed = true
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", path, b.line, strings.Join(b.cmds, "; "),
				strings.Join(got, "\n"), strings.Join(b.want, "\n"))
		}
		out.WriteString(strings.Join(b.cmds, "\n") + "\n----\n")
		for _, g := range got {
			out.WriteString(g + "\n")
		}
		out.WriteString("\n")
	}
	if *rewrite {
		if err := os.WriteFile(path, []byte(strings.TrimSuffix(out.String(), "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if failed {
		t.Log("run with -rewrite to accept the new output, after checking it")
	}
}

func scenarioCommand(n *simnet, groups map[string][]*Instance, line string) error {
	f := strings.Fields(line)
	switch f[0] {
	case "router":
		if len(f) < 2 {
			return fmt.Errorf("router needs a name")
		}
		cfg := nodeConfig(f[1], len(n.nodes))
		cfg.VRID = 51
		if err := applyRouterOptions(&cfg, f[2:]); err != nil {
			return err
		}
		n.add(cfg)
	case "group":
		if len(f) < 3 {
			return fmt.Errorf("group needs a name and members")
		}
		var members []*Instance
		for _, name := range f[2:] {
			members = append(members, n.node(name).in)
		}
		if _, err := NewSyncGroup(f[1], members...); err != nil {
			return err
		}
		groups[f[1]] = members
	case "start":
		n.start(f[1:]...)
	case "stop":
		n.stop(f[1])
	case "run":
		d, err := time.ParseDuration(f[1])
		if err != nil {
			return err
		}
		n.runFor(d)
	case "delay":
		d, err := time.ParseDuration(f[1])
		if err != nil {
			return err
		}
		n.delay = d
	case "loss":
		r, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return err
		}
		n.dropRate = r
		n.tracef("loss %s", f[1])
	case "partition":
		var sides [2][]*simnode
		side := 0
		for _, name := range f[1:] {
			if name == "|" {
				side = 1
				continue
			}
			sides[side] = append(sides[side], n.node(name))
		}
		n.partition(sides[0], sides[1])
		n.tracef("partition %s", strings.Join(f[1:], " "))
	case "heal":
		n.heal()
		n.tracef("heal")
	case "track":
		if len(f) != 5 || !strings.HasPrefix(f[3], "weight=") {
			return fmt.Errorf("usage: track ROUTER NAME weight=N up|down")
		}
		w, err := strconv.Atoi(strings.TrimPrefix(f[3], "weight="))
		if err != nil {
			return err
		}
		n.node(f[1]).in.SetTracker(n.now, f[2], w, f[4] == "up")
		n.drain()
	case "state":
		for _, nd := range n.nodes {
			s := nd.in.Snapshot()
			n.tracef("%s: %s prio=%d master=%v", nd.name, s.State, s.EffectivePriority, s.MasterAddr)
		}
	case "verbose":
		n.verbose = f[1] == "on"
	default:
		return fmt.Errorf("unknown command %q", f[0])
	}
	return nil
}

func applyRouterOptions(c *Config, opts []string) error {
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		var err error
		dur := func() time.Duration {
			var d time.Duration
			d, err = time.ParseDuration(v)
			return d
		}
		num := func() int {
			var i int
			i, err = strconv.Atoi(v)
			return i
		}
		switch k {
		case "prio":
			c.Priority = uint8(num())
		case "version":
			c.Version = uint8(num())
		case "interval":
			c.AdvertInterval = dur()
		case "state":
			c.InitialMaster = v == "master"
		case "nopreempt":
			c.NoPreempt = true
		case "preempt_delay":
			c.PreemptDelay = dur()
		case "down_timer_adverts":
			c.DownTimerAdverts = num()
		case "garp_delay":
			c.GARPMasterDelay = dur()
		case "garp_repeat":
			c.GARPMasterRepeat = num()
		case "garp_refresh":
			c.GARPMasterRefresh = dur()
		case "garp_refresh_repeat":
			c.GARPMasterRefreshRepeat = num()
		case "garp_lower_prio_repeat":
			c.GARPLowerPrioRepeat = num()
		case "garp_lower_prio_delay":
			c.GARPLowerPrioDelay = dur()
		case "lower_prio_no_advert":
			c.LowerPrioNoAdvert = true
		case "higher_prio_send_advert":
			c.HigherPrioSendAdvert = true
		case "vrid":
			c.VRID = uint8(num())
		case "addr":
			c.PrimaryAddr, err = netip.ParseAddr(v)
		case "routes":
			c.HasVirtualRoutes = true
		case "rules":
			c.HasVirtualRules = true
		case "notify_priority_changes":
			c.NotifyPriorityChanges = true
		default:
			return fmt.Errorf("unknown router option %q", o)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", o, err)
		}
	}
	return nil
}
