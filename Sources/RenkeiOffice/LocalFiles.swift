import Foundation
public import RenkeiModel
#if canImport(Glibc)
import Glibc
#endif

/// Reading and writing the office's own files, bounded, with errors from the programs' table. A file is
/// written under a temporary name in the same folder, synced, and renamed only when whole, so a crash, a
/// full disk or a failed check never leaves a half-written file under the real name.
public enum LocalFiles {
    /// The bytes of the file at `url`, refused when larger than `limit`.
    public static func read(_ url: URL, limit: Int) throws(ProgramError) -> [UInt8] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw ProgramError(.fileNotFound, url.path)
        }
        guard !isFolder.boolValue else { throw ProgramError(.unreadable, "\(url.path) is a folder / フォルダです") }
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ProgramError(.unreadable, "\(url.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ProgramError(.unreadable, "\(url.path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return bytes }
            guard bytes.count + count <= limit else {
                throw ProgramError(.badArgument, "\(url.path) is larger than \(limit) bytes / ファイルが大きすぎます")
            }
            bytes += buffer[0..<count]
        }
    }

    /// Writes `bytes` to `url` whole or not at all: a temporary file beside it, synced, then renamed over it,
    /// and the folder synced. A full disk is `diskFull`; nothing is left under either name.
    public static func writeWhole(_ bytes: [UInt8], to url: URL, mode: mode_t = 0o644) throws(ProgramError) {
        let temporary = temporaryURL(for: url)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw failure(url, errno) }
        var written = 0
        var failed: Int32 = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                failed = errno
                break
            }
            written += count
        }
        if failed == 0, fsync(descriptor) != 0 { failed = errno }
        close(descriptor)
        if failed == 0, rename(temporary.path, url.path) != 0 { failed = errno }
        guard failed == 0 else {
            unlink(temporary.path)
            throw failure(url, failed)
        }
        syncFolder(url.deletingLastPathComponent())
    }

    /// Moves a whole, synced file into place (both in the same folder or file system).
    public static func moveIntoPlace(_ source: URL, _ destination: URL) throws(ProgramError) {
        guard rename(source.path, destination.path) == 0 else { throw failure(destination, errno) }
        syncFolder(destination.deletingLastPathComponent())
    }

    /// The temporary name a file is written under before it is whole: hidden, in the same folder.
    public static func temporaryURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
    }

    /// Whether `name` is a temporary name of `temporaryURL(for:)`.
    public static func isTemporary(_ name: String) -> Bool { name.hasPrefix(".") && name.contains(".partial-") }

    /// Makes `folder` (and its parents), or says why not.
    public static func makeFolder(_ folder: URL) throws(ProgramError) {
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw ProgramError(.unwritable, "\(folder.path): \((error as NSError).localizedDescription)")
        }
    }

    static func syncFolder(_ folder: URL) {
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    static func failure(_ url: URL, _ code: Int32) -> ProgramError {
        switch code {
        case ENOSPC, EDQUOT: ProgramError(.diskFull, url.path)
        case ENOENT: ProgramError(.fileNotFound, url.deletingLastPathComponent().path)
        default: ProgramError(.unwritable, "\(url.path): \(String(cString: strerror(code)))")
        }
    }
}
