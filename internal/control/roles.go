package control

import "strings"

// StagedOps returns the operation of every staged edit, oldest first
// (none when nothing is staged). The web listener's role policy uses it:
// an operator may apply or discard staged edits only when all of them
// merely enable or disable objects.
func (s *Service) StagedOps() []Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		return nil
	}
	ops := make([]Op, 0, len(s.pending.changes))
	for _, c := range s.pending.changes {
		ops = append(ops, summaryOp(c.Summary))
	}
	return ops
}

// summaryOp is the operation a staged change's summary starts with
// (Edit.Summary writes it first; roles_test.go holds it to that).
func summaryOp(summary string) Op {
	op, _, _ := strings.Cut(summary, " ")
	return Op(op)
}
