/// Splits a DER CMS SignedData into the same structure without its `certificates` field and the DER of each
/// certificate it carried, so that certificates already parsed can be handed to OpenSSL instead of being
/// decoded again (OpenSSL 3.0 spends ~0.1 ms decoding each). Only plain DER is split — definite lengths, every
/// certificate a plain X.509 SEQUENCE; anything else returns nil, and the caller takes the general path. The
/// split changes no signed byte: the signature covers the signed attributes, which stay as they were.
enum CMSCertificateSplit {
    struct Parts {
        /// The ContentInfo without the SignedData's certificates.
        var stripped: [UInt8]
        /// Each certificate's DER, in order.
        var certificates: [[UInt8]]
    }

    /// One TLV: its tag, where its header starts, where its content starts and ends.
    private struct Element {
        var tag: UInt8
        var start: Int
        var contentStart: Int
        var end: Int
    }

    private static func element(_ bytes: [UInt8], at start: Int, within limit: Int) -> Element? {
        guard start + 2 <= limit else { return nil }
        let tag = bytes[start]
        guard tag & 0x1F != 0x1F else { return nil }  // multi-byte tags never occur here
        var length = Int(bytes[start + 1])
        var contentStart = start + 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...4).contains(count), contentStart + count <= limit else { return nil }  // 0: indefinite (BER)
            length = 0
            for index in 0..<count { length = length << 8 | Int(bytes[contentStart + index]) }
            contentStart += count
        }
        guard length >= 0, contentStart + length <= limit else { return nil }
        return Element(tag: tag, start: start, contentStart: contentStart, end: contentStart + length)
    }

    private static func children(_ bytes: [UInt8], of parent: Element) -> [Element]? {
        var children: [Element] = []
        var position = parent.contentStart
        while position < parent.end {
            guard let child = element(bytes, at: position, within: parent.end) else { return nil }
            children.append(child)
            position = child.end
        }
        return children
    }

    private static func header(_ tag: UInt8, length: Int) -> [UInt8] {
        if length < 0x80 { return [tag, UInt8(length)] }
        var digits: [UInt8] = []
        var rest = length
        while rest > 0 { digits.insert(UInt8(rest & 0xFF), at: 0); rest >>= 8 }
        return [tag, 0x80 | UInt8(digits.count)] + digits
    }

    /// The parts, or nil when `der` is not a plain-DER SignedData ContentInfo with certificates.
    static func split(_ der: [UInt8]) -> Parts? {
        guard let info = element(der, at: 0, within: der.count), info.tag == 0x30, info.end == der.count,
              let outer = children(der, of: info), outer.count == 2, outer[0].tag == 0x06, outer[1].tag == 0xA0,
              let explicit = children(der, of: outer[1]), explicit.count == 1, explicit[0].tag == 0x30,
              let fields = children(der, of: explicit[0]),
              let certificatesField = fields.first(where: { $0.tag == 0xA0 }),
              let certificates = children(der, of: certificatesField), !certificates.isEmpty,
              certificates.allSatisfy({ $0.tag == 0x30 }) else { return nil }
        var signedData: [UInt8] = []
        for field in fields where field.tag != 0xA0 { signedData += der[field.start ..< field.end] }
        let signedDataTLV = header(0x30, length: signedData.count) + signedData
        let explicitTLV = header(0xA0, length: signedDataTLV.count) + signedDataTLV
        let content = Array(der[outer[0].start ..< outer[0].end]) + explicitTLV
        return Parts(stripped: header(0x30, length: content.count) + content,
                     certificates: certificates.map { Array(der[$0.start ..< $0.end]) })
    }
}
