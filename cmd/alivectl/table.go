package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alived/alived/status"
)

// ANSI colours. Every cell of a coloured column (its header too) carries
// a start code of the same length and the same reset, so tabwriter's
// column widths, which count the codes, stay visually aligned.
const (
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	red    = "\x1b[31m"
	plain  = "\x1b[39m"
	reset  = "\x1b[0m"
)

// painter colours cells when output goes to a terminal.
type painter bool

func (p painter) paint(code, s string) string {
	if !p {
		return s
	}
	return code + s + reset
}

func (p painter) state(s string) string {
	switch s {
	case status.StateMaster:
		return p.paint(green, s)
	case status.StateBackup:
		return p.paint(plain, s)
	case status.StateFault:
		return p.paint(red, s)
	}
	return p.paint(yellow, s)
}

func (p painter) health(up bool, down string) string {
	if up {
		return p.paint(green, "UP")
	}
	return p.paint(red, down)
}

// ago renders the time since t for a dashboard ("3m12s").
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printStatus renders s as a dashboard of aligned tables.
func printStatus(w io.Writer, s *status.Snapshot, now time.Time, color bool) error {
	p := painter(color)
	reload := "never reloaded"
	if !s.LastReload.IsZero() {
		verdict := p.paint(green, "ok")
		if !s.LastReloadOK {
			verdict = p.paint(red, "FAILED")
		}
		reload = fmt.Sprintf("last reload %s ago: %s", ago(now, s.LastReload), verdict)
	}
	fmt.Fprintf(w, "alived %s  config %s  up %s  reloads %d (%s)\n", orDash(s.Build.Version), orDash(s.ConfigFile), ago(now, s.Started), s.Reloads, reload)
	if s.LVSError != "" {
		fmt.Fprintf(w, "%s %s\n", p.paint(red, "IPVS update failing:"), s.LVSError)
	}

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w)
	if len(s.Instances) == 0 {
		fmt.Fprintln(w, "no VRRP instances")
	} else {
		fmt.Fprintln(tw, "VRRP INSTANCE\t"+p.paint(plain, "STATE")+"\tPRIO\tIFACE\tVRID\tMASTER\tSINCE\tADVERTS IN/OUT\tVIPS")
		for _, in := range s.Instances {
			prio := strconv.Itoa(int(in.EffectivePriority))
			if in.EffectivePriority != in.BasePriority {
				prio += "/" + strconv.Itoa(int(in.BasePriority))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%d/%d\t%s\n", in.Name, p.state(in.State), prio, orDash(in.Interface),
				in.VRID, orDash(in.MasterAddr), ago(now, in.Since), in.Stats.AdvertRcvd, in.Stats.AdvertSent, orDash(strings.Join(in.VIPs, " ")))
			for _, t := range in.Trackers {
				fmt.Fprintf(tw, "  %s %s\t%s\t%+d\t\t\t\t\t\t\n", t.Kind, t.Name, p.health(t.Up, "DOWN"), t.Weight)
			}
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("writing status: %w", err)
		}
	}
	if len(s.SyncGroups) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "SYNC GROUP\t"+p.paint(plain, "STATE")+"\tMEMBERS")
		for _, g := range s.SyncGroups {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Name, p.state(g.State), orDash(strings.Join(g.Members, " ")))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("writing status: %w", err)
		}
	}
	if len(s.Scripts) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "VRRP SCRIPT\t"+p.paint(plain, "STATUS"))
		for _, sc := range s.Scripts {
			st := p.paint(green, "GOOD")
			if !sc.Up {
				st = p.paint(red, "BAD")
			}
			fmt.Fprintf(tw, "%s\t%s\n", sc.Name, st)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("writing status: %w", err)
		}
	}
	if len(s.VirtualServers) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "VIRTUAL SERVER / REAL SERVER\t"+p.paint(plain, "STATE")+"\tWEIGHT CFG/EFF\tOVERRIDE\tCHECK\tLAST ERROR")
	for _, vs := range s.VirtualServers {
		q := p.health(vs.QuorumUp, "NO QUORUM")
		if vs.SorryActive {
			q = p.paint(yellow, "SORRY")
		}
		svcs := make([]string, 0, len(vs.Services))
		for _, sv := range vs.Services {
			svcs = append(svcs, serviceString(sv))
		}
		// The name operators type (alivectl rs drain VS RS); a group
		// also lists the services it expands to.
		name := vs.Name
		if vs.ID != "" {
			name = vs.ID
		}
		if len(svcs) > 1 || strings.HasPrefix(vs.ID, "group:") {
			name += " (" + strings.Join(svcs, ", ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\tsum %d, quorum %d\t%s\t\t\n", name, q, vs.WeightSum, vs.Quorum, overrideCell(vs.Override, now))
		for _, rs := range vs.RealServers {
			st := p.health(rs.Up, "DOWN")
			switch {
			case rs.Up && rs.InTable && rs.EffectiveWeight == 0:
				st = p.paint(yellow, "DRAIN")
			case !rs.InTable && rs.Up:
				st = p.paint(yellow, "OUT")
			}
			check := "-"
			if len(rs.Checks) > 0 {
				c := rs.Checks[0]
				check = fmt.Sprintf("%s %s", c.Kind, rs.CheckDuration.Round(time.Microsecond))
				if len(rs.Checks) > 1 {
					check += fmt.Sprintf(" (+%d)", len(rs.Checks)-1)
				}
			}
			addr := rs.Address + ":" + strconv.Itoa(int(rs.Port))
			if strings.Contains(rs.Address, ":") {
				addr = "[" + rs.Address + "]:" + strconv.Itoa(int(rs.Port))
			}
			switch {
			case rs.Override != nil && rs.Override.Kind == status.OverrideMaint:
				st = p.paint(yellow, "MAINT")
			case rs.Override != nil && rs.Override.Kind == status.OverrideDrain:
				st = p.paint(yellow, "DRAIN")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d/%d\t%s\t%s\t%s\n", addr, st, rs.ConfiguredWeight, rs.EffectiveWeight, overrideCell(rs.Override, now), check, orDash(rs.LastError))
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	return nil
}

func serviceString(sv status.Service) string {
	if sv.FWMark != 0 {
		return "fwmark " + strconv.FormatUint(uint64(sv.FWMark), 10)
	}
	a := sv.Address
	if strings.Contains(a, ":") {
		a = "[" + a + "]"
	}
	return strings.ToLower(sv.Proto) + " " + a + ":" + strconv.Itoa(int(sv.Port))
}

// overrideCell describes an operator override: a drain shows its
// connections counting down, then how long ago it completed.
func overrideCell(o *status.Override, now time.Time) string {
	if o == nil {
		return "-"
	}
	s := string(o.Kind)
	switch o.Kind {
	case status.OverrideWeight:
		s += " " + strconv.Itoa(o.Weight)
	case status.OverrideDrain:
		if o.DrainedAt.IsZero() {
			s += fmt.Sprintf(" (%d active, %d inactive)", o.ActiveConns, o.InactiveConns)
		} else {
			s += " (drained " + ago(now, o.DrainedAt) + " ago)"
		}
	}
	if o.Inherited {
		s += " [vs]"
	}
	return s
}
