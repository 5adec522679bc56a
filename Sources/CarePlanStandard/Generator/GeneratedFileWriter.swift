import Foundation
import RenkeiModel

/// Writes a generator's send units into a folder, under their v4.1 names (for `renkei generate`).
public enum GeneratedFileWriter {
    /// Writes the send units of `CarePlanGenerator(seed:month:userCount:)` into `folder`; returns the number of
    /// files. Throws when the month is not YYYYMM or the folder cannot be written.
    public static func write(seed: UInt64, users: Int, month: String, to folder: String) throws -> Int {
        guard let yearMonth = YearMonth(month) else { throw DefinitionError(reason: "'\(month)' is not YYYYMM") }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var count = 0
        for unit in CarePlanGenerator(seed: seed, month: yearMonth, userCount: users).sendUnits() {
            for file in unit.files {
                try Data(file.bytes).write(to: URL(fileURLWithPath: folder).appendingPathComponent(file.fileName))
                count += 1
            }
        }
        return count
    }
}
