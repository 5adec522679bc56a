import RenkeiStore

/// How projection keys are spelled. Every key sorts the way its listing reads: numbers big-endian,
/// signed times with the sign bit flipped.
enum Keys {
    static func be64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func time(_ micros: Int64) -> [UInt8] { be64(UInt64(bitPattern: micros) ^ (1 << 63)) }
    static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }
    static func readBE64(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }

    /// A key of about `capacity` bytes built in one allocation (joining arrays with `+` allocates at each
    /// step, and a busy command or a rebuild builds several keys per event).
    static func key(_ capacity: Int, _ build: (inout [UInt8]) -> Void) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(capacity)
        build(&key)
        return key
    }

    // offices, licenses
    static func office(_ number: String) -> StateKey { StateKey(ProjectionSpaces.offices, ascii(number)) }
    static func license(_ number: String) -> StateKey { StateKey(ProjectionSpaces.licenses, ascii(number)) }

    // directory: "n" name 0x00 office, "p" prefecture(2) kind(2) office
    static func directoryName(_ name: String, _ office: String) -> StateKey {
        StateKey(ProjectionSpaces.directory, key(name.utf8.count + office.utf8.count + 2) { $0.append(UInt8(ascii: "n")); $0.append(name); $0.append(0); $0.append(office) })
    }
    static func directoryArea(_ prefecture: UInt32, _ kind: String, _ office: String) -> StateKey {
        StateKey(ProjectionSpaces.directory, key(kind.utf8.count + office.utf8.count + 4) { $0.append(UInt8(ascii: "p")); $0.appendTwoDigits(prefecture); $0.append(kind); $0.append(office) })
    }
    static func twoDigits(_ value: UInt32) -> String { value < 10 ? "0\(value)" : String(value) }

    // certificates: "s" serial, "o" office serial, "e" notAfter serial
    static func certificate(_ serial: String) -> StateKey {
        StateKey(ProjectionSpaces.certificates, key(serial.utf8.count + 1) { $0.append(UInt8(ascii: "s")); $0.append(serial) })
    }
    static func certificateOfOffice(_ office: String, _ serial: String) -> StateKey {
        StateKey(ProjectionSpaces.certificates, key(office.utf8.count + serial.utf8.count + 1) { $0.append(UInt8(ascii: "o")); $0.append(office); $0.append(serial) })
    }
    static func certificateExpiry(_ notAfter: Int64, _ serial: String) -> StateKey {
        StateKey(ProjectionSpaces.certificates, key(serial.utf8.count + 9) { $0.append(UInt8(ascii: "e")); $0.appendTime(notAfter); $0.append(serial) })
    }

    // units: "s" sequence → the unit's state (its files are in its upload event, in the log)
    static func unit(_ sequence: UInt64) -> StateKey { StateKey(ProjectionSpaces.units, key(9) { $0.append(UInt8(ascii: "s")); $0.appendBE64(sequence) }) }
    static let unitStatePrefix: [UInt8] = [UInt8(ascii: "s")]
    /// Before version 0.15 the units space also held "u" sequence → a copy of the upload without its signature.
    static let legacyUnitUploadPrefix: [UInt8] = [UInt8(ascii: "u")]

    // mailboxes: office box(I/S) sequence
    enum Box: UInt8, Sendable { case inbox = 0x49, sent = 0x53 }
    static func mailbox(_ office: String, _ box: Box, _ sequence: UInt64) -> StateKey {
        StateKey(ProjectionSpaces.mailboxes, key(office.utf8.count + 9) { $0.append(office); $0.append(box.rawValue); $0.appendBE64(sequence) })
    }
    static func mailboxPrefix(_ office: String, _ box: Box) -> [UInt8] { ascii(office) + [box.rawValue] }

    // usage: "o" office month(6) direction sequence, "m" month(6) prefecture(2) office direction sequence
    static func usageByOffice(_ office: String, _ month: String, _ box: Box, _ sequence: UInt64) -> StateKey {
        StateKey(ProjectionSpaces.usage, key(office.utf8.count + month.utf8.count + 10) {
            $0.append(UInt8(ascii: "o")); $0.append(office); $0.append(month); $0.append(box.rawValue); $0.appendBE64(sequence)
        })
    }
    static func usageByMonth(_ month: String, _ prefecture: UInt32, _ office: String, _ box: Box, _ sequence: UInt64) -> StateKey {
        StateKey(ProjectionSpaces.usage, key(month.utf8.count + office.utf8.count + 12) {
            $0.append(UInt8(ascii: "m")); $0.append(month); $0.appendTwoDigits(prefecture); $0.append(office); $0.append(box.rawValue); $0.appendBE64(sequence)
        })
    }

    // idempotency: sender 0x00 key
    static func idempotency(_ sender: String, _ idempotencyKey: String) -> StateKey {
        StateKey(ProjectionSpaces.idempotency, key(sender.utf8.count + idempotencyKey.utf8.count + 1) { $0.append(sender); $0.append(0); $0.append(idempotencyKey) })
    }

    // audit: "o" office sequence, "t" time sequence, "a" actor name 0x00 sequence
    static func auditByOffice(_ office: String, _ sequence: UInt64) -> StateKey {
        StateKey(ProjectionSpaces.audit, key(office.utf8.count + 9) { $0.append(UInt8(ascii: "o")); $0.append(office); $0.appendBE64(sequence) })
    }
    static func auditByTime(_ micros: Int64, _ sequence: UInt64) -> StateKey {
        StateKey(ProjectionSpaces.audit, key(17) { $0.append(UInt8(ascii: "t")); $0.appendTime(micros); $0.appendBE64(sequence) })
    }

    // billing: office fiscal-year(4) sequence
    static func billing(_ office: String, _ fiscalYear: Int, _ sequence: UInt64) -> StateKey {
        StateKey(ProjectionSpaces.billing, ascii(office) + ascii(String(fiscalYear)) + be64(sequence))
    }

    // platform
    static let retention = StateKey(ProjectionSpaces.platform, ascii("retention"))
    static let latestCheckpoint = StateKey(ProjectionSpaces.platform, ascii("checkpoint"))
    static func trustedIssuer(_ fingerprint: [UInt8]) -> StateKey { StateKey(ProjectionSpaces.platform, ascii("issuer/") + fingerprint) }
    static func dictionary(_ kind: String) -> StateKey { StateKey(ProjectionSpaces.platform, ascii("dictionary/") + ascii(kind)) }

    /// The upper bound of every key starting with `prefix`.
    static func end(of prefix: [UInt8]) -> [UInt8]? {
        var bound = prefix
        while let last = bound.last {
            if last < 0xFF { bound[bound.count - 1] = last + 1; return bound }
            bound.removeLast()
        }
        return nil
    }
}

extension [UInt8] {
    /// Appends `text`'s UTF-8 bytes.
    mutating func append(_ text: String) { append(contentsOf: text.utf8) }

    /// Appends `value` big-endian, 8 bytes.
    mutating func appendBE64(_ value: UInt64) { Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) } }

    /// Appends a signed time so that keys sort by it (big-endian, the sign bit flipped).
    mutating func appendTime(_ micros: Int64) { appendBE64(UInt64(bitPattern: micros) ^ (1 << 63)) }

    /// Appends `Keys.twoDigits(value)`: two digits below 100, the number's digits from there.
    mutating func appendTwoDigits(_ value: UInt32) {
        if value < 100 {
            append(0x30 + UInt8(value / 10))
            append(0x30 + UInt8(value % 10))
        } else {
            append(String(value))
        }
    }
}
