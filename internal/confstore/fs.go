package confstore

import (
	"os"
	"path/filepath"

	"github.com/alived/alived/internal/atomicfile"
)

// fileSystem is every file operation the store performs on configuration
// files and on its own state, so that tests can make any single one fail
// (ENOSPC, EROFS, a failing rename) and check what is left. osFS is the
// real one. The lock file is the exception: it is opened directly,
// because a lock that tests could fake would prove nothing.
type fileSystem interface {
	atomicfile.FS
	ReadFile(name string) ([]byte, error)
	// Stat follows symbolic links.
	Stat(name string) (os.FileInfo, error)
	EvalSymlinks(path string) (string, error)
	Mkdir(name string, perm os.FileMode) error
	ReadDir(name string) ([]os.DirEntry, error)
	// AppendFile appends data to name (created with perm) and syncs it.
	AppendFile(name string, data []byte, perm os.FileMode) error
}

type osFS struct{ atomicfile.OS }

func (osFS) ReadFile(name string) ([]byte, error)       { return os.ReadFile(name) }
func (osFS) Stat(name string) (os.FileInfo, error)      { return os.Stat(name) }
func (osFS) EvalSymlinks(path string) (string, error)   { return filepath.EvalSymlinks(path) }
func (osFS) Mkdir(name string, perm os.FileMode) error  { return os.Mkdir(name, perm) }
func (osFS) ReadDir(name string) ([]os.DirEntry, error) { return os.ReadDir(name) }

func (osFS) AppendFile(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
