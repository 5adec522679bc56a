/// One column of a layout (a row of the layout's table in the standard).
public struct ColumnSpec: Hashable, Sendable {
    /// The column's No. (1-based), as printed in the layout.
    public let number: Int
    /// Our key for the column (`insurerNo`, `serviceCode`, …).
    public let key: String
    /// The standard's 日本語名称.
    public let nameJA: String
    /// The maximum length, or `nil` for free text (―).
    public let length: Int?
    /// Whether the layout marks the column ○ (required).
    public let isRequired: Bool
    /// The column's format.
    public let format: FieldFormat
}

/// How far a layout's lengths and ○ flags can be trusted (layouts.json `confidence`).
public enum LayoutConfidence: String, Hashable, Sendable {
    /// Read cleanly or confirmed by a second source.
    case high
    /// Re-aligned by hand from the OCR.
    case medium
    /// Partly uncertain.
    case low
}

/// The layout of one file kind: its columns and how its files relate to others.
public struct Layout: Hashable, Sendable {
    /// The kind.
    public let kind: FileKind
    /// The standard's title, e.g. 第6表（サービス利用票）予定.
    public let titleJA: String
    /// The columns, in order; `columns[i].number == i + 1`.
    public let columns: [ColumnSpec]
    /// How far lengths and required flags can be trusted.
    public let confidence: LayoutConfidence
    /// Whether the file name carries a month segment.
    public let hasMonthInName: Bool
    /// The kinds this kind's records hang under (empty for roots and deletion files).
    public let parentKinds: [FileKind]
    /// The keys (column keys) joining a record to its parent.
    public let parentKey: [String]

    /// The column with key `key`, if the layout has one.
    public func column(key: String) -> ColumnSpec? { columns.first { $0.key == key } }
    /// The 0-based index of the column with key `key`.
    public func index(of key: String) -> Int? { columns.firstIndex { $0.key == key } }
}

/// One check rule from layouts.json `checkRules`.
public struct CheckRule: Hashable, Sendable {
    /// The rule id, used as the stable finding code (ENC-1, CSV-4, T7-1, …).
    public let id: String
    /// The suggested level.
    public let level: FindingLevel
    /// What the rule says.
    public let text: String
}

/// One allowed combination of files in a send unit (layouts.json `sendUnits`).
public struct SendUnitDefinition: Hashable, Sendable {
    /// The combination's id, e.g. KYOTAKU_USAGE.
    public let id: String
    /// Who sends it.
    public let from: String
    /// The member kinds.
    public let kinds: [FileKind]
}
