import CarePlanStandard
import Foundation
import RenkeiAPI
import RenkeiOffice

/// What the templates render (swift-mustache reads these by reflection): one value per page, built from
/// the API's messages. Every page carries `base` (the session's path), `office` and `title`.
struct UnitRow {
    let id: UInt64
    let base: String
    let arrived: String
    let partner: String
    let type: String
    let month: String
    let files: String
    let status: String
    let statusKey: String

    init(_ unit: Renkei_V1_UnitSummary, inbox: Bool, base: String) {
        id = unit.unitID
        self.base = base
        arrived = UnitText.time(micros: unit.uploadedMicros)
        partner = inbox ? unit.sender : unit.recipient
        type = UnitText.type(unit.unitType)
        month = unit.serviceMonth.isEmpty ? "-" : unit.serviceMonth
        files = "\(unit.fileCount) 件(\(unit.byteCount) バイト)"
        status = UnitText.status(unit.status)
        statusKey = switch unit.status {
        case .unread: "unread"
        case .downloaded: "downloaded"
        case .withdrawn: "withdrawn"
        case .purged: "purged"
        default: "unknown"
        }
    }

    /// The row as the inbox page's script inserts it when the unit arrives live.
    var json: String {
        let object: [String: Any] = ["id": id, "href": "\(base)/inbox/\(id)", "arrived": arrived, "partner": partner, "type": type,
                                     "month": month, "files": files, "status": status]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

struct StatusOption {
    let value: String
    let label: String
    let selected: Bool
}

struct ListPage {
    let base: String
    let office: String
    let title: String
    let units: [UnitRow]
    let total: Int
    let statuses: [StatusOption]
    let month: String
    let partner: String
    let previous: String?
    let next: String?
}

struct FileRow {
    let base: String
    let id: UInt64
    let name: String
    let kind: String
    let size: UInt64
    let sha256: String
    let received: Bool
}

struct CSVRow {
    let line: Int
    let cells: [String]
}

struct CSVSection {
    let name: String
    let title: String
    let columns: [String]
    let rows: [CSVRow]
    let error: String?
}

struct UnitPage {
    let base: String
    let office: String
    let title: String
    let id: UInt64
    let sender: String
    let recipient: String
    let type: String
    let month: String
    let serial: String
    let status: String
    let statusKey: String
    let arrived: String
    let downloaded: String
    let signature: String
    let signatureClass: String
    let received: Bool
    let inboxFolder: String
    let files: [FileRow]
    let tables: [CSVSection]
    let printable: Bool
    let message: String?
}

struct MessagePage {
    let base: String
    let office: String
    let title: String
    let message: String
    let detail: String?
}

/// A standard CSV file as a readable table: the standard's column names (日本語名称) over the decoded fields.
enum CSVTable {
    /// The most rows shown for one file.
    static let maximumRows = 500

    static func section(name: String, bytes: [UInt8]) -> CSVSection {
        let layout = (try? FileName.parse(name)).flatMap { StandardDefinition.v41.layout(of: $0.kind) }
        let (rows, failed) = records(bytes, limit: maximumRows)
        let width = rows.map(\.cells.count).max() ?? 0
        let names = layout?.columns.map(\.nameJA) ?? []
        let columns = (0..<width).map { $0 < names.count ? names[$0] : "列\($0 + 1)" }
        return CSVSection(name: name, title: layout?.titleJA ?? name, columns: columns, rows: rows,
                          error: failed ? "MS932(Shift_JIS)として読めない文字があります。`renkei check --fix-to` で変換したコピーを作れます。" : nil)
    }

    /// The file's records, each field decoded from MS932 (`failed` when one does not decode: it is then shown as UTF-8).
    static func records(_ bytes: [UInt8], limit: Int = .max) -> (rows: [CSVRow], failed: Bool) {
        var rows: [CSVRow] = []
        var reader = CSVReader()
        var failed = false
        bytes.withUnsafeBufferPointer { buffer in
            func take(_ record: CSVRecord) {
                guard rows.count < limit else { return }
                let cells = record.fields.map { field -> String in
                    let raw = Array(record.storage[field.range])
                    if let text = try? MS932.decode(raw) { return text }
                    failed = true
                    return String(decoding: raw, as: UTF8.self)
                }
                rows.append(CSVRow(line: record.line, cells: cells))
            }
            reader.consume(buffer, take)
            reader.finish(take)
        }
        return (rows, failed)
    }
}
