extension SendUnit {
    /// KEY-1 (every child record has its parent in the unit) and KEY-2 (the 第6表, 第7表 and 補足 of one unit name
    /// the same users), from the facts the file checks left.
    ///
    /// Each file's key findings are listed up to `findingLimitPerFile` (the checker's per-file limit); past it they
    /// are counted, not formatted, and one LIMIT-3 finding says how many were left out. A file that did not keep
    /// all its keys (LIMIT-5, ``FileFacts/keysAreComplete``) cannot say what it lacks: as a parent, its children's
    /// keys are not reported missing (KEY-1); as the 第7表 or 補足, the plan's users are not reported missing
    /// from it (KEY-2).
    public static func validateKeys(_ facts: [FileFacts], findingLimitPerFile: Int = 1000) -> [Finding] {
        var sinks: [FindingSink] = []
        var sinkIndex: [String: Int] = [:]
        func sink(for file: String) -> Int {
            if let found = sinkIndex[file] { return found }
            sinks.append(FindingSink(file: file, limit: findingLimitPerFile))
            sinkIndex[file] = sinks.count - 1
            return sinks.count - 1
        }
        let byKind = Dictionary(facts.compactMap { fact in fact.kind.map { ($0, fact) } }, uniquingKeysWith: { first, _ in first })
        for child in facts {
            for (parentKind, keys) in child.parentKeys.sorted(by: { $0.key < $1.key }) {
                // A missing parent file is UNIT-2's to report; a parent that did not keep every key cannot say.
                guard let parent = byKind[parentKind], parent.keysAreComplete else { continue }
                let index = sink(for: child.label)
                for (key, line) in keys.sorted(by: { $0.value < $1.value }) where parent.ownKeys[key] == nil {
                    sinks[index].add(file: child.label, line: line, code: .parentMissing, level: .warning,
                                     ja: "親レコード（\(parentKind)、キー \(FileFacts.displayKey(key))）が同じ送信単位にありません。",
                                     en: "No parent record (\(parentKind), key \(FileFacts.displayKey(key))) in the same send unit.")
                }
            }
        }
        if let plan = byKind[.usagePlan] {
            for childKind in [FileKind.usageAnnex, .supplement] {
                guard let child = byKind[childKind], child.keysAreComplete, let keys = child.parentKeys[.usagePlan] else { continue }
                let index = sink(for: plan.label)
                for (key, line) in plan.ownKeys.sorted(by: { $0.value < $1.value }) where keys[key] == nil {
                    sinks[index].add(file: plan.label, line: line, code: .userMismatch, level: .warning,
                                     ja: "利用者 \(FileFacts.displayKey(key)) が \(childKind) にありません。",
                                     en: "User \(FileFacts.displayKey(key)) is missing from \(childKind).")
                }
            }
        }
        return sinks.flatMap { $0.finished() }
    }
}
