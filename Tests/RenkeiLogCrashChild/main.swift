// The child process of the crash-safety test (RenkeiLogTests/CrashSafetyTests.swift).
//
//   renkei-log-crash-child DATA_FOLDER RUN_ID
//
// Opens the store, then several tasks commit in a loop through the storage protocol: each write stores a
// file (blob) of a few KiB, an event naming it and a key-space entry, through the group-commit writer.
// After each acknowledged write it prints one line
//   ACK <sequence> <sha256 of the event body> <sha256 of the file>
// with a single write(2), so a line is whole or absent. Two more tasks read the latest event in a loop.
// It runs until the test kills it with SIGKILL.
//
//   renkei-log-crash-child --check DATA_FOLDER ACKFILE
//
// The check after a crash or a power cut (Tools/powerloss/run): opens the store in DATA_FOLDER as the
// writer mode does, verifies the whole log, and looks up every ACK line of ACKFILE: the event at its
// sequence must have a body with that SHA-256, and the file with that hash must be stored and read back
// with it. Prints one line, `CHECK ok acks=N latest=S` or `CHECK LOST n of N: first sequence …`, and
// exits 0 (all there), 1 (acknowledged writes lost) or 2 (the store does not open or verify, or the
// arguments or ACKFILE are unusable).
import Foundation
import RenkeiCrypto
import RenkeiLog
import RenkeiModel
import RenkeiStore

let arguments = CommandLine.arguments
if arguments.count >= 2 && arguments[1] == "--check" {
    guard arguments.count == 4 else {
        FileHandle.standardError.write(Data("usage: renkei-log-crash-child --check DATA_FOLDER ACKFILE\n".utf8))
        exit(2)
    }
    exit(await check(folder: arguments[2], ackFile: arguments[3]))
}
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: renkei-log-crash-child DATA_FOLDER RUN_ID\n".utf8))
    exit(2)
}
let folder = arguments[1]
let run = arguments[2]

func emit(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}

/// The store's settings, the same in the writer mode and the check. `RENKEI_CHECKPOINT_INTERVAL` (seconds)
/// lets a test keep acknowledged work in the write-ahead log only, so that the kill lands between a
/// group's sync and its checkpoint.
func storeConfiguration() throws -> LMDBEventStore.Configuration {
    var configuration = LMDBEventStore.Configuration()
    configuration.keySpaces = [try KeySpace("uploads")]
    configuration.identityInterval = 64
    if let seconds = ProcessInfo.processInfo.environment["RENKEI_CHECKPOINT_INTERVAL"].flatMap(Int.init), seconds > 0 {
        configuration.checkpointInterval = .seconds(seconds)
    }
    return configuration
}

/// One ACK line: a write the writer mode saw acknowledged.
struct Acknowledgement: Sendable {
    let sequence: SequenceNumber
    let bodyHash: SHA256Digest
    let blobHash: SHA256Digest
}

/// The check mode (see the top of this file); returns the exit status.
func check(folder: String, ackFile: String) async -> Int32 {
    var acks: [Acknowledgement] = []
    guard let text = try? String(contentsOfFile: ackFile, encoding: .utf8) else {
        emit("CHECK FAILED cannot read \(ackFile)")
        return 2
    }
    for line in text.split(separator: "\n") where !line.isEmpty && !line.hasPrefix("READY ") {
        let fields = line.split(separator: " ")
        guard fields.count == 4, fields[0] == "ACK", let sequence = UInt64(fields[1]),
              let body = SHA256Digest(hex: fields[2]), let blob = SHA256Digest(hex: fields[3]) else {
            emit("CHECK FAILED unreadable line in \(ackFile): \(line)")
            return 2
        }
        acks.append(Acknowledgement(sequence: SequenceNumber(sequence), bodyHash: body, blobHash: blob))
    }
    acks.sort { $0.sequence < $1.sequence }

    let store: LMDBEventStore
    do {
        store = try LMDBEventStore(path: folder, configuration: try storeConfiguration())
    } catch {
        emit("CHECK FAILED the store does not open: \(error)")
        return 2
    }
    let verified: LogVerification
    do {
        verified = try store.verify()
    } catch {
        emit("CHECK FAILED the store does not verify: \(error)")
        await store.close()
        return 2
    }
    let latest = store.latestSequence
    // Every acknowledged write, looked up at one snapshot: its event's body and its file.
    let missing: [(Acknowledgement, String)]
    do {
        missing = try await store.read { snapshot in
            var missing: [(Acknowledgement, String)] = []
            for ack in acks {
                guard let event = try await snapshot.event(at: ack.sequence) else {
                    missing.append((ack, "no event"))
                    continue
                }
                guard SHA256.hash(event.body) == ack.bodyHash else {
                    missing.append((ack, "another body"))
                    continue
                }
                guard let info = try await snapshot.blobInfo(ack.blobHash), !info.isPurged else {
                    missing.append((ack, "no file \(ack.blobHash.hex)"))
                    continue
                }
                guard let bytes = try await snapshot.blob(ack.blobHash), bytes.count == info.size, SHA256.hash(bytes) == ack.blobHash else {
                    missing.append((ack, "file \(ack.blobHash.hex) reads back wrong"))
                    continue
                }
            }
            return missing
        }
    } catch {
        emit("CHECK FAILED reading the store: \(error)")
        await store.close()
        return 2
    }
    await store.close()
    if let first = missing.first {
        let (ack, reason) = first
        emit("CHECK LOST \(missing.count) of \(acks.count): first sequence \(ack.sequence) (\(reason)), latest=\(latest) verified=\(verified.events)")
        return 1
    }
    emit("CHECK ok acks=\(acks.count) latest=\(latest) verified=\(verified.events)")
    return 0
}

let uploads = try KeySpace("uploads")
let configuration = try storeConfiguration()
let store = try LMDBEventStore(path: folder, configuration: configuration)
emit("READY \(store.latestSequence)")

await withThrowingTaskGroup(of: Void.self) { group in
    // Readers too, so that the kill often lands inside a read transaction and leaves a stale reader slot.
    for _ in 0..<2 {
        group.addTask {
            while true {
                _ = try await store.read { snapshot in
                    let latest = try await snapshot.latestSequence()
                    return latest > .zero ? try await snapshot.event(at: latest)?.body.count : nil
                }
                await Task.yield()
            }
        }
    }
    for worker in 0..<8 {
        group.addTask {
            var index = 0
            while true {
                let tag = "\(run)-\(worker)-\(index)"
                let line = Array("202407,1310000001,139999,\(tag),202506,訪問介護,\"予定 \(tag)\"\r\n".utf8)
                let file = Array((0..<(1 + index % 8) * 1024 / line.count + 1).flatMap { _ in line })
                let blob = try store.prepareBlob(file, kind: "UPPLAN", dictionaryID: nil)
                let body = Array("upload \(tag) file \(blob.hash.hex) size \(file.count)".utf8)
                let write = StoreWrite(
                    events: [NewEvent(kind: EventKind(rawValue: 7), body: body, actor: .office(OfficeNumber(rawValue: "1310000001")!), requestID: .random())],
                    blobs: [blob],
                    changes: [.put(uploads, key: Array(tag.utf8), value: blob.hash.bytes)]
                )
                let receipt = try await store.commit(write)
                emit("ACK \(receipt.events[0].sequence) \(SHA256.hash(body).hex) \(blob.hash.hex)")
                index += 1
            }
        }
    }
}
