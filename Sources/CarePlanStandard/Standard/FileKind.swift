/// A kind of standard file, named by its file-name prefix (`UPPLAN`, `UPSIKYU`, `UPJSK`, …).
///
/// The kinds and their columns come from layouts.json; the constants below are the ones the rules name.
/// A new kind never breaks a `switch`.
public struct FileKind: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The file-name prefix.
    public let rawValue: String
    /// The kind with prefix `rawValue` (not checked against layouts.json; see ``StandardDefinition/layout(of:)``).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// 利用者補足情報.
    public static let supplement = FileKind(rawValue: "UPHOSOKU")
    /// 居宅サービス計画書(1) 第1表.
    public static let plan1 = FileKind(rawValue: "UP1KYO")
    /// 第1表_削除.
    public static let plan1Delete = FileKind(rawValue: "DLT1KYO")
    /// 居宅サービス計画書(2) 第2表.
    public static let plan2 = FileKind(rawValue: "UP2KYO")
    /// 週間サービス計画表 第3表.
    public static let plan3 = FileKind(rawValue: "UP3KYO")
    /// 第6表 サービス利用票【予定】.
    public static let usagePlan = FileKind(rawValue: "UPPLAN")
    /// 第6表 予定_削除.
    public static let usagePlanDelete = FileKind(rawValue: "DLTPLAN")
    /// 第6表 実績情報.
    public static let actual = FileKind(rawValue: "UPJSK")
    /// 実績情報_削除.
    public static let actualDelete = FileKind(rawValue: "DLTJSK")
    /// 第7表 サービス利用票別表.
    public static let usageAnnex = FileKind(rawValue: "UPSIKYU")
    /// 利用者基本情報 (予防).
    public static let basicInfo = FileKind(rawValue: "UPKIHON")
    /// 利用者基本情報 別表1.
    public static let basicInfoSub1 = FileKind(rawValue: "UPKIHON_SUB1")
    /// 利用者基本情報 別表2.
    public static let basicInfoSub2 = FileKind(rawValue: "UPKIHON_SUB2")
    /// 利用者基本情報 家族構成画像 (JPEG, not CSV).
    public static let basicInfoImage = FileKind(rawValue: "UPKIHON_IMAGE")
    /// 利用者基本情報_削除.
    public static let basicInfoDelete = FileKind(rawValue: "DLTKIHON")
    /// 介護予防サービス・支援計画書.
    public static let preventionPlan = FileKind(rawValue: "UPYOBO")
    /// 介護予防サービス・支援計画書 別表.
    public static let preventionPlanSub = FileKind(rawValue: "UPYOBO_SUB")
    /// 介護予防サービス・支援計画書_削除.
    public static let preventionPlanDelete = FileKind(rawValue: "DLTYOBO")

    /// Whether the kind is a deletion file (DLT…): every column required, no parent in the same unit.
    public var isDeletion: Bool { rawValue.hasPrefix("DLT") }
    /// Whether files of this kind are 第6表 records (UPPLAN, UPJSK).
    public var isTable6: Bool { self == .usagePlan || self == .actual }

    public static func < (lhs: FileKind, rhs: FileKind) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}
