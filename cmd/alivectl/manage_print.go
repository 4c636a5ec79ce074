package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/config/ident"
	"github.com/alived/alived/internal/control"
	"github.com/alived/alived/status"
)

func parseVS(s string) (string, error) {
	id, err := ident.ParseVS(s)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// state is ENABLED/DISABLED plus read-only.
func state(enabled bool, readOnly string) string {
	s := "enabled"
	if !enabled {
		s = "disabled"
	}
	if readOnly != "" {
		s += " (read-only)"
	}
	return s
}

func printVSList(w io.Writer, v *control.ConfigView) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VIRTUAL SERVER\tSTATE\tSCHED\tKIND\tREAL SERVERS\tWHERE")
	for _, vs := range v.VirtualServers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", vs.Name, state(vs.Enabled, vs.ReadOnly), dash(vs.Spec.Scheduler), dash(vs.Spec.Method), len(vs.RealServers), vs.Location)
	}
	_ = tw.Flush()
	if v.Staged {
		fmt.Fprintln(w, "(includes staged edits: see `alivectl changes`)")
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeParams renders params in keepalived syntax.
func writeParams(w io.Writer, ps []edit.Param, indent string) {
	for _, p := range ps {
		line := indent + strings.TrimSpace(p.Keyword+" "+strings.Join(p.Args, " "))
		if p.IsBlock {
			fmt.Fprintln(w, line+" {")
			writeParams(w, p.Block, indent+"  ")
			fmt.Fprintln(w, indent+"}")
			continue
		}
		fmt.Fprintln(w, line)
	}
}

func printVS(w io.Writer, vs *edit.VSInfo) {
	fmt.Fprintf(w, "virtual server %s  %s  at %s\n", vs.Name, state(vs.Enabled, vs.ReadOnly), vs.Location)
	if vs.ReadOnly != "" {
		fmt.Fprintf(w, "read-only: %s\n", vs.ReadOnly)
	}
	writeParams(w, vs.Params, "  ")
	fmt.Fprintln(w)
	printRSList(w, vs)
}

func printRSList(w io.Writer, vs *edit.VSInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REAL SERVER\tSTATE\tWEIGHT\tCHECK\tWHERE")
	for _, rs := range vs.RealServers {
		weight := "1"
		if rs.Spec.Weight != nil {
			weight = fmt.Sprint(*rs.Spec.Weight)
		}
		var checks []string
		for _, c := range rs.Spec.Checks {
			checks = append(checks, c.Keyword)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rs.Name, state(rs.Enabled, rs.ReadOnly), weight, dash(strings.Join(checks, ",")), rs.Location)
	}
	_ = tw.Flush()
}

func printRS(w io.Writer, rs *edit.RSInfo) {
	fmt.Fprintf(w, "real server %s  %s  at %s\n", rs.Name, state(rs.Enabled, rs.ReadOnly), rs.Location)
	if rs.ReadOnly != "" {
		fmt.Fprintf(w, "read-only: %s\n", rs.ReadOnly)
	}
	writeParams(w, rs.Params, "  ")
}

func printGlobals(w io.Writer, g edit.Globals) {
	port, timeout := "-", "-"
	if g.SMTPPort != nil {
		port = fmt.Sprint(*g.SMTPPort)
	}
	if g.SMTPConnectTimeout != nil {
		timeout = fmt.Sprint(*g.SMTPConnectTimeout)
	}
	fmt.Fprintf(w, "notification_email       %s\n", dash(strings.Join(g.NotificationEmail, ", ")))
	fmt.Fprintf(w, "notification_email_from  %s\n", dash(g.NotificationEmailFrom))
	fmt.Fprintf(w, "smtp_server              %s (port %s)\n", dash(g.SMTPServer), port)
	fmt.Fprintf(w, "smtp_connect_timeout     %s\n", timeout)
}

func printPlan(w io.Writer, p *control.Plan) {
	for _, c := range p.Changes {
		fmt.Fprintf(w, "edit: %s\n", c.Summary)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, p.Diff)
	fmt.Fprintln(w)
	printPreview(w, p.Preview)
}

// printPreview says what a reload does, VRRP first: an edit that touches
// no instance must say so plainly.
func printPreview(w io.Writer, p *status.Preview) {
	if p == nil {
		return
	}
	v := p.VRRP
	if len(v.Added)+len(v.Removed)+len(v.Restarted) == 0 {
		fmt.Fprintf(w, "VRRP: no instance touched (%d kept)\n", len(v.Kept))
	} else {
		list := func(what string, names []string) {
			if len(names) > 0 {
				fmt.Fprintf(w, "VRRP %s: %s\n", what, strings.Join(names, ", "))
			}
		}
		list("added", v.Added)
		list("removed", v.Removed)
		list("restarted (state kept)", v.Restarted)
	}
	fmt.Fprintf(w, "IPVS: %d operation(s)\n", len(p.IPVSOps))
	for _, op := range p.IPVSOps {
		fmt.Fprintf(w, "  %s\n", op)
	}
	checks := func(what string, names []string) {
		for _, n := range names {
			fmt.Fprintf(w, "check %s: %s\n", what, n)
		}
	}
	checks("started", p.Checks.Started)
	checks("stopped", p.Checks.Stopped)
	checks("changed", p.Checks.Changed)
	if p.NotifierChanged {
		fmt.Fprintln(w, "notifications: settings change (a new notifier takes over)")
	}
	for _, wn := range p.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
}
