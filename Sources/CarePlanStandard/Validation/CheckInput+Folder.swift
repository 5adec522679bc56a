import Foundation

extension CheckInput {
    /// The entries of `folder` in name order, names starting with `.` left out: what `renkei check FOLDER` checks,
    /// so a program (a benchmark, the server's import) checks a folder exactly as the command does.
    ///
    /// Throws the system's error when the folder cannot be listed: an unlistable folder is never read as empty.
    public static func files(inFolder folder: String) throws -> [CheckInput] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted().filter { !$0.hasPrefix(".") }
            .map { .file(atPath: (folder as NSString).appendingPathComponent($0)) }
    }
}
