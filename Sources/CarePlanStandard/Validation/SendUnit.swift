import RenkeiModel

/// A send unit (送信単位): the files one sender sends under one 14-digit ファイル連番 (SPEC §2.4, §3.4).
///
/// The server and the client both call ``validate(definition:)`` before accepting an upload: a combination of
/// kinds that no `sendUnits` entry of layouts.json allows is refused (UNIT-2, error), as the platform client
/// refuses 「添付ファイルの組み合わせ」; a member missing from an allowed combination is a warning.
public struct SendUnit: Hashable, Sendable {
    /// The ファイル連番 the files share.
    public let serialText: String
    /// The sender.
    public let sender: OfficeNumber
    /// The files, sorted by name.
    public let files: [FileName]

    /// A unit of `files` (which should share a 連番 and a sender; ``validate(definition:)`` says when not).
    public init(files: [FileName]) {
        let sorted = files.sorted { $0.rendered < $1.rendered }
        self.files = sorted
        serialText = sorted.first?.serialText ?? ""
        sender = sorted.first?.sender ?? OfficeNumber.allNines
    }

    /// Groups names into send units by (連番, sender), in ascending 連番 order — the order receivers process them.
    public static func group(_ names: [FileName]) -> [SendUnit] {
        grouped(names.map { ($0, ()) }).map(\.unit)
    }

    /// Groups items by the (連番, sender) of their names, in ascending 連番 order, in one pass over the items
    /// (a dictionary, then a sort of the units): each item's group is found by hashing, never by searching the
    /// other units, so a folder of many units is grouped in time proportional to its files. Within a unit the
    /// items keep their given order.
    static func grouped<Item>(_ items: [(name: FileName, item: Item)]) -> [(unit: SendUnit, items: [Item])] {
        var index: [String: Int] = [:]
        var keys: [String] = [], names: [[FileName]] = [], members: [[Item]] = []
        for (name, item) in items {
            let key = "\(name.serialText)/\(name.sender)"
            if let found = index[key] {
                names[found].append(name)
                members[found].append(item)
            } else {
                index[key] = keys.count
                keys.append(key)
                names.append([name])
                members.append([item])
            }
        }
        return keys.indices.sorted { keys[$0] < keys[$1] }.map { (SendUnit(files: names[$0]), members[$0]) }
    }

    /// The check an upload gate runs on the names alone, before any bytes: each name parses (NAME-1 and the other
    /// name findings), and the files of each (連番, sender) form an allowed combination (UNIT-1, UNIT-2).
    public static func validate(fileNames: [String], definition: StandardDefinition = .v41) -> [Finding] {
        var findings: [Finding] = []
        var names: [FileName] = []
        for fileName in fileNames {
            do {
                let name = try FileName.parse(fileName, definition: definition)
                names.append(name)
                findings += name.findings(fileLabel: fileName)
            } catch {
                findings.append(Finding(file: fileName, code: .fileName, level: .error,
                                        ja: "ファイル名が標準仕様の形式ではありません: \(error.reasonJA)",
                                        en: "Not a standard file name: \(error.reason)"))
            }
        }
        for unit in group(names) { findings += unit.validate(definition: definition) }
        return findings
    }

    /// The label findings about the whole unit carry: its first file's name.
    public var label: String { files.first?.rendered ?? serialText }

    /// A kind as the combination rules see it: UPHOSOKU with 000000 belongs to the 第1表 unit, with a month to the
    /// 第6表 unit.
    static func member(_ name: FileName) -> String {
        name.kind == .supplement ? (name.hasZeroMonth ? "UPHOSOKU(000000)" : "UPHOSOKU(YYYYMM)") : name.kind.rawValue
    }

    /// What must be unique within a unit: the member, and for family images (UPKIHON_IMAGE) also the 枝番, since
    /// one unit may carry several images `…_0001.jpg`, `…_0002.jpg`.
    static func identity(_ name: FileName) -> String {
        name.branch.map { "\(member(name))_\($0)" } ?? member(name)
    }

    static func members(of unit: SendUnitDefinition) -> Set<String> {
        let kinds = Set(unit.kinds)
        return Set(unit.kinds.map { kind in
            guard kind == .supplement else { return kind.rawValue }
            return kinds.contains(.plan1) ? "UPHOSOKU(000000)" : "UPHOSOKU(YYYYMM)"
        })
    }

    /// The allowed combination this unit fits (the smallest one), or `nil` when none allows it.
    public func matchingDefinition(in definition: StandardDefinition = .v41) -> SendUnitDefinition? {
        matchingIndex(in: definition).map { definition.sendUnits[$0] }
    }

    /// The index in `definition.sendUnits` of the combination this unit fits (the first of the smallest that
    /// hold every member present).
    func matchingIndex(in definition: StandardDefinition) -> Int? {
        guard files.count < 2 || Set(files.map(Self.identity)).count == files.count else { return nil }
        var present: UInt64 = 0
        for file in files {
            // A member no combination has: none allows the unit.
            guard let bit = definition.memberBits[Self.member(file)] else { return nil }
            present |= bit
        }
        var best: Int?
        for (index, mask) in definition.sendUnitMasks.enumerated() where present & ~mask == 0 {
            if best.map({ definition.sendUnits[index].kinds.count < definition.sendUnits[$0].kinds.count }) ?? true { best = index }
        }
        return best
    }

    /// UNIT-1 (one sender, one recipient, one month, one file per kind) and UNIT-2 (an allowed combination;
    /// missing members as warnings).
    public func validate(definition: StandardDefinition = .v41) -> [Finding] {
        var findings: [Finding] = []
        var list: String { files.map(\.rendered).joined(separator: ", ") }
        func add(_ code: FindingCode, _ level: FindingLevel, _ ja: String, _ en: String) {
            findings.append(Finding(file: label, code: code, level: level, ja: ja, en: en))
        }
        // UNIT-1 compares files with each other: a unit of one file has nothing to compare.
        let parties = files.count < 2 ? [] : Set(files.map { "\($0.sender)_\($0.senderKind?.rawValue ?? "")_\($0.recipient)_\($0.recipientKind?.rawValue ?? "")" })
        if parties.count > 1 {
            add(.unit, .error, "連番 \(serialText) のファイルで送信元・送信先（事業所番号・サービス種類）が揃っていません: \(list)",
                "Files with serial \(serialText) do not share one sender and recipient: \(list)")
        }
        let months = files.count < 2 ? [] : Set(files.compactMap { $0.hasZeroMonth ? nil : $0.monthSegment })
        if months.count > 1 {
            add(.unit, .error, "連番 \(serialText) のファイルの年月が揃っていません（\(months.sorted().joined(separator: ", "))）。",
                "Files with serial \(serialText) carry different months (\(months.sorted().joined(separator: ", "))).")
        }
        let members = files.map(Self.member)
        let duplicates = files.count < 2 ? [] : Dictionary(grouping: files.map(Self.identity), by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        if !duplicates.isEmpty {
            add(.unit, .error, "連番 \(serialText) に同じ種別のファイルが複数あります（\(duplicates.joined(separator: ", "))）。",
                "Serial \(serialText) holds more than one file of kind \(duplicates.joined(separator: ", ")).")
        }
        guard let index = matchingIndex(in: definition) else {
            if duplicates.isEmpty {
                add(.combination, .error, "添付ファイルの組み合わせが正しくありません（連番 \(serialText): \(members.sorted().joined(separator: ", "))）。",
                    "The combination of files is not allowed (serial \(serialText): \(members.sorted().joined(separator: ", "))).")
            }
            return findings
        }
        // The family image is optional in practice; its absence is not worth a warning.
        let unit = definition.sendUnits[index]
        let missing = definition.sendUnitMembers[index].subtracting(members).subtracting(["UPKIHON_IMAGE"]).sorted()
        if !missing.isEmpty {
            add(.combination, .warning, "送信単位 \(unit.id) のファイルが揃っていません。不足: \(missing.joined(separator: ", "))",
                "Send unit \(unit.id) is incomplete; missing: \(missing.joined(separator: ", ")).")
        }
        return findings
    }
}
