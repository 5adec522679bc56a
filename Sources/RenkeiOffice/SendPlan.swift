import CarePlanStandard
import Foundation
import RenkeiCrypto
public import RenkeiClient
public import RenkeiModel

/// Files given to `renkei send`, grouped into send units: files sharing one 14-digit 連番 form a unit, and
/// its recipient is the one their names give. Every file must name the sending office as its sender; PDF,
/// JPEG and PNG attachments (whose names carry no 連番) join the unit when there is exactly one.
public struct SendPlan: Sendable {
    /// One send unit to send.
    public struct Unit: Sendable {
        /// The 連番 the files share.
        public let serial: String
        /// The recipient the names give.
        public let recipient: String
        /// The files, in the order given.
        public let files: [OutgoingFile]
        /// Where each file was read from (the same order; empty for files held in memory).
        public let paths: [URL]

        /// The idempotency key: the same recipient, 連番 and file bytes always give the same key, so sending
        /// them again (a retry after a timeout, a restarted sync) returns the first receipt instead of a second unit.
        public var idempotencyKey: String {
            var text = "renkei-send/1\n\(recipient)\n\(serial)\n"
            for file in files.sorted(by: { $0.name < $1.name }) { text += "\(file.name) \(SHA256.hash(file.bytes).hex)\n" }
            return SHA256.hash(Array(text.utf8)).hex
        }
    }

    public let units: [Unit]

    /// Whether `name` is a PDF, JPEG or PNG attachment (by its extension).
    public static func isAttachment(_ name: String) -> Bool { OutgoingFile.isAttachment(name) }

    /// The most bytes one file may have (the server's default limit).
    public static let maximumFileBytes = 64 << 20
    /// The most files one command sends.
    public static let maximumFiles = 10_000

    /// Groups the files at `paths` for `sender`. Folders are not taken (name their files); anything else wrong is `badSendFiles`.
    public init(paths: [URL], sender: String) throws(ProgramError) {
        guard !paths.isEmpty else { throw ProgramError(.badSendFiles, "no files given / ファイルを指定してください") }
        guard paths.count <= Self.maximumFiles else {
            throw ProgramError(.badSendFiles, "\(paths.count) files; at most \(Self.maximumFiles) at once")
        }
        var files: [(OutgoingFile, URL?)] = []
        for path in paths { files.append((OutgoingFile(name: path.lastPathComponent, bytes: try LocalFiles.read(path, limit: Self.maximumFileBytes)), path)) }
        try self.init(grouping: files, sender: sender)
    }

    /// Groups files held in memory (the screens' uploads) for `sender`.
    public init(files: [OutgoingFile], sender: String) throws(ProgramError) {
        guard !files.isEmpty else { throw ProgramError(.badSendFiles, "no files given / ファイルを指定してください") }
        try self.init(grouping: files.map { ($0, nil) }, sender: sender)
    }

    private init(grouping given: [(file: OutgoingFile, path: URL?)], sender: String) throws(ProgramError) {
        var bySerial: [String: (recipient: String, files: [OutgoingFile], paths: [URL])] = [:]
        var order: [String] = []
        var attachments: [(OutgoingFile, URL?)] = []
        for (file, path) in given {
            let name = file.name
            guard let parsed = try? FileName.parse(name) else {
                guard Self.isAttachment(name) else {
                    throw ProgramError(.badSendFiles, "\(name): the name is not a standard file name (NAME-1), nor a PDF, JPEG or PNG attachment / 標準仕様のファイル名ではありません (renkei check で確認できます)")
                }
                attachments.append((file, path))
                continue
            }
            guard parsed.sender.rawValue == sender else {
                throw ProgramError(.badSendFiles, "\(name) was made by office \(parsed.sender.rawValue), but this profile is office \(sender) / 送信元の事業所番号が違います")
            }
            let serial = parsed.serialText
            if var unit = bySerial[serial] {
                guard unit.recipient == parsed.recipient.rawValue else {
                    throw ProgramError(.badSendFiles, "\(name) names recipient \(parsed.recipient.rawValue), but other files of 連番 \(serial) name \(unit.recipient) / 同じ連番で宛先が違います")
                }
                guard !unit.files.contains(where: { $0.name == name }) else {
                    throw ProgramError(.badSendFiles, "\(name) is given twice / 同じファイルが二度指定されています")
                }
                unit.files.append(file)
                if let path { unit.paths.append(path) }
                bySerial[serial] = unit
            } else {
                bySerial[serial] = (parsed.recipient.rawValue, [file], path.map { [$0] } ?? [])
                order.append(serial)
            }
        }
        if !attachments.isEmpty {
            guard order.count == 1 else {
                throw ProgramError(.badSendFiles, "attachments (\(attachments.map(\.0.name).joined(separator: ", "))) go with exactly one unit; \(order.count) units were given / 添付ファイルは一つの送信単位と一緒に送ってください")
            }
            bySerial[order[0]]!.files += attachments.map(\.0)
            bySerial[order[0]]!.paths += attachments.compactMap(\.1)
        }
        units = order.map { serial in
            let unit = bySerial[serial]!
            return Unit(serial: serial, recipient: unit.recipient, files: unit.files, paths: unit.paths)
        }
    }
}
