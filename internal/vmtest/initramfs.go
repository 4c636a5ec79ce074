package vmtest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// modulePrefixes are the parts of the module tree the guest needs: 9p over
// virtio for the shares, IPVS with netfilter, veth and dummy for test
// topologies, crypto for libcrc32c (which needs crc32c_generic loaded
// first). This set is the one test-lab.md verified.
var modulePrefixes = []string{
	"kernel/net/netfilter/", "kernel/net/ipv4/", "kernel/net/ipv6/",
	"kernel/lib/libcrc32c.ko", "kernel/crypto/", "kernel/arch/x86/crypto/",
	"kernel/drivers/virtio/", "kernel/fs/9p/", "kernel/net/9p/", "kernel/fs/netfs/",
	"kernel/fs/fscache/", "kernel/drivers/net/veth.ko", "kernel/drivers/net/dummy.ko",
}

// guestModules are loaded in this order before the test runs. Schedulers
// and the SIP persistence engine are left to the kernel, which loads them
// on first use through /proc/sys/kernel/modprobe (pointed at busybox).
var guestModules = []string{
	"crc32c_generic", "virtio_pci", "9pnet_virtio", "9p",
	"ip_vs", "veth", "dummy",
}

// Marker lines the guest prints on the console; the nonce keeps a test's
// own output from being mistaken for them.
const (
	markerStart = "ALIVED-VM-START"
	markerExit  = "ALIVED-VM-EXIT"
)

// initScript is the guest's /init. It mounts the host root read-only at
// /mnt, the writable share at the same path inside it, gives the guest its
// own proc/sys/dev and tmpfs /tmp and /run, then runs run.sh from the
// share chrooted into the host root and reports its exit status.
func initScript() string {
	return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo /bin/modprobe > /proc/sys/kernel/modprobe
for m in ` + strings.Join(guestModules, " ") + `; do modprobe $m || echo "modprobe $m failed"; done
arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
share=$(arg alived.share)
nonce=$(arg alived.nonce)
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288 host /mnt || echo "mount host failed"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 share /mnt$share || echo "mount share failed"
mount -t proc proc /mnt/proc
mount -t sysfs sys /mnt/sys
mount -t devtmpfs dev /mnt/dev
mount -t tmpfs tmp /mnt/tmp
mount -t tmpfs run /mnt/run
ip link set lo up
echo "` + markerStart + `-$nonce"
chroot /mnt /usr/bin/env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp /bin/sh -c "cd $share && exec /bin/sh ./run.sh"
echo "` + markerExit + `-$nonce:$?"
poweroff -f
`
}

// BuildInitramfs returns the path of a gzip'd cpio initramfs for k, built
// into cache on first use and reused while the kernel, busybox and init
// script are unchanged.
func BuildInitramfs(k Kernel, cache string) (string, error) {
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return "", fmt.Errorf("vmtest: busybox-static is needed: %w", err)
	}
	init := initScript()
	h := sha256.New()
	h.Write([]byte(k.Version))
	h.Write([]byte(init))
	h.Write(busybox)
	h.Write([]byte(strings.Join(modulePrefixes, ",")))
	path := filepath.Join(cache, "initrd-"+k.Version+"-"+hex.EncodeToString(h.Sum(nil))[:12]+".gz")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	cw := &cpioWriter{w: zw}
	for _, d := range []string{"bin", "dev", "proc", "sys", "mnt", "tmp", "lib", "lib/modules"} {
		cw.Dir(d)
	}
	cw.File("bin/busybox", 0o755, busybox)
	cw.File("init", 0o755, []byte(init))
	modRoot := k.ModulesDir()
	dst := "lib/modules/" + k.Version
	cw.Dir(dst)
	err = filepath.WalkDir(modRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(modRoot, p)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if wanted(rel + "/") {
				cw.Dir(dst + "/" + rel)
			}
			return nil
		}
		if !strings.HasPrefix(rel, "modules.") && !wanted(rel) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil // build/source links point outside the package
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		cw.File(dst+"/"+rel, 0o644, data)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("vmtest: collecting modules: %w", err)
	}
	if err := cw.Close(); err != nil {
		return "", fmt.Errorf("vmtest: writing initramfs: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("vmtest: compressing initramfs: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("vmtest: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("vmtest: %w", err)
	}
	return path, nil
}

// wanted reports whether rel (a module path, or a directory path ending in
// "/") is inside, or on the way to, one of modulePrefixes.
func wanted(rel string) bool {
	for _, p := range modulePrefixes {
		if strings.HasPrefix(rel, p) || strings.HasPrefix(p, rel) && strings.HasSuffix(rel, "/") {
			return true
		}
	}
	return false
}
