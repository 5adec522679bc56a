import CarePlanStandard
import Foundation

/// Turns command-line paths into check inputs: files as given, folders as their entries in name order
/// (``CheckInput/files(inFolder:)``, which benchmarks call too).
enum InputFiles {
    struct Missing: Error { let path: String }
    /// A folder whose entries cannot be listed (permissions, I/O): never read as an empty folder.
    struct Unlistable: Error { let path: String; let reason: String }

    static func expand(_ paths: [String]) throws -> [CheckInput] {
        var inputs: [CheckInput] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw Missing(path: path) }
            if isFolder.boolValue {
                do { inputs += try CheckInput.files(inFolder: path) } catch {
                    throw Unlistable(path: path, reason: (error as NSError).localizedDescription)
                }
            } else {
                inputs.append(.file(atPath: path))
            }
        }
        return inputs
    }
}

extension FileHandle {
    static func standardErrorWrite(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
