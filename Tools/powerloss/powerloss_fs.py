#!/usr/bin/env python3
"""A FUSE file system that forgets unsynced data when it is killed: a power cut, simulated.

    powerloss_fs.py [--ignore-fsync | --ignore-osync] BACKING MOUNTPOINT

Mounts MOUNTPOINT over the folder BACKING and passes everything through, except the data written to
files: that stays in this process's memory until the file is synced. Killing this process with SIGKILL
therefore leaves in BACKING what a power cut would leave on a disk: every byte that was synced, and none
of the data that was only written. (Killing the writer alone cannot show that: the kernel's page cache
survives a killed process and would write everything back.)

The model, per file (inode) open through the mount:

- Writes go to dirty 4 KiB pages in memory; the file's size (grown by writes, changed by truncate or
  fallocate) is pending too. Reads, and mmap (which reads through this file system), see the dirty pages
  over the backing file, so a writer and its readers see their writes at once.
- fsync and fdatasync (FUSE's fsync op) write the file's dirty pages and its size to the backing file and
  fsync it there: then, and only then, the data is in BACKING.
- A file opened with O_SYNC or O_DSYNC has each write written through and synced at once (only that
  write's bytes, not the file's other dirty pages). The kernel follows every such write with a FUSE fsync
  on the same handle, without the range it covers; on such handles fsync therefore does nothing more (an
  explicit fsync on an O_SYNC/O_DSYNC descriptor does not flush the file's other dirty pages here, as it
  would on a disk; LMDB syncs through its other descriptor). Writes the kernel makes from a shared
  writable mmap (writeback) are never written through.
- Metadata operations (create, mkdir, rename, unlink, rmdir, link, symlink, chmod, chown, utimens) go to
  the backing folder at once: they are durable immediately, as if each were followed by a directory
  fsync. A created file's data is still only durable after fsync. (So this is a model of lost data, not
  of lost directory entries; fsyncdir syncs the backing folder, which changes nothing here.)
- Dirty data of a file stays in memory after its last close, until someone syncs it or the file is
  deleted, as in a page cache.

Not modelled: a real cut may also keep some unsynced writes (the kernel writes dirty pages back early,
in any order) or tear a sector; here every unsynced byte is lost and every synced byte is whole. Lost
directory entries, renames and file sizes set by metadata calls are not modelled either (see above).

With --ignore-fsync nothing is ever made durable: fsync, fdatasync and O_SYNC/O_DSYNC writes all leave the
data in memory. That is the control: a program whose syncs do nothing must lose acknowledged writes.
With --ignore-osync only O_SYNC/O_DSYNC writes stay in memory (as plain writes; fsync on such a handle does
nothing), until an fsync through another handle: a finer control, for a program that writes its commit
record through an O_DSYNC descriptor (LMDB's meta page) and must then lose its last commits.

Locks (fcntl, flock) are left to the kernel (no lock op is implemented, so the kernel keeps them locally,
which is right for one machine). The kernel's page cache is kept coherent with this view: no writeback
cache (each write(2) reaches this process before it returns), no direct I/O (mmap works, also shared
writable mmap), no automatic invalidation, short attribute and entry timeouts.

Requires libfuse3 (Debian: apt-get install fuse3 libfuse3-3) and mfusepy (pip install mfusepy==3.1.1).
"""

import argparse
import errno
import logging
import os
import stat
import sys
import threading

try:
    import mfusepy as fuse
except ImportError as error:  # pragma: no cover - a set-up problem, said plainly
    sys.exit(f"powerloss_fs: cannot import mfusepy ({error}); install it: pip install mfusepy==3.1.1 "
             "(and libfuse3: apt-get install fuse3 libfuse3-3)")

PAGE = 4096

# fuse_common.h (libfuse 3) capability bits, in fuse_conn_info.want.
CAP_POSIX_LOCKS = 1 << 1
CAP_FLOCK_LOCKS = 1 << 10
CAP_AUTO_INVAL_DATA = 1 << 12
CAP_WRITEBACK_CACHE = 1 << 16

FALLOC_FL_KEEP_SIZE = 0x01


class Inode:
    """One backing file's state: its descriptor, dirty pages, pending size.

    Invariants: `base` <= `size`; the backing file's bytes below `base` are the file's bytes wherever no
    dirty page covers them; above `base` the file reads as zeros wherever no dirty page covers it (a
    truncation or extension that is not synced yet); dirty pages hold zeros beyond `size`.
    """

    def __init__(self, ino, fd, size):
        self.ino = ino
        self.fd = fd
        self.handles = 0
        self.lock = threading.Lock()  # guards the fields below; held briefly
        self.flush_lock = threading.Lock()  # serialises the changes to the backing file
        self.pages = {}  # page index -> bytearray(PAGE)
        self.versions = {}  # page index -> counter value of its last write
        self.counter = 0
        self.size = size  # the file's size as seen through the mount
        self.base = size  # see the invariants
        self.backing_size = size  # the backing file's size

    def is_clean(self):
        return not self.pages and self.size == self.base == self.backing_size

    # Called with self.lock held.

    def _load_page(self, index):
        start = index * PAGE
        page = bytearray(PAGE)
        if start < self.base:
            data = os.pread(self.fd, min(PAGE, self.base - start), start)
            page[: len(data)] = data
        return page

    def _write(self, data, offset):
        """Puts `data` at `offset` into dirty pages; returns {page: version} of the pages it covered whole."""
        view = memoryview(data)
        end = offset + len(data)
        position = offset
        whole = {}
        while position < end:
            index = position // PAGE
            within = position - index * PAGE
            count = min(PAGE - within, end - position)
            chunk = view[position - offset : position - offset + count]
            page = self.pages.get(index)
            if page is None:
                if count == PAGE:
                    page = bytearray(chunk)
                else:
                    page = self._load_page(index)
                    page[within : within + count] = chunk
                self.pages[index] = page
            else:
                page[within : within + count] = chunk
            self.counter += 1
            self.versions[index] = self.counter
            if count == PAGE:
                whole[index] = self.counter
            position += count
        if end > self.size:
            self.size = end
        return whole

    def _read(self, length, offset):
        if offset >= self.size:
            return b""
        count = min(length, self.size - offset)
        end = offset + count
        data = os.pread(self.fd, min(count, self.base - offset), offset) if offset < self.base else b""
        first, last = offset // PAGE, (end - 1) // PAGE
        dirty = self.pages and any(index in self.pages for index in range(first, last + 1))
        if len(data) == count and not dirty:
            return data
        buffer = bytearray(count)
        buffer[: len(data)] = data
        if dirty:
            for index in range(first, last + 1):
                page = self.pages.get(index)
                if page is not None:
                    start = max(offset, index * PAGE)
                    stop = min(end, (index + 1) * PAGE)
                    buffer[start - offset : stop - offset] = page[start - index * PAGE : stop - index * PAGE]
        return bytes(buffer)

    def _truncate(self, length):
        if length < self.size:
            for index in [index for index in self.pages if index * PAGE >= length]:
                del self.pages[index]
                del self.versions[index]
            within = length % PAGE
            page = self.pages.get(length // PAGE)
            if within and page is not None:
                page[within:] = bytes(PAGE - within)
                self.counter += 1
                self.versions[length // PAGE] = self.counter
            self.base = min(self.base, length)
        self.size = length

    # Called without locks.

    def write(self, data, offset):
        with self.lock:
            self._write(data, offset)

    def write_through(self, data, offset):
        """An O_SYNC/O_DSYNC write: into the view, and these bytes (only) into the backing file, synced."""
        end = offset + len(data)
        with self.flush_lock:
            with self.lock:
                whole = self._write(data, offset)
                base = self.base
            if self.backing_size > base:
                # Bytes past a pending truncation must not come back between `base` and this write.
                os.ftruncate(self.fd, base)
                self.backing_size = base
            _pwrite_all(self.fd, data, offset)
            os.fdatasync(self.fd)
            with self.lock:
                self.backing_size = max(self.backing_size, end)
                self.base = min(max(self.base, end), self.size)
                for index, version in whole.items():
                    if self.versions.get(index) == version:
                        del self.pages[index]
                        del self.versions[index]

    def read(self, length, offset):
        with self.lock:
            return self._read(length, offset)

    def truncate(self, length):
        with self.flush_lock, self.lock:
            self._truncate(length)

    def allocate(self, end):
        with self.lock:
            if end > self.size:
                self.size = end

    def sync(self, datasync):
        """fsync: the dirty pages and the size into the backing file, then fsync it there."""
        with self.flush_lock:
            with self.lock:
                if self.is_clean():
                    return
                snapshot = [(index, bytes(self.pages[index]), self.versions[index]) for index in sorted(self.pages)]
                size, base = self.size, self.base
            if self.backing_size > base:
                os.ftruncate(self.fd, base)
                self.backing_size = base
            if self.backing_size != size:
                os.ftruncate(self.fd, size)
                self.backing_size = size
            run, run_start = [], None
            for index, data, _ in snapshot:
                start = index * PAGE
                if start >= size:
                    continue
                if start + PAGE > size:
                    data = data[: size - start]
                if run and run_start + PAGE * len(run) == start:
                    run.append(data)
                    continue
                if run:
                    _pwritev_all(self.fd, run, run_start)
                run, run_start = [data], start
            if run:
                _pwritev_all(self.fd, run, run_start)
            if datasync:
                os.fdatasync(self.fd)
            else:
                os.fsync(self.fd)
            with self.lock:
                for index, _, version in snapshot:
                    if self.versions.get(index) == version:
                        del self.pages[index]
                        del self.versions[index]
                self.base = size  # the backing file holds the file up to `size` now (see the invariants)


def _pwrite_all(fd, data, offset):
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _pwritev_all(fd, buffers, offset):
    # At most IOV_MAX (1024) buffers per call: a longer run (a large file synced at once) is split.
    for first in range(0, len(buffers), 1024):
        chunk = buffers[first:first + 1024]
        total = sum(len(buffer) for buffer in chunk)
        written = os.pwritev(fd, chunk, offset)
        if written < total:
            _pwrite_all(fd, b"".join(chunk)[written:], offset + written)
        offset += total


class Handle:
    __slots__ = ("inode", "sync")

    def __init__(self, inode, sync):
        self.inode = inode
        self.sync = sync


class PowerLossFS:
    use_ns = True

    def __init__(self, backing, ignore_fsync, ignore_osync=False):
        self.backing = os.path.realpath(backing)
        self.ignore_fsync = ignore_fsync
        self.ignore_osync = ignore_osync
        self.table_lock = threading.Lock()
        self.inodes = {}  # backing inode number -> Inode
        self.handles = {}  # fh -> Handle
        self.next_handle = 1

    def _path(self, path):
        return self.backing + path

    # Inodes and handles.

    def _open_handle(self, fi, fd):
        """Takes ownership of `fd` (a backing descriptor) and sets fi.fh."""
        status = os.fstat(fd)
        with self.table_lock:
            inode = self.inodes.get(status.st_ino)
            if inode is None:
                inode = Inode(status.st_ino, fd, status.st_size)
                self.inodes[status.st_ino] = inode
            else:
                os.close(fd)
            inode.handles += 1
            sync = bool(fi.flags & os.O_DSYNC)  # O_SYNC includes O_DSYNC's bit
            handle_id = self.next_handle
            self.next_handle += 1
            self.handles[handle_id] = Handle(inode, sync)
        fi.fh = handle_id
        fi.direct_io = 0  # mmap must work
        fi.keep_cache = 0
        return 0

    def _handle(self, fi):
        if fi is None:
            raise fuse.FuseOSError(errno.EBADF)
        handle = self.handles.get(fi.fh)
        if handle is None:
            raise fuse.FuseOSError(errno.EBADF)
        return handle

    def _inode_for_path(self, path):
        """The state of the file at `path` if it has any (it is open or holds unsynced data)."""
        try:
            ino = os.lstat(self._path(path)).st_ino
        except FileNotFoundError:
            return None
        return self.inodes.get(ino)

    def _forget(self, ino):
        """The file `ino` lost its last name: its unsynced data goes with it once nothing has it open."""
        with self.table_lock:
            inode = self.inodes.get(ino)
            if inode is not None and inode.handles == 0:
                del self.inodes[ino]
                os.close(inode.fd)

    @staticmethod
    def _backing_fd(path, flags, mode=None):
        """A read-write descriptor when possible (syncing writes through any handle), else read-only."""
        extra = flags & (os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW)
        try:
            if mode is None:
                return os.open(path, os.O_RDWR | extra | os.O_CLOEXEC)
            return os.open(path, os.O_RDWR | extra | os.O_CLOEXEC, mode)
        except IsADirectoryError:
            raise
        except PermissionError:
            if flags & os.O_ACCMODE != os.O_RDONLY:
                raise
            return os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    # FUSE operations.

    def init_with_config(self, conn, config):
        if conn is not None:
            conn.want &= ~(CAP_WRITEBACK_CACHE | CAP_AUTO_INVAL_DATA | CAP_POSIX_LOCKS | CAP_FLOCK_LOCKS)
        if config is not None:
            config.entry_timeout = 0.1
            config.attr_timeout = 0.1
            config.negative_timeout = 0.0
            config.use_ino = 1
            config.direct_io = 0
            config.kernel_cache = 0
            config.auto_cache = 0
            config.hard_remove = 0

    def getattr(self, path, fh=None):
        if fh is not None and fh.fh in self.handles:
            inode = self.handles[fh.fh].inode
            status = os.fstat(inode.fd)
        else:
            status = os.lstat(self._path(path))
            inode = self.inodes.get(status.st_ino) if stat.S_ISREG(status.st_mode) else None
        attributes = {
            "st_mode": status.st_mode,
            "st_ino": status.st_ino,
            "st_nlink": status.st_nlink,
            "st_uid": status.st_uid,
            "st_gid": status.st_gid,
            "st_rdev": status.st_rdev,
            "st_size": status.st_size,
            "st_blksize": status.st_blksize,
            "st_blocks": status.st_blocks,
            "st_atime": status.st_atime_ns,
            "st_mtime": status.st_mtime_ns,
            "st_ctime": status.st_ctime_ns,
        }
        if inode is not None:
            attributes["st_size"] = inode.size
            attributes["st_blocks"] = max(status.st_blocks, (inode.size + 511) // 512)
        return attributes

    def readdir(self, path, fh):
        # With use_ino the kernel gets each entry's inode number; an entry with number 0 is skipped.
        folder = self._path(path)
        own = os.lstat(folder)
        parent = os.lstat(os.path.dirname(folder.rstrip("/")) if path != "/" else folder)
        entries = [(".", {"st_mode": own.st_mode, "st_ino": own.st_ino}, 0),
                   ("..", {"st_mode": parent.st_mode, "st_ino": parent.st_ino}, 0)]
        with os.scandir(folder) as listing:
            for entry in listing:
                try:
                    mode = entry.stat(follow_symlinks=False).st_mode
                except FileNotFoundError:
                    continue
                entries.append((entry.name, {"st_mode": mode, "st_ino": entry.inode()}, 0))
        return entries

    def opendir(self, path):
        if not os.path.isdir(self._path(path)):
            raise fuse.FuseOSError(errno.ENOTDIR)
        return 0

    def releasedir(self, path, fh):
        return 0

    def fsyncdir(self, path, datasync, fh):
        fd = os.open(self._path(path), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return 0

    def readlink(self, path):
        return os.readlink(self._path(path))

    def statfs(self, path):
        status = os.statvfs(self._path(path))
        return {key: getattr(status, key) for key in (
            "f_bsize", "f_frsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree", "f_favail",
            "f_flag", "f_namemax")}

    def open(self, path, fi):
        self._open_handle(fi, self._backing_fd(self._path(path), fi.flags))
        if fi.flags & os.O_TRUNC:  # libfuse 3 asks for atomic O_TRUNC: it comes here, not as a truncate
            self.handles[fi.fh].inode.truncate(0)
        return 0

    def create(self, path, mode, fi):
        fd = self._backing_fd(self._path(path), fi.flags | os.O_CREAT, mode)
        self._open_handle(fi, fd)
        if fi.flags & os.O_TRUNC:
            self.handles[fi.fh].inode.truncate(0)
        return 0

    def read(self, path, size, offset, fh):
        return self._handle(fh).inode.read(size, offset)

    def write(self, path, data, offset, fh):
        handle = self._handle(fh)
        if handle.sync and not fh.writepage and not (self.ignore_fsync or self.ignore_osync):
            handle.inode.write_through(data, offset)
        else:
            handle.inode.write(data, offset)
        return len(data)

    def truncate(self, path, length, fh=None):
        inode = self._inode_for_path(path)
        if inode is None:
            # Not open and nothing unsynced: take the file into memory to make the change pending.
            fi = type("FileInfo", (), {"flags": os.O_WRONLY, "fh": 0, "direct_io": 0, "keep_cache": 0})()
            self._open_handle(fi, self._backing_fd(self._path(path), os.O_WRONLY))
            try:
                self.handles[fi.fh].inode.truncate(length)
            finally:
                self.release(path, fi)
            return 0
        inode.truncate(length)
        return 0

    def fallocate(self, path, mode, offset, length, fh):
        inode = self._handle(fh).inode
        if mode == 0:
            inode.allocate(offset + length)
        elif mode != FALLOC_FL_KEEP_SIZE:
            raise fuse.FuseOSError(errno.EOPNOTSUPP)
        return 0

    def flush(self, path, fh):
        return 0

    def fsync(self, path, datasync, fh):
        handle = self._handle(fh)
        if self.ignore_fsync or handle.sync:
            return 0
        handle.inode.sync(datasync)
        return 0

    def release(self, path, fh):
        with self.table_lock:
            handle = self.handles.pop(fh.fh, None)
            if handle is None:
                return 0
            inode = handle.inode
            inode.handles -= 1
            if inode.handles == 0:
                with inode.lock:
                    forget = inode.is_clean() or os.fstat(inode.fd).st_nlink == 0
                if forget:
                    del self.inodes[inode.ino]
                    os.close(inode.fd)
        return 0

    # Metadata: straight to the backing folder.

    def mkdir(self, path, mode):
        os.mkdir(self._path(path), mode)
        return 0

    def rmdir(self, path):
        os.rmdir(self._path(path))
        return 0

    def unlink(self, path):
        status = os.lstat(self._path(path))
        os.unlink(self._path(path))
        if status.st_nlink <= 1:
            self._forget(status.st_ino)
        return 0

    def rename(self, old, new):
        try:
            replaced = os.lstat(self._path(new))
        except FileNotFoundError:
            replaced = None
        moved = os.lstat(self._path(old))
        os.rename(self._path(old), self._path(new))
        if replaced is not None and replaced.st_ino != moved.st_ino and replaced.st_nlink <= 1:
            self._forget(replaced.st_ino)
        return 0

    def link(self, target, source):
        os.link(self._path(source), self._path(target))
        return 0

    def symlink(self, target, source):
        os.symlink(source, self._path(target))
        return 0

    def mknod(self, path, mode, dev):
        os.mknod(self._path(path), mode, dev)
        return 0

    def chmod(self, path, mode):
        os.chmod(self._path(path), mode)
        return 0

    def chown(self, path, uid, gid):
        os.chown(self._path(path), uid, gid, follow_symlinks=False)
        return 0

    def utimens(self, path, times=None):
        if times is None:
            os.utime(self._path(path), follow_symlinks=False)
        else:
            os.utime(self._path(path), ns=(int(times[0]), int(times[1])), follow_symlinks=False)
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backing", help="the folder that holds what survives a power cut")
    parser.add_argument("mountpoint")
    controls = parser.add_mutually_exclusive_group()
    controls.add_argument("--ignore-fsync", action="store_true",
                          help="the control: fsync and O_SYNC/O_DSYNC do not make anything durable")
    controls.add_argument("--ignore-osync", action="store_true",
                          help="a finer control: O_SYNC/O_DSYNC writes are not written through")
    parser.add_argument("--debug", action="store_true", help="libfuse's request trace on stderr")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="powerloss_fs: %(levelname)s %(message)s")
    if not os.path.isdir(arguments.backing):
        sys.exit(f"powerloss_fs: {arguments.backing} is not a folder")
    operations = PowerLossFS(arguments.backing, arguments.ignore_fsync, arguments.ignore_osync)
    fuse.FUSE(operations, arguments.mountpoint, raw_fi=True, foreground=True, debug=arguments.debug,
              fsname="powerloss", subtype="powerloss")


if __name__ == "__main__":
    main()
