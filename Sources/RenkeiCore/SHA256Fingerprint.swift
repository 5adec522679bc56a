import Foundation
import RenkeiCrypto

/// SHA-256 fingerprints of certificates, as stored in events.
enum SHA256Fingerprint {
    static func of(_ der: Data) -> [UInt8] { SHA256.hash(Array(der)).bytes }
    static func of(_ der: [UInt8]) -> [UInt8] { SHA256.hash(der).bytes }
}
