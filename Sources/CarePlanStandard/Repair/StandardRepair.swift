import Foundation

/// Corrected copies of files with the common vendor deviations — UTF-8 (with or without a BOM) instead of
/// MS932, a CSV version value the standard does not define for the file's month, a file name that breaks
/// the naming rule only in its form (case, full-width characters, a copy marker such as " (1)") — each
/// change named, in Japanese and English. Never a silent correction: a file whose fault is anything else is
/// returned unchanged with the reason it cannot be repaired, and the original bytes are never modified.
public enum StandardRepair {
    /// One change made to a file.
    public struct Change: Hashable, Sendable, Codable {
        /// The finding the change answers (ENC-1, VER-2, NAME-1).
        public let code: String
        public let japanese: String
        public let english: String
    }

    /// A file's repair.
    public struct Repaired: Sendable {
        /// The name given.
        public let originalName: String
        /// The corrected name (the same when the name was right).
        public let name: String
        /// The corrected bytes.
        public let bytes: [UInt8]
        /// What changed, in order; empty when nothing needed a change.
        public let changes: [Change]
    }

    /// What is wrong with a file's bytes, said once, in terms a care manager can act on (nil: none of the
    /// known deviations). `renkei check` leads with it instead of a finding per line.
    public static func diagnosis(name: String, bytes: [UInt8]) -> Change? {
        if bytes.starts(with: utf8BOM) {
            return Change(code: "ENC-1", japanese: "このファイルは UTF-8(BOM 付き)で保存されています。標準仕様は MS932(Shift_JIS)です。`renkei check --fix-to フォルダ` で変換したコピーを作れます。",
                          english: "This file is saved as UTF-8 with a BOM; the standard needs MS932 (Shift_JIS). `renkei check --fix-to FOLDER` writes a converted copy.")
        }
        if isUTF8NotMS932(bytes) {
            return Change(code: "ENC-1", japanese: "このファイルは UTF-8 で保存されています。標準仕様は MS932(Shift_JIS)です。`renkei check --fix-to フォルダ` で変換したコピーを作れます。",
                          english: "This file is saved as UTF-8; the standard needs MS932 (Shift_JIS). `renkei check --fix-to FOLDER` writes a converted copy.")
        }
        return nil
    }

    /// The corrected copy of `name` with `bytes`. Throws `RepairError` when a deviation is found that cannot
    /// be corrected safely (a character MS932 cannot hold, a name that stays wrong after normalizing).
    public static func repair(name: String, bytes: [UInt8], definition: StandardDefinition = .v41) throws(RepairError) -> Repaired {
        var changes: [Change] = []
        var bytes = bytes
        // 1. Encoding: drop a UTF-8 BOM; convert UTF-8 text to MS932.
        if bytes.starts(with: utf8BOM) {
            bytes.removeFirst(3)
            changes.append(Change(code: "ENC-1", japanese: "先頭の BOM(EF BB BF)を削除しました。", english: "Removed the UTF-8 byte order mark (EF BB BF) at the start."))
        }
        if isUTF8NotMS932(bytes) {
            let text = String(decoding: bytes, as: UTF8.self)
            do { bytes = try MS932.encode(text) } catch {
                throw RepairError(name: name, reason: "UTF-8 の文字を MS932 に変換できません (\(error)) / a character has no MS932 form: \(error)")
            }
            changes.append(Change(code: "ENC-1", japanese: "文字コードを UTF-8 から MS932(Shift_JIS)に変換しました。", english: "Converted the text from UTF-8 to MS932 (Shift_JIS)."))
        }
        // 2. The name: case, full-width characters, copy markers, other separators.
        var fixedName = name
        if (try? FileName.parse(name, definition: definition)) == nil {
            let normalized = normalizedName(name)
            guard normalized != name, (try? FileName.parse(normalized, definition: definition)) != nil else {
                throw RepairError(name: name, reason: "ファイル名を規則どおりに直せません / the name cannot be corrected to the naming rule: \((try? FileName.parse(name, definition: definition)).map { "\($0)" } ?? nameReason(name, definition))")
            }
            fixedName = normalized
            changes.append(Change(code: "NAME-1", japanese: "ファイル名を「\(name)」から「\(normalized)」に直しました。", english: "Renamed '\(name)' to '\(normalized)'."))
        }
        // 3. The CSV version in column 1 of every record, when it is not a value the standard defines.
        if let parsed = try? FileName.parse(fixedName, definition: definition), fixedName.uppercased().hasSuffix(".CSV") {
            let month = parsed.month?.description ?? "999999"
            let expected = definition.csvVersionHistory.last { $0.fromMonth <= month }?.version ?? definition.csvVersion
            let known = Set(definition.csvVersionHistory.map(\.version) + [definition.csvVersion])
            let (rewritten, replaced) = replaceVersions(in: bytes, keeping: known, with: expected)
            if !replaced.isEmpty {
                bytes = rewritten
                changes.append(Change(code: "VER-2", japanese: "CSVバージョン「\(replaced.sorted().joined(separator: "」「"))」(標準仕様にない値)を「\(expected)」にしました(全レコードの1列目)。",
                                      english: "Replaced the CSV version \(replaced.sorted().map { "'\($0)'" }.joined(separator: ", ")) (not a value of the standard) with '\(expected)' in column 1 of every record."))
            }
        }
        return Repaired(originalName: name, name: fixedName, bytes: bytes, changes: changes)
    }

    static let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Valid UTF-8 with at least one multi-byte character, that MS932 does not decode (or decodes only into
    /// half-width katakana runs, which is what UTF-8 Japanese looks like read as Shift_JIS).
    static func isUTF8NotMS932(_ bytes: [UInt8]) -> Bool {
        guard bytes.contains(where: { $0 >= 0x80 }), String(validating: bytes, as: UTF8.self) != nil else { return false }
        guard let decoded = try? MS932.decode(bytes) else { return true }
        // UTF-8 kana and kanji (E3–E9 lead bytes) read as MS932 give half-width katakana and rare kanji; a real MS932
        // file with that much half-width katakana and no full-width text is implausible in these files.
        let halfWidth = decoded.unicodeScalars.filter { (0xFF61...0xFF9F).contains($0.value) }.count
        let fullWidth = decoded.unicodeScalars.filter { (0x3040...0x30FF).contains($0.value) }.count
        return halfWidth > 0 && fullWidth == 0
    }

    /// NFKC (full-width digits, letters and underscores to ASCII), a copy marker (" (1)", "(2)", " - コピー")
    /// removed, spaces and hyphens to underscores, the kind and the extension in upper case.
    public static func normalizedName(_ name: String) -> String {
        var text = name.precomposedStringWithCompatibilityMapping
        let dot = text.lastIndex(of: ".")
        var stem = dot.map { String(text[..<$0]) } ?? text
        let ext = dot.map { String(text[text.index(after: $0)...]) } ?? ""
        for marker in [" - コピー", " - Copy", "のコピー"] where stem.hasSuffix(marker) { stem.removeLast(marker.count) }
        if let open = stem.lastIndex(of: "("), stem.hasSuffix(")"), stem[stem.index(after: open)..<stem.index(before: stem.endIndex)].allSatisfy(\.isNumber) {
            stem = String(stem[..<open]).trimmingCharacters(in: .whitespaces)
        }
        stem = stem.replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_").uppercased()
        text = stem + "." + (ext.uppercased() == "JPG" ? ext : ext.uppercased())
        return text
    }

    static func nameReason(_ name: String, _ definition: StandardDefinition) -> String {
        do { _ = try FileName.parse(name, definition: definition); return "" } catch { return error.description }
    }

    /// Replaces column 1 of each record when its value is not in `known`; returns the bytes and the values replaced.
    static func replaceVersions(in bytes: [UInt8], keeping known: Set<String>, with expected: String) -> ([UInt8], Set<String>) {
        var starts: [Int] = []
        var reader = CSVReader()
        bytes.withUnsafeBufferPointer { buffer in
            reader.consume(buffer) { record in starts.append(record.byteOffset) }
            reader.finish { record in starts.append(record.byteOffset) }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var replaced: Set<String> = []
        var copied = 0
        for start in starts where start < bytes.count {
            // Column 1 runs to the first comma (or the quote that closes it).
            let quoted = bytes[start] == UInt8(ascii: "\"")
            var end = start + (quoted ? 1 : 0)
            while end < bytes.count, bytes[end] != (quoted ? UInt8(ascii: "\"") : UInt8(ascii: ",")), bytes[end] != 0x0D, bytes[end] != 0x0A { end += 1 }
            let valueStart = start + (quoted ? 1 : 0)
            let value = String(decoding: bytes[valueStart..<end], as: UTF8.self)
            guard !known.contains(value), value.count <= 8 else { continue }
            replaced.insert(value)
            out += bytes[copied..<valueStart]
            out += Array(expected.utf8)
            copied = end
        }
        out += bytes[copied...]
        return (out, replaced)
    }
}

/// A file that has a deviation `StandardRepair` cannot correct safely.
public struct RepairError: Error, Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let reason: String
    public var description: String { "\(name): \(reason)" }
}
