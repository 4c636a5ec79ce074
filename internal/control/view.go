package control

import (
	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/config/ident"
)

// ConfigView is the configuration as the editor sees it: the staged
// candidate when edits are staged, else the files on disk.
type ConfigView struct {
	// Staged tells whether the view includes staged edits.
	Staged         bool             `json:"staged"`
	VirtualServers []edit.VSInfo    `json:"virtual_servers"`
	Groups         []edit.GroupInfo `json:"groups"`
	Globals        edit.Globals     `json:"globals"`
}

// Config returns the configuration view.
func (s *Service) Config() (*ConfigView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.current()
	if err != nil {
		return nil, err
	}
	v := &ConfigView{Staged: s.pending != nil, VirtualServers: p.tree.VirtualServers(), Groups: p.tree.Groups(), Globals: p.tree.Globals()}
	if v.VirtualServers == nil {
		v.VirtualServers = []edit.VSInfo{}
	}
	if v.Groups == nil {
		v.Groups = []edit.GroupInfo{}
	}
	return v, nil
}

// VirtualServer returns one virtual server of the configuration view.
func (s *Service) VirtualServer(name string) (*edit.VSInfo, error) {
	id, err := ident.ParseVS(name)
	if err != nil {
		return nil, wrap(Invalid, err, "show")
	}
	v, err := s.Config()
	if err != nil {
		return nil, err
	}
	for i := range v.VirtualServers {
		if v.VirtualServers[i].ID == id {
			return &v.VirtualServers[i], nil
		}
	}
	return nil, errorf(NotFound, "virtual server %s is not in the configuration", id)
}
