import Foundation

extension CheckInput {
    /// The files under `folder`, searched recursively (so pointing it at a care software's export folder
    /// works), in path order, names starting with `.` left out (and folders so named not entered): what
    /// `renkei check FOLDER` checks, so a program (a benchmark, the server's import) checks a folder exactly
    /// as the command does.
    ///
    /// Throws the system's error when the folder or a folder below it cannot be listed: an unlistable folder is
    /// never read as empty.
    public static func files(inFolder folder: String) throws -> [CheckInput] {
        var inputs: [CheckInput] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where !name.hasPrefix(".") {
            let path = (folder as NSString).appendingPathComponent(name)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                inputs += try files(inFolder: path)
            } else {
                inputs.append(.file(atPath: path))
            }
        }
        return inputs
    }

    /// The path `file(atPath:)` was made from, when it reads a file.
    public var path: String? {
        if case .path(let path, _) = source { return path }
        return nil
    }
}
