internal import COpenSSL
import Foundation

/// Bounds on every input RenkeiCrypto decodes. A larger input is refused with `inputTooLarge` before
/// OpenSSL sees it.
public enum CryptoLimits {
    /// The largest PEM text accepted (a key, a certificate chain, a CSR, a CRL).
    public static let maximumPEMBytes = 256 * 1024
    /// The largest DER encoding of one certificate, key or CSR.
    public static let maximumDERBytes = 64 * 1024
    /// The largest CRL (DER), which grows with every revocation.
    public static let maximumCRLBytes = 4 * 1024 * 1024
    /// The largest PKCS#12 file.
    public static let maximumPKCS12Bytes = 256 * 1024
    /// The largest CMS signature.
    public static let maximumSignatureBytes = 64 * 1024
    /// The most certificates in a presented chain, leaf first.
    public static let maximumChainLength = 5

    static func check(_ count: Int, within limit: Int, _ what: String,
                      file: String = #fileID, line: Int = #line) throws(CryptoError) {
        guard count <= limit else {
            throw CryptoError(.inputTooLarge, "\(what) has \(count) bytes; at most \(limit) are accepted",
                              file: file, line: line)
        }
    }
}

/// A memory BIO that owns its OpenSSL handle.
final class MemoryBIO {
    let pointer: OpaquePointer
    // A read-only BIO reads from this copy, which lives as long as the BIO.
    private let storage: UnsafeMutableRawBufferPointer?

    /// An empty BIO to write into.
    init() throws(CryptoError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .openSSL(.openSSLFailure, "could not create a memory BIO") }
        pointer = bio
        storage = nil
    }

    /// A read-only BIO over a copy of `bytes`.
    init(_ bytes: some Collection<UInt8>) throws(CryptoError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        copy.copyBytes(from: bytes)
        guard let bio = BIO_new_mem_buf(copy.baseAddress, Int32(bytes.count)) else {
            copy.deallocate()
            throw .openSSL(.openSSLFailure, "could not create a memory BIO")
        }
        pointer = bio
        storage = copy
    }

    deinit {
        BIO_free(pointer)
        storage?.deallocate()
    }

    /// Everything written so far.
    var bytes: [UInt8] {
        var data: UnsafeMutablePointer<CChar>? = nil
        let count = renkei_BIO_get_mem_data(pointer, &data)
        guard count > 0, let data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: count))
    }

    /// Everything written so far, as UTF-8 text.
    var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// A STACK_OF(X509) that owns its handle. With `owning`, it also owns (and frees) the certificates.
final class CertificateStack {
    let pointer: OpaquePointer
    private let ownsCertificates: Bool

    /// An empty stack whose entries are borrowed from `Certificate` objects kept alive by the caller.
    init(borrowing certificates: [Certificate]) throws(CryptoError) {
        guard let stack = renkei_sk_X509_new_null() else { throw .openSSL(.openSSLFailure, "out of memory") }
        pointer = stack
        ownsCertificates = false
        for certificate in certificates where renkei_sk_X509_push(stack, certificate.pointer) == 0 {
            throw .openSSL(.openSSLFailure, "out of memory")
        }
    }

    /// Takes ownership of a stack returned by OpenSSL and of its certificates.
    init(owning stack: OpaquePointer) {
        pointer = stack
        ownsCertificates = true
    }

    /// Takes ownership of a stack returned by OpenSSL whose certificates it only borrows.
    init(borrowingStack stack: OpaquePointer) {
        pointer = stack
        ownsCertificates = false
    }

    deinit {
        if ownsCertificates { renkei_sk_X509_pop_free(pointer) } else { renkei_sk_X509_free(pointer) }
    }

    /// The certificates, each with its own reference.
    var certificates: [Certificate] {
        (0..<renkei_sk_X509_num(pointer)).compactMap { index in
            renkei_sk_X509_value(pointer, index).map { Certificate(retaining: $0) }
        }
    }
}

enum ASN1Time {
    /// The moment an ASN1_TIME names.
    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        guard let time else { return .distantPast }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    /// Sets `time` (owned by a certificate or CRL) to `date`, to the second.
    static func set(_ time: UnsafeMutablePointer<ASN1_TIME>?, to date: Date) throws(CryptoError) {
        guard ASN1_TIME_set(time, time_t(date.timeIntervalSince1970.rounded(.down))) != nil else {
            throw .openSSL(.invalidParameter, "the time \(date) cannot be encoded")
        }
    }

    /// A new ASN1_TIME for `date`, which the caller frees with ASN1_TIME_free.
    static func make(_ date: Date) throws(CryptoError) -> UnsafeMutablePointer<ASN1_TIME> {
        guard let time = ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970.rounded(.down))) else {
            throw .openSSL(.invalidParameter, "the time \(date) cannot be encoded")
        }
        return time
    }
}

/// Writes DER or PEM through an OpenSSL `i2d_..._bio` or `PEM_write_bio_...` function.
func encode(_ what: String, _ write: (OpaquePointer) -> Int32) throws(CryptoError) -> MemoryBIO {
    OpenSSLErrorQueue.clear()
    let bio = try MemoryBIO()
    guard write(bio.pointer) == 1 else { throw .openSSL(.openSSLFailure, "could not encode \(what)") }
    return bio
}

/// Encodes an object that is already complete in memory (a parsed or signed certificate, CRL or request):
/// writing it to a memory BIO can fail only when memory runs out, which Swift treats as fatal too, so
/// this never hands back empty bytes that a caller might store or send as if they were the object.
func encodeInMemory(_ what: String, _ write: (OpaquePointer) -> Int32) -> MemoryBIO {
    do {
        return try encode(what, write)
    } catch {
        fatalError("encoding \(what) in memory failed: \(error)")
    }
}

/// Decodes one DER object of at most `limit` bytes with an OpenSSL `d2i_...` function; `malformedDER`
/// names `what` when the bytes are not one.
func decodeDER(_ der: [UInt8], limit: Int, _ what: String,
               _ d2i: (inout UnsafePointer<UInt8>?, Int) -> OpaquePointer?) throws(CryptoError) -> OpaquePointer {
    try CryptoLimits.check(der.count, within: limit, "a DER \(what)")
    OpenSSLErrorQueue.clear()
    let object = der.withUnsafeBufferPointer { buffer in
        var cursor = buffer.baseAddress
        return d2i(&cursor, buffer.count)
    }
    guard let object else { throw .openSSL(.malformedDER, "the DER bytes are not \(what)") }
    return object
}

/// Checks that `text` looks like PEM of the given label before OpenSSL parses it.
func checkPEM(_ text: String, label: String) throws(CryptoError) {
    try CryptoLimits.check(text.utf8.count, within: CryptoLimits.maximumPEMBytes, "PEM text")
    guard text.contains("-----BEGIN "), text.contains("\(label)-----") else {
        throw CryptoError(.malformedPEM, "the text holds no PEM block labelled \"\(label)\"")
    }
}
