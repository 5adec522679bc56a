import RenkeiCore
import Testing

@Suite("The refusal table")
struct DomainErrorTests {
    @Test("Codes are numbered from 1001 without gaps, each with a Japanese and an English message")
    func table() {
        let codes = DomainError.Code.all.map(\.rawValue)
        #expect(codes == Array(1001...(1000 + codes.count)))
        for code in DomainError.Code.all {
            #expect(code.japanese != "エラー" && code.english != "error" && !code.japanese.isEmpty, "\(code)")
        }
        let error = DomainError(.sameOffice, "1310000001")
        #expect(error.description == "[1005] 自事業所には送信できません / an office cannot send to itself: 1310000001")
    }
}
