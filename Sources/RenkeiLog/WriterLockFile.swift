import RenkeiStore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `<data folder>/writer.lock`, held while an `EventLog` is open: the writer keeps
/// the log's end (sequence, Merkle frontier) in memory, so two writers on one folder would corrupt it.
/// The kernel drops the lock when the process dies, so a crash never leaves the folder locked.
final class WriterLockFile: Sendable {
    private let descriptor: Atomic<Int32>

    init(folder: String) throws {
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw StoreError(.inUse, "cannot create the data folder \(folder): \(String(decoding: strerrorBytes(errno), as: UTF8.self))")
        }
        let path = folder + "/writer.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError(.inUse, "cannot open \(path): \(String(decoding: strerrorBytes(errno), as: UTF8.self))")
        }
        guard let code = Self.lock(fd) else {
            descriptor = Atomic(fd)
            return
        }
        close(fd)
        guard code == EWOULDBLOCK else {
            throw StoreError(.ioFailure, "cannot lock \(path): \(String(decoding: strerrorBytes(code), as: UTF8.self))")
        }
        throw StoreError(.inUse, "\(folder) is open in another event log (another renkei-server or tool is running on it)")
    }

    /// Takes the lock, or returns why not. A lock just released can still be held for a moment: a process
    /// forked by another thread of this one shares the lock's open file until it executes its program
    /// (`O_CLOEXEC` closes it only then), so a busy lock is tried again for up to a second before the
    /// folder is called in use. The kernel offers no wait with a time limit on `flock`; the tries are 10 ms apart.
    private static func lock(_ fd: Int32) -> Int32? {
        var tries = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else { return code }
            tries += 1
            guard tries <= 100 else { return EWOULDBLOCK }
            usleep(10_000)
        }
        return nil
    }

    deinit { release() }

    func release() {
        let fd = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 { close(fd) }
    }
}

private func strerrorBytes(_ code: Int32) -> [UInt8] {
    guard let text = strerror(code) else { return Array("error \(code)".utf8) }
    return Array(UnsafeBufferPointer(start: text, count: strlen(text))).map { UInt8(bitPattern: $0) }
}
