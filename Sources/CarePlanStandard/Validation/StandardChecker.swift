/// One file to check: its name (which carries the kind, month, offices and 連番) and where its bytes are.
public struct CheckInput: Sendable {
    /// The file name, not a path.
    public var name: String
    /// The bytes.
    public var source: ByteSource

    /// The name parsed already (`FileName.parse(name)`), so the check need not parse it again.
    var parsedName: FileName?

    /// A file to check.
    public init(name: String, source: ByteSource) {
        self.name = name
        self.source = source
    }

    /// A file whose name the caller has parsed already: `parsed` must be `FileName.parse(name)`'s result.
    public init(name: String, parsed: FileName, source: ByteSource) {
        self.name = name
        self.parsedName = parsed
        self.source = source
    }

    /// The file at `path`, named by its last path component.
    public static func file(atPath path: String) -> CheckInput {
        CheckInput(name: String(path.split(separator: "/").last ?? Substring(path)), source: .path(path))
    }
}

/// The result of checking one file.
public struct FileCheckResult: Sendable {
    /// The file name.
    public let file: String
    /// Its findings, in order.
    public let findings: [Finding]
    /// Errors found (including any not listed past the limit).
    public let errorCount: Int
    /// Warnings found (including any not listed past the limit).
    public let warningCount: Int
    /// What the send-unit checks need.
    public let facts: FileFacts
    /// The bytes read.
    public let byteCount: Int
}

/// Checks standard files and their send units: the entry point for `renkei check`, the client before sending
/// and the server before accepting.
public struct StandardChecker: Sendable {
    /// The standard.
    public var definition: StandardDefinition
    /// Bounds on each file.
    public var limits: CSVLimits
    /// The most findings listed per file (the rest are counted).
    public var findingLimitPerFile: Int
    /// The most files in one check (LIMIT-4).
    public var maxFiles: Int
    /// The most distinct record keys (users) one file keeps for the send-unit checks (LIMIT-5).
    public var maxKeysPerFile: Int
    /// The most record keys all the files of one check keep together (LIMIT-5): the facts of every file are held
    /// until the send units are judged, so this bounds a check's memory whatever its files hold.
    public var maxKeysPerCheck: Int

    /// The default ``maxKeysPerFile``: far above the users of the largest office's monthly file.
    public static let defaultMaxKeysPerFile = 10_000
    /// The default ``maxKeysPerCheck``: about 100 MB of keys.
    public static let defaultMaxKeysPerCheck = 1_000_000

    /// A checker.
    public init(definition: StandardDefinition = .v41, limits: CSVLimits = .standard, findingLimitPerFile: Int = 1000,
                maxFiles: Int = 10_000, maxKeysPerFile: Int = StandardChecker.defaultMaxKeysPerFile,
                maxKeysPerCheck: Int = StandardChecker.defaultMaxKeysPerCheck) {
        self.definition = definition
        self.limits = limits
        self.findingLimitPerFile = findingLimitPerFile
        self.maxFiles = maxFiles
        self.maxKeysPerFile = max(0, maxKeysPerFile)
        self.maxKeysPerCheck = max(0, maxKeysPerCheck)
    }

    /// Checks each file, then each send unit the files form. The files are grouped into units by hashing their
    /// (連番, sender), so the unit checks take time in proportion to the files, however many units they form.
    public func check(_ inputs: [CheckInput]) -> CheckReport {
        var results: [FileCheckResult] = []
        var extra: [Finding] = []
        var keysLeft = maxKeysPerCheck
        for (index, input) in inputs.enumerated() {
            guard index < maxFiles else {
                extra.append(Finding(file: input.name, code: .tooManyFiles, level: .error,
                                     ja: "一度に検査できるファイルは \(maxFiles) 件までです。", en: "At most \(maxFiles) files per check."))
                break
            }
            let keyLimit = keysLeft < maxKeysPerFile ? KeyLimit(count: keysLeft, scope: .check(total: maxKeysPerCheck))
                                                     : KeyLimit(count: maxKeysPerFile, scope: .file)
            let result = checkFile(input, keyLimit: keyLimit)
            keysLeft -= result.facts.keyCount
            results.append(result)
        }
        let named = results.compactMap { result in result.facts.name.map { (name: $0, item: result.facts) } }
        for (unit, facts) in SendUnit.grouped(named) {
            extra += unit.validate(definition: definition)
            extra += SendUnit.validateKeys(facts, findingLimitPerFile: findingLimitPerFile)
        }
        return CheckReport(files: results, unitFindings: extra)
    }

    /// Checks one file alone: name, encoding, syntax, layout and the rules of its kind.
    public func checkFile(_ input: CheckInput) -> FileCheckResult {
        checkFile(input, keyLimit: KeyLimit(count: maxKeysPerFile, scope: .file))
    }

    /// Checks one file, keeping at most `keyLimit` keys for the send-unit checks.
    func checkFile(_ input: CheckInput, keyLimit: KeyLimit) -> FileCheckResult {
        var nameFindings: [Finding] = []
        var name: FileName?
        var kind: FileKind?
        do {
            let parsed: FileName
            if let known = input.parsedName { parsed = known } else { parsed = try FileName.parse(input.name, definition: definition) }
            name = parsed
            kind = parsed.kind
            nameFindings = parsed.findings(fileLabel: input.name)
        } catch {
            kind = error.kind
            nameFindings = [Finding(file: input.name, code: .fileName, level: .error,
                                    ja: "ファイル名が標準仕様の形式ではありません: \(error.reasonJA)", en: "Not a standard file name: \(error.reason)")]
        }
        // The definition prepared each kind's layout when it loaded.
        let plan = kind.flatMap { definition.layoutPlans[$0] }
        var validator = FileValidator(label: input.name, name: name, kind: kind, definition: definition,
                                      findingLimit: findingLimitPerFile, keyLimit: keyLimit, plan: plan)
        for finding in nameFindings { validator.sink.add(finding) }
        var bytes = 0
        if kind != .basicInfoImage {
            var reader = CSVReader(limits: limits)
            do {
                let tooLarge = try input.source.forEachChunk(limit: limits.maxFileBytes) { chunk in
                    reader.consume(chunk) { validator.validate($0) }
                }
                reader.finish { validator.validate($0) }
                if tooLarge {
                    validator.sink.add(line: nil, column: nil, code: .fileTooLarge, level: .error,
                                       ja: "ファイルが大きすぎます（上限 \(limits.maxFileBytes) バイト）。それ以降は検査していません。",
                                       en: "The file is larger than the limit of \(limits.maxFileBytes) bytes; the rest was not checked.")
                }
            } catch let error as ByteSourceError {
                validator.unreadable = true
                validator.sink.add(line: nil, column: nil, code: .unreadable, level: .error,
                                   ja: "ファイルを読めません: \(error.reason)", en: "Cannot read the file: \(error.reason)")
            } catch {
                validator.unreadable = true
                validator.sink.add(line: nil, column: nil, code: .unreadable, level: .error,
                                   ja: "ファイルを読めません: \(error)", en: "Cannot read the file: \(error)")
            }
            bytes = reader.bytesRead
        }
        let (findings, facts, errors, warnings) = validator.finish()
        return FileCheckResult(file: input.name, findings: findings, errorCount: errors, warningCount: warnings,
                               facts: facts, byteCount: bytes)
    }
}
