/// A サービス種類コード: two characters `[0-9A-Z]` (`11` 訪問介護, `2A`, `A1` 総合事業, `43` 居宅介護支援).
///
/// Invariant: `rawValue` is exactly two ASCII characters, each a digit or an upper-case letter.
public struct ServiceKindCode: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The two characters.
    public let rawValue: String

    /// The kind `rawValue`, or `nil` unless it is two characters of `[0-9A-Z]`.
    public init?(rawValue: String) {
        guard rawValue.utf8.count == 2, rawValue.utf8.allSatisfy(Self.isCodeByte) else { return nil }
        self.rawValue = rawValue
    }

    /// Whether `byte` may appear in a kind code (`0`–`9`, `A`–`Z`).
    public static func isCodeByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
    }

    /// `43` 居宅介護支援: the care-management office's own kind in file names.
    public static let careManagement = ServiceKindCode(rawValue: "43")!

    public static func < (lhs: ServiceKindCode, rhs: ServiceKindCode) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}
