import CarePlanStandard
import Foundation
import RenkeiAPI
import RenkeiCore
import RenkeiCrypto
import RenkeiModel

/// What a client does before a send: checks the files against the standard (the same checker the
/// server runs, so a refusal is seen before anything leaves the office), lists them in the canonical
/// manifest and signs it with the office's certificate.
enum SendPreparation {
    struct Prepared {
        let manifest: [UInt8]
        let signature: [UInt8]
        let files: [OutgoingFile]
    }

    static let attachments: [(extensions: [String], kind: String)] = [(["pdf"], "PDF"), (["jpg", "jpeg"], "JPEG"), (["png"], "PNG")]

    /// The attachment kind of `name` by its extension (PDF, JPEG, PNG), or nil.
    static func attachmentKind(_ name: String) -> String? {
        let suffix = (name.split(separator: ".").last ?? "").lowercased()
        return attachments.first { $0.extensions.contains(suffix) }?.kind
    }

    static func prepare(_ files: [OutgoingFile], from credential: Credential, to recipient: String,
                        checker: StandardChecker?, at time: Date = Date()) throws(RenkeiClientError) -> Prepared {
        guard !files.isEmpty else { throw RenkeiClientError(.invalidArgument, "no files to send") }
        let sender: String
        do { sender = try credential.certificate.claimedIdentity().officeNumber } catch {
            throw RenkeiClientError(.unauthenticated, "\(error)")
        }
        var entries: [SendUnitManifest.File] = []
        var serials: Set<String> = []
        var csv: [CheckInput] = []
        for file in files {
            let kind: String
            if let name = try? FileName.parse(file.name) {
                kind = name.kind.rawValue
                serials.insert(name.serialText)
                if file.name.uppercased().hasSuffix(".CSV") { csv.append(CheckInput(name: file.name, source: .bytes(file.bytes))) }
            } else if let attachment = attachmentKind(file.name) {
                kind = attachment
            } else {
                throw RenkeiClientError(.validationFailed, "\(file.name): NAME-1 not a standard file name, nor a PDF, JPEG or PNG attachment")
            }
            do {
                entries.append(try SendUnitManifest.File(kind: kind, name: file.name, size: UInt64(file.bytes.count), sha256: SHA256.hash(file.bytes).hex))
            } catch {
                throw RenkeiClientError(.manifestMismatch, "\(error)")
            }
        }
        guard serials.count == 1, let serial = serials.first else {
            throw RenkeiClientError(.unitMismatch, "the files name \(serials.count) 連番: \(serials.sorted().joined(separator: ", "))")
        }
        if let report = checker?.check(csv), report.hasErrors {
            let errors = report.findings.filter { $0.level == .error }
            throw RenkeiClientError(.validationFailed, "\(report.errorCount) errors", findings: errors.prefix(100).map(Renkei_V1_Finding.init))
        }
        do {
            let manifest = try SendUnitManifest(sender: sender, recipient: recipient, unitNumber: serial, files: entries)
            let signature = try SendUnitSignature.sign(manifest: manifest.canonicalBytes, key: credential.key,
                                                       certificate: credential.certificate, chain: credential.chain, at: time)
            // The server wants the files in the manifest's order.
            let byName = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            return Prepared(manifest: manifest.canonicalBytes, signature: signature.der, files: manifest.files.compactMap { byName[$0.name] })
        } catch let error as SendUnitManifestError {
            throw RenkeiClientError(.manifestMismatch, "\(error)")
        } catch {
            throw RenkeiClientError(.signatureInvalid, "\(error)")
        }
    }


}
