package vrrp

import "fmt"

// State is a VRRP instance state, numbered as keepalived numbers them
// (vrrp.h), so that JSON dumps and FIFO consumers see the same values.
type State uint8

// Instance states.
const (
	StateInit    State = 0
	StateBackup  State = 1
	StateMaster  State = 2
	StateFault   State = 3
	StateDeleted State = 97
	StateStop    State = 98
)

// String is the state's name as notify scripts and the FIFO spell it.
func (s State) String() string {
	switch s {
	case StateInit:
		return "INIT"
	case StateBackup:
		return "BACKUP"
	case StateMaster:
		return "MASTER"
	case StateFault:
		return "FAULT"
	case StateDeleted:
		return "DELETED"
	case StateStop:
		return "STOP"
	}
	return fmt.Sprintf("STATE(%d)", uint8(s))
}
