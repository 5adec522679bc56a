import Foundation

/// Everything the validator knows about ケアプランデータ連携標準仕様 v4.1, loaded from layouts.json (generated into
/// the module by Tools/generate-standard-tables.py; never retyped by hand).
public struct StandardDefinition: Sendable {
    /// The layouts, by kind.
    public let layouts: [FileKind: Layout]
    /// Every code list: list name → (code → meaning).
    public let codeLists: [String: [String: String]]
    /// Service kinds exchanged under the standard (居宅, 予防 and 総合事業 in-scope lists).
    public let serviceKindsInScope: Set<String>
    /// The name of every service kind the standard lists, in scope or not (`11` → 訪問介護).
    public let serviceKindNames: [String: String]
    /// The allowed send-unit combinations.
    public let sendUnits: [SendUnitDefinition]
    /// The check rules, by id.
    public let checkRules: [String: CheckRule]
    /// The CSV version value of v4.1 (`202407`).
    public let csvVersion: String
    /// Every CSV version value the standard has used, with the first service month it applies to.
    public let csvVersionHistory: [(version: String, fromMonth: String)]
    /// Each layout prepared for checking (field rules, column indices), built once with the definition rather
    /// than again by every check.
    let layoutPlans: [FileKind: LayoutPlan]
    /// The members of each `sendUnits` entry as ``SendUnit/matchingDefinition(in:)`` compares them, in the same
    /// order, built once rather than for every unit checked.
    let sendUnitMembers: [Set<String>]
    /// A bit for each member any `sendUnits` entry has, and each entry's members as bits (in `sendUnits`'
    /// order): which combinations hold a unit's files is then a mask test per entry, with no set of
    /// strings built for each unit checked.
    let memberBits: [String: UInt64]
    let sendUnitMasks: [UInt64]

    /// The v4.1 definition from layouts.json.
    public static let v41: StandardDefinition = {
        do { return try StandardDefinition(jsonText: layoutsJSONText) } catch {
            preconditionFailure("layouts.json embedded in CarePlanStandard does not load: \(error)")
        }
    }()

    /// The layout of `kind`, or `nil` for a kind layouts.json does not define (and for the JPEG image).
    public func layout(of kind: FileKind) -> Layout? { layouts[kind] }

    /// Every kind with a layout, and the family image, longest prefix first (so `UPKIHON_SUB1` is tried before
    /// `UPKIHON`).
    public let kindsLongestFirst: [FileKind]

    /// The codes of list `name`.
    public func codes(of name: String) -> Set<String> { codeLists[name].map { Set($0.keys) } ?? [] }

    /// Loads the definition from the text of layouts.json.
    public init(jsonText: String) throws {
        guard let root = try JSONSerialization.jsonObject(with: Data(jsonText.utf8)) as? [String: Any] else {
            throw DefinitionError(reason: "the top level is not an object")
        }
        var layouts: [FileKind: Layout] = [:]
        for entry in root["layouts"] as? [[String: Any]] ?? [] {
            let layout = try Self.layout(from: entry)
            layouts[layout.kind] = layout
        }
        guard !layouts.isEmpty else { throw DefinitionError(reason: "no layouts") }
        self.layouts = layouts
        kindsLongestFirst = (Array(layouts.keys) + [.basicInfoImage]).sorted {
            ($0.rawValue.count, $1.rawValue) > ($1.rawValue.count, $0.rawValue)
        }

        var lists: [String: [String: String]] = [:]
        var inScope: Set<String> = []
        var kindNames: [String: String] = [:]
        for (name, value) in root["codeLists"] as? [String: Any] ?? [:] {
            guard let object = value as? [String: Any] else { continue }
            if let codes = object["codes"] as? [String: String] { lists[name] = codes }
            for (key, part) in object where key.hasPrefix("inScope") || key.hasPrefix("outOfScope") {
                let names = part as? [String: String] ?? [:]
                if key.hasPrefix("inScope") { inScope.formUnion(names.keys) }
                kindNames.merge(names) { first, _ in first }
            }
        }
        codeLists = lists
        serviceKindsInScope = inScope
        serviceKindNames = kindNames

        sendUnits = (root["sendUnits"] as? [[String: Any]] ?? []).map { unit in
            SendUnitDefinition(id: unit["id"] as? String ?? "", from: unit["from"] as? String ?? "",
                               kinds: (unit["kinds"] as? [String] ?? []).map(FileKind.init(rawValue:)))
        }
        sendUnitMembers = sendUnits.map(SendUnit.members(of:))
        let distinct = Set(sendUnitMembers.joined()).sorted()
        guard distinct.count <= 64 else { throw DefinitionError(reason: "sendUnits name \(distinct.count) kinds of member; at most 64") }
        let bits = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, UInt64(1) << UInt64($0)) })
        memberBits = bits
        sendUnitMasks = sendUnitMembers.map { members in members.reduce(0) { $0 | bits[$1]! } }
        layoutPlans = layouts.mapValues { LayoutPlan(layout: $0, codeLists: lists) }
        var rules: [String: CheckRule] = [:]
        for rule in root["checkRules"] as? [[String: Any]] ?? [] {
            guard let id = rule["id"] as? String else { continue }
            rules[id] = CheckRule(id: id, level: rule["level"] as? String == "warning" ? .warning : .error,
                                  text: rule["rule"] as? String ?? "")
        }
        checkRules = rules
        let standard = root["standard"] as? [String: Any] ?? [:]
        csvVersion = standard["csvVersionValue"] as? String ?? "202407"
        csvVersionHistory = (root["csvVersionHistory"] as? [[String: Any]] ?? []).compactMap { row in
            guard let version = row["csvVersion"] as? String, let from = row["fromServiceMonth"] as? String else { return nil }
            return (version, from)
        }
    }

    private static func layout(from entry: [String: Any]) throws -> Layout {
        guard let kind = entry["kind"] as? String, let columnList = entry["columns"] as? [[String: Any]] else {
            throw DefinitionError(reason: "a layout without kind or columns")
        }
        var columns: [ColumnSpec] = []
        for (index, column) in columnList.enumerated() {
            guard let number = column["no"] as? Int, number == index + 1,
                  let key = column["key"] as? String, let formatName = column["format"] as? String,
                  let format = FieldFormat(name: formatName)
            else { throw DefinitionError(reason: "\(kind) column \(index + 1) is malformed") }
            columns.append(ColumnSpec(number: number, key: key, nameJA: column["name_ja"] as? String ?? key,
                                      length: column["length"] as? Int, isRequired: column["required"] as? Bool ?? false,
                                      format: format))
        }
        if let count = entry["column_count"] as? Int, count != columns.count {
            throw DefinitionError(reason: "\(kind) declares \(count) columns but lists \(columns.count)")
        }
        let parents: [String]
        if let one = entry["parent_kind"] as? String { parents = [one] } else { parents = entry["parent_kind"] as? [String] ?? [] }
        return Layout(kind: FileKind(rawValue: kind), titleJA: entry["title_ja"] as? String ?? kind, columns: columns,
                      confidence: LayoutConfidence(rawValue: entry["confidence"] as? String ?? "low") ?? .low,
                      hasMonthInName: entry["has_target_month"] as? Bool ?? false,
                      parentKinds: parents.map(FileKind.init(rawValue:)),
                      parentKey: entry["parent_key"] as? [String] ?? [])
    }
}

/// layouts.json could not be read as a standard definition.
public struct DefinitionError: Error, Hashable, CustomStringConvertible {
    /// What was wrong.
    public let reason: String
    public var description: String { "layouts.json: \(reason)" }
}
