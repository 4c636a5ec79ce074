package status

// Preview is what applying a candidate configuration would change in the
// running daemon, computed without changing anything. Each list names the
// objects as the logs and the status do.
type Preview struct {
	// VRRP is what happens to the VRRP instances.
	VRRP VRRPPreview `json:"vrrp"`
	// IPVSOps are the kernel table operations the candidate's desired
	// table needs, against the table the daemon wants now, with current
	// health applied ("add-server TCP 10.0.0.1:80 -> 10.0.0.3:80 ...").
	IPVSOps []string `json:"ipvs_ops"`
	// Checks are the health checks started, stopped and changed, as
	// "VIRTUAL_SERVER / REAL_SERVER / CHECK".
	Checks CheckPreview `json:"checks"`
	// NotifierChanged is true when notification settings (FIFOs, mail,
	// script user) change, so a new notifier replaces the running one.
	NotifierChanged bool `json:"notifier_changed"`
	// Warnings are the candidate's diagnostics below error severity.
	Warnings []string `json:"warnings,omitempty"`
}

// VRRPPreview sorts instances by what a reload does to them: kept as
// they are, added, removed (a master hands over with priority 0), or
// restarted in the state they are in (settings changed; a master stays
// master, see the reload rules).
type VRRPPreview struct {
	Kept      []string `json:"kept"`
	Added     []string `json:"added"`
	Removed   []string `json:"removed"`
	Restarted []string `json:"restarted"`
}

// CheckPreview lists health checks by what a reload does to them.
type CheckPreview struct {
	Started []string `json:"started"`
	Stopped []string `json:"stopped"`
	Changed []string `json:"changed"`
}
