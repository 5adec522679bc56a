@testable import CarePlanStandard
import Foundation
import Testing

@Suite struct LayoutsSourceTests {
    /// ../shared/careplan-standard/layouts.json, the source of truth the module's tables are generated from.
    static let sharedLayouts = Support.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/careplan-standard/layouts.json")
    /// Whether ../shared is beside the repository. CI has it; a checkout of the repository alone does not (Tools/dev
    /// run falls back to the fixtures then), so without it the comparison is skipped, visibly, rather than failed.
    static let sharedLayoutsArePresent = FileManager.default.fileExists(atPath: sharedLayouts.path)

    /// The generated copy equals ../shared/careplan-standard/layouts.json; rerun Tools/generate-standard-tables.py.
    @Test(.enabled(if: sharedLayoutsArePresent,
                   "../shared/careplan-standard/layouts.json is not beside the repository: the embedded copy cannot be compared"))
    func embeddedLayoutsEqualTheSharedSourceOfTruth() throws {
        let text = try String(contentsOf: Self.sharedLayouts, encoding: .utf8)
        #expect(layoutsJSONText == text || layoutsJSONText == text + "\n",
                "layouts.json changed: run Tools/generate-standard-tables.py")
    }

    @Test func everyKindOfTheStandardIsLoaded() throws {
        let definition = StandardDefinition.v41
        let counts = Dictionary(uniqueKeysWithValues: definition.layouts.map { ($0.key.rawValue, $0.value.columns.count) })
        #expect(counts.count == 17)
        #expect(counts["UPPLAN"] == 25 && counts["UPSIKYU"] == 37 && counts["UPHOSOKU"] == 63 && counts["UPKIHON"] == 71)
        #expect(Set(definition.checkRules.keys).isSuperset(of: ["ENC-1", "CSV-1", "CSV-4", "NAME-1", "MONTH-1", "FLD-1", "T7-1", "UNIT-2", "KEY-1"]))
        #expect(definition.csvVersion == "202407")
        #expect(definition.serviceKindsInScope.contains("2A") && !definition.serviceKindsInScope.contains("33"))
        #expect(definition.sendUnits.count == 15)
    }

    @Test func findingCodesAreRuleIDsFromLayouts() {
        let ruleIDs = Set(StandardDefinition.v41.checkRules.keys)
        let used: [FindingCode] = [.encoding, .quoting, .unquotedText, .lineEnding, .columnCount, .version, .versionValue,
                                   .fileName, .fileNameV3, .fileSerial, .sameOffice, .month, .supplementMonth, .field,
                                   .fieldUncertainRequired, .fieldCode, .serviceDate, .welfareEquipment, .table6Optional,
                                   .updater, .serviceKindScope, .actualSender, .grandTotal, .subtotal, .specialRowValues,
                                   .arithmetic, .parentMissing, .userMismatch, .unit, .combination, .deletion]
        for code in used { #expect(ruleIDs.contains(code.rawValue), "\(code)") }
    }
}
