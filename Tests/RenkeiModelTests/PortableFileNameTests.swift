import RenkeiModel
import Testing

/// The names a client writes into an office's folder and the platform accepts for attachments.
@Suite struct PortableFileNameTests {
    @Test func plainNamesPass() {
        for name in ["scan.pdf", "scan-2026-12 (1).PDF", "UPPLAN_202506_1310000001_43_1310000002_11_20250525103000.CSV", "見本.png", "CONTRACT.pdf", "com10.pdf"] {
            #expect(PortableFileName.problem(name) == nil, "\(name)")
        }
    }

    @Test func namesThatEscapeOrNameADeviceAreRefused() {
        for name in ["", ".", "..", "../x.pdf", "a/b.pdf", "a\\b.pdf", ".profile", "CON", "con.pdf", "Nul.tar.gz", "COM1.png", "lpt9.jpg", "aux .pdf",
                     "c:x.pdf", "x?.pdf", "x*.pdf", "x\".pdf", "x<.pdf", "x>.pdf", "x|.pdf", "x.pdf.", "x.pdf ", "x\u{0}.pdf", "x\n.pdf",
                     String(repeating: "a", count: 252) + ".pdf"] {
            #expect(PortableFileName.problem(name) != nil, "\(name.debugDescription)")
        }
    }
}
