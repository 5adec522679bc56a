import Foundation
public import RenkeiAPI

/// Send units as the screens show them: 受信一覧 and 送信済一覧 rows, 受信データ詳細確認 and
/// 送信済データ詳細確認 pages, in Japanese with the English beside the headings.
public enum UnitText {
    public static func type(_ type: Renkei_V1_UnitType) -> String {
        switch type {
        case .plan: "予定"
        case .actual: "実績"
        case .carePlan: "計画書"
        case .deletion: "削除"
        default: "-"
        }
    }

    public static func status(_ status: Renkei_V1_UnitStatus) -> String {
        switch status {
        case .unread: "未読"
        case .downloaded: "ダウンロード済"
        case .withdrawn: "取下げ"
        case .purged: "削除済"
        default: "-"
        }
    }

    /// Japan time, minutes.
    public static func time(micros: Int64) -> String {
        guard micros > 0 else { return "-" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Tokyo")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1e6))
    }

    /// 受信一覧 (inbox: the partner is the sender) or 送信済一覧 (sent: the recipient).
    public static func list(_ units: [Renkei_V1_UnitSummary], inbox: Bool) -> String {
        let header = ["ID", inbox ? "送信元 From" : "送信先 To", "種別 Type", "年月 Month", "連番 Serial", "ファイル Files", "状態 Status", "受付 Arrived"]
        let rows = units.map { unit in
            [String(unit.unitID), inbox ? unit.sender : unit.recipient, type(unit.unitType), unit.serviceMonth.isEmpty ? "-" : unit.serviceMonth,
             unit.unitNumber, "\(unit.fileCount) (\(unit.byteCount) B)", status(unit.status), time(micros: unit.uploadedMicros)]
        }
        return ProgramOutput.table(header, rows)
    }

    /// A unit's detail page.
    public static func detail(_ detail: Renkei_V1_UnitDetail, signatureChecked: Bool?) -> String {
        let unit = detail.summary
        var out = """
        送信単位 Unit \(unit.unitID)
          送信元 From      \(unit.sender)
          送信先 To        \(unit.recipient)
          種別 Type        \(type(unit.unitType)) (\(detail.definitionID))
          年月 Month       \(unit.serviceMonth.isEmpty ? "-" : unit.serviceMonth)
          連番 Serial      \(unit.unitNumber)
          状態 Status      \(status(unit.status))
          受付 Arrived     \(time(micros: unit.uploadedMicros))
          初回受信 Downloaded \(time(micros: detail.firstDownloadMicros))
          署名 Signature   \(signatureLine(detail, checked: signatureChecked))

        """
        out += ProgramOutput.table(["ファイル File", "種類 Kind", "サイズ Bytes", "SHA-256"],
                                   detail.files.map { [$0.name, $0.kind, String($0.size), $0.sha256.map { String(format: "%02x", $0) }.joined()] })
        out += "\n" + ProgramOutput.table(["履歴 History", "時刻 Time", "誰が By"],
                                          detail.history.map { [status($0.status), time(micros: $0.micros), $0.by] })
        return out
    }

    static func signatureLine(_ detail: Renkei_V1_UnitDetail, checked: Bool?) -> String {
        let platform = detail.signatureVerified ? "基盤で検証済 verified by the platform" : "基盤で未検証 not verified by the platform"
        switch checked {
        case true?: return "\(platform); この端末でも検証済 verified here too (serial \(detail.signerSerial))"
        case false?: return "\(platform); この端末での検証に失敗 FAILED here"
        case nil: return "\(platform) (serial \(detail.signerSerial))"
        }
    }
}
