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

    /// Writes the send units of `offices` care-management offices into `folder` — seeds `seed`, `seed + 1`, …, each
    /// its own office with `users` users and its own service offices — as a month's folder at the platform looks;
    /// returns the number of files. 81 offices of 3 users write about 2,950 small files (~1.6 KB each).
    public static func write(seed: UInt64, offices: Int, users: Int, month: String, to folder: String) throws -> Int {
        var count = 0
        for office in 0..<UInt64(max(1, offices)) {
            count += try write(seed: seed &+ office, users: users, month: month, to: folder)
        }
        return count
    }

    /// Writes one generated file of `kind` of roughly `approximateByteCount` bytes into `folder`; returns its name.
    public static func write(seed: UInt64, kind: String, approximateByteCount: Int, month: String, to folder: String) throws -> String {
        guard let yearMonth = YearMonth(month) else { throw DefinitionError(reason: "'\(month)' is not YYYYMM") }
        guard let file = CarePlanGenerator(seed: seed, month: yearMonth)
            .file(kind: FileKind(rawValue: kind), approximateByteCount: approximateByteCount) else {
            throw DefinitionError(reason: "the generator does not make \(kind) files")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(file.bytes).write(to: URL(fileURLWithPath: folder).appendingPathComponent(file.fileName))
        return file.fileName
    }
}
