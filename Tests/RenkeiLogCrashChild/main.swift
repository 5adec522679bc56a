// The child process of the crash-safety test (RenkeiLogTests/CrashSafetyTests.swift).
//
//   renkei-log-crash-child DATA_FOLDER RUN_ID
//
// Opens the log, then several tasks append in a loop: each append stores a file (blob) of a few KiB and a
// record naming it, through the group-commit writer. After each acknowledged append it prints one line
//   ACK <sequence> <sha256 of the record body> <sha256 of the file>
// with a single write(2), so a line is whole or absent. Two more tasks read the latest record in a loop.
// It runs until the test kills it with SIGKILL.
import Foundation
import RenkeiCrypto
import RenkeiLog
import RenkeiModel

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

let log = try EventLog(path: folder)
emit("READY \(log.latestSequence)")

await withThrowingTaskGroup(of: Void.self) { group in
    // Readers too, so that the kill often lands inside a read transaction and leaves a stale reader slot
    // for the next open to clear.
    for _ in 0..<2 {
        group.addTask {
            while true {
                try log.read { snapshot in
                    let latest = try snapshot.latestSequence()
                    if latest > .zero, let record = try snapshot.record(at: latest) { _ = try snapshot.body(of: record) }
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
                // A file of 1–8 KiB whose bytes depend on the tag, and a body that names it.
                let line = Array("202407,1310000001,139999,\(tag),202506,訪問介護,\"予定 \(tag)\"\r\n".utf8)
                let file = Array((0..<(1 + index % 8) * 1024 / line.count + 1).flatMap { _ in line })
                let blob = try log.prepareBlob(file)
                let body = Array("upload \(tag) file \(blob.hash.hex) size \(file.count)".utf8)
                let record = try log.prepare(kind: EventKind(rawValue: 7), body: body)
                let sequence = try await log.write { txn in
                    try txn.storeBlob(blob)
                    return try txn.append(record)
                }
                emit("ACK \(sequence) \(SHA256.hash(body).hex) \(blob.hash.hex)")
                index += 1
            }
        }
    }
}
