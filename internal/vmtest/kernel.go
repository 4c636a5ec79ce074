// Package vmtest boots a small QEMU virtual machine with a Debian kernel
// that has IPVS (the host kernel lacks it) and runs commands or Go test
// binaries inside it.
//
// The guest sees the host's root file system read-only over 9p, so
// binaries built on the host (go test -c), ipvsadm, keepalived and curl run
// unchanged; a second, writable 9p share carries results back. The guest's
// /tmp is a tmpfs, so anything the guest must run has to live outside the
// host's /tmp (the harness uses the project's .cache/vm).
//
// The kernel is fetched with apt-get download, unpacked and cached under
// .cache/vm in the module root (or $ALIVED_VM_CACHE), so a CI run
// downloads it once.
package vmtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// EnvCache overrides the cache directory.
const EnvCache = "ALIVED_VM_CACHE"

// Kernel is an unpacked Debian kernel package.
type Kernel struct {
	Version string // e.g. 6.1.0-56-amd64
	Root    string // directory the package was unpacked into
}

// Image returns the path of the kernel image.
func (k Kernel) Image() string { return filepath.Join(k.Root, "boot", "vmlinuz-"+k.Version) }

// ModulesDir returns the path of the kernel's module tree.
func (k Kernel) ModulesDir() string { return filepath.Join(k.Root, "lib", "modules", k.Version) }

// CacheDir returns the directory the harness caches kernels and builds in:
// $ALIVED_VM_CACHE, or .cache/vm in the module root above the working
// directory. It is created if missing.
func CacheDir() (string, error) {
	dir := os.Getenv(EnvCache)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, ".cache", "vm")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("vmtest: creating cache: %w", err)
	}
	return dir, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("vmtest: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("vmtest: no go.mod above the working directory; set " + EnvCache)
		}
		dir = parent
	}
}

var kernelPkg = regexp.MustCompile(`Depends: (linux-image-(\d[^\s]*-amd64))`)

// kernelPackage asks apt which kernel the linux-image-amd64 metapackage
// currently depends on. The plain -amd64 flavour is needed: -cloud-amd64
// has no 9p.
func kernelPackage(ctx context.Context) (pkg, version string, err error) {
	out, err := exec.CommandContext(ctx, "apt-cache", "depends", "linux-image-amd64").Output()
	if err != nil {
		return "", "", fmt.Errorf("vmtest: apt-cache depends linux-image-amd64: %w", err)
	}
	m := kernelPkg.FindSubmatch(out)
	if m == nil {
		return "", "", fmt.Errorf("vmtest: no kernel package in apt-cache output %q", out)
	}
	return string(m[1]), string(m[2]), nil
}

// cachedKernel returns any kernel already unpacked in cache.
func cachedKernel(cache string) (Kernel, bool) {
	matches, _ := filepath.Glob(filepath.Join(cache, "kernel-*", "ready"))
	for _, m := range matches {
		root := filepath.Dir(m)
		k := Kernel{Version: strings.TrimPrefix(filepath.Base(root), "kernel-"), Root: root}
		if _, err := os.Stat(k.Image()); err == nil {
			return k, true
		}
	}
	return Kernel{}, false
}

// FetchKernel returns the cached kernel, downloading and unpacking it with
// apt-get download / dpkg -x / depmod on first use. If apt cannot be asked
// (offline) an already cached kernel is used.
func FetchKernel(ctx context.Context, cache string) (Kernel, error) {
	pkg, version, err := kernelPackage(ctx)
	if err != nil {
		if k, ok := cachedKernel(cache); ok {
			return k, nil
		}
		return Kernel{}, err
	}
	k := Kernel{Version: version, Root: filepath.Join(cache, "kernel-"+version)}
	ready := filepath.Join(k.Root, "ready")
	if _, err := os.Stat(ready); err == nil {
		return k, nil
	}
	debs, _ := filepath.Glob(filepath.Join(cache, pkg+"_*.deb"))
	if len(debs) == 0 {
		cmd := exec.CommandContext(ctx, "apt-get", "download", "-q", pkg)
		cmd.Dir = cache
		if out, err := cmd.CombinedOutput(); err != nil {
			return Kernel{}, fmt.Errorf("vmtest: apt-get download %s: %w\n%s", pkg, err, out)
		}
		debs, _ = filepath.Glob(filepath.Join(cache, pkg+"_*.deb"))
		if len(debs) == 0 {
			return Kernel{}, fmt.Errorf("vmtest: apt-get download %s left no .deb in %s", pkg, cache)
		}
	}
	if err := os.RemoveAll(k.Root); err != nil {
		return Kernel{}, fmt.Errorf("vmtest: %w", err)
	}
	if out, err := exec.CommandContext(ctx, "dpkg", "-x", debs[0], k.Root).CombinedOutput(); err != nil {
		return Kernel{}, fmt.Errorf("vmtest: dpkg -x %s: %w\n%s", debs[0], err, out)
	}
	if out, err := exec.CommandContext(ctx, "/sbin/depmod", "-b", k.Root, version).CombinedOutput(); err != nil {
		return Kernel{}, fmt.Errorf("vmtest: depmod: %w\n%s", err, out)
	}
	if err := os.WriteFile(ready, nil, 0o644); err != nil {
		return Kernel{}, fmt.Errorf("vmtest: %w", err)
	}
	return k, nil
}
