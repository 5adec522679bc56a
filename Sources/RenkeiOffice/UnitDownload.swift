import Foundation
import RenkeiCore
public import RenkeiAPI
public import RenkeiClient
import RenkeiModel

/// Downloads a received send unit into a folder under the files' standard names. Every file is
/// checked (its SHA-256 against the unit, the sender's signature over the manifest) before anything is
/// kept; the files are written under temporary names, synced, and renamed only when all of them are
/// whole; then the download is acknowledged. A failure at any step leaves no file under a real name.
public enum UnitDownload {
    /// What was written.
    public struct Result: Sendable {
        public let detail: Renkei_V1_UnitDetail
        public let paths: [URL]
    }

    /// Downloads unit `id` into `folder` (created if missing) and acknowledges it unless `acknowledge` is false.
    public static func run(_ id: UInt64, into folder: URL, client: RenkeiClient, acknowledge: Bool = true,
                           progress: ((String, Int, Int) -> Void)? = nil) async throws -> Result {
        let (detail, files) = try await verifiedFiles(id, client: client)
        try LocalFiles.makeFolder(folder)
        var staged: [(temporary: URL, final: URL)] = []
        do {
            for (index, file) in files.enumerated() {
                // A name from the server is checked like any input: a bare file name, nothing else.
                guard Self.isSafeName(file.name) else { throw ProgramError(.downloadUnverified, "unit \(id) names a file '\(file.name)' that is not a plain file name") }
                let final = folder.appendingPathComponent(file.name)
                if let existing = try? Data(contentsOf: final), !existing.elementsEqual(file.bytes) {
                    throw ProgramError(.unwritable, "\(final.path) already exists with other content; choose another --to / 同名の別ファイルがあります")
                }
                let temporary = LocalFiles.temporaryURL(for: final)
                try LocalFiles.writeWhole(file.bytes, to: temporary)
                staged.append((temporary, final))
                progress?(file.name, index + 1, files.count)
            }
            for (temporary, final) in staged { try LocalFiles.moveIntoPlace(temporary, final) }
        } catch {
            for (temporary, _) in staged { try? FileManager.default.removeItem(at: temporary) }
            throw error
        }
        if acknowledge {
            // The files are whole under their names by now: a platform that cannot record the download (its
            // disk full, the connection gone) does not undo that; the unit stays unread there, for a later try.
            do { try await client.acknowledgeDownload(unit: id) } catch {
                throw ProgramError(.acknowledgementNotRecorded, "unit \(id), \(staged.count) files in \(folder.path): \(error)")
            }
        }
        return Result(detail: detail, paths: staged.map(\.final))
    }

    static func verifiedFiles(_ id: UInt64, client: RenkeiClient) async throws -> (Renkei_V1_UnitDetail, [OutgoingFile]) {
        let unverified = [DomainError.Code.signatureInvalid.rawValue, DomainError.Code.manifestMismatch.rawValue]
        do {
            let result = try await client.downloadUnit(id)
            return (result.detail, result.files)
        } catch {
            if let code = error.code, unverified.contains(code) { throw ProgramError(.downloadUnverified, "unit \(id): \(error)") }
            throw error
        }
    }

    /// A plain file name that means the same file on every system (``PortableFileName``).
    static func isSafeName(_ name: String) -> Bool { PortableFileName.problem(name) == nil }
}
