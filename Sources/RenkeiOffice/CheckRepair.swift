public import CarePlanStandard
public import Foundation
public import RenkeiModel

/// `renkei check`'s file-level work: the cause to lead with for each file (its encoding), and
/// `--fix-to`'s corrected copies, written whole into another folder, never over an original.
public enum CheckRepair {
    /// What happened to one file.
    public struct Outcome: Sendable {
        public let name: String
        /// The copy's name (nil: the file could not be repaired, and no copy was written).
        public let copyName: String?
        public let changes: [StandardRepair.Change]
        /// Why the file could not be repaired (nil: it could, or needed nothing).
        public let failure: String?
    }

    /// The largest file read for a diagnosis or a repair.
    public static let maximumFileBytes = 256 << 20

    /// Each file's whole-file cause (UTF-8 or a BOM instead of MS932), by file name.
    public static func causes(_ inputs: [CheckInput]) -> [String: StandardRepair.Change] {
        var causes: [String: StandardRepair.Change] = [:]
        for input in inputs {
            guard let path = input.path, let bytes = try? LocalFiles.read(URL(fileURLWithPath: path), limit: maximumFileBytes),
                  let cause = StandardRepair.diagnosis(name: input.name, bytes: bytes) else { continue }
            causes[input.name] = cause
        }
        return causes
    }

    /// Writes a corrected copy of every file into `folder` (created if missing) — a file that needs nothing is
    /// copied as it is, so the folder holds the whole set; a file with a deviation that cannot be corrected
    /// safely is left out, with the reason. Refuses a folder that holds any of the originals.
    public static func repair(_ inputs: [CheckInput], into folder: URL) throws(ProgramError) -> [Outcome] {
        let target = folder.standardizedFileURL.resolvingSymlinksInPath().path
        for input in inputs {
            guard let path = input.path else { continue }
            if URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.resolvingSymlinksInPath().path == target {
                throw ProgramError(.badArgument, "--fix-to \(folder.path) holds the original \(input.name); corrected copies go into another folder (never in place) / 元のファイルと別のフォルダを指定してください")
            }
        }
        try LocalFiles.makeFolder(folder)
        var outcomes: [Outcome] = []
        for input in inputs {
            guard let path = input.path else { continue }
            let bytes = try LocalFiles.read(URL(fileURLWithPath: path), limit: maximumFileBytes)
            let repaired: StandardRepair.Repaired
            do { repaired = try StandardRepair.repair(name: input.name, bytes: bytes) } catch {
                outcomes.append(Outcome(name: input.name, copyName: nil, changes: [], failure: error.reason))
                continue
            }
            // Files that need nothing are copied too, so the folder holds the whole set, ready to check and send.
            try LocalFiles.writeWhole(repaired.bytes, to: folder.appendingPathComponent(repaired.name))
            outcomes.append(Outcome(name: input.name, copyName: repaired.name, changes: repaired.changes, failure: nil))
        }
        return outcomes
    }
}
