internal import COpenSSL

/// Who a certificate speaks for: a 事業所番号 and a role. See Identity.md for the subject rule.
///
/// - `CN` is the 事業所番号, exactly 10 ASCII digits (for operators and auditors, the number of the
///   body they act for).
/// - `OU` is the role: `office`, `operator`, `auditor` or `server`. No OU means `office`.
public struct OfficeIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The 事業所番号: exactly 10 ASCII digits.
    public let officeNumber: String
    /// The role the certificate grants.
    public let role: Role

    /// An identity; throws `invalidOfficeNumber` unless `officeNumber` is exactly 10 ASCII digits, and
    /// `invalidParameter` for the `server` role, which names a host, not an office.
    public init(officeNumber: String, role: Role = .office) throws(CryptoError) {
        try Self.validate(officeNumber: officeNumber)
        guard role != .server else {
            throw CryptoError(.invalidParameter, "the server role names a host, not an office")
        }
        self.officeNumber = officeNumber
        self.role = role
    }

    /// Throws `invalidOfficeNumber` unless `text` is exactly 10 ASCII digits.
    public static func validate(officeNumber text: String) throws(CryptoError) {
        guard text.utf8.count == 10, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw CryptoError(.invalidOfficeNumber,
                              "事業所番号 must be exactly 10 ASCII digits (got \(text.utf8.count) bytes: \"\(text.prefix(20))\")")
        }
    }

    public var description: String { "\(role) \(officeNumber)" }

    /// The identity a subject name states under the subject rule.
    init(subject name: OpaquePointer?) throws(CryptoError) {
        guard let commonName = DistinguishedName.single(NID_commonName, in: name) else {
            throw CryptoError(.subjectNotRecognized, "the subject must have exactly one CN (the 事業所番号)")
        }
        let units = DistinguishedName.all(NID_organizationalUnitName, in: name)
        guard units.count <= 1 else {
            throw CryptoError(.subjectNotRecognized, "the subject must have at most one OU (the role)")
        }
        let role = units.first.map { Role(rawValue: $0) } ?? .office
        guard Role.known.contains(role) else {
            throw CryptoError(.subjectNotRecognized, "the OU \"\(role.rawValue)\" is not a role (office, operator, auditor)")
        }
        guard role != .server else {
            throw CryptoError(.wrongKeyUsage, "a server certificate does not identify an office")
        }
        do {
            try Self.validate(officeNumber: commonName)
        } catch {
            throw CryptoError(.subjectNotRecognized, "the CN \"\(commonName.prefix(64))\" is not a 10-digit 事業所番号")
        }
        self.officeNumber = commonName
        self.role = role
    }

    /// A new X509_NAME for this identity, which the caller frees.
    func makeSubject() throws(CryptoError) -> OpaquePointer {
        try DistinguishedName.make([(NID_organizationalUnitName, role.rawValue), (NID_commonName, officeNumber)])
    }
}

extension OfficeIdentity {
    /// What a certificate holder may do. A struct of named values, so new roles never break a `switch`.
    public struct Role: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The role's name as written in the certificate's OU.
        public var rawValue: String
        /// The role named `rawValue`.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A care office (居宅介護支援事業所 or 介護サービス事業所): sends and receives send units.
        public static let office = Role(rawValue: "office")
        /// A platform operator (renkei-admin).
        public static let `operator` = Role(rawValue: "operator")
        /// An auditor: reads audit exports.
        public static let auditor = Role(rawValue: "auditor")
        /// The platform's TLS server; never an identity of a client.
        public static let server = Role(rawValue: "server")

        static let known: Set<Role> = [.office, .operator, .auditor, .server]

        public var description: String { rawValue }
    }
}

/// X509_NAME helpers.
enum DistinguishedName {
    /// The one-line RFC 2253 form.
    static func text(_ name: OpaquePointer?) -> String {
        guard let name, let bio = try? MemoryBIO() else { return "" }
        X509_NAME_print_ex(bio.pointer, name, 0, renkei_name_print_flags())
        return bio.string
    }

    /// Every value of attribute `nid`, as UTF-8.
    static func all(_ nid: Int32, in name: OpaquePointer?) -> [String] {
        guard let name else { return [] }
        var values: [String] = []
        var index: Int32 = -1
        while true {
            index = X509_NAME_get_index_by_NID(name, nid, index)
            guard index >= 0 else { break }
            guard let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else { continue }
            var utf8: UnsafeMutablePointer<UInt8>? = nil
            let length = ASN1_STRING_to_UTF8(&utf8, data)
            if length >= 0, let utf8 {
                values.append(String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self))
                renkei_OPENSSL_free(utf8)
            } else {
                values.append("")
            }
        }
        return values
    }

    /// The value of attribute `nid` when there is exactly one.
    static func single(_ nid: Int32, in name: OpaquePointer?) -> String? {
        let values = all(nid, in: name)
        return values.count == 1 ? values[0] : nil
    }

    /// A new X509_NAME from UTF-8 attributes in order, which the caller frees.
    static func make(_ attributes: [(Int32, String)]) throws(CryptoError) -> OpaquePointer {
        guard let name = X509_NAME_new() else { throw .openSSL(.openSSLFailure, "out of memory") }
        for (nid, value) in attributes {
            guard !value.isEmpty, value.utf8.count <= 64 else {
                X509_NAME_free(name)
                throw CryptoError(.invalidParameter, "a subject attribute must have 1 to 64 bytes")
            }
            let added = Array(value.utf8).withUnsafeBufferPointer { buffer in
                X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, buffer.baseAddress, Int32(buffer.count), -1, 0)
            }
            guard added == 1 else {
                X509_NAME_free(name)
                throw .openSSL(.invalidParameter, "could not add \"\(value)\" to a subject name")
            }
        }
        return name
    }
}
