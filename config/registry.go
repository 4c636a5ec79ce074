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
	// Since is the keepalived version that introduced the keyword when it
	// is newer than 2.2.7 (the reference binary rejects it).
	Since string
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

// since marks a keyword added after keepalived 2.2.7.
func (k *kwSpec) since(v string) *kwSpec { k.info.Since = v; return k }

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
