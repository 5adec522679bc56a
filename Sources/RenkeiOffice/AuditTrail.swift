import Foundation
public import RenkeiAPI
import RenkeiCore
import RenkeiCrypto
import RenkeiMerkle
public import RenkeiModel
import RenkeiStore

/// An auditor's export of the log: JSON Lines, a header line with the signed checkpoint and the
/// certificate of the key that signed it, then one line per event with its log record and its RFC 9162
/// inclusion proof. `verify` checks a file offline with the platform CA alone: the checkpoint
/// certificate's chain, the checkpoint's signature, every event's proof against the checkpoint's root,
/// that each readable field says what the record says, and each upload's CMS signature by its sender.
public enum AuditTrail {
    /// The format name on the header line.
    public static let format = "renkei-audit-export/1"
    /// The largest export file `verify` reads.
    public static let maximumFileBytes = 2 << 30

    struct Header: Codable {
        var format: String
        var checkpoint: String
        var checkpointCertificate: String
        var checkpointKeyName: String
        /// The platform CA's CRLs when exported (PEM): a sender's signature made after its certificate was
        /// revoked does not verify.
        var revocationLists: String?
        var office: String
        var fromSequence: UInt64
        var toSequence: UInt64
        var exportedAt: String
    }

    struct Line: Codable {
        var sequence: UInt64
        var time: String
        var kind: String
        var actor: String
        var summary: String
        var record: String
        var proof: [String]
        var treeSize: UInt64
    }

    /// The export as JSON Lines.
    public static func jsonLines(events: [Renkei_V1_ExportedEvent], checkpoint: String, info: Renkei_V1_ServerInfo,
                                 office: String, from: UInt64, to: UInt64, at time: Date = Date()) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out: [UInt8] = []
        let header = Header(format: format, checkpoint: checkpoint, checkpointCertificate: info.checkpointCertificatePem,
                            checkpointKeyName: info.checkpointKeyName, revocationLists: info.platformCrlPem, office: office, fromSequence: from, toSequence: to,
                            exportedAt: ISO8601DateFormatter().string(from: time))
        out += try encoder.encode(header)
        out.append(0x0A)
        for event in events {
            let line = Line(sequence: event.sequence, time: isoTime(micros: event.event.micros), kind: event.event.kindName,
                            actor: event.event.actor, summary: event.event.summary, record: Data(event.record).base64EncodedString(),
                            proof: event.inclusionProof.map { $0.base64EncodedString() }, treeSize: event.treeSize)
            out += try encoder.encode(line)
            out.append(0x0A)
        }
        return out
    }

    /// The export as CSV for Excel: UTF-8 with a BOM, one row per event (not verifiable by itself: keep the JSON Lines).
    public static func csv(events: [Renkei_V1_ExportedEvent]) -> [UInt8] {
        var text = "\u{FEFF}sequence,time,kind,actor,summary,leaf_sha256\r\n"
        for event in events {
            let leaf = MerkleHash.leaf(Array(event.record)).hex
            let fields = [String(event.sequence), isoTime(micros: event.event.micros), event.event.kindName, event.event.actor, event.event.summary, leaf]
            text += fields.map(csvField).joined(separator: ",") + "\r\n"
        }
        return Array(text.utf8)
    }

    /// What a verification found.
    public struct Verification: Sendable {
        /// Events whose proofs verified.
        public let events: Int
        /// Upload events whose sender's signature verified.
        public let signatures: Int
        /// The checkpoint the export verifies against.
        public let treeSize: UInt64
        public let root: String
    }

    /// Verifies an export file offline against the platform CA (`platformCAPEM`: root and intermediate).
    public static func verify(_ bytes: [UInt8], platformCAPEM: String) throws(ProgramError) -> Verification {
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: true)
        guard let first = lines.first, let header = try? JSONDecoder().decode(Header.self, from: Data(first)), header.format == format else {
            throw ProgramError(.auditMalformed, "the first line is not a \(format) header / 先頭行がエクスポートの見出しではありません")
        }
        let checkpoint: Checkpoint
        let trust: TrustStore
        var revoked: [String: Date] = [:]
        do {
            let ca = try Certificate.chain(pem: platformCAPEM)
            // Chains are verified at each signature's time; revocation is judged against that time below.
            trust = try TrustStore(roots: ca.filter { $0.subject == $0.issuer }, intermediates: ca.filter { $0.subject != $0.issuer },
                                   checksRevocation: false)
            for crl in try CertificateRevocationList.all(pem: header.revocationLists ?? "") {
                guard ca.contains(where: { crl.isSigned(by: $0) }) else {
                    throw ProgramError(.auditUnverified, "a CRL in the export was not signed by the platform CA")
                }
                for entry in crl.revoked { revoked[entry.serialNumber.hex] = min(revoked[entry.serialNumber.hex] ?? entry.revocationDate, entry.revocationDate) }
            }
            let signerChain = try Certificate.chain(pem: header.checkpointCertificate)
            guard let signer = signerChain.first else { throw ProgramError(.auditUnverified, "the export names no checkpoint certificate") }
            // The checkpoint certificate must be the platform's: issued under the platform CA.
            try verifyIssued(signer, by: ca)
            checkpoint = try Checkpoint.verify(note: header.checkpoint, certificate: signer, keyName: header.checkpointKeyName)
        } catch let error as ProgramError {
            throw error
        } catch {
            throw ProgramError(.auditUnverified, "the checkpoint: \(error) / チェックポイントの署名を検証できません")
        }
        var signatures = 0
        for (index, raw) in lines.dropFirst().enumerated() {
            let number = index + 2
            guard let line = try? JSONDecoder().decode(Line.self, from: Data(raw)),
                  let record = Data(base64Encoded: line.record).map(Array.init) else {
                throw ProgramError(.auditMalformed, "line \(number) is not an exported event / \(number) 行目の形式が違います")
            }
            let proof = line.proof.compactMap { Data(base64Encoded: $0).flatMap { SHA256Digest(bytes: Array($0)) } }
            guard proof.count == line.proof.count, line.sequence >= 1, line.treeSize == checkpoint.treeSize,
                  MerkleVerifier.verifyInclusion(proof: proof, leafHash: MerkleHash.leaf(record), index: line.sequence - 1,
                                                 size: checkpoint.treeSize, root: checkpoint.rootHash) else {
                throw ProgramError(.auditUnverified, "event \(line.sequence) (line \(number)): its inclusion proof does not verify against the checkpoint / 包含証明が一致しません")
            }
            let (envelope, body) = try decode(record, sequence: line.sequence, line: number)
            let summary = ((try? DomainEvent(kind: envelope.kind, body: body)) ?? nil)?.summary ?? ""
            guard envelope.kind.name == line.kind, envelope.actor.description == line.actor, summary == line.summary,
                  isoTime(micros: envelope.timestamp.rawValue) == line.time else {
                throw ProgramError(.auditUnverified, "event \(line.sequence) (line \(number)): its kind, actor, time or summary is not what its record says / 記録と表示が一致しません")
            }
            if envelope.kind == .sendUnitUploaded {
                try verifyUpload(body, at: envelope.timestamp, sequence: line.sequence, trust: trust, revoked: revoked)
                signatures += 1
            }
        }
        return Verification(events: lines.count - 1, signatures: signatures, treeSize: checkpoint.treeSize, root: checkpoint.rootHash.hex)
    }

    /// Checks an RFC 9162 consistency proof between two verified exports' checkpoints.
    public static func verifyConsistency(_ proof: [[UInt8]], old: Verification, new: Verification) throws(ProgramError) {
        let hashes = proof.compactMap { SHA256Digest(bytes: $0) }
        guard hashes.count == proof.count, let oldRoot = SHA256Digest(hex: old.root), let newRoot = SHA256Digest(hex: new.root),
              MerkleVerifier.verifyConsistency(proof: hashes, oldSize: old.treeSize, newSize: new.treeSize, oldRoot: oldRoot, newRoot: newRoot) else {
            throw ProgramError(.auditUnverified, "the log of \(new.treeSize) events does not extend the log of \(old.treeSize) events as the checkpoints say / 追記のみの証明が検証できません")
        }
    }

    static func verifyIssued(_ certificate: Certificate, by ca: [Certificate]) throws {
        // The server certificate profile is not a client's, so check the issuer's signature directly.
        guard ca.contains(where: { $0.subject == certificate.issuer && certificate.isSigned(by: $0) }) else {
            throw ProgramError(.auditUnverified, "the checkpoint certificate (\(certificate.subject)) was not issued by the platform CA / 基盤の CA が発行した証明書ではありません")
        }
    }

    static func decode(_ record: [UInt8], sequence: UInt64, line: Int) throws(ProgramError) -> (EventEnvelope, [UInt8]) {
        let decoded = record.withUnsafeBytes { EventRecord.decodeEnvelope($0, sequence: SequenceNumber(sequence)) }
        guard let (envelope, length) = decoded else {
            throw ProgramError(.auditUnverified, "event \(sequence) (line \(line)): the record is not a log record")
        }
        return (envelope, Array(record[length...]))
    }

    static func verifyUpload(_ body: [UInt8], at time: Timestamp, sequence: UInt64, trust: TrustStore, revoked: [String: Date]) throws(ProgramError) {
        do {
            guard case .sendUnitUploaded(let upload)? = try DomainEvent(kind: .sendUnitUploaded, body: body) else {
                throw ProgramError(.auditUnverified, "event \(sequence): not an upload")
            }
            let files = try upload.files.map { try SendUnitManifest.File(kind: $0.kind, name: $0.name, size: $0.size, sha256: SHA256Digest(bytes: Array($0.sha256))?.hex ?? "") }
            let manifest = try SendUnitManifest(sender: upload.sender, recipient: upload.recipient, unitNumber: upload.unitNumber, files: files)
            guard SHA256.hash(manifest.canonicalBytes).bytes.elementsEqual(upload.manifestSha256) else {
                throw ProgramError(.auditUnverified, "event \(sequence): the files listed are not those the sender signed")
            }
            let signedAt = Date(timeIntervalSince1970: Double(time.rawValue) / 1e6)
            let signer = try SendUnitSignature(der: Array(upload.signatureDer))
                .verify(manifest: manifest.canonicalBytes, sender: upload.sender, trustStore: trust, at: signedAt)
            if let revokedAt = revoked[signer.serialNumber.hex], revokedAt <= signedAt {
                throw ProgramError(.auditUnverified, "event \(sequence): signed by certificate \(signer.serialNumber.hex) after it was revoked at \(revokedAt) / 失効後の署名です")
            }
        } catch let error as ProgramError {
            throw error
        } catch {
            throw ProgramError(.auditUnverified, "event \(sequence): the sender's signature does not verify: \(error) / 送信元の署名を検証できません")
        }
    }

    static func isoTime(micros: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1e6))
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
