package config

import (
	"sort"
	"strings"
	"sync"

	"github.com/alived/alived/config/syntax"
)

// Status says how far alived implements a keyword.
type Status int

// Keyword statuses, as shown in the README compatibility table.
const (
	// StatusParsed: accepted, validated and kept in the model; no
	// runtime part acts on it yet.
	StatusParsed Status = iota
	// StatusSupported: a runtime part acts on it.
	StatusSupported
	// StatusNotYet: recognised so that it is not reported as unknown, but
	// ignored with a warning.
	StatusNotYet
)

// String is the word used in the compatibility table.
func (s Status) String() string {
	switch s {
	case StatusSupported:
		return "supported"
	case StatusNotYet:
		return "not yet"
	}
	return "parsed"
}

// KeywordInfo describes one keyword of the registry.
type KeywordInfo struct {
	// Block is the slash-separated path of the enclosing block, "" for
	// the top level, e.g. "virtual_server/real_server/HTTP_GET/url".
	Block string
	// Name is the keyword as written in keepalived.conf.
	Name string
	// Status is how far alived implements it.
	Status Status
	// AliasOf names the preferred keyword when this one is a legacy alias.
	AliasOf string
	// NotIn227 is set for keywords that the reference binary (keepalived
	// 2.2.7 as packaged by Debian 12) reports as unknown: newer keywords
	// and features Debian does not compile in. alived accepts them, so a
	// file using them passes `alived -t` but not `keepalived -t`.
	NotIn227 bool
	// Owner is the runtime package expected to act on the keyword; later
	// work sets Status to StatusSupported when it does.
	Owner string
}

// handler decodes one keyword line into target (a pointer to the model
// object of the enclosing block).
type handler func(d *decoder, n *syntax.Node, target any)

// kwSpec is a keyword in a block specification.
type kwSpec struct {
	info KeywordInfo
	fn   handler
	// sub lists the keywords of the block the keyword opens, when the
	// registry knows them; it is used for documentation only, the handler
	// walks the children itself.
	sub *blockSpec
}

// blockSpec is the set of keywords one block accepts.
type blockSpec struct {
	path  string
	order []*kwSpec
	index map[string]*kwSpec
}

func newBlock(path string, kws ...*kwSpec) *blockSpec {
	b := &blockSpec{path: path, index: map[string]*kwSpec{}}
	for _, k := range kws {
		b.add(k)
	}
	return b
}

func (b *blockSpec) add(k *kwSpec) {
	k.info.Block = b.path
	k.info.NotIn227 = notIn227[b.path+" "+k.info.Name]
	if _, dup := b.index[k.info.Name]; dup {
		panic("config: keyword registered twice: " + b.path + "/" + k.info.Name)
	}
	b.order = append(b.order, k)
	b.index[k.info.Name] = k
}

func (b *blockSpec) lookup(name string) *kwSpec { return b.index[name] }

// on registers a keyword whose handler works on a *T target.
func on[T any](name string, fn func(d *decoder, n *syntax.Node, t *T)) *kwSpec {
	return &kwSpec{
		info: KeywordInfo{Name: name},
		fn: func(d *decoder, n *syntax.Node, t any) {
			fn(d, n, t.(*T))
		},
	}
}

// alias marks k as a legacy spelling of another keyword.
func (k *kwSpec) alias(of string) *kwSpec { k.info.AliasOf = of; return k }

// owner records which runtime package will act on the keyword.
func (k *kwSpec) owner(pkg string) *kwSpec { k.info.Owner = pkg; return k }

// status sets the implementation status.
func (k *kwSpec) status(s Status) *kwSpec { k.info.Status = s; return k }

// block attaches the keyword list of the block the keyword opens.
func (k *kwSpec) block(b *blockSpec) *kwSpec { k.sub = b; return k }

// registryOnce builds the keyword tables once; they are never modified
// afterwards.
var registryOnce = sync.OnceValue(buildRegistry)

// Keywords lists every keyword alived recognises, sorted by block and name.
func Keywords() []KeywordInfo {
	var out []KeywordInfo
	var walk func(b *blockSpec, path string)
	walk = func(b *blockSpec, path string) {
		for _, k := range b.order {
			info := k.info
			info.Block = path
			out = append(out, info)
			if k.sub != nil {
				sub := k.info.Name
				if path != "" {
					sub = path + "/" + sub
				}
				walk(k.sub, sub)
			}
		}
	}
	walk(registryOnce(), "")
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Block != out[j].Block {
			return blockLess(out[i].Block, out[j].Block)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// blockLess orders the top level first, then blocks alphabetically.
func blockLess(a, b string) bool {
	if a == "" || b == "" {
		return a == ""
	}
	return strings.ToLower(a) < strings.ToLower(b)
}

// notIn227 lists the keywords keepalived 2.2.7 (Debian 12 build) rejects
// as unknown, found by feeding every keyword of keepalived's current parser
// tables to `keepalived -t`.
var notIn227 = map[string]bool{
	"virtual_server/real_server/HTTP_GET sni_name":          true,
	"virtual_server/real_server/SSL_GET sni_name":           true,
	"virtual_server/real_server/HTTP_GET tls_compliant":     true,
	"virtual_server/real_server/SSL_GET tls_compliant":      true,
	"virtual_server/real_server/HTTP_GET/url tls_compliant": true,
	"virtual_server/real_server/SSL_GET/url tls_compliant":  true,
	"global_defs use_symlink_paths":                         true,
	"global_defs set_supplementary_groups":                  true,
	"global_defs v3_checksum_as_v2":                         true,
	"global_defs vrrp_ipsets":                               true,
	"global_defs snmp_vs_stats_update_interval":             true,
	"global_defs snmp_rs_stats_update_interval":             true,
	"global_defs dbus_no_interface_name":                    true,
	"global_defs vrrp_delay_after_boot":                     true,
	"global_defs vrrp_owner_ignore_adverts":                 true,
	"global_defs json_version":                              true,
	"global_defs iproute_usr_dir":                           true,
	"global_defs iproute_etc_dir":                           true,
	"global_defs state_dump_file":                           true,
	"global_defs stats_dump_file":                           true,
	"global_defs json_dump_file":                            true,
	"vrrp_instance no_virtual_ipaddress":                    true,
	"vrrp_instance v3_checksum_as_v2":                       true,
	"vrrp_instance timer_expired_backup":                    true,
	"vrrp_instance thread_timer_expired":                    true,
	"vrrp_instance owner_ignore_adverts":                    true,
	"vrrp_instance auth_hmac":                               true,
	"bfd_instance multihop":                                 true,
}
