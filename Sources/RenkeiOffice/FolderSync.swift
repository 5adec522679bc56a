import CarePlanStandard
public import Foundation
import RenkeiAPI
import RenkeiClient
import RenkeiCore
public import RenkeiModel
#if canImport(Glibc)
import Glibc
#endif

/// `renkei sync`: sends what the care software drops into an outbox folder and delivers what arrives into an
/// inbox folder, across restarts and server outages, with no double sends and no lost files.
///
/// - **Outbox.** A 連番's files are sent together once all of them have been unchanged for `settle` and form a
///   whole send unit (or the newest is `incompleteWait` old). A unit the platform
///   stored moves to `sent/`; one it refused (the standard's errors, a file for another office, …) moves to
///   `rejected/` with `NAME.findings.txt` beside each file; while the server cannot be reached the files stay
///   and are tried again. The idempotency key is made from the recipient, the 連番 and the files' bytes, so a
///   unit sent just before a crash (before its files moved) is answered with its first receipt when sent
///   again: never a second unit.
/// - **Inbox.** Every unread unit is downloaded (hashes and the sender's signature verified, files written
///   whole under temporary names and renamed), then acknowledged. A crash between the rename and the
///   acknowledgement leaves the unit unread; the next pass writes the same bytes again and acknowledges.
/// - One daemon per outbox: `outbox/.renkei-sync.lock` is held with `flock` while it runs.
public final class FolderSync: @unchecked Sendable {
    /// What a pass did (also printed as it happens).
    public struct Pass: Sendable {
        public var sent = 0
        public var rejected = 0
        public var downloaded = 0
        /// Whether the server could not be reached (the pass will be tried again).
        public var offline = false
    }

    public let outbox: URL
    public let inbox: URL
    public let settle: TimeInterval
    /// How long the files of an incomplete send unit wait for the rest before they are sent as they are.
    public let incompleteWait: TimeInterval
    let profile: ClientProfile
    let log: @Sendable (String) -> Void
    private var lock: Int32 = -1

    public init(profile: ClientProfile, outbox: URL, inbox: URL, settle: TimeInterval = 2, incompleteWait: TimeInterval = 60,
                log: @escaping @Sendable (String) -> Void) throws(ProgramError) {
        self.profile = profile
        self.outbox = outbox
        self.inbox = inbox
        self.settle = settle
        self.incompleteWait = incompleteWait
        self.log = log
        for folder in [outbox, inbox, sentFolder, rejectedFolder] { try LocalFiles.makeFolder(folder) }
        lock = open(outbox.appendingPathComponent(".renkei-sync.lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            throw ProgramError(.folderBusy, "\(outbox.path): another renkei sync is running on this outbox / 別の renkei sync が動いています")
        }
    }

    deinit { if lock >= 0 { close(lock) } }

    var sentFolder: URL { outbox.appendingPathComponent("sent") }
    var rejectedFolder: URL { outbox.appendingPathComponent("rejected") }

    /// Runs passes every `interval` until the task is cancelled.
    public func run(interval: Duration = .seconds(2)) async {
        while !Task.isCancelled {
            _ = await pass()
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass: the outbox, then the inbox.
    public func pass(now: Date = Date()) async -> Pass {
        var result = Pass()
        let client: RenkeiClient
        do { client = try profile.connect(timeout: .seconds(30)) } catch {
            log("\(error)")
            result.offline = true
            return result
        }
        do {
            try finishMoves()
            try await sendReady(client, now: now, into: &result)
            try await downloadUnread(client, into: &result)
        } catch let error as RenkeiClientError where error.detail == nil || error.status == .unavailable {
            log("\(ProgramOutput.classify(error)) — 再試行します / will retry")
            result.offline = true
        } catch {
            log("\(error) — 再試行します / will retry")
            result.offline = true
        }
        await client.close()
        return result
    }

    /// The outbox's files (top level, not hidden) with their modification times.
    func outboxFiles() throws(ProgramError) -> [(url: URL, modified: Date)] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: outbox.path) } catch {
            throw ProgramError(.unreadable, "\(outbox.path): \(error.localizedDescription)")
        }
        return names.sorted().filter { !$0.hasPrefix(".") }.compactMap { name in
            let url = outbox.appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let modified = attributes[.modificationDate] as? Date else { return nil }
            return (url, modified)
        }
    }

    /// The files ready to send: a 連番's files only when every one of them has been unchanged for `settle`
    /// (the care software may still be writing the last), and — when they do not yet form a whole send unit by
    /// the standard (UNIT-2: a 第7表 missing beside its 第6表, …) — only once the newest is `incompleteWait` old,
    /// so a unit is not split by a file that arrives a little later. Files without a 連番 come one by one.
    func readyFiles(now: Date) throws(ProgramError) -> (units: [URL], loose: [URL]) {
        var bySerial: [String: [(url: URL, modified: Date)]] = [:]
        var loose: [URL] = []
        for file in try outboxFiles() {
            if let name = try? FileName.parse(file.url.lastPathComponent) {
                bySerial[name.serialText, default: []].append(file)
            } else if now.timeIntervalSince(file.modified) >= settle {
                loose.append(file.url)
            }
        }
        var ready: [URL] = []
        for (_, files) in bySerial.sorted(by: { $0.key < $1.key }) {
            guard let newest = files.map(\.modified).max(), now.timeIntervalSince(newest) >= settle else { continue }
            if now.timeIntervalSince(newest) < incompleteWait {
                let csv = files.filter { $0.url.pathExtension.uppercased() == "CSV" }.map { CheckInput.file(atPath: $0.url.path) }
                if StandardChecker().check(csv).unitFindings.contains(where: { $0.code == .combination }) { continue }
            }
            ready += files.map(\.url)
        }
        return (ready, loose)
    }

    func sendReady(_ client: RenkeiClient, now: Date, into result: inout Pass) async throws {
        let (ready, loose) = try readyFiles(now: now)
        guard !ready.isEmpty || !loose.isEmpty else { return }
        var groupable = ready
        // Files without a 連番: an attachment goes with the unit beside it; anything else is rejected.
        for file in loose {
            if SendPlan.isAttachment(file.lastPathComponent) {
                groupable.append(file)
                continue
            }
            do { _ = try SendPlan(paths: [file], sender: profile.settings.office); groupable.append(file) } catch {
                guard error.code == .badSendFiles else { throw error }
                try reject([file], report: error.description)
                result.rejected += 1
            }
        }
        // Standard files of another office are rejected before grouping.
        for file in ready where (try? FileName.parse(file.lastPathComponent))?.sender.rawValue != profile.settings.office {
            groupable.removeAll { $0 == file }
            try reject([file], report: ProgramError(.badSendFiles, "\(file.lastPathComponent) was made by another office than this profile's \(profile.settings.office) / 送信元の事業所番号が違います").description)
            result.rejected += 1
        }
        guard !groupable.isEmpty else { return }
        let plan: SendPlan
        do { plan = try SendPlan(paths: groupable, sender: profile.settings.office) } catch {
            // Attachments beside several units, or none: they wait for a single unit or the operator.
            log("\(error)")
            return
        }
        for unit in plan.units {
            do {
                let receipt = try await client.send(unit.files, to: unit.recipient, idempotencyKey: unit.idempotencyKey)
                try move(unit.paths, to: sentFolder, journal: "\(unit.serial)_\(unit.recipient)")
                log("送信 sent unit \(receipt.unitID) 連番 \(unit.serial) → \(unit.recipient) (\(unit.files.count) files)\(receipt.repeat ? " (already sent: first receipt)" : "")")
                result.sent += 1
            } catch let error as RenkeiClientError where error.detail != nil && !Self.isTransient(error) {
                try reject(unit.paths, report: ProgramOutput.failure(error).message)
                log("却下 rejected 連番 \(unit.serial): \(error)")
                result.rejected += 1
            }
        }
    }

    /// Refusals that a later attempt may pass: the platform was unavailable, busy, or out of space.
    static func isTransient(_ error: RenkeiClientError) -> Bool {
        [.unavailable, .resourceExhausted, .deadlineExceeded, .aborted, .internalError].contains(error.status)
    }

    /// Moves `files` to rejected/ with a findings report beside each (the reports first, so a file is never
    /// there without its report).
    func reject(_ files: [URL], report: String) throws(ProgramError) {
        for file in files {
            let text = "\(file.lastPathComponent)\n送信できませんでした / Not sent:\n\(report)\n"
            try LocalFiles.writeWhole(Array(text.utf8), to: rejectedFolder.appendingPathComponent(file.lastPathComponent + ".findings.txt"))
        }
        try move(files, to: rejectedFolder, journal: "rejected-" + (files.first?.lastPathComponent ?? "unit"))
    }

    // MARK: - Moves that survive a crash

    /// The journal of moves begun: a unit's files move one by one, so a crash between two renames would leave
    /// part of a unit in the outbox — to be sent again as a smaller unit. The list of names is written first
    /// and finished by the next pass.
    var journalFolder: URL { outbox.appendingPathComponent(".renkei-sync") }

    struct Journal: Codable { var destination: String; var files: [String] }

    func move(_ files: [URL], to destination: URL, journal name: String) throws(ProgramError) {
        try LocalFiles.makeFolder(journalFolder)
        let entry = journalFolder.appendingPathComponent(name + ".json")
        let journal = Journal(destination: destination.lastPathComponent, files: files.map(\.lastPathComponent))
        guard let bytes = try? JSONEncoder().encode(journal) else { throw ProgramError(.unwritable, entry.path) }
        try LocalFiles.writeWhole(Array(bytes), to: entry)
        try finish(journal)
        try? FileManager.default.removeItem(at: entry)
    }

    func finish(_ journal: Journal) throws(ProgramError) {
        let destination = outbox.appendingPathComponent(journal.destination)
        for name in journal.files where FileManager.default.fileExists(atPath: outbox.appendingPathComponent(name).path) {
            try LocalFiles.moveIntoPlace(outbox.appendingPathComponent(name), destination.appendingPathComponent(name))
        }
    }

    /// Completes the moves a crash interrupted.
    func finishMoves() throws(ProgramError) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: journalFolder.path) else { return }
        for name in names where name.hasSuffix(".json") {
            let entry = journalFolder.appendingPathComponent(name)
            // A journal written only in part was never acted on: nothing moved yet, the unit is tried again.
            guard let data = try? Data(contentsOf: entry), let journal = try? JSONDecoder().decode(Journal.self, from: data),
                  ["sent", "rejected"].contains(journal.destination) else {
                try? FileManager.default.removeItem(at: entry)
                continue
            }
            try finish(journal)
            try? FileManager.default.removeItem(at: entry)
        }
    }

    func downloadUnread(_ client: RenkeiClient, into result: inout Pass) async throws {
        var unread = Renkei_V1_ListMailboxRequest()
        unread.status = .unread
        for unit in try await client.allUnits(inbox: true, unread).map(\.unitID) {
            do {
                let downloaded = try await UnitDownload.run(unit, into: inbox, client: client)
                log("受信 received unit \(unit) from \(downloaded.detail.summary.sender): \(downloaded.paths.map(\.lastPathComponent).joined(separator: ", "))")
                result.downloaded += 1
            } catch let error as ProgramError {
                // This unit cannot be kept now (it does not verify, a name is taken, the disk is full): it stays
                // unread, is tried again next pass, and does not hold up the units after it.
                log("\(error) (unit \(unit))")
            }
        }
    }
}
