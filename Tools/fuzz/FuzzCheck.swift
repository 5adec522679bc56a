// libFuzzer entry point: any bytes, checked as each kind of standard file, and parsed into records; and read
// as a send-unit manifest, which is refused or accepted only in exactly its canonical form.
// Built by Tools/fuzz/run (not part of the package build); it must never crash, whatever the input.
import CarePlanStandard
import RenkeiModel

let names = [
    "UPPLAN_202506_1310000001_43_1310000002_11_20250525103000.CSV",
    "UPSIKYU_202506_1310000001_43_1310000002_11_20250525103000.CSV",
    "UPHOSOKU_202506_1310000001_43_1310000002_11_20250525103000.CSV",
    "UP1KYO_1310000001_43_1310000002_11_20250401093000.CSV",
    "UPJSK_202506_1310000002_11_1310000001_43_20250701100000.CSV",
    "DLTJSK_202506_1310000002_11_1310000001_43_20250701100000.CSV",
    "UPKIHON_1310000001_46_1310000002_A1_20250401093000.CSV",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheck(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let selector = bytes.first.map { Int($0) } ?? 0
    let name = names[selector % names.count]
    let checker = StandardChecker(limits: CSVLimits(maxFileBytes: 1 << 20, maxRecordBytes: 4096, maxFields: 80))
    let report = checker.check([CheckInput(name: name, source: .bytes(bytes))])
    for finding in report.findings where finding.messageJA.isEmpty || finding.messageEN.isEmpty { fatalError("empty message") }
    _ = try? CarePlanParser.records(of: bytes)
    _ = try? MS932.decode(bytes)
    _ = try? FileName.parse(String(decoding: bytes.prefix(120), as: UTF8.self))
    if let manifest = try? SendUnitManifest(canonicalBytes: bytes), manifest.canonicalBytes != bytes {
        fatalError("a manifest accepted in a form that is not its canonical one")
    }
    return 0
}
