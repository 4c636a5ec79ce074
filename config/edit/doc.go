// Package edit changes a keepalived.conf file tree in keepalived syntax,
// so that keepalived itself could still run the result. It is pure: it
// works on an in-memory FileSet (absolute path → content) that the caller
// read, and returns a new FileSet; it never touches the disk.
//
// Open follows the include statements from the main file as keepalived
// 2.2.7 does (a relative path is relative to the including file's
// directory — checked by running keepalived from /, so the layout works
// from any working directory) and records, per file, the virtual_server,
// virtual_server_group and global_defs blocks with their lines. Only the
// lines of the object an edit names change; every other byte stays.
//
// Objects whose text is not what keepalived reads — a $NAME macro,
// ~SEQ/~LST, an @id conditional line, a globbed include, several
// statements on one line — are read-only: edits on them fail with
// ErrReadOnly, the reason and file:line.
//
// keepalived has no "disabled" keyword. In ILUKA's layout (one file per
// object, included by one line) disabling comments out the include line,
// as ILUKA does; elsewhere every line of the object gets the Marker
// prefix, and enabling strips it, restoring the original bytes.
//
// New virtual servers go to ILUKA's layout next to the main file:
//
//	keepalived.conf            include ./virtual_server.conf
//	virtual_server.conf        include virtual_server/VIP_PORT_PROTO.conf   (#include when disabled)
//	virtual_server/VIP_PORT_PROTO.conf                 the block, ending with include VIP_PORT_PROTO/real_server.conf
//	virtual_server/VIP_PORT_PROTO/real_server.conf     include ./RIP_RPORT.conf per real server
//	virtual_server/VIP_PORT_PROTO/RIP_RPORT.conf       the real_server block
//
// with PROTO 0 for TCP, 1 for UDP. A real server added to a virtual server
// written by hand goes at the end of its block instead.
package edit
