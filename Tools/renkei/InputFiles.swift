import CarePlanStandard
import Foundation
import RenkeiModel

/// Turns command-line paths into check inputs: files as given, folders searched recursively
/// (``CheckInput/files(inFolder:)``, which benchmarks call too).
enum InputFiles {
    static func expand(_ paths: [String]) throws(ProgramError) -> [CheckInput] {
        var inputs: [CheckInput] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw ProgramError(.fileNotFound, path) }
            if isFolder.boolValue {
                // An unlistable folder is never read as an empty one.
                do { inputs += try CheckInput.files(inFolder: path) } catch {
                    throw ProgramError(.unreadable, "Cannot list the folder \(path): \((error as NSError).localizedDescription)")
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
