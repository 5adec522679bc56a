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
import Foundation
import RenkeiCrypto
import RenkeiLog
import RenkeiModel
import RenkeiStore

let arguments = CommandLine.arguments
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

let uploads = try KeySpace("uploads")
var configuration = LMDBEventStore.Configuration()
configuration.keySpaces = [uploads]
configuration.identityInterval = 64
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
